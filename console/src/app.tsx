/**
 * The console's frame: who is signed in, the sections their scopes open, and the page the hash
 * route names. A section the user's role cannot use is not offered (the API would refuse it anyway).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, whenSignedOut } from './api.ts';
import { ErrorNotice } from './components/ui.tsx';
import { messageOf } from './hooks.ts';
import { ACCOUNT_SCOPES, MESSAGE_READ_SCOPES, MeContext, WEBHOOK_SCOPES, holdsAny } from './me.ts';
import { ApiKeysPage } from './pages/api-keys.tsx';
import { DeliveryPage } from './pages/delivery-detail.tsx';
import { LivePage } from './pages/live.tsx';
import { MessagePage } from './pages/message-detail.tsx';
import { MessagesPage } from './pages/messages.tsx';
import { ProfilesPage } from './pages/profiles.tsx';
import { SecurityPage } from './pages/security.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { SubscriptionsPage } from './pages/subscriptions.tsx';
import { WebhooksPage } from './pages/webhooks.tsx';
import { href, useRoute, type Route } from './router.ts';
import { session } from './session.ts';
import type { Me } from './types.ts';

interface SectionDef {
  id: string;
  title: string;
  scopes: readonly string[];
  render: (route: Route) => preact.ComponentChildren;
}

const SECTIONS: readonly SectionDef[] = [
  { id: 'messages', title: 'Messages', scopes: MESSAGE_READ_SCOPES, render: (r) => (r.params[0] ? <MessagePage messageId={r.params[0]} /> : <MessagesPage query={r.query} />) },
  { id: 'webhooks', title: 'Webhooks', scopes: WEBHOOK_SCOPES, render: (r) => (r.params[0] ? <DeliveryPage deliveryId={r.params[0]} /> : <WebhooksPage />) },
  { id: 'live', title: 'Live', scopes: [...WEBHOOK_SCOPES, ...MESSAGE_READ_SCOPES], render: () => <LivePage /> },
  { id: 'subscriptions', title: 'Subscriptions', scopes: WEBHOOK_SCOPES, render: () => <SubscriptionsPage /> },
  { id: 'profiles', title: 'Notification profiles', scopes: WEBHOOK_SCOPES, render: () => <ProfilesPage /> },
  { id: 'security', title: 'Security settings', scopes: WEBHOOK_SCOPES, render: () => <SecurityPage /> },
  { id: 'api-keys', title: 'API keys', scopes: ACCOUNT_SCOPES, render: () => <ApiKeysPage /> },
];

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [signedIn, setSignedIn] = useState(() => session.token() !== null);

  useEffect(() => whenSignedOut(() => setSignedIn(false)), []);
  useEffect(() => {
    setError(null);
    if (!signedIn) return setMe(null);
    api<Me>('GET', '/hookline/1/me').then(setMe, (failure) => setError(messageOf(failure)));
  }, [signedIn]);

  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  if (!me)
    return (
      <main class="loading">
        {error ? (
          <>
            <ErrorNotice error={error} />
            <div class="row">
              <button type="button" onClick={() => window.location.reload()}>
                Retry
              </button>
              <button
                type="button"
                onClick={() => {
                  session.clear();
                  setSignedIn(false);
                }}
              >
                Sign out
              </button>
            </div>
          </>
        ) : (
          'Loading…'
        )}
      </main>
    );

  async function signOut() {
    try {
      await api('DELETE', '/auth/1/session');
    } catch {
      // The session may already be gone; the token is forgotten either way.
    }
    session.clear();
    setSignedIn(false);
  }

  return (
    <MeContext.Provider value={me}>
      <Shell me={me} onSignOut={signOut} />
    </MeContext.Provider>
  );
}

function Shell({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const route = useRoute();
  const open = SECTIONS.filter((s) => holdsAny(me, s.scopes));
  const current = open.find((s) => s.id === route.section) ?? open[0];
  useEffect(() => {
    document.title = current ? `${current.title} · Hookline` : 'Hookline';
  }, [current]);
  // A new page: move focus to its content, so keyboard and screen-reader users start there.
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [route.section, route.params.join('/')]);

  return (
    <div class="shell">
      {/* Not href="#main": the hash is the route. The link only moves focus. */}
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Hookline</span>
        <nav aria-label="Sections">
          <ul>
            {open.map((s) => (
              <li key={s.id}>
                <a href={href(s.id)} aria-current={s === current ? 'page' : undefined}>
                  {s.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who" title={`account ${me.accountId}`}>
          {me.username ?? me.accountId}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {current ? current.render(route) : <p class="empty">Your role opens no section of the console.</p>}
      </main>
    </div>
  );
}

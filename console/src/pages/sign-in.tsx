/** Sign-in: POST /auth/1/session, as Infobip's own portal session (IBSSO). */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorNotice, TextField } from '../components/ui.tsx';
import { messageOf } from '../hooks.ts';
import { session } from '../session.ts';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { token } = await api<{ token: string }>('POST', '/auth/1/session', { body: { username, password } });
      session.save(token);
      onSignedIn();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <form class="panel" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Hookline console</h1>
        <TextField label="Username" value={username} onInput={setUsername} autoComplete="username" required autoFocus />
        <TextField label="Password" type="password" value={password} onInput={setPassword} autoComplete="current-password" required />
        <ErrorNotice error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

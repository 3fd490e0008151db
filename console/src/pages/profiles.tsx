/**
 * Notification profiles (`/subscriptions/1/profiles`): where a subscription's events are pushed
 * (webhook URL), how fast, and with which security settings. A PUT replaces the whole profile, so
 * the edit form carries every field the API answered. A profile still used by a subscription is
 * not deleted: the API answers 409 and the page shows it.
 */
import { useId } from 'preact/hooks';
import { api } from '../api.ts';
import { CrudSection, FormPanel, pagedList, RowAction, useCrudList, useDraft, useSubmit, type Listing } from '../components/crud.tsx';
import type { Column } from '../components/data-table.tsx';
import { CheckboxGroup, Field, SelectField, TextField } from '../components/ui.tsx';
import { headerLines, integerOrText, parseHeaderLines } from '../form-text.ts';
import { useLoad } from '../hooks.ts';

interface ProfileView {
  profileId: string;
  webhook?: { notifyUrl: string; contentType: string };
  security?: { authId: string };
  clientCertificateId?: string;
  maxBucketSize?: number;
  windowSize?: number;
  connectTimeout?: number;
  readTimeout?: number;
  enabledSSLProtocols?: string[];
  headers?: Record<string, string>;
  responseRegex?: string;
  responseBodyRegex?: string;
  rateLimit?: number;
}

const CONTENT_TYPES = [
  ['application/json', 'application/json'],
  ['application/xml', 'application/xml'],
] as const;
const SSL_PROTOCOLS = ['TLSv1.2', 'TLSv1.3'] as const;
/** The integer settings, with the spec's ranges for the hints. */
const LIMITS = [
  ['rateLimit', 'Rate limit', 'Requests per second, 1–5000.'],
  ['windowSize', 'Window size', 'Concurrent requests, 20–10000.'],
  ['maxBucketSize', 'Max bucket size', 'Reports per request, 1–2000.'],
  ['connectTimeout', 'Connect timeout', 'Milliseconds, 300–30000.'],
  ['readTimeout', 'Read timeout', 'Milliseconds, 1000–90000.'],
] as const;
type LimitField = (typeof LIMITS)[number][0];

const show = (value: number | undefined): string => (value === undefined ? '—' : String(value));

const COLUMNS: Array<Column<ProfileView>> = [
  { label: 'Profile ID', mono: true, render: (p) => p.profileId },
  { label: 'Webhook URL', truncate: (p) => p.webhook?.notifyUrl, render: (p) => p.webhook?.notifyUrl ?? '—' },
  { label: 'Content type', render: (p) => p.webhook?.contentType ?? '—' },
  { label: 'Security', mono: true, render: (p) => p.security?.authId ?? 'none' },
  { label: 'Rate limit', num: true, render: (p) => show(p.rateLimit) },
  { label: 'Window', num: true, render: (p) => show(p.windowSize) },
  { label: 'Timeouts (ms)', render: (p) => `${show(p.connectTimeout)} / ${show(p.readTimeout)}` },
];

const profilePath = (id?: string): string => `/subscriptions/1/profiles${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;

export function ProfilesPage() {
  const crud = useCrudList<Listing<ProfileView>, ProfileView>((page) => pagedList(profilePath(), page), []);
  const security = useLoad(() => api<{ results: Array<{ authId: string; type: string }> }>('GET', '/subscriptions/1/security', { query: { size: 100 } }), []);

  function remove(p: ProfileView) {
    if (!confirm(`Delete notification profile ${p.profileId}?`)) return;
    crud.run(() => api('DELETE', profilePath(p.profileId)), `Profile ${p.profileId} deleted.`, (form) => form !== 'new' && form.profileId === p.profileId);
  }

  const { editing } = crud;
  return (
    <>
      <h1>Notification profiles</h1>
      <CrudSection
        title="Notification profiles"
        newLabel="New profile"
        crud={crud}
        columns={COLUMNS}
        rowKey={(p) => p.profileId}
        empty={() => 'No notification profiles.'}
        pagerLabel="Profile pages"
        actions={(p) => (
          <>
            <RowAction name={`Edit profile ${p.profileId}`} onClick={() => crud.open(p)}>
              Edit
            </RowAction>
            <RowAction name={`Delete profile ${p.profileId}`} danger onClick={() => remove(p)}>
              Delete
            </RowAction>
          </>
        )}
      />
      {editing && (
        <ProfileForm
          key={editing === 'new' ? 'new' : `edit-${editing.profileId}`}
          original={editing === 'new' ? null : editing}
          authIds={security.data?.results.map((s) => s.authId) ?? []}
          securityError={security.error}
          onDone={crud.done}
          onCancel={crud.close}
        />
      )}
    </>
  );
}

type Draft = Record<LimitField, string> & {
  profileId: string;
  notifyUrl: string;
  contentType: string;
  authId: string;
  headers: string;
  responseRegex: string;
  responseBodyRegex: string;
  enabledSSLProtocols: string[];
  clientCertificateId: string;
};

const draftOf = (p: ProfileView | null): Draft => ({
  profileId: p?.profileId ?? '',
  notifyUrl: p?.webhook?.notifyUrl ?? '',
  contentType: p?.webhook?.contentType ?? 'application/json',
  authId: p?.security?.authId ?? '',
  rateLimit: p?.rateLimit?.toString() ?? '',
  windowSize: p?.windowSize?.toString() ?? '',
  maxBucketSize: p?.maxBucketSize?.toString() ?? '',
  connectTimeout: p?.connectTimeout?.toString() ?? '',
  readTimeout: p?.readTimeout?.toString() ?? '',
  headers: headerLines(p?.headers),
  responseRegex: p?.responseRegex ?? '',
  responseBodyRegex: p?.responseBodyRegex ?? '',
  enabledSSLProtocols: p?.enabledSSLProtocols ?? [],
  clientCertificateId: p?.clientCertificateId ?? '',
});

function ProfileForm(props: { original: ProfileView | null; authIds: string[]; securityError: string | null; onDone: (message: string) => void; onCancel: () => void }) {
  const { original } = props;
  const creating = original === null;
  const { draft, set } = useDraft(() => draftOf(original));
  const datalistId = useId();

  const submit = useSubmit(async () => {
    const headers = parseHeaderLines(draft.headers, 'Headers');
    if ('error' in headers) throw new Error(headers.error);
    const body: Record<string, unknown> = { webhook: { notifyUrl: draft.notifyUrl, contentType: draft.contentType } };
    if (draft.authId !== '') body.security = { authId: draft.authId };
    for (const [field] of LIMITS) {
      const value = integerOrText(draft[field]);
      if (value !== undefined) body[field] = value;
    }
    if (Object.keys(headers.headers).length > 0) body.headers = headers.headers;
    if (draft.responseRegex !== '') body.responseRegex = draft.responseRegex;
    if (draft.responseBodyRegex !== '') body.responseBodyRegex = draft.responseBodyRegex;
    if (draft.enabledSSLProtocols.length > 0) body.enabledSSLProtocols = draft.enabledSSLProtocols;
    if (draft.clientCertificateId !== '') body.clientCertificateId = draft.clientCertificateId;
    if (creating) {
      await api('POST', profilePath(), { body: { profileId: draft.profileId, ...body } });
      props.onDone(`Profile ${draft.profileId} created.`);
    } else {
      await api('PUT', profilePath(original.profileId), { body });
      props.onDone(`Profile ${original.profileId} saved.`);
    }
  });

  return (
    <FormPanel
      title={creating ? 'New profile' : `Edit profile ${original.profileId}`}
      submitLabel={creating ? 'Create profile' : 'Save profile'}
      onCancel={props.onCancel}
      {...submit}
      more={
        <details>
          <summary>More settings</summary>
          <div class="filters">
            <Field label="Headers" hint="One per line, Name: value.">
              {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} value={draft.headers} onInput={(e) => set('headers')(e.currentTarget.value)} rows={3} />}
            </Field>
            <CheckboxGroup legend="TLS versions" options={SSL_PROTOCOLS} value={draft.enabledSSLProtocols} onChange={set('enabledSSLProtocols')} />
            <TextField label="Response regex" value={draft.responseRegex} onInput={set('responseRegex')} hint="Stored, not applied." />
            <TextField label="Response body regex" value={draft.responseBodyRegex} onInput={set('responseBodyRegex')} hint="Stored, not applied." />
            <TextField label="Client certificate ID" value={draft.clientCertificateId} onInput={set('clientCertificateId')} hint="Stored, not applied." />
          </div>
        </details>
      }
    >
      {creating && <TextField label="Profile ID" value={draft.profileId} onInput={set('profileId')} required maxLength={255} />}
      <TextField label="Webhook URL" type="url" value={draft.notifyUrl} onInput={set('notifyUrl')} required maxLength={512} />
      <SelectField label="Content type" value={draft.contentType} onChange={set('contentType')} options={CONTENT_TYPES} />
      <TextField
        label="Security setting ID"
        value={draft.authId}
        onInput={set('authId')}
        list={datalistId}
        hint={props.securityError ? `Optional (could not list security settings: ${props.securityError})` : 'Optional: the authId of security settings.'}
      />
      <datalist id={datalistId}>
        {props.authIds.map((id) => (
          <option value={id} key={id} />
        ))}
      </datalist>
      {LIMITS.map(([field, label, hint]) => (
        <TextField key={field} label={label} inputMode="numeric" value={draft[field]} onInput={set(field)} hint={`${hint} Empty for the default.`} />
      ))}
    </FormPanel>
  );
}

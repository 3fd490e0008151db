/**
 * Security settings (`/subscriptions/1/security`): how Hookline authenticates to a profile's
 * webhook (BASIC, HMAC signatures, OAUTH). Secrets are answered masked (`********`) and never in
 * clear; a PUT that sends the mask back keeps the stored secret, so the edit form shows the mask
 * and leaves it unless the user types a new one. Creating answers only `{authId}`: the secret is
 * the one the user typed. Rotating an HMAC key (`POST /hookline/1/security/{authId}/rotate`)
 * answers the new key once, shown with SecretOnce.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { CrudSection, FormPanel, pagedList, RowAction, useCrudList, useSubmit, type Listing } from '../components/crud.tsx';
import type { Column } from '../components/data-table.tsx';
import { Field, SecretOnce, SelectField, TextField } from '../components/ui.tsx';
import { formatTime } from '../format.ts';
import { headerLines, integerOrText, parseHeaderLines } from '../form-text.ts';

type SecurityType = 'BASIC' | 'HMAC' | 'OAUTH';

interface SecurityView {
  authId: string;
  type: SecurityType | string;
  credentials: Record<string, unknown>;
}

interface RotateAnswer {
  authId: string;
  secretKey: string;
  previousKeyExpiresAt: string;
}

const MASK = '********';
const TYPES = [
  ['BASIC', 'BASIC (username and password)'],
  ['HMAC', 'HMAC (signed requests)'],
  ['OAUTH', 'OAUTH (bearer token)'],
] as const;
const HMAC_ALGORITHMS = ['HMAC_SHA_256', 'HMAC_SHA_1', 'HMAC_SHA_224', 'HMAC_SHA_384', 'HMAC_SHA_512', 'HMAC_MD5'].map((a) => [a, a] as const);

interface CredentialField {
  field: string;
  label: string;
  required?: boolean;
  secret?: boolean;
  hint?: string;
}
/** The credentials of each type, as the API checks them (src/subscriptions/request-schemas.ts). */
const FIELDS: Record<SecurityType, CredentialField[]> = {
  BASIC: [
    { field: 'username', label: 'Username', required: true },
    { field: 'password', label: 'Password', required: true, secret: true },
  ],
  HMAC: [{ field: 'secretKey', label: 'Secret key', required: true, secret: true, hint: 'Any text, or whsec_ + base64 (Standard Webhooks).' }],
  OAUTH: [
    { field: 'tokenUrl', label: 'Token URL', required: true },
    { field: 'grantType', label: 'Grant type', required: true, hint: 'e.g. client_credentials, password, refresh_token.' },
    { field: 'clientId', label: 'Client ID' },
    { field: 'clientSecret', label: 'Client secret', secret: true },
    { field: 'scope', label: 'Scope' },
    { field: 'username', label: 'Username' },
    { field: 'password', label: 'Password', secret: true },
    { field: 'resource', label: 'Resource' },
    { field: 'refreshToken', label: 'Refresh token', secret: true },
  ],
};

const isType = (type: string): type is SecurityType => type in FIELDS;
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** What identifies the settings in the list, without any secret. */
function summary(s: SecurityView): string {
  const c = s.credentials;
  if (s.type === 'BASIC') return `user ${text(c.username)}`;
  if (s.type === 'HMAC') return text(c.algorithm);
  if (s.type === 'OAUTH') return `${text(c.grantType)} at ${text(c.tokenUrl)}`;
  return '—';
}

/** The forms besides 'new': an edit, or an HMAC key rotation. */
type Form = { kind: 'edit'; item: SecurityView } | { kind: 'rotate'; authId: string };

const COLUMNS: Array<Column<SecurityView>> = [
  { label: 'Auth ID', mono: true, render: (s) => s.authId },
  { label: 'Type', render: (s) => s.type },
  { label: 'Details', truncate: summary, render: summary },
];

const securityPath = (authId?: string): string => `/subscriptions/1/security${authId === undefined ? '' : `/${encodeURIComponent(authId)}`}`;

export function SecurityPage() {
  const crud = useCrudList<Listing<SecurityView>, Form>((page) => pagedList(securityPath(), page), []);
  const [rotated, setRotated] = useState<RotateAnswer | null>(null);

  function remove(s: SecurityView) {
    if (!confirm(`Delete security setting ${s.authId}?`)) return;
    crud.run(() => api('DELETE', securityPath(s.authId)), `Security setting ${s.authId} deleted.`, (form) => form !== 'new' && (form.kind === 'edit' ? form.item.authId : form.authId) === s.authId);
  }

  const { editing } = crud;
  return (
    <>
      <h1>Security settings</h1>
      <CrudSection
        title="Security settings"
        newLabel="New security setting"
        crud={crud}
        columns={COLUMNS}
        rowKey={(s) => s.authId}
        empty={() => 'No security settings.'}
        pagerLabel="Security setting pages"
        actions={(s) => (
          <>
            <RowAction name={`Edit security setting ${s.authId}`} onClick={() => crud.open({ kind: 'edit', item: s })}>
              Edit
            </RowAction>
            {s.type === 'HMAC' && (
              <RowAction name={`Rotate key of security setting ${s.authId}`} onClick={() => crud.open({ kind: 'rotate', authId: s.authId })}>
                Rotate key
              </RowAction>
            )}
            <RowAction name={`Delete security setting ${s.authId}`} danger onClick={() => remove(s)}>
              Delete
            </RowAction>
          </>
        )}
      >
        {rotated && (
          <>
            <SecretOnce label={`New signing key of ${rotated.authId}`} secret={rotated.secretKey} onDone={() => setRotated(null)} />
            <p class="hint">The previous key still signs (a second signature) until {formatTime(rotated.previousKeyExpiresAt)}.</p>
          </>
        )}
      </CrudSection>
      {(editing === 'new' || editing?.kind === 'edit') && (
        <SecurityForm key={editing === 'new' ? 'new' : `edit-${editing.item.authId}`} original={editing === 'new' ? null : editing.item} onDone={crud.done} onCancel={crud.close} />
      )}
      {editing !== 'new' && editing?.kind === 'rotate' && (
        <RotateForm
          key={`rotate-${editing.authId}`}
          authId={editing.authId}
          onRotated={(answer) => {
            setRotated(answer);
            crud.done(`Signing key of ${answer.authId} rotated.`);
          }}
          onCancel={crud.close}
        />
      )}
    </>
  );
}

function SecurityForm(props: { original: SecurityView | null; onDone: (message: string) => void; onCancel: () => void }) {
  const { original } = props;
  const creating = original === null;
  const [authId, setAuthId] = useState(original?.authId ?? '');
  const [type, setType] = useState<SecurityType>(original && isType(original.type) ? original.type : 'BASIC');
  // One value per credential name, across types: switching type and back keeps what was typed.
  const [values, setValues] = useState<Record<string, string>>(() => {
    const given = Object.fromEntries(Object.entries(original?.credentials ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    return { algorithm: 'HMAC_SHA_256', grantType: 'client_credentials', ...given };
  });
  const [headers, setHeaders] = useState(() => headerLines(original?.credentials.headers as Record<string, string> | undefined));
  const setValue = (field: string) => (value: string) => setValues((v) => ({ ...v, [field]: value }));
  const sameType = original !== null && original.type === type;
  // A mask keeps a stored secret only within the same type: under another type it means nothing.
  const valueOf = (field: string, secret: boolean | undefined): string => {
    const value = values[field] ?? '';
    return secret && !sameType && value === MASK ? '' : value;
  };

  const submit = useSubmit(async () => {
    const credentials: Record<string, unknown> = {};
    if (type === 'HMAC') credentials.algorithm = values.algorithm;
    for (const { field, required, secret } of FIELDS[type]) {
      const value = valueOf(field, secret);
      // Optional OAUTH fields left empty are absent; required ones go as typed (the API names what is missing).
      if (required || value !== '') credentials[field] = value;
    }
    if (type === 'OAUTH') {
      const parsed = parseHeaderLines(headers, 'Token request headers');
      if ('error' in parsed) throw new Error(parsed.error);
      if (Object.keys(parsed.headers).length > 0) credentials.headers = parsed.headers;
    }
    if (creating) {
      await api('POST', securityPath(), { body: { authId, type, credentials } });
      props.onDone(`Security setting ${authId} created.`);
    } else {
      await api('PUT', securityPath(original.authId), { body: { type, credentials } });
      props.onDone(`Security setting ${original.authId} saved.`);
    }
  });

  return (
    <FormPanel
      title={creating ? 'New security setting' : `Edit security setting ${original.authId}`}
      submitLabel={creating ? 'Create security setting' : 'Save security setting'}
      onCancel={props.onCancel}
      {...submit}
    >
      {creating && <TextField label="Auth ID" value={authId} onInput={setAuthId} required maxLength={255} />}
      <SelectField label="Type" value={type} onChange={(t) => setType(t as SecurityType)} options={TYPES} />
      {type === 'HMAC' && <SelectField label="Algorithm" value={values.algorithm ?? 'HMAC_SHA_256'} onChange={setValue('algorithm')} options={HMAC_ALGORITHMS} />}
      {FIELDS[type].map(({ field, label, required, secret, hint }) => {
        const masked = sameType && secret && original?.credentials[field] === MASK;
        return (
          <TextField
            key={`${type}-${field}`}
            label={label}
            secret={secret}
            type={field === 'tokenUrl' ? 'url' : undefined}
            autoComplete="off"
            value={valueOf(field, secret)}
            onInput={setValue(field)}
            required={required}
            maxLength={255}
            hint={masked ? `Stored; leave ${MASK} to keep it, or type a new one.` : hint}
          />
        );
      })}
      {type === 'OAUTH' && (
        <Field label="Token request headers" hint="One per line, Name: value. Optional.">
          {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} value={headers} onInput={(e) => setHeaders(e.currentTarget.value)} rows={2} />}
        </Field>
      )}
    </FormPanel>
  );
}

function RotateForm(props: { authId: string; onRotated: (answer: RotateAnswer) => void; onCancel: () => void }) {
  const [secretKey, setSecretKey] = useState('');
  const [overlap, setOverlap] = useState('86400');

  const submit = useSubmit(async () => {
    const body: Record<string, unknown> = {};
    if (secretKey !== '') body.secretKey = secretKey;
    const overlapSeconds = integerOrText(overlap);
    if (overlapSeconds !== undefined) body.overlapSeconds = overlapSeconds;
    props.onRotated(await api<RotateAnswer>('POST', `/hookline/1/security/${encodeURIComponent(props.authId)}/rotate`, { body }));
  });

  return (
    <FormPanel
      title={`Rotate the signing key of ${props.authId}`}
      submitLabel="Rotate key"
      onCancel={props.onCancel}
      {...submit}
      intro={<p class="hint">Webhooks carry a signature with the new key and, during the overlap, one with the old key too, so receivers can switch without refusing a request.</p>}
    >
      <TextField label="New signing key" secret value={secretKey} onInput={setSecretKey} maxLength={255} hint="Empty: Hookline generates a whsec_ key." />
      <TextField label="Overlap (seconds)" inputMode="numeric" value={overlap} onInput={setOverlap} hint="How long the old key still signs: 0 (switch now) to 604800 (a week)." />
    </FormPanel>
  );
}

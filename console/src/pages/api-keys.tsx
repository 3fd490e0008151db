/**
 * API keys (`/settings/2/api-keys`, Infobip's account-management API): list, create, edit (a PUT
 * changes only the fields it carries), enable and disable. The API has no DELETE: a key is retired
 * by disabling it. The key's secret (`apiKeySecret`) is answered only by the create, and shown
 * once. Operators may list and create the keys of another account (`accountId`).
 */
import { useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { CrudSection, FormPanel, PAGE_SIZE, RowAction, useCrudList, useDraft, useSubmit, type Listing } from '../components/crud.tsx';
import type { Column } from '../components/data-table.tsx';
import { CheckboxGroup, Field, SecretOnce, TextField } from '../components/ui.tsx';
import { formatTime, localInputToInfobip } from '../format.ts';
import { infobipToLocalInput, splitList } from '../form-text.ts';
import { useMe } from '../me.ts';

interface ApiKeyView {
  id: string;
  apiKeySecret?: string;
  accountId: string;
  name: string;
  allowedIPs: string[];
  validFrom: string;
  validTo?: string;
  enabled: boolean;
  permissions: string[];
  scopeGuids: string[];
}

interface ApiKeyPage {
  apiKeys: ApiKeyView[];
  paging: { page: number; pageSize: number; totalCount: number; totalPages: number };
}

/** A page of keys, with the account it was listed for ('' = the caller's own). */
interface ApiKeyList extends Listing<ApiKeyView> {
  accountId: string;
}

const PERMISSIONS = ['PUBLIC_API', '2FA_CLIENT', 'WEB_SDK'] as const;

const ACCOUNT_COLUMN: Column<ApiKeyView> = { label: 'Account', mono: true, render: (k) => k.accountId };
const COLUMNS: Array<Column<ApiKeyView>> = [
  { label: 'Name', render: (k) => k.name },
  { label: 'ID', mono: true, render: (k) => k.id },
  ACCOUNT_COLUMN,
  { label: 'Scopes', render: (k) => k.scopeGuids.join(', ') || '—' },
  { label: 'Allowed IPs', render: (k) => k.allowedIPs.join(', ') || 'any' },
  { label: 'Valid', render: (k) => `${formatTime(k.validFrom)} – ${k.validTo ? formatTime(k.validTo) : 'no end'}` },
  { label: 'State', render: (k) => <span class={`badge ${k.enabled ? 'ok' : 'bad'}`}>{k.enabled ? 'ENABLED' : 'DISABLED'}</span> },
];

const keyPath = (id?: string): string => `/settings/2/api-keys${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;

export function ApiKeysPage() {
  const me = useMe();
  const [accountInput, setAccountInput] = useState('');
  /** The operator's choice of account ('' = their own). */
  const [accountId, setAccountId] = useState('');
  const [created, setCreated] = useState<ApiKeyView | null>(null);
  const crud = useCrudList<ApiKeyList, ApiKeyView>(async (page) => {
    const answer = await api<ApiKeyPage>('GET', keyPath(), { query: { page, size: PAGE_SIZE, orderBy: 'createdAt', orderDirection: 'desc', accountId } });
    return { accountId, rows: answer.apiKeys, totalPages: answer.paging.totalPages };
  }, [accountId]);

  function setEnabled(key: ApiKeyView, enabled: boolean) {
    if (!enabled && !confirm(`Disable API key ${key.name} (${key.id})? Requests with it will be refused.`)) return;
    crud.run(() => api('PUT', keyPath(key.id), { body: { enabled } }), `API key ${key.name} ${enabled ? 'enabled' : 'disabled'}.`);
  }

  const { editing } = crud;
  return (
    <>
      <h1>API keys</h1>
      <CrudSection
        title="API keys"
        newLabel="New API key"
        crud={crud}
        columns={me.operator ? COLUMNS : COLUMNS.filter((c) => c !== ACCOUNT_COLUMN)}
        rowKey={(k) => k.id}
        empty={() => 'No API keys.'}
        pagerLabel="API key pages"
        actions={(k) => (
          <>
            <RowAction name={`Edit API key ${k.id}`} onClick={() => crud.open(k)}>
              Edit
            </RowAction>
            <RowAction name={`${k.enabled ? 'Disable' : 'Enable'} API key ${k.id}`} danger={k.enabled} onClick={() => setEnabled(k, !k.enabled)}>
              {k.enabled ? 'Disable' : 'Enable'}
            </RowAction>
          </>
        )}
      >
        {me.operator && (
          <form
            class="inline"
            aria-label="Account"
            onSubmit={(e) => {
              e.preventDefault();
              setAccountId(accountInput.trim());
            }}
          >
            <TextField label="Account ID" value={accountInput} onInput={setAccountInput} hint="Empty: your own account." />
            <button type="submit">Show keys</button>
          </form>
        )}
        {created && <SecretOnce label={`API key ${created.name} (${created.id})`} secret={created.apiKeySecret ?? ''} onDone={() => setCreated(null)} />}
      </CrudSection>
      {editing && (
        <ApiKeyForm
          key={editing === 'new' ? 'new' : `edit-${editing.id}`}
          original={editing === 'new' ? null : editing}
          accountId={accountId}
          onDone={(message, key) => {
            if (key?.apiKeySecret) setCreated(key);
            crud.done(message);
          }}
          onCancel={crud.close}
        />
      )}
    </>
  );
}

interface Draft {
  name: string;
  scopes: string;
  allowedIPs: string;
  validFrom: string;
  validTo: string;
  permissions: string[];
  enabled: boolean;
}

const draftOf = (k: ApiKeyView | null): Draft => ({
  name: k?.name ?? '',
  scopes: k?.scopeGuids.join(', ') ?? '',
  allowedIPs: k?.allowedIPs.join(', ') ?? '',
  validFrom: infobipToLocalInput(k?.validFrom),
  validTo: infobipToLocalInput(k?.validTo),
  permissions: k?.permissions ?? ['PUBLIC_API'],
  enabled: k?.enabled ?? true,
});

function ApiKeyForm(props: { original: ApiKeyView | null; accountId: string; onDone: (message: string, key?: ApiKeyView) => void; onCancel: () => void }) {
  const { original } = props;
  const creating = original === null;
  const initial = useRef(draftOf(original)).current;
  const { draft, set } = useDraft(() => initial);

  const submit = useSubmit(async () => {
    const body: Record<string, unknown> = { name: draft.name };
    const scopes = splitList(draft.scopes);
    const ips = splitList(draft.allowedIPs);
    // Validity is sent when set (create) or changed (edit): the inputs show minutes, and resending
    // an unchanged start would move it to the minute.
    const validFrom = creating ? draft.validFrom !== '' : draft.validFrom !== initial.validFrom;
    const validTo = creating ? draft.validTo !== '' : draft.validTo !== initial.validTo;
    if (validFrom && draft.validFrom !== '') body.validFrom = localInputToInfobip(draft.validFrom);
    if (validTo && draft.validTo !== '') body.validTo = localInputToInfobip(draft.validTo);
    if (creating) {
      if (props.accountId !== '') body.accountId = props.accountId;
      if (scopes.length > 0) body.scopeGuids = scopes;
      if (ips.length > 0) body.allowedIPs = ips;
      if (draft.permissions.length > 0) body.permissions = draft.permissions;
      const key = await api<ApiKeyView>('POST', keyPath(), { body });
      props.onDone(`API key ${key.name} created.`, key);
    } else {
      Object.assign(body, { scopeGuids: scopes, allowedIPs: ips, permissions: draft.permissions, enabled: draft.enabled });
      const key = await api<ApiKeyView>('PUT', keyPath(original.id), { body });
      props.onDone(`API key ${key.name} saved.`);
    }
  });

  return (
    <FormPanel
      title={creating ? `New API key${props.accountId ? ` for account ${props.accountId}` : ''}` : `Edit API key ${original.name} (${original.id})`}
      submitLabel={creating ? 'Create API key' : 'Save API key'}
      onCancel={props.onCancel}
      {...submit}
    >
      <TextField label="Name" value={draft.name} onInput={set('name')} required maxLength={255} />
      <TextField label="Scopes" value={draft.scopes} onInput={set('scopes')} hint={creating ? 'Comma-separated, e.g. sms:message:send. Empty: the scopes of your role.' : 'Comma-separated, e.g. sms:message:send.'} />
      <TextField label="Allowed IPs" value={draft.allowedIPs} onInput={set('allowedIPs')} hint="Comma-separated addresses or CIDR ranges. Empty: any address." />
      <TextField label="Valid from" type="datetime-local" value={draft.validFrom} onInput={set('validFrom')} hint={creating ? 'Empty: now.' : 'Your local time.'} />
      <TextField
        label="Valid to"
        type="datetime-local"
        value={draft.validTo}
        onInput={set('validTo')}
        hint={creating ? 'Empty: one year from now.' : draft.validTo === '' && original.validTo === undefined ? 'No end.' : 'Your local time; empty leaves it as it is.'}
      />
      <CheckboxGroup legend="Permissions" options={PERMISSIONS} value={draft.permissions} onChange={set('permissions')} />
      {!creating && <Field label="Enabled">{(id) => <input id={id} type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled')(e.currentTarget.checked)} />}</Field>}
    </FormPanel>
  );
}

/**
 * Subscriptions, per channel (`/subscriptions/1/subscription/{channel}`): which events of a
 * channel go to which notification profile. List, create, edit (a PUT replaces every field, so
 * the form carries them all), delete. The API validates; the form sends what was typed and shows
 * the API's answer.
 */
import type { ComponentChildren } from 'preact';
import { useId, useState } from 'preact/hooks';
import { CHANNEL_EVENTS, CHANNELS, type Channel } from '../../../src/subscriptions/channels.ts';
import { api } from '../api.ts';
import { splitList } from '../form-text.ts';
import { CrudSection, FormPanel, pagedList, RowAction, useCrudList, useDraft, useSubmit, type Listing } from '../components/crud.tsx';
import type { Column } from '../components/data-table.tsx';
import { Field, SelectField, TextField } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';

interface Criterion {
  applicationId?: string;
  entityId?: string;
  callsConfigurationId?: string;
}

type SubscriptionEvent = string | { event: string; format: string };

interface SubscriptionView {
  subscriptionId: string;
  name?: string;
  profile: { profileId: string; security?: { authId: string } };
  events: SubscriptionEvent[];
  criteria: Criterion[];
  resources: string[];
  users: string[];
}

/** A page of subscriptions, with the channel it was listed for: row actions address that channel. */
interface SubscriptionList extends Listing<SubscriptionView> {
  channel: Channel;
}

/** An edit carries the channel its subscription was listed under. */
interface Edit {
  item: SubscriptionView;
  channel: Channel;
}

const CRITERION_FIELDS = ['applicationId', 'entityId', 'callsConfigurationId'] as const;
const CHANNEL_OPTIONS = CHANNELS.map((c) => [c, c] as const);

const eventText = (e: SubscriptionEvent): string => (typeof e === 'string' ? e : `${e.event}:${e.format}`);

/** `DELIVERY, INBOUND_MESSAGE:MO_JSON_2` → the API's events: plain names, or `{event, format}`. */
const parseEventList = (text: string): SubscriptionEvent[] =>
  splitList(text).map((item) => {
    const colon = item.indexOf(':');
    return colon < 0 ? item : { event: item.slice(0, colon).trim(), format: item.slice(colon + 1).trim() };
  });

const criterionText = (c: Criterion): string =>
  CRITERION_FIELDS.filter((f) => c[f] !== undefined)
    .map((f) => `${f}=${c[f]}`)
    .join(', ');

/** One criterion per line, `applicationId=…, entityId=…`; a line naming another field is refused here, as it would otherwise be lost. */
function parseCriteria(text: string): { criteria: Criterion[] } | { error: string } {
  const criteria: Criterion[] = [];
  const lines = text.split('\n').map((line) => line.trim());
  for (const [index, line] of lines.entries()) {
    if (!line) continue;
    const criterion: Criterion = {};
    for (const part of splitList(line)) {
      const eq = part.indexOf('=');
      const field = (eq < 0 ? part : part.slice(0, eq)).trim();
      if (eq < 0 || !(CRITERION_FIELDS as readonly string[]).includes(field)) {
        return { error: `Criteria, line ${index + 1}: write field=value, with field one of ${CRITERION_FIELDS.join(', ')}.` };
      }
      criterion[field as (typeof CRITERION_FIELDS)[number]] = part.slice(eq + 1).trim();
    }
    criteria.push(criterion);
  }
  return { criteria };
}

const COLUMNS: Array<Column<SubscriptionView>> = [
  { label: 'Subscription ID', mono: true, render: (s) => s.subscriptionId },
  { label: 'Name', render: (s) => s.name ?? '—' },
  { label: 'Events', render: (s) => s.events.map(eventText).join(', ') || '—' },
  {
    label: 'Profile',
    render: (s) => (
      <>
        <span class="mono">{s.profile.profileId}</span>
        {s.profile.security && <span class="hint"> (security {s.profile.security.authId})</span>}
      </>
    ),
  },
  { label: 'Users', render: (s) => s.users.join(', ') || 'all' },
  { label: 'Resources', render: (s) => s.resources.join(', ') || 'all' },
  { label: 'Criteria', render: (s) => s.criteria.map(criterionText).join('; ') || 'all' },
];

const subscriptionPath = (channel: Channel, id?: string): string => `/subscriptions/1/subscription/${channel}${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;

export function SubscriptionsPage() {
  const [channel, setChannel] = useState<Channel>('SMS');
  const crud = useCrudList<SubscriptionList, Edit>(async (page) => ({ channel, ...(await pagedList<SubscriptionView>(subscriptionPath(channel), page)) }), [channel]);
  const profiles = useLoad(() => api<{ results: Array<{ profileId: string }> }>('GET', '/subscriptions/1/profiles', { query: { size: 100 } }), []);
  const { editing } = crud;

  function chooseChannel(next: string) {
    setChannel(next as Channel);
    // A subscription lives under its channel: an edit does not follow the list to another one.
    if (editing !== 'new') crud.close();
  }

  /** `listed`: the channel the row was listed under, whatever the channel select says now. */
  function remove(s: SubscriptionView, listed: Channel) {
    if (!confirm(`Delete subscription ${s.subscriptionId} (${listed})?`)) return;
    const deleted = (form: 'new' | Edit) => form !== 'new' && form.channel === listed && form.item.subscriptionId === s.subscriptionId;
    crud.run(() => api('DELETE', subscriptionPath(listed, s.subscriptionId)), `Subscription ${s.subscriptionId} deleted.`, deleted);
  }

  const channelSelect = <SelectField label="Channel" value={channel} onChange={chooseChannel} options={CHANNEL_OPTIONS} />;

  return (
    <>
      <h1>Subscriptions</h1>
      <CrudSection
        title="Subscriptions"
        newLabel="New subscription"
        crud={crud}
        columns={COLUMNS}
        rowKey={(s) => s.subscriptionId}
        empty={(listed) => `No ${listed.channel} subscriptions.`}
        pagerLabel="Subscription pages"
        actions={(s, listed) => (
          <>
            <RowAction name={`Edit subscription ${s.subscriptionId}`} onClick={() => crud.open({ item: s, channel: listed.channel })}>
              Edit
            </RowAction>
            <RowAction name={`Delete subscription ${s.subscriptionId}`} danger onClick={() => remove(s, listed.channel)}>
              Delete
            </RowAction>
          </>
        )}
      >
        {/* One channel choice for the list and a new subscription: it sits in the create form while that is open. */}
        <div class="filters">{editing === 'new' ? <p class="hint">Channel: chosen in the form below.</p> : channelSelect}</div>
      </CrudSection>
      {editing && (
        <SubscriptionForm
          key={editing === 'new' ? 'new' : `edit-${editing.channel}-${editing.item.subscriptionId}`}
          channel={editing === 'new' ? channel : editing.channel}
          channelSelect={channelSelect}
          original={editing === 'new' ? null : editing.item}
          profileIds={profiles.data?.results.map((p) => p.profileId) ?? []}
          profilesError={profiles.error}
          onDone={(message) => {
            crud.done(message);
            // A new subscription may have created its profile.
            profiles.reload();
          }}
          onCancel={crud.close}
        />
      )}
    </>
  );
}

interface Draft {
  subscriptionId: string;
  name: string;
  events: string;
  profileId: string;
  newProfileUrl: string;
  users: string;
  resources: string;
  criteria: string;
}

const draftOf = (s: SubscriptionView | null): Draft => ({
  subscriptionId: s?.subscriptionId ?? '',
  name: s?.name ?? '',
  events: s ? s.events.map(eventText).join(', ') : '',
  profileId: s?.profile.profileId ?? '',
  newProfileUrl: '',
  users: s?.users.join(', ') ?? '',
  resources: s?.resources.join(', ') ?? '',
  criteria: s?.criteria.map(criterionText).join('\n') ?? '',
});

function SubscriptionForm(props: {
  channel: Channel;
  channelSelect: ComponentChildren;
  original: SubscriptionView | null;
  profileIds: string[];
  profilesError: string | null;
  onDone: (message: string) => void;
  onCancel: () => void;
}) {
  const { channel, original } = props;
  const creating = original === null;
  const { draft, set } = useDraft(() => draftOf(original));
  const datalistId = useId();

  const known = CHANNEL_EVENTS[channel] as { events: readonly string[]; formatAware: readonly string[] };
  const unknown = parseEventList(draft.events)
    .map((e) => (typeof e === 'string' ? e : e.event))
    .filter((e) => !known.events.includes(e));

  const submit = useSubmit(async () => {
    const parsed = parseCriteria(draft.criteria);
    if ('error' in parsed) throw new Error(parsed.error);
    const fields = {
      ...(draft.name !== '' ? { name: draft.name } : {}),
      events: parseEventList(draft.events),
      criteria: parsed.criteria,
      resources: splitList(draft.resources),
      users: splitList(draft.users),
    };
    if (creating) {
      // A webhook URL makes the profile a new one, created with the subscription (the API's inline profile).
      const profile = draft.newProfileUrl !== '' ? { profileId: draft.profileId, webhook: { notifyUrl: draft.newProfileUrl } } : { profileId: draft.profileId };
      await api('POST', subscriptionPath(channel), { body: { subscriptionId: draft.subscriptionId, profile, ...fields } });
      props.onDone(`Subscription ${draft.subscriptionId} created for ${channel}.`);
    } else {
      await api('PUT', subscriptionPath(channel, original.subscriptionId), { body: { profile: { profileId: draft.profileId }, ...fields } });
      props.onDone(`Subscription ${original.subscriptionId} saved.`);
    }
  });

  return (
    <FormPanel
      title={creating ? 'New subscription' : `Edit subscription ${original.subscriptionId} (${channel})`}
      submitLabel={creating ? 'Create subscription' : 'Save subscription'}
      onCancel={props.onCancel}
      {...submit}
    >
      {creating && props.channelSelect}
      {creating && <TextField label="Subscription ID" value={draft.subscriptionId} onInput={set('subscriptionId')} required maxLength={255} />}
      <TextField label="Name" value={draft.name} onInput={set('name')} maxLength={255} hint="Optional." />
      <TextField
        label="Events"
        value={draft.events}
        onInput={set('events')}
        required
        hint={`Comma-separated. ${channel} has: ${known.events.join(', ')}.${known.formatAware.length ? ' EVENT:FORMAT sets a payload format.' : ''}${unknown.length ? ` Not ${channel} events (the API ignores them): ${unknown.join(', ')}.` : ''}`}
      />
      <TextField
        label="Notification profile"
        value={draft.profileId}
        onInput={set('profileId')}
        required
        list={datalistId}
        hint={props.profilesError ? `Profile ID (could not list profiles: ${props.profilesError})` : 'Profile ID.'}
      />
      <datalist id={datalistId}>
        {props.profileIds.map((id) => (
          <option value={id} key={id} />
        ))}
      </datalist>
      {creating && (
        <TextField
          label="Webhook URL for a new profile"
          type="url"
          value={draft.newProfileUrl}
          onInput={set('newProfileUrl')}
          hint="Only when the profile does not exist yet: it is created with this URL."
        />
      )}
      <TextField label="Users" value={draft.users} onInput={set('users')} hint="Comma-separated; empty for all." />
      <TextField label="Resources" value={draft.resources} onInput={set('resources')} hint="Comma-separated (e.g. senders); empty for all." />
      <Field label="Criteria" hint="One per line: applicationId=…, entityId=…, callsConfigurationId=…; empty for all.">
        {(id, describedBy) => <textarea id={id} aria-describedby={describedBy} value={draft.criteria} onInput={(e) => set('criteria')(e.currentTarget.value)} rows={2} />}
      </Field>
    </FormPanel>
  );
}

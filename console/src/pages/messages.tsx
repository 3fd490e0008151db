/** Messages: search by destination, ids, status and time; reports over time above the results. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Chart, reportsChart } from '../components/charts.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { Empty, ErrorNotice, Section, SelectField, StatusBadge, TextField } from '../components/ui.tsx';
import { formatTime, localInputToInfobip } from '../format.ts';
import { messageOf, useLoad } from '../hooks.ts';
import { href, navigate } from '../router.ts';
import type { MessageSummary, Page, Stats } from '../types.ts';

const STATUS_GROUPS = [['', 'Any status'], ['PENDING', 'Pending'], ['DELIVERED', 'Delivered'], ['UNDELIVERABLE', 'Undeliverable'], ['EXPIRED', 'Expired'], ['REJECTED', 'Rejected']] as const;
const CHANNELS = [['', 'Any channel'], ['SMS', 'SMS'], ['WHATSAPP', 'WhatsApp'], ['EMAIL', 'Email'], ['VIBER_BM', 'Viber'], ['RCS', 'RCS']] as const;

interface Filters {
  destination: string;
  messageId: string;
  bulkId: string;
  generalStatus: string;
  channel: string;
  /** datetime-local values (the browser's local time), as typed. */
  sentSince: string;
  sentUntil: string;
}
const FILTER_NAMES: ReadonlyArray<keyof Filters> = ['destination', 'messageId', 'bulkId', 'generalStatus', 'channel', 'sentSince', 'sentUntil'];

/** The URL is the search: back/forward, links and bookmarks all work. */
const filtersFrom = (query: URLSearchParams): Filters => Object.fromEntries(FILTER_NAMES.map((name) => [name, query.get(name) ?? ''])) as unknown as Filters;

const apiQuery = (f: Filters) => ({ ...f, sentSince: localInputToInfobip(f.sentSince), sentUntil: localInputToInfobip(f.sentUntil), limit: 50 });

interface MorePages {
  /** The search these rows belong to: rows of another search are never shown or extended. */
  key: string;
  rows: MessageSummary[];
  /** undefined: no page loaded beyond the first yet. */
  cursor: string | null | undefined;
  error: string | null;
  busy: boolean;
}

export function MessagesPage({ query }: { query: URLSearchParams }) {
  const key = query.toString();
  const filters = filtersFrom(query);
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filtersFrom(query)), [key]);

  const first = useLoad(() => api<Page<MessageSummary>>('GET', '/hookline/1/messages', { query: apiQuery(filters) }), [key]);
  const [more, setMore] = useState<MorePages>({ key, rows: [], cursor: undefined, error: null, busy: false });
  const currentKey = useRef(key);
  currentKey.current = key;
  const mine = more.key === key ? more : { key, rows: [], cursor: undefined, error: null, busy: false };
  const cursor = mine.cursor !== undefined ? mine.cursor : (first.data?.nextCursor ?? null);

  async function loadMore() {
    if (mine.busy || cursor === null) return;
    const forKey = key;
    setMore({ ...mine, busy: true });
    try {
      const page = await api<Page<MessageSummary>>('GET', '/hookline/1/messages', { query: { ...apiQuery(filters), cursor } });
      if (currentKey.current !== forKey) return;
      setMore((m) => ({ key: forKey, rows: [...m.rows, ...page.results], cursor: page.nextCursor, error: null, busy: false }));
    } catch (failure) {
      if (currentKey.current === forKey) setMore((m) => ({ ...m, error: messageOf(failure), busy: false }));
    }
  }

  function search(event: Event) {
    event.preventDefault();
    const params = new URLSearchParams(Object.entries(draft).filter(([, value]) => value !== ''));
    // The same search again: the hash does not change, so load it again by hand.
    if (params.toString() === key) first.reload();
    else navigate(`${href('messages')}${params.size ? `?${params}` : ''}`);
  }

  const set = (field: keyof Filters) => (value: string) => setDraft((d) => ({ ...d, [field]: value }));
  // A row is shown once even if a page boundary moved under it.
  const rows = uniqueBy([...(first.data?.results ?? []), ...mine.rows], (m) => m.messageId);

  return (
    <>
      <h1>Messages</h1>
      <ReportsOverTime />
      <Section title="Search" id="search-title">
        <form class="filters" role="search" onSubmit={search}>
          <TextField label="Destination" value={draft.destination} onInput={set('destination')} placeholder="41793026727" />
          <TextField label="Message ID" value={draft.messageId} onInput={set('messageId')} />
          <TextField label="Bulk ID" value={draft.bulkId} onInput={set('bulkId')} />
          <SelectField label="Status" value={draft.generalStatus} onChange={set('generalStatus')} options={STATUS_GROUPS} />
          <SelectField label="Channel" value={draft.channel} onChange={set('channel')} options={CHANNELS} />
          <TextField label="Sent since" type="datetime-local" step="1" value={draft.sentSince} onInput={set('sentSince')} />
          <TextField label="Sent until" type="datetime-local" step="1" value={draft.sentUntil} onInput={set('sentUntil')} />
          <button type="submit" class="primary">
            Search
          </button>
        </form>
      </Section>
      <Section title="Results" id="results-title" actions={<button type="button" onClick={first.reload}>Refresh</button>}>
        <ErrorNotice error={first.error} />
        <ErrorNotice error={mine.error} />
        {first.data && !first.error && (rows.length === 0 ? <Empty>No message matches.</Empty> : <DataTable columns={MESSAGE_COLUMNS} rows={rows} rowKey={(m) => m.messageId} describedBy="results-title" />)}
        {first.loading && !first.data && <p>Loading…</p>}
        {first.data && cursor !== null && (
          <button type="button" onClick={loadMore} disabled={mine.busy}>
            {mine.busy ? 'Loading…' : 'Load more'}
          </button>
        )}
      </Section>
    </>
  );
}

function uniqueBy<T>(items: T[], keyOf: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(keyOf(item)) && seen.add(keyOf(item)) !== undefined);
}

const MESSAGE_COLUMNS: ReadonlyArray<Column<MessageSummary>> = [
  { label: 'Message ID', render: (m) => <a href={href('messages', m.messageId)} class="mono">{m.messageId}</a> },
  { label: 'To', render: (m) => m.to },
  { label: 'Channel', render: (m) => m.channel },
  { label: 'Status', render: (m) => <StatusBadge status={m.status} /> },
  { label: 'Error', render: (m) => (m.error && m.error.id !== 0 ? m.error.name : '—') },
  { label: 'Sent', render: (m) => formatTime(m.sentAt ?? m.createdAt) },
  { label: 'Text', render: (m) => m.text, truncate: (m) => m.text },
];

/** Delivered and failed final reports over the last hour. */
function ReportsOverTime() {
  const stats = useLoad(() => api<Stats>('GET', '/hookline/1/stats', { query: { buckets: 60, parts: 'reports' } }), []);
  const chart = useMemo(() => (stats.data ? reportsChart(stats.data.reports) : null), [stats.data]);
  const total = (stats.data?.reports ?? []).reduce((sum, r) => ({ delivered: sum.delivered + r.delivered, failed: sum.failed + r.failed }), { delivered: 0, failed: 0 });
  return (
    <Section title="Reports, last hour" id="reports-chart-title" actions={<button type="button" onClick={stats.reload}>Refresh chart</button>}>
      <ErrorNotice error={stats.error} />
      {chart && <Chart label={`Final reports in the last hour: ${total.delivered} delivered, ${total.failed} failed`} {...chart} />}
    </Section>
  );
}

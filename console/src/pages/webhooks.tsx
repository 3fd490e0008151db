/**
 * Webhooks: each target's health (breaker, success rate, latency), the outbox by delivery state,
 * and recoveries (re-sending a target's deliveries for a time range) with their progress.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Chart, latencyChart } from '../components/charts.tsx';
import { DataTable, type Column } from '../components/data-table.tsx';
import { DeliveryTable } from '../components/deliveries.tsx';
import { Empty, ErrorNotice, Section, SelectField, StateBadge, TextField } from '../components/ui.tsx';
import { formatMs, formatTime, localInputToInfobip, targetLabel } from '../format.ts';
import { messageOf, useInterval, useLoad } from '../hooks.ts';
import type { Delivery, Page, Stats, TargetHealth, TargetRef } from '../types.ts';

interface Recovery {
  id: string;
  target: TargetRef;
  from: string;
  to: string;
  state: 'RUNNING' | 'COMPLETED' | 'CANCELED';
  total: number;
  requeued: number;
  percent: number;
  createdAt: string;
}

const sameTarget = (a: TargetRef, b: TargetRef) => targetLabel(a) === targetLabel(b);

export function WebhooksPage() {
  const [recovering, setRecovering] = useState<TargetRef | null>(null);
  const recoveries = useLoad(() => api<{ results: Recovery[] }>('GET', '/hookline/1/recoveries', { query: { size: 20 } }), []);
  return (
    <>
      <h1>Webhooks</h1>
      <Targets onRecover={setRecovering} />
      {recovering && (
        <RecoveryForm
          target={recovering}
          onClose={() => setRecovering(null)}
          onStarted={() => {
            setRecovering(null);
            recoveries.reload();
          }}
        />
      )}
      <Recoveries list={recoveries.data?.results ?? []} error={recoveries.error} reload={recoveries.reload} />
      <Outbox />
    </>
  );
}

/** A target with its health row (absent for a URL that never failed) and its last hour's attempts. */
interface TargetRow {
  target: TargetRef;
  health: TargetHealth | undefined;
  stats: Stats['targets'][number] | undefined;
}

const TARGET_COLUMNS: ReadonlyArray<Column<TargetRow>> = [
  { label: 'Target', render: (r) => <span class="mono">{targetLabel(r.target)}</span>, truncate: (r) => targetLabel(r.target) },
  {
    label: 'State',
    render: ({ health: h }) => (
      <>
        <StateBadge state={h?.state ?? 'HEALTHY'} />
        {h && h.consecutiveFailures > 0 && <span class="hint"> {h.consecutiveFailures} failures in a row</span>}
      </>
    ),
  },
  { label: 'Success (1 h)', render: ({ stats: s }) => (s ? `${Math.round(s.successRate * 100)} % of ${s.attempts}` : '—'), num: true },
  { label: 'p50 / p90 / p99', render: ({ stats: s }) => (s ? `${formatMs(s.p50Ms)} / ${formatMs(s.p90Ms)} / ${formatMs(s.p99Ms)}` : '—'), num: true },
  { label: 'Waiting', render: ({ health: h }) => (h ? `${h.waitingDeliveries.pending} pending, ${h.waitingDeliveries.retrying} retrying` : '—'), num: true },
  { label: 'Last failure', render: ({ health: h }) => formatTime(h?.lastFailureAt) },
];

function Targets({ onRecover }: { onRecover: (target: TargetRef) => void }) {
  const health = useLoad(() => api<{ results: TargetHealth[] }>('GET', '/hookline/1/targets', { query: { size: 100 } }), []);
  const stats = useLoad(() => api<Stats>('GET', '/hookline/1/stats', { query: { parts: 'targets' } }), []);
  const [error, setError] = useState<string | null>(null);
  const rows = useMemo((): TargetRow[] => {
    const list = health.data?.results ?? [];
    const measured = stats.data?.targets ?? [];
    // Targets with attempts but no health row yet (URLs that never failed) are shown too.
    const extra = measured.filter((m) => !list.some((h) => sameTarget(h.target, m.target)));
    return [
      ...list.map((h) => ({ target: h.target, health: h, stats: measured.find((m) => sameTarget(m.target, h.target)) })),
      ...extra.map((m) => ({ target: m.target, health: undefined, stats: m })),
    ];
  }, [health.data, stats.data]);
  const chart = useMemo(() => (stats.data && stats.data.targets.length > 0 ? latencyChart(stats.data.targets.map((t) => ({ label: targetLabel(t.target), ...t }))) : null), [stats.data]);

  async function enable(target: TargetRef) {
    setError(null);
    try {
      await api('POST', '/hookline/1/targets/enable', { body: target });
      health.reload();
    } catch (failure) {
      setError(messageOf(failure));
    }
  }
  const reload = () => {
    health.reload();
    stats.reload();
  };

  return (
    <Section title="Targets" id="targets-title" actions={<button type="button" onClick={reload}>Refresh targets</button>}>
      <ErrorNotice error={health.error} />
      <ErrorNotice error={stats.error} />
      <ErrorNotice error={error} />
      {health.loading && !health.data ? (
        <p>Loading…</p>
      ) : rows.length === 0 ? (
        <Empty>No webhook target yet: a target shows here once it is a notification profile, has failed, or had attempts in the last hour.</Empty>
      ) : (
        <DataTable
          columns={[
            ...TARGET_COLUMNS,
            {
              label: 'Actions',
              render: ({ target, health: h }) => (
                <div class="row">
                  {h?.state === 'DISABLED' && (
                    <button type="button" onClick={() => enable(target)} aria-label={`Re-enable ${targetLabel(target)}`}>
                      Re-enable
                    </button>
                  )}
                  <button type="button" onClick={() => onRecover(target)} aria-label={`Recover ${targetLabel(target)}`}>
                    Recover…
                  </button>
                </div>
              ),
            },
          ]}
          rows={rows}
          rowKey={(r) => targetLabel(r.target)}
          describedBy="targets-title"
        />
      )}
      {chart && (
        <>
          <h3>Attempt latency per target, last hour</h3>
          <Chart label="Attempt latency percentiles per target (p50, p90, p99) in milliseconds" {...chart} />
        </>
      )}
    </Section>
  );
}

function RecoveryForm({ target, onClose, onStarted }: { target: TargetRef; onClose: () => void; onStarted: () => void }) {
  const hourAgo = new Date(Date.now() - 3_600_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  const [from, setFrom] = useState(hourAgo);
  const [to, setTo] = useState('');
  const [states, setStates] = useState('DROPPED,RETRYING');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // One key per form: a double submit, or a retry after a lost answer, starts one recovery, not two.
  const idempotencyKey = useRef(crypto.randomUUID());
  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await api('POST', '/hookline/1/recoveries', {
        headers: { 'Idempotency-Key': idempotencyKey.current },
        body: { ...target, from: localInputToInfobip(from), ...(to ? { to: localInputToInfobip(to) } : {}), states: states.split(',') },
      });
      onStarted();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Section title={`Recover ${targetLabel(target)}`} id="recovery-form-title">
      <p class="hint">Re-sends the target's deliveries created in the range, at a bounded rate, each in a new retry cycle.</p>
      <form class="inline" onSubmit={submit}>
        <TextField label="Created from" type="datetime-local" step="1" value={from} onInput={setFrom} required />
        <TextField label="Created until (empty: now)" type="datetime-local" step="1" value={to} onInput={setTo} />
        <SelectField
          label="Deliveries"
          value={states}
          onChange={setStates}
          options={[
            ['DROPPED,RETRYING', 'Dropped and retrying'],
            ['DROPPED', 'Dropped only'],
            ['RETRYING', 'Retrying only'],
          ]}
        />
        <button type="submit" class="primary" disabled={busy}>
          Start recovery
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </form>
      <ErrorNotice error={error} />
    </Section>
  );
}

function Recoveries({ list, error, reload }: { list: Recovery[]; error: string | null; reload: () => void }) {
  // Progress moves while a recovery runs: poll until none does.
  useInterval(reload, list.some((r) => r.state === 'RUNNING') ? 1_000 : null);
  const [cancelError, setCancelError] = useState<string | null>(null);
  async function cancel(id: string) {
    setCancelError(null);
    try {
      await api('DELETE', `/hookline/1/recoveries/${encodeURIComponent(id)}`);
      reload();
    } catch (failure) {
      setCancelError(messageOf(failure));
    }
  }
  return (
    <Section title="Recoveries" id="recoveries-title">
      <ErrorNotice error={error} />
      <ErrorNotice error={cancelError} />
      {list.length === 0 ? (
        <Empty>No recovery yet. Start one from a target's “Recover…”.</Empty>
      ) : (
        <ul class="live-feed">
          {list.map((r) => (
            <li key={r.id}>
              <StateBadge state={r.state} />
              <span class="mono truncate">{targetLabel(r.target)}</span>
              <span class="hint">
                {formatTime(r.from)} – {formatTime(r.to)}
              </span>
              <label style={{ flex: '1 1 12rem' }}>
                <span class="hint">
                  {r.requeued} of {r.total} re-queued ({r.percent} %)
                </span>
                <progress max={100} value={r.percent} aria-label={`Recovery ${r.id} progress`} />
              </label>
              {r.state === 'RUNNING' && (
                <button type="button" onClick={() => cancel(r.id)} aria-label={`Cancel recovery ${r.id}`}>
                  Cancel
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

const OUTBOX_STATES = [
  ['RETRYING', 'Retrying'],
  ['PENDING', 'Pending'],
  ['DROPPED', 'Dropped'],
  ['DELIVERED', 'Delivered'],
  ['', 'Every state'],
] as const;

function Outbox() {
  const [state, setState] = useState<string>('RETRYING');
  const page = useLoad(() => api<Page<Delivery>>('GET', '/hookline/1/deliveries', { query: { state, limit: 50 } }), [state]);
  return (
    <Section title="Outbox" id="outbox-title" actions={<button type="button" onClick={page.reload}>Refresh outbox</button>}>
      <div class="filters">
        <SelectField label="Delivery state" value={state} onChange={setState} options={OUTBOX_STATES} />
      </div>
      <ErrorNotice error={page.error} />
      {page.data && (page.data.results.length === 0 ? <Empty>No delivery in this state.</Empty> : <DeliveryTable rows={page.data.results} />)}
      {page.data?.nextCursor && <p class="hint">The newest {page.data.results.length} shown; the attempt log API pages through the rest.</p>}
    </Section>
  );
}

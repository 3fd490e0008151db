/** One webhook delivery: its retry schedule, every attempt with its answer, the payload, and replay. */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { Empty, ErrorNotice, Section, StateBadge } from '../components/ui.tsx';
import { formatMs, formatTime, parseInfobipTime, targetLabel } from '../format.ts';
import { messageOf, useInterval, useLoad } from '../hooks.ts';
import { href } from '../router.ts';
import type { Attempt, Delivery, Page } from '../types.ts';

export function DeliveryPage({ deliveryId }: { deliveryId: string }) {
  const path = `/hookline/1/deliveries/${encodeURIComponent(deliveryId)}`;
  const delivery = useLoad(() => api<Delivery>('GET', path), [deliveryId]);
  const attempts = useLoad(() => api<Page<Attempt>>('GET', `${path}/attempts`, { query: { limit: 100 } }), [deliveryId]);
  const [notice, setNotice] = useState<{ error: string | null; text: string | null }>({ error: null, text: null });
  const [busy, setBusy] = useState(false);
  const d = delivery.data;
  const reload = () => {
    delivery.reload();
    attempts.reload();
  };
  // Keep the page current while an attempt is due soon; a retry 40 hours away needs no polling.
  useInterval(reload, d && attemptDueSoon(d) ? 2_000 : null);

  async function replay() {
    setBusy(true);
    setNotice({ error: null, text: null });
    try {
      const result = await api<Delivery>('POST', `${path}/replay`);
      setNotice({ error: null, text: result.state === 'DELIVERED' ? 'Already delivered.' : 'Replay queued: the same body and webhook-id are sent again now.' });
      reload();
    } catch (failure) {
      setNotice({ error: messageOf(failure), text: null });
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <p>
        <a href={href('webhooks')}>← Webhooks</a>
      </p>
      <h1>
        Delivery <span class="mono">{deliveryId}</span>
      </h1>
      <ErrorNotice error={delivery.error} />
      <ErrorNotice error={notice.error} />
      {notice.text && (
        <p class="notice info" role="status">
          {notice.text}
        </p>
      )}
      {d && (
        <div class="grid-2">
          <Section
            title="Delivery"
            id="delivery-facts"
            actions={
              <button type="button" class="primary" onClick={replay} disabled={busy}>
                Replay delivery
              </button>
            }
          >
            <dl class="facts">
              <dt>State</dt>
              <dd>
                <StateBadge state={d.state} />
                {d.dropReason && ` (${d.dropReason})`}
              </dd>
              <dt>Target</dt>
              <dd class="mono">{targetLabel(d.target)}</dd>
              <dt>Payload</dt>
              <dd>
                {d.family}, {d.contentType}, {d.reportCount} event(s)
              </dd>
              <dt>Attempts</dt>
              <dd>
                {d.attempts} in all, {d.attemptsInCycle} in this cycle, {d.remainingAttempts} remaining
              </dd>
              <dt>Next attempt</dt>
              <dd>{d.nextAttemptAt ? formatTime(d.nextAttemptAt) : '—'}</dd>
              <dt>Last answer</dt>
              <dd>{d.lastStatusCode ?? d.lastError ?? '—'}</dd>
              <dt>Messages</dt>
              <dd>
                {[...new Set(d.reports.map((r) => r.messageId).filter(Boolean))].map((id) => (
                  <a key={id} href={href('messages', id!)} class="mono">
                    {id}{' '}
                  </a>
                ))}
              </dd>
            </dl>
          </Section>
          <Section title="Retry schedule" id="retry-schedule">
            {d.retrySchedule && d.retrySchedule.length > 0 ? (
              <>
                <p class="hint">The earliest each remaining attempt can start if every one fails (a busy queue, an open breaker or a receiver's Retry-After can push one later):</p>
                <ol class="timeline">
                  {d.retrySchedule.map((s) => (
                    <li key={s.attempt} class="wait">
                      Attempt {s.attempt} <span class="when">{formatTime(s.at)}</span>
                    </li>
                  ))}
                </ol>
              </>
            ) : (
              <Empty>No attempt is waiting.</Empty>
            )}
          </Section>
        </div>
      )}
      <Section title="Attempts" id="attempts-title" actions={<button type="button" onClick={reload}>Refresh attempts</button>}>
        <ErrorNotice error={attempts.error} />
        {attempts.data && (attempts.data.results.length === 0 ? <Empty>No attempt yet.</Empty> : <DataTable columns={ATTEMPT_COLUMNS} rows={attempts.data.results} rowKey={(a) => String(a.id)} describedBy="attempts-title" />)}
      </Section>
      {d?.body && (
        <Section title="Payload" id="payload-title">
          <pre class="excerpt">{d.body}</pre>
        </Section>
      )}
    </>
  );
}

const SOON_MS = 30_000;

/** Waiting, and its next attempt due within half a minute (or already due: it is on its way). */
function attemptDueSoon(d: Delivery): boolean {
  if ((d.state !== 'PENDING' && d.state !== 'RETRYING') || !d.nextAttemptAt) return false;
  return parseInfobipTime(d.nextAttemptAt) - Date.now() < SOON_MS;
}

const ATTEMPT_COLUMNS: ReadonlyArray<Column<Attempt>> = [
  { label: '#', render: (a) => a.attempt, num: true },
  { label: 'Started', render: (a) => formatTime(a.startedAt) },
  { label: 'Status', render: (a) => <span class={`badge ${a.statusCode !== null && a.statusCode < 300 ? 'ok' : 'bad'}`}>{a.statusCode ?? 'no answer'}</span> },
  { label: 'Latency', render: (a) => formatMs(a.durationMs), num: true },
  { label: 'Error', render: (a) => (a.errorClass ? `${a.errorClass}: ${a.error ?? ''}` : '—') },
  { label: 'Response', render: (a) => (a.responseExcerpt ? <pre class="excerpt">{a.responseExcerpt}</pre> : '—') },
];

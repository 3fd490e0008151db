/** One message: its facts, its status timeline, and every webhook delivery that carried its events. */
import { api } from '../api.ts';
import { DeliveryTable } from '../components/deliveries.tsx';
import { Empty, ErrorNotice, Section, StatusBadge } from '../components/ui.tsx';
import { formatTime, statusTone } from '../format.ts';
import { useLoad } from '../hooks.ts';
import { WEBHOOK_SCOPES, holdsAny, useMe } from '../me.ts';
import { href } from '../router.ts';
import type { Delivery, MessageSummary, Page, TimelineEntry } from '../types.ts';

interface MessageDetail {
  message: MessageSummary & { notifyUrl: string | null; validityPeriodMs: number };
  timeline: TimelineEntry[];
}

export function MessagePage({ messageId }: { messageId: string }) {
  const me = useMe();
  const detail = useLoad(() => api<MessageDetail>('GET', `/hookline/1/messages/${encodeURIComponent(messageId)}`), [messageId]);
  const m = detail.data?.message;
  return (
    <>
      <p>
        <a href={href('messages')}>← Messages</a>
      </p>
      <h1>
        Message <span class="mono">{messageId}</span>
      </h1>
      <ErrorNotice error={detail.error} />
      {m && (
        <div class="grid-2">
          <Section title="Message" id="message-facts">
            <dl class="facts">
              <dt>Status</dt>
              <dd>
                <StatusBadge status={m.status} />
              </dd>
              <dt>Error</dt>
              <dd>{m.error && m.error.id !== 0 ? `${m.error.name} — ${m.error.description}` : '—'}</dd>
              <dt>Channel</dt>
              <dd>
                {m.channel} ({m.api})
              </dd>
              <dt>From → to</dt>
              <dd>
                {m.from ?? '—'} → {m.to}
              </dd>
              <dt>Bulk ID</dt>
              <dd>
                <a href={`${href('messages')}?bulkId=${encodeURIComponent(m.bulkId)}`} class="mono">
                  {m.bulkId}
                </a>
              </dd>
              <dt>Parts</dt>
              <dd>{m.messageCount}</dd>
              <dt>Webhook URL</dt>
              <dd class="mono">{m.notifyUrl ?? '— (subscriptions or pull)'}</dd>
              <dt>Callback data</dt>
              <dd class="mono">{m.callbackData ?? '—'}</dd>
              <dt>Text</dt>
              <dd>{m.text}</dd>
            </dl>
          </Section>
          <Section title="Status timeline" id="timeline-title">
            <Timeline entries={detail.data!.timeline} />
          </Section>
        </div>
      )}
      {holdsAny(me, WEBHOOK_SCOPES) && <MessageDeliveries messageId={messageId} />}
    </>
  );
}

function Timeline({ entries }: { entries: TimelineEntry[] }) {
  if (entries.length === 0) return <Empty>Nothing has happened yet.</Empty>;
  return (
    <ol class="timeline" aria-labelledby="timeline-title">
      {entries.map((e, i) => (
        <li key={i} class={e.kind === 'REPORT' ? statusTone(e.status?.groupName) : e.kind === 'ACCEPTED' ? 'wait' : 'ok'}>
          <div>
            <strong>{e.kind === 'REPORT' ? (e.final ? (e.failoverStep ? 'Failover step report' : 'Final report') : 'Intermediate report') : e.kind}</strong>{' '}
            {e.status && <StatusBadge status={e.status} />} <span class="when">{formatTime(e.at)}</span>
          </div>
          <div class="when">
            {e.channel}
            {e.error && e.error.id !== 0 && (
              <>
                {' · '}
                <span title={e.error.description}>{e.error.name}</span>
              </>
            )}
            {e.price && ` · ${e.price.pricePerMessage} ${e.price.currency}`}
            {e.url && ` · ${e.url}`}
          </div>
        </li>
      ))}
    </ol>
  );
}

function MessageDeliveries({ messageId }: { messageId: string }) {
  const deliveries = useLoad(() => api<Page<Delivery>>('GET', '/hookline/1/deliveries', { query: { messageId, limit: 100 } }), [messageId]);
  return (
    <Section title="Webhook deliveries" id="message-deliveries" actions={<button type="button" onClick={deliveries.reload}>Refresh deliveries</button>}>
      <ErrorNotice error={deliveries.error} />
      {deliveries.data && (deliveries.data.results.length === 0 ? <Empty>No webhook delivery carried this message's events.</Empty> : <DeliveryTable rows={deliveries.data.results} />)}
    </Section>
  );
}

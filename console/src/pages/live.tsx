/** Live: reports and webhook attempts as they happen, from the server-sent events endpoint. */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { messageOf } from '../hooks.ts';
import { formatMs, formatTime, targetLabel } from '../format.ts';
import { Empty, Section, StateBadge, StatusBadge } from '../components/ui.tsx';
import { MAX_SHOWN, useLiveFeed, type LiveEvent } from '../live.ts';
import type { LiveAttempt } from '../types.ts';
import { href } from '../router.ts';

const STATE_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', refused: 'Not allowed' } as const;

export function LivePage() {
  const feed = useLiveFeed();
  return (
    <>
      <h1>Live</h1>
      <Section
        title="Reports and attempts as they happen"
        id="live-title"
        actions={
          // One polite status line (state and a count) rather than a live list: at a high event
          // rate a screen reader would otherwise read every row.
          <span class="live-state" role="status" data-state={feed.state}>
            {STATE_TEXT[feed.state]}
            {feed.detail && ` (${feed.detail})`}
            {feed.events.length > 0 && ` · ${feed.events.length}${feed.events.length === MAX_SHOWN ? '+' : ''} events`}
          </span>
        }
      >
        {feed.events.length === 0 ? (
          <Empty>Waiting for the next report or webhook attempt…</Empty>
        ) : (
          <ul class="live-feed" aria-labelledby="live-title">
            {feed.events.map((event) => (
              <LiveItem key={`${event.type}-${event.type === 'report' ? event.data.reportId : event.data.attemptId}`} event={event} />
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

function LiveItem({ event }: { event: LiveEvent }) {
  if (event.type === 'report') {
    const r = event.data;
    return (
      <li data-kind="report">
        <strong>Report</strong>
        <a href={href('messages', r.messageId)} class="mono">
          {r.messageId}
        </a>
        <span>{r.channel}</span>
        <span>→ {r.to}</span>
        <StatusBadge status={r.status} />
        {r.error && r.error.id !== 0 && <span>{r.error.name}</span>}
        <span class="hint">{r.final ? 'final' : 'intermediate'}</span>
        <span class="hint">{formatTime(r.doneAt)}</span>
      </li>
    );
  }
  return <AttemptItem attempt={event.data} />;
}

/** A failed attempt offers its replay right where the failure shows; the replay's attempt then arrives in the feed. */
function AttemptItem({ attempt: a }: { attempt: LiveAttempt }) {
  const [replay, setReplay] = useState<{ text: string; error: boolean } | null>(null);
  const ok = a.statusCode !== null && a.statusCode >= 200 && a.statusCode < 300;
  async function replayDelivery() {
    try {
      await api('POST', `/hookline/1/deliveries/${encodeURIComponent(a.deliveryId)}/replay`);
      setReplay({ text: 'replay queued', error: false });
    } catch (failure) {
      setReplay({ text: messageOf(failure), error: true });
    }
  }
  return (
    <li data-kind="attempt" data-delivery={a.deliveryId}>
      <strong>Attempt {a.attempt}</strong>
      <a href={href('webhooks', a.deliveryId)} class="mono">
        {a.deliveryId}
      </a>
      <span class="truncate mono">{targetLabel(a.target)}</span>
      <span class={`badge ${ok ? 'ok' : 'bad'}`}>{a.statusCode ?? a.errorClass ?? 'no answer'}</span>
      <span>{formatMs(a.durationMs)}</span>
      <StateBadge state={a.deliveryState} />
      {a.error && <span class="hint">{a.error}</span>}
      <span class="hint">{formatTime(a.startedAt)}</span>
      {!ok && a.deliveryState !== 'DELIVERED' && !replay && (
        <button type="button" onClick={replayDelivery} aria-label={`Replay delivery ${a.deliveryId}`}>
          Replay
        </button>
      )}
      {replay && (
        <span class={replay.error ? 'notice error' : 'hint'} role="status">
          {replay.text}
        </span>
      )}
    </li>
  );
}

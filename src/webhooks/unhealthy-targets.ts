/**
 * What the dispatcher does about targets that are not healthy (target-health.ts keeps their
 * state): picks the probe of a target whose breaker is open, drops the deliveries of a target a
 * 410 disabled, and turns drops and health changes into operational events.
 */
import { sql, type Transaction } from 'kysely';
import { chunkRows, type DialectProfile } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import type { SendResult } from './http-sender.ts';
import { writeOperationalEvents, type OperationalEvent } from './operational-events.ts';
import { accountTargetOf, isOneOf, pairChunks, setFailingNotified, TARGET_GONE, type AccountTarget, type HealthChange, type TargetHealth } from './target-health.ts';
import type { TargetResolver } from './targets.ts';

/** Deliveries of disabled targets dropped per claim or completion. */
const DROP_BATCH = 500;

/** Written as the partial indexes' WHERE, so both databases use them. */
const WAITING_SQL = sql<boolean>`state in ('PENDING', 'RETRYING')`;

/** A delivery dropped without (more) requests, for its operational event. */
export interface Dropped {
  id: string;
  account_id: string;
  target_url: string;
  attempts: number;
  reason: string;
  last_status_code: number | null;
  last_error: string | null;
}

/** One finished attempt, as the health events need it. */
export interface FinishedAttempt {
  target: string;
  accountId: string;
  result: Pick<SendResult, 'statusCode' | 'error'>;
}

/** The `webhook.delivery.dropped` event for a dropped delivery. */
export const droppedEvent = (d: Dropped): OperationalEvent => ({
  accountId: d.account_id,
  type: 'webhook.delivery.dropped',
  target: d.target_url,
  data: { deliveryId: d.id, reason: d.reason, attempts: d.attempts, lastStatusCode: d.last_status_code, lastError: d.last_error },
});

/**
 * The probe of a target whose breaker is open for an account: the account's oldest waiting
 * delivery to it, if that is due and not in flight. Always the same delivery until it is
 * delivered or dropped, so however many workers look, one request at a time tests the target, on
 * that delivery's own schedule.
 */
export async function probeOf(trx: Transaction<Database>, now: number, { accountId, target }: AccountTarget): Promise<string | null> {
  const oldest = await trx
    .selectFrom('deliveries')
    .select(['id', 'next_attempt_at', 'lease_until'])
    .where(WAITING_SQL)
    .where('target_url', '=', target)
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  if (!oldest || Number(oldest.next_attempt_at) > now) return null;
  return oldest.lease_until !== null && Number(oldest.lease_until) >= now ? null : oldest.id;
}

/**
 * A disabled (410) target's waiting deliveries are DROPPED without a request, and reported —
 * DROP_BATCH at a time, so a huge backlog never makes one huge transaction. True when some were
 * dropped: their events are due now, and more may wait (the pass runs again at once).
 */
export async function dropForGoneTargets(
  trx: Transaction<Database>,
  profile: DialectProfile,
  resolver: TargetResolver,
  targets: readonly AccountTarget[],
  now: number,
): Promise<boolean> {
  const dropped: Dropped[] = [];
  for (const chunk of pairChunks(targets)) {
    if (dropped.length >= DROP_BATCH) break;
    const rows = await trx
      .updateTable('deliveries')
      .set({ state: 'DROPPED', drop_reason: TARGET_GONE, done_at: now, next_attempt_at: null })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('deliveries')
          .select('id')
          .where((w) => isOneOf(w, chunk, { account: 'account_id', target: 'target_url' }))
          .where(WAITING_SQL)
          .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
          .limit(DROP_BATCH - dropped.length),
      )
      .returning(['id', 'account_id', 'target_url', 'attempts', 'last_status_code', 'last_error'])
      .execute();
    dropped.push(...rows.map((r) => ({ ...r, reason: TARGET_GONE })));
  }
  if (dropped.length === 0) return false;
  for (const chunk of chunkRows(dropped.map((d) => ({ id: d.id })), profile)) {
    await trx.updateTable('outbox').set({ state: 'DROPPED' }).where('delivery_id', 'in', chunk.map((c) => c.id)).execute();
  }
  await writeOperationalEvents(trx, profile, resolver, dropped.map(droppedEvent), now);
  return true;
}

/**
 * `webhook.target.failing` once per failure streak (the breaker opened, or a 410 disabled the
 * target) and `webhook.target.recovered` when a target that was reported failing delivers again.
 */
export async function healthEvents(
  trx: Transaction<Database>,
  changes: Map<string, HealthChange>,
  health: Map<string, TargetHealth>,
  finished: readonly FinishedAttempt[],
  now: number,
): Promise<OperationalEvent[]> {
  const events: OperationalEvent[] = [];
  for (const [key, change] of changes) {
    const state = health.get(key)!;
    const at = accountTargetOf(key);
    const { accountId, target } = at;
    const last = finished.filter((a) => a.accountId === accountId && a.target === target).at(-1)!;
    if (change === 'closed') {
      if (!state.failingNotified) continue;
      events.push({ accountId, type: 'webhook.target.recovered', target, data: {} });
      await setFailingNotified(trx, at, false, now);
      continue;
    }
    // A 410 is news even while the target was already reported failing for its breaker.
    if (state.failingNotified && change !== 'disabled') continue;
    const data = {
      reason: change === 'disabled' ? TARGET_GONE : 'CONSECUTIVE_FAILURES',
      consecutiveFailures: state.consecutiveFailures,
      lastStatusCode: last.result.statusCode,
      lastError: last.result.error,
    };
    events.push({ accountId, type: 'webhook.target.failing', target, data });
    await setFailingNotified(trx, at, true, now);
  }
  return events;
}

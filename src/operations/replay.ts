/**
 * Replaying one delivery: the recorded body, the same id (so the same `webhook-id`), due now, in a
 * fresh retry cycle (requeueDeliveries). Idempotent: a delivery that is already waiting for an
 * attempt due now — PENDING, RETRYING and due, or in flight — is left as it is, so replaying twice
 * sends once. A RETRYING delivery whose next attempt is later is brought forward (a new cycle).
 *
 * The decision and the re-queue are one transaction, the row locked on PostgreSQL, so two replays
 * at once re-queue it once (SQLite runs one write transaction at a time anyway).
 */
import type { Kysely } from 'kysely';
import type { DialectProfile } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import { requeueDeliveries } from '../webhooks/requeue.ts';
import { isDisabled } from '../webhooks/target-health.ts';

/** requeued: sent again soon; waiting: already on its way, nothing done; disabled: its target answered 410; gone: no such delivery. */
export type ReplayOutcome = 'requeued' | 'waiting' | 'disabled' | 'gone';

interface ReplayState {
  state: string;
  next_attempt_at: number | null;
  lease_until: number | null;
}

/** Whether an attempt is already due or running, so a replay would add nothing. */
export function alreadyWaiting(row: ReplayState, now: number): boolean {
  if (row.state === 'PENDING') return true;
  // In flight: a live lease (requeueDeliveries leaves those alone too).
  if (row.lease_until !== null && Number(row.lease_until) >= now) return true;
  return row.state === 'RETRYING' && row.next_attempt_at !== null && Number(row.next_attempt_at) <= now;
}

export async function replayDelivery(db: Kysely<Database>, profile: DialectProfile, deliveryId: string, now: number): Promise<ReplayOutcome> {
  return db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('deliveries').select(['account_id', 'state', 'target_url', 'next_attempt_at', 'lease_until']).where('id', '=', deliveryId);
    if (profile.skipLocked) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) return 'gone';
    // A disabled target would drop it again without a request: say so instead of pretending.
    if (await isDisabled(trx, { accountId: row.account_id, target: row.target_url })) return 'disabled';
    if (alreadyWaiting(row, now)) return 'waiting';
    const requeued = await requeueDeliveries(trx, profile, [deliveryId], now);
    return requeued.length > 0 ? 'requeued' : 'waiting';
  });
}

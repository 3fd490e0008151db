/**
 * Replay and recovery put deliveries back in line: the same frozen body and the same id (so the
 * same `webhook-id`), due now, with a fresh retry cycle (cycle_base = attempts made so far; the
 * schedule counts only the attempts of the current cycle). Their outbox rows go back to BATCHED,
 * so later reports of the same messages still wait behind them.
 *
 * A delivery in flight (leased) or never attempted (PENDING) is left as it is: re-queuing is
 * idempotent.
 */
import type { Kysely } from 'kysely';
import { chunkRows, type DialectProfile } from '../store/database.ts';
import type { Database } from '../store/schema.ts';

export async function requeueDeliveries(trx: Kysely<Database>, profile: DialectProfile, ids: readonly string[], now: number): Promise<string[]> {
  const requeued: string[] = [];
  for (const chunk of chunkRows(ids.map((id) => ({ id })), profile)) {
    const rows = await trx
      .updateTable('deliveries')
      .set((eb) => ({
        state: 'RETRYING',
        next_attempt_at: now,
        cycle_base: eb.ref('attempts'),
        drop_reason: null,
        done_at: null,
        // An expired lease's owner may still finish late: without the lease it cannot overwrite this.
        lease_owner: null,
        lease_until: null,
      }))
      .where('id', 'in', chunk.map((c) => c.id))
      .where('state', 'in', ['RETRYING', 'DELIVERED', 'DROPPED'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .returning('id')
      .execute();
    if (rows.length === 0) continue;
    await trx.updateTable('outbox').set({ state: 'BATCHED' }).where('delivery_id', 'in', rows.map((r) => r.id)).execute();
    requeued.push(...rows.map((r) => r.id));
  }
  return requeued;
}

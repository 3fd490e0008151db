/**
 * Retention: messages, reports and delivered webhook rows older than RETENTION_HOURS are
 * removed, in small batches so the single writer is never held for long. Nothing that work
 * still depends on is touched: scheduled or in-flight messages, undelivered outbox rows, and
 * DROPPED deliveries (kept for inspection) all stay. Expired pull-queue entries go after 48 h.
 */
import { sql, type Kysely } from 'kysely';
import type { PassResult } from '../lib/worker-loop.ts';
import type { Database } from './schema.ts';

const BATCH = 2_000;
export const SWEEP_INTERVAL_MS = 60_000;

export function createSweepPass(db: Kysely<Database>, retentionMs: number): (now: number) => Promise<PassResult> {
  return async function sweepPass(now: number): Promise<PassResult> {
    const cutoff = now - retentionMs;
    let removed = 0;
    removed += await deleteInBatch(db, 'pull_queue', sql`expires_at <= ${now}`);
    removed += await db.transaction().execute(async (trx) => {
      const old = await trx.selectFrom('deliveries').select('id').where('state', '=', 'DELIVERED').where('done_at', '<', cutoff).limit(BATCH).execute();
      if (old.length === 0) return 0;
      const ids = old.map((d) => d.id);
      await trx.deleteFrom('attempts').where('delivery_id', 'in', ids).execute();
      await trx.deleteFrom('outbox').where('delivery_id', 'in', ids).execute();
      await trx.deleteFrom('deliveries').where('id', 'in', ids).execute();
      return ids.length;
    });
    removed += await db.transaction().execute(async (trx) => {
      const old = await trx
        .selectFrom('messages as m')
        .select('m.pk')
        .where('m.created_at', '<', cutoff)
        .where('m.state', 'in', ['FINAL', 'CANCELED', 'REJECTED'])
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('outbox as o').select('o.id').whereRef('o.message_pk', '=', 'm.pk').where('o.state', 'in', ['READY', 'BATCHED']))),
        )
        .limit(BATCH)
        .execute();
      if (old.length === 0) return 0;
      const pks = old.map((m) => m.pk);
      await trx.deleteFrom('reports').where('message_pk', 'in', pks).execute();
      await trx.deleteFrom('messages').where('pk', 'in', pks).execute();
      return pks.length;
    });
    return { more: removed >= BATCH, nextDueAt: now + SWEEP_INTERVAL_MS };
  };
}

async function deleteInBatch(db: Kysely<Database>, table: 'pull_queue', condition: ReturnType<typeof sql>): Promise<number> {
  const result = await sql`delete from ${sql.table(table)} where id in (select id from ${sql.table(table)} where ${condition} limit ${BATCH})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

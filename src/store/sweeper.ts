/**
 * Retention: messages (with their SMPP parts), reports, engagements, emptied bulks, inbound messages, clicks,
 * short links, unfinished SMPP inbound parts and unmatched SMPP receipts older than
 * RETENTION_HOURS are removed, in small batches so the writer is never held for long. Nothing that
 * work still depends on is touched: scheduled or in-flight messages and undelivered outbox rows
 * stay. Expired pull-queue and inbox entries go after 48 h; inbound messages after RETENTION_HOURS,
 * once none of their pushes is still waiting.
 *
 * Webhook history is the attempt log (src/operations/) and what replays re-send, so it has its own,
 * longer retention, WEBHOOK_LOG_RETENTION_DAYS: a finished delivery (DELIVERED or DROPPED), its
 * outbox rows and its attempts go that long after it finished. A waiting delivery's attempts older
 * than that go too: a retry cycle lasts at most 42 h, so this only touches deliveries replayed or
 * recovered long after their first attempts. Finished recoveries and target health rows that hold
 * nothing but history (not disabled, breaker closed) follow the same retention.
 * With several workers on one database, one sweeps at a time (an advisory transaction lock).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { SESSION_IDLE_MS } from '../auth/sessions.ts';
import type { PassResult } from '../lib/worker-loop.ts';
import type { DialectProfile } from './dialect.ts';
import { MO_FAMILY, type Database, type PayloadFamily } from './schema.ts';

const BATCH = 2_000;
export const SWEEP_INTERVAL_MS = 60_000;
/** Any constant works; it only has to be the same in every Hookline process. */
const SWEEP_LOCK_KEY = 7_146_301;

export function createSweepPass(
  db: Kysely<Database>,
  profile: DialectProfile,
  retentionMs: number,
  logRetentionMs: number,
): (now: number) => Promise<PassResult> {
  /** Runs one sweep step in a transaction, unless another process is sweeping right now. */
  const step = (work: (trx: Transaction<Database>) => Promise<number>) =>
    db.transaction().execute(async (trx) => {
      if (profile.multiProcess) {
        const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${SWEEP_LOCK_KEY}) as locked`.execute(trx);
        if (!rows[0]?.locked) return 0;
      }
      return work(trx);
    });

  return async function sweepPass(now: number): Promise<PassResult> {
    const cutoff = now - retentionMs;
    const logCutoff = now - logRetentionMs;
    let removed = 0;
    removed += await step(async (trx) => {
      const result = await sql`delete from pull_queue where id in (select id from pull_queue where expires_at <= ${now} limit ${BATCH})`.execute(trx);
      return Number(result.numAffectedRows ?? 0);
    });
    removed += await step(async (trx) => {
      const result = await sql`delete from inbox_queue where id in (select id from inbox_queue where expires_at <= ${now} limit ${BATCH})`.execute(trx);
      return Number(result.numAffectedRows ?? 0);
    });
    // Inbound messages and clicks, like messages, once no push of theirs is still waiting (outbox
    // rows of events without a message carry minus the event's id; see OutboxTable.message_pk).
    const clickFamilies: PayloadFamily[] = ['sms-click'];
    const eventTables = [['inbound_messages', Object.values(MO_FAMILY), 'created_at'], ['clicks', clickFamilies, 'clicked_at']] as const;
    for (const [table, families, time] of eventTables) {
      removed += await step(async (trx) => {
        const result = await sql`
          delete from ${sql.table(table)} where id in (
            select e.id from ${sql.table(table)} e
            where e.${sql.ref(time)} < ${cutoff}
              and not exists (select 1 from outbox o where o.message_pk = -e.id and o.family in (${sql.join(families.map((f) => sql.lit(f)))}) and o.state in ('READY', 'BATCHED'))
            limit ${BATCH})`.execute(trx);
        return Number(result.numAffectedRows ?? 0);
      });
    }
    removed += await step(async (trx) => {
      // Short links once their message is gone (the link then answers 404).
      const result = await sql`
        delete from short_links where code in (
          select l.code from short_links l
          where l.created_at < ${cutoff} and not exists (select 1 from messages m where m.pk = l.message_pk)
          limit ${BATCH})`.execute(trx);
      return Number(result.numAffectedRows ?? 0);
    });
    removed += await step(async (trx) => {
      const old = await trx
        .selectFrom('deliveries')
        .select('id')
        .where('state', 'in', ['DELIVERED', 'DROPPED'])
        .where('done_at', '<', logCutoff)
        .limit(BATCH)
        .execute();
      if (old.length === 0) return 0;
      const ids = old.map((d) => d.id);
      await trx.deleteFrom('attempts').where('delivery_id', 'in', ids).execute();
      await trx.deleteFrom('outbox').where('delivery_id', 'in', ids).execute();
      await trx.deleteFrom('deliveries').where('id', 'in', ids).execute();
      return ids.length;
    });
    removed += await step(async (trx) => {
      // Old attempts of deliveries that still wait (see the header).
      const result = await sql`delete from attempts where id in (select id from attempts where started_at < ${logCutoff} limit ${BATCH})`.execute(trx);
      return Number(result.numAffectedRows ?? 0);
    });
    removed += await step(async (trx) => {
      // Finished recoveries, and health rows with nothing to remember (a disabled target stays until
      // an operator re-enables it), after the log retention like the deliveries they were about.
      const recoveries = await trx.deleteFrom('recoveries').where('state', '!=', 'RUNNING').where('updated_at', '<', logCutoff).executeTakeFirst();
      const health = await trx
        .deleteFrom('target_health')
        .where('disabled_at', 'is', null)
        .where('opened_at', 'is', null)
        .where('updated_at', '<', logCutoff)
        .executeTakeFirst();
      return Number(recoveries.numDeletedRows) + Number(health.numDeletedRows);
    });
    removed += await step(async (trx) => {
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
      await trx.deleteFrom('engagements').where('message_pk', 'in', pks).execute();
      await trx.deleteFrom('smpp_parts').where('message_pk', 'in', pks).execute();
      await trx.deleteFrom('messages').where('pk', 'in', pks).execute();
      return pks.length;
    });
    removed += await step(async (trx) => {
      // A bulk whose messages are all gone is history too (and its id may be reused later).
      const result = await sql`
        delete from bulks where (account_id, bulk_id) in (
          select b.account_id, b.bulk_id from bulks b
          where b.created_at < ${cutoff}
            and not exists (select 1 from messages m where m.account_id = b.account_id and m.bulk_id = b.bulk_id)
          limit ${BATCH})`.execute(trx);
      return Number(result.numAffectedRows ?? 0);
    });
    removed += await step(async (trx) => {
      // SMPP leftovers: parts of inbound messages that never came whole, receipts for ids no part ever got.
      const parts = await trx.deleteFrom('smpp_inbound_parts').where('received_at', '<', cutoff).executeTakeFirst();
      const receipts = await trx.deleteFrom('smpp_pending_receipts').where('received_at', '<', cutoff).executeTakeFirst();
      return Number(parts.numDeletedRows) + Number(receipts.numDeletedRows);
    });
    removed += await step(async (trx) => {
      // Lapsed credentials and ended throttle windows; the idle limit mirrors auth/sessions.ts.
      const sessions = await trx.deleteFrom('sessions').where('last_seen_at', '<', now - SESSION_IDLE_MS).executeTakeFirst();
      const tokens = await trx.deleteFrom('oauth_tokens').where('expires_at', '<=', now).executeTakeFirst();
      const counters = await trx.deleteFrom('throttle_counters').where('window_end', '<=', now).executeTakeFirst();
      return Number(sessions.numDeletedRows) + Number(tokens.numDeletedRows) + Number(counters.numDeletedRows);
    });
    return { more: removed >= BATCH, nextDueAt: now + SWEEP_INTERVAL_MS };
  };
}

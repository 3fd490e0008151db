/**
 * Forms deliveries from reports waiting in the outbox. A delivery is one POST body: up to
 * WEBHOOK_BUCKET_SIZE (or the profile's maxBucketSize) reports of one (account, target,
 * payload family, content type); a target is a webhook URL or a notification profile.
 * There is no lingering to fill a bucket — whatever is due now goes now.
 *
 * Per-message order: a report is not batched while an earlier report of the same message to
 * the same target is still READY or BATCHED (not yet delivered or dropped).
 *
 * A delivery carries only events that still exist. When every event of a bucket is gone by the
 * time it is formed (its message swept), there is nothing to send: no delivery is formed and
 * those outbox rows are deleted, so no empty body (`{}`, `{"results":[]}`) is ever pushed.
 */
import { sql, type Insertable, type Kysely } from 'kysely';
import { newDeliveryId } from '../lib/ids.ts';
import { chunkRows, type DialectProfile } from '../store/database.ts';
import type { Database, PayloadFamily } from '../store/schema.ts';
import { typedValues } from '../store/values.ts';
import { PAYLOADS, renderDeliveryBody } from './render.ts';

export interface FormOptions {
  bucketSize: number;
  /** A target's own bucket size (a notification profile's maxBucketSize), if it has one. */
  bucketSizeOf?: (trx: Kysely<Database>, target: string) => Promise<number | undefined>;
  /** Most outbox rows looked at in one pass. */
  limit: number;
}

export async function formDeliveries(db: Kysely<Database>, profile: DialectProfile, now: number, options: FormOptions): Promise<{ formed: number; more: boolean }> {
  return db.transaction().execute(async (trx) => {
    let query = trx
      .selectFrom('outbox as o')
      .select(['o.id', 'o.account_id', 'o.report_id', 'o.target_url', 'o.family', 'o.content_type', 'o.created_at'])
      // States are literals, not parameters, so both databases can use the partial indexes
      // outbox_ready and outbox_pending (a bound parameter cannot prove an index's WHERE).
      .where(sql<boolean>`o.state = 'READY'`)
      // "No earlier pending report of this message to this target", written as a scalar subquery
      // with LIMIT rather than NOT EXISTS: PostgreSQL runs it per row as an index lookup, where it
      // could turn NOT EXISTS into an anti-join that scans the whole index per row when its
      // statistics (taken while idle) say the outbox is empty — seconds per pass under a burst.
      .where((eb) =>
        eb(
          eb
            .selectFrom('outbox as p')
            .select('p.id')
            .whereRef('p.message_pk', '=', 'o.message_pk')
            .whereRef('p.target_url', '=', 'o.target_url')
            // Outbox ids follow recording order across payload families (a message's SEEN after its DELIVERY).
            .whereRef('p.id', '<', 'o.id')
            .where(sql<boolean>`p.state in ('READY', 'BATCHED')`)
            .limit(1),
          'is',
          null,
        ),
      )
      .orderBy('o.id')
      .limit(options.limit);
    if (profile.skipLocked) query = query.forUpdate().skipLocked();
    const rows = await query.execute();
    if (rows.length === 0) return { formed: 0, more: false };

    const groups = new Map<string, typeof rows>();
    for (const row of rows) {
      const key = JSON.stringify([row.account_id, row.target_url, row.family, row.content_type]);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(row);
    }

    const views = new Map<PayloadFamily, Map<number, unknown>>();
    for (const family of new Set(rows.map((r) => r.family))) {
      views.set(family, await PAYLOADS[family].load(trx, rows.filter((r) => r.family === family).map((r) => Number(r.report_id))));
    }
    const deliveries: Insertable<Database['deliveries']>[] = [];
    const members: Array<{ deliveryId: string; outboxIds: number[] }> = [];
    const vanished: Array<{ id: number }> = [];
    for (const group of groups.values()) {
      const targetBucket = (await options.bucketSizeOf?.(trx, group[0].target_url)) ?? options.bucketSize;
      // A payload family may carry fewer events per request than any bucket (a CLICK is one object per request).
      const bucketSize = Math.min(targetBucket, PAYLOADS[group[0].family].maxPerDelivery ?? targetBucket);
      for (let i = 0; i < group.length; i += bucketSize) {
        const bucket = group.slice(i, i + bucketSize);
        const first = bucket[0];
        const events = bucket.map((r) => views.get(first.family)!.get(Number(r.report_id))).filter((v) => v !== undefined);
        if (events.length === 0) {
          vanished.push(...bucket.map((r) => ({ id: Number(r.id) })));
          continue;
        }
        const id = newDeliveryId();
        deliveries.push({
          id,
          account_id: first.account_id,
          target_url: first.target_url,
          family: first.family,
          content_type: first.content_type,
          body: renderDeliveryBody(first.family, first.content_type, events),
          report_count: bucket.length,
          state: 'PENDING',
          attempts: 0,
          next_attempt_at: now,
          lease_owner: null,
          lease_until: null,
          last_status_code: null,
          last_error: null,
          created_at: now,
          done_at: null,
          drop_reason: null,
          first_event_at: Math.min(...bucket.map((r) => Number(r.created_at))),
        });
        members.push({ deliveryId: id, outboxIds: bucket.map((r) => Number(r.id)) });
      }
    }
    for (const chunk of chunkRows(deliveries, profile)) await trx.insertInto('deliveries').values(chunk).execute();
    for (const chunk of chunkRows(vanished, profile)) await trx.deleteFrom('outbox').where('id', 'in', chunk.map((v) => v.id)).execute();
    // One statement per chunk rather than one per delivery: UPDATE … FROM (VALUES …) works alike
    // on SQLite and PostgreSQL.
    const batched = members.flatMap(({ deliveryId, outboxIds }) => outboxIds.map((id) => ({ id, deliveryId })));
    for (const chunk of chunkRows(batched, profile)) {
      const values = typedValues(chunk.map((b) => [b.id, b.deliveryId]), ['bigint', 'text']);
      await sql`update outbox set state = 'BATCHED', delivery_id = v.column2 from (values ${values}) as v where outbox.id = v.column1`.execute(trx);
    }
    // Rows that waited behind a vanished one (same message and target) may go now: another pass.
    return { formed: deliveries.length, more: rows.length === options.limit || vanished.length > 0 };
  });
}

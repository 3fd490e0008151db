/**
 * The numbers behind the console's dashboard, for one account and one time window [from, to):
 *
 * - final reports (a message's last word: final = 1, not a failover step) counted per time bucket
 *   and status, of the API families the caller may read;
 * - webhook attempts counted per target (all of them, exactly), and the durations of the newest
 *   MAX_DURATION_ROWS of them, from which stats-routes.ts takes percentiles.
 *
 * Grouping happens in SQL on both databases. The window is cut into `buckets` buckets, bucket i
 * starting at from + floor(i * span / buckets) (span = to - from), so exactly `buckets` come back
 * whatever the span; a time d ms after `from` is in bucket floor(((d + 1) * buckets - 1) / span),
 * the last i whose start is ≤ d. That is computed on non-negative integers (the parameters cast to
 * bigint: better-sqlite3 binds numbers as reals), so integer division is the floor on both.
 */
import { sql, type Kysely } from 'kysely';
import type { ApiFamily, Database } from '../store/schema.ts';

/** Most attempts whose durations are read for the percentiles: the newest of the window. */
export const MAX_DURATION_ROWS = 20_000;

export interface Window {
  accountId: string;
  from: number;
  to: number;
}

export interface StatusCount {
  bucket: number;
  statusId: number;
  count: number;
}

/** Where bucket i of `buckets` starts (the window split as evenly as whole milliseconds allow; exact past 2^53). */
export const bucketStart = (w: Window, buckets: number, i: number): number => w.from + Number((BigInt(i) * BigInt(w.to - w.from)) / BigInt(buckets));

/**
 * Final reports per bucket and status (families never empty: the caller checks; 1 ≤ buckets ≤
 * to - from). One account's final reports done in [from, to): a range of reports_account_final_done.
 */
export async function finalReportCounts(db: Kysely<Database>, w: Window, buckets: number, families: readonly ApiFamily[]): Promise<StatusCount[]> {
  const int = (n: number) => sql<number>`cast(${n} as bigint)`;
  const bucket = sql<number>`cast(((r.done_at - ${int(w.from)} + 1) * ${int(buckets)} - 1) / ${int(w.to - w.from)} as integer)`;
  const rows = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('reports as r')
        .innerJoin('messages as m', 'm.pk', 'r.message_pk')
        .select([bucket.as('bucket'), 'r.status_id'])
        .where('r.account_id', '=', w.accountId)
        .where('r.final', '=', 1)
        .where('r.failover_step', '=', 0)
        .where('r.done_at', '>=', w.from)
        .where('r.done_at', '<', w.to)
        .where('m.family', 'in', [...families])
        .as('f'),
    )
    .select(['f.bucket', 'f.status_id', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['f.bucket', 'f.status_id'])
    .execute();
  return rows.map((r) => ({ bucket: Number(r.bucket), statusId: Number(r.status_id), count: Number(r.n) }));
}

export interface TargetCount {
  target: string;
  attempts: number;
  succeeded: number;
}

/** The target an attempt went to: its own, or (attempts older than that column) its delivery's. */
const targetOf = sql<string>`coalesce(a.target_url, d.target_url)`;

/** Every attempt of the window, counted per target; succeeded = answered 2xx (no error class). */
export async function attemptCounts(db: Kysely<Database>, w: Window): Promise<TargetCount[]> {
  const rows = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('attempts as a')
        .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
        .select([targetOf.as('target'), sql<number>`case when a.error_class is null then 1 else 0 end`.as('ok')])
        .where('a.account_id', '=', w.accountId)
        .where('a.started_at', '>=', w.from)
        .where('a.started_at', '<', w.to)
        .as('t'),
    )
    .select(['t.target', (eb) => eb.fn.countAll<number>().as('attempts'), (eb) => eb.fn.sum<number>('t.ok').as('succeeded')])
    .groupBy('t.target')
    .execute();
  return rows.map((r) => ({ target: r.target, attempts: Number(r.attempts), succeeded: Number(r.succeeded) }));
}

/** Durations (ms) of the newest MAX_DURATION_ROWS attempts of the window, by target. */
export async function recentDurations(db: Kysely<Database>, w: Window): Promise<Map<string, number[]>> {
  const rows = await db
    .selectFrom('attempts as a')
    .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
    .select([targetOf.as('target'), 'a.duration_ms'])
    .where('a.account_id', '=', w.accountId)
    .where('a.started_at', '>=', w.from)
    .where('a.started_at', '<', w.to)
    .orderBy('a.started_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(MAX_DURATION_ROWS)
    .execute();
  const byTarget = new Map<string, number[]>();
  for (const row of rows) {
    const list = byTarget.get(row.target) ?? [];
    list.push(Number(row.duration_ms));
    byTarget.set(row.target, list);
  }
  return byTarget;
}

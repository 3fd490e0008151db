/**
 * Reading the attempt log's deliveries. Every query is scoped to one account and ordered newest
 * first on (created_at, id), the keyset the cursor pages on. It is driven from the narrowest
 * filter given (see Driver):
 *
 * - by message or bulk: the outbox rows that carried their events (outbox_message, outbox_bulk)
 *   name the deliveries (outbox.delivery_id, then the primary key), whatever target they went to;
 * - by target (a URL, or a profile's `profile:<account>/<profileId>`): deliveries_target_created;
 * - by account alone: deliveries_account_created (account_id, created_at).
 */
import { sql, type Expression, type Kysely, type Selectable, type SqlBool } from 'kysely';
import type { Database, DeliveriesTable, DeliveryState } from '../store/schema.ts';
import { after, type Position } from './cursor.ts';

/** What a list asks for; the account is always set (the caller's, or the one an operator named). */
export interface DeliveryFilter {
  accountId: string;
  messageId?: string;
  bulkId?: string;
  /** A delivery target as stored: a URL, or profileTarget(account, profileId). */
  target?: string;
  states?: readonly DeliveryState[];
  /** created_at ≥ from. */
  from?: number;
  /** created_at < to. */
  to?: number;
  after?: Position<string>;
  limit: number;
}

/** A delivery without its body (lists leave the payloads out). */
export type DeliverySummary = Omit<Selectable<DeliveriesTable>, 'body' | 'lease_owner'>;

/** One event a delivery carried, as its outbox row remembers it. */
export interface CarriedReport {
  messageId: string | null;
  bulkId: string | null;
  reportId: number;
}

const SUMMARY_COLUMNS = [
  'd.id',
  'd.account_id',
  'd.target_url',
  'd.family',
  'd.content_type',
  'd.report_count',
  'd.state',
  'd.attempts',
  'd.next_attempt_at',
  'd.lease_until',
  'd.last_status_code',
  'd.last_error',
  'd.created_at',
  'd.done_at',
  'd.drop_reason',
  'd.cycle_base',
  'd.first_event_at',
] as const;

/** The ids of the account's deliveries that carried an event of the given message or bulk. */
export function deliveriesCarrying(db: Kysely<Database>, accountId: string, by: { messageId?: string; bulkId?: string }) {
  let q = db.selectFrom('outbox as o').select('o.delivery_id').where('o.account_id', '=', accountId).where('o.delivery_id', 'is not', null);
  if (by.messageId !== undefined) q = q.where('o.message_id', '=', by.messageId);
  if (by.bulkId !== undefined) q = q.where('o.bulk_id', '=', by.bulkId);
  return q.$narrowType<{ delivery_id: string }>();
}

/**
 * Which filter a query is driven from: the narrowest one given. SQLite keeps no statistics, so
 * left to itself it drives every query from the account's index (it reads rows in the wanted
 * order) and filters the account's whole history for one message. So each query names its driver
 * and compares the other indexed columns in a form no index serves (`column || ''`): same result,
 * one obvious plan on both databases.
 */
export type Driver = 'account' | 'target' | 'carried' | 'delivery';

/** `column = value`, through the column's index only when it drives the query. */
export function equals(column: string, value: string, drives: boolean): Expression<SqlBool> {
  return drives ? sql<SqlBool>`${sql.ref(column)} = ${value}` : sql<SqlBool>`${sql.ref(column)} || '' = ${value}`;
}

/**
 * The filters deliveries and attempts share (whose, what they carried, where they went), as one
 * condition on the deliveries aliased `d`.
 */
export function deliveryMatches(db: Kysely<Database>, f: Pick<DeliveryFilter, 'accountId' | 'messageId' | 'bulkId' | 'target'>, driver: Driver): Expression<SqlBool> {
  const conditions = [equals('d.account_id', f.accountId, driver === 'account')];
  if (f.target !== undefined) conditions.push(equals('d.target_url', f.target, driver === 'target'));
  if (carries(f)) conditions.push(sql<SqlBool>`${sql.ref('d.id')} in ${deliveriesCarrying(db, f.accountId, f)}`);
  return sql<SqlBool>`${sql.join(conditions, sql` and `)}`;
}

const carries = (f: Pick<DeliveryFilter, 'messageId' | 'bulkId'>) => f.messageId !== undefined || f.bulkId !== undefined;

/** One page (and one row more, to tell whether another page follows), newest first. */
export async function findDeliveries(db: Kysely<Database>, f: DeliveryFilter): Promise<DeliverySummary[]> {
  const driver: Driver = carries(f) ? 'carried' : f.target !== undefined ? 'target' : 'account';
  let q = db.selectFrom('deliveries as d').select(SUMMARY_COLUMNS).where(deliveryMatches(db, f, driver));
  if (f.states?.length) q = q.where('d.state', 'in', f.states);
  if (f.from !== undefined) q = q.where('d.created_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('d.created_at', '<', f.to);
  if (f.after) q = q.where(after('d.created_at', 'd.id', f.after));
  return (await q.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(f.limit + 1).execute()) as DeliverySummary[];
}

/** A delivery with its body, whichever account it belongs to (the caller checks who may see it). */
export function findDelivery(db: Kysely<Database>, deliveryId: string): Promise<Selectable<DeliveriesTable> | undefined> {
  return db.selectFrom('deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
}

/** The events each delivery carried, in the order they were recorded. */
export async function reportsOf(db: Kysely<Database>, deliveryIds: readonly string[]): Promise<Map<string, CarriedReport[]>> {
  const carried = new Map<string, CarriedReport[]>();
  if (deliveryIds.length === 0) return carried;
  const rows = await db
    .selectFrom('outbox')
    .select(['delivery_id', 'message_id', 'bulk_id', 'report_id'])
    .where('delivery_id', 'in', [...new Set(deliveryIds)])
    .orderBy('id')
    .execute();
  for (const row of rows) {
    const list = carried.get(row.delivery_id!) ?? [];
    list.push({ messageId: row.message_id ?? null, bulkId: row.bulk_id ?? null, reportId: Number(row.report_id) });
    carried.set(row.delivery_id!, list);
  }
  return carried;
}

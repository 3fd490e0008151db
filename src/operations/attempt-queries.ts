/**
 * Reading the attempt log's attempts: scoped to one account, newest first on (started_at, id), the
 * keyset the cursor pages on. Where an attempt went and what it carried are its delivery's, so
 * those filters are the deliveries' own (delivery-queries.ts). Driven from the narrowest filter:
 * one delivery (attempts_delivery), the deliveries of a message, bulk or target (then
 * attempts_delivery per delivery), else the account (attempts_account_started).
 */
import type { Kysely, Selectable } from 'kysely';
import type { AttemptsTable, Database } from '../store/schema.ts';
import type { Position } from './cursor.ts';
import { after } from './cursor.ts';
import { deliveryMatches, equals, type DeliveryFilter, type Driver } from './delivery-queries.ts';
import type { OUTCOMES } from './delivery-schemas.ts';

export interface AttemptFilter extends Pick<DeliveryFilter, 'accountId' | 'messageId' | 'bulkId' | 'target'> {
  deliveryId?: string;
  outcome?: (typeof OUTCOMES)[number];
  /** started_at ≥ from. */
  from?: number;
  /** started_at < to. */
  to?: number;
  after?: Position<number>;
  limit: number;
}

/** An attempt as listed: its stored columns, but never without a target. */
export type AttemptRow = Omit<Selectable<AttemptsTable>, 'account_id' | 'target_url'> & {
  /** Where this attempt went, if recorded; else its delivery's target. */
  target_url: string;
};

/** One page (and one row more, to tell whether another page follows), newest first. */
export async function findAttempts(db: Kysely<Database>, f: AttemptFilter): Promise<AttemptRow[]> {
  // A delivery's attempts through attempts_delivery; a target's or a message's from their deliveries.
  const driver: Driver =
    f.deliveryId !== undefined ? 'delivery' : f.messageId !== undefined || f.bulkId !== undefined ? 'carried' : f.target !== undefined ? 'target' : 'account';
  let q = db
    .selectFrom('attempts as a')
    .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
    .select((eb) => [
      'a.id',
      'a.delivery_id',
      'a.attempt',
      'a.started_at',
      'a.duration_ms',
      'a.status_code',
      'a.error_class',
      'a.error',
      'a.response_excerpt',
      eb.fn.coalesce('a.target_url', 'd.target_url').as('target_url'),
    ])
    .where(equals('a.account_id', f.accountId, driver === 'account'))
    .where(deliveryMatches(db, f, driver));
  if (f.deliveryId !== undefined) q = q.where('a.delivery_id', '=', f.deliveryId);
  if (f.outcome === 'delivered') q = q.where('a.error_class', 'is', null);
  else if (f.outcome !== undefined) q = q.where('a.error_class', '=', f.outcome);
  if (f.from !== undefined) q = q.where('a.started_at', '>=', f.from);
  if (f.to !== undefined) q = q.where('a.started_at', '<', f.to);
  if (f.after) q = q.where(after('a.started_at', 'a.id', f.after));
  const rows = await q.orderBy('a.started_at', 'desc').orderBy('a.id', 'desc').limit(f.limit + 1).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), attempt: Number(r.attempt), started_at: Number(r.started_at), duration_ms: Number(r.duration_ms) }));
}

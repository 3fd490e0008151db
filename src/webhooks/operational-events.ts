/**
 * Hookline's own events about webhook delivery, pushed to the account's operations profile (if it
 * set one): written by the dispatcher straight into deliveries, in the transaction that observed
 * what they report, so they are as durable as the attempt itself. None is ever raised about the
 * operations profile's own target — a failing operations receiver must not feed itself.
 */
import type { Kysely } from 'kysely';
import { newDeliveryId } from '../lib/ids.ts';
import { chunkRows, type DialectProfile } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import { targetView, type TargetResolver } from './targets.ts';

export type OperationalEventType = 'webhook.target.failing' | 'webhook.delivery.dropped' | 'webhook.target.recovered';

export interface OperationalEvent {
  accountId: string;
  type: OperationalEventType;
  /** The target the event is about. */
  target: string;
  data: Record<string, unknown>;
}

/** Queues each event as one delivery to its account's operations profile. */
export async function writeOperationalEvents(
  trx: Kysely<Database>,
  profile: DialectProfile,
  targets: TargetResolver,
  events: readonly OperationalEvent[],
  now: number,
): Promise<number> {
  const rows = [];
  for (const event of events) {
    const destination = await targets.operationsTarget(trx, event.accountId);
    if (destination === null || destination === event.target) continue;
    rows.push({
      id: newDeliveryId(),
      account_id: event.accountId,
      target_url: destination,
      family: 'operations' as const,
      content_type: 'application/json',
      body: JSON.stringify({ type: event.type, timestamp: new Date(now).toISOString(), data: { target: targetView(event.target), ...event.data } }),
      report_count: 1,
      state: 'PENDING' as const,
      attempts: 0,
      next_attempt_at: now,
      created_at: now,
      first_event_at: now,
    });
  }
  for (const chunk of chunkRows(rows, profile)) await trx.insertInto('deliveries').values(chunk).execute();
  return rows.length;
}

/**
 * What /metrics reads from the database at scrape time: the work waiting (outbox rows not yet
 * delivered, deliveries not yet done) and the targets that are not healthy. These describe the
 * shared database, so every process reports the same values (aggregate them with max, not sum).
 *
 * The queries touch waiting rows only, through the partial indexes built for the claims
 * (outbox_pending, deliveries_lane / deliveries_due): the DELIVERED history is never counted.
 * The states are SQL literals, not parameters, so the planner can prove those indexes' WHERE.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export const OUTBOX_STATES = ['READY', 'BATCHED'] as const;
export const WAITING_DELIVERY_STATES = ['PENDING', 'RETRYING'] as const;

export interface TargetHealthGauge {
  breakerOpen: number;
  /** Held back by the receiver's Retry-After (a 429 or 503). */
  paused: number;
  disabled: number;
  consecutiveFailures: number;
}

export interface DatabaseSnapshot {
  outbox: Record<(typeof OUTBOX_STATES)[number], number>;
  deliveries: Record<(typeof WAITING_DELIVERY_STATES)[number], number>;
  /** By target label; URL targets of one host folded together (any open, any disabled, most failures). */
  targets: Map<string, TargetHealthGauge>;
}

export async function readSnapshot(db: Kysely<Database>, now: number, targetLabel: (target: string) => string): Promise<DatabaseSnapshot> {
  const [outboxRows, deliveryRows, healthRows] = await Promise.all([
    db
      .selectFrom('outbox')
      .select(['state', (eb) => eb.fn.countAll().as('n')])
      .where(sql<boolean>`state in ('READY', 'BATCHED')`)
      .groupBy('state')
      .execute(),
    db
      .selectFrom('deliveries')
      .select(['state', (eb) => eb.fn.countAll().as('n')])
      .where(sql<boolean>`state in ('PENDING', 'RETRYING')`)
      .groupBy('state')
      .execute(),
    // A target with no row, or a row back at zero failures, is healthy and not reported: the table
    // keeps a row for every target that ever failed, and per-message URLs are unbounded.
    db
      .selectFrom('target_health')
      .select(['target', 'consecutive_failures', 'opened_at', 'disabled_at', 'paused_until'])
      .where((eb) => eb.or([eb('consecutive_failures', '>', 0), eb('opened_at', 'is not', null), eb('disabled_at', 'is not', null), eb('paused_until', '>', now)]))
      .execute(),
  ]);

  const outbox = { READY: 0, BATCHED: 0 };
  for (const row of outboxRows) if (row.state === 'READY' || row.state === 'BATCHED') outbox[row.state] = Number(row.n);
  const deliveries = { PENDING: 0, RETRYING: 0 };
  for (const row of deliveryRows) if (row.state === 'PENDING' || row.state === 'RETRYING') deliveries[row.state] = Number(row.n);

  const targets = new Map<string, TargetHealthGauge>();
  for (const row of healthRows) {
    const label = targetLabel(row.target);
    const seen = targets.get(label) ?? { breakerOpen: 0, paused: 0, disabled: 0, consecutiveFailures: 0 };
    targets.set(label, {
      breakerOpen: Math.max(seen.breakerOpen, row.opened_at === null ? 0 : 1),
      paused: Math.max(seen.paused, row.paused_until !== null && Number(row.paused_until) > now ? 1 : 0),
      disabled: Math.max(seen.disabled, row.disabled_at === null ? 0 : 1),
      consecutiveFailures: Math.max(seen.consecutiveFailures, Number(row.consecutive_failures)),
    });
  }
  return { outbox, deliveries, targets };
}

/**
 * Recoveries: an operator puts one target's DROPPED (and, if asked, still-retrying) deliveries of a
 * time range back in line — rate-limited, idempotent, cancellable, with progress.
 *
 * A recovery is a row (table `recoveries`); the work is done by a background pass (worker roles)
 * that walks the matching deliveries in (created_at, id) order from a stored cursor and re-queues
 * them with requeueDeliveries: same body, same id (so the same `webhook-id`), a fresh retry cycle.
 *
 * Rate: a token bucket kept in the row. `updated_at` is the clock time up to which the budget has
 * been spent; a run may re-queue rate × (now − updated_at) deliveries, with unspent budget carried
 * over for at most one second (so a late or resumed run bursts at most one second's worth). Runs
 * are every 1000/rate ms, but no more often than every 100 ms: a high rate re-queues rate/10 a run.
 * The bucket lives in the database, so the rate holds however many workers share it; on
 * PostgreSQL each run locks its recovery's row (FOR UPDATE SKIP LOCKED), so one recovery is run by
 * one worker at a time and the others pass it by.
 *
 * While its target is disabled (a 410), a recovery re-queues nothing: the deliveries would only be
 * dropped again. It goes on once an operator re-enables the target.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { PassResult } from '../lib/worker-loop.ts';
import type { DialectProfile } from '../store/dialect.ts';
import type { Database, RecoveriesTable } from '../store/schema.ts';
import { isUniqueViolation, retryTransaction } from '../store/transient.ts';
import { requeueDeliveries } from '../webhooks/requeue.ts';
import { isDisabled } from '../webhooks/target-health.ts';

export const RECOVERABLE_STATES = ['DROPPED', 'RETRYING'] as const;
export type RecoverableState = (typeof RECOVERABLE_STATES)[number];
export const DEFAULT_RATE_PER_SECOND = 100;
export const MAX_RATE_PER_SECOND = 10_000;
/** Runs of one recovery are at least this far apart; a higher rate re-queues more per run. */
export const MIN_RUN_INTERVAL_MS = 100;
/** Unspent budget is kept for at most this long: the largest burst is one second's worth. */
export const MAX_BURST_MS = 1_000;
/** How often a recovery whose target is disabled looks again. */
const DISABLED_RECHECK_MS = 1_000;

export type RecoveryRow = Selectable<RecoveriesTable>;

export interface NewRecovery {
  accountId: string;
  target: string;
  from: number;
  to: number;
  states: readonly RecoverableState[];
  ratePerSecond: number;
  idempotencyKey: string | null;
}

export const newRecoveryId = (): string => `rcv_${randomUUID().replaceAll('-', '')}`;

/** The time between two runs of a recovery at this rate. */
export const runIntervalMs = (ratePerSecond: number): number => Math.max(MIN_RUN_INTERVAL_MS, Math.ceil(1000 / ratePerSecond));

/** The matching deliveries of a recovery: the account's, to its target, created in [from, to], in its states. */
function matching(db: Kysely<Database>, r: { account_id: string; target_url: string; from_at: number; to_at: number; states: readonly string[] }) {
  return db
    .selectFrom('deliveries')
    .where('target_url', '=', r.target_url)
    .where('created_at', '>=', r.from_at)
    .where('created_at', '<=', r.to_at)
    .where('account_id', '=', r.account_id)
    .where('state', 'in', r.states as RecoverableState[]);
}

export async function findRecovery(db: Kysely<Database>, accountId: string, id: string): Promise<RecoveryRow | undefined> {
  return db.selectFrom('recoveries').selectAll().where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
}

export async function findByIdempotencyKey(db: Kysely<Database>, accountId: string, key: string): Promise<RecoveryRow | undefined> {
  return db.selectFrom('recoveries').selectAll().where('account_id', '=', accountId).where('idempotency_key', '=', key).executeTakeFirst();
}

/**
 * Creates a recovery, its total counted in the same transaction. If a request racing this one
 * took the idempotency key first, that request's recovery is answered instead: `created` says
 * which. (A key already taken is looked up by the caller before anything else.)
 */
export async function createRecovery(db: Kysely<Database>, recovery: NewRecovery, now: number): Promise<{ row: RecoveryRow; created: boolean }> {
  const { accountId, idempotencyKey } = recovery;
  try {
    const row = await retryTransaction(() =>
      db.transaction().execute(async (trx) => {
        const counted = await matching(trx, { account_id: accountId, target_url: recovery.target, from_at: recovery.from, to_at: recovery.to, states: recovery.states })
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
        const total = Number(counted.n);
        const done = total === 0;
        return trx
          .insertInto('recoveries')
          .values({
            id: newRecoveryId(),
            account_id: accountId,
            target_url: recovery.target,
            from_at: recovery.from,
            to_at: recovery.to,
            states: JSON.stringify(recovery.states),
            rate_per_second: recovery.ratePerSecond,
            // Nothing to do: finished as it starts.
            state: done ? 'COMPLETED' : 'RUNNING',
            total,
            requeued: 0,
            cursor: null,
            idempotency_key: idempotencyKey,
            created_at: now,
            updated_at: now,
            finished_at: done ? now : null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      }),
    );
    return { row, created: true };
  } catch (error) {
    // Another request with the same key committed first: that one is the recovery.
    if (idempotencyKey !== null && isUniqueViolation(error)) {
      const existing = await findByIdempotencyKey(db, accountId, idempotencyKey);
      if (existing) return { row: existing, created: false };
    }
    throw error;
  }
}

/** Cancels a running recovery (what it re-queued stays re-queued); a finished one is left as it is. Undefined if unknown. */
export async function cancelRecovery(db: Kysely<Database>, accountId: string, id: string, now: number): Promise<RecoveryRow | undefined> {
  await db
    .updateTable('recoveries')
    .set({ state: 'CANCELED', finished_at: now, updated_at: now })
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .where('state', '=', 'RUNNING')
    .execute();
  return findRecovery(db, accountId, id);
}

/** Where a recovery has got to: the last delivery it took, in (created_at, id) order. */
interface Cursor {
  at: number;
  id: string;
}
const parseCursor = (text: string | null): Cursor | null => {
  if (text === null) return null;
  const [at, id] = JSON.parse(text) as [number, string];
  return { at, id };
};

interface RunResult {
  requeued: number;
  nextDueAt: number | null;
}

/**
 * One run of one recovery, in its own transaction: spend the budget the time since the last run
 * allows on the next deliveries after the cursor, re-queue them, move the cursor, and finish when
 * none are left.
 */
async function runRecovery(trx: Transaction<Database>, profile: DialectProfile, id: string, now: number): Promise<RunResult> {
  let query = trx.selectFrom('recoveries').selectAll().where('id', '=', id).where('state', '=', 'RUNNING');
  // Another worker running it right now: leave it to that one and look again shortly.
  if (profile.skipLocked) query = query.forUpdate().skipLocked();
  const row = await query.executeTakeFirst();
  if (!row) return { requeued: 0, nextDueAt: profile.skipLocked ? now + MIN_RUN_INTERVAL_MS : null };

  const rate = Number(row.rate_per_second);
  const interval = runIntervalMs(rate);
  if (await isDisabled(trx, { accountId: row.account_id, target: row.target_url })) return { requeued: 0, nextDueAt: now + DISABLED_RECHECK_MS };

  const mark = Math.max(Number(row.updated_at), now - MAX_BURST_MS);
  const budget = Math.floor(((now - mark) * rate) / 1000);
  if (budget <= 0) return { requeued: 0, nextDueAt: mark + interval };

  const cursor = parseCursor(row.cursor);
  let next = matching(trx, { ...row, from_at: Number(row.from_at), to_at: Number(row.to_at), states: JSON.parse(row.states) as string[] }).select(['id', 'created_at']);
  if (cursor) next = next.where((eb) => eb.or([eb('created_at', '>', cursor.at), eb.and([eb('created_at', '=', cursor.at), eb('id', '>', cursor.id)])]));
  // One row more than the budget says whether any are left after this run.
  const rows = await next.orderBy('created_at').orderBy('id').limit(budget + 1).execute();
  const taken = rows.slice(0, budget);
  const finished = rows.length <= budget;
  // Deliveries in flight are skipped by requeueDeliveries (they are being attempted already).
  const requeued = taken.length ? (await requeueDeliveries(trx, profile, taken.map((r) => r.id), now)).length : 0;
  const last = taken.at(-1);
  // Only the time the taken deliveries used up is spent; rounding up never lets the rate be exceeded.
  const spentUntil = Math.min(now, mark + Math.ceil((taken.length * 1000) / rate));
  await trx
    .updateTable('recoveries')
    .set((eb) => ({
      requeued: eb('requeued', '+', requeued),
      cursor: last ? JSON.stringify([Number(last.created_at), last.id]) : row.cursor,
      updated_at: finished ? now : spentUntil,
      state: finished ? 'COMPLETED' : 'RUNNING',
      finished_at: finished ? now : null,
    }))
    .where('id', '=', id)
    .where('state', '=', 'RUNNING')
    .execute();
  return { requeued, nextDueAt: finished ? null : spentUntil + interval };
}

export interface RecoveryPassDeps {
  db: Kysely<Database>;
  profile: DialectProfile;
  /** Called after a pass re-queued deliveries, so dispatchers wake (notifier 'dispatch'). */
  onRequeued: () => void;
}

/** The background pass (a WorkerLoop's): runs every running recovery that is due, says when the next one is. */
export function createRecoveryPass({ db, profile, onRequeued }: RecoveryPassDeps): (now: number) => Promise<PassResult> {
  return async (now) => {
    // The state is a literal so both databases can use the partial index recoveries_running.
    const running = await db.selectFrom('recoveries').select('id').where(sql<boolean>`state = 'RUNNING'`).orderBy('id').execute();
    let requeued = 0;
    let nextDueAt: number | null = null;
    for (const { id } of running) {
      const result = await retryTransaction(() => db.transaction().execute((trx) => runRecovery(trx, profile, id, now)));
      requeued += result.requeued;
      if (result.nextDueAt !== null) nextDueAt = nextDueAt === null ? result.nextDueAt : Math.min(nextDueAt, result.nextDueAt);
    }
    if (requeued > 0) onRequeued();
    return { more: false, nextDueAt };
  };
}

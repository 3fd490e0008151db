/**
 * Per-target health, held in the database so every worker process sees the same thing:
 *
 * - the circuit breaker: after `threshold` consecutive failed attempts it opens; while open, the
 *   dispatcher sends only the target's probe (its oldest waiting delivery, at that delivery's own
 *   scheduled time) and the others wait without spending attempts; the first success closes it.
 * - the Retry-After pause: a 429/503 with Retry-After holds every delivery of the target (not only
 *   the one that was answered) until then; a success ends it.
 * - the 410 switch: a `410 Gone` disables the target until an operator re-enables it; meanwhile its
 *   deliveries are DROPPED with reason TARGET_GONE without a request.
 *
 * Health is per account and target: a URL that two accounts send to has two healths, so one
 * account's failing deliveries (or a 410 it got) neither hold back nor drop the other's, and each
 * re-enables only its own. A target with no row is healthy. Rows are written only when something
 * changes (a failure, the first success after failures).
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool, type Transaction } from 'kysely';
import type { Database, TargetHealthTable } from '../store/schema.ts';

export const TARGET_GONE = 'TARGET_GONE';
export const ATTEMPTS_EXHAUSTED = 'ATTEMPTS_EXHAUSTED';

export interface TargetHealth {
  consecutiveFailures: number;
  /** The breaker is open: only the probe goes. */
  open: boolean;
  /** Disabled by a 410 until re-enabled. */
  disabled: boolean;
  /** Nothing goes before this time (a receiver's Retry-After), or null. */
  pausedUntil: number | null;
  /** A webhook.target.failing event went out for the current failure streak. */
  failingNotified: boolean;
}

/** A target as one account sees it: the unit health is kept for. */
export interface AccountTarget {
  accountId: string;
  target: string;
}

/** The key of an AccountTarget in maps (account ids and targets never hold a NUL). */
export const healthKey = (accountId: string, target: string): string => `${accountId}\u0000${target}`;

export function accountTargetOf(key: string): AccountTarget {
  const cut = key.indexOf('\u0000');
  return { accountId: key.slice(0, cut), target: key.slice(cut + 1) };
}

/**
 * (account, target) pairs per statement: each is an OR term, and SQLite refuses an expression
 * tree of ~1,000 of them (a batch holds up to WEBHOOK_MAX_IN_FLIGHT).
 */
const PAIRS_PER_STATEMENT = 200;

export function pairChunks<T>(pairs: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < pairs.length; i += PAIRS_PER_STATEMENT) chunks.push(pairs.slice(i, i + PAIRS_PER_STATEMENT));
  return chunks;
}

/** `(account_id, target)` is one of the pairs (at most PAIRS_PER_STATEMENT of them). */
export function isOneOf<TB extends keyof Database>(eb: ExpressionBuilder<Database, TB>, pairs: readonly AccountTarget[], columns: { account: string; target: string } = { account: 'account_id', target: 'target' }): Expression<SqlBool> {
  return eb.or(pairs.map((p) => eb.and([eb(sql.ref(columns.account), '=', p.accountId), eb(sql.ref(columns.target), '=', p.target)])));
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** One finished attempt, as the breaker counts it. */
export interface AttemptVerdict {
  accountId: string;
  target: string;
  ok: boolean;
  gone: boolean;
  statusCode: number | null;
  at: number;
  /** The receiver's Retry-After, in ms from now (already capped), if it sent one. */
  retryAfterMs: number | null;
}

/** What changed for a target in one batch of attempts. */
export type HealthChange = 'opened' | 'closed' | 'disabled';

const healthyRow = ({ accountId, target }: AccountTarget): TargetHealthTable => ({
  account_id: accountId,
  target,
  consecutive_failures: 0,
  opened_at: null,
  disabled_at: null,
  disabled_reason: null,
  paused_until: null,
  failing_notified: 0,
  last_success_at: null,
  last_failure_at: null,
  last_status_code: null,
  updated_at: 0,
});

const HEALTHY: TargetHealth = { consecutiveFailures: 0, open: false, disabled: false, pausedUntil: null, failingNotified: false };

type HealthColumns = 'consecutive_failures' | 'opened_at' | 'disabled_at' | 'paused_until' | 'failing_notified';
export type HealthRow = Pick<TargetHealthTable, HealthColumns>;

/** A stored row as TargetHealth (also for callers that read target_health joined to their own query). */
export const healthFromRow = (row: HealthRow): TargetHealth => ({
  consecutiveFailures: Number(row.consecutive_failures),
  open: row.opened_at !== null,
  disabled: row.disabled_at !== null,
  pausedUntil: row.paused_until === null ? null : Number(row.paused_until),
  failingNotified: Number(row.failing_notified) === 1,
});

/** Healthy in every way the claim and the breaker care about: nothing to read or write for a success. */
export const isPlainlyHealthy = (health: TargetHealth | undefined): boolean =>
  !health || (health.consecutiveFailures === 0 && !health.open && !health.disabled && health.pausedUntil === null);

/** The stored health of the given targets, for every account that has some (by healthKey; absent: healthy). */
export async function healthOf(db: Kysely<Database>, targets: readonly string[]): Promise<Map<string, TargetHealth>> {
  if (targets.length === 0) return new Map();
  const rows = await db
    .selectFrom('target_health')
    .select(['account_id', 'target', 'consecutive_failures', 'opened_at', 'disabled_at', 'paused_until', 'failing_notified'])
    .where('target', 'in', targets)
    .execute();
  return new Map(rows.map((r) => [healthKey(r.account_id, r.target), healthFromRow(r)]));
}

/**
 * Applies a batch of finished attempts to their targets' health, in time order, and says which
 * targets changed state. `lock` reads the rows FOR UPDATE (PostgreSQL), so two workers completing
 * attempts to one target count every failure.
 */
export async function recordVerdicts(
  trx: Transaction<Database>,
  verdicts: readonly AttemptVerdict[],
  now: number,
  threshold: number,
  lock: boolean,
): Promise<{ changes: Map<string, HealthChange>; health: Map<string, TargetHealth> }> {
  // Sorted, and locked in that order: two workers with overlapping batches cannot deadlock.
  const keys = new Map<string, AccountTarget>();
  for (const v of [...verdicts].sort((a, b) => compare(healthKey(a.accountId, a.target), healthKey(b.accountId, b.target)))) {
    keys.set(healthKey(v.accountId, v.target), { accountId: v.accountId, target: v.target });
  }
  const stored = new Map<string, TargetHealthTable>();
  for (const chunk of pairChunks([...keys.values()])) {
    if (lock) {
      // FOR UPDATE locks only rows that exist: create missing ones first, so two workers recording
      // a target's first failures (one of them a 410) count both instead of one overwriting the other.
      await trx
        .insertInto('target_health')
        .values(chunk.map((t) => ({ ...healthyRow(t), updated_at: now })))
        .onConflict((oc) => oc.columns(['account_id', 'target']).doNothing())
        .execute();
    }
    let query = trx.selectFrom('target_health').selectAll().where((eb) => isOneOf(eb, chunk)).orderBy('account_id').orderBy('target');
    if (lock) query = query.forUpdate();
    for (const r of await query.execute()) stored.set(healthKey(r.account_id, r.target), r);
  }
  const changes = new Map<string, HealthChange>();
  const health = new Map<string, TargetHealth>();
  const writes: TargetHealthTable[] = [];
  for (const [key, accountTarget] of keys) {
    const row = stored.get(key);
    const before = row ? healthFromRow(row) : HEALTHY;
    const next: TargetHealthTable = row
      ? { ...row, consecutive_failures: before.consecutiveFailures, failing_notified: before.failingNotified ? 1 : 0, updated_at: now }
      : { ...healthyRow(accountTarget), updated_at: now };
    for (const v of verdicts.filter((x) => x.accountId === accountTarget.accountId && x.target === accountTarget.target).sort((a, b) => a.at - b.at)) {
      next.last_status_code = v.statusCode;
      if (v.ok) {
        next.consecutive_failures = 0;
        next.opened_at = null;
        next.paused_until = null;
        next.last_success_at = v.at;
        continue;
      }
      if (v.retryAfterMs !== null) next.paused_until = Math.max(Number(next.paused_until ?? 0), now + v.retryAfterMs);
      next.consecutive_failures++;
      next.last_failure_at = v.at;
      if (next.opened_at === null && next.consecutive_failures >= threshold) next.opened_at = now;
      if (v.gone && next.disabled_at === null) next.disabled_at = now;
    }
    const after = healthFromRow(next);
    if (after.disabled && !before.disabled) changes.set(key, 'disabled');
    else if (after.open && !before.open) changes.set(key, 'opened');
    else if (!after.open && before.open) changes.set(key, 'closed');
    health.set(key, after);
    // A healthy target that stays healthy: nothing to write (the common case, kept cheap).
    if (!row && after.consecutiveFailures === 0) continue;
    if (row && before.consecutiveFailures === 0 && after.consecutiveFailures === 0 && before.pausedUntil === null && !changes.has(key)) continue;
    next.disabled_reason = next.disabled_at !== null ? TARGET_GONE : null;
    writes.push(next);
  }
  for (const w of writes) {
    await trx
      .insertInto('target_health')
      .values(w)
      .onConflict((oc) =>
        oc.columns(['account_id', 'target']).doUpdateSet({
          consecutive_failures: w.consecutive_failures,
          opened_at: w.opened_at,
          disabled_at: w.disabled_at,
          disabled_reason: w.disabled_reason,
          paused_until: w.paused_until,
          last_success_at: w.last_success_at,
          last_failure_at: w.last_failure_at,
          last_status_code: w.last_status_code,
          updated_at: w.updated_at,
        }),
      )
      .execute();
  }
  return { changes, health };
}

/** Marks that the failing event for the target's current streak was sent (or, with false, that it recovered). */
export async function setFailingNotified(trx: Kysely<Database>, { accountId, target }: AccountTarget, notified: boolean, now: number): Promise<void> {
  await trx.updateTable('target_health').set({ failing_notified: notified ? 1 : 0, updated_at: now }).where('account_id', '=', accountId).where('target', '=', target).execute();
}

/** An operator re-enables a target: the 410 switch and the breaker are reset. False if it was not disabled. */
export async function enableTarget(db: Kysely<Database>, { accountId, target }: AccountTarget, now: number): Promise<boolean> {
  const result = await db
    .updateTable('target_health')
    .set({ disabled_at: null, disabled_reason: null, opened_at: null, paused_until: null, consecutive_failures: 0, failing_notified: 0, updated_at: now })
    .where('account_id', '=', accountId)
    .where('target', '=', target)
    .where('disabled_at', 'is not', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Whether a target is disabled (a 410) for the account right now. */
export async function isDisabled(db: Kysely<Database>, { accountId, target }: AccountTarget): Promise<boolean> {
  return (await healthOf(db, [target])).get(healthKey(accountId, target))?.disabled ?? false;
}

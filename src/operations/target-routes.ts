/**
 * `/hookline/1/targets`: the health of the account's webhook targets (table target_health, shared
 * by every worker, kept per account and target), and re-enabling one a `410 Gone` disabled.
 *
 * Which targets an account sees: every notification profile it has (healthy if it has no health
 * row), and the per-message URLs that have a health row for it — a URL gets one at the account's
 * first failure there, so URLs that never failed are not listed (there may be any number of them).
 * Two accounts sending to one URL each have their own health for it.
 *
 *  - GET  /hookline/1/targets          list (filter by state, `page`/`size` paging)
 *  - POST /hookline/1/targets/enable   re-enable one (idempotent), and wake the dispatchers
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely, type Selectable } from 'kysely';
import { PageQuery, pageOf } from '../admin/paging.ts';
import type { Clock } from '../clock.ts';
import { formatInfobipTime } from '../lib/infobip-time.ts';
import type { Database, TargetHealthTable } from '../store/schema.ts';
import { enableTarget, healthFromRow } from '../webhooks/target-health.ts';
import { PROFILE_TARGET_PREFIX, profileTarget, targetView } from '../webhooks/targets.ts';
import { accountTarget, TargetRequest } from './account-targets.ts';

export const TARGET_STATES = ['HEALTHY', 'OPEN', 'DISABLED'] as const;
type TargetState = (typeof TARGET_STATES)[number];

const TargetListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    state: Type.Optional(
      Type.Unsafe<TargetState>({ type: 'string', enum: [...TARGET_STATES], description: 'Only targets in this state: HEALTHY, OPEN (circuit breaker open) or DISABLED (a 410 Gone).' }),
    ),
  }),
]);
type TargetListQuery = Static<typeof TargetListQuery>;

/**
 * A target_health row as stored, every column: the list answers the last success and failure too,
 * which target-health.ts's TargetHealth (what the dispatcher needs) leaves out.
 */
type StoredHealth = Selectable<TargetHealthTable>;
const time = (ms: number | null) => (ms === null ? null : formatInfobipTime(Number(ms)));

export function stateOf(row: StoredHealth | undefined): TargetState {
  const health = row && healthFromRow(row);
  if (health?.disabled) return 'DISABLED';
  if (health?.open) return 'OPEN';
  return 'HEALTHY';
}

function targetHealthView(target: string, row: StoredHealth | undefined, waiting: { pending: number; retrying: number }) {
  return {
    target: targetView(target),
    state: stateOf(row),
    consecutiveFailures: row ? healthFromRow(row).consecutiveFailures : 0,
    breakerOpenedAt: time(row?.opened_at ?? null),
    /** A 429/503 Retry-After: nothing goes to the target before then. */
    pausedUntil: time(row?.paused_until ?? null),
    disabledAt: time(row?.disabled_at ?? null),
    disabledReason: row?.disabled_reason ?? null,
    lastSuccessAt: time(row?.last_success_at ?? null),
    lastFailureAt: time(row?.last_failure_at ?? null),
    lastStatusCode: row?.last_status_code == null ? null : Number(row.last_status_code),
    waitingDeliveries: waiting,
  };
}

/** Per target, the account's deliveries still waiting to go (PENDING never attempted, RETRYING between attempts). */
async function waitingCounts(db: Kysely<Database>, accountId: string, targets: readonly string[]): Promise<Map<string, { pending: number; retrying: number }>> {
  const counts = new Map(targets.map((t) => [t, { pending: 0, retrying: 0 }]));
  if (targets.length === 0) return counts;
  const rows = await db
    .selectFrom('deliveries')
    .select(['target_url', 'state', (eb) => eb.fn.countAll().as('n')])
    .where('target_url', 'in', targets)
    .where('account_id', '=', accountId)
    .where(sql<boolean>`state in ('PENDING', 'RETRYING')`)
    .groupBy(['target_url', 'state'])
    .execute();
  for (const r of rows) {
    const c = counts.get(r.target_url)!;
    if (r.state === 'PENDING') c.pending = Number(r.n);
    else c.retrying = Number(r.n);
  }
  return counts;
}

/**
 * The account's targets (see the header), with their health rows, sorted by target: its profiles,
 * and its own health rows (one primary-key range scan). The result is small (profiles, and URLs
 * that have failed), so the page is cut from it in memory.
 */
async function accountTargets(db: Kysely<Database>, accountId: string): Promise<Array<{ target: string; row: StoredHealth | undefined }>> {
  const profiles = await db.selectFrom('notification_profiles').select('profile_id').where('account_id', '=', accountId).execute();
  const rows = new Map((await db.selectFrom('target_health').selectAll().where('account_id', '=', accountId).execute()).map((r) => [r.target, r]));
  const targets = new Set([...profiles.map((p) => profileTarget(accountId, p.profile_id)), ...[...rows.keys()].filter((t) => !t.startsWith(PROFILE_TARGET_PREFIX))]);
  return [...targets].sort().map((target) => ({ target, row: rows.get(target) }));
}

export interface TargetRouteDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** A target was re-enabled: dispatchers should look again (notifier 'dispatch'). */
  onEnabled: () => void;
}

export function registerTargetRoutes(app: FastifyInstance, { db, clock, onEnabled }: TargetRouteDeps): void {
  app.get<{ Querystring: TargetListQuery }>(
    '/hookline/1/targets',
    {
      schema: {
        description:
          "Health of the account's webhook targets: its notification profiles, and the per-message URLs it sends to that have failed at least once. State HEALTHY, OPEN (circuit breaker open: only a probe goes) or DISABLED (answered 410 Gone; re-enable it).",
        querystring: TargetListQuery,
      },
    },
    async (request) => {
      const accountId = request.principal.accountId;
      const wanted = request.query.state;
      const all = (await accountTargets(db, accountId)).filter((t) => wanted === undefined || stateOf(t.row) === wanted);
      const { results, paging } = pageOf(all, request.query);
      const waiting = await waitingCounts(db, accountId, results.map((t) => t.target));
      return { results: results.map((t) => targetHealthView(t.target, t.row, waiting.get(t.target)!)), paging };
    },
  );

  app.post<{ Body: TargetRequest }>(
    '/hookline/1/targets/enable',
    {
      schema: {
        description:
          'Re-enable a target that a 410 Gone disabled (the circuit breaker is reset too). Deliveries dropped meanwhile stay DROPPED: recover them with POST /hookline/1/recoveries. Answers the target; a target that was not disabled is answered unchanged.',
        body: TargetRequest,
      },
    },
    async (request) => {
      const accountId = request.principal.accountId;
      const target = await accountTarget(db, accountId, request.body);
      if (await enableTarget(db, { accountId, target }, clock.now())) onEnabled();
      const [row, waiting] = await Promise.all([
        db.selectFrom('target_health').selectAll().where('account_id', '=', accountId).where('target', '=', target).executeTakeFirst(),
        waitingCounts(db, accountId, [target]),
      ]);
      return targetHealthView(target, row, waiting.get(target)!);
    },
  );
}

/**
 * `GET /hookline/1/stats`: the console dashboard's numbers for one window (default: the last
 * hour before the injected clock's now), each part only for a caller who may see it, else []:
 *
 * - `reports`: final reports per time bucket, as delivered, failed (UNDELIVERABLE, EXPIRED,
 *   REJECTED) or other, of the API families the caller may read (auth/readable-families.ts);
 * - `targets`: webhook attempts per target, success rate and latency percentiles, for a caller
 *   holding subscriptions:manage (the attempt log's scope).
 *
 * `parts` names the parts a page shows (default both): a part not asked for is [] and its queries
 * are not run.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { targetAccount } from '../admin/visibility.ts';
import { readableFamilies } from '../auth/readable-families.ts';
import { holdsAnyScope } from '../auth/scopes.ts';
import type { Clock } from '../clock.ts';
import { badRequest } from '../http/errors.ts';
import { formatInfobipTime } from '../lib/infobip-time.ts';
import { statusById } from '../messaging/status-catalogue.ts';
import { optionalTime, timeField } from '../operations/time-param.ts';
import type { Database } from '../store/schema.ts';
import { targetView } from '../webhooks/targets.ts';
import { latencyPercentiles } from './percentiles.ts';
import { StatsResponse } from './response-schemas.ts';
import { attemptCounts, bucketStart, finalReportCounts, MAX_DURATION_ROWS, recentDurations, type StatusCount, type Window } from './stats-queries.ts';

const HOUR = 3_600_000;
const DEFAULT_BUCKETS = 60;
const MAX_BUCKETS = 200;
/** Who may see the `targets` part: those who may read the attempt log. */
const ATTEMPT_LOG_SCOPES = ['subscriptions:manage'];
const PARTS = ['reports', 'targets'] as const;
type Part = (typeof PARTS)[number];
const PART = `(${PARTS.join('|')})`;

const StatsQuery = Type.Object({
  accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: "Operators only: another account's numbers (default: the caller's account)." })),
  from: Type.Optional(timeField('The window starts at this time (default: an hour before `to`).')),
  to: Type.Optional(timeField('The window ends before this time (default: now).')),
  buckets: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_BUCKETS,
      default: DEFAULT_BUCKETS,
      description: `How many time buckets the window's reports are counted in (default ${DEFAULT_BUCKETS}); a window shorter than that many milliseconds has one per millisecond.`,
    }),
  ),
  parts: Type.Optional(
    Type.Array(Type.String({ pattern: `^${PART}(,${PART})*$` }), {
      maxItems: PARTS.length,
      description: 'The parts to compute (`reports`, `targets`): repeat the parameter or give a comma-separated list; default both. A part not asked for is [].',
    }),
  ),
});
type StatsQuery = Static<typeof StatsQuery>;

export interface StatsRouteDeps {
  db: Kysely<Database>;
  clock: Clock;
}

/** The window [from, to) a query asks for; 400 unless from < to. */
function windowOf(q: StatsQuery, now: number): { from: number; to: number } {
  const to = optionalTime(q.to, 'to') ?? now;
  const from = optionalTime(q.from, 'from') ?? to - HOUR;
  if (from >= to) throw badRequest([{ property: 'from', violation: 'must be before `to` (default: now)' }]);
  return { from, to };
}

type Outcome = 'delivered' | 'failed' | 'other';
function outcomeOf(statusId: number): Outcome {
  const group = statusById(statusId).groupName;
  if (group === 'DELIVERED') return 'delivered';
  return group === 'UNDELIVERABLE' || group === 'EXPIRED' || group === 'REJECTED' ? 'failed' : 'other';
}

/** The parts asked for (`reports,targets` or repeated); both when absent. */
const partsOf = (q: StatsQuery): ReadonlySet<Part> => new Set(q.parts === undefined ? PARTS : (q.parts.flatMap((p) => p.split(',')) as Part[]));

/** Every bucket of the window, empty ones included, so a chart needs no gap filling. */
function reportBuckets(w: Window, count: number, counts: readonly StatusCount[]) {
  const buckets = Array.from({ length: count }, (_, i) => ({ at: formatInfobipTime(bucketStart(w, count, i)), delivered: 0, failed: 0, other: 0 }));
  for (const c of counts) buckets[c.bucket][outcomeOf(c.statusId)] += c.count;
  return buckets;
}

async function targetStats(db: Kysely<Database>, w: Window) {
  const [counts, durations] = await Promise.all([attemptCounts(db, w), recentDurations(db, w)]);
  return counts
    .sort((a, b) => b.attempts - a.attempts || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0))
    .map((c) => ({
      target: targetView(c.target),
      attempts: c.attempts,
      succeeded: c.succeeded,
      successRate: c.succeeded / c.attempts,
      ...latencyPercentiles(durations.get(c.target) ?? []),
    }));
}

export function registerStatsRoutes(app: FastifyInstance, deps: StatsRouteDeps): void {
  const { db, clock } = deps;

  app.get<{ Querystring: StatsQuery }>(
    '/hookline/1/stats',
    {
      schema: {
        summary: 'Dashboard numbers',
        description:
          'For the window `from` ≤ t < `to` (default: the last hour): `reports`, final reports (not failover steps) counted in `buckets` buckets ' +
          '(by when they were done; bucket i starts at `from` + floor(i × (`to` − `from`) / `buckets`), so they differ by at most a millisecond and `bucketMs` is their mean length) ' +
          'as delivered, failed (UNDELIVERABLE, EXPIRED, REJECTED) or other, of the API families the caller may read; and `targets`, ' +
          'webhook attempts started in the window per target with `succeeded` (a 2xx), `successRate` and latency percentiles (nearest rank; null without a sample). ' +
          `Counts are exact; the percentiles are taken from the newest ${MAX_DURATION_ROWS.toLocaleString('en')} attempts of the window only. ` +
          '`reports` needs a logs or manage scope of a channel, `targets` subscriptions:manage; a part the caller may not see, or did not ask for in `parts`, is [].',
        querystring: StatsQuery,
        response: { 200: StatsResponse },
      },
    },
    async (request) => {
      const q = request.query;
      const accountId = targetAccount(request.principal, q.accountId);
      const { from, to } = windowOf(q, clock.now());
      // No bucket shorter than a millisecond: a window of 10 ms has at most 10.
      const buckets = Math.min(q.buckets ?? DEFAULT_BUCKETS, to - from);
      const w: Window = { accountId, from, to };
      const parts = partsOf(q);
      const families = parts.has('reports') ? readableFamilies(request.principal) : [];
      const [reports, targets] = await Promise.all([
        families.length === 0 ? [] : finalReportCounts(db, w, buckets, families).then((counts) => reportBuckets(w, buckets, counts)),
        parts.has('targets') && holdsAnyScope(request.principal.scopes, ATTEMPT_LOG_SCOPES) ? targetStats(db, w) : [],
      ]);
      return { from: formatInfobipTime(from), to: formatInfobipTime(to), bucketMs: (to - from) / buckets, reports, targets };
    },
  );
}

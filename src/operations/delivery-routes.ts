/**
 * The attempt log and replay, under `/hookline/1/`:
 *
 *   GET  /deliveries                       the account's deliveries, filtered, newest first
 *   GET  /deliveries/{deliveryId}          one delivery, with its payload
 *   GET  /deliveries/{deliveryId}/attempts its attempts
 *   GET  /attempts                         the account's attempts, filtered, newest first
 *   POST /deliveries/{deliveryId}/replay   send it again: same bytes, same webhook-id
 *
 * Everything is the caller's account's; operators (isOperator) may name another with `accountId`
 * on the lists and see any delivery by id, as elsewhere in /hookline/1 (admin/visibility.ts).
 * Another account's delivery answers 404, as if it did not exist.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely, Selectable } from 'kysely';
import type { Principal } from '../auth/principal.ts';
import type { Clock } from '../clock.ts';
import { targetAccount } from '../admin/visibility.ts';
import { ApiError } from '../http/errors.ts';
import type { DialectProfile } from '../store/database.ts';
import type { Database, DeliveriesTable, DeliveryState } from '../store/schema.ts';
import { targetView } from '../webhooks/targets.ts';
import { namedTarget } from './account-targets.ts';
import { findAttempts, type AttemptFilter } from './attempt-queries.ts';
import { decodeCursor, pageOf } from './cursor.ts';
import { findDeliveries, findDelivery, reportsOf } from './delivery-queries.ts';
import { AttemptQuery, DEFAULT_LIMIT, DeliveryAttemptQuery, DeliveryParams, DeliveryQuery } from './delivery-schemas.ts';
import { replayDelivery } from './replay.ts';
import { optionalTime } from './time-param.ts';
import { attemptView, deliveryDetailView, deliveryView } from './views.ts';

export interface DeliveryRouteDeps {
  db: Kysely<Database>;
  profile: DialectProfile;
  clock: Clock;
  /** The length of the retry cycle's minute (RETRY_MINUTE_MS), for a delivery's retry schedule. */
  retryMinuteMs: number;
  /** Called after a replay committed (wakes the dispatchers). */
  onRequeued: () => void;
}

/** Whose attempts a list shows: what its query or path names besides outcome, time and paging. */
type AttemptScope = Pick<AttemptFilter, 'accountId' | 'deliveryId' | 'messageId' | 'bulkId' | 'target'>;

/** `?state=A&state=B` and `?state=A,B` alike (the schema has checked every name). */
const statesOf = (given: readonly string[] | undefined): DeliveryState[] | undefined =>
  given === undefined ? undefined : [...new Set(given.flatMap((s) => s.split(',')))] as DeliveryState[];

export function registerDeliveryRoutes(app: FastifyInstance, deps: DeliveryRouteDeps): void {
  const { db } = deps;

  /** A delivery the caller may see, or 404. */
  const visibleDelivery = async (principal: Principal, deliveryId: string) => {
    const row = await findDelivery(db, deliveryId);
    if (!row) throw new ApiError('NOT_FOUND');
    targetAccount(principal, row.account_id);
    return row;
  };

  const detailOf = async (row: Selectable<DeliveriesTable>) => deliveryDetailView(row, (await reportsOf(db, [row.id])).get(row.id) ?? [], deps.retryMinuteMs);

  /**
   * One page of attempts: `scope` says whose (a delivery, or the account's narrowed by what their
   * deliveries carried and where they went); the query's outcome, time range and paging apply alike.
   */
  const attemptPage = async (scope: AttemptScope, q: DeliveryAttemptQuery) => {
    const filter: AttemptFilter = {
      ...scope,
      outcome: q.outcome,
      from: optionalTime(q.from, 'from'),
      to: optionalTime(q.to, 'to'),
      after: q.cursor === undefined ? undefined : decodeCursor<number>(q.cursor, 'number'),
      limit: q.limit ?? DEFAULT_LIMIT,
    };
    const page = pageOf(await findAttempts(db, filter), filter.limit, (r) => ({ at: r.started_at, id: r.id }));
    const reports = await reportsOf(db, page.rows.map((r) => r.delivery_id));
    return { results: page.rows.map((r) => attemptView(r, reports.get(r.delivery_id) ?? [])), nextCursor: page.nextCursor };
  };

  app.get<{ Querystring: DeliveryQuery }>(
    '/hookline/1/deliveries',
    {
      schema: {
        summary: 'Deliveries (the attempt log)',
        description: "The account's webhook deliveries, newest first, with the reports each carried. Page with `cursor` = the previous page's `nextCursor`.",
        querystring: DeliveryQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const accountId = targetAccount(request.principal, q.accountId);
      const limit = q.limit ?? DEFAULT_LIMIT;
      const rows = await findDeliveries(db, {
        accountId,
        messageId: q.messageId,
        bulkId: q.bulkId,
        target: namedTarget(accountId, q),
        states: statesOf(q.state),
        from: optionalTime(q.from, 'from'),
        to: optionalTime(q.to, 'to'),
        after: q.cursor === undefined ? undefined : decodeCursor<string>(q.cursor, 'string'),
        limit,
      });
      const page = pageOf(rows, limit, (r) => ({ at: Number(r.created_at), id: r.id }));
      const reports = await reportsOf(db, page.rows.map((r) => r.id));
      return { results: page.rows.map((r) => deliveryView(r, reports.get(r.id) ?? [])), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: DeliveryParams }>(
    '/hookline/1/deliveries/:deliveryId',
    { schema: { summary: 'One delivery', description: 'A delivery with the reports it carried and its payload (`body`), the bytes every attempt sends, and `retrySchedule`: the earliest time each remaining attempt of its retry cycle may start if every one fails, each counted from the one before starting on time: an attempt that starts late (a backlog, an open breaker, a paused target, a Retry-After) moves the later ones by as much. [] when none is waiting.', params: DeliveryParams } },
    async (request) => {
      return detailOf(await visibleDelivery(request.principal, request.params.deliveryId));
    },
  );

  app.get<{ Params: DeliveryParams; Querystring: DeliveryAttemptQuery }>(
    '/hookline/1/deliveries/:deliveryId/attempts',
    { schema: { summary: "A delivery's attempts", description: 'Every attempt of the delivery, newest first.', params: DeliveryParams, querystring: DeliveryAttemptQuery } },
    async (request) => {
      const row = await visibleDelivery(request.principal, request.params.deliveryId);
      return attemptPage({ accountId: row.account_id, deliveryId: row.id }, request.query);
    },
  );

  app.get<{ Querystring: AttemptQuery }>(
    '/hookline/1/attempts',
    {
      schema: {
        summary: 'Attempts (the attempt log)',
        description: "The account's webhook attempts, newest first: when, where, the answer's status code and first 4 KB, latency, the class of a failure, and the reports carried.",
        querystring: AttemptQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const accountId = targetAccount(request.principal, q.accountId);
      return attemptPage({ accountId, deliveryId: q.deliveryId, messageId: q.messageId, bulkId: q.bulkId, target: namedTarget(accountId, q) }, q);
    },
  );

  app.post<{ Params: DeliveryParams }>(
    '/hookline/1/deliveries/:deliveryId/replay',
    {
      schema: {
        summary: 'Replay a delivery',
        description:
          'Sends a DELIVERED, DROPPED or RETRYING delivery again, now, with the same body and the same `webhook-id`, in a new retry cycle. ' +
          '202 when re-queued; 200 (nothing done) when an attempt is already due or running; 409 when its target was disabled by a 410 (re-enable it first).',
        params: DeliveryParams,
      },
    },
    async (request, reply) => {
      const row = await visibleDelivery(request.principal, request.params.deliveryId);
      const outcome = await replayDelivery(db, deps.profile, row.id, deps.clock.now());
      if (outcome === 'gone') throw new ApiError('NOT_FOUND');
      if (outcome === 'disabled') {
        const target = targetView(row.target_url);
        throw new ApiError('CONFLICT', {
          text: `The target ${'url' in target ? target.url : `profile ${target.profileId}`} is disabled: it answered 410 Gone. Re-enable it first (POST /hookline/1/targets/enable), then replay.`,
        });
      }
      if (outcome === 'requeued') deps.onRequeued();
      // The delivery as it is now: re-queued, or already on its way.
      const current = (await findDelivery(db, row.id)) ?? row;
      return reply.status(outcome === 'requeued' ? 202 : 200).send(await detailOf(current));
    },
  );
}

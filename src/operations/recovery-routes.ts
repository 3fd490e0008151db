/**
 * `/hookline/1/recoveries`: recover a target — re-send every DROPPED (or still-retrying) delivery
 * to a URL or notification profile in a time range, at a bounded rate (recoveries.ts does the work).
 * Per account: another account's recoveries answer 404 as if they did not exist.
 *
 *  - POST   /hookline/1/recoveries        start one (201), or with a known `Idempotency-Key` answer that one (200)
 *  - GET    /hookline/1/recoveries        list, newest first, `page`/`size` paging
 *  - GET    /hookline/1/recoveries/{id}   progress
 *  - DELETE /hookline/1/recoveries/{id}   cancel (a finished one is answered as it is)
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { MAX_PAGE_SIZE, PageQuery } from '../admin/paging.ts';
import { ApiError, badRequest } from '../http/errors.ts';
import { formatInfobipTime } from '../lib/infobip-time.ts';
import { Enum } from '../lib/schema-enum.ts';
import type { Database, RecoveryState } from '../store/schema.ts';
import { isDisabled } from '../webhooks/target-health.ts';
import { targetView } from '../webhooks/targets.ts';
import { accountTarget, targetFields } from './account-targets.ts';
import {
  cancelRecovery,
  createRecovery,
  DEFAULT_RATE_PER_SECOND,
  findByIdempotencyKey,
  findRecovery,
  MAX_RATE_PER_SECOND,
  RECOVERABLE_STATES,
  type RecoverableState,
  type RecoveryRow,
} from './recoveries.ts';
import { parseTimeParam, timeField } from './time-param.ts';

const RECOVERY_STATES: readonly RecoveryState[] = ['RUNNING', 'COMPLETED', 'CANCELED'];
const MAX_IDEMPOTENCY_KEY = 255;

const RecoveryRequest = Type.Object({
  ...targetFields,
  from: timeField('Deliveries created at or after this time.'),
  to: Type.Optional(timeField('Deliveries created at or before this time (default, and at most: now).')),
  states: Type.Optional(
    Type.Array(Enum(RECOVERABLE_STATES), { minItems: 1, uniqueItems: true, description: 'Which deliveries to re-send: DROPPED, RETRYING (still in their retry cycle), or both (the default).' }),
  ),
  ratePerSecond: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_RATE_PER_SECOND, description: `Most deliveries re-queued per second (default ${DEFAULT_RATE_PER_SECOND}).` }),
  ),
});
type RecoveryRequest = Static<typeof RecoveryRequest>;

const RecoveryHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: MAX_IDEMPOTENCY_KEY,
      description: 'Makes the request safe to repeat: a second request with the same key (same account) answers the recovery the first one started, with 200, and starts none.',
    }),
  ),
});

const RecoveryParams = Type.Object({ recoveryId: Type.String({ minLength: 1, maxLength: 64, description: 'The recovery id (`rcv_…`).' }) });
type RecoveryParams = Static<typeof RecoveryParams>;

const RecoveryListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    state: Type.Optional(Type.Unsafe<RecoveryState>({ type: 'string', enum: [...RECOVERY_STATES], description: 'Only recoveries in this state: RUNNING, COMPLETED or CANCELED.' })),
  }),
]);
type RecoveryListQuery = Static<typeof RecoveryListQuery>;

/** What a recovery is answered as. `percent` is 100 once COMPLETED (see README: requeued may end below total). */
export function recoveryView(row: RecoveryRow) {
  const total = Number(row.total);
  const requeued = Number(row.requeued);
  const percent = row.state === 'COMPLETED' || total === 0 ? 100 : Math.min(100, Math.floor((requeued * 100) / total));
  return {
    id: row.id,
    target: targetView(row.target_url),
    from: formatInfobipTime(Number(row.from_at)),
    to: formatInfobipTime(Number(row.to_at)),
    states: JSON.parse(row.states) as RecoverableState[],
    ratePerSecond: Number(row.rate_per_second),
    state: row.state,
    total,
    requeued,
    percent,
    idempotencyKey: row.idempotency_key,
    createdAt: formatInfobipTime(Number(row.created_at)),
    finishedAt: row.finished_at === null ? null : formatInfobipTime(Number(row.finished_at)),
  };
}

export interface RecoveryRouteDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** A recovery was created: run it now rather than at the runner's next poll. */
  onCreated: () => void;
}

export function registerRecoveryRoutes(app: FastifyInstance, { db, clock, onCreated }: RecoveryRouteDeps): void {
  app.post<{ Body: RecoveryRequest; Headers: Static<typeof RecoveryHeaders> }>(
    '/hookline/1/recoveries',
    { schema: { description: 'Start a recovery: re-send a target\'s DROPPED (and still-retrying) deliveries of a time range, rate-limited.', body: RecoveryRequest, headers: RecoveryHeaders } },
    async (request, reply) => {
      const accountId = request.principal.accountId;
      const { body } = request;
      const now = clock.now();
      const idempotencyKey = request.headers['idempotency-key'] ?? null;
      const answer = (row: RecoveryRow, created: boolean) =>
        reply.status(created ? 201 : 200).header('location', `/hookline/1/recoveries/${row.id}`).send(recoveryView(row));
      // A repeated request gets its recovery back first of all, whatever has changed since
      // (the target disabled, the time range now meaning something else).
      if (idempotencyKey !== null) {
        const existing = await findByIdempotencyKey(db, accountId, idempotencyKey);
        if (existing) return answer(existing, false);
      }
      const target = await accountTarget(db, accountId, body);
      const from = parseTimeParam(body.from, 'from');
      // A recovery covers what exists when it starts: a later `to` is now.
      const to = Math.min(body.to === undefined ? now : parseTimeParam(body.to, 'to'), now);
      if (from > to) throw badRequest([{ property: 'from', violation: body.to === undefined ? 'must not be in the future' : 'must not be after to (or in the future)' }]);
      if (await isDisabled(db, { accountId, target })) {
        throw new ApiError('CONFLICT', { text: 'The target is disabled (it answered 410 Gone): re-enable it first (POST /hookline/1/targets/enable), then recover.' });
      }
      const states = body.states ?? [...RECOVERABLE_STATES];
      const ratePerSecond = body.ratePerSecond ?? DEFAULT_RATE_PER_SECOND;
      const { row, created } = await createRecovery(db, { accountId, target, from, to, states, ratePerSecond, idempotencyKey }, now);
      if (created) onCreated();
      return answer(row, created);
    },
  );

  app.get<{ Querystring: RecoveryListQuery }>(
    '/hookline/1/recoveries',
    { schema: { description: "The account's recoveries, newest first.", querystring: RecoveryListQuery } },
    async (request) => {
      const accountId = request.principal.accountId;
      const page = request.query.page ?? 0;
      const size = request.query.size ?? MAX_PAGE_SIZE;
      const state = request.query.state;
      let rows = db.selectFrom('recoveries').selectAll().where('account_id', '=', accountId);
      let count = db.selectFrom('recoveries').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId);
      if (state !== undefined) {
        rows = rows.where('state', '=', state);
        count = count.where('state', '=', state);
      }
      const [results, total] = await Promise.all([
        rows.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(size).offset(page * size).execute(),
        count.executeTakeFirstOrThrow(),
      ]);
      const totalResults = Number(total.n);
      return { results: results.map(recoveryView), paging: { page, size, totalPages: Math.ceil(totalResults / size), totalResults } };
    },
  );

  app.get<{ Params: RecoveryParams }>(
    '/hookline/1/recoveries/:recoveryId',
    { schema: { description: "A recovery's progress: total, requeued, percent, state.", params: RecoveryParams } },
    async (request) => {
      const row = await findRecovery(db, request.principal.accountId, request.params.recoveryId);
      if (!row) throw new ApiError('NOT_FOUND');
      return recoveryView(row);
    },
  );

  app.delete<{ Params: RecoveryParams }>(
    '/hookline/1/recoveries/:recoveryId',
    {
      schema: {
        description: 'Cancel a running recovery: it re-queues nothing more (what it re-queued already stays queued). A finished recovery is answered unchanged.',
        params: RecoveryParams,
      },
    },
    async (request) => {
      const row = await cancelRecovery(db, request.principal.accountId, request.params.recoveryId, clock.now());
      if (!row) throw new ApiError('NOT_FOUND');
      return recoveryView(row);
    },
  );
}

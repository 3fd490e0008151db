/**
 * Scheduled bulks: `GET/PUT /sms/1/bulks` (see, reschedule) and `GET/PUT /sms/1/bulks/status`
 * (pause, resume, cancel). A bulk's status is derived from its messages except for the states
 * an operator sets (PAUSED, CANCELED). Canceled messages get no report; logs show them as
 * UNDELIVERABLE_NOT_SENT with EC_MESSAGE_CANCELED.
 */
import { Type as T, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { ApiError, badRequest } from '../http/errors.ts';
import { sendBody } from '../http/server.ts';
import { formatInfobipTime, parseInfobipTime } from '../lib/infobip-time.ts';
import type { Database } from '../store/schema.ts';
import { MAX_SCHEDULE_AHEAD_MS } from './outbound.ts';
import { Enum } from '../lib/schema-enum.ts';
import { ERROR, STATUS } from './status-catalogue.ts';

const BulkQuery = T.Object({ bulkId: T.String({ minLength: 1 }) });
type BulkQuery = Static<typeof BulkQuery>;
const RescheduleBody = T.Object({ sendAt: T.String() });
const StatusBody = T.Object({ status: Enum(['PENDING', 'PAUSED', 'PROCESSING', 'CANCELED', 'FINISHED', 'FAILED']) });

export type BulkStatus = 'PENDING' | 'PAUSED' | 'PROCESSING' | 'CANCELED' | 'FINISHED';

export class Bulks {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly onScheduleChange: () => void,
  ) {}

  private async find(db: Kysely<Database>, accountId: string, bulkId: string) {
    const bulk = await db.selectFrom('bulks').selectAll().where('account_id', '=', accountId).where('bulk_id', '=', bulkId).executeTakeFirst();
    if (!bulk) throw new ApiError('NOT_FOUND', { text: 'Bulk not found' });
    return bulk;
  }

  async status(db: Kysely<Database>, accountId: string, bulkId: string): Promise<BulkStatus> {
    const bulk = await this.find(db, accountId, bulkId);
    if (bulk.status === 'PAUSED' || bulk.status === 'CANCELED') return bulk.status;
    const states = await db
      .selectFrom('messages')
      .select('state')
      .distinct()
      .where('account_id', '=', accountId)
      .where('bulk_id', '=', bulkId)
      .execute();
    const has = (s: string) => states.some((r) => r.state === s);
    if (has('SCHEDULED')) return 'PENDING';
    if (has('SUBMITTED')) return 'PROCESSING';
    return 'FINISHED';
  }

  async schedule(accountId: string, bulkId: string): Promise<{ bulkId: string; sendAt: string }> {
    const bulk = await this.find(this.db, accountId, bulkId);
    if (bulk.send_at === null) throw new ApiError('NOT_FOUND', { text: 'Bulk not found' });
    return { bulkId, sendAt: formatInfobipTime(Number(bulk.send_at)) };
  }

  async reschedule(accountId: string, bulkId: string, sendAtText: string, now: number): Promise<{ bulkId: string; sendAt: string }> {
    const sendAt = parseInfobipTime(sendAtText);
    if (Number.isNaN(sendAt)) throw badRequest([{ property: 'sendAt', violation: "must be a date-time in the format yyyy-MM-dd'T'HH:mm:ss.SSSZ" }]);
    if (sendAt > now + MAX_SCHEDULE_AHEAD_MS) throw badRequest([{ property: 'sendAt', violation: 'must not be more than 180 days in the future' }]);
    await this.db.transaction().execute(async (trx) => {
      const status = await this.status(trx, accountId, bulkId);
      if (status !== 'PENDING' && status !== 'PAUSED') throw new ApiError('BAD_REQUEST', { text: `Bulk is ${status} and can no longer be rescheduled` });
      await trx.updateTable('bulks').set({ send_at: sendAt }).where('account_id', '=', accountId).where('bulk_id', '=', bulkId).execute();
      await trx.updateTable('messages').set({ send_at: sendAt }).where('account_id', '=', accountId).where('bulk_id', '=', bulkId).where('state', '=', 'SCHEDULED').execute();
      if (status === 'PENDING') await this.setSubmitDue(trx, accountId, bulkId, sendAt);
    });
    this.onScheduleChange();
    return { bulkId, sendAt: formatInfobipTime(sendAt) };
  }

  async updateStatus(accountId: string, bulkId: string, wanted: string, now: number): Promise<{ bulkId: string; status: BulkStatus }> {
    const result = await this.db.transaction().execute(async (trx) => {
      const current = await this.status(trx, accountId, bulkId);
      const bulk = await this.find(trx, accountId, bulkId);
      const setBulkStatus = (status: string | null) =>
        trx.updateTable('bulks').set({ status }).where('account_id', '=', accountId).where('bulk_id', '=', bulkId).execute();
      if (wanted === 'PAUSED' && (current === 'PENDING' || current === 'PAUSED')) {
        await setBulkStatus('PAUSED');
        await this.setSubmitDue(trx, accountId, bulkId, null);
        return 'PAUSED' as const;
      }
      if ((wanted === 'PROCESSING' || wanted === 'PENDING') && current === 'PAUSED') {
        await setBulkStatus(null);
        await this.setSubmitDue(trx, accountId, bulkId, Math.max(now, Number(bulk.send_at ?? now)));
        return this.status(trx, accountId, bulkId);
      }
      if (wanted === 'CANCELED' && (current === 'PENDING' || current === 'PAUSED')) {
        await setBulkStatus('CANCELED');
        await trx.deleteFrom('network_jobs').where('account_id', '=', accountId).where('bulk_id', '=', bulkId).where('step', '=', 'submit').execute();
        await trx
          .updateTable('messages')
          .set({ state: 'CANCELED', status_id: STATUS.UNDELIVERABLE_NOT_SENT, error_id: ERROR.EC_MESSAGE_CANCELED, done_at: now })
          .where('account_id', '=', accountId)
          .where('bulk_id', '=', bulkId)
          .where('state', '=', 'SCHEDULED')
          .execute();
        return 'CANCELED' as const;
      }
      if (wanted === current) return current;
      throw new ApiError('BAD_REQUEST', { text: `Bulk status cannot change from ${current} to ${wanted}` });
    });
    this.onScheduleChange();
    return { bulkId, status: result };
  }

  private async setSubmitDue(trx: Kysely<Database>, accountId: string, bulkId: string, dueAt: number | null) {
    await trx.updateTable('network_jobs').set({ due_at: dueAt }).where('account_id', '=', accountId).where('bulk_id', '=', bulkId).where('step', '=', 'submit').execute();
  }
}

export function registerBulkRoutes(app: FastifyInstance, bulks: Bulks, db: Kysely<Database>, clock: Clock): void {
  app.get<{ Querystring: BulkQuery }>('/sms/1/bulks', { schema: { querystring: BulkQuery } }, async (request, reply) =>
    sendBody(request, reply, 'BulkResponse', await bulks.schedule(request.principal.accountId, request.query.bulkId)),
  );
  app.put<{ Querystring: BulkQuery; Body: Static<typeof RescheduleBody> }>(
    '/sms/1/bulks',
    { schema: { querystring: BulkQuery, body: RescheduleBody } },
    async (request, reply) =>
      sendBody(request, reply, 'BulkResponse', await bulks.reschedule(request.principal.accountId, request.query.bulkId, request.body.sendAt, clock.now())),
  );
  app.get<{ Querystring: BulkQuery }>('/sms/1/bulks/status', { schema: { querystring: BulkQuery } }, async (request, reply) =>
    sendBody(request, reply, 'BulkStatusResponse', {
      bulkId: request.query.bulkId,
      status: await bulks.status(db, request.principal.accountId, request.query.bulkId),
    }),
  );
  app.put<{ Querystring: BulkQuery; Body: Static<typeof StatusBody> }>(
    '/sms/1/bulks/status',
    { schema: { querystring: BulkQuery, body: StatusBody } },
    async (request, reply) =>
      sendBody(request, reply, 'BulkStatusResponse', await bulks.updateStatus(request.principal.accountId, request.query.bulkId, request.body.status, clock.now())),
  );
}

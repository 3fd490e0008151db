/**
 * `GET /sms/1/logs` and `GET /sms/3/logs`: a read-only view of the account's messages of the
 * last 48 hours, newest first, at most 1000 per call (v3 can page with a cursor). Never consumed.
 */
import { Type as T, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Clock } from '../clock.ts';
import { badRequest } from '../http/errors.ts';
import { sendBody } from '../http/server.ts';
import { formatInfobipTime, parseInfobipTime } from '../lib/infobip-time.ts';
import type { ApiFamily, Database } from '../store/schema.ts';
import { SMS_FAMILIES } from './outbound.ts';
import { Enum } from '../lib/schema-enum.ts';
import { errorObject, STATUS_GROUP_NAMES, STATUSES, statusObject } from './status-catalogue.ts';

const LOG_WINDOW_MS = 48 * 3_600_000;

// The spec types these filters as arrays: accept `?messageId=a,b` and `?messageId=a&messageId=b` alike.
const IdList = T.Optional(T.Union([T.String({ maxLength: 2048 }), T.Array(T.String({ maxLength: 2048 }))]));

/** The filters every channel's logs take (each API adds its own names for sender and destination). */
export const LOG_QUERY_FIELDS = {
  bulkId: IdList,
  messageId: IdList,
  generalStatus: T.Optional(Enum(STATUS_GROUP_NAMES)),
  sentSince: T.Optional(T.String()),
  sentUntil: T.Optional(T.String()),
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  mcc: T.Optional(T.String()),
  mnc: T.Optional(T.String()),
  applicationId: T.Optional(T.String()),
  entityId: T.Optional(T.String()),
  campaignReferenceId: IdList,
};
const V2LogQuery = T.Object({ ...LOG_QUERY_FIELDS, from: T.Optional(T.String()), to: T.Optional(T.String()) });
const V3LogQuery = T.Object({ ...LOG_QUERY_FIELDS, sender: T.Optional(T.String()), destination: T.Optional(T.String()), useCursor: T.Optional(T.Boolean()), cursor: T.Optional(T.String()) });
type V2LogQuery = Static<typeof V2LogQuery>;
type V3LogQuery = Static<typeof V3LogQuery>;

const list = (value: string | string[] | undefined) =>
  [value ?? []].flat().flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

function time(value: string | undefined, property: string): number | undefined {
  if (value === undefined) return undefined;
  const at = parseInfobipTime(value);
  if (Number.isNaN(at)) throw badRequest([{ property, violation: "must be a date-time in the format yyyy-MM-dd'T'HH:mm:ss.SSSZ" }]);
  return at;
}

type Filters = { sender?: string; destination?: string; cursor?: number } & Omit<V3LogQuery, 'sender' | 'destination' | 'cursor' | 'useCursor'>;

/** SMS logs show messages sent through the SMS APIs; other channels' logs pass their own families. */
export async function queryLogs(db: Kysely<Database>, accountId: string, f: Filters, now: number, families: readonly ApiFamily[] = SMS_FAMILIES) {
  let q: SelectQueryBuilder<Database, 'messages', object> = db.selectFrom('messages').where('account_id', '=', accountId).where('family', 'in', families);
  q = q.where('created_at', '>', now - LOG_WINDOW_MS);
  if (f.sender) q = q.where('sender', '=', f.sender);
  if (f.destination) q = q.where('destination', '=', f.destination);
  if (list(f.bulkId).length) q = q.where('bulk_id', 'in', list(f.bulkId));
  if (list(f.messageId).length) q = q.where('message_id', 'in', list(f.messageId));
  if (list(f.campaignReferenceId).length) q = q.where('campaign_reference_id', 'in', list(f.campaignReferenceId));
  if (f.applicationId) q = q.where('application_id', '=', f.applicationId);
  if (f.entityId) q = q.where('entity_id', '=', f.entityId);
  if (f.mcc) q = q.where('mcc_mnc', 'like', `${f.mcc}${f.mnc ?? ''}%`);
  if (f.generalStatus) q = q.where('status_id', 'in', STATUSES.filter((s) => s.groupName === f.generalStatus).map((s) => s.id));
  const since = time(f.sentSince, 'sentSince');
  const until = time(f.sentUntil, 'sentUntil');
  const sentAt = sql<number>`coalesce(sent_at, created_at)`;
  if (since !== undefined) q = q.where(sentAt, '>=', since);
  if (until !== undefined) q = q.where(sentAt, '<=', until);
  if (f.cursor !== undefined) q = q.where('pk', '<', f.cursor);
  return q
    .selectAll('messages')
    .select((eb) =>
      eb
        .selectFrom('reports')
        .select('price_per_message')
        .whereRef('reports.message_pk', '=', 'messages.pk')
        .orderBy('reports.id', 'desc')
        .limit(1)
        .as('price'),
    )
    .orderBy('pk', 'desc')
    .limit(f.limit ?? 50)
    .execute();
}

export type LogRow = Awaited<ReturnType<typeof queryLogs>>[number];

/** What every channel's log item has (ids, times, price, status); each API adds its own fields. */
export function commonLogFields(row: LogRow, currency: string) {
  return {
    bulkId: row.bulk_id,
    messageId: row.message_id,
    sentAt: formatInfobipTime(Number(row.sent_at ?? row.created_at)),
    ...(row.done_at ? { doneAt: formatInfobipTime(Number(row.done_at)) } : {}),
    ...(row.mcc_mnc ? { mccMnc: row.mcc_mnc } : {}),
    price: { pricePerMessage: row.price ?? 0, currency },
    status: statusObject(row.status_id),
  };
}

export function registerLogRoutes(app: FastifyInstance, db: Kysely<Database>, clock: Clock, currency: string): void {
  app.get<{ Querystring: V2LogQuery }>('/sms/1/logs', { schema: { querystring: V2LogQuery } }, async (request, reply) => {
    const { from, to, ...rest } = request.query;
    const rows = await queryLogs(db, request.principal.accountId, { ...rest, sender: from, destination: to }, clock.now());
    const results = rows.map((row) => ({
      ...commonLogFields(row, currency),
      to: row.destination,
      ...(row.sender ? { from: row.sender } : {}),
      text: row.text,
      smsCount: row.parts,
      error: errorObject(row.error_id, 'v2'),
      ...(row.application_id ? { applicationId: row.application_id } : {}),
      ...(row.entity_id ? { entityId: row.entity_id } : {}),
      ...(row.campaign_reference_id ? { campaignReferenceId: row.campaign_reference_id } : {}),
    }));
    return sendBody(request, reply, 'smsLogsResponse', { results });
  });

  app.get<{ Querystring: V3LogQuery }>('/sms/3/logs', { schema: { querystring: V3LogQuery } }, async (request, reply) => {
    const { useCursor, cursor, ...rest } = request.query;
    const cursorPk = cursor === undefined ? undefined : Number(cursor);
    if (cursorPk !== undefined && !Number.isInteger(cursorPk)) throw badRequest([{ property: 'cursor', violation: 'is not a cursor returned by this endpoint' }]);
    const limit = rest.limit ?? 50;
    const rows = await queryLogs(db, request.principal.accountId, { ...rest, cursor: useCursor ? cursorPk : undefined }, clock.now());
    const results = rows.map((row) => ({
      ...commonLogFields(row, currency),
      destination: row.destination,
      ...(row.sender ? { sender: row.sender } : {}),
      messageCount: row.parts,
      error: errorObject(row.error_id, 'v3'),
      ...(row.entity_id || row.application_id
        ? { platform: { ...(row.entity_id ? { entityId: row.entity_id } : {}), ...(row.application_id ? { applicationId: row.application_id } : {}) } }
        : {}),
      content: row.options?.includes('"hex"') ? JSON.parse(row.options).content : { text: row.text },
      ...(row.campaign_reference_id ? { campaignReferenceId: row.campaign_reference_id } : {}),
    }));
    const page = useCursor ? { cursor: { limit, ...(rows.length === limit ? { nextCursor: String(rows[rows.length - 1].pk) } : {}) } } : {};
    return sendBody(request, reply, 'LogResponse', { results, ...page });
  });
}

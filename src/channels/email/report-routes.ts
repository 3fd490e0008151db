/**
 * `GET /email/1/reports` and `GET /email/1/logs`, the email API's read side.
 *
 *  - reports: the account's pull queue, drained of email reports only, each returned once
 *    (SMS pull endpoints never see them, nor these SMS reports);
 *  - logs: a read-only view of the account's emails of the last 48 hours with their current
 *    status, newest first, through the same query as the SMS logs.
 */
import { Type as T, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { sendBody } from '../../http/server.ts';
import { Enum } from '../../lib/schema-enum.ts';
import { common as commonLogFields, queryLogs, type LogRow } from '../../messaging/logs.ts';
import { pullReports } from '../../messaging/pull-reports.ts';
import { errorObject, STATUS_GROUP_NAMES } from '../../messaging/status-catalogue.ts';
import type { ApiFamily, Database } from '../../store/schema.ts';
import { EMAIL_XML_ROOTS, toEmailPullReport } from './shapes.ts';

const EMAIL_FAMILIES: readonly ApiFamily[] = ['email'];

const EmailReportsQuery = T.Object({
  bulkId: T.Optional(T.String()),
  messageId: T.Optional(T.String()),
  campaignReferenceId: T.Optional(T.String()),
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  applicationId: T.Optional(T.String()),
  entityId: T.Optional(T.String()),
});
type EmailReportsQuery = Static<typeof EmailReportsQuery>;

const EmailLogsQuery = T.Object({
  messageId: T.Optional(T.String({ maxLength: 2048 })),
  from: T.Optional(T.String()),
  to: T.Optional(T.String()),
  bulkId: T.Optional(T.String({ maxLength: 2048 })),
  campaignReferenceId: T.Optional(T.String({ maxLength: 2048 })),
  generalStatus: T.Optional(Enum(STATUS_GROUP_NAMES)),
  sentSince: T.Optional(T.String()),
  sentUntil: T.Optional(T.String()),
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  applicationId: T.Optional(T.String()),
  entityId: T.Optional(T.String()),
});
type EmailLogsQuery = Static<typeof EmailLogsQuery>;

/** EmailLog: the shared log fields, then who, what and the current error. */
function toEmailLog(row: LogRow, currency: string): Record<string, unknown> {
  return {
    ...(row.application_id ? { applicationId: row.application_id } : {}),
    ...(row.entity_id ? { entityId: row.entity_id } : {}),
    ...commonLogFields(row, currency),
    to: row.destination,
    ...(row.sender ? { from: row.sender } : {}),
    text: row.text,
    messageCount: row.parts,
    error: errorObject(row.error_id, 'v3'),
  };
}

export function registerEmailReportRoutes(app: FastifyInstance, deps: { db: Kysely<Database>; clock: Clock; currency: string }): void {
  const { db, clock } = deps;

  app.get<{ Querystring: EmailReportsQuery }>('/email/1/reports', { schema: { querystring: EmailReportsQuery } }, async (request, reply) => {
    const views = await pullReports(db, request.principal.accountId, request.query, clock.now(), EMAIL_FAMILIES);
    return sendBody(request, reply, EMAIL_XML_ROOTS.pull, { results: views.map(toEmailPullReport) });
  });

  app.get<{ Querystring: EmailLogsQuery }>('/email/1/logs', { schema: { querystring: EmailLogsQuery } }, async (request, reply) => {
    const { from, to, ...rest } = request.query;
    const rows = await queryLogs(db, request.principal.accountId, { ...rest, sender: from, destination: to }, clock.now(), EMAIL_FAMILIES);
    return sendBody(request, reply, 'EmailLogResponse', { results: rows.map((row) => toEmailLog(row, deps.currency)) });
  });
}

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
import { optional } from '../../lib/payload.ts';
import { commonLogFields, LOG_QUERY_FIELDS, queryLogs, type LogRow } from '../../messaging/logs.ts';
import { pullReports, PullQuery } from '../../messaging/pull-reports.ts';
import { errorObject } from '../../messaging/status-catalogue.ts';
import type { ApiFamily, Database } from '../../store/schema.ts';
import { EMAIL_XML_ROOTS, toEmailPullReport } from './shapes.ts';

const EMAIL_FAMILIES: readonly ApiFamily[] = ['email'];

/** The logs' shared filters (emails have no mcc/mnc), the sender and recipient by the email API's names. */
const EmailLogsQuery = T.Composite([T.Omit(T.Object(LOG_QUERY_FIELDS), ['mcc', 'mnc']), T.Object({ from: T.Optional(T.String()), to: T.Optional(T.String()) })]);
type EmailLogsQuery = Static<typeof EmailLogsQuery>;

/** EmailLog: the shared log fields, then who, what and the current error. */
function toEmailLog(row: LogRow, currency: string): Record<string, unknown> {
  return {
    ...optional('applicationId', row.application_id),
    ...optional('entityId', row.entity_id),
    ...commonLogFields(row, currency),
    to: row.destination,
    ...optional('from', row.sender),
    text: row.text,
    messageCount: row.parts,
    error: errorObject(row.error_id, 'v3'),
  };
}

export function registerEmailReportRoutes(app: FastifyInstance, deps: { db: Kysely<Database>; clock: Clock; currency: string }): void {
  const { db, clock } = deps;

  // The spec's GET /email/1/reports takes the SMS pull's filters, filter for filter.
  app.get<{ Querystring: PullQuery }>('/email/1/reports', { schema: { querystring: PullQuery } }, async (request, reply) => {
    const views = await pullReports(db, request.principal.accountId, request.query, clock.now(), EMAIL_FAMILIES);
    return sendBody(request, reply, EMAIL_XML_ROOTS.pull, { results: views.map(toEmailPullReport) });
  });

  app.get<{ Querystring: EmailLogsQuery }>('/email/1/logs', { schema: { querystring: EmailLogsQuery } }, async (request, reply) => {
    const { from, to, ...rest } = request.query;
    const rows = await queryLogs(db, request.principal.accountId, { ...rest, sender: from, destination: to }, clock.now(), EMAIL_FAMILIES);
    return sendBody(request, reply, 'EmailLogResponse', { results: rows.map((row) => toEmailLog(row, deps.currency)) });
  });
}

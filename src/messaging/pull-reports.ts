/**
 * Pulled reports: each API drains the account's queued reports of its own messages, each returned
 * once, then gone — `GET /sms/1/reports` (v2 shape) and `GET /sms/3/reports` (v3 shape) share the
 * SMS APIs' reports; the Messages API and Email pull theirs through `pullReports`. A report is in
 * the queue only when it was not pushed (see events/routing.ts); entries older than 48 h are
 * skipped and swept. Two concurrent pulls never return one report twice: each returns only the
 * entries its own delete removed.
 */
import { Type as T, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { sendBody } from '../http/server.ts';
import type { ApiFamily, Database } from '../store/schema.ts';
import { removeTaken } from '../store/take-once.ts';
import { SMS_FAMILIES } from './outbound.ts';
import { loadReportViews, renderReport, REPORT_XML_ROOT, type ReportShape } from './report-shape.ts';

export const PullQuery = T.Object({
  bulkId: T.Optional(T.String()),
  messageId: T.Optional(T.String()),
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  applicationId: T.Optional(T.String()),
  entityId: T.Optional(T.String()),
  campaignReferenceId: T.Optional(T.String()),
});
export type PullQuery = Static<typeof PullQuery>;


/** Drains the account's queued reports of messages sent through the given API families. */
export async function pullReports(db: Kysely<Database>, accountId: string, query: PullQuery & { channel?: string }, now: number, families: readonly ApiFamily[]) {
  return db.transaction().execute(async (trx) => {
    let select = trx
      .selectFrom('pull_queue as q')
      .innerJoin('reports as r', 'r.id', 'q.report_id')
      .innerJoin('messages as m', 'm.pk', 'r.message_pk')
      .select(['q.id', 'q.report_id'])
      .where('q.account_id', '=', accountId)
      .where('q.expires_at', '>', now)
      .where('m.family', 'in', families)
      .orderBy('q.id')
      .limit(query.limit ?? 50);
    if (query.channel) select = select.where('r.channel', '=', query.channel);
    if (query.bulkId) select = select.where('m.bulk_id', '=', query.bulkId);
    if (query.messageId) select = select.where('m.message_id', '=', query.messageId);
    if (query.applicationId) select = select.where('m.application_id', '=', query.applicationId);
    if (query.entityId) select = select.where('m.entity_id', '=', query.entityId);
    if (query.campaignReferenceId) select = select.where('m.campaign_reference_id', '=', query.campaignReferenceId);
    const taken = await removeTaken(trx, 'pull_queue', await select.execute());
    return loadReportViews(trx, taken.map((t) => Number(t.report_id)));
  });
}

export function registerPullRoutes(app: FastifyInstance, db: Kysely<Database>, clock: Clock): void {
  const route = (path: string, shape: ReportShape) =>
    app.get<{ Querystring: PullQuery }>(path, { schema: { querystring: PullQuery } }, async (request, reply) => {
      // Both SMS pull endpoints drain the SMS APIs' reports, each in its own shape.
      const views = await pullReports(db, request.principal.accountId, request.query, clock.now(), SMS_FAMILIES);
      return sendBody(request, reply, REPORT_XML_ROOT[shape], { results: views.map((v) => renderReport(shape, v)) });
    });
  route('/sms/1/reports', 'v2');
  route('/sms/3/reports', 'v3');
}

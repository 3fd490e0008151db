/**
 * The Messages API's endpoints: `POST /messages-api/1/messages` (send on SMS, WhatsApp, Viber or
 * RCS), `GET /messages-api/1/reports` (delivery reports nobody took, each once) and
 * `GET /messages-api/1/inbound` (replies nobody took, each once). Errors answer in the ApiError
 * envelope the spec declares (errors.ts picks it by path).
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { sendBody } from '../../http/server.ts';
import { pullInbox } from '../../inbound/inbox-routes.ts';
import type { Intake, IntakeResult } from '../../messaging/intake.ts';
import { pullReports } from '../../messaging/pull-reports.ts';
import { statusObject } from '../../messaging/status-catalogue.ts';
import type { DialectProfile } from '../../store/dialect.ts';
import type { Database } from '../../store/schema.ts';
import { withPaired } from './mo-views.ts';
import { fromMessagesApi } from './outbound.ts';
import { InboundQuery, MessagesApiRequest, ReportsQuery } from './schemas.ts';
import { MESSAGES_API_XML, toDeliveryItem, toMessagesApiMoItem } from './shapes.ts';

export interface MessagesApiDeps {
  intake: Intake;
  db: Kysely<Database>;
  profile: DialectProfile;
  clock: Clock;
}

/** ResponseEnvelopeMessageResponseMessageResponseDetails (no `details`: Hookline has none to give). */
function sendResponse(result: IntakeResult) {
  return {
    bulkId: result.bulkId,
    messages: result.items.map((item) => ({ messageId: item.messageId, status: statusObject(item.statusId), destination: item.to })),
  };
}

export function registerMessagesApiRoutes(app: FastifyInstance, { intake, db, profile, clock }: MessagesApiDeps): void {
  app.post<{ Body: MessagesApiRequest }>('/messages-api/1/messages', { schema: { body: MessagesApiRequest } }, async (request, reply) => {
    const now = clock.now();
    const result = await intake.accept(request.principal, fromMessagesApi(request.body, now), now);
    return sendBody(request, reply, 'ResponseEnvelopeMessageResponseMessageResponseDetails', sendResponse(result), MESSAGES_API_XML.items);
  });

  app.get<{ Querystring: ReportsQuery }>('/messages-api/1/reports', { schema: { querystring: ReportsQuery } }, async (request, reply) => {
    const views = await pullReports(db, request.principal.accountId, request.query, clock.now(), ['messages-api']);
    return sendBody(request, reply, MESSAGES_API_XML.delivery, { results: views.map(toDeliveryItem) }, MESSAGES_API_XML.items);
  });

  app.get<{ Querystring: InboundQuery }>('/messages-api/1/inbound', { schema: { querystring: InboundQuery } }, async (request, reply) => {
    const { messages, pending } = await pullInbox(db, profile, request.principal.accountId, request.query, clock.now(), 'messages-api');
    const results = (await withPaired(db, messages)).map(toMessagesApiMoItem);
    return sendBody(request, reply, MESSAGES_API_XML.inbox, { results, messageCount: results.length, pendingMessageCount: pending }, MESSAGES_API_XML.items);
  });
}

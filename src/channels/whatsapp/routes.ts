/**
 * The WhatsApp API: `POST /whatsapp/1/message/text`, `POST /whatsapp/1/message/template` and
 * `POST /whatsapp/1/senders/{sender}/message/{messageId}/read`. Answers in the spec's shapes
 * (`SingleMessageInfo`, `BulkMessageInfo`, 204); errors in the legacy envelope the spec documents
 * (src/http/errors.ts picks it by the `/whatsapp/1/` prefix).
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { ApiError } from '../../http/errors.ts';
import { sendBody } from '../../http/server.ts';
import type { Intake, IntakeResult } from '../../messaging/intake.ts';
import { statusObject } from '../../messaging/status-catalogue.ts';
import type { Database } from '../../store/schema.ts';
import { fromTemplate, fromText } from './outbound.ts';
import { markInboundRead } from './read.ts';
import { ReadParams, TemplateRequest, TextMessage } from './schemas.ts';

export interface WhatsAppDeps {
  intake: Intake;
  db: Kysely<Database>;
  clock: Clock;
}

/** SingleMessageInfo: one message's fate at intake. */
const messageInfo = (item: IntakeResult['items'][number]) => ({ to: item.to, messageCount: item.parts, messageId: item.messageId, status: statusObject(item.statusId) });

export function registerWhatsAppRoutes(app: FastifyInstance, deps: WhatsAppDeps): void {
  app.post<{ Body: TextMessage }>('/whatsapp/1/message/text', { schema: { body: TextMessage } }, async (request, reply) => {
    const result = await deps.intake.accept(request.principal, fromText(request.body), deps.clock.now());
    return sendBody(request, reply, 'SingleMessageInfo', messageInfo(result.items[0]));
  });

  app.post<{ Body: TemplateRequest }>('/whatsapp/1/message/template', { schema: { body: TemplateRequest } }, async (request, reply) => {
    const result = await deps.intake.accept(request.principal, fromTemplate(request.body), deps.clock.now());
    return sendBody(request, reply, 'BulkMessageInfo', { messages: result.items.map(messageInfo), bulkId: result.bulkId });
  });

  // The official SDK posts `{}`; any body is ignored.
  app.post<{ Params: ReadParams }>('/whatsapp/1/senders/:sender/message/:messageId/read', { schema: { params: ReadParams } }, async (request, reply) => {
    const { sender, messageId } = request.params;
    const found = await markInboundRead(deps.db, request.principal.accountId, sender, messageId, deps.clock.now());
    if (!found) throw new ApiError('NOT_FOUND');
    return reply.status(204).send();
  });
}

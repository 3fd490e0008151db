/** `POST /sms/2/text/advanced`, `POST /sms/3/messages` and `POST /sms/1/preview`. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import { sendBody } from '../http/server.ts';
import type { Intake, IntakeResult } from './intake.ts';
import { fromV2, fromV3 } from './outbound.ts';
import { segment } from './segmentation.ts';
import { PreviewRequest, V2BinaryRequest, V2Request, V3Request } from './sms-schemas.ts';
import { statusObject } from './status-catalogue.ts';

function v2Response(result: IntakeResult, includeCount: boolean) {
  return {
    bulkId: result.bulkId,
    messages: result.items.map((item) => ({
      to: item.to,
      status: statusObject(item.statusId),
      messageId: item.messageId,
      ...(includeCount ? { smsCount: item.parts } : {}),
    })),
  };
}

function v3Response(result: IntakeResult, includeCount: boolean) {
  return {
    bulkId: result.bulkId,
    messages: result.items.map((item) => ({
      messageId: item.messageId,
      status: statusObject(item.statusId),
      destination: item.to,
      ...(includeCount ? { details: { messageCount: item.parts } } : {}),
    })),
  };
}

export function registerSendRoutes(app: FastifyInstance, intake: Intake, clock: Clock): void {
  const sendV2 = async (request: FastifyRequest<{ Body: V2Request | V2BinaryRequest }>, reply: FastifyReply) => {
    const now = clock.now();
    const outbound = fromV2(request.body, now);
    const result = await intake.accept(request.principal, outbound, now);
    return sendBody(request, reply, 'smsResponse', v2Response(result, outbound.includeCount));
  };
  app.post('/sms/2/text/advanced', { schema: { body: V2Request } }, sendV2);
  app.post('/sms/2/binary/advanced', { schema: { body: V2BinaryRequest } }, sendV2);

  app.post<{ Body: V3Request }>('/sms/3/messages', { schema: { body: V3Request } }, async (request, reply) => {
    const now = clock.now();
    const outbound = fromV3(request.body, now);
    const result = await intake.accept(request.principal, outbound, now);
    return sendBody(request, reply, 'SmsResponseEnvelope', v3Response(result, outbound.includeCount));
  });

  app.post<{ Body: PreviewRequest }>('/sms/1/preview', { schema: { body: PreviewRequest } }, async (request, reply) => {
    const { text, languageCode, transliteration } = request.body;
    const plain = segment(text);
    const previews = [{ textPreview: text, messageCount: plain.parts, charactersRemaining: plain.charactersRemaining, configuration: {} }];
    // National language tables and transliteration are not modelled: the configured preview
    // is shown with the same count, so clients that read previews[1] still find one.
    if (languageCode || transliteration) {
      const configuration = { ...(languageCode ? { language: { languageCode } } : {}), ...(transliteration ? { transliteration } : {}) };
      previews.push({ ...previews[0], configuration });
    }
    return sendBody(request, reply, 'PreviewResponse', { originalText: text, previews });
  });
}

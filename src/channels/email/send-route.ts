/**
 * `POST /email/3/send`: a multipart/form-data request (the only body the spec and the official SDK
 * send) → one message per recipient, accepted by intake like every other channel's.
 *
 * @fastify/multipart is registered inside this route's own plugin scope, so its content-type
 * parser, request decorators and hooks exist for this route only; every other route keeps
 * refusing multipart bodies as before.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../clock.ts';
import { ApiError } from '../../http/errors.ts';
import { sendBody } from '../../http/server.ts';
import type { Intake, IntakeResult } from '../../messaging/intake.ts';
import { statusObject } from '../../messaging/status-catalogue.ts';
import { checkDeclaredLength, EMAIL_FORM_LIMITS, readEmailForm } from './form.ts';
import { toOutbound } from './outbound.ts';
import { parseSendRequest } from './send-request.ts';

/** SendResponse: `{bulkId, messages: [{to, messageId, status}]}`. */
export function sendResponse(result: IntakeResult) {
  return { bulkId: result.bulkId, messages: result.items.map((item) => ({ to: item.to, messageId: item.messageId, status: statusObject(item.statusId) })) };
}

export function registerEmailSendRoute(app: FastifyInstance, deps: { intake: Intake; clock: Clock }): void {
  app.register(async (scope) => {
    // throwFileSizeLimit: an oversized attachment ends the request with 413 instead of being cut short silently.
    await scope.register(multipart, { limits: EMAIL_FORM_LIMITS, throwFileSizeLimit: true });
    scope.post('/email/3/send', { schema: { consumes: ['multipart/form-data'] } }, async (request, reply) => {
      if (!request.isMultipart()) throw new ApiError('UNSUPPORTED_MEDIA_TYPE', { text: 'Send the request as multipart/form-data' });
      checkDeclaredLength(request);
      // Past the total limit the rest of the body is drained without parsing it (see form.ts).
      const form = await readEmailForm(request.parts(), () => {
        request.raw.unpipe();
        request.raw.resume();
      });
      const now = deps.clock.now();
      const outbound = toOutbound(parseSendRequest(form, now));
      const result = await deps.intake.accept(request.principal, outbound, now);
      return sendBody(request, reply, 'SendResponse', sendResponse(result));
    });
  });
}

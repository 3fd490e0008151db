/**
 * WhatsApp text and template requests → one OutboundRequest for intake (family 'whatsapp',
 * channel WHATSAPP), so everything after intake is the same pipeline as SMS.
 *
 * WhatsApp has ONE callback URL per message: `notifyUrl` takes delivery AND seen reports
 * (the spec: "The URL on your callback server to which delivery and seen reports will be sent"),
 * so it is both the draft's notifyUrl and its engagementUrl. There is no scheduling, validity,
 * intermediate report or content type option: reports are JSON, sent at once, valid 48 h.
 *
 * Hookline keeps no registered templates, so a template message's `text` is what the request
 * fills the template with: the header's text placeholder, then the body's placeholders, one per
 * line (the template's name when there are none). The whole template content is kept in options.
 */
import { badRequest, type Violation } from '../../http/errors.ts';
import { linkTrackingOf } from '../../clicks/tracking.ts';
import { newBulkId, newMessageId } from '../../lib/ids.ts';
import { compact } from '../../lib/payload.ts';
import { CHANNEL } from '../../messaging/channels.ts';
import { MAX_VALIDITY_MS, type OutboundDraft, type OutboundRequest } from '../../messaging/outbound.ts';
import type { TemplateContent, TemplateHeader, TemplateRequest, TextMessage } from './schemas.ts';

type Message = TextMessage | TemplateRequest['messages'][number];

/** The draft fields every WhatsApp message has, whatever its content. `at`: where the message is in the request. */
function draftOf(m: Message, at: string, text: string, options: Record<string, unknown>): OutboundDraft {
  const messageId = m.messageId || undefined;
  const notifyUrl = m.notifyUrl || null;
  return {
    path: at,
    clientMessageId: messageId,
    messageId: messageId ?? newMessageId(),
    to: m.to,
    sender: m.from,
    text,
    binary: false,
    channel: CHANNEL.WHATSAPP,
    notifyUrl,
    notifyUrlPath: `${at}notifyUrl`,
    engagementUrl: notifyUrl,
    engagementUrlPath: `${at}notifyUrl`,
    contentType: 'application/json',
    notify: true,
    intermediate: false,
    callbackData: m.callbackData ?? null,
    validityMs: MAX_VALIDITY_MS,
    sendAt: null,
    entityId: m.entityId || null,
    applicationId: m.applicationId || null,
    campaignReferenceId: null,
    linkTracking: linkTrackingOf(m.urlOptions, `${at}urlOptions`),
    failover: null,
    failoverReports: false,
    options: compact({ ...options, urlOptions: m.urlOptions, context: m.context }),
  };
}

/** `POST /whatsapp/1/message/text`: one message, answered on its own (no bulk in the response). */
export function fromText(body: TextMessage): OutboundRequest {
  if (body.content.text.trim() === '') throw badRequest([{ property: 'content.text', violation: 'must not be blank' }]);
  const draft = draftOf(body, '', body.content.text, { previewUrl: body.content.previewUrl });
  return { family: 'whatsapp', bulkId: newBulkId(), sendAt: null, includeCount: false, drafts: [draft] };
}

/** Line breaks, tabs and runs of more than four spaces, which WhatsApp refuses in a text header's placeholder. */
const UNSPACED = /[\n\t]| {5,}/;

/** What each header type needs beyond its type (the spec's discriminated variants). */
function headerViolations(header: TemplateHeader, at: string): Violation[] {
  const missing = (field: keyof TemplateHeader) => (header[field] === undefined ? [{ property: `${at}.${field}`, violation: 'must not be null' }] : []);
  switch (header.type) {
    case 'TEXT':
      if (header.placeholder !== undefined && UNSPACED.test(header.placeholder)) {
        return [{ property: `${at}.placeholder`, violation: 'cannot have new-line/tab characters or more than 4 consecutive spaces' }];
      }
      return missing('placeholder');
    case 'DOCUMENT':
      return [...missing('mediaUrl'), ...missing('filename')];
    case 'IMAGE':
    case 'VIDEO':
    case 'GIF':
      return missing('mediaUrl');
    case 'LOCATION':
      return [...missing('latitude'), ...missing('longitude')];
  }
}

/** Button types whose variant requires a `parameter`, and its length limits. */
const BUTTON_PARAMETER: Record<string, { min: number; max: number }> = { QUICK_REPLY: { min: 1, max: 128 }, URL: { min: 0, max: Infinity }, COPY_CODE: { min: 1, max: 15 } };

function contentViolations(content: TemplateContent, at: string): Violation[] {
  const violations: Violation[] = [];
  const { header, buttons } = content.templateData;
  if (header) violations.push(...headerViolations(header, `${at}.templateData.header`));
  buttons?.forEach((button, k) => {
    const rule = BUTTON_PARAMETER[button.type];
    if (!rule) return;
    const property = `${at}.templateData.buttons[${k}].parameter`;
    if (button.parameter === undefined) violations.push({ property, violation: 'must not be null' });
    else if (button.parameter.length < rule.min || button.parameter.length > rule.max) {
      violations.push({ property, violation: `size must be between ${rule.min} and ${rule.max}` });
    }
  });
  return violations;
}

/** The text a template message stands for here (see the file comment). */
export function templateText(content: TemplateContent): string {
  const { header, body } = content.templateData;
  const lines = [...(header?.type === 'TEXT' && header.placeholder ? [header.placeholder] : []), ...body.placeholders];
  return lines.length ? lines.join('\n') : content.templateName;
}

/** `POST /whatsapp/1/message/template`: a bulk of template messages, each with its own sender and recipient. */
export function fromTemplate(body: TemplateRequest): OutboundRequest {
  const violations: Violation[] = [];
  const drafts = body.messages.map((m, i) => {
    const at = `messages[${i}].`;
    violations.push(...contentViolations(m.content, `${at}content`));
    const { templateName, templateData, language } = m.content;
    const draft = draftOf(m, at, templateText(m.content), { templateName, language, templateData, smsFailover: m.smsFailover });
    // smsFailover names no recipient of its own (it is the same person). It becomes a failover step
    // like the Messages API's, so one composite connector (network/failover.ts) runs both APIs' failovers.
    if (m.smsFailover) draft.failover = [{ channel: CHANNEL.SMS, sender: m.smsFailover.from, to: m.to, text: m.smsFailover.text }];
    return draft;
  });
  if (violations.length) throw badRequest(violations);
  return { family: 'whatsapp', bulkId: body.bulkId || newBulkId(), sendAt: null, includeCount: false, drafts };
}

/**
 * A Messages API request (`POST /messages-api/1/messages`) as outbound drafts, one per
 * destination, in the same shape the SMS APIs produce, so intake, the network and the event
 * stream treat it like any other message of the family 'messages-api'.
 *
 * Decisions (infobip-messages-api-openapi.json):
 *  - Hookline sends on SMS, WHATSAPP, VIBER_BM and RCS. The spec's other channels pass the schema
 *    and are refused here by name, so the client learns which channels exist and which are missing.
 *  - Template messages (MessagesApiTemplateMessage, template failover steps) are refused by name:
 *    Hookline has no template store to fill them from.
 *  - `validityPeriod` below 10 seconds is refused; above 48 hours it is cut to 48 hours, as the
 *    spec says Infobip does ("If exceeded, it will be automatically set to 48h").
 *  - With `failover`, every destination must be a Channels Destination (`byChannel`) naming the
 *    message's channel and every failover channel: the spec makes it required, and without it there
 *    is nobody to fail over to.
 *  - A failover step's own text and validity travel in its FailoverStep (the message takes them
 *    when it moves on to that channel). Each channel's text, the message's or a step's own, is
 *    capped at what that channel shows (content.ts).
 *  - A `messageId` of "" (the spec allows length 0) is no id: Hookline makes one, as WhatsApp does.
 *  - What Hookline stores but does not act on (rich content, a step's rich content, delivery time
 *    window, correlation data, ordering, …) goes to the message's `options`. A failover step's
 *    report keeps its own channel's sender and destination (events/recorder.ts).
 */
import { badRequest, type Violation } from '../../http/errors.ts';
import { linkTrackingOf } from '../../clicks/tracking.ts';
import { newBulkId, newMessageId } from '../../lib/ids.ts';
import { compact } from '../../lib/payload.ts';
import { MESSAGES_API_CHANNELS } from '../../messaging/channels.ts';
import { destinationProblem, normalizeDestination } from '../../messaging/destination.ts';
import { checkDestinationCount, MAX_VALIDITY_MS, parseSendAt, type FailoverStep, type OutboundDraft, type OutboundRequest } from '../../messaging/outbound.ts';
import { checkContent, checkTextLength, isPlainText } from './content.ts';
import type { MessagesApiContent, MessagesApiMessage, MessagesApiRequest } from './schemas.ts';

export const MIN_VALIDITY_MS = 10_000;
const UNIT_MS = { SECONDS: 1_000, MINUTES: 60_000, HOURS: 3_600_000 } as const;

type Validity = { amount: number; timeUnit?: keyof typeof UNIT_MS } | undefined;

function validityMs(validity: Validity, property: string, violations: Violation[]): number | undefined {
  if (!validity) return undefined;
  const ms = validity.amount * UNIT_MS[validity.timeUnit ?? 'MINUTES'];
  if (ms < MIN_VALIDITY_MS) violations.push({ property, violation: 'must be at least 10 seconds' });
  return Math.min(ms, MAX_VALIDITY_MS);
}

function checkChannel(channel: string, property: string, violations: Violation[]): void {
  if (!MESSAGES_API_CHANNELS.includes(channel)) {
    violations.push({ property, violation: `channel ${channel} is not supported (Hookline sends on ${MESSAGES_API_CHANNELS.join(', ')})` });
  }
}

/** A failover step's own content and validity, beyond its channel, sender and destination. */
interface StepSettings {
  text?: string;
  validityMs?: number;
  /** Rich content (anything but a plain TEXT body), kept in the message's options. */
  content?: MessagesApiContent;
}

/**
 * Checks the failover steps (their channels, content, validity) and returns each one's own
 * settings. A step without content of its own sends the message's `text` on its channel.
 */
function failoverSettings(m: MessagesApiMessage, i: number, text: string, violations: Violation[]): StepSettings[] {
  const used = new Set([m.channel]);
  return (m.failover ?? []).map((f, k) => {
    const path = `messages[${i}].failover[${k}]`;
    checkChannel(f.channel, `${path}.channel`, violations);
    if (f.channel === m.channel) violations.push({ property: `${path}.channel`, violation: 'must differ from the message’s channel' });
    else if (used.has(f.channel)) violations.push({ property: `${path}.channel`, violation: 'must not repeat an earlier failover channel' });
    used.add(f.channel);
    if (f.template) violations.push({ property: `${path}.template`, violation: 'template messages are not supported' });
    const content = f.content && !f.template ? f.content : undefined;
    const own = content ? checkContent(content, `${path}.content`, violations) : undefined;
    checkTextLength(own ?? text, f.channel, own === undefined ? `messages[${i}].content.body.text` : `${path}.content.body.text`, violations);
    return {
      text: own,
      validityMs: validityMs(f.validityPeriod, `${path}.validityPeriod`, violations),
      content: content && !isPlainText(content) ? content : undefined,
    };
  });
}

/** Who to send to on the message's channel and on each failover channel, for one destination. */
function route(m: MessagesApiMessage, d: MessagesApiMessage['destinations'][number], settings: StepSettings[], path: string, violations: Violation[]) {
  const steps = m.failover ?? [];
  if (d.to !== undefined && d.byChannel !== undefined) violations.push({ property: path, violation: 'must have either to or byChannel, not both' });
  if (d.byChannel === undefined) {
    if (d.to === undefined) violations.push({ property: `${path}.to`, violation: 'is required (or byChannel)' });
    if (steps.length > 0) violations.push({ property: `${path}.byChannel`, violation: 'is required when failover is used' });
    return { to: d.to ?? '', messageId: d.messageId || undefined, failover: null };
  }
  const byChannel = new Map(d.byChannel.map((entry) => [entry.channel, entry]));
  const main = byChannel.get(m.channel);
  if (!main) violations.push({ property: `${path}.byChannel`, violation: `must hold a destination for the message’s channel ${m.channel}` });
  const failover: FailoverStep[] = steps.map((f, k) => {
    const entry = byChannel.get(f.channel);
    if (!entry) violations.push({ property: `${path}.byChannel`, violation: `must hold a destination for the failover channel ${f.channel}` });
    else if (MESSAGES_API_CHANNELS.includes(f.channel) && destinationProblem(entry.to) !== null) {
      const k = d.byChannel!.indexOf(entry);
      violations.push({ property: `${path}.byChannel[${k}].to`, violation: 'must be an international phone number' });
    }
    const { text, validityMs } = settings[k];
    return { channel: f.channel, sender: f.sender ?? null, to: entry ? normalizeDestination(entry.to) : '', ...(text === undefined ? {} : { text }), ...(validityMs === undefined ? {} : { validityMs }) };
  });
  // `byChannel[].messageId` is deprecated in favour of the destination's own.
  return { to: main?.to ?? '', messageId: d.messageId || main?.messageId || undefined, failover: failover.length ? failover : null };
}

export function fromMessagesApi(body: MessagesApiRequest, now: number): OutboundRequest {
  const violations: Violation[] = [];
  checkDestinationCount(body.messages.reduce((n, m) => n + m.destinations.length, 0));
  const schedule = body.options?.schedule;
  const sendAt = parseSendAt(schedule?.sendAt, 'options.schedule.sendAt', now, violations);
  // One request-wide setting: every draft shares it.
  const linkTracking = linkTrackingOf(body.options?.tracking, 'options.tracking');
  const drafts: OutboundDraft[] = [];
  body.messages.forEach((m, i) => {
    checkChannel(m.channel, `messages[${i}].channel`, violations);
    if (m.template) violations.push({ property: `messages[${i}].template`, violation: 'template messages are not supported' });
    else if (!m.content) violations.push({ property: `messages[${i}].content`, violation: 'is required' });
    // A template's content has its own shape (parameters, template buttons): refused above, not checked.
    const content = !m.template && m.content ? m.content : undefined;
    const text = content ? checkContent(content, `messages[${i}].content`, violations) : '';
    checkTextLength(text, m.channel, `messages[${i}].content.body.text`, violations);
    const validity = validityMs(m.options?.validityPeriod, `messages[${i}].options.validityPeriod`, violations) ?? MAX_VALIDITY_MS;
    const settings = failoverSettings(m, i, text, violations);
    const richSteps = settings.some((step) => step.content) ? (m.failover ?? []).map((f, k) => ({ channel: f.channel, content: settings[k].content })) : undefined;
    m.destinations.forEach((d, j) => {
      const path = `messages[${i}].destinations[${j}]`;
      const { to, messageId, failover } = route(m, d, settings, path, violations);
      drafts.push({
        path,
        clientMessageId: messageId,
        messageId: messageId ?? newMessageId(),
        to,
        sender: m.sender ?? null,
        text,
        binary: false,
        notifyUrl: m.webhooks?.delivery?.url || null,
        notifyUrlPath: `messages[${i}].webhooks.delivery.url`,
        contentType: m.webhooks?.contentType ?? 'application/json',
        // The Messages API has no `notify` flag: reports are pushed, or pulled when nobody takes them.
        notify: true,
        intermediate: m.webhooks?.delivery?.intermediateReport === true,
        callbackData: m.webhooks?.callbackData ?? null,
        validityMs: validity,
        sendAt,
        entityId: m.options?.platform?.entityId ?? null,
        applicationId: m.options?.platform?.applicationId ?? null,
        campaignReferenceId: m.options?.campaignReferenceId ?? null,
        linkTracking,
        channel: m.channel,
        engagementUrl: m.webhooks?.seen?.url || null,
        engagementUrlPath: `messages[${i}].webhooks.seen.url`,
        failover,
        failoverReports: m.webhooks?.delivery?.receiveTriggeredFailoverReports === true,
        options: compact({
          content: content && !isPlainText(content) ? content : undefined,
          failover: richSteps,
          deliveryTimeWindow: m.options?.deliveryTimeWindow,
          adaptationMode: m.options?.adaptationMode,
          regional: m.options?.regional,
          transliteration: m.options?.transliteration,
          correlationData: m.options?.correlationData,
          trafficType: m.options?.trafficType,
          sessionRate: m.options?.sessionRate,
          primaryDevice: m.options?.primaryDevice,
          tracking: body.options?.tracking,
          sendingSpeedLimit: schedule?.sendingSpeedLimit,
          messageOrdering: body.options?.messageOrdering,
        }),
      });
    });
  });
  if (violations.length) throw badRequest(violations);
  return { family: 'messages-api', bulkId: schedule?.bulkId || newBulkId(), sendAt, includeCount: false, drafts };
}

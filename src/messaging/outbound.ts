/**
 * Turns a v2 (`/sms/2/text/advanced`) or v3 (`/sms/3/messages`) request into one list of
 * outbound drafts, one per destination, so everything after intake is version-blind except
 * for the `family` that decides how reports are rendered.
 */
import { parseInfobipTime } from '../lib/infobip-time.ts';
import { newBulkId, newMessageId } from '../lib/ids.ts';
import { compact } from '../lib/payload.ts';
import { badRequest, type Violation } from '../http/errors.ts';
import type { ApiFamily, FailoverStep } from '../store/schema.ts';
import { linkTrackingOf, type LinkTracking } from '../clicks/tracking.ts';
import type { V2BinaryRequest, V2Request, V3Request } from './sms-schemas.ts';

/** The SMS APIs (v2 and v3): their logs and pulls show only their own messages. */
export const SMS_FAMILIES: readonly ApiFamily[] = ['sms-v2', 'sms-v3'];

export const MAX_VALIDITY_MS = 48 * 3_600_000;
export const MAX_SCHEDULE_AHEAD_MS = 180 * 86_400_000;
export const MAX_DESTINATIONS_PER_REQUEST = 10_000;
const MAX_BULK_ID = 100;
const MAX_MESSAGE_ID = 200;

export interface OutboundDraft {
  /** Index of the message in the request and of the destination within it, for violations. */
  path: string;
  clientMessageId: string | undefined;
  messageId: string;
  to: string;
  sender: string | null;
  text: string;
  binary: boolean;
  notifyUrl: string | null;
  notifyUrlPath: string;
  contentType: string;
  notify: boolean;
  intermediate: boolean;
  callbackData: string | null;
  validityMs: number;
  /** Epoch ms to submit at, or null to send at once (v2: per message; v3: per request). */
  sendAt: number | null;
  entityId: string | null;
  applicationId: string | null;
  campaignReferenceId: string | null;
  options: Record<string, unknown> | null;
  /** URL shortening and click tracking (v2 `urlOptions`, v3 `options.tracking`); null for none or binary. */
  linkTracking: LinkTracking | null;
  /** The channel to send on (SMS when absent): SMS, WHATSAPP, VIBER_BM, RCS or EMAIL. */
  channel?: string;
  /** Where this message's SEEN (chat) or OPEN/CLICK (email) events go before subscriptions; and its path for violations. */
  engagementUrl?: string | null;
  engagementUrlPath?: string;
  /** The channels to try next, in order, when this one does not deliver (Messages API `failover`). */
  failover?: FailoverStep[] | null;
  /** Push the reports of failover steps too, not only the last one (`receiveTriggeredFailoverReports`). */
  failoverReports?: boolean;
}

export type { FailoverStep };

export interface OutboundRequest {
  family: ApiFamily;
  bulkId: string;
  /** The bulk's schedule: the latest sendAt of its messages, or null when nothing is scheduled. */
  sendAt: number | null;
  includeCount: boolean;
  drafts: OutboundDraft[];
}

export function parseSendAt(raw: string | undefined, property: string, now: number, violations: Violation[]): number | null {
  if (raw === undefined) return null;
  const at = parseInfobipTime(raw);
  if (Number.isNaN(at)) {
    violations.push({ property, violation: "must be a date-time in the format yyyy-MM-dd'T'HH:mm:ss.SSSZ" });
    return null;
  }
  if (at > now + MAX_SCHEDULE_AHEAD_MS) violations.push({ property, violation: 'must not be more than 180 days in the future' });
  return at <= now ? null : at;
}

export function checkDestinationCount(count: number): void {
  if (count > MAX_DESTINATIONS_PER_REQUEST) {
    throw badRequest([{ property: 'messages', violation: `must not contain more than ${MAX_DESTINATIONS_PER_REQUEST} destinations in total` }]);
  }
}

const clip = (value: string | undefined, max: number) => (value === undefined ? undefined : value.slice(0, max));

/** Binary content travels as hex without spaces; it must hold whole bytes. */
function hexContent(hex: string, property: string, violations: Violation[]): string {
  const compact = hex.replaceAll(' ', '');
  if (compact.length % 2 !== 0) violations.push({ property, violation: 'must hold whole bytes (two hex digits each)' });
  return compact;
}

/** The per-destination part of a draft: where it is in the request and its message id. */
function destination(i: number, j: number, d: { to: string; messageId?: string }) {
  const clientMessageId = clip(d.messageId, MAX_MESSAGE_ID);
  return { path: `messages[${i}].destinations[${j}]`, clientMessageId, messageId: clientMessageId ?? newMessageId(), to: d.to };
}

/** Text (`/sms/2/text/advanced`) and binary (`/sms/2/binary/advanced`) v2 requests. */
export function fromV2(body: V2Request | V2BinaryRequest, now: number): OutboundRequest {
  const violations: Violation[] = [];
  checkDestinationCount(body.messages.reduce((n, m) => n + m.destinations.length, 0));
  let sendAt: number | null = null;
  const drafts: OutboundDraft[] = [];
  body.messages.forEach((m, i) => {
    const at = parseSendAt(m.sendAt, `messages[${i}].sendAt`, now, violations);
    if (at !== null) sendAt = Math.max(sendAt ?? 0, at);
    const validityMs = Math.min((m.validityPeriod ?? 2880) * 60_000, MAX_VALIDITY_MS);
    const binary = 'binary' in m;
    const text = 'binary' in m ? hexContent(m.binary.hex, `messages[${i}].binary.hex`, violations) : (m.text ?? '');
    m.destinations.forEach((d, j) => {
      drafts.push({
        ...destination(i, j, d),
        sender: m.from ?? null,
        text,
        binary,
        notifyUrl: m.notifyUrl || null,
        notifyUrlPath: `messages[${i}].notifyUrl`,
        contentType: m.notifyContentType ?? 'application/json',
        notify: true,
        intermediate: m.intermediateReport === true,
        callbackData: m.callbackData ?? null,
        validityMs,
        sendAt: at,
        entityId: m.entityId ?? null,
        applicationId: m.applicationId ?? null,
        campaignReferenceId: m.campaignReferenceId ?? null,
        linkTracking: binary ? null : linkTrackingOf(body.urlOptions, 'urlOptions'),
        options: compact({
          flash: m.flash,
          deliveryTimeWindow: m.deliveryTimeWindow,
          language: 'language' in m ? m.language : undefined,
          transliteration: 'transliteration' in m ? m.transliteration : undefined,
          binary: 'binary' in m ? m.binary : undefined,
          regional: m.regional,
          urlOptions: body.urlOptions,
          tracking: body.tracking,
          sendingSpeedLimit: body.sendingSpeedLimit,
        }),
      });
    });
  });
  if (violations.length) throw badRequest(violations);
  return { family: 'sms-v2', bulkId: clip(body.bulkId, MAX_BULK_ID) || newBulkId(), sendAt, includeCount: body.includeSmsCountInResponse === true, drafts };
}

const UNIT_MS = { SECONDS: 1_000, MINUTES: 60_000, HOURS: 3_600_000 } as const;

export function fromV3(body: V3Request, now: number): OutboundRequest {
  const violations: Violation[] = [];
  checkDestinationCount(body.messages.reduce((n, m) => n + m.destinations.length, 0));
  const schedule = body.options?.schedule;
  const sendAt = parseSendAt(schedule?.sendAt, 'options.schedule.sendAt', now, violations);
  const drafts: OutboundDraft[] = [];
  body.messages.forEach((m, i) => {
    const validity = m.options?.validityPeriod;
    const validityMs = validity ? Math.min(validity.amount * UNIT_MS[validity.timeUnit ?? 'MINUTES'], MAX_VALIDITY_MS) : MAX_VALIDITY_MS;
    const binary = 'hex' in m.content;
    const text = 'hex' in m.content ? hexContent(m.content.hex, `messages[${i}].content.hex`, violations) : m.content.text;
    m.destinations.forEach((d, j) => {
      drafts.push({
        ...destination(i, j, d),
        sender: m.sender ?? null,
        text,
        binary,
        notifyUrl: m.webhooks?.delivery?.url || null,
        notifyUrlPath: `messages[${i}].webhooks.delivery.url`,
        contentType: m.webhooks?.contentType ?? 'application/json',
        notify: m.webhooks?.delivery?.notify !== false,
        intermediate: m.webhooks?.delivery?.intermediateReport === true,
        callbackData: m.webhooks?.callbackData ?? null,
        validityMs,
        sendAt,
        entityId: m.options?.platform?.entityId ?? null,
        applicationId: m.options?.platform?.applicationId ?? null,
        campaignReferenceId: m.options?.campaignReferenceId ?? null,
        linkTracking: binary ? null : linkTrackingOf(body.options?.tracking, 'options.tracking'),
        options: compact({
          flash: m.options?.flash,
          deliveryTimeWindow: m.options?.deliveryTimeWindow,
          regional: m.options?.regional,
          content: binary ? m.content : undefined,
          networkId: d.networkId,
          tracking: body.options?.tracking,
          sendingSpeedLimit: schedule?.sendingSpeedLimit,
          conversionTracking: body.options?.conversionTracking,
        }),
      });
    });
  });
  if (violations.length) throw badRequest(violations);
  return { family: 'sms-v3', bulkId: clip(schedule?.bulkId, MAX_BULK_ID) || newBulkId(), sendAt, includeCount: body.options?.includeSmsCountInResponse === true, drafts };
}

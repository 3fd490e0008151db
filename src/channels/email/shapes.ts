/**
 * The email API's payloads (infobip-email-openapi.json), each field named here and nowhere else:
 *
 *  - delivery report pushed to `notifyUrl` / EMAIL subscriptions (webhook
 *    `receive-email-delivery-reports`, schema Result): `{results: [...]}`, its count named `smsCount`;
 *  - the same report pulled from `GET /email/1/reports` (schema ApiReport): `messageCount`, and no
 *    `callbackData` nor `campaignReferenceId` (the spec's pull item has neither, though the pull
 *    filters by the campaign);
 *  - OPEN / CLICK / COMPLAINT pushed to `trackingUrl` / subscriptions (webhook
 *    `receive-email-tracking-reports`, schema WebhookTrackingPayload): ONE object per request.
 *
 * Left out rather than invented: `attemptCount`, `sendingIp`, `smtp` and `browserLink` (the
 * simulated network makes no SMTP attempts) and `geoLocation` (Hookline has no GeoIP data; the
 * SMS click payload leaves it out for the same reason). XML, which Infobip documents for none of
 * these, uses the schema's title as its root, as the SMS click payload does.
 */
import { createHash } from 'node:crypto';
import { recipientInfoOf } from '../../clicks/device.ts';
import { loadEngagementViews, type EngagementView } from '../../events/engagements.ts';
import { formatInfobipTime } from '../../lib/infobip-time.ts';
import { optional, resultsPayload, sentAtOf, serialize, viewsById } from '../../lib/payload.ts';
import { loadReportsById, type ReportView } from '../../messaging/report-shape.ts';
import { errorObject, statusObject } from '../../messaging/status-catalogue.ts';
import type { PayloadKind } from '../../webhooks/render.ts';

export const EMAIL_XML_ROOTS = { webhook: 'WebhookDLRPayload', pull: 'ApiReportsResponse', tracking: 'WebhookTrackingPayload' } as const;

/** What both report shapes share, in the order of the spec's webhook example; only the webhook's names the campaign. */
function reportFields(r: ReportView, withCampaign: boolean) {
  const sentAt = r.sent_at === null ? null : Number(r.sent_at);
  return {
    ...optional('entityId', r.entity_id),
    ...optional('applicationId', r.application_id),
    ...(withCampaign ? optional('campaignReferenceId', r.campaign_reference_id) : {}),
    bulkId: r.bulk_id,
    price: { pricePerMessage: Number(r.price_per_message), currency: r.currency },
    status: statusObject(r.status_id),
    error: errorObject(r.error_id, 'v3'),
    messageId: r.message_id,
    doneAt: formatInfobipTime(Number(r.done_at)),
    sentAt: sentAtOf(r),
    // "between accepting the request and making the first delivery attempt": known once it was sent.
    ...optional('timeToFirstAttempt', sentAt === null ? null : sentAt - Number(r.created_at)),
  };
}

/** Webhook item (Result): `smsCount` is the spec's name for the number of emails. */
export function toEmailDeliveryReport(r: ReportView): Record<string, unknown> {
  return { ...reportFields(r, true), smsCount: r.parts, ...optional('callbackData', r.callback_data), to: r.destination };
}

/** Pull item (ApiReport): `messageCount`, no callbackData, no campaignReferenceId. */
export function toEmailPullReport(r: ReportView): Record<string, unknown> {
  return { ...reportFields(r, false), messageCount: r.parts, to: r.destination };
}

const NOTIFICATION_TYPES: Record<string, string> = { OPEN: 'OPENED', CLICK: 'CLICKED', COMPLAINT: 'COMPLAINED' };

/**
 * "Unique ID of the event … for deduplication": derived from the event, not drawn at random, so
 * every target (the trackingUrl, each subscription) and every render of one event gets the same id.
 */
export function trackingEventId(e: Pick<EngagementView, 'engagement_id' | 'message_id'>): string {
  const hex = createHash('sha256').update(`email-tracking:${e.message_id}:${e.engagement_id}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const domainOf = (address: string | null) => (address?.includes('@') ? address.slice(address.lastIndexOf('@') + 1) : null);

export function toEmailTrackingEvent(e: EngagementView): Record<string, unknown> {
  const event = String(e.event);
  const byPerson = event === 'OPEN' || event === 'CLICK';
  return {
    notificationType: NOTIFICATION_TYPES[event] ?? event,
    eventId: trackingEventId(e),
    ...optional('domain', domainOf(e.sender)),
    recipient: e.destination,
    // "only present if the event is of the type COMPLAINED or LATE_BOUNCE"
    ...(event === 'COMPLAINT' ? optional('sender', e.sender) : {}),
    // "only present if the event is of the type CLICKED"
    ...(event === 'CLICK' ? optional('url', e.url) : {}),
    sendDateTime: Number(e.sent_at ?? e.created_at),
    messageId: e.message_id,
    bulkId: e.bulk_id,
    ...optional('callbackData', e.callback_data),
    // The simulated reader has no user agent: an empty object, as the SMS click payload sends then.
    ...(byPerson ? { recipientInfo: recipientInfoOf(null) } : {}),
    ...optional('campaignReferenceId', e.campaign_reference_id),
    ...optional('entityId', e.entity_id),
    ...optional('applicationId', e.application_id),
  };
}

/** The `email` payload family: delivery reports of messages sent through /email/3/send. */
export const EMAIL_REPORT_PAYLOAD: PayloadKind = resultsPayload(loadReportsById, EMAIL_XML_ROOTS.webhook, toEmailDeliveryReport);

/** The `email-tracking` payload family: one OPEN, CLICK or COMPLAINT per request. */
export const EMAIL_TRACKING_PAYLOAD: PayloadKind = {
  maxPerDelivery: 1,
  load: viewsById(loadEngagementViews, (e) => e.engagement_id),
  render(contentType, events) {
    // Never called without an event: the outbox forms no delivery for events that vanished.
    const [event] = events as EngagementView[];
    return serialize(contentType, EMAIL_XML_ROOTS.tracking, toEmailTrackingEvent(event));
  },
};

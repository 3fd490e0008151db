/**
 * The WhatsApp API's three webhook bodies (infobip-whatsapp-openapi.json), one renderer each:
 *
 *  - 'whatsapp' (`receive-whatsapp-delivery-reports`, DeliveryReport): `{results: [{bulkId, price,
 *    status, error, messageId, doneAt, messageCount, sentAt, to, callbackData?, platform?}]}`.
 *    The schema has no callbackData or platform, but the send request documents callbackData as
 *    "included in a Delivery Report" and entityId/applicationId as "returned in notification
 *    events": they come as the SMS v3 report has them. `error` is spelled as v3 (group "OK").
 *  - 'whatsapp-seen' (`receive-whatsapp-seen-reports`, SeenReport): `{results: [{messageId, from,
 *    to, sentAt, seenAt, applicationId?, entityId?}]}`. `from` is the business number that sent
 *    the message ("Number which sent the message") and `to` the person who saw it, as in the
 *    delivery report (the schema's description of `to` contradicts its own example; the pairing
 *    here is the one a client can match against its delivery reports).
 *  - 'whatsapp-mo' (`receive-inbound-whatsapp-messages`, renderer MO_OTT_CONTACT): `{results:
 *    [{from, to, integrationType: "WHATSAPP", receivedAt, messageId, pairedMessageId?,
 *    callbackData?, keyword?, message: {type: "TEXT", text}, price, contact}], messageCount,
 *    pendingMessageCount}`. `contact` is required by the schema; Hookline knows only the number.
 *
 * The spec documents JSON bodies only; a target that asks for XML gets the same object under the
 * schema's title, as the click payload does.
 */
import { toXml } from '../../lib/xml.ts';
import { formatInfobipTime } from '../../lib/infobip-time.ts';
import { loadEngagementViews, type EngagementView } from '../../events/engagements.ts';
import { loadInboundViews, type InboundView } from '../../inbound/mo-shape.ts';
import { loadReportViews, type ReportView } from '../../messaging/report-shape.ts';
import { errorObject, statusObject } from '../../messaging/status-catalogue.ts';
import type { PayloadKind } from '../../webhooks/render.ts';

const optional = <T>(key: string, value: T | null | undefined) => (value === null || value === undefined ? {} : { [key]: value });
const sentAtOf = (v: { sent_at: number | null; created_at: number }) => formatInfobipTime(Number(v.sent_at ?? v.created_at));

export function toWhatsAppReport(r: ReportView): Record<string, unknown> {
  const platform = r.entity_id || r.application_id ? { platform: { ...optional('entityId', r.entity_id), ...optional('applicationId', r.application_id) } } : {};
  return {
    bulkId: r.bulk_id,
    price: { pricePerMessage: Number(r.price_per_message), currency: r.currency },
    status: statusObject(r.status_id),
    error: errorObject(r.error_id, 'v3'),
    messageId: r.message_id,
    doneAt: formatInfobipTime(Number(r.done_at)),
    messageCount: r.parts,
    sentAt: sentAtOf(r),
    to: r.destination,
    ...optional('callbackData', r.callback_data),
    ...platform,
  };
}

export function toWhatsAppSeen(e: EngagementView): Record<string, unknown> {
  return {
    messageId: e.message_id,
    ...optional('from', e.sender),
    to: e.destination,
    sentAt: sentAtOf(e),
    seenAt: formatInfobipTime(Number(e.occurred_at)),
    ...optional('applicationId', e.application_id),
    ...optional('entityId', e.entity_id),
  };
}

export function toWhatsAppInbound(m: InboundView): Record<string, unknown> {
  return {
    from: m.from_number,
    to: m.to_number,
    integrationType: 'WHATSAPP',
    receivedAt: formatInfobipTime(Number(m.received_at)),
    messageId: m.message_id,
    ...optional('pairedMessageId', m.paired_message_id),
    ...optional('callbackData', m.callback_data),
    ...optional('keyword', m.keyword),
    message: { type: 'TEXT', text: m.text },
    price: { pricePerMessage: Number(m.price_per_message), currency: m.currency },
    contact: { phoneNumber: m.from_number },
  };
}

/** XML roots: the titles of the spec's body schemas. */
export const WHATSAPP_XML_ROOT = { report: 'whatsappDlrReportsResponse', seen: 'whatsappDlrSeenReportsResponse', mo: 'WhatsAppInboundMessages' } as const;

const serialize = (contentType: string, root: string, body: object) => (contentType === 'application/xml' ? toXml(root, body) : JSON.stringify(body));

export const WHATSAPP_REPORT_PAYLOAD: PayloadKind = {
  async load(db, ids) {
    return new Map((await loadReportViews(db, ids)).map((v) => [Number(v.report_id), v]));
  },
  render(contentType, events) {
    return serialize(contentType, WHATSAPP_XML_ROOT.report, { results: (events as ReportView[]).map(toWhatsAppReport) });
  },
};

export const WHATSAPP_SEEN_PAYLOAD: PayloadKind = {
  async load(db, ids) {
    return new Map((await loadEngagementViews(db, ids)).map((v) => [Number(v.engagement_id), v]));
  },
  render(contentType, events) {
    return serialize(contentType, WHATSAPP_XML_ROOT.seen, { results: (events as EngagementView[]).map(toWhatsAppSeen) });
  },
};

/** A push carries its messages with `pendingMessageCount: 0`: what is pushed is never pulled. */
export const WHATSAPP_MO_PAYLOAD: PayloadKind = {
  async load(db, ids) {
    return new Map((await loadInboundViews(db, ids)).map((m) => [Number(m.id), m]));
  },
  render(contentType, events) {
    const results = (events as InboundView[]).map(toWhatsAppInbound);
    return serialize(contentType, WHATSAPP_XML_ROOT.mo, { results, messageCount: results.length, pendingMessageCount: 0 });
  },
};

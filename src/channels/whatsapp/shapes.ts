/**
 * The WhatsApp API's three webhook bodies (infobip-whatsapp-openapi.json), one renderer each:
 *
 *  - 'whatsapp' (`receive-whatsapp-delivery-reports`, DeliveryReport): `{results: [{bulkId, price,
 *    status, error, messageId, doneAt, messageCount, sentAt, to, callbackData?, applicationId?,
 *    entityId?}]}`. The schema has no callbackData or platform ids, but the send request documents
 *    callbackData as "included in a Delivery Report" and entityId/applicationId as "returned in
 *    notification events". The ids come flat, as the WhatsApp API names them everywhere it has
 *    them (its requests and its seen report), not in the Messages API's `platform` object, so one
 *    client reads them alike from both reports. `error` is spelled as v3 (group "OK").
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
import { loadEngagementViews, type EngagementView } from '../../events/engagements.ts';
import { loadInboundViews, type InboundView } from '../../inbound/mo-shape.ts';
import { formatInfobipTime } from '../../lib/infobip-time.ts';
import { optional, resultsPayload, sentAtOf, serialize, viewsById } from '../../lib/payload.ts';
import { loadReportsById, v3Outcome, type ReportView } from '../../messaging/report-shape.ts';
import type { PayloadKind } from '../../webhooks/render.ts';

/** The platform ids flat, in the seen report's order (SeenReport: applicationId, then entityId). */
const platformIdsOf = (v: { entity_id: string | null; application_id: string | null }) => ({ ...optional('applicationId', v.application_id), ...optional('entityId', v.entity_id) });

export function toWhatsAppReport(r: ReportView): Record<string, unknown> {
  return {
    bulkId: r.bulk_id,
    ...v3Outcome(r),
    messageId: r.message_id,
    doneAt: formatInfobipTime(Number(r.done_at)),
    messageCount: r.parts,
    sentAt: sentAtOf(r),
    to: r.destination,
    ...optional('callbackData', r.callback_data),
    ...platformIdsOf(r),
  };
}

export function toWhatsAppSeen(e: EngagementView): Record<string, unknown> {
  return {
    messageId: e.message_id,
    ...optional('from', e.sender),
    to: e.destination,
    sentAt: sentAtOf(e),
    seenAt: formatInfobipTime(Number(e.occurred_at)),
    ...platformIdsOf(e),
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

export const WHATSAPP_REPORT_PAYLOAD: PayloadKind = resultsPayload(loadReportsById, WHATSAPP_XML_ROOT.report, toWhatsAppReport);

export const WHATSAPP_SEEN_PAYLOAD: PayloadKind = resultsPayload(viewsById(loadEngagementViews, (e) => e.engagement_id), WHATSAPP_XML_ROOT.seen, toWhatsAppSeen);

/** A push carries its messages with `pendingMessageCount: 0`: what is pushed is never pulled. */
export const WHATSAPP_MO_PAYLOAD: PayloadKind = {
  load: viewsById(loadInboundViews, (m) => m.id),
  render(contentType, events) {
    const results = (events as InboundView[]).map(toWhatsAppInbound);
    return serialize(contentType, WHATSAPP_XML_ROOT.mo, { results, messageCount: results.length, pendingMessageCount: 0 });
  },
};

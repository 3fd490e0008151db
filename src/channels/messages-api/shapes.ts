/**
 * The Messages API's three webhook bodies (infobip-messages-api-openapi.json), one renderer each,
 * used by pushes and by the pull endpoints alike:
 *
 *  - 'messages-api' (`receive-messages-api-delivery-reports`, MessagesApiDeliveryReportResponse):
 *    `{results: [{event: "DELIVERY", channel, sender, destination, sentAt, doneAt, bulkId,
 *    messageId, callbackData?, messageCount, status, error, platform?, mccMnc?, campaignReferenceId?}]}`.
 *    `channel` is the report's own (a failover step's report names the channel that failed);
 *    `mccMnc` is an integer here, unlike SMS; there is no price. XML: `<MessagesApiDeliveryReportResponse>
 *    <results><results>…` — each item is itself `<results>`, as in the spec's example.
 *  - 'messages-api-seen' (`receive-messages-api-seen-reports`, MessagesApiSeenReport): `{results:
 *    [{event: "SEEN", channel, sender, destination, sentAt, seenAt, bulkId, messageId, callbackData?,
 *    platform?, campaignReferenceId?}]}`.
 *  - 'messages-api-mo' (`receive-messages-api-incoming-messages`, MessagesApiIncomingMessage):
 *    `{results: [{event: "MO", channel, sender, destination, content: [{type: "TEXT", text,
 *    cleanText, keyword?}], receivedAt, messageId, pairedMessageId?, callbackData?, messageCount,
 *    platform?, campaignReferenceId?, metadata?}]}`; the pull (MessagesApiIncomingMessageResponse)
 *    adds messageCount and pendingMessageCount. In an MO, `sender` is the person and `destination`
 *    the business's number. callbackData, platform, campaignReferenceId and
 *    `metadata.correlationData` are the replied-to message's (the spec: "from the MT message"):
 *    callbackData as the network stored it with the reply, the rest loaded with the view (mo-views.ts).
 *
 * `sender` is required by the report schemas; a message sent without one reports ''.
 */
import { loadEngagementViews, type EngagementView } from '../../events/engagements.ts';
import { formatInfobipTime } from '../../lib/infobip-time.ts';
import { optional, platformOf, resultsPayload, sentAtOf, viewsById } from '../../lib/payload.ts';
import { loadReportsById, type ReportView } from '../../messaging/report-shape.ts';
import { errorObject, statusObject } from '../../messaging/status-catalogue.ts';
import type { PayloadKind } from '../../webhooks/render.ts';
import { loadMoViews, type MoView } from './mo-views.ts';

/** mccMnc as the Messages API types it: an integer (`"22801"` → 22801). */
const mccMncOf = (mccMnc: string | null) => (mccMnc !== null && /^\d+$/.test(mccMnc) ? { mccMnc: Number(mccMnc) } : {});

/** What DELIVERY and SEEN items open with, in the spec's order; `at`: the event's own time (doneAt, seenAt). */
function eventFields(event: string, v: ReportView | EngagementView, at: Record<string, string>) {
  return {
    event,
    channel: v.channel,
    sender: v.sender ?? '',
    destination: v.destination,
    sentAt: sentAtOf(v),
    ...at,
    bulkId: v.bulk_id,
    messageId: v.message_id,
    ...optional('callbackData', v.callback_data),
  };
}

export function toDeliveryItem(r: ReportView): Record<string, unknown> {
  return {
    ...eventFields('DELIVERY', r, { doneAt: formatInfobipTime(Number(r.done_at)) }),
    messageCount: r.parts,
    status: statusObject(r.status_id),
    error: errorObject(r.error_id, 'v3'),
    ...platformOf(r),
    ...mccMncOf(r.mcc_mnc),
    ...optional('campaignReferenceId', r.campaign_reference_id),
  };
}

export function toSeenItem(e: EngagementView): Record<string, unknown> {
  return {
    ...eventFields('SEEN', e, { seenAt: formatInfobipTime(Number(e.occurred_at)) }),
    ...platformOf(e),
    ...optional('campaignReferenceId', e.campaign_reference_id),
  };
}

/** The Messages API's MO item (SMS inbound has its own, inbound/mo-shape.ts `toMoItem`). */
export function toMessagesApiMoItem(m: MoView): Record<string, unknown> {
  const paired = m.paired;
  return {
    event: 'MO',
    channel: m.channel,
    sender: m.from_number,
    destination: m.to_number,
    content: [{ type: 'TEXT', text: m.text, cleanText: m.clean_text, ...optional('keyword', m.keyword) }],
    receivedAt: formatInfobipTime(Number(m.received_at)),
    messageId: m.message_id,
    ...optional('pairedMessageId', m.paired_message_id),
    ...optional('callbackData', m.callback_data),
    messageCount: m.sms_count,
    ...(paired ? platformOf(paired) : {}),
    ...optional('campaignReferenceId', paired?.campaign_reference_id),
    ...(paired?.correlation_data ? { metadata: { correlationData: paired.correlation_data } } : {}),
  };
}

/** XML roots: the titles of the spec's body schemas; every item is a `<results>` element. */
export const MESSAGES_API_XML = {
  delivery: 'MessagesApiDeliveryReportResponse',
  seen: 'MessagesApiSeenReport',
  mo: 'MessagesApiIncomingMessage',
  inbox: 'MessagesApiIncomingMessageResponse',
  items: { results: 'results', content: 'content' },
} as const;

export const MESSAGES_API_DELIVERY_PAYLOAD: PayloadKind = resultsPayload(loadReportsById, MESSAGES_API_XML.delivery, toDeliveryItem, MESSAGES_API_XML.items);

export const MESSAGES_API_SEEN_PAYLOAD: PayloadKind = resultsPayload(viewsById(loadEngagementViews, (e) => e.engagement_id), MESSAGES_API_XML.seen, toSeenItem, MESSAGES_API_XML.items);

/** A push is `{results}` only: the webhook's schema has no counts (the pull's has). */
export const MESSAGES_API_MO_PAYLOAD: PayloadKind = resultsPayload(viewsById(loadMoViews, (m) => m.id), MESSAGES_API_XML.mo, toMessagesApiMoItem, MESSAGES_API_XML.items);

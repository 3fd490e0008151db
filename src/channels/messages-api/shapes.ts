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
 *    `metadata.correlationData` are the replied-to message's (the spec: "from the MT message").
 *
 * `sender` is required by the report schemas; a message sent without one reports ''.
 */
import type { Kysely } from 'kysely';
import { loadEngagementViews, type EngagementView } from '../../events/engagements.ts';
import { loadInboundViews, type InboundView } from '../../inbound/mo-shape.ts';
import { formatInfobipTime } from '../../lib/infobip-time.ts';
import { toXml } from '../../lib/xml.ts';
import { loadReportViews, type ReportView } from '../../messaging/report-shape.ts';
import { errorObject, statusObject } from '../../messaging/status-catalogue.ts';
import type { Database } from '../../store/schema.ts';
import type { PayloadKind } from '../../webhooks/render.ts';

const optional = <T>(key: string, value: T | null | undefined) => (value === null || value === undefined ? {} : { [key]: value });
const sentAtOf = (v: { sent_at: number | null; created_at: number }) => formatInfobipTime(Number(v.sent_at ?? v.created_at));

interface Platformed {
  entity_id: string | null;
  application_id: string | null;
}
const platformOf = (v: Platformed) =>
  v.entity_id || v.application_id ? { platform: { ...optional('entityId', v.entity_id), ...optional('applicationId', v.application_id) } } : {};

/** mccMnc as the Messages API types it: an integer (`"22801"` → 22801). */
const mccMncOf = (mccMnc: string | null) => (mccMnc !== null && /^\d+$/.test(mccMnc) ? { mccMnc: Number(mccMnc) } : {});

export function toDeliveryItem(r: ReportView): Record<string, unknown> {
  return {
    event: 'DELIVERY',
    channel: r.channel,
    sender: r.sender ?? '',
    destination: r.destination,
    sentAt: sentAtOf(r),
    doneAt: formatInfobipTime(Number(r.done_at)),
    bulkId: r.bulk_id,
    messageId: r.message_id,
    ...optional('callbackData', r.callback_data),
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
    event: 'SEEN',
    channel: e.channel,
    sender: e.sender ?? '',
    destination: e.destination,
    sentAt: sentAtOf(e),
    seenAt: formatInfobipTime(Number(e.occurred_at)),
    bulkId: e.bulk_id,
    messageId: e.message_id,
    ...optional('callbackData', e.callback_data),
    ...platformOf(e),
    ...optional('campaignReferenceId', e.campaign_reference_id),
  };
}

/** What an inbound message takes from the message it replies to (null fields when it replies to none). */
export interface PairedMessage extends Platformed {
  callback_data: string | null;
  campaign_reference_id: string | null;
  correlation_data: string | null;
}

/** An inbound message with the message it replies to, when that is still stored. */
export type MoView = InboundView & { paired: PairedMessage | null };

export function toMoItem(m: MoView): Record<string, unknown> {
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
    ...optional('callbackData', paired ? paired.callback_data : m.callback_data),
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

export const serialize = (contentType: string, root: string, body: object): string =>
  contentType === 'application/xml' ? toXml(root, body, MESSAGES_API_XML.items) : JSON.stringify(body);

/**
 * Inbound views with the messages they reply to: the latest message of the same account with the
 * paired id (a client's own message ids may repeat after the 48-hour duplicate window).
 */
export async function loadMoViews(db: Kysely<Database>, ids: number[]): Promise<MoView[]> {
  return withPaired(db, await loadInboundViews(db, ids));
}

export async function withPaired(db: Kysely<Database>, views: InboundView[]): Promise<MoView[]> {
  const wanted = views.filter((v) => v.paired_message_id !== null);
  const paired = new Map<string, PairedMessage>();
  for (const accountId of new Set(wanted.map((v) => v.account_id))) {
    const messageIds = [...new Set(wanted.filter((v) => v.account_id === accountId).map((v) => v.paired_message_id!))];
    const rows = await db
      .selectFrom('messages')
      .select(['pk', 'message_id', 'callback_data', 'entity_id', 'application_id', 'campaign_reference_id', 'options'])
      .where('account_id', '=', accountId)
      .where('message_id', 'in', messageIds)
      .orderBy('pk')
      .execute();
    for (const row of rows) {
      const options = row.options ? (JSON.parse(row.options) as { correlationData?: string }) : {};
      paired.set(`${accountId}\u0000${row.message_id}`, { ...row, correlation_data: options.correlationData ?? null });
    }
  }
  return views.map((v) => ({ ...v, paired: v.paired_message_id === null ? null : (paired.get(`${v.account_id}\u0000${v.paired_message_id}`) ?? null) }));
}

export const MESSAGES_API_DELIVERY_PAYLOAD: PayloadKind = {
  async load(db, ids) {
    return new Map((await loadReportViews(db, ids)).map((v) => [Number(v.report_id), v]));
  },
  render(contentType, events) {
    return serialize(contentType, MESSAGES_API_XML.delivery, { results: (events as ReportView[]).map(toDeliveryItem) });
  },
};

export const MESSAGES_API_SEEN_PAYLOAD: PayloadKind = {
  async load(db, ids) {
    return new Map((await loadEngagementViews(db, ids)).map((v) => [Number(v.engagement_id), v]));
  },
  render(contentType, events) {
    return serialize(contentType, MESSAGES_API_XML.seen, { results: (events as EngagementView[]).map(toSeenItem) });
  },
};

/** A push is `{results}` only: the webhook's schema has no counts (the pull's has). */
export const MESSAGES_API_MO_PAYLOAD: PayloadKind = {
  async load(db, ids) {
    return new Map((await loadMoViews(db, ids)).map((m) => [Number(m.id), m]));
  },
  render(contentType, events) {
    return serialize(contentType, MESSAGES_API_XML.mo, { results: (events as MoView[]).map(toMoItem) });
  },
};

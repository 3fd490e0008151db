/**
 * Inbound SMS in Infobip's `MO_JSON_2` shape (SmsMoReportResponse in infobip-sms-openapi.json):
 * `{results: [SmsMoReport…], messageCount, pendingMessageCount}`, used by pushes (the
 * `receive-inbound-sms-messages` webhook) and by `GET /sms/1/inbox/reports` alike.
 *
 * Fields the message does not have are omitted rather than null: `keyword` when the first word is
 * not one of the number's keywords (the spec types it as a plain string), and `callbackData`,
 * `applicationId`, `entityId` and `campaignReferenceId`, which simulated inbound messages never carry.
 */
import { inIdOrder } from '../events/message-view.ts';
import type { Kysely, Selectable } from 'kysely';
import { formatInfobipTime } from '../lib/infobip-time.ts';
import { toXml } from '../lib/xml.ts';
import type { Database, InboundMessagesTable } from '../store/schema.ts';
import type { PayloadKind } from '../webhooks/render.ts';

export type InboundView = Selectable<InboundMessagesTable>;

/** The XML root of SmsMoReportResponse, as the spec's pull example has it. */
export const MO_XML_ROOT = 'reportResponse';

export function toMoItem(m: InboundView): Record<string, unknown> {
  return {
    messageId: m.message_id,
    from: m.from_number,
    to: m.to_number,
    text: m.text,
    cleanText: m.clean_text,
    ...(m.keyword === null ? {} : { keyword: m.keyword }),
    receivedAt: formatInfobipTime(Number(m.received_at)),
    smsCount: m.sms_count,
    price: { pricePerMessage: Number(m.price_per_message), currency: m.currency },
  };
}

/** The response body; `messageCount` is the number of items here, `pendingMessageCount` what is left to pull. */
export function moBody(messages: InboundView[], pendingMessageCount: number) {
  return { results: messages.map(toMoItem), messageCount: messages.length, pendingMessageCount };
}

/** The same body for XML, in the element order of the spec's example (counts first). */
export function moXmlBody(messages: InboundView[], pendingMessageCount: number) {
  return { messageCount: messages.length, pendingMessageCount, results: messages.map(toMoItem) };
}

/** Inbound messages by id, in the order given (ids that no longer exist are left out). */
export async function loadInboundViews(db: Kysely<Database>, ids: number[]): Promise<InboundView[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('inbound_messages').selectAll().where('id', 'in', ids).execute();
  return inIdOrder(ids, rows, (r) => Number(r.id));
}

/**
 * The `sms-mo` payload family: a push carries its messages with `pendingMessageCount: 0` (what
 * is pushed is never pulled). Routing always asks for JSON (`MO_JSON_2` is a JSON renderer, and
 * the webhook's spec has no XML body); XML is rendered like the pull's should a row ask for it.
 */
export const MO_PAYLOAD: PayloadKind = {
  async load(db, ids) {
    return new Map((await loadInboundViews(db, ids)).map((m) => [Number(m.id), m]));
  },
  render(contentType, events) {
    const messages = events as InboundView[];
    return contentType === 'application/xml' ? toXml(MO_XML_ROOT, moXmlBody(messages, 0)) : JSON.stringify(moBody(messages, 0));
  },
};

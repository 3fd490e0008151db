/**
 * Inbound messages (MO), from the simulator endpoint or a person replying on a chat channel: in
 * the caller's transaction the message is stored and routed, so none exists without its route.
 * Where it goes: every matching INBOUND_MESSAGE subscription of the account (channel as the
 * Subscriptions API names it; `resources` = the receiving number) ▸ the inbox of its API, pulled
 * once (the WhatsApp API has no inbound pull: kept only).
 * Its payload family is its API's inbound shape (SMS MO_JSON_2, Messages API, WhatsApp).
 */
import type { Selectable, Transaction } from 'kysely';
import { MO_FAMILY, type ApiFamily, type Database, type InboundApi, type InboundMessagesTable, type NewOutboxRow, type PayloadFamily } from '../store/schema.ts';
import { PULL_RETENTION_MS } from './recorder.ts';
import { subscriptionChannel, type SubscriberLookup } from './routing.ts';

export interface InboundInput {
  accountId: string;
  messageId: string;
  channel: string;
  api: InboundApi;
  from: string;
  to: string;
  text: string;
  keyword: string | null;
  cleanText: string;
  smsCount: number;
  receivedAt: number;
  pairedMessageId: string | null;
  callbackData: string | null;
  pricePerMessage: number;
  currency: string;
}

export const moFamily = (api: InboundApi): PayloadFamily => MO_FAMILY[api];

/** A chat reply takes the inbound shape of the API that sent the message it answers. */
export const inboundApiOf = (family: ApiFamily): InboundApi => (family === 'whatsapp' ? 'whatsapp' : 'messages-api');

/** Every inbound webhook shape is JSON (the specs give no XML body for them). */
export const MO_CONTENT_TYPE = 'application/json';

/** APIs with an inbound pull endpoint; WhatsApp inbound that no subscription takes is kept, not queued. */
const PULLED_APIS: ReadonlySet<InboundApi> = new Set(['sms', 'messages-api']);

export interface RecordedInbound {
  message: Selectable<InboundMessagesTable>;
  route: 'push' | 'inbox' | 'none';
}

export async function recordInbound(trx: Transaction<Database>, input: InboundInput, now: number, subscribers: SubscriberLookup): Promise<RecordedInbound> {
  const message = await trx
    .insertInto('inbound_messages')
    .values({
      account_id: input.accountId,
      message_id: input.messageId,
      from_number: input.from,
      to_number: input.to,
      text: input.text,
      keyword: input.keyword,
      clean_text: input.cleanText,
      sms_count: input.smsCount,
      received_at: input.receivedAt,
      created_at: now,
      price_per_message: input.pricePerMessage,
      currency: input.currency,
      channel: input.channel,
      api: input.api,
      paired_message_id: input.pairedMessageId,
      callback_data: input.callbackData,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const id = Number(message.id);
  const facts = { channel: subscriptionChannel(input.channel), event: 'INBOUND_MESSAGE', applicationId: null, entityId: null, resource: input.to, username: null };
  const targets = await subscribers.subscribers(trx, input.accountId, facts);
  if (targets.length === 0) {
    if (!PULLED_APIS.has(input.api)) return { message, route: 'none' };
    await trx.insertInto('inbox_queue').values({ account_id: input.accountId, inbound_id: id, expires_at: now + PULL_RETENTION_MS }).execute();
    return { message, route: 'inbox' };
  }
  const rows: NewOutboxRow[] = targets.map(({ target }) => ({
    account_id: input.accountId,
    report_id: id,
    // No message to keep an order within: minus the event's id (see OutboxTable.message_pk).
    message_pk: -id,
    target_url: target,
    family: moFamily(input.api),
    content_type: MO_CONTENT_TYPE,
    state: 'READY',
    delivery_id: null,
    created_at: now,
    message_id: input.messageId,
    bulk_id: null,
  }));
  await trx.insertInto('outbox').values(rows).execute();
  return { message, route: 'push' };
}

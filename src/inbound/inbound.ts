/**
 * Inbound messages: `POST /hookline/1/simulator/inbound` stands in for the mobile network
 * delivering a message to a registered number, on SMS or a chat channel. The message belongs to
 * the number's account and is stored and routed in ONE transaction by events/inbound-recorder.ts
 * (subscriptions ▸ the inbox of its API). A chat message takes the Messages API's inbound shape
 * unless `api` says WhatsApp; a reply to a message (`pairedMessageId`) takes the shape of the API
 * that sent it.
 *
 * Keywords as Infobip extracts them: when the first word of the text is one of the number's
 * keywords (case-insensitive), it is `keyword` (as registered, upper case) and the rest, trimmed,
 * is `cleanText`; otherwise there is no keyword and `cleanText` is the text.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import { inboundApiOf, moFamily, recordInbound, type RecordedInbound } from '../events/inbound-recorder.ts';
import type { SubscriberLookup } from '../events/routing.ts';
import { ApiError, badRequest } from '../http/errors.ts';
import { newMessageId } from '../lib/ids.ts';
import { parseInfobipTime } from '../lib/infobip-time.ts';
import { CHANNEL, CHAT_CHANNELS } from '../messaging/channels.ts';
import { normalizeDestination } from '../messaging/destination.ts';
import { isTooLong, segment } from '../messaging/segmentation.ts';
import type { Database, InboundApi } from '../store/schema.ts';
import { retryTransaction } from '../store/transient.ts';
import { keywordsOf } from './numbers.ts';
import { PAYLOADS } from '../webhooks/render.ts';
import { toMoItem } from './mo-shape.ts';

/** SMS and the chat channels receive messages; a chat message is at most as long as WhatsApp's (the longest). */
const INBOUND_CHANNELS = [CHANNEL.SMS, ...CHAT_CHANNELS] as string[];
const MAX_CHAT_TEXT = 4_096;

export const SimulatedInbound = Type.Object({
  from: Type.String({ minLength: 1, maxLength: 64 }),
  to: Type.String({ minLength: 1, maxLength: 64 }),
  text: Type.String(),
  /** When the network received it (Infobip's time format or ISO-8601); now when absent. */
  receivedAt: Type.Optional(Type.String()),
  channel: Type.Optional(Type.Union(INBOUND_CHANNELS.map((c) => Type.Literal(c)))),
  /** Chat channels: whose inbound shape (Messages API unless said otherwise). */
  api: Type.Optional(Type.Union([Type.Literal('messages-api'), Type.Literal('whatsapp')])),
  /** The outbound message this replies to (it must belong to the caller's account). */
  pairedMessageId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
export type SimulatedInbound = Static<typeof SimulatedInbound>;

export interface InboundDeps {
  db: Kysely<Database>;
  subscribers: SubscriberLookup;
  clock: Clock;
  /** The currency inbound prices are given in (the simulator's). */
  currency: string;
  /** Called after a commit that put pushes in the outbox (rings the dispatcher). */
  onPushed: () => void;
}

export function extractKeyword(text: string, keywords: readonly string[]): { keyword: string | null; cleanText: string } {
  const m = /^\s*(\S+)(?:\s+([\s\S]*))?$/.exec(text);
  if (m) {
    const first = m[1].toUpperCase();
    if (keywords.includes(first)) return { keyword: first, cleanText: (m[2] ?? '').trim() };
  }
  return { keyword: null, cleanText: text };
}

export type ReceiveResult = RecordedInbound;

/**
 * Stores and routes one inbound message for the caller's account. A number that is not registered,
 * or is registered to another account, answers 404 alike: the caller learns nothing of others' numbers.
 */
export async function receiveInbound(deps: InboundDeps, accountId: string, input: SimulatedInbound): Promise<ReceiveResult> {
  const now = deps.clock.now();
  const receivedAt = input.receivedAt === undefined ? now : parseInfobipTime(input.receivedAt);
  if (Number.isNaN(receivedAt)) throw badRequest([{ property: 'receivedAt', violation: "must be a date-time like yyyy-MM-dd'T'HH:mm:ss.SSSZ" }]);
  const channel = input.channel ?? CHANNEL.SMS;
  if (channel === CHANNEL.SMS ? isTooLong(input.text) : [...input.text].length > MAX_CHAT_TEXT) {
    throw badRequest([{ property: 'text', violation: channel === CHANNEL.SMS ? 'is too long for an SMS' : `must not have more than ${MAX_CHAT_TEXT} characters` }]);
  }
  const to = normalizeDestination(input.to);

  const result = await retryTransaction(() =>
    deps.db.transaction().execute(async (trx): Promise<ReceiveResult> => {
      const number = await trx.selectFrom('numbers').select(['account_id', 'keywords']).where('number', '=', to).executeTakeFirst();
      if (!number || number.account_id !== accountId) throw new ApiError('NOT_FOUND', { text: 'Number not registered.' });
      let api: InboundApi = channel === CHANNEL.SMS ? 'sms' : (input.api ?? 'messages-api');
      let callbackData: string | null = null;
      if (input.pairedMessageId !== undefined) {
        const paired = await trx
          .selectFrom('messages')
          .select(['family', 'callback_data'])
          .where('account_id', '=', accountId)
          .where('message_id', '=', input.pairedMessageId)
          .orderBy('pk', 'desc')
          .executeTakeFirst();
        if (!paired) throw badRequest([{ property: 'pairedMessageId', violation: 'is not a message of this account' }]);
        if (channel !== CHANNEL.SMS) api = inboundApiOf(paired.family);
        // A reply carries the callbackData of the message it answers, as Infobip's inbound events do.
        callbackData = paired.callback_data;
      }
      const { keyword, cleanText } = extractKeyword(input.text, keywordsOf(number));
      return recordInbound(
        trx,
        {
          accountId: number.account_id,
          messageId: newMessageId(),
          channel,
          api,
          from: input.from,
          to,
          text: input.text,
          keyword,
          cleanText,
          smsCount: channel === CHANNEL.SMS ? segment(input.text).parts : 1,
          receivedAt,
          pairedMessageId: input.pairedMessageId ?? null,
          callbackData,
          pricePerMessage: 0,
          currency: deps.currency,
        },
        now,
        deps.subscribers,
      );
    }),
  );
  if (result.route === 'push') deps.onPushed();
  return result;
}

/**
 * An SMS a network connector (SMPP) received for a number: stored for the number's owner and
 * routed like every inbound message. Null when no account has the number.
 */
export async function receiveNetworkSms(
  trx: Transaction<Database>,
  input: { from: string; to: string; text: string; smsCount: number; receivedAt: number; currency: string },
  now: number,
  subscribers: SubscriberLookup,
): Promise<RecordedInbound | null> {
  const to = normalizeDestination(input.to);
  const number = await trx.selectFrom('numbers').select(['account_id', 'keywords']).where('number', '=', to).executeTakeFirst();
  if (!number) return null;
  const { keyword, cleanText } = extractKeyword(input.text, keywordsOf(number));
  return recordInbound(
    trx,
    {
      accountId: number.account_id,
      messageId: newMessageId(),
      channel: CHANNEL.SMS,
      api: 'sms',
      from: input.from,
      to,
      text: input.text,
      keyword,
      cleanText,
      smsCount: input.smsCount,
      receivedAt: input.receivedAt,
      pairedMessageId: null,
      callbackData: null,
      pricePerMessage: 0,
      currency: input.currency,
    },
    now,
    subscribers,
  );
}

/**
 * The simulator's inbound endpoint. It answers the stored message as one item of the body its
 * push or pull will carry (MO_JSON_2 for SMS; the Messages API's or WhatsApp's inbound shape).
 */
export function registerInboundRoutes(app: FastifyInstance, deps: InboundDeps): void {
  app.post<{ Body: SimulatedInbound }>('/hookline/1/simulator/inbound', { schema: { body: SimulatedInbound } }, async (request) => {
    const { message } = await receiveInbound(deps, request.principal.accountId, request.body);
    if (message.api === 'sms') return toMoItem(message);
    const payload = PAYLOADS[moFamily(message.api)];
    const views = await payload.load(deps.db, [Number(message.id)]);
    return (JSON.parse(payload.render('application/json', [...views.values()])) as { results: unknown[] }).results[0];
  });
}

/**
 * Inbound SMS: `POST /hookline/1/simulator/inbound` stands in for the mobile network delivering a
 * message to a registered number. The message belongs to the number's account; in ONE
 * transaction it is stored and routed (as events/recorder.ts does for delivery reports):
 * every matching `INBOUND_MESSAGE` subscription of the account (`resources` = the receiving
 * number) gets it pushed in `MO_JSON_2`, and when none matches it waits in the inbox for
 * `GET /sms/1/inbox/reports` (48 h, pulled once). There is no moment where a stored message has
 * no route, or the reverse.
 *
 * Keywords as Infobip extracts them: when the first word of the text is one of the number's
 * keywords (case-insensitive), it is `keyword` (as registered, upper case) and the rest, trimmed,
 * is `cleanText`; otherwise there is no keyword and `cleanText` is the text.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { PULL_RETENTION_MS } from '../events/recorder.ts';
import type { EventFacts, SubscriberLookup } from '../events/routing.ts';
import { ApiError, badRequest } from '../http/errors.ts';
import { newMessageId } from '../lib/ids.ts';
import { parseInfobipTime } from '../lib/infobip-time.ts';
import { normalizeDestination } from '../messaging/destination.ts';
import { isTooLong, segment } from '../messaging/segmentation.ts';
import type { Database, NewOutboxRow } from '../store/schema.ts';
import { retryTransaction } from '../store/transient.ts';
import { keywordsOf } from './numbers.ts';
import { toMoItem, type InboundView } from './mo-shape.ts';

/** MO_JSON_2 is a JSON format, and the spec's inbound webhook has a JSON body only. */
export const MO_CONTENT_TYPE = 'application/json';

export const SimulatedInbound = Type.Object({
  from: Type.String({ minLength: 1, maxLength: 64 }),
  to: Type.String({ minLength: 1, maxLength: 64 }),
  text: Type.String(),
  /** When the network received it (Infobip's time format or ISO-8601); now when absent. */
  receivedAt: Type.Optional(Type.String()),
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

export interface ReceiveResult {
  message: InboundView;
  route: 'push' | 'inbox';
}

/**
 * Stores and routes one inbound message for the caller's account. A number that is not registered,
 * or is registered to another account, answers 404 alike: the caller learns nothing of others' numbers.
 */
export async function receiveInbound(deps: InboundDeps, accountId: string, input: SimulatedInbound): Promise<ReceiveResult> {
  const now = deps.clock.now();
  const receivedAt = input.receivedAt === undefined ? now : parseInfobipTime(input.receivedAt);
  if (Number.isNaN(receivedAt)) throw badRequest([{ property: 'receivedAt', violation: "must be a date-time like yyyy-MM-dd'T'HH:mm:ss.SSSZ" }]);
  if (isTooLong(input.text)) throw badRequest([{ property: 'text', violation: 'is too long for an SMS' }]);
  const to = normalizeDestination(input.to);

  const result = await retryTransaction(() =>
    deps.db.transaction().execute(async (trx): Promise<ReceiveResult> => {
      const number = await trx.selectFrom('numbers').select(['account_id', 'keywords']).where('number', '=', to).executeTakeFirst();
      if (!number || number.account_id !== accountId) throw new ApiError('NOT_FOUND', { text: 'Number not registered.' });
      const { keyword, cleanText } = extractKeyword(input.text, keywordsOf(number));
      const message = await trx
        .insertInto('inbound_messages')
        .values({
          account_id: number.account_id,
          message_id: newMessageId(),
          from_number: input.from,
          to_number: to,
          text: input.text,
          keyword,
          clean_text: cleanText,
          sms_count: segment(input.text).parts,
          received_at: receivedAt,
          created_at: now,
          price_per_message: 0,
          currency: deps.currency,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const id = Number(message.id);

      const facts: EventFacts = { channel: 'SMS', event: 'INBOUND_MESSAGE', applicationId: null, entityId: null, resource: to, username: null };
      const targets = await deps.subscribers.subscribers(trx, number.account_id, facts);
      if (targets.length === 0) {
        await trx.insertInto('inbox_queue').values({ account_id: number.account_id, inbound_id: id, expires_at: now + PULL_RETENTION_MS }).execute();
        return { message, route: 'inbox' };
      }
      const rows: NewOutboxRow[] = targets.map(({ target }) => ({
        account_id: number.account_id,
        report_id: id,
        // No message to keep an order within: minus the event's id (see OutboxTable.message_pk).
        message_pk: -id,
        target_url: target,
        family: 'sms-mo',
        content_type: MO_CONTENT_TYPE,
        state: 'READY',
        delivery_id: null,
        created_at: now,
        message_id: message.message_id,
        bulk_id: null,
      }));
      await trx.insertInto('outbox').values(rows).execute();
      return { message, route: 'push' };
    }),
  );
  if (result.route === 'push') deps.onPushed();
  return result;
}

/**
 * The simulator's inbound endpoint. It answers the stored message in the MO_JSON_2 item shape
 * (what the push or the pull will carry).
 */
export function registerInboundRoutes(app: FastifyInstance, deps: InboundDeps): void {
  app.post<{ Body: SimulatedInbound }>('/hookline/1/simulator/inbound', { schema: { body: SimulatedInbound } }, async (request) => {
    const { message } = await receiveInbound(deps, request.principal.accountId, request.body);
    return toMoItem(message);
  });
}

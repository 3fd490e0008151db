/**
 * What the network worker does to a message besides reporting on it: move it to its next
 * failover channel, and build the inbound message a person sends back to it.
 */
import type { Kysely } from 'kysely';
import type { InboundInput } from '../events/inbound-recorder.ts';
import { inboundApiOf } from '../events/inbound-recorder.ts';
import type { Database, FailoverStep } from '../store/schema.ts';

export const failoverStepsOf = (json: string | null): FailoverStep[] => (json ? (JSON.parse(json) as FailoverStep[]) : []);

/** The message becomes its first remaining failover step: that channel, sender and destination (and its own text and validity). */
export async function moveToNextChannel(db: Kysely<Database>, pk: number, failover: string | null): Promise<void> {
  const [step, ...rest] = failoverStepsOf(failover);
  if (!step) return;
  await db
    .updateTable('messages')
    .set({
      channel: step.channel,
      sender: step.sender,
      destination: step.to,
      failover: rest.length ? JSON.stringify(rest) : null,
      ...(step.text === undefined ? {} : { text: step.text }),
      ...(step.parts === undefined ? {} : { parts: step.parts }),
      ...(step.validityMs === undefined ? {} : { validity_ms: step.validityMs }),
    })
    .where('pk', '=', pk)
    .execute();
}

/**
 * The person's reply to a message, on its channel, in the inbound shape of the API that sent it.
 * It carries the message's callbackData, as Infobip's inbound events do. Null when the message is gone.
 */
export async function replyTo(db: Kysely<Database>, pk: number, reply: { text: string; currency: string }, messageId: string, now: number): Promise<InboundInput | null> {
  const message = await db.selectFrom('messages').select(['account_id', 'message_id', 'family', 'channel', 'destination', 'sender', 'callback_data']).where('pk', '=', pk).executeTakeFirst();
  if (!message) return null;
  return {
    accountId: message.account_id,
    messageId,
    channel: message.channel,
    api: inboundApiOf(message.family),
    from: message.destination,
    to: message.sender ?? '',
    text: reply.text,
    keyword: null,
    cleanText: reply.text,
    smsCount: 1,
    receivedAt: now,
    pairedMessageId: message.message_id,
    callbackData: message.callback_data,
    pricePerMessage: 0,
    currency: reply.currency,
  };
}

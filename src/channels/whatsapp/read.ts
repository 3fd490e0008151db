/**
 * Marking an inbound WhatsApp message read (`POST /whatsapp/1/senders/{sender}/message/{messageId}/read`):
 * the message a person sent to one of the account's WhatsApp numbers (`sender` is that number:
 * the business is the sender of the read receipt). Marking it again is harmless and keeps the first
 * time. Another account's message, an SMS, or an unknown id is "not found" alike: the caller
 * learns nothing about messages that are not its own.
 */
import type { Kysely } from 'kysely';
import { CHANNEL } from '../../messaging/channels.ts';
import { normalizeDestination } from '../../messaging/destination.ts';
import type { Database } from '../../store/schema.ts';

/** Whether the message exists for this account (and is now read). */
export async function markInboundRead(db: Kysely<Database>, accountId: string, sender: string, messageId: string, now: number): Promise<boolean> {
  const message = await db
    .selectFrom('inbound_messages')
    .select(['id', 'read_at'])
    .where('account_id', '=', accountId)
    .where('channel', '=', CHANNEL.WHATSAPP)
    .where('to_number', '=', normalizeDestination(sender))
    .where('message_id', '=', messageId)
    .executeTakeFirst();
  if (!message) return false;
  if (message.read_at === null) {
    await db.updateTable('inbound_messages').set({ read_at: now }).where('id', '=', message.id).where('read_at', 'is', null).execute();
  }
  return true;
}

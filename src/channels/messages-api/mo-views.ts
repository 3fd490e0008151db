/**
 * Inbound Messages API messages as their MO items need them: the stored inbound row plus what the
 * item takes from the message it replies to (platform, campaignReferenceId, correlationData).
 * Loaded here, by the payload family's `load` and by the pull, so rendering (shapes.ts) reads
 * only views. The reply's callbackData is not among them: the network stores the replied-to
 * message's callbackData with the reply itself, as it does for WhatsApp.
 */
import type { Kysely } from 'kysely';
import { loadInboundViews, type InboundView } from '../../inbound/mo-shape.ts';
import type { Database } from '../../store/schema.ts';

/** What an inbound message takes from the message it replies to. */
export interface PairedMessage {
  entity_id: string | null;
  application_id: string | null;
  campaign_reference_id: string | null;
  correlation_data: string | null;
}

/** An inbound message with the message it replies to, when it replies to one that is still stored. */
export type MoView = InboundView & { paired: PairedMessage | null };

/**
 * Inbound views with the messages they reply to: the latest message of the same account with the
 * paired id (a client's own message ids may repeat after the 48-hour duplicate window).
 */
export async function withPaired(db: Kysely<Database>, views: InboundView[]): Promise<MoView[]> {
  const wanted = views.filter((v) => v.paired_message_id !== null);
  const paired = new Map<string, PairedMessage>();
  for (const accountId of new Set(wanted.map((v) => v.account_id))) {
    const messageIds = [...new Set(wanted.filter((v) => v.account_id === accountId).map((v) => v.paired_message_id!))];
    const rows = await db
      .selectFrom('messages')
      .select(['pk', 'message_id', 'entity_id', 'application_id', 'campaign_reference_id', 'options'])
      .where('account_id', '=', accountId)
      .where('message_id', 'in', messageIds)
      .orderBy('pk')
      .execute();
    for (const { message_id, entity_id, application_id, campaign_reference_id, options } of rows) {
      const correlation = options ? (JSON.parse(options) as { correlationData?: string }).correlationData : undefined;
      paired.set(`${accountId}\u0000${message_id}`, { entity_id, application_id, campaign_reference_id, correlation_data: correlation ?? null });
    }
  }
  return views.map((v) => ({ ...v, paired: v.paired_message_id === null ? null : (paired.get(`${v.account_id}\u0000${v.paired_message_id}`) ?? null) }));
}

/** Inbound views by id, in the order given, with the messages they reply to. */
export async function loadMoViews(db: Kysely<Database>, ids: number[]): Promise<MoView[]> {
  return withPaired(db, await loadInboundViews(db, ids));
}

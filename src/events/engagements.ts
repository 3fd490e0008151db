/**
 * Engagements: SEEN (chat channels), OPEN, CLICK and COMPLAINT (email). Like reports, each is
 * appended as an immutable row and routed in the caller's transaction (events/routing.ts:
 * the message's engagement URL ▸ subscriptions ▸ kept unpushed), so none exists without its route.
 */
import type { Kysely, Transaction } from 'kysely';
import { chunkRows, type DialectProfile } from '../store/database.ts';
import type { Database, EngagementEvent, NewOutboxRow } from '../store/schema.ts';
import { loadRoutableMessages, outboxRowsOf, routeEngagement, type SubscriberLookup } from './routing.ts';
import { inIdOrder, MESSAGE_VIEW_COLUMNS, type MessageView } from './message-view.ts';
import type { EngagementEventInput } from './status-event.ts';

export async function recordEngagements(
  trx: Transaction<Database>,
  profile: DialectProfile,
  inputs: EngagementEventInput[],
  now: number,
  subscribers: SubscriberLookup,
): Promise<{ pushed: number }> {
  if (inputs.length === 0) return { pushed: 0 };
  const messages = await loadRoutableMessages(trx, profile, inputs.map((e) => e.messagePk));
  const known = inputs.filter((e) => messages.has(e.messagePk));
  const rows = known.map((e) => ({ account_id: messages.get(e.messagePk)!.account_id, message_pk: e.messagePk, event: e.event, occurred_at: e.occurredAt, url: e.url, created_at: now }));
  const ids: number[] = [];
  for (const chunk of chunkRows(rows, profile)) {
    // Ids come back in insertion order (one statement, one writer), so they line up with `known`.
    const inserted = await trx.insertInto('engagements').values(chunk).returning('id').execute();
    ids.push(...inserted.map((r) => Number(r.id)).sort((a, b) => a - b));
  }
  const outboxRows: NewOutboxRow[] = [];
  for (const [i, input] of known.entries()) {
    const message = messages.get(input.messagePk)!;
    const route = await routeEngagement(trx, message, input.event, subscribers);
    // Same message_pk as its reports: to one target, an engagement comes after the message's earlier events.
    if (route.kind === 'push') outboxRows.push(...outboxRowsOf(message, ids[i], route, now));
  }
  for (const chunk of chunkRows(outboxRows, profile)) await trx.insertInto('outbox').values(chunk).execute();
  return { pushed: outboxRows.length };
}

/** An engagement joined with the message it is about: what the seen and tracking payloads are made of. */
export interface EngagementView extends MessageView {
  engagement_id: number;
  event: EngagementEvent;
  occurred_at: number;
  url: string | null;
}

/** Engagement views by id, in the order given (ids that no longer exist are left out). */
export async function loadEngagementViews(db: Kysely<Database>, ids: number[]): Promise<EngagementView[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('engagements as e')
    .innerJoin('messages as m', 'm.pk', 'e.message_pk')
    .select(['e.id as engagement_id', 'e.event', 'e.occurred_at', 'e.url', 'm.channel', 'm.destination', 'm.sender', ...MESSAGE_VIEW_COLUMNS])
    .where('e.id', 'in', ids)
    .execute();
  return inIdOrder(ids, rows as EngagementView[], (r) => Number(r.engagement_id));
}

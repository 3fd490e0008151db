/**
 * Opening a short link: in ONE transaction, find the link, record the click and route its CLICK
 * event to the outbox, so no click is recorded without its route or the reverse (as the event
 * recorder does for reports). Where a CLICK goes, in order of precedence:
 *   the message's `trackingUrl` ▸ the account's CLICK subscriptions (the message's channel; criteria,
 *   resources = the sender, users = the sending user) ▸ nowhere (recorded, not pushed).
 * `notify: false` on the message is about delivery reports and does not stop clicks. Links of
 * a message sent with `trackClicks: false` redirect and record nothing.
 */
import type { Kysely, Transaction } from 'kysely';
import { subscriptionChannel, type EventFacts, type Subscriber, type SubscriberLookup } from '../events/routing.ts';
import { chunkRows, type DialectProfile } from '../store/database.ts';
import type { Database, NewOutboxRow } from '../store/schema.ts';
import { retryTransaction } from '../store/transient.ts';
import { MAX_USER_AGENT } from './device.ts';

export interface ClickOutcome {
  /** Where the link goes (the URL as written in the message). */
  url: string;
  /** The recorded click's id, or null when nothing was recorded (untracked link, message gone). */
  clickId: number | null;
  /** Outbox rows written (0 when recorded but not pushed). */
  pushed: number;
}

/** The payload family of CLICK events; their outbox `report_id` is the click id. */
export const CLICK_FAMILY = 'sms-click' as const;

interface TrackedLink {
  url: string;
  account_id: string;
  message_pk: number;
  tracking_url: string | null;
  track_clicks: number;
  /** null when the message has been swept (retention) while the link lives on. */
  message_found: number | null;
  application_id: string | null;
  entity_id: string | null;
  sender: string | null;
  username: string | null;
  /** The channel the message went out on (null when it has been swept). */
  channel: string | null;
  /** The clicked message's public ids (null when it has been swept). */
  message_id: string | null;
  bulk_id: string | null;
}

function findLink(db: Kysely<Database>, code: string): Promise<TrackedLink | undefined> {
  return db
    .selectFrom('short_links as l')
    .leftJoin('messages as m', 'm.pk', 'l.message_pk')
    .select(['l.url', 'l.account_id', 'l.message_pk', 'l.tracking_url', 'l.track_clicks', 'm.pk as message_found', 'm.application_id', 'm.entity_id', 'm.sender', 'm.username', 'm.channel', 'm.message_id', 'm.bulk_id'])
    .where('l.code', '=', code)
    .executeTakeFirst() as Promise<TrackedLink | undefined>;
}

/** Where a CLICK goes: the message's trackingUrl, else the matching CLICK subscriptions' profiles. */
async function clickTargets(db: Kysely<Database>, link: TrackedLink, lookup: SubscriberLookup): Promise<Subscriber[]> {
  if (link.tracking_url) return [{ target: link.tracking_url, contentType: 'application/json' }];
  const facts: EventFacts = {
    channel: subscriptionChannel(link.channel ?? 'SMS'),
    event: 'CLICK',
    applicationId: link.application_id,
    entityId: link.entity_id,
    resource: link.sender,
    username: link.username,
  };
  return lookup.subscribers(db, link.account_id, facts);
}

/** The link behind `code` without recording anything (HEAD requests, link previews). */
export async function peekLink(db: Kysely<Database>, code: string): Promise<string | null> {
  return (await findLink(db, code))?.url ?? null;
}

/** Records one open of `code` and routes its CLICK event; null for an unknown code. */
export async function recordClick(
  db: Kysely<Database>,
  profile: DialectProfile,
  lookup: SubscriberLookup,
  code: string,
  userAgent: string | null,
  now: number,
): Promise<ClickOutcome | null> {
  return retryTransaction(() =>
    db.transaction().execute(async (trx: Transaction<Database>) => {
      const link = await findLink(trx, code);
      if (!link) return null;
      if (link.track_clicks !== 1 || link.message_found === null) return { url: link.url, clickId: null, pushed: 0 };
      const inserted = await trx
        .insertInto('clicks')
        .values({ account_id: link.account_id, code, message_pk: Number(link.message_pk), user_agent: userAgent?.slice(0, MAX_USER_AGENT) ?? null, clicked_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      const clickId = Number(inserted.id);
      const rows: NewOutboxRow[] = (await clickTargets(trx, link, lookup)).map(({ target, contentType }) => ({
        account_id: link.account_id,
        report_id: clickId,
        // Clicks have no per-message order: minus the event id, as the outbox expects.
        message_pk: -clickId,
        target_url: target,
        family: CLICK_FAMILY,
        content_type: contentType,
        state: 'READY',
        delivery_id: null,
        created_at: now,
        message_id: link.message_id,
        bulk_id: link.bulk_id,
      }));
      for (const chunk of chunkRows(rows, profile)) await trx.insertInto('outbox').values(chunk).execute();
      return { url: link.url, clickId, pushed: rows.length };
    }),
  );
}

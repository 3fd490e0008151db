/**
 * Reading messages for the console: one account's, of the API families the caller may read
 * (`family in (…)` in SQL, so paging never has to skip rows the caller may not see), newest first
 * on (created_at, pk), the keyset the cursor pages on (messages_account_created; with a destination,
 * messages_account_destination).
 */
import { sql, type Kysely } from 'kysely';
import { STATUSES } from '../messaging/status-catalogue.ts';
import { normalizeDestination } from '../messaging/destination.ts';
import { after, type Position } from '../operations/cursor.ts';
import type { ApiFamily, Database, EngagementEvent } from '../store/schema.ts';

/** Most characters of a message's text a summary carries (the detail view has no more: it is a log, not an archive). */
export const SUMMARY_TEXT_CHARS = 160;

export interface MessageFilter {
  accountId: string;
  /** Never empty: a caller who may read no family is answered without a query. */
  families: readonly ApiFamily[];
  destination?: string;
  messageId?: string;
  bulkId?: string;
  channel?: string;
  generalStatus?: string;
  /** coalesce(sent_at, created_at) ≥ sentSince. */
  sentSince?: number;
  /** coalesce(sent_at, created_at) ≤ sentUntil. */
  sentUntil?: number;
  after?: Position<number>;
  limit: number;
}

export interface MessageRow {
  pk: number;
  message_id: string;
  bulk_id: string;
  family: ApiFamily;
  channel: string;
  sender: string | null;
  destination: string;
  text: string;
  parts: number;
  status_id: number;
  error_id: number;
  callback_data: string | null;
  created_at: number;
  sent_at: number | null;
  done_at: number | null;
}

export interface MessageDetailRow extends MessageRow {
  notify_url: string | null;
  validity_ms: number;
}

export interface ReportEntry {
  id: number;
  status_id: number;
  error_id: number;
  final: number;
  price_per_message: number;
  currency: string;
  done_at: number;
  channel: string;
  failover_step: number;
}

export interface EngagementEntry {
  id: number;
  event: EngagementEvent;
  occurred_at: number;
  url: string | null;
}

/**
 * The summary's columns. The text is cut in SQL: an e-mail's may be megabytes, and a page of a
 * thousand must not read them all (substr counts characters on both databases).
 */
const summaryColumns = (db: Kysely<Database>) =>
  db
    .selectFrom('messages as m')
    .select([
      'm.pk',
      'm.message_id',
      'm.bulk_id',
      'm.family',
      'm.channel',
      'm.sender',
      'm.destination',
      sql<string>`substr(m.text, 1, ${SUMMARY_TEXT_CHARS})`.as('text'),
      'm.parts',
      'm.status_id',
      'm.error_id',
      'm.callback_data',
      'm.created_at',
      'm.sent_at',
      'm.done_at',
    ]);

/** The destinations a search term may be stored as: as typed (rejected ones are stored so), or normalised as intake does. */
function destinationsOf(term: string): string[] {
  const typed = term.trim();
  return [...new Set([typed, typed.includes('@') ? typed : normalizeDestination(typed)])];
}

const statusIdsOf = (group: string): number[] => STATUSES.filter((s) => s.groupName === group).map((s) => s.id);

/** Numbers as numbers, whichever driver read them. */
function asMessageRow<R extends MessageRow>(row: R): R {
  return {
    ...row,
    pk: Number(row.pk),
    parts: Number(row.parts),
    status_id: Number(row.status_id),
    error_id: Number(row.error_id),
    created_at: Number(row.created_at),
    sent_at: row.sent_at === null ? null : Number(row.sent_at),
    done_at: row.done_at === null ? null : Number(row.done_at),
  };
}

const newestFirst = (a: MessageRow, b: MessageRow) => b.created_at - a.created_at || b.pk - a.pk;

/**
 * One page (and one row more, to tell whether another page follows), newest first. A destination
 * search reads one range of messages_account_destination per spelling, each already in page order
 * and cut at the page size, and merges them: with `destination in (…)` SQLite would rather walk the
 * account's whole messages_account_created, in order, than sort (PostgreSQL sorts every match).
 */
export async function findMessages(db: Kysely<Database>, f: MessageFilter): Promise<MessageRow[]> {
  if (f.destination === undefined) return (await findPage(db, f)).map(asMessageRow);
  const pages = await Promise.all(destinationsOf(f.destination).map((destination) => findPage(db, f, destination)));
  return pages.flat().map(asMessageRow).sort(newestFirst).slice(0, f.limit + 1);
}

function findPage(db: Kysely<Database>, f: MessageFilter, destination?: string) {
  let q = summaryColumns(db).where('m.account_id', '=', f.accountId).where('m.family', 'in', [...f.families]);
  if (destination !== undefined) q = q.where('m.destination', '=', destination);
  if (f.messageId !== undefined) q = q.where('m.message_id', '=', f.messageId);
  if (f.bulkId !== undefined) q = q.where('m.bulk_id', '=', f.bulkId);
  if (f.channel !== undefined) q = q.where('m.channel', '=', f.channel);
  if (f.generalStatus !== undefined) q = q.where('m.status_id', 'in', statusIdsOf(f.generalStatus));
  const sentAt = sql<number>`coalesce(m.sent_at, m.created_at)`;
  if (f.sentSince !== undefined) q = q.where(sentAt, '>=', f.sentSince);
  if (f.sentUntil !== undefined) {
    // A message is sent at or after it was accepted, so this bound also narrows the index range.
    q = q.where(sentAt, '<=', f.sentUntil).where('m.created_at', '<=', f.sentUntil);
  }
  // The position also as a plain bound, which an index range starts at (the `or` alone is a filter).
  if (f.after) q = q.where('m.created_at', '<=', f.after.at).where(after('m.created_at', 'm.pk', f.after));
  return q.orderBy('m.created_at', 'desc').orderBy('m.pk', 'desc').limit(f.limit + 1).execute();
}

/**
 * The account's newest message with this id among the readable families, or undefined. Ids are
 * unique per account only within the duplicate window (48 h), so the newest one is the one meant.
 */
export async function findMessage(db: Kysely<Database>, accountId: string, messageId: string, families: readonly ApiFamily[]): Promise<MessageDetailRow | undefined> {
  const row = await summaryColumns(db)
    .select(['m.notify_url', 'm.validity_ms'])
    .where('m.account_id', '=', accountId)
    .where('m.message_id', '=', messageId)
    .where('m.family', 'in', [...families])
    .orderBy('m.created_at', 'desc')
    .orderBy('m.pk', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && { ...asMessageRow(row), validity_ms: Number(row.validity_ms) };
}

/** The message's reports, oldest first (reports_message). */
export async function reportsOfMessage(db: Kysely<Database>, accountId: string, messagePk: number): Promise<ReportEntry[]> {
  const rows = await db
    .selectFrom('reports')
    .select(['id', 'status_id', 'error_id', 'final', 'price_per_message', 'currency', 'done_at', 'channel', 'failover_step'])
    .where('message_pk', '=', messagePk)
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    status_id: Number(r.status_id),
    error_id: Number(r.error_id),
    final: Number(r.final),
    price_per_message: Number(r.price_per_message),
    done_at: Number(r.done_at),
    failover_step: Number(r.failover_step),
  }));
}

/** What people did with the message (SEEN, OPEN, CLICK, COMPLAINT), oldest first (engagements_message). */
export async function engagementsOfMessage(db: Kysely<Database>, accountId: string, messagePk: number): Promise<EngagementEntry[]> {
  const rows = await db
    .selectFrom('engagements')
    .select(['id', 'event', 'occurred_at', 'url'])
    .where('message_pk', '=', messagePk)
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), occurred_at: Number(r.occurred_at) }));
}

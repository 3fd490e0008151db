/**
 * The event recorder: in the caller's transaction, append each status event as an immutable
 * report, refresh the message's cached status, and route the report to the outbox (push) or
 * the pull queue. Doing all three in one transaction is what makes "accepted" mean "will be
 * reported": there is no moment where a report exists without its route, or the reverse.
 */
import { sql, type Transaction } from 'kysely';
import type { DialectProfile } from '../store/database.ts';
import { chunkRows } from '../store/database.ts';
import type { Database, NewOutboxRow } from '../store/schema.ts';
import { typedValues } from '../store/values.ts';
import { loadRoutableMessages, outboxRowsOf, routeReport, type SubscriberLookup } from './routing.ts';
import type { StatusEvent } from './status-event.ts';

/** Pulled reports are kept as long as Infobip keeps them: 48 hours. */
export const PULL_RETENTION_MS = 48 * 3_600_000;

/**
 * Reports recorded, counted by Infobip status id. Ids rather than group names: what a status
 * means is the messaging catalogue's business, and events must not depend on messaging (messaging
 * records events); whoever reports them (metrics) maps ids to groups.
 */
export type StatusCounts = ReadonlyMap<number, number>;

export interface RecordResult {
  pushed: number;
  pulled: number;
  byStatusId: StatusCounts;
}

/**
 * Told how many reports were recorded, by status id (metrics implement it). Callers tell it
 * after their transaction commits, so a rolled-back or retried transaction is not counted.
 */
export interface ReportObserver {
  reportsRecorded(byStatusId: StatusCounts): void;
}

export async function recordEvents(
  trx: Transaction<Database>,
  profile: DialectProfile,
  events: StatusEvent[],
  now: number,
  subscribers: SubscriberLookup,
): Promise<RecordResult> {
  if (events.length === 0) return { pushed: 0, pulled: 0, byStatusId: new Map() };
  const messages = await loadRoutableMessages(trx, profile, events.map((e) => e.messagePk));
  const known = events.filter((e) => messages.has(e.messagePk));

  const reportRows = known.map((e) => ({
    account_id: messages.get(e.messagePk)!.account_id,
    message_pk: e.messagePk,
    status_id: e.statusId,
    error_id: e.errorId,
    final: e.final ? 1 : 0,
    price_per_message: e.pricePerMessage,
    currency: e.currency,
    mcc_mnc: e.mccMnc,
    done_at: e.doneAt,
    created_at: now,
    channel: e.channel ?? 'SMS',
    failover_step: e.failoverStep ? 1 : 0,
    // The message is about to move on to its next channel: the step keeps what its own was.
    ...(e.failoverStep ? stepFacts(messages.get(e.messagePk)!) : {}),
  }));
  const reportIds: number[] = [];
  for (const chunk of chunkRows(reportRows, profile)) {
    // Ids come back in insertion order (one statement, one writer), so they line up with events.
    const inserted = await trx.insertInto('reports').values(chunk).returning('id').execute();
    reportIds.push(...inserted.map((r) => Number(r.id)).sort((a, b) => a - b));
  }

  await refreshMessageStatus(trx, profile, known);

  const outboxRows: NewOutboxRow[] = [];
  const pullRows: { account_id: string; report_id: number; expires_at: number }[] = [];
  for (const [i, event] of known.entries()) {
    const message = messages.get(event.messagePk)!;
    const route = await routeReport(trx, message, { final: event.final, failoverStep: event.failoverStep === true }, subscribers);
    if (route.kind === 'push') {
      outboxRows.push(...outboxRowsOf(message, reportIds[i], route, now));
    } else if (route.kind === 'pull') {
      pullRows.push({ account_id: message.account_id, report_id: reportIds[i], expires_at: now + PULL_RETENTION_MS });
    }
  }
  for (const chunk of chunkRows(outboxRows, profile)) await trx.insertInto('outbox').values(chunk).execute();
  for (const chunk of chunkRows(pullRows, profile)) await trx.insertInto('pull_queue').values(chunk).execute();
  return { pushed: outboxRows.length, pulled: pullRows.length, byStatusId: countByStatus(known) };
}

const stepFacts = (m: { sender: string | null; destination: string; parts: number }) => ({ sender: m.sender, destination: m.destination, parts: m.parts });

function countByStatus(events: StatusEvent[]): StatusCounts {
  const counts = new Map<number, number>();
  for (const e of events) counts.set(e.statusId, (counts.get(e.statusId) ?? 0) + 1);
  return counts;
}

/** One statement per chunk: UPDATE … FROM (VALUES …) works alike on SQLite and PostgreSQL. */
async function refreshMessageStatus(trx: Transaction<Database>, profile: DialectProfile, events: StatusEvent[]): Promise<void> {
  // A failover step is not the message's status: the message is still being tried on its next channel.
  const latest = new Map<number, StatusEvent>();
  for (const e of events) if (!e.failoverStep) latest.set(e.messagePk, e);
  const rows = [...latest.values()].map((e) => ({ pk: e.messagePk, s: e.statusId, e: e.errorId, d: e.doneAt, f: e.final ? 1 : 0 }));
  for (const chunk of chunkRows(rows, profile)) {
    const values = typedValues(chunk.map((r) => [r.pk, r.s, r.e, r.d, r.f]), ['bigint', 'integer', 'integer', 'bigint', 'integer']);
    await sql`
      update messages set
        status_id = v.column2,
        error_id = v.column3,
        done_at = v.column4,
        state = case when v.column5 = 1 then 'FINAL' else messages.state end
      from (values ${values}) as v
      where messages.pk = v.column1`.execute(trx);
  }
}

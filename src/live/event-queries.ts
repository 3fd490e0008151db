/**
 * What the live event streams read: reports and webhook attempts by id, scoped to one account
 * (and, for reports, to the API families the caller may read), rendered as event data. The ids
 * are the tables' own serial ids, so a stream's position is two numbers (events-hub.ts).
 *
 * Every range read walks the primary key from the stream's position (`id > after and id <= upTo`),
 * so a caught-up stream costs an index seek whatever the tables hold.
 */
import { sql, type Kysely } from 'kysely';
import { reportsOf } from '../operations/delivery-queries.ts';
import type { ApiFamily, Database } from '../store/schema.ts';
import { attemptEventData, reportEventData, type AttemptEventRow, type ReportEventRow } from './event-views.ts';

export type EventKind = 'report' | 'attempt';
export const EVENT_KINDS: readonly EventKind[] = ['report', 'attempt'];

/** The highest committed id of each table (0 when empty). */
export type Positions = Record<EventKind, number>;

/** Whose events a stream sees. */
export interface EventScope {
  accountId: string;
  /** Report events only of messages sent through these API families (none: no report events). */
  families: readonly ApiFamily[];
  /** Attempt events at all (the caller holds subscriptions:manage). */
  attempts: boolean;
}

/** Ids in (after, upTo], or exactly these ids. */
export type IdSelection = { after: number; upTo: number } | { ids: readonly number[] };

export interface LiveEvent {
  id: number;
  data: Record<string, unknown>;
}

/** The hub's view of the database (a fake in the hub's unit test). */
export interface EventSource {
  positions(): Promise<Positions>;
  /** Committed ids in (after, upTo] of every account, ascending: the hub finds the ones missing (out-of-order commits). */
  committedIds(kind: EventKind, after: number, upTo: number): Promise<number[]>;
  /** Which of these ids are committed now. */
  existing(kind: EventKind, ids: readonly number[]): Promise<number[]>;
  /** The scope's events among `selection`, ascending by id, at most `limit`. */
  events(kind: EventKind, scope: EventScope, selection: IdSelection, limit: number): Promise<LiveEvent[]>;
}

const TABLE = { report: 'reports', attempt: 'attempts' } as const;

/**
 * One row's event. A row that cannot be rendered (a status the catalogue does not know) still
 * takes its place, with its id and why: skipping it would stall every stream at that row.
 */
function rendered(idField: 'reportId' | 'attemptId', id: number | string, render: () => Record<string, unknown>): LiveEvent {
  try {
    return { id: Number(id), data: render() };
  } catch (error) {
    return { id: Number(id), data: { [idField]: Number(id), renderError: error instanceof Error ? error.message : String(error) } };
  }
}

export class DatabaseEventSource implements EventSource {
  constructor(private readonly db: Kysely<Database>) {}

  async positions(): Promise<Positions> {
    const { rows } = await sql<{ report: number | string | null; attempt: number | string | null }>`
      select (select max(id) from reports) as report, (select max(id) from attempts) as attempt`.execute(this.db);
    return { report: Number(rows[0]?.report ?? 0), attempt: Number(rows[0]?.attempt ?? 0) };
  }

  async committedIds(kind: EventKind, after: number, upTo: number): Promise<number[]> {
    const rows = await this.db.selectFrom(TABLE[kind]).select('id').where('id', '>', after).where('id', '<=', upTo).orderBy('id').execute();
    return rows.map((r) => Number(r.id));
  }

  async existing(kind: EventKind, ids: readonly number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom(TABLE[kind]).select('id').where('id', 'in', [...ids]).execute();
    return rows.map((r) => Number(r.id));
  }

  events(kind: EventKind, scope: EventScope, selection: IdSelection, limit: number): Promise<LiveEvent[]> {
    return kind === 'report' ? this.reports(scope, selection, limit) : this.attempts(scope, selection, limit);
  }

  private async reports(scope: EventScope, selection: IdSelection, limit: number): Promise<LiveEvent[]> {
    if (scope.families.length === 0 || ('ids' in selection && selection.ids.length === 0)) return [];
    let q = this.db
      .selectFrom('reports as r')
      .innerJoin('messages as m', 'm.pk', 'r.message_pk')
      .select((eb) => [
        'r.id',
        'm.message_id',
        'm.bulk_id',
        'r.channel',
        // A failover step's report names its own destination; else the message's.
        eb.fn.coalesce('r.destination', 'm.destination').as('destination'),
        'r.final',
        'r.status_id',
        'r.error_id',
        'r.done_at',
      ])
      .where('r.account_id', '=', scope.accountId)
      .where('m.family', 'in', [...scope.families]);
    q = 'ids' in selection ? q.where('r.id', 'in', [...selection.ids]) : q.where('r.id', '>', selection.after).where('r.id', '<=', selection.upTo);
    const rows: ReportEventRow[] = await q.orderBy('r.id').limit(limit).execute();
    return rows.map((r) => rendered('reportId', r.id, () => reportEventData(r)));
  }

  private async attempts(scope: EventScope, selection: IdSelection, limit: number): Promise<LiveEvent[]> {
    if (!scope.attempts || ('ids' in selection && selection.ids.length === 0)) return [];
    let q = this.db
      .selectFrom('attempts as a')
      .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
      .select((eb) => [
        'a.id',
        'a.delivery_id',
        'a.attempt',
        'a.started_at',
        'a.duration_ms',
        eb.fn.coalesce('a.target_url', 'd.target_url').as('target_url'),
        'a.status_code',
        'a.error_class',
        'a.error',
        // The delivery's state as it is now, not as it was after this attempt.
        'd.state as delivery_state',
      ])
      .where('a.account_id', '=', scope.accountId);
    q = 'ids' in selection ? q.where('a.id', 'in', [...selection.ids]) : q.where('a.id', '>', selection.after).where('a.id', '<=', selection.upTo);
    const rows: AttemptEventRow[] = await q.orderBy('a.id').limit(limit).execute();
    // What each delivery carried, from its outbox rows (the attempt log's own query).
    const carried = await reportsOf(this.db, rows.map((r) => r.delivery_id));
    return rows.map((r) => {
      const messageIds = [...new Set((carried.get(r.delivery_id) ?? []).map((c) => c.messageId).filter((id): id is string => id !== null))];
      return rendered('attemptId', r.id, () => attemptEventData(r, messageIds));
    });
  }
}

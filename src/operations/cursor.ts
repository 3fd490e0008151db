/**
 * Keyset paging for the attempt log: rows come newest first, ordered by (time, id), and a cursor is
 * the position of the last row answered. A position, not an offset: rows written while a client
 * pages (new deliveries, new attempts) land before its first page and never shift, repeat or skip
 * rows of the pages still to come.
 *
 * The cursor is opaque to clients (base64url of `[time, id]`); a tampered one is refused with 400
 * rather than read as some other position.
 */
import { sql, type Expression, type SqlBool } from 'kysely';
import { badRequest } from '../http/errors.ts';

export interface Position<Id extends string | number> {
  at: number;
  id: Id;
}

export function encodeCursor(position: Position<string | number>): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

export function decodeCursor<Id extends string | number>(cursor: string, idType: Id extends string ? 'string' : 'number'): Position<Id> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  // A numeric id is a bigint primary key: 1.5 or 1e20 would reach PostgreSQL as a bad bigint (a 500).
  const idOk = Array.isArray(parsed) && (idType === 'number' ? Number.isSafeInteger(parsed[1]) : typeof parsed[1] === 'string');
  if (!Array.isArray(parsed) || parsed.length !== 2 || !Number.isSafeInteger(parsed[0]) || !idOk) {
    throw badRequest([{ property: 'cursor', violation: 'is not a cursor this API answered (use nextCursor as given)' }]);
  }
  return { at: parsed[0] as number, id: parsed[1] as Id };
}

/**
 * The rows after `position` in (time desc, id desc) order. Spelt out rather than as a row-value
 * comparison, so both databases plan it from the (…, time) indexes the same way.
 */
export function after(timeColumn: string, idColumn: string, position: Position<string | number>): Expression<SqlBool> {
  const time = sql.ref(timeColumn);
  const id = sql.ref(idColumn);
  return sql<SqlBool>`(${time} < ${position.at} or (${time} = ${position.at} and ${id} < ${position.id}))`;
}

/** One page of `limit` rows out of `limit + 1` read: the extra row only says there is a next page. */
export function pageOf<Row, Id extends string | number>(rows: Row[], limit: number, positionOf: (row: Row) => Position<Id>): { rows: Row[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: encodeCursor(positionOf(page[page.length - 1])) };
}

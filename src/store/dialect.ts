/**
 * What differs between the databases Hookline runs on, as data. Code asks the profile
 * ("can I SKIP LOCKED?") instead of asking which database it is.
 */
export interface DialectProfile {
  name: 'sqlite' | 'postgres';
  /** Claims may use FOR UPDATE SKIP LOCKED (several workers on one database). */
  skipLocked: boolean;
  /** Several processes may share the database (and so need leases, NOTIFY, shared windows). */
  multiProcess: boolean;
  /** Wake-ups can cross processes with LISTEN/NOTIFY. */
  listenNotify: boolean;
  /** Ids are `bigserial` (PostgreSQL) rather than `integer primary key autoincrement` (SQLite). */
  serialIds: boolean;
  /** Most bound parameters in one statement; bulk inserts are chunked below it. */
  maxParameters: number;
  /**
   * How to compare a boolean index expression so the planner still uses the index: PostgreSQL
   * rewrites `(x = 0) = false` to `x <> 0` (missing the expression) but keeps `is false`;
   * SQLite matches the expression only with `=`.
   */
  booleanIndexTest: 'is' | '=';
}

export const SQLITE: DialectProfile = {
  name: 'sqlite',
  skipLocked: false,
  multiProcess: false,
  listenNotify: false,
  serialIds: false,
  maxParameters: 32_000,
  booleanIndexTest: '=',
};
export const POSTGRES: DialectProfile = {
  name: 'postgres',
  skipLocked: true,
  multiProcess: true,
  listenNotify: true,
  serialIds: true,
  maxParameters: 65_000,
  booleanIndexTest: 'is',
};

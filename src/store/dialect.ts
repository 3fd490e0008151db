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
}

export const SQLITE: DialectProfile = { name: 'sqlite', skipLocked: false, multiProcess: false, listenNotify: false, serialIds: false, maxParameters: 32_000 };
export const POSTGRES: DialectProfile = { name: 'postgres', skipLocked: true, multiProcess: true, listenNotify: true, serialIds: true, maxParameters: 65_000 };

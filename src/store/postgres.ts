/**
 * PostgreSQL for scale-out: any number of API and worker processes on one database.
 */
import { userInfo } from 'node:os';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { countQuery } from './query-count.ts';
import type { Database } from './schema.ts';

// Times and ids are bigint columns; their values stay far below 2^53, so numbers are exact.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

// Like psql: a URL without a user name connects as the OS user (pg itself needs $USER set).
pg.defaults.user ??= userInfo().username;

export const POOL_SIZE = 10;

export function openPostgres(url: string, poolSize = POOL_SIZE): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
  // A client losing its connection (a PostgreSQL restart) must not crash the process. The pool's
  // 'error' event covers idle clients only; a checked-out client between two statements (inside
  // a transaction) emits 'error' on itself, with no listener unless we add one. Its queries then
  // fail ("not queryable"), which callers treat as the database being unavailable, and the pool
  // discards it on release.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: countQuery });
}

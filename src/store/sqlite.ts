/**
 * The embedded default: one SQLite file in WAL mode, one process, zero set-up.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import { countQuery } from './query-count.ts';
import type { Database } from './schema.ts';

export function openSqlite(path: string): { db: Kysely<Database>; sqlite: SQLite.Database } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  // WAL lets readers run beside the single writer; a crashed process loses nothing that committed.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }), log: countQuery });
  return { db, sqlite };
}

const STATEMENT_CACHE_SIZE = 256;
/** Longer SQL is a bulk insert whose row count rarely repeats; its compiled program is large. */
const STATEMENT_CACHE_MAX_SQL = 4_096;

/**
 * Kysely's SQLite driver prepares every query anew, and preparing (parsing and planning) cost
 * more than running most of the gateway's statements, whose SQL text repeats with new
 * parameters. This keeps the most recently used prepared statements. A statement still being
 * iterated (a streamed select) is busy and is not handed out again; SQLite re-prepares cached
 * statements by itself when the schema changes.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      const cached = cache.get(sql);
      if (cached && !cached.busy) {
        cache.delete(sql); // re-insert: Map order is the LRU order
        cache.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      if (sql.length <= STATEMENT_CACHE_MAX_SQL) {
        cache.set(sql, statement);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
  };
}


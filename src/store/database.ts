/**
 * Opens the database named by DATABASE_URL and runs migrations.
 * Dialect differences are data in DialectProfile, not `if (sqlite)` scattered around.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type MigrationProvider, type SqliteDatabase } from 'kysely';
import { migrations } from './migrations.ts';
import type { Database } from './schema.ts';

export interface DialectProfile {
  name: 'sqlite' | 'postgres';
  /** Claims may use FOR UPDATE SKIP LOCKED (several workers on one database). */
  skipLocked: boolean;
  /** Several processes may share the database. */
  multiProcess: boolean;
  /** Most bound parameters in one statement; bulk inserts are chunked below it. */
  maxParameters: number;
}

const SQLITE: DialectProfile = { name: 'sqlite', skipLocked: false, multiProcess: false, maxParameters: 32_000 };

export interface Store {
  db: Kysely<Database>;
  profile: DialectProfile;
  /** The raw driver handle, for the few things only the driver can do (pragmas in tests). */
  sqlite?: SQLite.Database;
  close(): Promise<void>;
}

export async function openStore(databaseUrl: string): Promise<Store> {
  const path = databaseUrl.slice('sqlite:'.length);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  // WAL lets readers run beside the single writer; a crashed process loses nothing that committed.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  await migrate(db);
  return { db, profile: SQLITE, sqlite, close: () => db.destroy() };
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

const provider: MigrationProvider = { getMigrations: async () => migrations };

async function migrate(db: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${String(error)}`);
  }
}

/** Splits rows so one multi-row INSERT stays under the dialect's parameter limit. */
export function chunkRows<T extends object>(rows: T[], profile: DialectProfile): T[][] {
  if (rows.length === 0) return [];
  const perRow = Math.max(1, Object.keys(rows[0]).length);
  const size = Math.max(1, Math.floor(profile.maxParameters / perRow));
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  return chunks;
}

/**
 * Opens the database named by DATABASE_URL (`sqlite:<path>` or `postgres://…`) and brings its
 * schema up to date. Dialect differences are data in DialectProfile (dialect.ts).
 */
import type SQLite from 'better-sqlite3';
import { sql, type Kysely, Migrator, type MigrationProvider } from 'kysely';
import { POSTGRES, SQLITE, type DialectProfile } from './dialect.ts';
import { migrationsFor } from './migrations.ts';
import { openPostgres } from './postgres.ts';
import type { Database } from './schema.ts';
import { openSqlite } from './sqlite.ts';

export type { DialectProfile } from './dialect.ts';

export interface Store {
  db: Kysely<Database>;
  profile: DialectProfile;
  /** The raw SQLite handle, for the few things only the driver can do (pragmas in tests). */
  sqlite?: SQLite.Database;
  /** The PostgreSQL connection string, for LISTEN/NOTIFY (which needs its own connection). */
  postgresUrl?: string;
  close(): Promise<void>;
}

export class SchemaTooNewError extends Error {}

export async function openStore(databaseUrl: string): Promise<Store> {
  let store: Store;
  if (databaseUrl.startsWith('sqlite:')) {
    const { db, sqlite } = openSqlite(databaseUrl.slice('sqlite:'.length));
    store = { db, profile: SQLITE, sqlite, close: () => db.destroy() };
  } else {
    const db = openPostgres(databaseUrl);
    store = { db, profile: POSTGRES, postgresUrl: databaseUrl, close: () => db.destroy() };
  }
  try {
    await migrate(store.db, store.profile);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/**
 * Runs pending migrations. On PostgreSQL, Kysely's migrator holds an advisory lock, so several
 * processes starting at once do not race. A database migrated by a newer Hookline is refused.
 */
async function migrate(db: Kysely<Database>, profile: DialectProfile): Promise<void> {
  const known = migrationsFor(profile);
  const provider: MigrationProvider = { getMigrations: async () => known };
  const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(db).then(
    (r) => r.rows.map((row) => row.name),
    () => [] as string[], // no migration table yet: a new database
  );
  const unknown = applied.filter((name) => !(name in known));
  if (unknown.length) {
    throw new SchemaTooNewError(`the database schema is newer than this Hookline (unknown migrations: ${unknown.join(', ')}); upgrade Hookline`);
  }
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

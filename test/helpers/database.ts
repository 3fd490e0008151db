/**
 * The test matrix: every test that needs a database gets its own, on the backend named by
 * HOOKLINE_TEST_DB (`sqlite`, the default, or `postgres`). PostgreSQL databases are created
 * fresh on the server at HOOKLINE_TEST_PG_URL and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const TEST_BACKEND: 'sqlite' | 'postgres' = process.env.HOOKLINE_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
const ADMIN_URL = process.env.HOOKLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database for one gateway (or one group of processes sharing it). */
export async function createTestDatabase(dir: string): Promise<TestDatabase> {
  if (TEST_BACKEND === 'sqlite') return { url: `sqlite:${join(dir, 'hookline.db')}`, drop: async () => {} };
  const name = `hookline_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/**
 * Databases in temp dirs for a test file that starts gateways on its own (child processes):
 * `newDatabase()` makes one; `removeAll()` (in an `after` hook) drops every one and its dir.
 */
export function scratchDatabases(prefix: string): { newDatabase(): Promise<TestDatabase>; removeAll(): Promise<void> } {
  const dirs: string[] = [];
  const databases: TestDatabase[] = [];
  return {
    async newDatabase() {
      const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
      dirs.push(dir);
      const database = await createTestDatabase(dir);
      databases.push(database);
      return database;
    },
    async removeAll() {
      for (const database of databases) await database.drop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `GET /healthz` (the process is up) and `GET /readyz` (it can serve: the database answers and
 * holds every migration this Hookline knows, so no query meets a missing column). No auth.
 * A 503 says which check failed, for the operator reading it; the 200 body stays `{status}`.
 */
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { DialectProfile } from '../store/database.ts';
import { migrationsFor } from '../store/migrations.ts';
import type { Database } from '../store/schema.ts';

/** 'ok', or what is wrong. */
type Check = string;

async function databaseCheck(db: Kysely<Database>): Promise<Check> {
  try {
    await sql`select 1`.execute(db);
    return 'ok';
  } catch {
    return 'unreachable';
  }
}

/** Kysely's migrator records each applied migration by name in kysely_migration. */
async function migrationsCheck(db: Kysely<Database>, expected: readonly string[]): Promise<Check> {
  let applied: Set<string>;
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    applied = new Set(rows.map((r) => r.name));
  } catch {
    return 'no migration table';
  }
  const missing = expected.filter((name) => !applied.has(name));
  return missing.length === 0 ? 'ok' : `not applied: ${missing.join(', ')}`;
}

export function registerHealthRoutes(app: FastifyInstance, db: Kysely<Database>, profile: DialectProfile): void {
  const expected = Object.keys(migrationsFor(profile));
  app.get('/healthz', { schema: { description: 'The process is up: always `{"status":"ok"}`.' } }, async () => ({ status: 'ok' }));
  const readyDescription = 'The process can serve: 200 `{"status":"ready"}` when the database answers and every migration is applied; else 503 with the failed check in `checks`.';
  app.get('/readyz', { schema: { description: readyDescription } }, async (_request, reply) => {
    const database = await databaseCheck(db);
    const migrations = database === 'ok' ? await migrationsCheck(db, expected) : 'not checked';
    if (database === 'ok' && migrations === 'ok') return { status: 'ready' };
    return reply.status(503).send({ status: 'unavailable', checks: { database, migrations } });
  });
}

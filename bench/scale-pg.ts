/**
 * PostgreSQL for the scale-out benchmark: a fresh database per run (`hookline_bench_<random>`,
 * dropped afterwards), reports put into the outbox with the gateway's own recorder, the
 * server's processes told apart (this run's database, background, other databases), and a
 * check that the pipeline has nothing left to do.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import pg from 'pg';
import { recordEvents } from '../src/events/recorder.ts';
import { NO_SUBSCRIBERS } from '../src/events/routing.ts';
import type { StatusEvent } from '../src/events/status-event.ts';
import { ERROR, STATUS } from '../src/messaging/status-catalogue.ts';
import { POSTGRES } from '../src/store/dialect.ts';
import type { Database } from '../src/store/schema.ts';
import { TEXT } from './fixtures.ts';

export const ADMIN_URL = process.env.HOOKLINE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

const live = new Set<string>();

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `hookline_bench_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  live.add(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
      live.delete(name);
    },
  };
}

/** Drops whatever this process created and has not dropped yet (after a failure or Ctrl-C). */
export async function dropLeftoverDatabases(): Promise<void> {
  for (const name of [...live]) {
    await admin((c) => c.query(`drop database if exists ${name} with (force)`)).catch(() => {});
    live.delete(name);
  }
}

export type PgRole = 'ours' | 'background' | 'other databases';

/** Who each server process works for: this run's database, the server itself, or someone else. */
export async function postgresRoles(database: string | null): Promise<Map<number, PgRole>> {
  const { rows } = await admin((c) => c.query<{ pid: number; datname: string | null }>(`select pid, datname from pg_stat_activity`));
  return new Map(rows.map((r) => [r.pid, r.datname === null ? 'background' : r.datname === database ? 'ours' : 'other databases']));
}

/**
 * `count` messages SUBMITTED to `targetUrl` (v3 JSON webhooks), as the network worker would
 * find them before their final report; inserted server-side, so it costs no round trips per row.
 * Destinations follow bench/fixtures.ts destination(i).
 */
export async function insertMessages(db: Kysely<Database>, count: number, targetUrl: string, now: number): Promise<void> {
  const bulkId = randomBytes(16).toString('hex');
  await sql`
    insert into messages (account_id, message_id, bulk_id, family, destination, sender, text, parts, notify_url, content_type, notify,
      intermediate, callback_data, validity_ms, send_at, entity_id, application_id, campaign_reference_id, options, mcc_mnc, state, status_id,
      error_id, created_at, sent_at, done_at)
    select 'default', gen_random_uuid()::text, ${bulkId}, 'sms-v3',
      '4179' || lpad(((i % 8000000) / 8000)::text, 4, '0') || (2000 + i % 8000)::text, 'Hookline', ${TEXT}, 1, ${targetUrl},
      'application/json', 1, 0, null, ${48 * 3_600_000}, null, null, null, null, null, '22801', 'SUBMITTED', ${STATUS.PENDING_ACCEPTED},
      ${ERROR.NO_ERROR}, ${now}, ${now}, null
    from generate_series(0, ${count - 1}) as i`.execute(db);
}

/**
 * One final DELIVERED event for every message with pk > `afterPk`, recorded by the gateway's
 * recorder in the caller's transaction (reports, message status, outbox rows), as the network
 * worker does.
 */
export async function recordFinalReports(trx: Transaction<Database>, now: number, afterPk = 0): Promise<number> {
  const { rows } = await sql<{ pk: number }>`select pk from messages where pk > ${afterPk} order by pk`.execute(trx);
  const events: StatusEvent[] = rows.map((r) => ({
    messagePk: Number(r.pk),
    statusId: STATUS.DELIVERED_TO_HANDSET,
    errorId: ERROR.NO_ERROR,
    final: true,
    doneAt: now,
    pricePerMessage: 0.01,
    currency: 'EUR',
    mccMnc: '22801',
  }));
  const { pushed } = await recordEvents(trx, POSTGRES, events, now, NO_SUBSCRIBERS);
  return pushed;
}

/** Work the pipeline still has: network jobs, outbox rows not delivered, deliveries waiting. */
export const REMAINING_SQL = `select (select count(*) from network_jobs) + (select count(*) from outbox where state in ('READY', 'BATCHED'))
  + (select count(*) from deliveries where state in ('PENDING', 'RETRYING')) as remaining`;

export interface PgSession {
  /** How much work is left (see REMAINING_SQL). */
  remaining(): Promise<number>;
  /** ANALYZE every table: the statistics autovacuum would keep for a running deployment. */
  analyze(): Promise<void>;
  close(): Promise<void>;
}

/** One connection to a run's database for the benchmark's own look-ups; close it when done. */
export async function pgSession(url: string): Promise<PgSession> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    remaining: async () => Number((await client.query<{ remaining: string }>(REMAINING_SQL)).rows[0].remaining),
    analyze: async () => void (await client.query('analyze')),
    close: () => client.end(),
  };
}

/**
 * A PostgreSQL restart is an outage, not data loss. The gateway (`--role all`, a real child
 * process) runs on a PostgreSQL cluster of this test's own (created with pg_createcluster on a
 * free port, so the shared server on 5432 is never touched). Under load the cluster is stopped:
 * while it is down, intake answers 503 with Retry-After in the v3 envelope, /readyz answers 503
 * and /healthz 200. Once it is started again, intake answers 200 and delivery resumes by itself:
 * every message answered 200, before and after the outage, gets its report.
 * PostgreSQL only (Debian's postgresql-common tools and PostgreSQL 15 must be installed).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openPostgres } from '../../src/store/postgres.ts';
import { TEST_BACKEND } from '../helpers/database.ts';
import { freePort, killAllGatewayProcesses, spawnGateway, stopGateway, type GatewayProcess } from '../helpers/gateway-process.ts';
import { Receiver } from '../helpers/receiver.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const PG_VERSION = '15';
const API_KEY = 'postgres-restart-key-0123456789abcdef';
const PER_REQUEST = 50;
/** Final reports come this long after submit, so messages are inside the network when PostgreSQL stops. */
const SIMULATOR_DELAY_MS = 1_000;

const skip = TEST_BACKEND !== 'postgres' ? 'restarts a PostgreSQL cluster of its own; runs with HOOKLINE_TEST_DB=postgres' : false;

/** A throw-away PostgreSQL 15 cluster (pg_createcluster), on a free port, with trust auth. */
class Cluster {
  readonly name = `hltest${randomBytes(5).toString('hex')}`;
  port = 0;
  created = false;

  async create(): Promise<void> {
    this.port = await freePort();
    // Created is set first: a half-created cluster must still be dropped in `after`.
    this.created = true;
    await run('pg_createcluster', [PG_VERSION, this.name, '-p', String(this.port), '--', '--auth=trust'], { timeout: 60_000 });
    await this.start();
    const client = new pg.Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      await client.query('create database hookline');
    } finally {
      await client.end();
    }
  }

  url(database = 'hookline'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  start(): Promise<unknown> {
    return run('pg_ctlcluster', [PG_VERSION, this.name, 'start'], { timeout: 60_000 });
  }

  stop(): Promise<unknown> {
    return run('pg_ctlcluster', [PG_VERSION, this.name, 'stop', '-m', 'fast'], { timeout: 60_000 });
  }

  async drop(): Promise<void> {
    if (!this.created) return;
    await run('pg_dropcluster', [PG_VERSION, this.name, '--stop'], { timeout: 60_000 });
    this.created = false;
  }
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function post(gateway: GatewayProcess, body: object): Promise<Answer> {
  const response = await fetch(`${gateway.baseUrl}/sms/3/messages`, {
    method: 'POST',
    headers: { authorization: `App ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* keep the text */
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

async function get(gateway: GatewayProcess, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${gateway.baseUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

describe('PostgreSQL restart under load', { skip, concurrency: false, timeout: 150_000 }, () => {
  const cluster = new Cluster();
  let receiver: Receiver;
  let gateway: GatewayProcess;
  /** Reports received, per messageId (counted as they arrive). */
  const reports = new Map<string, number>();
  /** Every messageId answered 200 with a PENDING status. */
  const accepted = new Set<string>();
  const runId = `pgr-${process.pid}-${Date.now()}`;
  let requestNo = 0;

  const request = () => {
    const r = requestNo++;
    return {
      messages: [
        {
          sender: 'Hookline',
          content: { text: `outage ${r}` },
          destinations: Array.from({ length: PER_REQUEST }, (_, d) => ({ to: `4178${String(r).padStart(3, '0')}5${String(d).padStart(3, '0')}`, messageId: `${runId}-r${r}-d${d}` })),
          webhooks: { delivery: { url: `${receiver.url}/reports` } },
        },
      ],
    };
  };
  const accept = (answer: Answer) => {
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    for (const m of answer.body.messages as Array<{ messageId: string; status: { groupName: string } }>) {
      assert.equal(m.status.groupName, 'PENDING', JSON.stringify(m));
      accepted.add(m.messageId);
    }
  };

  before(async () => {
    try {
      await cluster.create();
    } catch (error) {
      throw new Error(`could not create a PostgreSQL ${PG_VERSION} cluster of the test's own (pg_createcluster/pg_ctlcluster): ${String(error)}`);
    }
    receiver = await Receiver.start();
    receiver.respond = (req) => {
      for (const r of JSON.parse(req.body).results as Array<{ messageId: string }>) reports.set(r.messageId, (reports.get(r.messageId) ?? 0) + 1);
      return { status: 200, delayMs: 5 };
    };
    gateway = await spawnGateway(
      {
        PORT: String(await freePort()),
        API_KEY,
        DATABASE_URL: cluster.url(),
        LOG_LEVEL: 'warn',
        SIMULATOR_DELAY_MS: String(SIMULATOR_DELAY_MS),
        RETRY_MINUTE_MS: '200',
        WEBHOOK_BUCKET_SIZE: '20',
      },
      { args: ['--role', 'all'] },
    );
  });

  after(async () => {
    await killAllGatewayProcesses();
    await receiver?.close();
    try {
      await cluster.drop();
    } catch (error) {
      // Say so loudly: a cluster left behind keeps its port and its data directory.
      console.error(`pg_dropcluster ${PG_VERSION} ${cluster.name} failed: ${String(error)}`);
      throw error;
    }
  });

  test('503 + Retry-After while PostgreSQL is down; after it is back, every accepted message is reported', async (t) => {
    try {
      await scenario(t);
    } catch (error) {
      // What the gateway said is the first thing to read when this fails.
      await sleep(200);
      t.diagnostic(`gateway ${gateway.done ? `exited ${JSON.stringify(await gateway.exited)}` : 'still running'}; stderr:\n${gateway.stderr().slice(-4_000)}\nstdout (tail):\n${gateway.stdout().slice(-4_000)}`);
      throw error;
    }
  });

  async function scenario(t: TestContext): Promise<void> {
    const t0 = Date.now();
    const phase = (what: string) => t.diagnostic(`+${Date.now() - t0} ms: ${what}`);

    // --- before: load flowing, reports arriving, more messages inside the network -------
    for (let i = 0; i < 10; i++) accept(await post(gateway, request()));
    await receiver.waitFor(() => reports.size > 0, 15_000, 'the first reports');
    for (let i = 0; i < 5; i++) accept(await post(gateway, request()));
    const acceptedBefore = accepted.size;
    const outstanding = [...accepted].filter((id) => !reports.has(id)).length;
    phase(`${acceptedBefore} accepted, ${reports.size} reported, ${outstanding} waiting for their report`);
    assert.ok(outstanding > 0, 'no message was waiting for its report when PostgreSQL stopped');

    // --- the outage ------------------------------------------------------------------
    await cluster.stop();
    phase(`cluster ${cluster.name} stopped`);
    const refused: object[] = [];
    for (let i = 0; i < 3; i++) {
      const body = request();
      const answer = await post(gateway, body);
      assert.equal(answer.status, 503, `intake while PostgreSQL is down: ${answer.status} ${JSON.stringify(answer.body)}`);
      const retryAfter = answer.headers.get('retry-after');
      assert.ok(retryAfter !== null && /^\d+$/.test(retryAfter) && Number(retryAfter) > 0, `Retry-After: ${retryAfter}`);
      assert.equal(answer.body.errorCode, 'E503', JSON.stringify(answer.body));
      assert.equal(typeof answer.body.description, 'string');
      assert.equal(typeof answer.body.action, 'string');
      assert.deepEqual(answer.body.violations, []);
      refused.push(body);

      const ready = await get(gateway, '/readyz');
      assert.equal(ready.status, 503, `/readyz while PostgreSQL is down: ${ready.status} ${ready.body}`);
      const health = await get(gateway, '/healthz');
      assert.equal(health.status, 200, `/healthz while PostgreSQL is down: ${health.status} ${health.body}`);
      // Past the API key cache (1 s) and into the workers' backoff.
      await sleep(1_000);
    }
    phase('503 from intake and /readyz, 200 from /healthz, throughout the outage');
    assert.equal(gateway.done, false, 'the gateway died while PostgreSQL was down');

    // --- back up -----------------------------------------------------------------------
    await cluster.start();
    phase('cluster started again');
    const readyDeadline = Date.now() + 20_000;
    while ((await get(gateway, '/readyz')).status !== 200) {
      assert.ok(Date.now() < readyDeadline, '/readyz did not recover');
      await sleep(100);
    }
    phase('/readyz answers 200');
    // The refused requests stored nothing: sent again, unchanged, they are accepted (not duplicates).
    for (const body of refused) accept(await post(gateway, body));
    for (let i = 0; i < 5; i++) accept(await post(gateway, request()));
    phase(`intake answers 200 again: ${accepted.size - acceptedBefore} more accepted`);
    assert.equal(accepted.size, (15 + 3 + 5) * PER_REQUEST);

    try {
      await receiver.waitFor(() => [...accepted].every((id) => reports.has(id)), 60_000, 'a report for every accepted message');
    } catch (error) {
      const missing = [...accepted].filter((id) => !reports.has(id));
      t.diagnostic(`missing ${missing.length} reports, e.g. ${missing.slice(0, 5).join(', ')}`);
      throw error;
    }
    phase('every accepted message reported');
    const duplicates = [...reports.values()].reduce((n, c) => n + c - 1, 0);
    t.diagnostic(`${accepted.size} messages, ${duplicates} duplicate reports, ${receiver.requests.length} webhook POSTs`);
    assert.deepEqual([...reports.keys()].filter((id) => !accepted.has(id)).slice(0, 5), [], 'reports for messages never accepted');

    // Nothing left behind in the database once the work is done.
    const db = openPostgres(cluster.url(), 1);
    try {
      const left = async () => {
        const { rows } = await sql<{ deliveries: number; outbox: number; jobs: number }>`
          select (select count(*) from deliveries where state in ('PENDING', 'RETRYING')) as deliveries,
                 (select count(*) from outbox where state in ('READY', 'BATCHED')) as outbox,
                 (select count(*) from network_jobs) as jobs`.execute(db);
        return rows[0];
      };
      const deadline = Date.now() + 15_000;
      let rest = await left();
      while (rest.deliveries + rest.outbox + rest.jobs > 0) {
        assert.ok(Date.now() < deadline, `work left: ${JSON.stringify(rest)}`);
        await sleep(200);
        rest = await left();
      }
      const { rows } = await sql<{ n: number }>`select count(*) as n from deliveries where state = 'DROPPED'`.execute(db);
      assert.equal(rows[0].n, 0, 'deliveries dropped during the outage');
    } finally {
      await db.destroy();
    }

    const stop = await stopGateway(gateway, 'SIGTERM');
    assert.equal(stop.code, 0, `gateway after SIGTERM: ${JSON.stringify(stop)}\n${gateway.stderr().slice(-3_000)}`);
    phase('gateway stopped cleanly');
  }
});

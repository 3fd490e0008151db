/**
 * Crash recovery of the real process (src/main.ts as a child): SIGKILL in the middle of load —
 * requests being accepted, messages inside the simulated network, webhook POSTs in flight — then
 * a restart on the same database (a SQLite file or a PostgreSQL database, per HOOKLINE_TEST_DB)
 * must lose no report. Redelivery is at-least-once, so some reports may arrive twice; how many is
 * bounded by what can be in flight (see DUPLICATE_BOUND).
 * A SIGTERM mid-load must instead drain cleanly: exit 0 within seconds, nothing lost, no duplicate.
 */
import { DELIVERY_LEASE_MS } from '../../src/webhooks/dispatcher.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { openStore } from '../../src/store/database.ts';
import type { Database } from '../../src/store/schema.ts';
import { createTestDatabase, TEST_BACKEND, type TestDatabase } from '../helpers/database.ts';
import { freePort, killAllGatewayProcesses, spawnGateway, stopGateway, type GatewayProcess } from '../helpers/gateway-process.ts';
import { Receiver } from '../helpers/receiver.ts';

const API_KEY = 'crash-recovery-key-0123456789abcdef';
const BUCKET_SIZE = 20;
/** WEBHOOK_WINDOW (its default, set explicitly because the duplicate bound depends on it). */
const WINDOW = 20;
const RECEIVER_DELAY_MS = 50;
/**
 * Webhook timeouts, set explicitly (far above RECEIVER_DELAY_MS). A claimed delivery holds a
 * DELIVERY_LEASE_MS lease, renewed while its request runs. On SQLite a restarted gateway owns the
 * database alone and releases the leases of the killed one at start; on PostgreSQL other
 * processes may share the database, so the killed process's leases are only reclaimed once they
 * expire (seen by the 2 s shared-database poll).
 */
const CONNECT_TIMEOUT_MS = 1_000;
const READ_TIMEOUT_MS = 2_000;
const LEASE_MS = DELIVERY_LEASE_MS;
/** How long after a crash a leased delivery can wait before it is sent again. */
const RECLAIM_MS = TEST_BACKEND === 'postgres' ? LEASE_MS + 2_000 : 0;

/**
 * A crash can only duplicate reports whose delivery was in flight: claimed (leased), POSTed,
 * but its outcome not yet committed. The dispatcher never has more than WEBHOOK_WINDOW
 * deliveries in flight to one target (and counts a finished request as in flight until its
 * outcome is committed), and a delivery carries at most WEBHOOK_BUCKET_SIZE reports. Everything
 * else is either committed as DELIVERED (never sent again) or not yet sent. One target, one
 * crash: at most WINDOW × BUCKET_SIZE = 400 duplicated reports — well under half of the load.
 */
const DUPLICATE_BOUND = WINDOW * BUCKET_SIZE;

const dirs: string[] = [];
const receivers: Receiver[] = [];
const databases: TestDatabase[] = [];
after(async () => {
  await killAllGatewayProcesses();
  for (const receiver of receivers) await receiver.close();
  // Already dropped by a scenario that finished; this catches the ones that failed half-way.
  for (const database of databases) await database.drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One POST /sms/3/messages body per request; destinations end in 5000-5049 (plain DELIVERED_TO_HANDSET). */
function buildRequests(run: string, count: number, perRequest: number, notifyUrl: string) {
  return Array.from({ length: count }, (_, r) => ({
    messages: [
      {
        sender: 'Hookline',
        content: { text: `load ${r}` },
        destinations: Array.from({ length: perRequest }, (_, d) => ({
          to: `4179${String(r).padStart(3, '0')}5${String(d).padStart(3, '0')}`,
          messageId: `${run}-r${r}-d${d}`,
        })),
        webhooks: { delivery: { url: notifyUrl } },
      },
    ],
  }));
}

/**
 * Sends the requests with bounded concurrency and a small gap, so the load lasts while the
 * gateway dies. A request that fails (connection reset/refused, 503 while closing) is sent
 * again, unchanged, once the gateway is back: if its first attempt committed, the gateway now
 * answers REJECTED_DUPLICATE_MESSAGE_ID for its destinations — those were accepted too.
 */
class Load {
  /** The gateway to send to; null while it is down. */
  private gateway: GatewayProcess | null;
  private waiters: Array<() => void> = [];
  private next = 0;
  answered = 0;
  /** Send requests on the wire (sent, not yet answered or failed). */
  inFlight = 0;
  failedAttempts = 0;
  /** Destinations answered 200 with a PENDING status. */
  readonly accepted = new Set<string>();
  /** Destinations whose first (unanswered) attempt had committed: the resend is told "duplicate". */
  readonly acceptedUnanswered = new Set<string>();
  onAnswered: () => void = () => {};

  constructor(
    private readonly bodies: object[],
    gateway: GatewayProcess,
    private readonly options: { concurrency: number; gapMs: number },
  ) {
    this.gateway = gateway;
  }

  down(): void {
    this.gateway = null;
  }

  up(gateway: GatewayProcess): void {
    this.gateway = gateway;
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async current(): Promise<GatewayProcess> {
    while (!this.gateway) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.gateway;
  }

  run(): Promise<void> {
    return Promise.all(Array.from({ length: this.options.concurrency }, () => this.worker())).then(() => undefined);
  }

  private async worker(): Promise<void> {
    while (this.next < this.bodies.length) {
      const body = this.bodies[this.next++];
      for (let attempt = 1; ; attempt++) {
        assert.ok(attempt <= 100, 'a request kept failing while the gateway was up');
        const gateway = await this.current();
        let status = 0;
        let text = '';
        this.inFlight++;
        try {
          const response = await fetch(`${gateway.baseUrl}/sms/3/messages`, {
            method: 'POST',
            headers: { authorization: `App ${API_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(15_000),
          });
          status = response.status;
          text = await response.text();
        } catch {
          /* the gateway died under us: try again when it is back */
        } finally {
          this.inFlight--;
        }
        if (status === 200) {
          for (const m of JSON.parse(text).messages as Array<{ messageId: string; status: { name: string; groupName: string } }>) {
            if (m.status.groupName === 'PENDING') this.accepted.add(m.messageId);
            else if (m.status.name === 'REJECTED_DUPLICATE_MESSAGE_ID') this.acceptedUnanswered.add(m.messageId);
            else assert.fail(`unexpected status for ${m.messageId}: ${JSON.stringify(m.status)}`);
          }
          this.answered++;
          this.onAnswered();
          break;
        }
        assert.ok(status === 0 || status === 503, `unexpected answer ${status}: ${text}`);
        this.failedAttempts++;
        await sleep(20);
      }
      await sleep(this.options.gapMs);
    }
  }
}

/**
 * Runs `check` on a connection of its own to the gateway's database (either backend; beside the
 * running gateway, or after it stopped), closed afterwards. openStore migrates, which is a no-op
 * on the database the gateway already brought up to date.
 */
async function withDatabase<T>(url: string, check: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const store = await openStore(url);
  try {
    return await check(store.db);
  } finally {
    await store.close();
  }
}

/** The single value of a `select count(*) …` (SQLite names the column `count(*)`, PostgreSQL `count`). */
async function count(db: Kysely<Database>, query: string): Promise<number> {
  const { rows } = await sql.raw<Record<string, number | string | bigint>>(query).execute(db);
  return Number(Object.values(rows[0] ?? {})[0] ?? 0);
}

const UNFINISHED_DELIVERIES = `select count(*) from deliveries where state in ('PENDING', 'RETRYING')`;
const UNFINISHED_OUTBOX = `select count(*) from outbox where state in ('READY', 'BATCHED')`;

/** Polls the live database (on its own connection, beside the gateway) until no webhook work is left. */
async function waitForQuiescence(url: string, timeoutMs = 30_000 + RECLAIM_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await withDatabase(url, async (db) => {
    for (;;) {
      const left =
        (await count(db, UNFINISHED_DELIVERIES)) + (await count(db, UNFINISHED_OUTBOX)) + (await count(db, 'select count(*) from network_jobs'));
      if (left === 0) return;
      assert.ok(Date.now() < deadline, `webhook work still unfinished after ${timeoutMs} ms (${left} rows)`);
      await sleep(100);
    }
  });
}

interface Scenario {
  signal: 'SIGKILL' | 'SIGTERM';
  requests: number;
  perRequest: number;
}

interface Outcome {
  expected: Set<string>;
  reportsByMessage: Map<string, number>;
  duplicates: number;
  stop: { code: number | null; signal: NodeJS.Signals | null; ms: number; timedOut: boolean };
  atStop: { answered: number; reportsReceived: number; acceptedNotReported: number; receiverInFlight: number; requestsInFlight: number };
  database: TestDatabase;
  receiver: Receiver;
}

async function runScenario(t: TestContext, scenario: Scenario): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'hookline-crash-'));
  dirs.push(dir);
  // One database for both processes: the restarted gateway must find what the first one left.
  const database = await createTestDatabase(dir);
  databases.push(database);
  const receiver = await Receiver.start();
  receivers.push(receiver);
  const env = {
    PORT: String(await freePort()),
    API_KEY,
    DATABASE_URL: database.url,
    LOG_LEVEL: 'warn',
    SIMULATOR_DELAY_MS: '300',
    RETRY_MINUTE_MS: '200',
    WEBHOOK_BUCKET_SIZE: String(BUCKET_SIZE),
    WEBHOOK_WINDOW: String(WINDOW),
    WEBHOOK_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    WEBHOOK_READ_TIMEOUT_MS: String(READ_TIMEOUT_MS),
  };

  const t0 = Date.now();
  const phase = (what: string) => t.diagnostic(`+${Date.now() - t0} ms: ${what}`);
  const first = await spawnGateway(env);
  phase('gateway up');
  const run = `${scenario.signal.toLowerCase()}-${process.pid}-${Date.now()}`;
  const load = new Load(buildRequests(run, scenario.requests, scenario.perRequest, `${receiver.url}/reports`), first, { concurrency: 2, gapMs: 40 });

  // Stop the gateway from inside the receiver's handler: a delivery is then certainly in flight
  // (this request is answered only RECEIVER_DELAY_MS later), and half the load has been answered.
  // Better still, wait for a burst (one request's 50 reports make 3 deliveries, POSTed together)
  // while a send request is in flight too; past three quarters of the load, take any moment.
  let receiverInFlight = 0;
  let stopping: Promise<Outcome['stop']> | null = null;
  let atStop: Outcome['atStop'] | null = null;
  receiver.respond = () => {
    receiverInFlight++;
    setTimeout(() => receiverInFlight--, RECEIVER_DELAY_MS);
    const busy = receiverInFlight >= 3 && load.inFlight > 0;
    if (!stopping && load.answered >= scenario.requests / 2 && (busy || load.answered >= (scenario.requests * 3) / 4)) {
      load.down();
      const reported = new Set(receiver.results().map((r) => r.messageId as string));
      atStop = {
        answered: load.answered,
        reportsReceived: reported.size,
        acceptedNotReported: [...load.accepted].filter((id) => !reported.has(id)).length,
        receiverInFlight,
        requestsInFlight: load.inFlight,
      };
      stopping = stopGateway(first, scenario.signal);
    }
    return { status: 200, delayMs: RECEIVER_DELAY_MS };
  };

  let loadFinished = false;
  const loadDone = load.run().finally(() => (loadFinished = true));
  loadDone.catch(() => {}); // awaited below; a failure while we wait here must not go unhandled
  const stoppedDeadline = Date.now() + 30_000;
  while (!stopping) {
    if (loadFinished) await loadDone; // surfaces a load failure
    assert.ok(!loadFinished && Date.now() < stoppedDeadline, 'the gateway was never stopped: the load ended first');
    await sleep(10);
  }
  const stop = await (stopping as Promise<Outcome['stop']>);
  const stopped = atStop as unknown as Outcome['atStop'];
  t.diagnostic(`${scenario.signal} after ${stopped.answered}/${scenario.requests} requests answered; ${stopped.reportsReceived} reports received, ` +
    `${stopped.acceptedNotReported} accepted messages not yet reported, ${stopped.receiverInFlight} webhook POSTs and ${stopped.requestsInFlight} send requests in flight; exit ${JSON.stringify(stop)}`);
  // The stop really happened mid-load, with messages still in the network and webhooks in flight.
  assert.ok(stopped.answered < scenario.requests, 'the load was over before the gateway was stopped');
  assert.ok(stopped.acceptedNotReported > 0, 'no accepted message was waiting for its report when the gateway was stopped');
  assert.ok(stopped.receiverInFlight > 0);

  phase('gateway stopped');
  const second = await spawnGateway(env);
  phase('gateway restarted');
  load.up(second);
  await loadDone;
  phase('load done');
  t.diagnostic(`load: ${load.answered} requests answered, ${load.failedAttempts} failed attempts resent after the restart, ` +
    `${load.acceptedUnanswered.size} destinations committed before the crash but answered only on resend`);

  const expected = new Set([...load.accepted, ...load.acceptedUnanswered]);
  assert.equal(expected.size, scenario.requests * scenario.perRequest, 'every destination was eventually accepted');
  assert.equal(load.accepted.size + load.acceptedUnanswered.size, expected.size);

  const reportsByMessage = () => {
    const seen = new Map<string, number>();
    for (const r of receiver.results()) seen.set(r.messageId, (seen.get(r.messageId) ?? 0) + 1);
    return seen;
  };
  try {
    await receiver.waitFor(() => {
      const seen = reportsByMessage();
      return [...expected].every((id) => seen.has(id));
    }, 60_000 + RECLAIM_MS, 'a report for every accepted message');
  } catch (error) {
    const seen = reportsByMessage();
    const missing = [...expected].filter((id) => !seen.has(id));
    t.diagnostic(`missing ${missing.length} reports, e.g. ${missing.slice(0, 5).join(', ')}; stderr of the restarted gateway:\n${second.stderr()}`);
    throw error;
  }

  phase('every report received');
  // Let redeliveries that are still in flight finish, then stop cleanly and inspect the database.
  await waitForQuiescence(database.url);
  phase('no work left');
  const final = await stopGateway(second, 'SIGTERM');
  phase('gateway stopped again');
  assert.equal(final.code, 0, `the restarted gateway did not exit cleanly: ${JSON.stringify(final)}\n${second.stderr()}`);

  const seen = reportsByMessage();
  const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0);
  return { expected, reportsByMessage: seen, duplicates, stop, atStop: stopped, database, receiver };
}

/** The checks every scenario shares: nothing lost, nothing unknown, every report final, no work left. */
async function assertNothingLost(t: TestContext, outcome: Outcome): Promise<void> {
  const { expected, reportsByMessage, receiver } = outcome;
  const lost = [...expected].filter((id) => !reportsByMessage.has(id));
  assert.deepEqual(lost, [], 'reports lost');
  const unknown = [...reportsByMessage.keys()].filter((id) => !expected.has(id));
  assert.deepEqual(unknown, [], 'reports for messages never accepted');
  for (const report of receiver.results()) {
    assert.equal(report.status.name, 'DELIVERED_TO_HANDSET', JSON.stringify(report));
  }

  // A report sent twice is the same delivery sent again: same webhook-id, so receivers can dedupe.
  const webhookIds = new Map<string, Set<string>>();
  for (const request of receiver.requests) {
    const id = String(request.headers['webhook-id']);
    for (const r of JSON.parse(request.body).results) {
      let ids = webhookIds.get(r.messageId);
      if (!ids) webhookIds.set(r.messageId, (ids = new Set()));
      ids.add(id);
    }
  }
  const reDelivered = [...webhookIds].filter(([, ids]) => ids.size > 1);
  assert.deepEqual(reDelivered.slice(0, 5), [], 'a report was carried by two different deliveries');

  await withDatabase(outcome.database.url, async (db) => {
    assert.equal(await count(db, UNFINISHED_DELIVERIES), 0, 'deliveries left PENDING/RETRYING');
    assert.equal(await count(db, `select count(*) from deliveries where lease_owner is not null or lease_until is not null`), 0, 'leases left behind');
    assert.equal(await count(db, UNFINISHED_OUTBOX), 0, 'outbox rows left READY/BATCHED');
    assert.equal(await count(db, `select count(*) from deliveries where state = 'DROPPED'`), 0, 'deliveries dropped');
    assert.equal(await count(db, 'select count(*) from network_jobs'), 0, 'network work left');
    assert.equal(await count(db, `select count(*) from messages where state <> 'FINAL'`), 0, 'messages without a final status');
    assert.equal(await count(db, 'select count(*) from messages'), expected.size, 'one message row per accepted destination');
    const retried = await count(db, 'select count(*) from deliveries where attempts > 1');
    t.diagnostic(`${await count(db, 'select count(*) from deliveries')} deliveries, ${retried} claimed more than once (attempts > 1); ${receiver.requests.length} webhook POSTs received`);
  });
}

describe('crash recovery (child process)', { timeout: 180_000 }, () => {
  test('SIGKILL mid-load: restart on the same database loses no report, duplicates stay bounded', async (t) => {
    const outcome = await runScenario(t, { signal: 'SIGKILL', requests: 40, perRequest: 50 });
    assert.equal(outcome.stop.signal, 'SIGKILL');
    const total = outcome.expected.size;
    const lost = [...outcome.expected].filter((id) => !outcome.reportsByMessage.has(id)).length;
    t.diagnostic(`SIGKILL: ${total} messages, ${outcome.duplicates} duplicate reports (bound ${DUPLICATE_BOUND}), ${lost} lost`);
    await assertNothingLost(t, outcome);
    assert.ok(outcome.duplicates <= DUPLICATE_BOUND, `${outcome.duplicates} duplicates exceed WEBHOOK_WINDOW × WEBHOOK_BUCKET_SIZE = ${DUPLICATE_BOUND}`);
    assert.ok(outcome.duplicates <= total / 2);
    await outcome.database.drop();
  });

  test('SIGTERM mid-load: exits 0 within seconds, restart delivers every report exactly once', async (t) => {
    const outcome = await runScenario(t, { signal: 'SIGTERM', requests: 20, perRequest: 50 });
    assert.equal(outcome.stop.timedOut, false, 'SIGTERM did not stop the gateway');
    assert.equal(outcome.stop.code, 0, `exit after SIGTERM: ${JSON.stringify(outcome.stop)}`);
    assert.ok(outcome.stop.ms < 5_000, `SIGTERM took ${outcome.stop.ms} ms`);
    t.diagnostic(`SIGTERM: exit 0 after ${outcome.stop.ms} ms; ${outcome.expected.size} messages, ${outcome.duplicates} duplicate reports`);
    await assertNothingLost(t, outcome);
    // A graceful stop drains in-flight webhooks and records their outcome: nothing is sent twice.
    assert.equal(outcome.duplicates, 0);
    await outcome.database.drop();
  });
});

/**
 * Scale-out on PostgreSQL with real processes: one API process (`--role api`) and three worker
 * processes (`--role worker`) on one fresh database, 20,000 reports' worth of SMS pushed to one
 * real receiver. Mid-run one worker is SIGKILLed and another is restarted (SIGTERM, then a new
 * one). Afterwards: every message answered 200 was reported at least once, duplicates stay
 * within what the killed worker could have had in flight, and nothing is left claimed or queued.
 * PostgreSQL only: SQLite is one process's database (config refuses --role api/worker on it).
 */
import { DELIVERY_LEASE_MS } from '../../src/webhooks/dispatcher.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { createTestDatabase, TEST_BACKEND, type TestDatabase } from '../helpers/database.ts';
import { freePort, killAllGatewayProcesses, spawnGateway, stopGateway, type GatewayProcess } from '../helpers/gateway-process.ts';
import { Receiver } from '../helpers/receiver.ts';

const API_KEY = 'multi-process-key-0123456789abcdef';
const REQUESTS = 200;
const PER_REQUEST = 100;
const TOTAL = REQUESTS * PER_REQUEST;
const BUCKET_SIZE = 50;
/** WEBHOOK_WINDOW, set explicitly because the duplicate bound depends on it. */
const WINDOW = 10;
const RECEIVER_DELAY_MS = 3;
/**
 * To SIGKILL a worker that certainly has webhooks in flight, the receiver holds its answers this
 * long for a while before the kill (below READ_TIMEOUT_MS: held requests still succeed), so
 * in-flight POSTs pile up to the workers' windows. Once more than 2 × WINDOW POSTs are in flight
 * at once, each of the three workers has at least one (no worker has more than WINDOW): whichever
 * is killed dies with a POST sent and its outcome not recorded.
 */
const HOLD_MS = 2_000;
const KILL_AT_IN_FLIGHT = 2 * WINDOW + 1;
/**
 * The dispatcher's lease is DELIVERY_LEASE_MS (10 s), renewed by a heartbeat while a request runs
 * (app.ts) = 1 + 6 + 10 = 17 s. The SIGKILLed worker's claims are taken over only once they
 * expire, so this is how long its in-flight reports wait before being sent again.
 */
const CONNECT_TIMEOUT_MS = 1_000;
const READ_TIMEOUT_MS = 3_000;
const LEASE_MS = DELIVERY_LEASE_MS;
/** app.ts SHUTDOWN_GRACE_MS: a SIGTERMed worker that exits sooner drained every in-flight webhook. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Why duplicates are bounded. A report is sent twice only if its delivery was claimed by a
 * worker that died after the POST went out and before the DELIVERED outcome was committed: the
 * lease then expires and another worker sends the same delivery again (same webhook-id).
 *  - A worker never has more than WEBHOOK_WINDOW deliveries in flight to one target, and counts
 *    a finished POST as in flight until its outcome is committed; there is one target here.
 *  - A delivery carries at most WEBHOOK_BUCKET_SIZE reports.
 *  - Network jobs and delivery forming happen inside single transactions (SKIP LOCKED): a
 *    kill rolls them back, which re-does work but cannot produce a report twice.
 *  - The SIGTERMed worker drains (asserted: it exits before SHUTDOWN_GRACE_MS), so it records
 *    every outcome it sent and gives back no lease: it adds no duplicates.
 *  - A live worker renews its leases (heartbeat every lease/3), so it never loses a claim.
 * So one SIGKILLed worker can cause at most WINDOW × BUCKET_SIZE = 500 duplicate reports.
 */
const KILLED_WORKERS = 1;
const DUPLICATE_BOUND = KILLED_WORKERS * WINDOW * BUCKET_SIZE;

const skip = TEST_BACKEND !== 'postgres' ? 'needs PostgreSQL (HOOKLINE_TEST_DB=postgres): API and worker roles share one database across processes' : false;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dirs: string[] = [];
let database: TestDatabase | null = null;
let receiver: Receiver | null = null;
let db: Kysely<Database> | null = null;
after(async () => {
  await killAllGatewayProcesses();
  await receiver?.close();
  await db?.destroy();
  await database?.drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function count(query: string): Promise<number> {
  const { rows } = await sql.raw<{ n: number | string }>(query).execute(db!);
  return Number(rows[0]?.n ?? 0);
}

describe('multi-process scale-out (1 API + 3 workers on PostgreSQL)', { skip, timeout: 120_000 }, () => {
  test('SIGKILL one worker, restart another: nothing lost, duplicates bounded, nothing left claimed', async (t) => {
    const t0 = Date.now();
    const phase = (what: string) => t.diagnostic(`+${Date.now() - t0} ms: ${what}`);
    const dir = mkdtempSync(join(tmpdir(), 'hookline-multi-'));
    dirs.push(dir);
    database = await createTestDatabase(dir);
    receiver = await Receiver.start();
    const rx = receiver;

    // Count reports as they arrive (Receiver.results() re-parses every body: too slow for 20k).
    const reportsByMessage = new Map<string, number>();
    let reportItems = 0;
    let receiverInFlight = 0;
    let maxInFlight = 0;
    /** Set while answers are held (HOLD_MS), from a quarter of the load until the kill. */
    let holding = false;
    let onReport: () => void = () => {};
    rx.respond = (req) => {
      for (const r of JSON.parse(req.body).results as Array<{ messageId: string }>) {
        reportsByMessage.set(r.messageId, (reportsByMessage.get(r.messageId) ?? 0) + 1);
        reportItems++;
      }
      const delayMs = holding ? HOLD_MS : RECEIVER_DELAY_MS;
      receiverInFlight++;
      maxInFlight = Math.max(maxInFlight, receiverInFlight);
      setTimeout(() => receiverInFlight--, delayMs);
      onReport();
      return { status: 200, delayMs };
    };

    const env: Record<string, string> = {
      API_KEY,
      DATABASE_URL: database.url,
      LOG_LEVEL: 'info', // a worker is "ready" when it logs that it runs (it has no /healthz)
      SIMULATOR_DELAY_MS: '50',
      RETRY_MINUTE_MS: '200',
      WEBHOOK_BUCKET_SIZE: String(BUCKET_SIZE),
      WEBHOOK_WINDOW: String(WINDOW),
      WEBHOOK_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      WEBHOOK_READ_TIMEOUT_MS: String(READ_TIMEOUT_MS),
    };
    // The API process migrates the new database first; the workers then start together.
    const api = await spawnGateway({ ...env, PORT: String(await freePort()) }, { args: ['--role', 'api'] });
    phase('API process up (database migrated)');
    const startWorker = () => spawnGateway({ ...env }, { args: ['--role', 'worker'] });
    const workers: GatewayProcess[] = await Promise.all([startWorker(), startWorker(), startWorker()]);
    const everyProcess = [api, ...workers];
    phase('1 API + 3 workers up');
    for (const w of workers) assert.match(w.stdout(), /"role":"worker"/);
    assert.match(api.stdout(), /"role":"api"/);

    const run = `mp-${process.pid}-${Date.now()}`;
    const accepted = new Set<string>();
    let answered = 0;
    let sendersInFlight = 0;
    let next = 0;

    // --- the failures, triggered mid-run -------------------------------------------------
    let killed: { at: string; certain: boolean; exit: Promise<unknown> } | null = null;
    let restarted: Promise<{ ms: number; code: number | null; timedOut: boolean }> | null = null;
    let holdingSince = 0;
    const kill = (certain: boolean) => {
      holding = false;
      const reported = reportsByMessage.size;
      killed = {
        at: `${answered}/${REQUESTS} requests answered, ${reported} messages reported, ${accepted.size - reported} accepted not yet reported, ${receiverInFlight} webhook POSTs in flight`,
        certain,
        exit: stopGateway(workers[0], 'SIGKILL'),
      };
    };
    const maybeKill = () => {
      if (killed) return;
      if (!holding && answered >= REQUESTS / 4) {
        holding = true;
        holdingSince = Date.now();
      }
      // From inside the receiver's handler, while requests are still being accepted. With more
      // than 2 × WINDOW POSTs in flight, worker 1 certainly has one of them (see HOLD_MS).
      if (holding && receiverInFlight >= KILL_AT_IN_FLIGHT) kill(true);
      // Safety net on a very slow machine: kill anyway (the worker most likely has work in flight).
      else if (holding && Date.now() - holdingSince > 10_000) kill(false);
    };
    onReport = maybeKill;
    const maybeRestart = () => {
      if (restarted || !killed || answered < (REQUESTS * 3) / 5) return;
      restarted = (async () => {
        const stop = await stopGateway(workers[1], 'SIGTERM');
        phase(`worker 2 SIGTERMed: exit ${JSON.stringify(stop)}`);
        const replacement = await startWorker();
        workers.push(replacement);
        everyProcess.push(replacement);
        phase('replacement worker up');
        return stop;
      })();
    };

    // --- the load: 200 × 100 destinations to the API process, paced so it spans the failures ---
    const sender = async () => {
      while (next < REQUESTS) {
        const r = next++;
        const body = {
          messages: [
            {
              sender: 'Hookline',
              content: { text: `scale-out ${r}` },
              // Last four digits 5000–5099: the simulator's plain DELIVERED_TO_HANDSET.
              destinations: Array.from({ length: PER_REQUEST }, (_, d) => ({ to: `4179${String(r).padStart(3, '0')}5${String(d).padStart(3, '0')}`, messageId: `${run}-r${r}-d${d}` })),
              webhooks: { delivery: { url: `${rx.url}/reports` } },
            },
          ],
        };
        sendersInFlight++;
        let response: Response;
        let text: string;
        try {
          response = await fetch(`${api.baseUrl}/sms/3/messages`, {
            method: 'POST',
            headers: { authorization: `App ${API_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(15_000),
          });
          text = await response.text();
        } finally {
          sendersInFlight--;
        }
        // The API process is never touched: worker failures must not show at intake.
        assert.equal(response.status, 200, `request ${r}: ${response.status} ${text}`);
        for (const m of JSON.parse(text).messages as Array<{ messageId: string; status: { groupName: string } }>) {
          assert.equal(m.status.groupName, 'PENDING', JSON.stringify(m));
          accepted.add(m.messageId);
        }
        answered++;
        maybeKill();
        maybeRestart();
        await sleep(25);
      }
    };
    await Promise.all([sender(), sender(), sender()]);
    phase(`load done: ${answered} requests answered, ${accepted.size} messages accepted`);
    assert.equal(accepted.size, TOTAL);
    // The load outran the webhooks (unlikely): kill now, while reports are still outstanding.
    if (!killed) kill(false);
    const theKill = killed as unknown as { at: string; certain: boolean; exit: Promise<unknown> };
    t.diagnostic(`worker 1 SIGKILLed at ${theKill.at} (${theKill.certain ? 'it certainly had a POST in flight' : 'fallback moment'}); exit ${JSON.stringify(await theKill.exit)}`);
    maybeRestart();
    const restart = await restarted!;
    assert.equal(restart.timedOut, false, 'SIGTERM did not stop the worker');
    assert.equal(restart.code, 0, `worker 2 after SIGTERM: ${JSON.stringify(restart)}\n${workers[1].stderr()}`);
    assert.ok(restart.ms < SHUTDOWN_GRACE_MS, `worker 2 took ${restart.ms} ms to stop: it did not drain (the duplicate bound assumes it did)`);

    // --- every accepted message reported at least once -----------------------------------
    try {
      // The killed worker's leases expire after LEASE_MS; then the others send its deliveries.
      await rx.waitFor(() => reportsByMessage.size >= TOTAL, LEASE_MS + 30_000, `${TOTAL} reported messages`);
    } catch (error) {
      const missing = [...accepted].filter((id) => !reportsByMessage.has(id));
      t.diagnostic(`missing ${missing.length} reports, e.g. ${missing.slice(0, 5).join(', ')}`);
      for (const p of everyProcess) t.diagnostic(`${p.role} pid ${p.child.pid} stderr:\n${p.stderr().slice(-2_000)}`);
      throw error;
    }
    phase(`every message reported (${reportItems} report items in ${rx.requests.length} POSTs)`);
    const unknown = [...reportsByMessage.keys()].filter((id) => !accepted.has(id));
    assert.deepEqual(unknown.slice(0, 5), [], 'reports for messages never accepted');

    // --- nothing left claimed or queued --------------------------------------------------
    db = openPostgres(database.url, 2);
    const unfinished = async () => ({
      claimed: await count(`select count(*) as n from deliveries where lease_owner is not null and state in ('PENDING', 'RETRYING')`),
      waiting: await count(`select count(*) as n from deliveries where state in ('PENDING', 'RETRYING')`),
      outbox: await count(`select count(*) as n from outbox where state in ('READY', 'BATCHED')`),
      networkJobs: await count('select count(*) as n from network_jobs'),
    });
    // Deliveries the killed worker had sent but not recorded are still leased to it (until
    // LEASE_MS) even though the receiver already has them: wait until they have been re-sent.
    const deadline = Date.now() + LEASE_MS + 15_000;
    let left = await unfinished();
    while (left.claimed + left.waiting + left.outbox + left.networkJobs > 0) {
      assert.ok(Date.now() < deadline, `work left unfinished: ${JSON.stringify(left)}`);
      await sleep(250);
      left = await unfinished();
    }
    phase('database quiescent');
    // A few seconds more: nothing may come back (a late completion, a stray claim).
    await sleep(3_000);
    left = await unfinished();
    assert.deepEqual(left, { claimed: 0, waiting: 0, outbox: 0, networkJobs: 0 }, 'work left claimed or queued');
    assert.equal(await count(`select count(*) as n from deliveries where lease_owner is not null or lease_until is not null`), 0, 'leases left on finished deliveries');
    assert.equal(await count(`select count(*) as n from deliveries where state = 'DROPPED'`), 0, 'deliveries dropped');
    assert.equal(await count(`select count(*) as n from messages where state <> 'FINAL'`), 0, 'messages without a final status');
    assert.equal(await count('select count(*) as n from messages'), TOTAL);
    assert.equal(await count('select count(*) as n from outbox'), TOTAL, 'one pushed report per message');

    // --- duplicates --------------------------------------------------------------------
    const duplicates = [...reportsByMessage.values()].reduce((n, c) => n + c - 1, 0);
    const deliveries = await count('select count(*) as n from deliveries');
    const reclaimed = await count('select count(*) as n from deliveries where attempts > 1');
    const attempts = await count('select count(*) as n from attempts');
    t.diagnostic(
      `${TOTAL} messages, ${duplicates} duplicate reports (bound ${DUPLICATE_BOUND} = ${KILLED_WORKERS} killed × WINDOW ${WINDOW} × BUCKET ${BUCKET_SIZE}); ` +
        `${deliveries} deliveries, ${reclaimed} claimed more than once, ${attempts} attempts recorded, ${rx.requests.length} POSTs received, at most ${maxInFlight} in flight at once`,
    );
    // A redelivered report travels in the same delivery (same webhook-id), so receivers can dedupe.
    const idsByMessage = new Map<string, Set<string>>();
    for (const request of rx.requests) {
      for (const r of JSON.parse(request.body).results as Array<{ messageId: string }>) {
        let ids = idsByMessage.get(r.messageId);
        if (!ids) idsByMessage.set(r.messageId, (ids = new Set()));
        ids.add(String(request.headers['webhook-id']));
      }
    }
    assert.deepEqual([...idsByMessage].filter(([, ids]) => ids.size > 1).slice(0, 5), [], 'a report was carried by two different deliveries');
    assert.ok(duplicates <= DUPLICATE_BOUND, `${duplicates} duplicates exceed ${KILLED_WORKERS} × WEBHOOK_WINDOW × WEBHOOK_BUCKET_SIZE = ${DUPLICATE_BOUND}`);
    assert.ok(reclaimed <= KILLED_WORKERS * WINDOW, `${reclaimed} deliveries were claimed twice; at most ${KILLED_WORKERS * WINDOW} could have been in flight in the killed worker`);
    // Three workers never have more than 3 × WINDOW POSTs in flight to one target.
    assert.ok(maxInFlight <= 3 * WINDOW, `${maxInFlight} POSTs in flight at once with 3 workers × WEBHOOK_WINDOW ${WINDOW}`);
    if (theKill.certain) {
      // The killed worker died holding a POST the receiver had got but not answered: its
      // delivery was sent again after the lease expired, so the kill really was mid-delivery.
      assert.ok(reclaimed >= 1 && duplicates >= 1, `the killed worker had a POST in flight, yet ${reclaimed} deliveries were re-claimed and ${duplicates} reports duplicated`);
    }

    // --- the survivors stop cleanly ------------------------------------------------------
    const survivors = everyProcess.filter((p) => !p.done);
    const stops = await Promise.all(survivors.map((p) => stopGateway(p, 'SIGTERM')));
    survivors.forEach((p, i) => assert.equal(stops[i].code, 0, `${p.role} pid ${p.child.pid}: ${JSON.stringify(stops[i])}\n${p.stderr()}`));
    phase('all processes stopped');
  });
});

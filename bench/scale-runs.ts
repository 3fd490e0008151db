/**
 * The scale-out runs, each on a fresh database with real gateway processes (bench/scale-gateway.ts):
 *
 *  dispatcherRun — PostgreSQL, `--role worker` × 1 or 2. The workers start on an empty database,
 *    deliver a 1,000-report warm-up, and idle; N messages are inserted, then one transaction records a final report
 *    for each with the gateway's recorder (N READY outbox rows) and commits, a NOTIFY wakes the
 *    workers, and the clock runs from the commit until the receiver has counted N reports.
 *    Nothing but the workers runs during the window; no start-up is timed.
 *
 *  endToEndRun — POST /sms/3/messages (D destinations per request, C concurrent clients) to a
 *    `--role all` process (SQLite or PostgreSQL) or to an API process with a worker beside it
 *    (PostgreSQL), after a 400-SMS warm-up, timed from the first request until the receiver has counted every SMS's report.
 *
 * Either way CPU and statements are sampled just before the window and once the database shows
 * no work left (so the last completions are counted), and everything is removed afterwards.
 */
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { Agent, request } from 'undici';
import { openStore } from '../src/store/database.ts';
import { API_KEY, destination, tempDir, TEXT } from './fixtures.ts';
import type { ReceiverProcess } from './receiver-client.ts';
import { GatewayChild } from './scale-gateway.ts';
import { epochNow, snapshot, usage, waitDrained, type Snapshot, type Usage } from './scale-measure.ts';
import { createBenchDatabase, insertMessages, pgSession, postgresRoles, recordFinalReports, REMAINING_SQL, type PgRole, type PgSession } from './scale-pg.ts';

export interface RunResult {
  id: string;
  title: string;
  backend: 'sqlite' | 'postgres';
  layout: string;
  bucketSize: number;
  workers: number;
  /** Reports (dispatcher runs) or SMS (end-to-end runs) the receiver had to count. */
  items: number;
  delivered: number;
  seconds: number;
  perSecond: number;
  /** End to end only: until the last POST was answered. */
  intakeSeconds?: number;
  timedOut: boolean;
  drained: boolean;
  /** Untimed preparation (loading reports), for the record. */
  prepareSeconds: number;
  usage: Usage;
}

const HOOK = (receiver: ReceiverProcess) => `${receiver.url}/hook`;

function mergeRoles(a: Map<number, PgRole>, b: Map<number, PgRole>): Map<number, PgRole> {
  return new Map([...a, ...b]);
}

async function stopAll(children: GatewayChild[]): Promise<void> {
  await Promise.all(children.map((c) => c.stop()));
}

export interface DispatcherRunOptions {
  id: string;
  reports: number;
  bucketSize: number;
  workers: number;
  window: number;
  timeoutSeconds: number;
}

/** Reports delivered through the workers before the measured burst. */
const DISPATCH_WARMUP = 1_000;
/**
 * SCALE_ANALYZE=1: ANALYZE each PostgreSQL database at rest after the warm-up, as autovacuum
 * would on an idle deployment. Off by default: with those statistics the form query in
 * src/webhooks/outbox.ts takes a nested-loop plan that is quadratic in the READY backlog.
 */
const ANALYZE_AT_REST = process.env.SCALE_ANALYZE === '1';

export async function dispatcherRun(receiver: ReceiverProcess, o: DispatcherRunOptions, log: (m: string) => void): Promise<RunResult> {
  const database = await createBenchDatabase();
  const store = await openStore(database.url); // migrates the new database
  const session = await pgSession(database.url);
  const children: GatewayChild[] = [];
  try {
    const prepared = performance.now();
    const env = {
      DATABASE_URL: database.url,
      API_KEY,
      SIMULATOR_DELAY_MS: '0',
      WEBHOOK_BUCKET_SIZE: String(o.bucketSize),
      WEBHOOK_WINDOW: String(o.window),
    };
    children.push(...(await Promise.all(Array.from({ length: o.workers }, (_, i) => GatewayChild.start(`worker ${i + 1}`, 'worker', env)))));

    // Warm-up through the same path: JIT, pooled connections, and a history for the statistics.
    await receiver.reset();
    await insertMessages(store.db, DISPATCH_WARMUP, HOOK(receiver), Date.now());
    await store.db.transaction().execute((trx) => recordFinalReports(trx, Date.now()));
    await sql`notify hookline_dispatch`.execute(store.db);
    if (!(await receiver.waitForCount(DISPATCH_WARMUP, 30_000)) || !(await waitDrained(session.remaining, 10_000))) throw new Error('warm-up did not complete');
    const { max } = (await store.db.selectFrom('messages').select((eb) => eb.fn.max('pk').as('max')).executeTakeFirstOrThrow()) as { max: number };

    // The burst: N messages, then one transaction recording a final report for each (N READY
    // outbox rows), committed at once.
    const now = Date.now();
    await insertMessages(store.db, o.reports, HOOK(receiver), now);
    if (ANALYZE_AT_REST) await session.analyze();
    await receiver.reset();
    let before: Snapshot | undefined;
    let rolesBefore = new Map<number, PgRole>();
    const pushed = await store.db.transaction().execute(async (trx) => {
      const pushed = await recordFinalReports(trx, now, Number(max));
      rolesBefore = await postgresRoles(database.name);
      before = await snapshot(children, receiver.pid);
      return pushed;
    });
    const started = epochNow();
    if (pushed !== o.reports) throw new Error(`recorded ${pushed} of ${o.reports} reports into the outbox`);
    await sql`notify hookline_dispatch`.execute(store.db);
    const prepareSeconds = (started - (performance.timeOrigin + prepared)) / 1_000;
    log(`${o.id}: ${o.reports.toLocaleString('en-US')} reports committed to the outbox (prepared in ${prepareSeconds.toFixed(1)} s); ${o.workers} worker(s) dispatching`);

    const reached = await receiver.waitForCount(o.reports, o.timeoutSeconds * 1_000);
    const end = reached?.at ?? epochNow();
    const drained = await waitDrained(session.remaining, 10_000);
    const after = await snapshot(children, receiver.pid);
    const roles = mergeRoles(rolesBefore, await postgresRoles(database.name));
    const delivered = reached?.count ?? (await receiver.stats()).count;
    const seconds = (end - started) / 1_000;
    return {
      id: o.id,
      title: `dispatcher, PostgreSQL, ${o.workers} × --role worker, bucket ${o.bucketSize}`,
      backend: 'postgres',
      layout: `${o.workers} worker${o.workers > 1 ? 's' : ''}`,
      bucketSize: o.bucketSize,
      workers: o.workers,
      items: o.reports,
      delivered,
      seconds,
      perSecond: delivered / seconds,
      timedOut: reached === null,
      drained,
      prepareSeconds,
      usage: usage(before!, after, roles),
    };
  } finally {
    await stopAll(children);
    await session.close().catch(() => {});
    await store.close();
    await database.drop();
  }
}

export interface EndToEndRunOptions {
  id: string;
  backend: 'sqlite' | 'postgres';
  layout: 'all' | 'api+worker';
  requests: number;
  destinations: number;
  clients: number;
  bucketSize: number;
  window: number;
  timeoutSeconds: number;
}

function requestBody(hookUrl: string, first: number, destinations: number): string {
  return JSON.stringify({
    messages: [
      {
        sender: 'Hookline',
        destinations: Array.from({ length: destinations }, (_, i) => ({ to: destination(first + i) })),
        content: { text: TEXT },
        webhooks: { delivery: { url: hookUrl }, contentType: 'application/json' },
      },
    ],
  });
}

/** Sends every body with `clients` concurrent request loops; resolves when the last is answered. */
async function postAll(baseUrl: string, bodies: string[], clients: number): Promise<void> {
  const agent = new Agent({ connections: clients, keepAliveTimeout: 10_000 });
  const headers = { authorization: `App ${API_KEY}`, 'content-type': 'application/json', accept: 'application/json' };
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < bodies.length) {
          const response = await request(`${baseUrl}/sms/3/messages`, { method: 'POST', dispatcher: agent, body: bodies[next++], headers });
          const text = await response.body.text();
          if (response.statusCode !== 200) throw new Error(`gateway answered ${response.statusCode}: ${text.slice(0, 300)}`);
        }
      }),
    );
  } finally {
    await agent.close();
  }
}

export async function endToEndRun(receiver: ReceiverProcess, o: EndToEndRunOptions, log: (m: string) => void): Promise<RunResult> {
  const temp = o.backend === 'sqlite' ? tempDir() : null;
  const database = o.backend === 'postgres' ? await createBenchDatabase() : null;
  const sqlitePath = temp ? join(temp.dir, 'hookline.db') : '';
  const env = {
    DATABASE_URL: database ? database.url : `sqlite:${sqlitePath}`,
    API_KEY,
    SIMULATOR_DELAY_MS: '0',
    WEBHOOK_BUCKET_SIZE: String(o.bucketSize),
    WEBHOOK_WINDOW: String(o.window),
  };
  const children: GatewayChild[] = [];
  let session: PgSession | null = null;
  try {
    const prepared = performance.now();
    if (o.layout === 'all') children.push(await GatewayChild.start('all', 'all', env));
    else children.push(...(await Promise.all([GatewayChild.start('api', 'api', env), GatewayChild.start('worker', 'worker', env)])));
    const api = children.find((c) => c.role !== 'worker')!;
    if (database) session = await pgSession(database.url);
    else {
      // The gateway never runs ANALYZE on SQLite; neither does the benchmark.
      const reader = new SQLite(sqlitePath, { fileMustExist: true });
      const statement = reader.prepare(REMAINING_SQL).pluck();
      session = { remaining: async () => Number(statement.get()), analyze: async () => {}, close: async () => void reader.close() };
    }

    // Warm-up outside the window: JIT, pooled connections, prepared statements.
    const warmup = Array.from({ length: 4 }, (_, i) => requestBody(HOOK(receiver), 7_000_000 + i * o.destinations, o.destinations));
    await receiver.reset();
    await postAll(api.url, warmup, 4);
    await receiver.waitForCount(warmup.length * o.destinations, 30_000);
    await waitDrained(session.remaining, 10_000);
    if (ANALYZE_AT_REST) await session.analyze(); // PostgreSQL only

    const bodies = Array.from({ length: o.requests }, (_, i) => requestBody(HOOK(receiver), i * o.destinations, o.destinations));
    const sms = o.requests * o.destinations;
    await receiver.reset();
    const rolesBefore = database ? await postgresRoles(database.name) : new Map<number, PgRole>();
    const before = await snapshot(children, receiver.pid);
    const prepareSeconds = (performance.now() - prepared) / 1_000;
    log(`${o.id}: ${sms.toLocaleString('en-US')} SMS in ${o.requests} requests × ${o.destinations}, ${o.clients} clients`);
    const started = epochNow();
    const intake = postAll(api.url, bodies, o.clients).then(() => epochNow());
    intake.catch(() => {}); // awaited below; a failure must not surface as unhandled meanwhile
    const reached = await receiver.waitForCount(sms, o.timeoutSeconds * 1_000);
    const end = reached?.at ?? epochNow();
    const intakeDone = await intake;
    const drained = await waitDrained(session.remaining, 10_000);
    const after = await snapshot(children, receiver.pid);
    const roles = database ? mergeRoles(rolesBefore, await postgresRoles(database.name)) : rolesBefore;
    const delivered = reached?.count ?? (await receiver.stats()).count;
    const seconds = (end - started) / 1_000;
    const layout = o.layout === 'all' ? '1 × --role all' : '1 × --role api + 1 × --role worker';
    return {
      id: o.id,
      title: `end to end, ${o.backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, ${layout}`,
      backend: o.backend,
      layout,
      bucketSize: o.bucketSize,
      workers: children.filter((c) => c.role !== 'api').length,
      items: sms,
      delivered,
      seconds,
      perSecond: delivered / seconds,
      intakeSeconds: (intakeDone - started) / 1_000,
      timedOut: reached === null,
      drained,
      prepareSeconds,
      usage: usage(before, after, roles),
    };
  } finally {
    await session?.close().catch(() => {});
    await stopAll(children);
    await database?.drop();
    temp?.remove();
  }
}

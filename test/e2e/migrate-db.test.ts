/**
 * Moving a running SQLite installation to PostgreSQL: drain (stop the SQLite gateway), copy
 * (copyDatabase / `npm run migrate-db`), switch (start on PostgreSQL with the same API key).
 * Nothing pending may be lost: reports waiting in the pull queue, a webhook delivery in the
 * middle of its retry cycle (same webhook-id, same body, the next attempt number at its due
 * time), a scheduled bulk (same sendAt, sent when due); the history stays visible in the logs
 * and is not sent again, and new rows get ids after the copied ones.
 *
 * Both gateways share one ManualClock, so the retry schedule and sendAt are checked exactly.
 * The test always uses both backends (a SQLite file in a temp dir, a fresh PostgreSQL database
 * it creates and drops itself), so it runs once per suite run: in the SQLite pass of the matrix.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite from 'better-sqlite3';
import pg from 'pg';
import { ManualClock } from '../../src/clock.ts';
import { formatInfobipTime } from '../../src/lib/infobip-time.ts';
import { loadReportViews, toV3Report } from '../../src/messaging/report-shape.ts';
import { copyDatabase, TargetNotEmptyError, type CopyResult } from '../../src/store/migrate-db.ts';
import { REPO_ROOT } from '../helpers/gateway-process.ts';
import { startGateway, tempDir, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';

const MINUTE = 60_000;
const SKIP =
  process.env.HOOKLINE_TEST_DB === 'postgres'
    ? 'migrate-db always uses both backends itself; it runs once per suite run, in the sqlite pass of the matrix'
    : false;

/** Like test/helpers/database.ts, but always PostgreSQL whatever HOOKLINE_TEST_DB says. */
const ADMIN_URL = process.env.HOOKLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
async function createPostgresDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `hookline_test_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitUntil<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Runs `npm run migrate-db -- …` the way an operator would (node --import tsx src/migrate-db.ts). */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/migrate-db.ts', ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const byMessageId = (a: { messageId: string }, b: { messageId: string }) => (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);

describe('moving from SQLite to PostgreSQL: drain, migrate-db, switch', { skip: SKIP }, () => {
  const clock = new ManualClock();
  let dir: string;
  let sqliteUrl: string;
  let target: { name: string; url: string; drop(): Promise<void> } | undefined;
  let failing: Receiver; // answers 500 before the switch, 200 after it
  let ok: Receiver;
  let sqliteGateway: TestGateway | undefined;
  let pgGateway: TestGateway | undefined;

  const pullIds = ['mig-pull-1', 'mig-pull-2', 'mig-pull-3'];
  const historyIds = ['mig-hist-1', 'mig-hist-2'];
  const retryId = 'mig-retry-1';
  const scheduledId = 'mig-sched-1';
  const bulkId = 'mig-bulk-1';
  let sendAt: number;

  // What the SQLite gateway left behind, read before it stopped.
  let logsBefore: any[];
  let pullExpected: Record<string, unknown>[];
  let retryDelivery: { id: string; body: string; attempts: number; next_attempt_at: number | null };
  let retryAttemptsBefore: Array<{ attempt: number; started_at: number; status_code: number | null }>;
  let historyDeliveryIds: string[];
  let sourceMaxIds: { messages: number; reports: number; attempts: number };
  let copy: CopyResult;
  let copyLog: string[] = [];

  before(async () => {
    dir = tempDir();
    sqliteUrl = `sqlite:${join(dir, 'hookline.db')}`;
    failing = await Receiver.start();
    failing.respond = () => ({ status: 500 });
    ok = await Receiver.start();
    target = await createPostgresDatabase();
  });
  after(async () => {
    await sqliteGateway?.close();
    await pgGateway?.close();
    await failing?.close();
    await ok?.close();
    await target?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the SQLite gateway builds up pending work, then stops (SIGTERM path: hookline.stop())', async (t) => {
    t.diagnostic(`source ${sqliteUrl}, target database ${target!.name}`);
    const g = (sqliteGateway = await startGateway({ DATABASE_URL: sqliteUrl }, { clock, dir }));
    assert.equal(g.hookline.store.profile.name, 'sqlite');
    const db = g.hookline.store.db;
    const t0 = clock.now();

    // (d) delivered history: two reports pushed to a receiver that answers 200.
    let r = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: historyIds.map((id) => ({ to: '41793026727', messageId: id })), content: { text: 'history' }, webhooks: { delivery: { url: ok.url } } }],
    });
    assert.equal(r.status, 200);
    await ok.waitForResults(2);
    await waitUntil(
      async () => (await db.selectFrom('deliveries').select('state').where('target_url', '=', ok.url).execute()).every((d) => d.state === 'DELIVERED') || undefined,
      'history deliveries recorded as DELIVERED',
    );

    // (a) three reports waiting in the pull queue (no webhook URL).
    r = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: pullIds.map((id, i) => ({ to: `4179302673${i}`, messageId: id })), content: { text: 'pull me' }, webhooks: { callbackData: 'cb-pull' } }],
    });
    assert.equal(r.status, 200);
    await waitUntil(async () => (await db.selectFrom('pull_queue').selectAll().execute()).length === 3, 'three reports in the pull queue');

    // (b) one delivery retrying against a receiver that answers 500: attempts at t0, t0+1 min, t0+3 min.
    r = await g.api('POST', '/sms/2/text/advanced', {
      messages: [{ from: 'Shop', destinations: [{ to: '41793026740', messageId: retryId }], text: 'retry me', notifyUrl: failing.url, callbackData: 'cb-retry' }],
    });
    assert.equal(r.status, 200);
    const attemptRows = () => db.selectFrom('attempts').innerJoin('deliveries', 'deliveries.id', 'attempts.delivery_id').where('deliveries.target_url', '=', failing.url).select('attempt').execute();
    for (const [n, advance] of [[1, 0], [2, 1], [3, 2]] as const) {
      clock.advance(advance * MINUTE);
      await failing.waitForRequests(n);
      await waitUntil(async () => (await attemptRows()).length === n, `attempt ${n} recorded`);
    }
    assert.equal(clock.now() - t0, 3 * MINUTE);

    // (c) a scheduled bulk, due one hour from now.
    sendAt = t0 + 60 * MINUTE;
    r = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [{ to: '41793026750', messageId: scheduledId }], content: { text: 'later' }, webhooks: { delivery: { url: ok.url } } }],
      options: { schedule: { bulkId, sendAt: formatInfobipTime(sendAt) } },
    });
    assert.equal(r.status, 200);
    assert.equal((await g.api('GET', `/sms/1/bulks/status?bulkId=${bulkId}`)).body.status, 'PENDING');

    // Snapshot of what must survive.
    const logs = await g.api('GET', '/sms/3/logs?limit=1000');
    assert.equal(logs.status, 200);
    logsBefore = logs.body.results.sort(byMessageId);
    assert.equal(logsBefore.length, 7);
    const queued = await db.selectFrom('pull_queue').select('report_id').orderBy('id').execute();
    pullExpected = (await loadReportViews(db, queued.map((q) => Number(q.report_id)))).map(toV3Report);
    const [delivery] = await db.selectFrom('deliveries').selectAll().where('target_url', '=', failing.url).execute();
    assert.deepEqual([delivery.state, delivery.attempts, Number(delivery.next_attempt_at) - t0], ['RETRYING', 3, 8 * MINUTE], 'next attempt 5 minutes after the third');
    retryDelivery = { id: delivery.id, body: delivery.body, attempts: delivery.attempts, next_attempt_at: delivery.next_attempt_at };
    retryAttemptsBefore = (await db.selectFrom('attempts').select(['attempt', 'started_at', 'status_code']).where('delivery_id', '=', delivery.id).orderBy('attempt').execute()).map(
      (a) => ({ attempt: a.attempt, started_at: Number(a.started_at), status_code: a.status_code }),
    );
    assert.deepEqual(failing.requests.map((q) => q.headers['webhook-id']), [delivery.id, delivery.id, delivery.id]);
    historyDeliveryIds = (await db.selectFrom('deliveries').select('id').where('target_url', '=', ok.url).execute()).map((d) => d.id);
    const max = async (table: 'reports' | 'attempts') => Number((await db.selectFrom(table).select((eb) => eb.fn.max('id').as('m')).executeTakeFirstOrThrow()).m);
    sourceMaxIds = {
      messages: Number((await db.selectFrom('messages').select((eb) => eb.fn.max('pk').as('m')).executeTakeFirstOrThrow()).m),
      reports: await max('reports'),
      attempts: await max('attempts'),
    };

    await g.close(); // hookline.stop(): what SIGTERM does in main.ts
    sqliteGateway = undefined;
  });

  test('copyDatabase copies every table into the empty PostgreSQL database, clearing leases', async () => {
    // Make the source look like a process that died holding a lease (kill -9): the copy must clear it.
    const raw = new BetterSqlite(sqliteUrl.slice('sqlite:'.length));
    raw.prepare('update deliveries set lease_owner = ?, lease_until = ? where id = ?').run('dead-process', clock.now() + 24 * 60 * MINUTE, retryDelivery.id);
    const sourceCounts = Object.fromEntries(
      ['accounts', 'api_keys', 'roles', 'users', 'sessions', 'oauth_tokens', 'throttle_counters', 'security_settings', 'notification_profiles', 'subscriptions', 'numbers', 'inbound_messages', 'inbox_queue', 'short_links', 'clicks', 'bulks', 'messages', 'network_jobs', 'reports', 'engagements', 'pull_queue', 'outbox', 'deliveries', 'attempts', 'target_health', 'recoveries', 'smpp_parts', 'smpp_pending_receipts', 'smpp_inbound_parts', 'smpp_connections', 'smpp_routes'].map((t) => [
        t,
        (raw.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n,
      ]),
    );
    raw.close();

    copyLog = [];
    copy = await copyDatabase(sqliteUrl, target!.url, { log: (line) => copyLog.push(line) });
    assert.deepEqual(Object.fromEntries(copy.tables.map((t) => [t.table, t.rows])), sourceCounts, 'every table, every row');
    assert.deepEqual(
      copy.tables.map((t) => t.table),
      ['accounts', 'api_keys', 'roles', 'users', 'sessions', 'oauth_tokens', 'throttle_counters', 'security_settings', 'notification_profiles', 'subscriptions', 'numbers', 'inbound_messages', 'inbox_queue', 'short_links', 'clicks', 'bulks', 'messages', 'network_jobs', 'reports', 'engagements', 'pull_queue', 'outbox', 'deliveries', 'attempts', 'target_health', 'recoveries', 'smpp_parts', 'smpp_pending_receipts', 'smpp_inbound_parts', 'smpp_connections', 'smpp_routes'],
    );
    assert.equal(sourceCounts.messages, 7);
    assert.equal(sourceCounts.pull_queue, 3);
    assert.equal(copy.leasesCleared, 1);
    for (const { table, rows } of copy.tables) assert.ok(copyLog.some((l) => l.includes(table) && new RegExp(`\\b${rows} rows`).test(l)), `row count of ${table} printed`);
    assert.ok(copyLog.some((l) => l.startsWith('verified: row counts match')), copyLog.join('\n'));
    assert.deepEqual(
      copy.sequences.find((s) => s.table === 'messages'),
      { table: 'messages', column: 'pk', nextId: sourceMaxIds.messages + 1 },
      'the messages sequence is past the copied ids',
    );

    // The copied rows, as PostgreSQL holds them: the retrying delivery unchanged but for its lease.
    const client = new pg.Client({ connectionString: target!.url });
    await client.connect();
    try {
      const { rows } = await client.query('select state, attempts, next_attempt_at, body, lease_owner, lease_until from deliveries where id = $1', [retryDelivery.id]);
      assert.deepEqual(rows, [
        { state: 'RETRYING', attempts: 3, next_attempt_at: retryDelivery.next_attempt_at, body: retryDelivery.body, lease_owner: null, lease_until: null },
      ]);
      const { rows: leased } = await client.query('select count(*)::int as n from deliveries where lease_owner is not null or lease_until is not null');
      assert.equal(leased[0].n, 0);
    } finally {
      await client.end();
    }
  });

  test('copying into a non-empty target is refused, with a clear message, and changes nothing', async () => {
    await assert.rejects(copyDatabase(sqliteUrl, target!.url), (error: unknown) => {
      assert.ok(error instanceof TargetNotEmptyError);
      assert.match(error.message, /target database is not empty \(accounts: 1 row, api_keys: 1 row, .*messages: 7 rows/);
      return true;
    });
    const cli = await runCli(['--from', sqliteUrl, '--to', target!.url]);
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    assert.match(cli.stderr, /migrate-db: refusing to copy: the target database is not empty/);
  });

  test('the PostgreSQL gateway starts with the same API key and shows the old messages and the bulk schedule', async () => {
    const g = (pgGateway = await startGateway({ DATABASE_URL: target!.url }, { clock, dir }));
    assert.equal(g.hookline.store.profile.name, 'postgres');
    const logs = await g.api('GET', '/sms/3/logs?limit=1000');
    assert.equal(logs.status, 200, 'the copied API key authenticates');
    assert.deepEqual(logs.body.results.sort(byMessageId), logsBefore);

    const bulk = await g.api('GET', `/sms/1/bulks?bulkId=${bulkId}`);
    assert.deepEqual([bulk.status, bulk.body], [200, { bulkId, sendAt: formatInfobipTime(sendAt) }]);
    assert.equal((await g.api('GET', `/sms/1/bulks/status?bulkId=${bulkId}`)).body.status, 'PENDING');
  });

  test('the pull queue carries over: the same reports, returned once', async () => {
    const g = pgGateway!;
    const first = await g.api('GET', '/sms/3/reports?limit=1000');
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.results.sort(byMessageId), pullExpected.sort(byMessageId as any));
    assert.deepEqual(first.body.results.map((r: any) => r.messageId).sort(), pullIds);
    assert.deepEqual((await g.api('GET', '/sms/3/reports')).body.results, []);
    assert.deepEqual((await g.api('GET', '/sms/1/reports')).body.results, []);
  });

  test('the retrying delivery goes on at its due time, as attempt 4, with the same webhook-id and body', async () => {
    const g = pgGateway!;
    const db = g.hookline.store.db;
    failing.respond = () => ({ status: 200 });
    const due = Number(retryDelivery.next_attempt_at);
    clock.set(due - 1);
    await sleep(150);
    assert.equal(failing.requests.length, 3, 'not before its due time, even though the lease was cleared');
    clock.set(due);
    await failing.waitForRequests(4);
    const request = failing.requests[3];
    assert.equal(request.headers['webhook-id'], retryDelivery.id);
    assert.equal(request.body, retryDelivery.body);
    assert.equal(request.body, failing.requests[0].body);
    assert.equal(Number(request.headers['webhook-timestamp']), Math.floor(due / 1000));
    assert.deepEqual(failing.results().map((x) => [x.messageId, x.callbackData]), Array(4).fill([retryId, 'cb-retry']));

    const delivered = await waitUntil(async () => {
      const row = await db.selectFrom('deliveries').selectAll().where('id', '=', retryDelivery.id).executeTakeFirstOrThrow();
      return row.state === 'DELIVERED' ? row : undefined;
    }, 'the delivery recorded as DELIVERED');
    assert.deepEqual([delivered.attempts, delivered.last_status_code, delivered.next_attempt_at, delivered.lease_owner], [4, 200, null, null]);
    const attempts = await db.selectFrom('attempts').select(['id', 'attempt', 'started_at', 'status_code']).where('delivery_id', '=', retryDelivery.id).orderBy('attempt').execute();
    assert.deepEqual(
      attempts.map((a) => ({ attempt: a.attempt, started_at: Number(a.started_at), status_code: a.status_code })),
      [...retryAttemptsBefore, { attempt: 4, started_at: due, status_code: 200 }],
    );
    assert.ok(Number(attempts[3].id) > sourceMaxIds.attempts, 'the new attempt row got an id after the copied ones');
    await sleep(100);
    assert.equal(failing.requests.length, 4, 'delivered once, no extra attempt');
  });

  test('the scheduled bulk is sent when due, and delivered history is not sent again', async () => {
    const g = pgGateway!;
    const db = g.hookline.store.db;
    assert.equal(ok.requests.length, historyDeliveryIds.length, 'nothing re-sent to the receiver of the delivered history');
    clock.set(sendAt - 1);
    await sleep(150);
    assert.equal((await g.api('GET', `/sms/1/bulks/status?bulkId=${bulkId}`)).body.status, 'PENDING');
    clock.set(sendAt);
    await ok.waitFor(() => ok.results().some((x) => x.messageId === scheduledId), 10_000, 'the scheduled report');
    const report = ok.results().find((x) => x.messageId === scheduledId)!;
    assert.deepEqual([report.bulkId, report.status.name, report.sentAt], [bulkId, 'DELIVERED_TO_HANDSET', formatInfobipTime(sendAt)]);
    assert.ok(!historyDeliveryIds.includes(String(ok.requests.at(-1)!.headers['webhook-id'])), 'a new delivery, not an old one');
    assert.deepEqual(ok.results().map((x) => x.messageId).sort(), [...historyIds, scheduledId].sort(), 'each report once');
    await waitUntil(async () => (await g.api('GET', `/sms/1/bulks/status?bulkId=${bulkId}`)).body.status === 'FINISHED', 'the bulk FINISHED');
    const reportRow = await db.selectFrom('reports').innerJoin('messages', 'messages.pk', 'reports.message_pk').select('reports.id').where('messages.message_id', '=', scheduledId).executeTakeFirstOrThrow();
    assert.ok(Number(reportRow.id) > sourceMaxIds.reports, 'the new report got an id after the copied ones');
  });

  test('new messages on PostgreSQL get ids after the copied ones and flow normally', async () => {
    const g = pgGateway!;
    const r = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [{ to: '41793026760', messageId: 'mig-new-1' }], content: { text: 'after the switch' }, webhooks: { delivery: { url: ok.url } } }],
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.messages[0].status.name, 'PENDING_ACCEPTED');
    await ok.waitFor(() => ok.results().some((x) => x.messageId === 'mig-new-1'), 10_000, 'the new message report');
    const row = await g.hookline.store.db.selectFrom('messages').select('pk').where('message_id', '=', 'mig-new-1').executeTakeFirstOrThrow();
    assert.ok(Number(row.pk) > sourceMaxIds.messages);
    const logs = await g.api('GET', '/sms/3/logs?limit=1000');
    assert.equal(logs.body.results.length, 8, 'seven copied messages and the new one');
  });
});

/**
 * GET /metrics and GET /readyz end to end: real gateways, real receivers on loopback. The
 * metrics' values are checked against what the receivers saw and what the database holds;
 * per-message URLs are folded into one label per host; METRICS_TOKEN guards the scrape; /readyz
 * notices a migration that is not applied.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { systemClock } from '../../src/clock.ts';
import { STATUS } from '../../src/messaging/status-catalogue.ts';
import { Metrics } from '../../src/metrics/registry.ts';
import { migrationsFor } from '../../src/store/migrations.ts';
import { openSqlite } from '../../src/store/sqlite.ts';
import { startGateway, TEST_API_KEY, type TestGateway } from '../helpers/hookline.ts';
import { receiverPool } from '../helpers/receiver.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, sample lines only (HELP/TYPE comments skipped). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = raw.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** Samples of one metric whose labels include `labels`. */
const series = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

/** The one sample of a metric with exactly these labels (undefined when absent). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} appears ${found.length} times`);
  return found[0]?.value;
}

const sum = (samples: Sample[]) => samples.reduce((total, s) => total + s.value, 0);

async function scrape(g: TestGateway, headers: Record<string, string> = {}): Promise<{ status: number; contentType: string | null; text: string; wwwAuthenticate: string | null }> {
  const response = await fetch(`${g.baseUrl}/metrics`, { headers });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text(), wwwAuthenticate: response.headers.get('www-authenticate') };
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const countBy = <T>(items: T[], key: (item: T) => string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
};

const receivers = receiverPool();
after(() => receivers.closeAll());

describe('GET /metrics: public, values match what the receiver saw', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway({ RETRY_MINUTE_MS: '50' });
  });
  after(() => g.close());

  test('intake, reports by status group, attempts, latency, and one label for two paths on one host', async () => {
    const rx = await receivers.start();
    rx.respond = (_req, index) => ({ status: index === 0 ? 500 : 200 }); // the first request fails once
    const host = new URL(rx.url).host;

    // v3: a plain delivery and one with an intermediate report (…1001), both to path /a.
    const v3 = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [{ to: '41793026727' }, { to: '41793021001' }], content: { text: 'm' }, webhooks: { delivery: { url: `${rx.url}/a`, intermediateReport: true } } }],
    });
    assert.equal(v3.status, 200);
    // v2: one accepted, one rejected at intake (not international: a final REJECTED report), to path /b.
    const v2 = await g.api('POST', '/sms/2/text/advanced', {
      messages: [{ destinations: [{ to: '41793026728' }, { to: '12' }], text: 'm', notifyUrl: `${rx.url}/b`, intermediateReport: true }],
    });
    assert.equal(v2.status, 200);
    assert.deepEqual(v2.body.messages.map((m: any) => m.status.groupName), ['PENDING', 'REJECTED']);

    // 2 + 1 final reports, 1 intermediate, 1 rejection: 5 report items, every one pushed. The
    // failed request's reports come again in its retry, so what was accepted is the 200s' items.
    const acceptedResults = () => rx.requests.filter((_req, index) => index !== 0).flatMap((r) => JSON.parse(r.body).results as Array<Record<string, any>>);
    await rx.waitFor(() => acceptedResults().length >= 5, 10_000, '5 report items answered 200');
    const { db } = g.hookline.store;
    await eventually(async () => {
      const open = await db.selectFrom('deliveries').select('id').where('state', '!=', 'DELIVERED').execute();
      const waiting = await db.selectFrom('outbox').select('id').where('state', 'in', ['READY', 'BATCHED']).execute();
      return open.length === 0 && waiting.length === 0;
    }, 10_000, 'every report delivered');
    const delivered = await db.selectFrom('deliveries').select('id').where('state', '=', 'DELIVERED').execute();
    const answered200 = rx.requests.length - 1;
    assert.equal(delivered.length, answered200, 'one delivered delivery per request answered 200');

    // The dispatcher reports an attempt once its completion is handled: allow it a moment.
    let samples: Sample[] = [];
    await eventually(async () => {
      samples = parseMetrics((await scrape(g)).text);
      return sum(series(samples, 'hookline_webhook_attempts_total')) >= rx.requests.length;
    }, 5_000, 'the attempt metrics to count every request the receiver saw').catch(() => {});

    // Intake: accepted messages by API family; the rejected destination is not "accepted".
    assert.equal(valueOf(samples, 'hookline_messages_accepted_total', { api: 'sms-v3' }), 2);
    assert.equal(valueOf(samples, 'hookline_messages_accepted_total', { api: 'sms-v2' }), 1);

    // Reports by status group: exactly what the receiver got (every report was pushed) and what the database holds.
    const seen = countBy(acceptedResults(), (r) => r.status.groupName);
    assert.deepEqual(seen, { PENDING: 1, DELIVERED: 3, REJECTED: 1 });
    const counted = Object.fromEntries(series(samples, 'hookline_reports_total').map((s) => [s.labels.status_group, s.value]));
    assert.deepEqual(counted, seen);
    const stored = await db.selectFrom('reports').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    assert.equal(sum(series(samples, 'hookline_reports_total')), Number(stored.n));

    // Attempts (needs the dispatcher to call its DispatchObserver): one label for /a and /b on one host.
    const attemptSeries = series(samples, 'hookline_webhook_attempts_total');
    assert.deepEqual([...new Set(attemptSeries.map((s) => s.labels.target))], [`url:${host}`], 'per-message URLs folded into their host');
    assert.equal(valueOf(samples, 'hookline_webhook_attempts_total', { target: `url:${host}`, outcome: 'delivered' }), answered200);
    assert.equal(valueOf(samples, 'hookline_webhook_attempts_total', { target: `url:${host}`, outcome: 'http-status' }), 1);
    assert.equal(sum(attemptSeries), rx.requests.length);
    assert.equal(valueOf(samples, 'hookline_webhook_attempt_duration_seconds_count', { target: `url:${host}` }), rx.requests.length);

    // Latency event → 2xx: one observation per delivered delivery, each no longer than the test ran.
    assert.equal(valueOf(samples, 'hookline_webhook_delivery_latency_seconds_count', { target: `url:${host}` }), delivered.length);
    const latencySum = valueOf(samples, 'hookline_webhook_delivery_latency_seconds_sum', { target: `url:${host}` })!;
    assert.ok(latencySum > 0 && latencySum < delivered.length * 30, `latency sum ${latencySum}s`);
    assert.equal(valueOf(samples, 'hookline_webhook_delivery_latency_seconds_bucket', { target: `url:${host}`, le: '+Inf' }), delivered.length);
    assert.equal(valueOf(samples, 'hookline_webhook_deliveries_dropped_total', { target: `url:${host}` }), undefined, 'nothing dropped');

    // Nothing is waiting any more, and the database gauges say so.
    assert.equal(valueOf(samples, 'hookline_metrics_database_ok'), 1);
    assert.equal(valueOf(samples, 'hookline_outbox_depth', { state: 'READY' }), 0);
    assert.equal(valueOf(samples, 'hookline_outbox_depth', { state: 'BATCHED' }), 0);
    assert.equal(valueOf(samples, 'hookline_webhook_deliveries', { state: 'PENDING' }), 0);
    assert.equal(valueOf(samples, 'hookline_webhook_deliveries', { state: 'RETRYING' }), 0);
  });

  test('the text format with its content type, and process metrics, without credentials', async () => {
    const r = await scrape(g);
    assert.equal(r.status, 200);
    assert.match(r.contentType ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(r.text, /^# HELP hookline_messages_accepted_total /m);
    assert.match(r.text, /^# TYPE hookline_webhook_delivery_latency_seconds histogram$/m);
    assert.ok(series(parseMetrics(r.text), 'process_cpu_user_seconds_total').length === 1, 'default process metrics');
    // Public means any Authorization header is ignored, not refused.
    assert.equal((await scrape(g, { authorization: 'Bearer whatever' })).status, 200);
  });

  test('GET /readyz: 200 when the database answers and every migration is applied', async () => {
    const r = await fetch(`${g.baseUrl}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ready' });
  });
});

describe('GET /metrics with METRICS_TOKEN; waiting work and target health from the database', () => {
  const TOKEN = 'metrics-token-0123456789';
  let g: TestGateway;
  before(async () => {
    // Retries an hour apart: a failed delivery stays RETRYING for the whole test.
    g = await startGateway({ METRICS_TOKEN: TOKEN, RETRY_MINUTE_MS: '3600000' });
  });
  after(() => g.close());

  test('401 without the token, with a wrong one, or with API credentials; 200 with it', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, { authorization: TOKEN }, { authorization: `App ${TEST_API_KEY}` }]) {
      const r = await scrape(g, headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(r.wwwAuthenticate, 'Bearer realm="metrics"');
      assert.equal(JSON.parse(r.text).errorCode, 'E401');
      assert.doesNotMatch(r.text, /hookline_/);
    }
    const ok = await scrape(g, { authorization: `Bearer ${TOKEN}` });
    assert.equal(ok.status, 200);
    assert.match(ok.text, /^hookline_metrics_database_ok 1$/m);
    assert.equal((await scrape(g, { authorization: `bearer ${TOKEN}` })).status, 200, 'the scheme name is case-insensitive');
    // The token guards /metrics only: health stays public.
    assert.equal((await fetch(`${g.baseUrl}/readyz`)).status, 200);
  });

  test('outbox depth and waiting deliveries match the database while a target fails', async () => {
    const rx = await receivers.start();
    rx.respond = () => ({ status: 503 });
    // An intermediate report then the final one, to one failing URL: the first is attempted and
    // waits to be retried; the second waits behind it (per-message order).
    const res = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [{ to: '41793021001' }], content: { text: 'm' }, webhooks: { delivery: { url: `${rx.url}/hook`, intermediateReport: true } } }],
    });
    assert.equal(res.status, 200);
    await rx.waitForRequests(1);
    const { db } = g.hookline.store;
    await eventually(async () => {
      const rows = await db.selectFrom('deliveries').select('state').execute();
      const reports = await db.selectFrom('reports').select('id').execute();
      return rows.some((r) => r.state === 'RETRYING') && reports.length === 2;
    }, 10_000, 'a RETRYING delivery and both reports');
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the dispatcher settle (the final report is formed or left READY)

    const samples = parseMetrics((await scrape(g, { authorization: `Bearer ${TOKEN}` })).text);
    const outbox = countBy(await db.selectFrom('outbox').select('state').execute(), (r) => r.state);
    const deliveries = countBy(await db.selectFrom('deliveries').select('state').execute(), (r) => r.state);
    assert.ok((deliveries.RETRYING ?? 0) >= 1);
    assert.ok((outbox.BATCHED ?? 0) >= 1);
    assert.equal(valueOf(samples, 'hookline_outbox_depth', { state: 'READY' }), outbox.READY ?? 0);
    assert.equal(valueOf(samples, 'hookline_outbox_depth', { state: 'BATCHED' }), outbox.BATCHED ?? 0);
    assert.equal(valueOf(samples, 'hookline_webhook_deliveries', { state: 'PENDING' }), deliveries.PENDING ?? 0);
    assert.equal(valueOf(samples, 'hookline_webhook_deliveries', { state: 'RETRYING' }), deliveries.RETRYING ?? 0);
    assert.equal(series(samples, 'hookline_webhook_deliveries', { state: 'DELIVERED' }).length, 0, 'the delivered history is not counted');
    // Needs the dispatcher's observer calls: the failed attempt, by error class.
    const host = new URL(rx.url).host;
    assert.equal(valueOf(samples, 'hookline_webhook_attempts_total', { target: `url:${host}`, outcome: 'http-status' }), rx.requests.length);
  });

  test('target health from target_health: profiles by name, URLs folded by host (any open, any paused, any disabled, most failures)', async () => {
    const { db } = g.hookline.store;
    const now = Date.now();
    const row = (target: string, failures: number, openedAt: number | null, disabledAt: number | null, pausedUntil: number | null = null) => ({
      account_id: target.startsWith('profile:') ? 'acct-1' : 'default',
      target,
      consecutive_failures: failures,
      opened_at: openedAt,
      disabled_at: disabledAt,
      paused_until: pausedUntil,
      disabled_reason: disabledAt === null ? null : 'gone',
      failing_notified: 0,
      last_success_at: null,
      last_failure_at: null,
      last_status_code: null,
      updated_at: Date.now(),
    });
    await db
      .insertInto('target_health')
      .values([
        row('http://hooks.example.com/a', 5, 1_000, null),
        row('http://HOOKS.example.com:80/b?token=1', 7, null, null),
        row('https://hooks.example.com:8443/c', 1, null, 2_000),
        row('profile:acct-1/prof-1', 2, null, null),
        row('profile:acct-1/prof-2', 0, null, 3_000),
        row('http://healthy.example/x', 0, null, null),
        row('http://paused.example/x', 0, null, null, now + 3_600_000),
        row('http://paused.example/y', 0, null, null, now - 1_000),
        row('http://was-paused.example/x', 0, null, null, now - 1_000),
      ])
      .execute();
    const samples = parseMetrics((await scrape(g, { authorization: `Bearer ${TOKEN}` })).text);
    const health = (target: string) => ({
      open: valueOf(samples, 'hookline_webhook_target_breaker_open', { target }),
      paused: valueOf(samples, 'hookline_webhook_target_paused', { target }),
      disabled: valueOf(samples, 'hookline_webhook_target_disabled', { target }),
      failures: valueOf(samples, 'hookline_webhook_target_consecutive_failures', { target }),
    });
    assert.deepEqual(health('url:hooks.example.com'), { open: 1, paused: 0, disabled: 0, failures: 7 });
    assert.deepEqual(health('url:hooks.example.com:8443'), { open: 0, paused: 0, disabled: 1, failures: 1 });
    assert.deepEqual(health('profile:acct-1/prof-1'), { open: 0, paused: 0, disabled: 0, failures: 2 });
    assert.deepEqual(health('profile:acct-1/prof-2'), { open: 0, paused: 0, disabled: 1, failures: 0 });
    assert.deepEqual(health('url:paused.example'), { open: 0, paused: 1, disabled: 0, failures: 0 }, 'paused until a later time');
    const absent = { open: undefined, paused: undefined, disabled: undefined, failures: undefined };
    assert.deepEqual(health('url:healthy.example'), absent, 'healthy targets are absent');
    assert.deepEqual(health('url:was-paused.example'), absent, 'a pause that has ended is healthy');
    const labels = series(samples, 'hookline_webhook_target_consecutive_failures').map((s) => s.labels.target);
    assert.equal(new Set(labels).size, labels.length, 'one series per label');
    assert.ok(!labels.some((l) => l.includes('/a') || l.includes('token')), 'no paths or queries of per-message URLs in labels');
  });

  test('observer calls become labelled series (independent of the dispatcher wiring)', async () => {
    const metrics = new Metrics(g.hookline.store.db, systemClock);
    const attempt = { accountId: 'a', statusCode: 200, durationMs: 40, dropped: false };
    metrics.attemptFinished({ ...attempt, target: 'http://x.example/one', outcome: 'delivered', eventToDeliveredMs: 1_500 });
    metrics.attemptFinished({ ...attempt, target: 'http://x.example:80/two?q=1', outcome: 'delivered', eventToDeliveredMs: 500 });
    // A replayed or recovered delivery has no event-to-2xx latency (null): counted as an attempt, not in the histogram.
    metrics.attemptFinished({ ...attempt, target: 'http://x.example/replayed', outcome: 'delivered', eventToDeliveredMs: null });
    metrics.attemptFinished({ ...attempt, target: 'https://x.example/three', outcome: 'timeout', statusCode: null, eventToDeliveredMs: null });
    metrics.attemptFinished({ ...attempt, target: 'profile:acct/p', outcome: 'http-status', statusCode: 410, eventToDeliveredMs: null, dropped: true });
    metrics.targetStateChanged('profile:acct/p', 'disabled');
    metrics.messagesAccepted('sms-v3', 4);
    // Reported by status id; two ids of one group add up in the group's series.
    metrics.reportsRecorded(new Map([[STATUS.DELIVERED_TO_HANDSET, 3], [STATUS.REJECTED_NETWORK, 1]]));
    metrics.reportsRecorded(new Map([[STATUS.DELIVERED_TO_OPERATOR, 1]]));
    const samples = parseMetrics((await metrics.render()).body);
    assert.equal(valueOf(samples, 'hookline_webhook_attempts_total', { target: 'url:x.example', outcome: 'delivered' }), 3);
    assert.equal(valueOf(samples, 'hookline_webhook_attempts_total', { target: 'url:x.example', outcome: 'timeout' }), 1, 'https on its default port folds into the same host');
    assert.equal(valueOf(samples, 'hookline_webhook_attempts_total', { target: 'profile:acct/p', outcome: 'http-status' }), 1);
    assert.equal(valueOf(samples, 'hookline_webhook_delivery_latency_seconds_count', { target: 'url:x.example' }), 2);
    assert.equal(valueOf(samples, 'hookline_webhook_delivery_latency_seconds_sum', { target: 'url:x.example' }), 2);
    assert.equal(valueOf(samples, 'hookline_webhook_delivery_latency_seconds_bucket', { target: 'url:x.example', le: '1' }), 1);
    assert.equal(valueOf(samples, 'hookline_webhook_attempt_duration_seconds_count', { target: 'profile:acct/p' }), 1);
    assert.equal(valueOf(samples, 'hookline_webhook_deliveries_dropped_total', { target: 'profile:acct/p' }), 1);
    assert.equal(valueOf(samples, 'hookline_webhook_target_transitions_total', { target: 'profile:acct/p', state: 'disabled' }), 1);
    assert.equal(valueOf(samples, 'hookline_messages_accepted_total', { api: 'sms-v3' }), 4);
    assert.equal(valueOf(samples, 'hookline_reports_total', { status_group: 'DELIVERED' }), 4);
    assert.equal(valueOf(samples, 'hookline_reports_total', { status_group: 'REJECTED' }), 1);
    // Its own registry: the gateway's metrics did not see these calls.
    const gateway = parseMetrics((await scrape(g, { authorization: `Bearer ${TOKEN}` })).text);
    assert.equal(valueOf(gateway, 'hookline_messages_accepted_total', { api: 'sms-v3' }), 1);
  });
});

test('a database that cannot be read: the counters are still served, the database gauges are left out', async () => {
  const { db } = openSqlite(':memory:'); // no schema: every gauge query fails
  try {
    const metrics = new Metrics(db, systemClock);
    metrics.messagesAccepted('sms-v2', 2);
    const samples = parseMetrics((await metrics.render()).body);
    assert.equal(valueOf(samples, 'hookline_metrics_database_ok'), 0);
    assert.equal(valueOf(samples, 'hookline_messages_accepted_total', { api: 'sms-v2' }), 2);
    for (const name of ['hookline_outbox_depth', 'hookline_webhook_deliveries', 'hookline_webhook_target_breaker_open']) assert.equal(series(samples, name).length, 0, name);
  } finally {
    await db.destroy();
  }
});

describe('GET /readyz: migrations', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway(); // its own scratch database
  });
  after(() => g.close());

  test('503 naming the migration when the last one is not recorded as applied', async () => {
    const names = Object.keys(migrationsFor(g.hookline.store.profile));
    const last = names[names.length - 1];
    assert.equal((await fetch(`${g.baseUrl}/readyz`)).status, 200);
    await sql`delete from kysely_migration where name = ${last}`.execute(g.hookline.store.db);
    const r = await fetch(`${g.baseUrl}/readyz`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { status: 'unavailable', checks: { database: 'ok', migrations: `not applied: ${last}` } });
  });

  test('503 when the migration table is gone', async () => {
    await sql`drop table kysely_migration`.execute(g.hookline.store.db);
    const r = await fetch(`${g.baseUrl}/readyz`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { status: 'unavailable', checks: { database: 'ok', migrations: 'no migration table' } });
  });
});

/**
 * Receiver back-pressure and target health, end to end with real receivers on loopback and a
 * ManualClock: Retry-After on 429/503 (later, never earlier; capped at 6 h), 410 Gone disabling a
 * target (its deliveries DROPPED as TARGET_GONE until re-enabled), hanging receivers, connection
 * resets and a receiver that answers only after 30 s, the circuit breaker (open, probe, close,
 * drain) and the operational events sent to the account's operations profile.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { enableTarget } from '../../src/webhooks/target-health.ts';
import { profileTarget } from '../../src/webhooks/targets.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { otherAccount } from '../helpers/operations-fixtures.ts';
import { receiverPool, type Receiver } from '../helpers/receiver.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const receivers = receiverPool();

async function send(g: TestGateway, url: string, count = 1): Promise<string[]> {
  const res = await g.api('POST', '/sms/3/messages', {
    messages: Array.from({ length: count }, (_, i) => ({ destinations: [{ to: `4179302${String(i).padStart(4, '0')}` }], content: { text: 'back-pressure' }, webhooks: { delivery: { url } } })),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.messages.map((m: { messageId: string }) => m.messageId);
}

/** Waits (real time, bounded) until `check` holds. */
async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(10);
  }
}

function deliveriesTo(g: TestGateway, target: string) {
  return g.hookline.store.db.selectFrom('deliveries').selectAll().where('target_url', '=', target).orderBy('created_at').orderBy('id').execute();
}

function attemptsTo(g: TestGateway, target: string) {
  return g.hookline.store.db.selectFrom('attempts').selectAll().where('target_url', '=', target).orderBy('id').execute();
}

async function attemptCount(g: TestGateway, target: string, count: number): Promise<void> {
  await until(`${count} attempts to ${target}`, async () => (await attemptsTo(g, target)).length >= count);
}

describe('receiver back-pressure', () => {
  let g: TestGateway;
  const clock = new ManualClock();

  before(async () => {
    g = await startGateway({ WEBHOOK_BUCKET_SIZE: '1', WEBHOOK_READ_TIMEOUT_MS: '10000' }, { clock });
  });
  after(async () => {
    await g.close();
    await receivers.closeAll();
  });

  test('429 with Retry-After beyond the schedule moves the next attempt to Retry-After, not earlier', async () => {
    const rx = await receivers.start();
    rx.respond = (_req, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '600' } } : { status: 200 });
    const t0 = clock.now();
    await send(g, rx.url);
    await attemptCount(g, rx.url, 1);
    const [d] = await deliveriesTo(g, rx.url);
    assert.equal(d.state, 'RETRYING');
    assert.equal(Number(d.next_attempt_at) - t0, 10 * MINUTE, 'Retry-After 600 s beats the 1-minute schedule');
    // The pause holds the whole target: a new report waits too, without spending an attempt.
    await send(g, rx.url);
    await until('second delivery formed', async () => (await deliveriesTo(g, rx.url)).length === 2);
    clock.set(t0 + 10 * MINUTE - 1);
    await sleep(150);
    assert.equal(rx.requests.length, 1, 'nothing before Retry-After, not even a fresh report');
    const answered = String(rx.requests[0].headers['webhook-id']);
    assert.deepEqual((await deliveriesTo(g, rx.url)).filter((d) => d.id !== answered).map((d) => d.attempts), [0]);
    clock.set(t0 + 10 * MINUTE);
    await rx.waitForRequests(3);
    await until('DELIVERED', async () => (await deliveriesTo(g, rx.url)).every((d) => d.state === 'DELIVERED'));
    assert.equal(rx.requests.filter((r) => r.headers['webhook-id'] === answered).length, 2, 'the 429 delivery went again with its webhook-id');
  });

  test('Retry-After shorter than the schedule never brings the attempt forward', async () => {
    const rx = await receivers.start();
    rx.respond = () => ({ status: 503, headers: { 'retry-after': '5' } });
    const t0 = clock.now();
    await send(g, rx.url);
    await attemptCount(g, rx.url, 1);
    assert.equal(Number((await deliveriesTo(g, rx.url))[0].next_attempt_at) - t0, MINUTE, 'the schedule (1 min) wins over Retry-After 5 s');
  });

  test('Retry-After is capped at 6 hours; an HTTP-date is read too', async () => {
    const far = await receivers.start();
    far.respond = () => ({ status: 429, headers: { 'retry-after': String(3 * 24 * 3600) } });
    const dated = await receivers.start();
    const t0 = clock.now();
    dated.respond = () => ({ status: 503, headers: { 'retry-after': new Date(t0 + 2 * HOUR).toUTCString() } });
    await send(g, far.url);
    await send(g, dated.url);
    await attemptCount(g, far.url, 1);
    await attemptCount(g, dated.url, 1);
    assert.equal(Number((await deliveriesTo(g, far.url))[0].next_attempt_at) - t0, 6 * HOUR, 'three days asked, six hours granted');
    const datedDelay = Number((await deliveriesTo(g, dated.url))[0].next_attempt_at) - t0;
    assert.ok(datedDelay > 2 * HOUR - 1_000 && datedDelay <= 2 * HOUR, `HTTP-date two hours ahead (to the second): ${datedDelay}`);
  });

  test('503 then 200: retried on the schedule and delivered; the attempt log holds both answers', async () => {
    const rx = await receivers.start();
    rx.respond = (_req, i) => (i === 0 ? { status: 503, body: 'maintenance' } : { status: 200, body: 'thanks' });
    const t0 = clock.now();
    await send(g, rx.url);
    await attemptCount(g, rx.url, 1);
    clock.set(t0 + MINUTE);
    await attemptCount(g, rx.url, 2);
    const attempts = await attemptsTo(g, rx.url);
    assert.deepEqual(attempts.map((a) => [a.attempt, a.status_code, a.error_class, a.response_excerpt]), [[1, 503, 'http-status', 'maintenance'], [2, 200, null, 'thanks']]);
    assert.equal((await deliveriesTo(g, rx.url))[0].state, 'DELIVERED');
  });

  test('a hanging receiver times out, a reset is classed as reset; both are retried on the schedule', async () => {
    const hanging = await receivers.start();
    hanging.respond = () => ({ hang: true });
    const resetting = await receivers.start();
    resetting.respond = () => ({ reset: true });
    const t0 = clock.now();
    await send(g, hanging.url);
    await send(g, resetting.url);
    await attemptCount(g, resetting.url, 1);
    await attemptCount(g, hanging.url, 1);
    const [hang] = await attemptsTo(g, hanging.url);
    assert.equal(hang.error_class, 'timeout');
    assert.ok(hang.duration_ms >= 9_000, `gave up after the 10 s read timeout, not sooner (${hang.duration_ms} ms)`);
    const [reset] = await attemptsTo(g, resetting.url);
    assert.equal(reset.error_class, 'reset');
    for (const url of [hanging.url, resetting.url]) {
      const [d] = await deliveriesTo(g, url);
      assert.equal(d.state, 'RETRYING');
      assert.equal(Number(d.next_attempt_at), Number((await attemptsTo(g, url))[0].started_at) + MINUTE);
    }
    assert.ok(clock.now() === t0);
  });

  test('a receiver that answers 200 only after 30 s: a timeout (not delivered), retried, seen twice with one webhook-id', async () => {
    const slow = await receivers.start();
    slow.respond = (_req, i) => (i === 0 ? { status: 200, delayMs: 30_000 } : { status: 200 });
    const t0 = clock.now();
    await send(g, slow.url);
    await attemptCount(g, slow.url, 1);
    const [first] = await attemptsTo(g, slow.url);
    assert.equal(first.error_class, 'timeout');
    assert.equal((await deliveriesTo(g, slow.url))[0].state, 'RETRYING');
    clock.set(t0 + MINUTE);
    await attemptCount(g, slow.url, 2);
    await until('DELIVERED', async () => (await deliveriesTo(g, slow.url))[0].state === 'DELIVERED');
    assert.equal(slow.requests.length, 2);
    assert.equal(slow.requests[0].headers['webhook-id'], slow.requests[1].headers['webhook-id'], 'the receiver can de-duplicate');
  });
});

describe('410 Gone, the circuit breaker and operational events', () => {
  let g: TestGateway;
  let ops: Receiver;
  let opsTarget: string;
  const clock = new ManualClock();

  before(async () => {
    g = await startGateway({ WEBHOOK_BUCKET_SIZE: '1', WEBHOOK_BREAKER_THRESHOLD: '5' }, { clock });
    ops = await receivers.start();
    const profileId = 'ops-profile';
    const created = await g.api('POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: ops.url } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const set = await g.api('PUT', '/hookline/1/operations-profile', { profileId });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    opsTarget = profileTarget('default', profileId);
  });
  after(async () => {
    await g.close();
    await receivers.closeAll();
  });

  const opsEvents = () => ops.requests.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, any> });

  test('410 disables the target: that delivery, the waiting ones and new ones are DROPPED as TARGET_GONE; re-enabled, it is used again', async () => {
    const gone = await receivers.start();
    gone.respond = (_req, i) => (i === 0 ? { status: 410 } : { status: 200 });
    await send(g, gone.url);
    await attemptCount(g, gone.url, 1);
    await until('DROPPED', async () => (await deliveriesTo(g, gone.url))[0].state === 'DROPPED');
    const [first] = await deliveriesTo(g, gone.url);
    assert.equal(first.drop_reason, 'TARGET_GONE');
    const health = await g.hookline.store.db.selectFrom('target_health').selectAll().where('target', '=', gone.url).executeTakeFirstOrThrow();
    assert.equal(health.disabled_reason, 'TARGET_GONE');
    assert.notEqual(health.disabled_at, null);

    // New reports routed to it: dropped without a request.
    await send(g, gone.url, 3);
    await until('4 deliveries dropped', async () => {
      const all = await deliveriesTo(g, gone.url);
      return all.length === 4 && all.every((d) => d.state === 'DROPPED' && d.drop_reason === 'TARGET_GONE');
    });
    assert.equal(gone.requests.length, 1, 'no request after the 410');
    const outbox = await g.hookline.store.db.selectFrom('outbox').select('state').where('target_url', '=', gone.url).execute();
    assert.ok(outbox.every((o) => o.state === 'DROPPED'));

    // Reported to the operations profile: failing once, and each dropped delivery.
    await ops.waitFor(() => opsEvents().filter((e) => e.type === 'webhook.delivery.dropped' && e.data.target?.url === gone.url).length === 4, 10_000, 'dropped events');
    const failing = opsEvents().filter((e) => e.type === 'webhook.target.failing' && e.data.target?.url === gone.url);
    assert.equal(failing.length, 1);
    assert.equal(failing[0].data.reason, 'TARGET_GONE');
    assert.equal(failing[0].data.lastStatusCode, 410);
    assert.ok(opsEvents().filter((e) => e.type === 'webhook.delivery.dropped').every((e) => e.data.reason === 'TARGET_GONE'));

    assert.equal(await enableTarget(g.hookline.store.db, { accountId: 'default', target: gone.url }, clock.now()), true);
    await send(g, gone.url);
    await gone.waitForRequests(2);
    await until('delivered after re-enabling', async () => (await deliveriesTo(g, gone.url)).some((d) => d.state === 'DELIVERED'));
  });

  test('breaker: opens after 5 failures; only the oldest delivery probes, on its own schedule; closes on success and drains the rest', async () => {
    const flaky = await receivers.start();
    flaky.respond = () => ({ status: 500 });
    const t0 = clock.now();
    await send(g, flaky.url, 8);
    await attemptCount(g, flaky.url, 8);
    const health = await g.hookline.store.db.selectFrom('target_health').selectAll().where('target', '=', flaky.url).executeTakeFirstOrThrow();
    assert.notEqual(health.opened_at, null, 'open after 8 consecutive failures');
    const [probe, ...others] = await deliveriesTo(g, flaky.url);
    await ops.waitFor(() => opsEvents().some((e) => e.type === 'webhook.target.failing' && e.data.target?.url === flaky.url), 10_000, 'failing event');

    // +1 min: all eight are due; only the probe goes.
    clock.set(t0 + MINUTE);
    await attemptCount(g, flaky.url, 9);
    await sleep(200);
    assert.equal(flaky.requests.length, 9, 'one probe, not eight retries');
    assert.equal((await attemptsTo(g, flaky.url)).at(-1)!.delivery_id, probe.id, 'the oldest delivery is the probe');
    // The probe follows exactly the core schedule: next at +3 min.
    assert.equal(Number((await deliveriesTo(g, flaky.url))[0].next_attempt_at), t0 + 3 * MINUTE);
    clock.set(t0 + 3 * MINUTE - 1);
    await sleep(150);
    assert.equal(flaky.requests.length, 9);

    // The receiver recovers; the probe succeeds at +3 min, the breaker closes, the backlog drains.
    flaky.respond = () => ({ status: 200 });
    clock.set(t0 + 3 * MINUTE);
    await until('all delivered', async () => (await deliveriesTo(g, flaky.url)).every((d) => d.state === 'DELIVERED'));
    const attempts = await attemptsTo(g, flaky.url);
    assert.equal(attempts.filter((a) => a.delivery_id === probe.id).length, 3, 'probe: t0, +1, +3 min');
    for (const d of others) assert.equal(attempts.filter((a) => a.delivery_id === d.id).length, 2, 'the others spent no attempts while the breaker was open');
    const closed = await g.hookline.store.db.selectFrom('target_health').selectAll().where('target', '=', flaky.url).executeTakeFirstOrThrow();
    assert.equal(closed.opened_at, null);
    assert.equal(closed.consecutive_failures, 0);
    await ops.waitFor(() => opsEvents().some((e) => e.type === 'webhook.target.recovered' && e.data.target?.url === flaky.url), 10_000, 'recovered event');
    assert.equal(opsEvents().filter((e) => e.type === 'webhook.target.failing' && e.data.target?.url === flaky.url).length, 1, 'one failing event per streak');
  });

  test('no operational event is ever raised about the operations profile itself', async () => {
    // The operations receiver itself goes away (410) while another target does too.
    ops.respond = () => ({ status: 410 });
    const gone = await receivers.start();
    gone.respond = () => ({ status: 410 });
    await send(g, gone.url, 2);
    const db = g.hookline.store.db;
    await until('operations target disabled', async () => (await db.selectFrom('target_health').select('disabled_at').where('target', '=', opsTarget).executeTakeFirst())?.disabled_at != null);
    await until('events about the other target written', async () => (await deliveriesTo(g, opsTarget)).filter((d) => d.body.includes(gone.url)).length >= 3);
    await sleep(300);
    const bodies = (await deliveriesTo(g, opsTarget)).map((d) => d.body);
    for (const body of bodies) assert.ok(!body.includes('"profileId":"ops-profile"'), `an event about the operations profile itself: ${body}`);
    const dropped = await deliveriesTo(g, opsTarget);
    assert.ok(dropped.every((d) => d.state === 'DROPPED' || d.state === 'DELIVERED'), 'its own deliveries were dropped, silently');
  });
});

describe('many broken targets do not starve a healthy one', () => {
  let g: TestGateway;
  const clock = new ManualClock();
  const TARGETS = 70; // more than the dispatcher enumerates one by one (64)

  before(async () => {
    g = await startGateway({ WEBHOOK_BUCKET_SIZE: '1', WEBHOOK_BREAKER_THRESHOLD: '2', WEBHOOK_MAX_IN_FLIGHT: '4' }, { clock });
  });
  after(async () => {
    await g.close();
    await receivers.closeAll();
  });

  test(`${TARGETS} targets with open breakers and due backlogs: each gets one probe, and a healthy target is served at once`, async () => {
    const rx = await receivers.start();
    rx.respond = (req) => ({ status: req.path === '/healthy' ? 200 : 500 });
    const broken = Array.from({ length: TARGETS }, (_, i) => `${rx.url}/broken-${i}`);
    const t0 = clock.now();
    for (const url of broken) await send(g, url, 3);
    const db = g.hookline.store.db;
    await until('every breaker open', async () => {
      const open = await db.selectFrom('target_health').select('target').where('opened_at', 'is not', null).execute();
      return open.length === TARGETS;
    });
    // Each target's third delivery may or may not have gone before its breaker opened.
    await sleep(300);
    const firstWave = rx.requests.length;
    assert.ok(firstWave >= TARGETS * 2 && firstWave <= TARGETS * 3, `first wave ${firstWave}`);

    // +1 minute: every backlog is due, but only probes may go; the healthy target must not wait for them.
    clock.set(t0 + MINUTE);
    const healthy = `${rx.url}/healthy`;
    await send(g, healthy);
    await rx.waitFor(() => rx.requests.some((r) => r.path === '/healthy'), 15_000, 'the healthy target served');
    await rx.waitForRequests(firstWave + TARGETS + 1, 30_000);
    await sleep(300);
    const probes = rx.requests.slice(firstWave).filter((r) => r.path !== '/healthy');
    assert.equal(probes.length, TARGETS, 'one probe per broken target, no backlog');
    assert.equal(new Set(probes.map((r) => r.path)).size, TARGETS, 'every broken target got its probe');
  });
});

describe('target health is per account', () => {
  let g: TestGateway;
  const clock = new ManualClock();

  before(async () => {
    g = await startGateway({ WEBHOOK_BUCKET_SIZE: '1', WEBHOOK_BREAKER_THRESHOLD: '2' }, { clock });
  });
  after(async () => {
    await g.close();
    await receivers.closeAll();
  });

  test("one account's 410 and open breaker on a URL neither drop nor hold back another account's deliveries to it", async () => {
    const other = await otherAccount(g, `acct-${Date.now()}`);
    const rx = await receivers.start();
    // The receiver refuses account A's reports (410) and fails B's first two (500), then takes B's.
    let bFailures = 0;
    rx.respond = (req) => {
      if (req.body.includes('"callbackData":"A"')) return { status: 410 };
      return bFailures++ < 2 ? { status: 500 } : { status: 200 };
    };
    const sendAs = async (callbackData: string, headers?: Record<string, string>) => {
      const res = await g.api('POST', '/sms/3/messages', { messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'shared' }, webhooks: { delivery: { url: rx.url }, callbackData } }] }, headers);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    };
    const db = g.hookline.store.db;
    const healthOfAccount = (accountId: string) => db.selectFrom('target_health').selectAll().where('account_id', '=', accountId).where('target', '=', rx.url).executeTakeFirst();

    await sendAs('A');
    await until("A's target disabled", async () => (await healthOfAccount('default'))?.disabled_at != null);
    await sendAs('B', { authorization: other.authorization });
    await sendAs('B', { authorization: other.authorization });
    await until("B's breaker open after two failures", async () => (await healthOfAccount(other.accountId))?.opened_at != null);
    assert.equal((await healthOfAccount(other.accountId))!.disabled_at, null, "A's 410 did not disable B's target");

    // A's new report is dropped without a request; B's retries follow B's own breaker and schedule.
    const before = rx.requests.length;
    await sendAs('A');
    await until("A's second delivery dropped", async () => {
      const rows = await db.selectFrom('deliveries').select(['state', 'drop_reason']).where('account_id', '=', 'default').where('target_url', '=', rx.url).execute();
      return rows.length === 2 && rows.every((r) => r.state === 'DROPPED' && r.drop_reason === 'TARGET_GONE');
    });
    assert.equal(rx.requests.length, before, "A's disabled target sent nothing");
    clock.advance(MINUTE);
    await until("B's deliveries delivered", async () => {
      const rows = await db.selectFrom('deliveries').select('state').where('account_id', '=', other.accountId).execute();
      return rows.length === 2 && rows.every((r) => r.state === 'DELIVERED');
    });
    assert.equal((await healthOfAccount(other.accountId))!.opened_at, null, "B's breaker closed by B's own probe");
    assert.notEqual((await healthOfAccount('default'))!.disabled_at, null, 'A stays disabled until A re-enables it');
  });
});

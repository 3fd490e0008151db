/**
 * Recoveries end to end, with real receivers: a target's DROPPED deliveries are re-sent — the same
 * body and the same `webhook-id` — at the configured rate, exactly once each, with progress,
 * idempotently, cancellably, and per account.
 *
 * The 10,000 DROPPED deliveries are written straight into the database (operations-fixtures.ts):
 * getting them through 21 failed attempts each would take 210,000 requests. The last test gets
 * its DROPPED deliveries the real way, from a receiver answering 410 Gone.
 *
 * Pace is checked two ways. On a ManualClock exactly: after each 100 ms step the recovery has
 * re-queued exactly rate × elapsed, never more, and the receiver has seen no more than that.
 * On the system clock as a bound that cannot flake the wrong way: at any moment, what has been
 * re-queued is at most rate × the time since the request started (the budget starts empty).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { createTestDatabase, TEST_BACKEND } from '../helpers/database.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { otherAccount, seedDeliveries, type SeededDelivery } from '../helpers/operations-fixtures.ts';
import { receiverPool, type Receiver } from '../helpers/receiver.ts';
import { uniq, waitUntil } from '../http/support.ts';

const T0 = Date.UTC(2026, 4, 1, 12);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const fmt = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const receivers = receiverPool();
after(() => receivers.closeAll());

/** The webhook-ids a receiver got, with how many times each. */
function idCounts(rx: Receiver, path?: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rx.requests) {
    if (path !== undefined && r.path !== path) continue;
    const id = String(r.headers['webhook-id']);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Each seeded delivery arrived exactly once, with its own body; nothing else arrived on that path. */
function assertEachOnce(rx: Receiver, path: string, seeded: readonly SeededDelivery[]): void {
  const counts = idCounts(rx, path);
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'no delivery arrives twice');
  assert.deepEqual([...counts.keys()].sort(), seeded.map((d) => d.id).sort(), 'exactly the seeded deliveries arrive');
  const bodyOf = new Map(rx.requests.filter((r) => r.path === path).map((r) => [String(r.headers['webhook-id']), JSON.parse(r.body)]));
  for (const d of seeded) assert.equal(bodyOf.get(d.id).results[0].messageId, d.messageId, `${d.id} carries its own recorded body`);
}

async function progress(g: TestGateway, id: string, headers?: Record<string, string>): Promise<any> {
  const r = await g.api('GET', `/hookline/1/recoveries/${id}`, undefined, headers);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

describe('a recovery of 10,000 dropped reports, rate-limited, on a ManualClock', () => {
  const clock = new ManualClock(T0);
  const TOTAL = 10_000;
  const RATE = 2_000;
  const STEP_MS = 100;
  const PER_STEP = (RATE * STEP_MS) / 1000;
  let g: TestGateway;
  let rx: Receiver;
  let other: { accountId: string; authorization: string };
  let seeded: SeededDelivery[];
  let url: string;
  let recoveryId: string;
  const decoys = new Map<string, SeededDelivery[]>();

  before(async () => {
    g = await startGateway({ THROTTLES: 'off' }, { clock });
    rx = await receivers.start();
    url = `${rx.url}/dlr`;
    other = await otherAccount(g, 'recovery-other');
    const { db, profile } = g.hookline.store;
    // Ten deliveries share each created_at: the cursor must order ties by id.
    seeded = await seedDeliveries(db, profile, { target: url, state: 'DROPPED', count: TOTAL, firstAt: T0 - 2 * HOUR, stepMs: 300, tie: 10, label: 'big' });
    // What the recovery must not touch: before its range, already delivered, another account's, another URL's.
    decoys.set('before', await seedDeliveries(db, profile, { target: url, state: 'DROPPED', count: 50, firstAt: T0 - 3 * HOUR, label: 'early' }));
    decoys.set('delivered', await seedDeliveries(db, profile, { target: url, state: 'DELIVERED', count: 50, firstAt: T0 - 2 * HOUR, label: 'done' }));
    decoys.set('other account', await seedDeliveries(db, profile, { accountId: other.accountId, target: url, state: 'DROPPED', count: 50, firstAt: T0 - 2 * HOUR, label: 'theirs' }));
    decoys.set('other url', await seedDeliveries(db, profile, { target: `${rx.url}/elsewhere`, state: 'DROPPED', count: 50, firstAt: T0 - 2 * HOUR, label: 'elsewhere' }));
  });
  after(async () => {
    await g?.close();
  });

  it('starts with the matching deliveries counted; the same Idempotency-Key answers the same recovery', async () => {
    const body = { url, from: fmt(T0 - 2 * HOUR), to: fmt(T0 - HOUR), states: ['DROPPED'], ratePerSecond: RATE };
    const created = await g.api('POST', '/hookline/1/recoveries', body, { 'idempotency-key': 'big-recovery' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.state, created.body.total, created.body.requeued, created.body.percent], ['RUNNING', TOTAL, 0, 0]);
    recoveryId = created.body.id;
    const repeated = await g.api('POST', '/hookline/1/recoveries', body, { 'idempotency-key': 'big-recovery' });
    assert.equal(repeated.status, 200);
    assert.deepEqual(repeated.body, created.body);
    const otherBody = await g.api('POST', '/hookline/1/recoveries', { ...body, ratePerSecond: 1 }, { 'idempotency-key': 'big-recovery' });
    assert.deepEqual([otherBody.status, otherBody.body.id, otherBody.body.ratePerSecond], [200, recoveryId, RATE], 'a key names one recovery, whatever the body');
    const rows = await g.hookline.store.db.selectFrom('recoveries').select('id').where('idempotency_key', '=', 'big-recovery').execute();
    assert.equal(rows.length, 1);
  });

  it('another account can neither see nor cancel it, and its own key of the same name is its own', async () => {
    const headers = { authorization: other.authorization };
    const seen = await g.api('GET', `/hookline/1/recoveries/${recoveryId}`, undefined, headers);
    assert.equal(seen.status, 404);
    const cancel = await g.api('DELETE', `/hookline/1/recoveries/${recoveryId}`, undefined, headers);
    assert.equal(cancel.status, 404);
    assert.deepEqual((await g.api('GET', '/hookline/1/recoveries', undefined, headers)).body.results, []);
    assert.equal((await progress(g, recoveryId)).state, 'RUNNING');
    // Its own deliveries to the same URL are its own recovery: the same key makes a new one there.
    const theirs = await g.api('POST', '/hookline/1/recoveries', { url, from: fmt(T0 - 3 * HOUR), states: ['DROPPED'], ratePerSecond: 1 }, { ...headers, 'idempotency-key': 'big-recovery' });
    assert.equal(theirs.status, 201, JSON.stringify(theirs.body));
    assert.notEqual(theirs.body.id, recoveryId);
    assert.equal(theirs.body.total, 50, "only the other account's own deliveries");
    assert.equal((await g.api('DELETE', `/hookline/1/recoveries/${theirs.body.id}`, undefined, headers)).body.state, 'CANCELED');
  });

  it(`re-queues exactly ${PER_STEP} per ${STEP_MS} ms of clock (${RATE}/s) until all ${TOTAL} are re-queued, then COMPLETED`, async () => {
    const start = clock.now();
    for (let step = 1; step <= TOTAL / PER_STEP; step++) {
      clock.advance(STEP_MS);
      const expected = Math.min(TOTAL, step * PER_STEP);
      const p = await waitUntil(async () => {
        const body = await progress(g, recoveryId);
        return body.requeued >= expected ? body : undefined;
      }, `step ${step}: ${expected} re-queued`);
      assert.equal(p.requeued, expected, `after ${step * STEP_MS} ms of clock: exactly rate × time re-queued, never more`);
      assert.ok(rx.requests.length <= p.requeued, 'the receiver never gets more than has been re-queued');
      if (expected < TOTAL) assert.deepEqual([p.state, p.percent], ['RUNNING', Math.floor((expected * 100) / TOTAL)]);
      else assert.deepEqual([p.state, p.percent, p.finishedAt], ['COMPLETED', 100, fmt(start + step * STEP_MS)]);
    }
    // The clock stands still: nothing more may happen, the budget is spent.
    await sleep(100);
    const done = await progress(g, recoveryId);
    assert.deepEqual([done.state, done.total, done.requeued], ['COMPLETED', TOTAL, TOTAL]);
  });

  it('the receiver gets each of the 10,000 exactly once, with its webhook-id and its recorded body; nothing else', async () => {
    // A cheap check: it runs on every request received (in this process, as the gateway).
    await rx.waitForRequests(TOTAL, 120_000);
    await sleep(300); // anything extra would arrive now
    assertEachOnce(rx, '/dlr', seeded);
    assert.equal(rx.requests.filter((r) => r.path === '/elsewhere').length, 0, "another URL's deliveries are not sent");
    const { db } = g.hookline.store;
    const states = await db
      .selectFrom('deliveries')
      .select(['state', 'attempts', 'cycle_base', (eb) => eb.fn.countAll().as('n')])
      .where('id', 'in', seeded.slice(0, 500).map((d) => d.id))
      .groupBy(['state', 'attempts', 'cycle_base'])
      .execute();
    assert.deepEqual(states.map((s) => [s.state, Number(s.attempts), Number(s.cycle_base), Number(s.n)]), [['DELIVERED', 22, 21, 500]], 'one new attempt in a fresh cycle each');
    for (const [what, rows] of decoys) {
      const left = await db.selectFrom('deliveries').select('state').where('id', 'in', rows.map((d) => d.id)).execute();
      assert.ok(left.every((r) => r.state === (what === 'delivered' ? 'DELIVERED' : 'DROPPED')), `${what}: untouched`);
    }
  });

  it('cancelling mid-way stops re-queuing; what was re-queued is delivered, the rest stays DROPPED', async () => {
    const cancelUrl = `${rx.url}/cancel`;
    const { db, profile } = g.hookline.store;
    const rows = await seedDeliveries(db, profile, { target: cancelUrl, state: 'DROPPED', count: 1_000, firstAt: T0 - HOUR, tie: 3, label: 'cancel' });
    const created = await g.api('POST', '/hookline/1/recoveries', { url: cancelUrl, from: fmt(T0 - HOUR), ratePerSecond: 100 });
    assert.equal(created.status, 201);
    const id = created.body.id;
    for (let step = 1; step <= 5; step++) {
      clock.advance(100);
      await waitUntil(async () => (await progress(g, id)).requeued >= step * 10, `${step * 10} re-queued`);
    }
    const canceled = await g.api('DELETE', `/hookline/1/recoveries/${id}`);
    assert.equal(canceled.status, 200);
    assert.deepEqual([canceled.body.state, canceled.body.requeued, canceled.body.finishedAt], ['CANCELED', 50, fmt(clock.now())]);
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      await sleep(50);
    }
    assert.equal((await progress(g, id)).requeued, 50, 'nothing re-queued after the cancel');
    await rx.waitFor(() => rx.requests.filter((r) => r.path === '/cancel').length >= 50, 10_000, '50 deliveries');
    await sleep(200);
    assertEachOnce(rx, '/cancel', rows.slice(0, 50));
    const left = await db.selectFrom('deliveries').select('state').where('id', 'in', rows.slice(50).map((d) => d.id)).execute();
    assert.ok(left.length === 950 && left.every((r) => r.state === 'DROPPED'), 'the rest stays DROPPED');
    // Cancelling again, or cancelling a finished recovery, changes nothing and answers it.
    const again = await g.api('DELETE', `/hookline/1/recoveries/${id}`);
    assert.deepEqual([again.status, again.body], [200, canceled.body]);
    const finished = await progress(g, recoveryId);
    const cancelFinished = await g.api('DELETE', `/hookline/1/recoveries/${recoveryId}`);
    assert.deepEqual([cancelFinished.status, cancelFinished.body], [200, finished]);
  });

  it('requests racing with one Idempotency-Key start one recovery', async () => {
    const raceUrl = `${rx.url}/race`;
    const { db, profile } = g.hookline.store;
    await seedDeliveries(db, profile, { target: raceUrl, state: 'DROPPED', count: 3, firstAt: T0 - HOUR, label: 'race' });
    const key = uniq('race');
    const answers = await Promise.all(Array.from({ length: 8 }, () => g.api('POST', '/hookline/1/recoveries', { url: raceUrl, from: fmt(T0 - HOUR), ratePerSecond: 1 }, { 'idempotency-key': key })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201], JSON.stringify(answers.map((a) => a.body)));
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
    const rows = await db.selectFrom('recoveries').select('id').where('idempotency_key', '=', key).execute();
    assert.equal(rows.length, 1);
    await g.api('DELETE', `/hookline/1/recoveries/${rows[0].id}`);
  });
});

/** On the system clock: the runner paces itself with real sleeps. */
async function assertPacedRecovery(gateways: TestGateway[], rx: Receiver, path: string, count: number, rate: number): Promise<void> {
  const [g] = gateways;
  const { db, profile } = g.hookline.store;
  const now = Date.now();
  const seeded = await seedDeliveries(db, profile, { target: `${rx.url}${path}`, state: 'DROPPED', count, firstAt: now - HOUR, label: uniq('paced') });
  const startedBefore = Date.now();
  const created = await g.api('POST', '/hookline/1/recoveries', { url: `${rx.url}${path}`, from: fmt(now - 2 * HOUR), ratePerSecond: rate });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const minimumMs = (count / rate) * 1000;
  const deadline = startedBefore + minimumMs * 3 + 5_000;
  let last: any;
  for (let i = 0; ; i++) {
    // Ask each gateway in turn: they share the database, so they answer the same progress.
    last = await progress(gateways[i % gateways.length], created.body.id);
    const elapsed = Date.now() - startedBefore;
    assert.ok(last.requeued <= Math.floor((rate * elapsed) / 1000), `${last.requeued} re-queued after at most ${elapsed} ms: faster than ${rate}/s`);
    assert.ok(rx.requests.length <= last.requeued, 'nothing arrives before it is re-queued');
    if (last.state === 'COMPLETED') {
      assert.ok(elapsed >= minimumMs, `completed after ${elapsed} ms; ${count} at ${rate}/s take ${minimumMs} ms`);
      break;
    }
    assert.ok(Date.now() < deadline, `still ${JSON.stringify(last)} after ${elapsed} ms`);
    await sleep(50);
  }
  assert.equal(last.requeued, count);
  await rx.waitForRequests(count, 30_000);
  await sleep(200);
  assertEachOnce(rx, path, seeded);
}

describe('a recovery on the system clock', () => {
  let g: TestGateway;
  let rx: Receiver;
  before(async () => {
    g = await startGateway({ THROTTLES: 'off' });
    rx = await receivers.start();
  });
  after(async () => {
    await g?.close();
  });

  it('1,000 dropped at 400/s: never ahead of the rate, done in about 2.5 s, each delivered once', async () => {
    await assertPacedRecovery([g], rx, '/paced', 1_000, 400);
  });
});

describe('two gateways on one PostgreSQL database', { skip: TEST_BACKEND !== 'postgres' && 'PostgreSQL only: SQLite is one process\'s database' }, () => {
  const gateways: TestGateway[] = [];
  let rx: Receiver;
  let drop: () => Promise<void> = async () => {};
  before(async () => {
    const database = await createTestDatabase('');
    drop = database.drop;
    for (let i = 0; i < 2; i++) gateways.push(await startGateway({ THROTTLES: 'off', DATABASE_URL: database.url }));
    rx = await receivers.start();
  });
  after(async () => {
    for (const g of gateways) await g.close();
    await drop();
  });

  it('both run recoveries; together they still keep to the rate (the bucket and the row lock are shared)', async () => {
    await assertPacedRecovery(gateways, rx, '/shared', 1_500, 500);
  });
});

describe('a target that answered 410 Gone: disabled, re-enabled, its deliveries recovered', () => {
  // Needs the dispatcher's 410 handling (target-health.ts): the delivery is DROPPED with reason
  // TARGET_GONE and the target disabled; further deliveries to it are DROPPED without a request.
  let g: TestGateway;
  let rx: Receiver;
  before(async () => {
    g = await startGateway({ THROTTLES: 'off', SIMULATOR_DELAY_MS: '0', WEBHOOK_BUCKET_SIZE: '1' });
    rx = await receivers.start();
  });
  after(async () => {
    await g?.close();
  });

  it('410 → DISABLED in /targets, recovery refused; enable, recover → every dropped one arrives with its webhook-id', async () => {
    let gone = true;
    rx.respond = () => ({ status: gone ? 410 : 200 });
    const url = `${rx.url}/gone`;
    const send = (text: string) =>
      g.api('POST', '/sms/3/messages', { messages: [{ destinations: [{ to: '41793026727' }], content: { text }, webhooks: { delivery: { url } } }] });
    assert.equal((await send('first')).status, 200);
    await rx.waitForRequests(1);
    const disabled = await waitUntil(async () => {
      const r = await g.api('GET', '/hookline/1/targets?state=DISABLED');
      return r.body.results.find((t: any) => t.target.url === url);
    }, 'the target listed as DISABLED');
    assert.deepEqual([disabled.disabledReason, disabled.lastStatusCode], ['TARGET_GONE', 410]);
    // Routed to a disabled target: DROPPED without a request.
    for (const text of ['second', 'third']) assert.equal((await send(text)).status, 200);
    const { db } = g.hookline.store;
    const dropped = await waitUntil(async () => {
      const rows = await db.selectFrom('deliveries').select(['id', 'state', 'drop_reason']).where('target_url', '=', url).execute();
      return rows.length >= 3 && rows.every((r) => r.state === 'DROPPED') ? rows : undefined;
    }, 'three DROPPED deliveries');
    assert.ok(dropped.every((r) => r.drop_reason === 'TARGET_GONE'));
    assert.equal(rx.requests.length, 1, 'only the first was ever sent');

    const from = fmt(Date.now() - HOUR);
    const refused = await g.api('POST', '/hookline/1/recoveries', { url, from });
    assert.equal(refused.status, 409);

    gone = false;
    const enabled = await g.api('POST', '/hookline/1/targets/enable', { url });
    assert.deepEqual([enabled.status, enabled.body.state], [200, 'HEALTHY']);
    const recovery = await g.api('POST', '/hookline/1/recoveries', { url, from, ratePerSecond: 50 });
    assert.deepEqual([recovery.status, recovery.body.total], [201, 3], JSON.stringify(recovery.body));
    await rx.waitForRequests(4, 10_000);
    await waitUntil(async () => (await progress(g, recovery.body.id)).state === 'COMPLETED', 'recovery COMPLETED');
    await sleep(200);
    const counts = idCounts(rx, '/gone');
    assert.deepEqual([...counts.keys()].sort(), dropped.map((r) => r.id).sort(), 'each dropped delivery arrives, under its own webhook-id');
    const firstId = String(rx.requests[0].headers['webhook-id']);
    assert.equal(counts.get(firstId), 2, 'the one that got the 410 is sent again with the same webhook-id');
    assert.equal(rx.requests.length, 4);
    const after = await g.api('GET', '/hookline/1/targets');
    assert.equal(after.body.results.find((t: any) => t.target.url === url).state, 'HEALTHY');
  });
});

describe('a recovery of still-retrying deliveries to a notification profile', () => {
  let g: TestGateway;
  let rx: Receiver;
  before(async () => {
    g = await startGateway({ THROTTLES: 'off', SIMULATOR_DELAY_MS: '0', WEBHOOK_BUCKET_SIZE: '1' });
    rx = await receivers.start();
  });
  after(async () => {
    await g?.close();
  });

  it('RETRYING deliveries are re-sent now, ahead of their schedule, with their webhook-ids, in a new cycle', async () => {
    let failing = true;
    rx.respond = () => ({ status: failing ? 500 : 200 });
    const profileId = uniq('rprof');
    assert.equal((await g.api('POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: `${rx.url}/profile` } })).status, 201);
    const sub = await g.api('POST', '/subscriptions/1/subscription/SMS', { subscriptionId: uniq('rsub'), events: ['DELIVERY'], profile: { profileId } });
    assert.ok(sub.status < 300, JSON.stringify(sub.body));
    const from = fmt(Date.now() - MINUTE);
    const sent = await g.api('POST', '/sms/3/messages', { messages: [1, 2, 3].map((i) => ({ destinations: [{ to: `4179302670${i}` }], content: { text: `r${i}` } })) });
    assert.equal(sent.status, 200);
    await rx.waitForRequests(3);
    const { db } = g.hookline.store;
    const retrying = await waitUntil(async () => {
      const rows = await db.selectFrom('deliveries').select(['id', 'state', 'next_attempt_at']).where('target_url', 'like', `profile:%/${profileId}`).execute();
      return rows.length === 3 && rows.every((r) => r.state === 'RETRYING') ? rows : undefined;
    }, 'three RETRYING deliveries');
    assert.ok(retrying.every((r) => Number(r.next_attempt_at) > Date.now() + 30_000), 'their next attempt is a minute away');

    failing = false;
    const recovery = await g.api('POST', '/hookline/1/recoveries', { profileId, from, states: ['RETRYING'] });
    assert.deepEqual([recovery.status, recovery.body.total, recovery.body.target], [201, 3, { profileId }], JSON.stringify(recovery.body));
    await rx.waitForRequests(6, 10_000);
    await waitUntil(async () => (await progress(g, recovery.body.id)).state === 'COMPLETED', 'recovery COMPLETED');
    const counts = idCounts(rx, '/profile');
    assert.deepEqual([...counts.keys()].sort(), retrying.map((r) => r.id).sort());
    assert.ok([...counts.values()].every((n) => n === 2), 'each sent twice under one webhook-id');
    const rows = await waitUntil(async () => {
      const r = await db.selectFrom('deliveries').select(['state', 'attempts', 'cycle_base']).where('target_url', 'like', `profile:%/${profileId}`).execute();
      return r.every((d) => d.state === 'DELIVERED') ? r : undefined;
    }, 'all delivered');
    assert.ok(rows.every((d) => d.attempts === 2 && d.cycle_base === 1), JSON.stringify(rows));
  });
});

describe('a recovery created through an api process wakes the workers at once', { skip: TEST_BACKEND !== 'postgres' && 'PostgreSQL only: api and worker roles share a database' }, () => {
  // Both clocks are frozen, so the worker's loops never wake by time: only a NOTIFY can start the
  // recovery. The worker's clock is ahead of the api's, so the recovery has budget when it runs.
  const apiClock = new ManualClock(T0);
  const workerClock = new ManualClock(T0 + 10_000);
  let api: TestGateway;
  let worker: TestGateway;
  let rx: Receiver;
  let drop: () => Promise<void> = async () => {};
  before(async () => {
    const database = await createTestDatabase('');
    drop = database.drop;
    api = await startGateway({ THROTTLES: 'off', DATABASE_URL: database.url, ROLE: 'api' }, { clock: apiClock });
    worker = await startGateway({ THROTTLES: 'off', DATABASE_URL: database.url, ROLE: 'worker' }, { clock: workerClock });
    rx = await receivers.start();
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await drop();
  });

  it('the worker re-sends the dropped deliveries without waiting for a poll', async () => {
    const { db, profile } = api.hookline.store;
    const url = `${rx.url}/notified`;
    const seeded = await seedDeliveries(db, profile, { target: url, state: 'DROPPED', count: 5, firstAt: T0 - HOUR, label: uniq('notified') });
    const created = await api.api('POST', '/hookline/1/recoveries', { url, from: fmt(T0 - 2 * HOUR), ratePerSecond: 100 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await rx.waitForRequests(5, 10_000);
    assert.deepEqual([...idCounts(rx, '/notified').keys()].sort(), seeded.map((d) => d.id).sort());
  });
});

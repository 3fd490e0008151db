/**
 * Infobip's whole push retry cycle on an injected ManualClock: 21 attempts, the n-th retry
 * 1 + (n−1)² minutes after the start of the failed attempt, the last one 2490 minutes
 * (41 h 30 min) after the first, then DROPPED — not before, not after, not into the pull queue.
 * RETRY_MINUTE_MS stays at its 60000 default: only the clock is fake.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { MAX_ATTEMPTS, nextAttemptAt, retryDelayMinutes } from '../../src/webhooks/retry-policy.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';

const MINUTE = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('retry policy values (unit)', () => {
  test('delays after failed attempts 1..7 are 1, 2, 5, 10, 17, 26, 37 minutes', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(retryDelayMinutes), [1, 2, 5, 10, 17, 26, 37]);
  });

  test('the whole Infobip table (20 retries) sums to 2490 minutes = 41 h 30 min', () => {
    const delays = Array.from({ length: 20 }, (_, i) => retryDelayMinutes(i + 1));
    assert.deepEqual(delays, [1, 2, 5, 10, 17, 26, 37, 50, 65, 82, 101, 122, 145, 170, 197, 226, 257, 290, 325, 362]);
    assert.equal(delays.reduce((a, b) => a + b, 0), 2490);
    assert.equal(2490, 41 * 60 + 30);
  });

  test('21 attempts in all: attempt 20 still schedules one more, attempt 21 drops', () => {
    assert.equal(MAX_ATTEMPTS, 21);
    const t = 1_700_000_000_000;
    assert.equal(nextAttemptAt(1, t, MINUTE), t + MINUTE);
    assert.equal(nextAttemptAt(4, t, MINUTE), t + 10 * MINUTE);
    assert.equal(nextAttemptAt(20, t, MINUTE), t + 362 * MINUTE);
    assert.equal(nextAttemptAt(21, t, MINUTE), null);
    assert.equal(nextAttemptAt(22, t, MINUTE), null);
    assert.equal(nextAttemptAt(3, t, 50), t + 5 * 50, 'the minute length is a parameter');
  });

  test('following the schedule from t0, attempt 21 starts exactly 2490 minutes after attempt 1', () => {
    const t0 = Date.UTC(2026, 0, 1);
    let start = t0;
    for (let n = 1; n < MAX_ATTEMPTS; n++) start = nextAttemptAt(n, start, MINUTE)!;
    assert.equal(start - t0, 2490 * MINUTE);
    assert.equal(nextAttemptAt(MAX_ATTEMPTS, start, MINUTE), null);
  });
});

describe('the 21-attempt cycle end to end on a ManualClock', () => {
  let g: TestGateway;
  let rx: Receiver;
  const clock = new ManualClock();

  before(async () => {
    rx = await Receiver.start();
    rx.respond = () => ({ status: 500 });
    g = await startGateway({}, { clock });
    assert.equal(g.hookline.config.retryMinuteMs, 60_000, 'RETRY_MINUTE_MS keeps its default');
  });
  after(async () => {
    await rx.close();
    await g.close();
  });

  /** Waits (real time) until the attempts table holds `count` rows, so the clock only moves once an attempt is recorded. */
  async function waitForAttemptRows(count: number): Promise<void> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const row = await g.hookline.store.db.selectFrom('attempts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      if (Number(row.n) >= count) return;
      assert.ok(Date.now() < deadline, `attempt ${count} was never recorded`);
      await sleep(5);
    }
  }

  test('21 attempts at t0 + 1, 3, 8, 18, 35, 61, 98, … 2490 minutes; then DROPPED', async () => {
    const t0 = clock.now();
    const res = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'never acknowledged' }, webhooks: { delivery: { url: rx.url } } }],
    });
    assert.equal(res.status, 200);

    const arrivals: Array<{ clock: number; timestamp: number; webhookId: string; body: string }> = [];
    let due = t0; // the first attempt goes at once
    for (let n = 1; n <= MAX_ATTEMPTS; n++) {
      await rx.waitForRequests(n, 5_000);
      assert.equal(rx.requests.length, n, `exactly ${n} request(s) so far`);
      const req = rx.requests[n - 1];
      arrivals.push({ clock: clock.now(), timestamp: Number(req.headers['webhook-timestamp']), webhookId: String(req.headers['webhook-id']), body: req.body });
      assert.equal(clock.now(), due, `attempt ${n} arrived with the clock at its due time`);
      assert.equal(Number(req.headers['webhook-timestamp']), Math.floor(due / 1000), `attempt ${n} webhook-timestamp is its start time`);
      await waitForAttemptRows(n);
      if (n === MAX_ATTEMPTS) break;

      const next = due + (1 + (n - 1) ** 2) * MINUTE;
      clock.set(next - 1);
      await sleep(100);
      assert.equal(rx.requests.length, n, `attempt ${n + 1} must not start before ${(next - t0) / MINUTE} min (clock 1 ms short)`);
      clock.set(next);
      due = next;
    }

    assert.equal(arrivals.length, 21);
    assert.equal(arrivals[20].clock - arrivals[0].clock, 2490 * MINUTE, 'the 21st attempt lands 2490 minutes after the first');
    const cumulative = arrivals.map((a) => (a.clock - t0) / MINUTE);
    assert.deepEqual(cumulative.slice(0, 8), [0, 1, 3, 8, 18, 35, 61, 98]);
    assert.equal(new Set(arrivals.map((a) => a.webhookId)).size, 1, 'one delivery, one webhook-id throughout');
    assert.equal(new Set(arrivals.map((a) => a.body)).size, 1, 'identical body bytes on every attempt');

    const db = g.hookline.store.db;
    const deliveries = await db.selectFrom('deliveries').selectAll().execute();
    assert.equal(deliveries.length, 1);
    const [delivery] = deliveries;
    assert.equal(delivery.id, arrivals[0].webhookId);
    assert.equal(delivery.state, 'DROPPED');
    assert.equal(delivery.attempts, 21);
    assert.equal(delivery.next_attempt_at, null);
    assert.equal(delivery.last_status_code, 500);
    assert.equal(delivery.lease_owner, null);

    const attempts = await db.selectFrom('attempts').selectAll().orderBy('attempt').execute();
    assert.equal(attempts.length, 21);
    assert.deepEqual(attempts.map((a) => a.attempt), Array.from({ length: 21 }, (_, i) => i + 1));
    assert.deepEqual(attempts.map((a) => Number(a.started_at)), arrivals.map((a) => a.clock), 'attempt start times follow the schedule');
    assert.ok(attempts.every((a) => a.status_code === 500 && a.error_class === 'http-status' && a.delivery_id === delivery.id));

    const outbox = await db.selectFrom('outbox').select(['state', 'delivery_id']).execute();
    assert.deepEqual(outbox, [{ state: 'DROPPED', delivery_id: delivery.id }]);

    // A dropped report is not handed to the pull queue (41.5 h < the 48 h pull window, so it would still show).
    const pulled = await g.api('GET', '/sms/3/reports');
    assert.equal(pulled.status, 200);
    assert.deepEqual(pulled.body.results, []);
    const pulledV2 = await g.api('GET', '/sms/1/reports');
    assert.deepEqual(pulledV2.body.results, []);
    const queue = await db.selectFrom('pull_queue').selectAll().execute();
    assert.deepEqual(queue, []);

    // Nothing more, however long we wait.
    for (const step of [362 * MINUTE, 24 * 60 * MINUTE, 3 * 24 * 60 * MINUTE]) {
      clock.advance(step);
      await sleep(100);
    }
    await sleep(200);
    assert.equal(rx.requests.length, 21, 'no 22nd attempt, even days later');
    const after = await db.selectFrom('deliveries').select(['state', 'attempts']).where('id', '=', delivery.id).executeTakeFirstOrThrow();
    assert.deepEqual(after, { state: 'DROPPED', attempts: 21 }, 'the dropped delivery is kept for inspection');
    assert.equal((await db.selectFrom('attempts').selectAll().execute()).length, 21);
    assert.deepEqual((await g.api('GET', '/sms/3/reports')).body.results, []);
  });
});

/**
 * Isolation between targets and order within a message:
 *  - a target that hangs forever holds at most WEBHOOK_WINDOW requests in flight and does not
 *    slow a healthy target beside it;
 *  - a message's final report never overtakes its intermediate report, even when the
 *    intermediate one has to be retried.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const destinations = (prefix: number, n: number) => Array.from({ length: n }, (_, i) => ({ to: `4179${String(prefix + i).padStart(7, '0')}` }));

describe('a hanging target beside a healthy one', () => {
  const WINDOW = 5;
  let g: TestGateway;
  let hanging: Receiver;
  let healthy: Receiver;
  /** Requests the hanging receiver is holding open. */
  let openAtA = 0;
  let maxOpenAtA = 0;

  before(async () => {
    hanging = await Receiver.start();
    healthy = await Receiver.start();
    // Nothing A receives is ever answered, so every request it has received is still open.
    hanging.respond = () => {
      openAtA++;
      maxOpenAtA = Math.max(maxOpenAtA, openAtA);
      return { hang: true };
    };
    healthy.respond = () => ({ status: 200 });
    // One report per POST, so the hanging target has 100 separate deliveries competing for its window.
    g = await startGateway({ WEBHOOK_WINDOW: String(WINDOW), WEBHOOK_READ_TIMEOUT_MS: '30000', WEBHOOK_BUCKET_SIZE: '1' });
  });
  after(async () => {
    // Close the hanging receiver first: its sockets reset, the dispatcher records the failures and
    // has nothing in flight, so the gateway shuts down without waiting out its grace period.
    await hanging.close();
    await healthy.close();
    await g.close();
  });

  test('B gets all 100 reports promptly while A holds at most WEBHOOK_WINDOW requests in flight', async () => {
    const toA = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: destinations(500000, 100), content: { text: 'to the void' }, webhooks: { delivery: { url: `${hanging.url}/dlr` } } }],
    });
    assert.equal(toA.status, 200);
    // A's window fills first, so B's reports really do arrive while A is stuck.
    await hanging.waitForRequests(WINDOW, 5_000);

    const started = Date.now();
    const toB = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: destinations(600000, 100), content: { text: 'to the living' }, webhooks: { delivery: { url: `${healthy.url}/dlr` } } }],
    });
    assert.equal(toB.status, 200);
    await healthy.waitForResults(100, 3_000);
    const took = Date.now() - started;
    assert.ok(took < 3_000, `B's 100 reports took ${took} ms`);
    const ids = healthy.results().map((r) => r.messageId);
    assert.equal(new Set(ids).size, 100, 'B got each of its reports once');
    assert.deepEqual(new Set(ids), new Set(toB.body.messages.map((m: { messageId: string }) => m.messageId)));

    await sleep(300);
    assert.equal(hanging.requests.length, WINDOW, `A got exactly its window of ${WINDOW} requests, no more`);
    assert.ok(maxOpenAtA <= WINDOW, `A never held more than ${WINDOW} open requests (max ${maxOpenAtA})`);

    // The gateway's own view agrees: A's other 95 deliveries are waiting, not sent.
    const db = g.hookline.store.db;
    const rows = await db
      .selectFrom('deliveries')
      .select(['state', 'lease_owner', 'attempts'])
      .where('target_url', '=', `${hanging.url}/dlr`)
      .execute();
    assert.equal(rows.length, 100);
    assert.equal(rows.filter((r) => r.lease_owner !== null).length, WINDOW, 'only the window is leased');
    assert.equal(rows.filter((r) => r.attempts === 0).length, 100 - WINDOW, 'the rest have not been attempted');
    const bRows = await db.selectFrom('deliveries').select('state').where('target_url', '=', `${healthy.url}/dlr`).execute();
    assert.equal(bRows.length, 100);
    assert.ok(bRows.every((r) => r.state === 'DELIVERED'));
  });
});

describe('per-message order across a failing target', () => {
  let g: TestGateway;
  let rx: Receiver;

  before(async () => {
    rx = await Receiver.start();
    g = await startGateway({ RETRY_MINUTE_MS: '30' });
  });
  after(async () => {
    await rx.close();
    await g.close();
  });

  test('the final report waits until the retried intermediate report is delivered', async () => {
    // Fail the first request (message X's intermediate report) with 500; accept everything after.
    rx.respond = (_req, i) => ({ status: i === 0 ? 500 : 200 });
    const res = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [{ to: '41790001001', messageId: 'order-x' }], content: { text: 'X' }, webhooks: { delivery: { url: rx.url, intermediateReport: true } } }],
    });
    assert.equal(res.status, 200);
    await rx.waitForRequests(3, 5_000);
    await sleep(200);
    assert.equal(rx.requests.length, 3);

    const statuses = rx.requests.map((r) => JSON.parse(r.body).results.map((x: { status: { name: string } }) => x.status.name));
    assert.deepEqual(statuses, [['PENDING_WAITING_DELIVERY'], ['PENDING_WAITING_DELIVERY'], ['DELIVERED_TO_HANDSET']], 'intermediate, its retry, then the final');
    assert.equal(rx.requests[0].headers['webhook-id'], rx.requests[1].headers['webhook-id'], 'the second request is the retry of the first');
    assert.ok(rx.requests[2].at >= rx.requests[1].at);

    // The ordering was actually enforced: the final report existed before the retry went out.
    const db = g.hookline.store.db;
    const finalReport = await db
      .selectFrom('reports as r')
      .innerJoin('messages as m', 'm.pk', 'r.message_pk')
      .select(['r.created_at', 'r.status_id'])
      .where('m.message_id', '=', 'order-x')
      .where('r.final', '=', 1)
      .executeTakeFirstOrThrow();
    const retry = await db
      .selectFrom('attempts')
      .select(['started_at', 'status_code'])
      .where('delivery_id', '=', String(rx.requests[0].headers['webhook-id']))
      .orderBy('attempt')
      .execute();
    assert.deepEqual(retry.map((a) => a.status_code), [500, 200]);
    assert.ok(Number(finalReport.created_at) <= Number(retry[1].started_at), 'the final report was held back while the intermediate one was retried');
  });

  test('per-message order holds for many messages at once; other messages are not blocked', async () => {
    rx.requests.length = 0;
    // The first request carrying a message's intermediate report fails; everything else is accepted.
    type Item = { messageId: string; status: { id: number } };
    const failedOnce = new Set<string>();
    const answers: number[] = [];
    rx.respond = (req, i) => {
      const items = JSON.parse(req.body).results as Item[];
      const fresh = items.some((x) => x.status.id === 3 && !failedOnce.has(x.messageId));
      for (const x of items) if (x.status.id === 3) failedOnce.add(x.messageId);
      answers[i] = fresh ? 500 : 200;
      return { status: answers[i] };
    };
    const slow = Array.from({ length: 10 }, (_, i) => ({ to: `41790${String(i).padStart(2, '0')}1001`, messageId: `slow-${i}` }));
    const fast = Array.from({ length: 10 }, (_, i) => ({ to: `41791${String(i).padStart(2, '0')}2222`, messageId: `fast-${i}` }));
    const res = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [...slow, ...fast], content: { text: 'mixed' }, webhooks: { delivery: { url: rx.url, intermediateReport: true } } }],
    });
    assert.equal(res.status, 200);
    /** Report items of accepted (200) requests, tagged with the request's index. */
    const delivered = () => rx.requests.flatMap((r, i) => (answers[i] === 200 ? (JSON.parse(r.body).results as Item[]).map((x) => ({ ...x, request: i })) : []));
    // 10 intermediates + 10 slow finals + 10 fast finals.
    await rx.waitFor(() => delivered().length >= 30, 5_000, '30 accepted report items');
    await sleep(200);
    const items = delivered();
    assert.equal(items.length, 30);
    assert.ok(answers.includes(500), 'some requests really failed');
    for (const { messageId } of slow) {
      const mine = items.filter((x) => x.messageId === messageId);
      assert.deepEqual(mine.map((x) => x.status.id), [3, 5], `${messageId}: intermediate accepted before the final`);
      assert.ok(mine[0].request < mine[1].request, `${messageId}: the final came in a later request than the accepted intermediate`);
      // And never sent (not even in a failed request) before its intermediate was accepted.
      const finalFirstSent = rx.requests.findIndex((r) => (JSON.parse(r.body).results as Item[]).some((x) => x.messageId === messageId && x.status.id === 5));
      assert.ok(finalFirstSent > mine[0].request, `${messageId}: final first sent in request ${finalFirstSent}, intermediate accepted in ${mine[0].request}`);
    }
    for (const { messageId } of fast) {
      const mine = items.filter((x) => x.messageId === messageId);
      assert.deepEqual(mine.map((x) => x.status.id), [5], `${messageId}: only its final report`);
    }
  });
});

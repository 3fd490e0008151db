/**
 * Retention: after RETENTION_HOURS the sweeper removes finished messages, their reports and
 * expired pull-queue entries — and keeps what work still needs: scheduled messages. Webhook
 * history (DELIVERED and DROPPED deliveries, their attempts) is the attempt log and what replays
 * send, so it stays WEBHOOK_LOG_RETENTION_DAYS (default 30) after the delivery finished.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { formatInfobipTime } from '../../src/lib/infobip-time.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('retention sweeper', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let g: TestGateway;
  let ok: Receiver;
  let dead: Receiver;
  before(async () => {
    ok = await Receiver.start();
    dead = await Receiver.start();
    dead.respond = () => ({ status: 500 });
    g = await startGateway({ RETENTION_HOURS: '1', RETRY_MINUTE_MS: '1' }, { clock });
  });
  after(async () => {
    await g.close();
    await ok.close();
    await dead.close();
  });

  const count = async (table: 'messages' | 'reports' | 'deliveries' | 'pull_queue' | 'attempts', where?: [string, string]) => {
    let q = g.hookline.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
    if (where) q = q.where(where[0] as never, '=', where[1] as never);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };

  it('removes old finished work and keeps scheduled messages; webhook history stays 30 days', async () => {
    const send = (body: object) => g.api('POST', '/sms/3/messages', body);
    const text = { text: 'x' };
    assert.equal((await send({ messages: [{ destinations: [{ to: '41790000001' }], content: text, webhooks: { delivery: { url: ok.url } } }] })).status, 200);
    assert.equal((await send({ messages: [{ destinations: [{ to: '41790000002' }], content: text }] })).status, 200); // pulled
    assert.equal((await send({ messages: [{ destinations: [{ to: '41790000003' }], content: text, webhooks: { delivery: { url: dead.url } } }] })).status, 200);
    const sendAt = formatInfobipTime(clock.now() + 100 * HOUR);
    assert.equal((await send({ messages: [{ destinations: [{ to: '41790000004' }], content: text }], options: { schedule: { sendAt } } })).status, 200);

    await ok.waitForRequests(1);
    await until(async () => (await count('pull_queue')) === 1, 'the pulled report');
    // Run the dead target's whole retry cycle (RETRY_MINUTE_MS=1: 2490 ms of clock) to DROPPED.
    // Each step lets the dispatcher make the attempt that just fell due (and record it).
    const deadline = Date.now() + 30_000;
    while ((await count('deliveries', ['state', 'DROPPED'])) === 0 && Date.now() < deadline) {
      const attempts = await count('attempts');
      clock.advance(400);
      await until(async () => (await count('attempts')) > attempts || (await count('deliveries', ['state', 'DROPPED'])) > 0, 'the next attempt', 5_000).catch(() => {});
    }
    assert.equal(await count('deliveries', ['state', 'DROPPED']), 1);
    assert.equal(await count('messages'), 4);

    clock.advance(49 * HOUR); // past RETENTION_HOURS and the pull queue's 48 h
    await until(async () => (await count('messages')) === 1, 'the sweep');
    const left = await g.hookline.store.db.selectFrom('messages').select(['destination', 'state']).execute();
    assert.deepEqual(left, [{ destination: '41790000004', state: 'SCHEDULED' }], 'a scheduled message is work, not history');
    assert.equal(await count('pull_queue'), 0, 'expired pull entries are gone');
    assert.equal(await count('deliveries', ['state', 'DELIVERED']), 1, 'delivered rows stay for the attempt log');
    assert.equal(await count('deliveries', ['state', 'DROPPED']), 1, 'dropped rows stay for the attempt log');
    assert.equal(await count('attempts'), 22, 'both keep their attempts (1 + 21)');

    // WEBHOOK_LOG_RETENTION_DAYS (30) after they finished, they go with their outbox rows and attempts.
    clock.advance(30 * DAY);
    await until(async () => (await count('deliveries')) === 0, 'the sweep of webhook history');
    assert.equal(await count('attempts'), 0);
    const outbox = await g.hookline.store.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(outbox.n), 0);
  });
});

describe('retention of channel events', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let g: TestGateway;
  let dead: Receiver;
  before(async () => {
    dead = await Receiver.start();
    dead.respond = () => ({ status: 500 });
    g = await startGateway({ RETENTION_HOURS: '1' }, { clock });
  });
  after(async () => {
    await g.close();
    await dead.close();
  });
  const count = async (table: 'messages' | 'engagements' | 'inbound_messages' | 'inbox_queue') =>
    Number((await g.hookline.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  it('engagements go with their message, which stays while one of its pushes still waits; chat inbound goes like SMS inbound', async () => {
    const send = (to: string, seen?: string) =>
      g.api('POST', '/messages-api/1/messages', {
        messages: [{ channel: 'WHATSAPP', sender: '447860099299', destinations: [{ to }], content: { body: { type: 'TEXT', text: 'x' } }, ...(seen ? { webhooks: { seen: { url: seen } } } : {}) }],
      });
    assert.equal((await send('41790002001')).status, 200); // SEEN recorded, pushed nowhere
    assert.equal((await send('41790002002', dead.url)).status, 200); // SEEN pushed to a receiver that keeps failing
    assert.equal((await g.api('POST', '/hookline/1/numbers', { number: '447860099299' })).status, 201);
    const inbound = await g.api('POST', '/hookline/1/simulator/inbound', { from: '41790002003', to: '447860099299', text: 'hi', channel: 'WHATSAPP' });
    assert.equal(inbound.status, 200, JSON.stringify(inbound.body));
    await until(async () => (await count('engagements')) === 2, 'both SEEN events');
    await dead.waitForRequests(1);
    assert.equal(await count('inbox_queue'), 1, 'the chat inbound waits for GET /messages-api/1/inbound');

    clock.advance(49 * HOUR); // past RETENTION_HOURS and the inbox's 48 h; the failing SEEN is still in its retry cycle
    await until(async () => (await count('messages')) === 1, 'the sweep');
    assert.equal(await count('engagements'), 1, 'the kept message keeps its SEEN; the other went with its message');
    const kept = await g.hookline.store.db.selectFrom('messages').select('destination').execute();
    assert.deepEqual(kept, [{ destination: '41790002002' }], 'a message whose SEEN push still waits is work, not history');
    await until(async () => (await count('inbound_messages')) === 0, 'the expired chat inbound');
    assert.equal(await count('inbox_queue'), 0);
  });
});

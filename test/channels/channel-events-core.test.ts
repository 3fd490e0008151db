/**
 * What the channels share underneath their APIs, end to end on a ManualClock: a message's events
 * reach one target in the order they happened across payload families (a SEEN never overtakes
 * its DELIVERY, even while the DELIVERY is being retried); a message half-way through failover
 * keeps its status and is not touched by pausing or cancelling its bulk.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { receiverPool } from '../helpers/receiver.ts';
import { qs, uniq, waitUntil } from '../http/support.ts';
import { numberEnding } from './messages-api-support.ts';

const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
const MINUTE = 60_000;
let g: TestGateway;
let clock: ManualClock;
const receivers = receiverPool();

before(async () => {
  clock = new ManualClock(T0);
  g = await startGateway({ THROTTLES: 'off', SIMULATOR_DELAY_MS: '1000', SIMULATOR_SEEN_DELAY_MS: '1000' }, { clock });
});
after(async () => {
  await receivers.closeAll();
  await g.close();
});

const events = (bodies: string[]) => bodies.flatMap((b) => (JSON.parse(b).results as Array<{ event: string }>).map((r) => r.event));

describe('order of a message’s events to one target', () => {
  test('the SEEN waits while its DELIVERY is retried, then follows it', async () => {
    const rx = await receivers.start();
    rx.respond = (_request, index) => ({ status: index === 0 ? 500 : 200 });
    const r = await g.api('POST', '/messages-api/1/messages', {
      messages: [{ channel: 'WHATSAPP', sender: '447860099299', destinations: [{ to: numberEnding('2000') }], content: { body: { type: 'TEXT', text: 'hi' } }, webhooks: { delivery: { url: rx.url }, seen: { url: rx.url } } }],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    clock.advance(1_000); // the final report; its push fails with 500
    await waitUntil(async () => rx.requests.length === 1, 'the first DELIVERY attempt');
    clock.advance(1_000); // SEEN is recorded now, while the DELIVERY waits for its retry
    const db = g.hookline.store.db;
    await waitUntil(async () => (await db.selectFrom('engagements').select('id').execute()).length > 0, 'the SEEN is recorded');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(rx.requests.length, 1, 'the SEEN did not overtake the DELIVERY being retried');
    clock.advance(MINUTE); // the DELIVERY's retry, then the SEEN
    await waitUntil(async () => rx.requests.length === 3, 'the retried DELIVERY and the SEEN');
    assert.deepEqual(events(rx.requests.map((q) => q.body)), ['DELIVERY', 'DELIVERY', 'SEEN']);
  });
});

/** WHATSAPP to `to`, falling over to SMS (…1012 is not a WhatsApp user: the SMS step delivers). */
const failoverMessage = (to: string, delivery: Record<string, unknown>) => ({
  channel: 'WHATSAPP',
  sender: '447860099299',
  destinations: [{ byChannel: [{ channel: 'WHATSAPP', to }, { channel: 'SMS', to }] }],
  content: { body: { type: 'TEXT', text: 'hi' } },
  webhooks: { delivery },
  failover: [{ channel: 'SMS', sender: 'ShopSMS' }],
});

describe('a message half-way through failover', () => {
  test('bulk cancel leaves its failover step alone: the message still gets its final report', async () => {
    const rx = await receivers.start();
    const bulkId = uniq('fo-bulk');
    const to = numberEnding('1012');
    const sent = await g.api('POST', '/messages-api/1/messages', { messages: [failoverMessage(to, { url: rx.url })], options: { schedule: { bulkId } } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    // A later message in the same bulk keeps the bulk cancellable.
    const later = await g.api('POST', '/messages-api/1/messages', {
      messages: [{ channel: 'SMS', sender: 'ShopSMS', destinations: [{ to: numberEnding('2000') }], content: { body: { type: 'TEXT', text: 'later' } } }],
      options: { schedule: { bulkId, sendAt: new Date(T0 + 60 * MINUTE).toISOString() } },
    });
    assert.equal(later.status, 200, JSON.stringify(later.body));
    const db = g.hookline.store.db;
    const message = await db.selectFrom('messages').select(['pk', 'status_id']).where('message_id', '=', sent.body.messages[0].messageId).executeTakeFirstOrThrow();
    await waitUntil(async () => (await db.selectFrom('network_jobs').select('step').where('message_pk', '=', message.pk).execute()).some((j) => j.step === 'final'), 'WhatsApp submitted');
    // The moment after the WhatsApp step failed: its resubmission on SMS waits as a failover step.
    await db.updateTable('network_jobs').set({ step: 'failover', due_at: clock.now() + MINUTE }).where('message_pk', '=', message.pk).execute();
    await db.updateTable('messages').set({ channel: 'SMS', sender: 'ShopSMS', failover: null }).where('pk', '=', message.pk).execute();

    const cancel = await g.api('PUT', `/sms/1/bulks/status${qs({ bulkId })}`, { status: 'CANCELED' });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.deepEqual((await db.selectFrom('network_jobs').select('step').where('message_pk', '=', message.pk).execute()).map((j) => j.step), ['failover']);
    clock.advance(MINUTE); // sent on SMS; its report comes a second later
    await waitUntil(async () => (await db.selectFrom('network_jobs').select('step').where('message_pk', '=', message.pk).execute()).some((j) => j.step === 'final'), 'submitted on SMS');
    clock.advance(1_000);
    await waitUntil(async () => rx.requests.length === 1, 'the final report');
    const [report] = JSON.parse(rx.requests[0].body).results;
    assert.deepEqual([report.channel, report.status.name], ['SMS', 'DELIVERED_TO_HANDSET']);
  });

  test('its status stays what it was while the next channel is tried; the WhatsApp step is in the reports', async () => {
    const rx = await receivers.start();
    const to = numberEnding('1012');
    const sent = await g.api('POST', '/messages-api/1/messages', { messages: [failoverMessage(to, { url: rx.url, receiveTriggeredFailoverReports: true })] });
    const db = g.hookline.store.db;
    const pk = (await db.selectFrom('messages').select('pk').where('message_id', '=', sent.body.messages[0].messageId).executeTakeFirstOrThrow()).pk;
    clock.advance(1_000); // WhatsApp fails; SMS is submitted at once, its report due a second later
    await waitUntil(async () => (await db.selectFrom('reports').select('id').where('message_pk', '=', pk).execute()).length === 1, 'the step report');
    const during = await db.selectFrom('messages').select(['status_id', 'state', 'channel']).where('pk', '=', pk).executeTakeFirstOrThrow();
    assert.deepEqual([during.status_id, during.state, during.channel], [26, 'SUBMITTED', 'SMS'], 'still PENDING_ACCEPTED, now on SMS');
    clock.advance(1_000);
    await waitUntil(async () => rx.requests.length === 2, 'step and final report');
    const after = await db.selectFrom('messages').select(['status_id', 'state']).where('pk', '=', pk).executeTakeFirstOrThrow();
    assert.deepEqual([after.status_id, after.state], [5, 'FINAL']);
    const reports = await db.selectFrom('reports').select(['channel', 'failover_step', 'sender', 'destination']).where('message_pk', '=', pk).orderBy('id').execute();
    assert.deepEqual(reports, [
      { channel: 'WHATSAPP', failover_step: 1, sender: '447860099299', destination: to },
      { channel: 'SMS', failover_step: 0, sender: null, destination: null },
    ]);
  });
});

describe('intake limits that hold across channels', () => {
  test('a text too long for SMS is refused when SMS is a failover step, as it would be when sent as SMS', async () => {
    const to = numberEnding('1012');
    const text = 'x'.repeat(4_000); // fine on WhatsApp (4,096), 27 parts as SMS
    const r = await g.api('POST', '/messages-api/1/messages', {
      messages: [
        { channel: 'WHATSAPP', sender: '447860099299', destinations: [{ byChannel: [{ channel: 'WHATSAPP', to }, { channel: 'SMS', to }] }], content: { body: { type: 'TEXT', text } }, failover: [{ channel: 'SMS', sender: 'ShopSMS' }] },
        { channel: 'WHATSAPP', sender: '447860099299', destinations: [{ to }], content: { body: { type: 'TEXT', text } } },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.messages.map((m: { status: { name: string } }) => m.status.name), ['REJECTED_MESSAGE_TOO_LONG', 'PENDING_ACCEPTED']);
  });

  test('content times destinations past 32 MiB is refused before anything is stored', async () => {
    const destinations = Array.from({ length: 10_000 }, (_, i) => ({ to: `4179${String(i).padStart(7, '0')}` }));
    const r = await g.api('POST', '/messages-api/1/messages', {
      messages: [{ channel: 'WHATSAPP', sender: '447860099299', destinations, content: { body: { type: 'TEXT', text: 'y'.repeat(4_000) } } }],
    });
    assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
    assert.match(JSON.stringify(r.body), /fewer destinations per request/);
    const stored = await g.hookline.store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('text', '=', 'y'.repeat(4_000)).executeTakeFirstOrThrow();
    assert.equal(Number(stored.n), 0);
  });
});

describe('simulated replies', () => {
  test('a reply posted with pairedMessageId carries the callbackData of the message it answers, in that API’s shape', async () => {
    const sender = '447860011122';
    assert.equal((await g.api('POST', '/hookline/1/numbers', { number: sender })).status, 201);
    const sent = await g.api('POST', '/messages-api/1/messages', {
      messages: [{ channel: 'VIBER_BM', sender, destinations: [{ to: numberEnding('2000') }], content: { body: { type: 'TEXT', text: 'hi' } }, webhooks: { callbackData: 'order=9' } }],
    });
    const messageId = sent.body.messages[0].messageId;
    const reply = await g.api('POST', '/hookline/1/simulator/inbound', { from: numberEnding('2000'), to: sender, text: 'yes', channel: 'VIBER_BM', pairedMessageId: messageId });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const pulled = await g.api('GET', `/messages-api/1/inbound${qs({ channel: 'VIBER_BM' })}`);
    assert.equal(pulled.status, 200, JSON.stringify(pulled.body));
    const item = pulled.body.results.find((r: { pairedMessageId?: string }) => r.pairedMessageId === messageId);
    assert.deepEqual([item?.event, item?.channel, item?.callbackData], ['MO', 'VIBER_BM', 'order=9']);
  });
});

describe('simulated inbound limits', () => {
  test('chat text is bounded (4,096 characters); channels that receive nothing are refused', async () => {
    const number = '447860033344';
    assert.equal((await g.api('POST', '/hookline/1/numbers', { number })).status, 201);
    const post = (body: Record<string, unknown>) => g.api('POST', '/hookline/1/simulator/inbound', { from: numberEnding('2000'), to: number, ...body });
    assert.equal((await post({ text: '😀'.repeat(4_096), channel: 'RCS' })).status, 200, 'counted in characters, not UTF-16 units');
    const long = await post({ text: 'x'.repeat(4_097), channel: 'WHATSAPP' });
    assert.equal(long.status, 400);
    assert.match(JSON.stringify(long.body), /4096 characters/);
    assert.equal((await post({ text: 'hi', channel: 'EMAIL' })).status, 400);
  });
});

/**
 * WhatsApp end to end: a real gateway on a ManualClock, real loopback receivers. Every simulated
 * outcome is pushed to the message's `notifyUrl` in the WhatsApp delivery-report shape, SEEN
 * follows delivery (SIMULATOR_SEEN_DELAY_MS after it, on the gateway's clock) to the same URL,
 * …1010 is never seen, …1011 replies; without a notifyUrl the events go through WHATSAPP
 * subscriptions (DELIVERY, SEEN, INBOUND_MESSAGE), and only to the channel and event subscribed.
 * Every pushed body is also checked against the spec's webhook schema.
 *
 * The clock only moves when a test moves it, so times are exact and "never" is provable: a
 * message that would be seen is seen once the clock passes its seen time, and one that is not,
 * is not, however far the clock goes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { formatInfobipTime } from '../../src/lib/infobip-time.ts';
import { gatewayPerSuite } from '../helpers/hookline.ts';
import { knownProblems } from '../helpers/known-shapes.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { loadSpec, schemaProblems, webhookBodySchema } from '../helpers/spec-schema.ts';
import { uniq } from '../http/support.ts';

const SEEN_DELAY_MS = 5_000;
const VALIDITY_MS = 48 * 3_600_000;
const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const spec = loadSpec('infobip-whatsapp-openapi.json');

const clock = new ManualClock(T0);
// Retention well past the 48 h validity the expiring outcomes are run to.
const suite = gatewayPerSuite({ THROTTLES: 'off', SIMULATOR_SEEN_DELAY_MS: String(SEEN_DELAY_MS), RETENTION_HOURS: '1000' }, { clock });
const { receivers } = suite;

/** A WhatsApp business number of its own per test, so subscriptions (resources) match one test only. */
let senders = 0;
const newSender = () => `4478600${String(9000 + ++senders).padStart(5, '0')}`;

async function ok(method: string, path: string, body?: unknown): Promise<any> {
  const r = await suite.g.api(method, path, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function sendText(from: string, to: string, extra: Record<string, unknown> = {}): Promise<string> {
  const body = await ok('POST', '/whatsapp/1/message/text', { from, to, content: { text: 'Your order has shipped' }, callbackData: 'order=77', ...extra });
  return body.messageId;
}

/** A WHATSAPP subscription for these events of one sender, on its own profile delivering to `receiver`. */
async function subscribe(receiver: Receiver, events: string[], sender: string, channel = 'WHATSAPP'): Promise<void> {
  const profileId = uniq('wa-prof');
  await ok('POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: `${receiver.url}/${channel.toLowerCase()}` } });
  await ok('POST', `/subscriptions/1/subscription/${channel}`, { subscriptionId: uniq('wa-sub'), events, profile: { profileId }, resources: [sender] });
}

/** Bodies received, parsed, with their kind told apart by shape (seen reports have seenAt, inbound integrationType). */
const bodies = (r: Receiver) => r.requests.map((q) => JSON.parse(q.body));
const items = (r: Receiver) => bodies(r).flatMap((b) => b.results as any[]);
const reportsOf = (r: Receiver, messageId: string) => items(r).filter((x) => x.messageId === messageId && 'status' in x);
const seenOf = (r: Receiver, messageId: string) => items(r).filter((x) => x.messageId === messageId && 'seenAt' in x);
const repliesTo = (r: Receiver, messageId: string) => items(r).filter((x) => x.pairedMessageId === messageId);

/** Every body a receiver got has what is known of its kind's items and, where the spec is beside the checkout, satisfies its schema. */
function assertSpecShapes(r: Receiver): void {
  for (const body of bodies(r)) {
    const first = body.results[0];
    const webhook = 'integrationType' in first ? 'receive-inbound-whatsapp-messages' : 'seenAt' in first ? 'receive-whatsapp-seen-reports' : 'receive-whatsapp-delivery-reports';
    assert.deepEqual(knownProblems(webhook, body), [], `${webhook}: ${JSON.stringify(body)}`);
    if (spec) assert.deepEqual(schemaProblems(spec, webhookBodySchema(spec, webhook), body), [], `${webhook}: ${JSON.stringify(body)}`);
  }
}

const STATUS = {
  DELIVERED_TO_HANDSET: ['DELIVERED', 'DELIVERED_TO_HANDSET', 'NO_ERROR'],
  DELIVERED_TO_OPERATOR: ['DELIVERED', 'DELIVERED_TO_OPERATOR', 'NO_ERROR'],
  NOT_DELIVERED: ['UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'EC_UNKNOWN_SUBSCRIBER'],
  CALL_BARRED: ['UNDELIVERABLE', 'UNDELIVERABLE_REJECTED_OPERATOR', 'EC_CALL_BARRED'],
  REJECTED_NETWORK: ['REJECTED', 'REJECTED_NETWORK', 'NO_ERROR'],
  REJECTED_DESTINATION: ['REJECTED', 'REJECTED_DESTINATION', 'NO_ERROR'],
  EXPIRED_ABSENT: ['EXPIRED', 'EXPIRED_EXPIRED', 'EC_ABSENT_SUBSCRIBER'],
  EXPIRED: ['EXPIRED', 'EXPIRED_EXPIRED', 'NO_ERROR'],
} as const;
const statusOf = (report: any) => [report.status.groupName, report.status.name, report.error.name];

describe('every simulated outcome, pushed to notifyUrl', () => {
  /** Destination → its one report's status, and whether it is then seen. */
  const OUTCOMES: Array<[to: string, status: keyof typeof STATUS, seen: boolean, label: string]> = [
    ['41793026727', 'DELIVERED_TO_HANDSET', true, 'any other number: delivered, then seen'],
    ['41793021001', 'DELIVERED_TO_HANDSET', true, '1001: absent first (no intermediate reports on WhatsApp), then delivered and seen'],
    ['41793021002', 'NOT_DELIVERED', false, '1002: unknown subscriber'],
    ['41793021004', 'REJECTED_NETWORK', false, '1004: rejected by the network'],
    ['41793021005', 'DELIVERED_TO_OPERATOR', false, '1005: delivered to the operator only, so never seen'],
    ['41793021006', 'CALL_BARRED', false, '1006: call barred'],
    ['41793021010', 'DELIVERED_TO_HANDSET', false, '1010: delivered, never seen'],
    ['41793021011', 'DELIVERED_TO_HANDSET', true, '1011: delivered, seen, then a reply'],
    ['41793021012', 'NOT_DELIVERED', false, '1012: not a WhatsApp user'],
    ['not-a-number', 'REJECTED_DESTINATION', false, 'an invalid number: rejected at intake'],
  ];

  it('each outcome: its report in the WhatsApp shape, field by field; SEEN exactly SEEN_DELAY_MS after delivery, only for the seen ones', async () => {
    const rx = await receivers.start();
    const sender = newSender();
    const t0 = clock.now();
    const sent = new Map<string, string>();
    for (const [to] of OUTCOMES) sent.set(to, await sendText(sender, to, { notifyUrl: `${rx.url}/wa`, entityId: 'ent-1', applicationId: 'app-1' }));

    await rx.waitFor(() => OUTCOMES.every(([to]) => reportsOf(rx, sent.get(to)!).length === 1), 10_000, 'a report per outcome');
    await sleep(200);
    assert.deepEqual(items(rx).filter((x) => 'seenAt' in x), [], 'nothing is seen before the clock reaches the seen time');

    for (const [to, status, , label] of OUTCOMES) {
      const reports = reportsOf(rx, sent.get(to)!);
      assert.equal(reports.length, 1, `${label}: one report`);
      const [report] = reports;
      assert.deepEqual(statusOf(report), STATUS[status], label);
      const rejected = status === 'REJECTED_DESTINATION';
      assert.deepEqual(
        { to: report.to, messageCount: report.messageCount, callbackData: report.callbackData, applicationId: report.applicationId, entityId: report.entityId, platform: report.platform, sentAt: report.sentAt, doneAt: report.doneAt, currency: report.price.currency },
        { to, messageCount: 1, callbackData: 'order=77', applicationId: 'app-1', entityId: 'ent-1', platform: undefined, sentAt: formatInfobipTime(t0), doneAt: formatInfobipTime(t0), currency: 'EUR' },
        label,
      );
      assert.equal(report.price.pricePerMessage, rejected ? 0 : 0.01, `${label}: price`);
      assert.equal(typeof report.bulkId, 'string');
      assert.equal(report.error.groupName === 'OK', report.error.id === 0, `${label}: v3 error group spelling`);
    }

    clock.advance(SEEN_DELAY_MS - 1);
    await sleep(200);
    assert.deepEqual(items(rx).filter((x) => 'seenAt' in x), [], 'nothing seen 1 ms early');
    clock.advance(1);
    const seenOnes = OUTCOMES.filter(([, , seen]) => seen);
    await rx.waitFor(() => seenOnes.every(([to]) => seenOf(rx, sent.get(to)!).length === 1), 10_000, 'the SEEN reports');
    // Go far on: still nothing for the others, and no second SEEN.
    clock.advance(10 * SEEN_DELAY_MS);
    await sleep(300);
    for (const [to, , seen, label] of OUTCOMES) {
      const seenReports = seenOf(rx, sent.get(to)!);
      assert.equal(seenReports.length, seen ? 1 : 0, `${label}: ${seen ? 'seen once' : 'never seen'}`);
      if (seen) {
        assert.deepEqual(seenReports[0], {
          messageId: sent.get(to),
          from: sender,
          to,
          sentAt: formatInfobipTime(t0),
          seenAt: formatInfobipTime(t0 + SEEN_DELAY_MS),
          applicationId: 'app-1',
          entityId: 'ent-1',
        });
      }
    }
    // The reply of …1011 is not for notifyUrl (inbound messages go to subscriptions or the inbox).
    assert.deepEqual(items(rx).filter((x) => 'integrationType' in x), []);
    assert.ok(rx.requests.every((q) => q.path === '/wa' && /^application\/json/.test(String(q.headers['content-type']))));
    assertSpecShapes(rx);
  });

  it('1003 and 1007 expire at the end of the 48 h validity (1003 after being absent), and are never seen', async () => {
    const rx = await receivers.start();
    const sender = newSender();
    const t0 = clock.now();
    const absent = await sendText(sender, '41793021003', { notifyUrl: rx.url });
    const expiring = await sendText(sender, '41793021007', { notifyUrl: rx.url });
    await sleep(300);
    assert.deepEqual(items(rx), [], 'no intermediate report: WhatsApp has no such option');
    clock.set(t0 + VALIDITY_MS - 1);
    await sleep(200);
    assert.deepEqual(items(rx), [], 'nothing before the validity ends');
    clock.set(t0 + VALIDITY_MS);
    await rx.waitFor(() => reportsOf(rx, absent).length === 1 && reportsOf(rx, expiring).length === 1, 10_000, 'both expiries');
    assert.deepEqual(statusOf(reportsOf(rx, absent)[0]), STATUS.EXPIRED_ABSENT);
    assert.deepEqual(statusOf(reportsOf(rx, expiring)[0]), STATUS.EXPIRED);
    for (const id of [absent, expiring]) assert.equal(reportsOf(rx, id)[0].doneAt, formatInfobipTime(t0 + VALIDITY_MS));
    clock.advance(10 * SEEN_DELAY_MS);
    await sleep(200);
    assert.equal(items(rx).length, 2, 'no SEEN after an expiry');
    assertSpecShapes(rx);
  });

  it('a template message: the same reports to its notifyUrl, one per message of the bulk, under the request bulkId', async () => {
    const rx = await receivers.start();
    const sender = newSender();
    const bulkId = uniq('wa-bulk');
    const content = { templateName: 'order_shipped', templateData: { body: { placeholders: ['Ana', '77'] } }, language: 'en_GB' };
    const response = await ok('POST', '/whatsapp/1/message/template', {
      bulkId,
      messages: [
        { from: sender, to: '41793026727', content, notifyUrl: rx.url, callbackData: 'a' },
        { from: sender, to: '41793021012', content, notifyUrl: rx.url, callbackData: 'b' },
      ],
    });
    const [delivered, unknown] = response.messages.map((m: any) => m.messageId);
    await rx.waitFor(() => reportsOf(rx, delivered).length === 1 && reportsOf(rx, unknown).length === 1, 10_000, 'both reports');
    assert.deepEqual(statusOf(reportsOf(rx, delivered)[0]), STATUS.DELIVERED_TO_HANDSET);
    assert.deepEqual(statusOf(reportsOf(rx, unknown)[0]), STATUS.NOT_DELIVERED);
    assert.deepEqual(items(rx).map((x) => [x.bulkId, x.callbackData]).sort(), [[bulkId, 'a'], [bulkId, 'b']]);
    clock.advance(SEEN_DELAY_MS);
    await rx.waitFor(() => seenOf(rx, delivered).length === 1, 10_000, 'the SEEN of the delivered one');
    await sleep(200);
    assert.equal(seenOf(rx, unknown).length, 0);
    assertSpecShapes(rx);
  });

  it('smsFailover: …1012 is not on WhatsApp, the SMS step delivers its own text; only the final report is pushed, and nothing is seen', async () => {
    const rx = await receivers.start();
    const sender = newSender();
    const response = await ok('POST', '/whatsapp/1/message/template', {
      messages: [
        {
          from: sender,
          to: '41793021012',
          content: { templateName: 'order_shipped', templateData: { body: { placeholders: ['Ana'] } }, language: 'en_GB' },
          notifyUrl: rx.url,
          smsFailover: { from: 'ShopSMS', text: 'Your order has shipped (SMS)' },
        },
      ],
    });
    const id = response.messages[0].messageId;
    await rx.waitFor(() => reportsOf(rx, id).length >= 1, 10_000, 'the final report');
    clock.advance(10 * SEEN_DELAY_MS);
    await sleep(300);
    const reports = reportsOf(rx, id);
    assert.equal(reports.length, 1, `one report (the WhatsApp step's is not pushed): ${JSON.stringify(reports)}`);
    assert.deepEqual(statusOf(reports[0]), STATUS.DELIVERED_TO_HANDSET);
    assert.equal(reports[0].to, '41793021012');
    assert.deepEqual(seenOf(rx, id), [], 'SMS has no SEEN');
    const row = await suite.g.hookline.store.db.selectFrom('messages').select(['channel', 'sender', 'text']).where('message_id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { channel: 'SMS', sender: 'ShopSMS', text: 'Your order has shipped (SMS)' }, 'the SMS step sent smsFailover.text from smsFailover.from');
    assertSpecShapes(rx);
  });
});

describe('through WHATSAPP subscriptions (no notifyUrl)', () => {
  it('DELIVERY and SEEN subscriptions each get their own event; SMS and other senders’ subscriptions get nothing', async () => {
    const sender = newSender();
    const [deliveries, seen, both, smsDelivery, otherSender] = await Promise.all([receivers.start(), receivers.start(), receivers.start(), receivers.start(), receivers.start()]);
    await subscribe(deliveries, ['DELIVERY'], sender);
    await subscribe(seen, ['SEEN'], sender);
    await subscribe(both, ['DELIVERY', 'SEEN'], sender);
    await subscribe(smsDelivery, ['DELIVERY'], sender, 'SMS');
    await subscribe(otherSender, ['DELIVERY', 'SEEN'], newSender());

    const t0 = clock.now();
    const id = await sendText(sender, '41793026727');
    const unseen = await sendText(sender, '41793021010');
    await deliveries.waitFor(() => reportsOf(deliveries, id).length === 1 && reportsOf(deliveries, unseen).length === 1, 10_000, 'the DELIVERY subscription');
    await both.waitFor(() => reportsOf(both, id).length === 1, 10_000, 'the DELIVERY+SEEN subscription, delivery');
    clock.advance(SEEN_DELAY_MS);
    await seen.waitFor(() => seenOf(seen, id).length === 1, 10_000, 'the SEEN subscription');
    await both.waitFor(() => seenOf(both, id).length === 1, 10_000, 'the DELIVERY+SEEN subscription, seen');
    clock.advance(10 * SEEN_DELAY_MS);
    await sleep(300);

    assert.deepEqual(statusOf(reportsOf(deliveries, id)[0]), STATUS.DELIVERED_TO_HANDSET);
    assert.equal(reportsOf(deliveries, id)[0].callbackData, 'order=77');
    assert.deepEqual(seenOf(deliveries, id), [], 'a DELIVERY subscription gets no SEEN');
    assert.deepEqual(items(seen).filter((x) => 'status' in x), [], 'a SEEN subscription gets no delivery report');
    assert.deepEqual(seenOf(seen, id)[0], { messageId: id, from: sender, to: '41793026727', sentAt: formatInfobipTime(t0), seenAt: formatInfobipTime(t0 + SEEN_DELAY_MS) });
    assert.deepEqual(seenOf(seen, unseen), [], '…1010 is never seen');
    assert.deepEqual(seenOf(both, unseen), []);
    assert.deepEqual([smsDelivery.requests.length, otherSender.requests.length], [0, 0], 'SMS subscriptions and other senders get nothing');
    for (const r of [deliveries, seen, both]) {
      assert.ok(r.requests.every((q) => q.path === '/whatsapp'));
      assertSpecShapes(r);
    }
  });

  it('…1011: the reply arrives through a WHATSAPP INBOUND_MESSAGE subscription in the WhatsApp inbound shape, paired with the message; the business marks it read', async () => {
    const sender = newSender();
    const [inbound, seen, smsInbound] = await Promise.all([receivers.start(), receivers.start(), receivers.start()]);
    await subscribe(inbound, ['INBOUND_MESSAGE'], sender);
    await subscribe(seen, ['SEEN'], sender);
    await subscribe(smsInbound, ['INBOUND_MESSAGE'], sender, 'SMS');

    const t0 = clock.now();
    const id = await sendText(sender, '+41793021011');
    await sleep(300);
    assert.deepEqual(repliesTo(inbound, id), [], 'no reply before it is seen');
    clock.advance(SEEN_DELAY_MS);
    await seen.waitFor(() => seenOf(seen, id).length === 1, 10_000, 'the SEEN');
    clock.advance(SEEN_DELAY_MS);
    await inbound.waitFor(() => repliesTo(inbound, id).length === 1, 10_000, 'the reply');

    const [body] = bodies(inbound);
    assert.deepEqual(Object.keys(body), ['results', 'messageCount', 'pendingMessageCount']);
    assert.deepEqual([body.messageCount, body.pendingMessageCount], [1, 0]);
    const [reply] = repliesTo(inbound, id);
    assert.equal(typeof reply.messageId, 'string');
    assert.deepEqual(reply, {
      from: '41793021011',
      to: sender,
      integrationType: 'WHATSAPP',
      receivedAt: formatInfobipTime(t0 + 2 * SEEN_DELAY_MS),
      messageId: reply.messageId,
      pairedMessageId: id,
      callbackData: 'order=77',
      message: { type: 'TEXT', text: 'Thanks!' },
      price: { pricePerMessage: 0, currency: 'EUR' },
      contact: { phoneNumber: '41793021011' },
    });
    assert.equal(smsInbound.requests.length, 0, 'an SMS INBOUND_MESSAGE subscription gets no WhatsApp message');
    assertSpecShapes(inbound);

    // The business reads it: POST …/senders/{its number}/message/{the reply's id}/read.
    clock.advance(1_000);
    const read = await suite.g.api('POST', `/whatsapp/1/senders/${sender}/message/${reply.messageId}/read`, {});
    assert.equal(read.status, 204, JSON.stringify(read.body));
    const row = await suite.g.hookline.store.db.selectFrom('inbound_messages').select(['read_at', 'api', 'channel']).where('message_id', '=', reply.messageId).executeTakeFirstOrThrow();
    assert.deepEqual([Number(row.read_at), row.api, row.channel], [clock.now(), 'whatsapp', 'WHATSAPP']);
  });
});

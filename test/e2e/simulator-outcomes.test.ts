/**
 * Every simulated network outcome, end to end: real gateway, real SQLite, real loopback
 * receivers. Each outcome is sent through v3 (and the non-expiring ones through v2 too) with a
 * notify URL; the pushed report items are checked field by field, in arrival order.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { Receiver, receiverPool } from '../helpers/receiver.ts';

const INFOBIP_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Parses the wire format back to epoch ms. */
const wireMs = (s: string) => Date.parse(s.replace('+0000', 'Z'));

interface Expect {
  statusId: number;
  statusName: string;
  groupId: number;
  groupName: string;
  errorId: number;
  errorName: string;
  errorGroupId: number;
  errorGroupName: string;
  permanent: boolean;
}

const DELIVERED: Expect = { statusId: 5, statusName: 'DELIVERED_TO_HANDSET', groupId: 3, groupName: 'DELIVERED', errorId: 0, errorName: 'NO_ERROR', errorGroupId: 0, errorGroupName: 'OK', permanent: false };
const ABSENT_PENDING: Expect = { statusId: 3, statusName: 'PENDING_WAITING_DELIVERY', groupId: 1, groupName: 'PENDING', errorId: 27, errorName: 'EC_ABSENT_SUBSCRIBER', errorGroupId: 1, errorGroupName: 'HANDSET_ERRORS', permanent: false };
const NOT_DELIVERED: Expect = { statusId: 9, statusName: 'UNDELIVERABLE_NOT_DELIVERED', groupId: 2, groupName: 'UNDELIVERABLE', errorId: 1, errorName: 'EC_UNKNOWN_SUBSCRIBER', errorGroupId: 1, errorGroupName: 'HANDSET_ERRORS', permanent: true };
const EXPIRED_ABSENT: Expect = { statusId: 15, statusName: 'EXPIRED_EXPIRED', groupId: 4, groupName: 'EXPIRED', errorId: 27, errorName: 'EC_ABSENT_SUBSCRIBER', errorGroupId: 1, errorGroupName: 'HANDSET_ERRORS', permanent: false };
const REJECTED_NETWORK: Expect = { statusId: 6, statusName: 'REJECTED_NETWORK', groupId: 5, groupName: 'REJECTED', errorId: 0, errorName: 'NO_ERROR', errorGroupId: 0, errorGroupName: 'OK', permanent: false };
const TO_OPERATOR: Expect = { statusId: 2, statusName: 'DELIVERED_TO_OPERATOR', groupId: 3, groupName: 'DELIVERED', errorId: 0, errorName: 'NO_ERROR', errorGroupId: 0, errorGroupName: 'OK', permanent: false };
const REJECTED_OPERATOR: Expect = { statusId: 4, statusName: 'UNDELIVERABLE_REJECTED_OPERATOR', groupId: 2, groupName: 'UNDELIVERABLE', errorId: 13, errorName: 'EC_CALL_BARRED', errorGroupId: 1, errorGroupName: 'HANDSET_ERRORS', permanent: false };
const EXPIRED_NO_ERROR: Expect = { statusId: 15, statusName: 'EXPIRED_EXPIRED', groupId: 4, groupName: 'EXPIRED', errorId: 0, errorName: 'NO_ERROR', errorGroupId: 0, errorGroupName: 'OK', permanent: false };
const REJECTED_DESTINATION: Expect = { statusId: 52, statusName: 'REJECTED_DESTINATION', groupId: 5, groupName: 'REJECTED', errorId: 0, errorName: 'NO_ERROR', errorGroupId: 0, errorGroupName: 'OK', permanent: false };

function assertStatus(item: Record<string, any>, e: Expect, shape: 'v2' | 'v3', label: string): void {
  assert.equal(item.status?.id, e.statusId, `${label}: status.id`);
  assert.equal(item.status.name, e.statusName, `${label}: status.name`);
  assert.equal(item.status.groupId, e.groupId, `${label}: status.groupId`);
  assert.equal(item.status.groupName, e.groupName, `${label}: status.groupName`);
  assert.equal(typeof item.status.description, 'string', `${label}: status.description`);
  assert.ok(item.status.description.length > 0, `${label}: status.description not empty`);
  assert.equal(item.error?.id, e.errorId, `${label}: error.id`);
  assert.equal(item.error.name, e.errorName, `${label}: error.name`);
  assert.equal(item.error.groupId, e.errorGroupId, `${label}: error.groupId`);
  const groupName = shape === 'v2' && e.errorGroupId === 0 ? 'Ok' : e.errorGroupName;
  assert.equal(item.error.groupName, groupName, `${label}: error.groupName`);
  assert.equal(item.error.permanent, e.permanent, `${label}: error.permanent`);
  assert.equal(typeof item.error.description, 'string', `${label}: error.description`);
}

interface Sent {
  to: string;
  messageId: string;
  bulkId: string;
  /** Wall-clock bracket around the send request (ms). */
  before: number;
  after: number;
}

interface Extras {
  sender?: string;
  entityId?: string;
  applicationId?: string;
  campaignReferenceId?: string;
  callbackData?: string;
}

const FULL: Extras = { sender: 'ShopCo', entityId: 'ent-1', applicationId: 'app-1', campaignReferenceId: 'camp-1', callbackData: 'user=42' };

/** Checks every v3 DeliveryReport property. `mccMnc`/`price` can be overridden (rejections carry none). */
function assertV3Item(item: Record<string, any>, sent: Sent, extras: Extras, label: string, opts: { mccMnc?: string | null; price?: number } = {}): void {
  assert.equal(item.bulkId, sent.bulkId, `${label}: bulkId`);
  assert.equal(item.messageId, sent.messageId, `${label}: messageId`);
  assert.equal(item.to, sent.to, `${label}: to`);
  assert.match(item.sentAt, INFOBIP_TIME, `${label}: sentAt format`);
  assert.match(item.doneAt, INFOBIP_TIME, `${label}: doneAt format`);
  assert.ok(wireMs(item.sentAt) >= sent.before - 1 && wireMs(item.sentAt) <= sent.after + 1_000, `${label}: sentAt ${item.sentAt} near the send`);
  assert.ok(wireMs(item.doneAt) >= wireMs(item.sentAt), `${label}: doneAt not before sentAt`);
  assert.equal(item.messageCount, 1, `${label}: messageCount`);
  const mccMnc = opts.mccMnc === undefined ? '22801' : opts.mccMnc;
  if (mccMnc === null) assert.equal(item.mccMnc, undefined, `${label}: no mccMnc`);
  else assert.equal(item.mccMnc, mccMnc, `${label}: mccMnc`);
  assert.deepEqual(item.price, { pricePerMessage: opts.price ?? 0.01, currency: 'EUR' }, `${label}: price`);
  // v3 names only.
  for (const v2Only of ['from', 'smsCount', 'entityId', 'applicationId']) assert.equal(item[v2Only], undefined, `${label}: no v2 field ${v2Only}`);
  if (extras.sender !== undefined) assert.equal(item.sender, extras.sender, `${label}: sender`);
  else assert.equal(item.sender, undefined, `${label}: no sender`);
  if (extras.entityId !== undefined || extras.applicationId !== undefined) {
    const platform: Record<string, string> = {};
    if (extras.entityId !== undefined) platform.entityId = extras.entityId;
    if (extras.applicationId !== undefined) platform.applicationId = extras.applicationId;
    assert.deepEqual(item.platform, platform, `${label}: platform`);
  } else assert.equal(item.platform, undefined, `${label}: no platform`);
  if (extras.campaignReferenceId !== undefined) assert.equal(item.campaignReferenceId, extras.campaignReferenceId, `${label}: campaignReferenceId`);
  else assert.equal(item.campaignReferenceId, undefined, `${label}: no campaignReferenceId`);
  if (extras.callbackData !== undefined) assert.equal(item.callbackData, extras.callbackData, `${label}: callbackData`);
  else assert.equal(item.callbackData, undefined, `${label}: no callbackData`);
}

/** Checks every v2 SmsReport property. */
function assertV2Item(item: Record<string, any>, sent: Sent, extras: Extras, label: string, opts: { mccMnc?: string | null; price?: number } = {}): void {
  assert.equal(item.bulkId, sent.bulkId, `${label}: bulkId`);
  assert.equal(item.messageId, sent.messageId, `${label}: messageId`);
  assert.equal(item.to, sent.to, `${label}: to`);
  assert.match(item.sentAt, INFOBIP_TIME, `${label}: sentAt format`);
  assert.match(item.doneAt, INFOBIP_TIME, `${label}: doneAt format`);
  assert.ok(wireMs(item.doneAt) >= wireMs(item.sentAt), `${label}: doneAt not before sentAt`);
  assert.equal(item.smsCount, 1, `${label}: smsCount`);
  const mccMnc = opts.mccMnc === undefined ? '22801' : opts.mccMnc;
  if (mccMnc === null) assert.equal(item.mccMnc, undefined, `${label}: no mccMnc`);
  else assert.equal(item.mccMnc, mccMnc, `${label}: mccMnc`);
  assert.deepEqual(item.price, { pricePerMessage: opts.price ?? 0.01, currency: 'EUR' }, `${label}: price`);
  for (const v3Only of ['sender', 'messageCount', 'platform']) assert.equal(item[v3Only], undefined, `${label}: no v3 field ${v3Only}`);
  if (extras.sender !== undefined) assert.equal(item.from, extras.sender, `${label}: from`);
  else assert.equal(item.from, undefined, `${label}: no from`);
  if (extras.entityId !== undefined) assert.equal(item.entityId, extras.entityId, `${label}: entityId`);
  else assert.equal(item.entityId, undefined, `${label}: no entityId`);
  if (extras.applicationId !== undefined) assert.equal(item.applicationId, extras.applicationId, `${label}: applicationId`);
  else assert.equal(item.applicationId, undefined, `${label}: no applicationId`);
  if (extras.campaignReferenceId !== undefined) assert.equal(item.campaignReferenceId, extras.campaignReferenceId, `${label}: campaignReferenceId`);
  else assert.equal(item.campaignReferenceId, undefined, `${label}: no campaignReferenceId`);
  if (extras.callbackData !== undefined) assert.equal(item.callbackData, extras.callbackData, `${label}: callbackData`);
  else assert.equal(item.callbackData, undefined, `${label}: no callbackData`);
}

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

async function sendV3(
  g: TestGateway,
  url: string,
  to: string,
  options: { intermediate?: boolean; validitySeconds?: number; extras?: Extras } = {},
): Promise<Sent> {
  const extras = options.extras ?? {};
  const messageId = uniqueId('msg3');
  const bulkId = uniqueId('bulk3');
  const message: Record<string, any> = {
    destinations: [{ to, messageId }],
    content: { text: 'Hello from the e2e suite' },
    webhooks: { delivery: { url, ...(options.intermediate === undefined ? {} : { intermediateReport: options.intermediate }) } },
  };
  if (extras.sender !== undefined) message.sender = extras.sender;
  if (extras.callbackData !== undefined) message.webhooks.callbackData = extras.callbackData;
  const msgOptions: Record<string, any> = {};
  if (extras.entityId !== undefined || extras.applicationId !== undefined) msgOptions.platform = { entityId: extras.entityId, applicationId: extras.applicationId };
  if (extras.campaignReferenceId !== undefined) msgOptions.campaignReferenceId = extras.campaignReferenceId;
  if (options.validitySeconds !== undefined) msgOptions.validityPeriod = { amount: options.validitySeconds, timeUnit: 'SECONDS' };
  if (Object.keys(msgOptions).length) message.options = msgOptions;
  const before = Date.now();
  const res = await g.api('POST', '/sms/3/messages', { messages: [message], options: { schedule: { bulkId } } });
  const after = Date.now();
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.bulkId, bulkId);
  assert.equal(res.body.messages[0].messageId, messageId);
  return { to, messageId, bulkId, before, after };
}

async function sendV2(
  g: TestGateway,
  url: string,
  to: string,
  options: { intermediate?: boolean; validityMinutes?: number; extras?: Extras } = {},
): Promise<Sent> {
  const extras = options.extras ?? {};
  const messageId = uniqueId('msg2');
  const bulkId = uniqueId('bulk2');
  const message: Record<string, any> = { destinations: [{ to, messageId }], text: 'Hello from the e2e suite', notifyUrl: url };
  if (options.intermediate !== undefined) message.intermediateReport = options.intermediate;
  if (options.validityMinutes !== undefined) message.validityPeriod = options.validityMinutes;
  if (extras.sender !== undefined) message.from = extras.sender;
  if (extras.callbackData !== undefined) message.callbackData = extras.callbackData;
  if (extras.entityId !== undefined) message.entityId = extras.entityId;
  if (extras.applicationId !== undefined) message.applicationId = extras.applicationId;
  if (extras.campaignReferenceId !== undefined) message.campaignReferenceId = extras.campaignReferenceId;
  const before = Date.now();
  const res = await g.api('POST', '/sms/2/text/advanced', { bulkId, messages: [message] });
  const after = Date.now();
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.bulkId, bulkId);
  return { to, messageId, bulkId, before, after };
}

/** Waits for `count` report items, then a little longer to be sure no more arrive. */
async function collect(receiver: Receiver, count: number, settleMs = 250): Promise<Array<Record<string, any>>> {
  await receiver.waitForResults(count, 8_000);
  await sleep(settleMs);
  const results = receiver.results();
  assert.equal(results.length, count, `expected exactly ${count} report item(s), got ${JSON.stringify(results)}`);
  for (const r of receiver.requests) {
    assert.match(String(r.headers['content-type']), /^application\/json/, 'JSON push content type');
    assert.ok(r.headers['webhook-id'], 'webhook-id header');
  }
  return results;
}

describe('simulator outcomes through push (system clock)', () => {
  let g: TestGateway;
  const receivers = receiverPool();
  const newReceiver = receivers.start;

  before(async () => {
    g = await startGateway();
  });
  after(async () => {
    await receivers.closeAll();
    await g.close();
  });

  describe('v3', { concurrency: true }, () => {
    test('default destination → one final DELIVERED_TO_HANDSET / NO_ERROR with every DeliveryReport property', async () => {
      const rx = await newReceiver();
      const sent = await sendV3(g, rx.url, '41793026727', { extras: FULL });
      const [item] = await collect(rx, 1);
      assertStatus(item, DELIVERED, 'v3', 'default');
      assertV3Item(item, sent, FULL, 'default');
    });

    test('optional properties are absent when not given (no sender, platform, campaignReferenceId, callbackData)', async () => {
      const rx = await newReceiver();
      const sent = await sendV3(g, rx.url, '41793026728');
      const [item] = await collect(rx, 1);
      assertStatus(item, DELIVERED, 'v3', 'bare');
      assertV3Item(item, sent, {}, 'bare');
    });

    test('platform with only applicationId carries only applicationId', async () => {
      const rx = await newReceiver();
      const extras = { applicationId: 'only-app' };
      const sent = await sendV3(g, rx.url, '41793026729', { extras });
      const [item] = await collect(rx, 1);
      assert.deepEqual(item.platform, { applicationId: 'only-app' });
      assertV3Item(item, sent, extras, 'platform-app-only');
    });

    test('1001 with intermediateReport → PENDING_WAITING_DELIVERY + EC_ABSENT_SUBSCRIBER strictly before the final DELIVERED_TO_HANDSET', async () => {
      const rx = await newReceiver();
      const sent = await sendV3(g, rx.url, '41790001001', { intermediate: true, extras: FULL });
      const items = await collect(rx, 2);
      assertStatus(items[0], ABSENT_PENDING, 'v3', '1001 intermediate');
      assertStatus(items[1], DELIVERED, 'v3', '1001 final');
      for (const [i, item] of items.entries()) assertV3Item(item, sent, FULL, `1001 #${i}`);
      // Arrival order: two separate POSTs, the intermediate one answered before the final one arrived.
      assert.equal(rx.requests.length, 2, 'intermediate and final arrive in separate requests');
      const bodies = rx.requests.map((r) => JSON.parse(r.body).results[0].status.id);
      assert.deepEqual(bodies, [3, 5], 'arrival order of requests');
      assert.ok(rx.requests[0].at <= rx.requests[1].at);
      assert.ok(wireMs(items[0].doneAt) <= wireMs(items[1].doneAt), 'intermediate doneAt not after the final one');
    });

    test('1001 without intermediateReport → only the final DELIVERED_TO_HANDSET', async () => {
      const rx = await newReceiver();
      const sent = await sendV3(g, rx.url, '41790011001');
      const [item] = await collect(rx, 1, 400);
      assertStatus(item, DELIVERED, 'v3', '1001 no intermediate');
      assertV3Item(item, sent, {}, '1001 no intermediate');
    });

    test('1001 with intermediateReport:false → only the final', async () => {
      const rx = await newReceiver();
      await sendV3(g, rx.url, '41790021001', { intermediate: false });
      const [item] = await collect(rx, 1, 400);
      assertStatus(item, DELIVERED, 'v3', '1001 intermediate:false');
    });

    test('1002 → UNDELIVERABLE_NOT_DELIVERED + EC_UNKNOWN_SUBSCRIBER (permanent)', async () => {
      const rx = await newReceiver();
      const sent = await sendV3(g, rx.url, '41790001002', { extras: FULL });
      const [item] = await collect(rx, 1);
      assertStatus(item, NOT_DELIVERED, 'v3', '1002');
      assertV3Item(item, sent, FULL, '1002');
    });

    test('1003 with intermediateReport → intermediate, then EXPIRED_EXPIRED + EC_ABSENT_SUBSCRIBER at validity end', async () => {
      const rx = await newReceiver();
      const sent = await sendV3(g, rx.url, '41790001003', { intermediate: true, validitySeconds: 1, extras: FULL });
      const items = await collect(rx, 2);
      assertStatus(items[0], ABSENT_PENDING, 'v3', '1003 intermediate');
      // The intermediate report happens at submit (exact timing is proven on the ManualClock below).
      assert.ok(wireMs(items[0].doneAt) - wireMs(items[0].sentAt) < 1_000, 'the intermediate report comes at submit, before validity ends');
      assertStatus(items[1], EXPIRED_ABSENT, 'v3', '1003 final');
      for (const [i, item] of items.entries()) assertV3Item(item, sent, FULL, `1003 #${i}`);
      const lived = wireMs(items[1].doneAt) - wireMs(items[1].sentAt);
      assert.ok(lived >= 1_000 && lived < 5_000, `expired ${lived} ms after sentAt (validity 1 s)`);
      assert.ok(rx.requests[1].at - sent.before >= 1_000, 'the final report is not pushed before the validity ends');
    });

    test('1004 → REJECTED_NETWORK', async () => {
      const rx = await newReceiver();
      const sent = await sendV3(g, rx.url, '41790001004', { extras: FULL });
      const [item] = await collect(rx, 1);
      assertStatus(item, REJECTED_NETWORK, 'v3', '1004');
      assert.equal(item.status.action, 'Contact account manager');
      assertV3Item(item, sent, FULL, '1004');
    });

    test('1005 → DELIVERED_TO_OPERATOR is the last report (nothing follows)', async () => {
      const rx = await newReceiver();
      const sent = await sendV3(g, rx.url, '41790001005', { intermediate: true, extras: FULL });
      const [item] = await collect(rx, 1, 600);
      assertStatus(item, TO_OPERATOR, 'v3', '1005');
      assertV3Item(item, sent, FULL, '1005');
    });

    test('1006 → UNDELIVERABLE_REJECTED_OPERATOR + EC_CALL_BARRED', async () => {
      const rx = await newReceiver();
      const sent = await sendV3(g, rx.url, '41790001006', { extras: FULL });
      const [item] = await collect(rx, 1);
      assertStatus(item, REJECTED_OPERATOR, 'v3', '1006');
      assertV3Item(item, sent, FULL, '1006');
    });

    test('1007 → EXPIRED_EXPIRED / NO_ERROR at validity end, no intermediate', async () => {
      const rx = await newReceiver();
      const sent = await sendV3(g, rx.url, '41790001007', { intermediate: true, validitySeconds: 1, extras: FULL });
      const [item] = await collect(rx, 1);
      assertStatus(item, EXPIRED_NO_ERROR, 'v3', '1007');
      assertV3Item(item, sent, FULL, '1007');
      const lived = wireMs(item.doneAt) - wireMs(item.sentAt);
      assert.ok(lived >= 1_000 && lived < 5_000, `expired ${lived} ms after sentAt (validity 1 s)`);
      assert.ok(rx.requests[0].at - sent.before >= 1_000, 'not pushed before the validity ends');
    });

    test('a rejected destination beside a valid one: both reports pushed, the rejection in the send response too', async () => {
      const rx = await newReceiver();
      const res = await g.api('POST', '/sms/3/messages', {
        messages: [{ destinations: [{ to: '12ab' }, { to: '41793026730' }], content: { text: 'x' }, webhooks: { delivery: { url: rx.url } } }],
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.messages[0].status.name, 'REJECTED_DESTINATION');
      assert.equal(res.body.messages[0].status.groupName, 'REJECTED');
      assert.equal(res.body.messages[1].status.name, 'PENDING_ACCEPTED');
      const items = await collect(rx, 2);
      const byTo = new Map(items.map((i) => [i.to, i]));
      assertStatus(byTo.get('12ab')!, REJECTED_DESTINATION, 'v3', 'rejected beside valid');
      assertStatus(byTo.get('41793026730')!, DELIVERED, 'v3', 'valid beside rejected');
    });
  });

  describe('v2', { concurrency: true }, () => {
    const cases: Array<[string, string, Expect[], boolean]> = [
      ['default', '41793026731', [DELIVERED], false],
      ['1001 with intermediateReport', '41790031001', [ABSENT_PENDING, DELIVERED], true],
      ['1001 without intermediateReport', '41790041001', [DELIVERED], false],
      ['1002', '41790001002', [NOT_DELIVERED], false],
      ['1004', '41790001004', [REJECTED_NETWORK], false],
      ['1005', '41790001005', [TO_OPERATOR], true],
      ['1006', '41790001006', [REJECTED_OPERATOR], false],
    ];
    for (const [name, to, expected, intermediate] of cases) {
      test(`${name} → ${expected.map((e) => e.statusName).join(' then ')} in the v2 SmsReport shape`, async () => {
        const rx = await newReceiver();
        const sent = await sendV2(g, rx.url, to, { intermediate, extras: FULL });
        const items = await collect(rx, expected.length);
        items.forEach((item, i) => {
          assertStatus(item, expected[i], 'v2', `v2 ${name} #${i}`);
          assertV2Item(item, sent, FULL, `v2 ${name} #${i}`);
        });
        if (expected.length > 1) assert.equal(rx.requests.length, expected.length, 'one request per report, in order');
      });
    }

    test('v2 optional properties are absent when not given', async () => {
      const rx = await newReceiver();
      const sent = await sendV2(g, rx.url, '41793026732');
      const [item] = await collect(rx, 1);
      assertStatus(item, DELIVERED, 'v2', 'v2 bare');
      assertV2Item(item, sent, {}, 'v2 bare');
      assert.equal(item.error.groupName, 'Ok');
    });
  });
});

describe('rejected destinations on a quiet gateway (nothing else to wake the dispatcher)', () => {
  let g: TestGateway;
  const receivers = receiverPool();
  const newReceiver = receivers.start;

  before(async () => {
    g = await startGateway();
  });
  after(async () => {
    await receivers.closeAll();
    await g.close();
  });

  test('a rejected destination gets its final REJECTED_DESTINATION report pushed', async () => {
    const rx = await newReceiver();
    const sent = await sendV3(g, rx.url, 'not-a-number', { extras: FULL });
    const [item] = await collect(rx, 1);
    assert.ok(rx.requests[0].at - sent.after < 2_000, `pushed ${rx.requests[0].at - sent.after} ms after intake answered`);
    assertStatus(item, REJECTED_DESTINATION, 'v3', 'rejected');
    assertV3Item(item, sent, FULL, 'rejected', { mccMnc: null, price: 0 });
  });

  test('v2 rejected destination gets its REJECTED_DESTINATION report pushed', async () => {
    const rx = await newReceiver();
    const sent = await sendV2(g, rx.url, 'abc', { extras: FULL });
    const [item] = await collect(rx, 1);
    assert.ok(rx.requests[0].at - sent.after < 2_000, `pushed ${rx.requests[0].at - sent.after} ms after intake answered`);
    assertStatus(item, REJECTED_DESTINATION, 'v2', 'v2 rejected');
    assertV2Item(item, sent, FULL, 'v2 rejected', { mccMnc: null, price: 0 });
  });
});

describe('expiring outcomes on a ManualClock (exactly at validity end)', () => {
  let g: TestGateway;
  let clock: ManualClock;
  let rx: Receiver;

  before(async () => {
    clock = new ManualClock();
    g = await startGateway({}, { clock });
    rx = await Receiver.start();
  });
  after(async () => {
    await rx.close();
    await g.close();
  });

  async function expiryCase(send: () => Promise<Sent>, validityMs: number, expected: Expect[], shape: 'v2' | 'v3') {
    rx.requests.length = 0;
    const t0 = clock.now();
    const sent = await send();
    const intermediates = expected.length - 1;
    if (intermediates) await rx.waitForResults(intermediates, 5_000);
    await sleep(200);
    assert.equal(rx.results().length, intermediates, 'nothing final before the validity ends');
    clock.set(t0 + validityMs - 1);
    await sleep(150);
    assert.equal(rx.results().length, intermediates, 'nothing final 1 ms before the validity ends');
    clock.set(t0 + validityMs);
    const items = await collect(rx, expected.length);
    items.forEach((item, i) => {
      assertStatus(item, expected[i], shape, `${shape} expiry #${i}`);
      assert.equal(item.messageId, sent.messageId);
      assert.equal(item.sentAt, new Date(t0).toISOString().replace('Z', '+0000'));
    });
    assert.equal(items.at(-1)!.doneAt, new Date(t0 + validityMs).toISOString().replace('Z', '+0000'), 'doneAt is the end of validity');
  }

  test('v3 1003 (validityPeriod 1 SECONDS) → intermediate at submit, EXPIRED_EXPIRED + EC_ABSENT_SUBSCRIBER at +1 s', async () => {
    await expiryCase(() => sendV3(g, rx.url, '41790051003', { intermediate: true, validitySeconds: 1 }), 1_000, [ABSENT_PENDING, EXPIRED_ABSENT], 'v3');
  });

  test('v3 1007 → EXPIRED_EXPIRED at +1 s', async () => {
    await expiryCase(() => sendV3(g, rx.url, '41790051007', { validitySeconds: 1 }), 1_000, [EXPIRED_NO_ERROR], 'v3');
  });

  test('v2 1003 (validityPeriod 1 minute) → intermediate, then EXPIRED_EXPIRED + EC_ABSENT_SUBSCRIBER at +60 s', async () => {
    await expiryCase(() => sendV2(g, rx.url, '41790061003', { intermediate: true, validityMinutes: 1 }), 60_000, [ABSENT_PENDING, EXPIRED_ABSENT], 'v2');
  });

  test('v2 1007 → EXPIRED_EXPIRED at +60 s', async () => {
    await expiryCase(() => sendV2(g, rx.url, '41790061007', { validityMinutes: 1 }), 60_000, [EXPIRED_NO_ERROR], 'v2');
  });

  test('v3 without validityPeriod expires after the 48 h default', async () => {
    await expiryCase(() => sendV3(g, rx.url, '41790071007'), 48 * 3_600_000, [EXPIRED_NO_ERROR], 'v3');
  });
});

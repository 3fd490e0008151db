/**
 * `POST /messages-api/1/messages` end to end: real gateway, real loopback receivers. Each channel
 * (SMS, WHATSAPP, VIBER_BM, RCS) is sent to every simulated outcome with `webhooks.delivery.url`
 * and `intermediateReport`, and each pushed item is checked field by field and against the spec's
 * delivery-report schema; the expiring outcomes run on a ManualClock. Then validation: every
 * refusal is a 400 in the ApiError envelope, never a 500.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { gatewayPerSuite } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';
import { parseXml, uniq, v3ErrorProperties, V3_BAD_REQUEST } from '../http/support.ts';
import {
  ABSENT_PENDING,
  assertStatus,
  CHANNELS,
  CHAT_CHANNELS,
  collect,
  DELIVERED,
  EXPIRED_ABSENT,
  EXPIRED_NO_ERROR,
  INFOBIP_TIME,
  message,
  NOT_DELIVERED,
  numberEnding,
  REJECTED_DESTINATION,
  REJECTED_NETWORK,
  REJECTED_OPERATOR,
  send,
  sleep,
  TO_OPERATOR,
  wireMs,
  type Expect,
  type Sent,
} from './messages-api-support.ts';

const FULL = { sender: 'ShopCo', callbackData: 'user=42', platform: { entityId: 'ent-1', applicationId: 'app-1' }, campaignReferenceId: 'camp-1' };

/** Every DeliveryResult property of a pushed item, for a message sent with FULL. */
function assertItem(item: Record<string, any>, sent: Sent, channel: string, label: string, opts: { mccMnc?: number | null; full?: boolean } = {}): void {
  const full = opts.full !== false;
  assert.equal(item.event, 'DELIVERY', `${label}: event`);
  assert.equal(item.channel, channel, `${label}: channel`);
  assert.equal(item.sender, full ? FULL.sender : '', `${label}: sender`);
  assert.equal(item.destination, sent.destination, `${label}: destination`);
  assert.equal(item.bulkId, sent.bulkId, `${label}: bulkId`);
  assert.equal(item.messageId, sent.messageId, `${label}: messageId`);
  assert.equal(item.messageCount, 1, `${label}: messageCount`);
  assert.match(item.sentAt, INFOBIP_TIME, `${label}: sentAt`);
  assert.match(item.doneAt, INFOBIP_TIME, `${label}: doneAt`);
  assert.ok(wireMs(item.doneAt) >= wireMs(item.sentAt), `${label}: doneAt not before sentAt`);
  const mccMnc = opts.mccMnc === undefined ? 22801 : opts.mccMnc;
  assert.equal(item.mccMnc, mccMnc ?? undefined, `${label}: mccMnc is an integer`);
  assert.equal(item.price, undefined, `${label}: the Messages API report has no price`);
  assert.equal(item.to, undefined, `${label}: destination, not to`);
  if (full) {
    assert.equal(item.callbackData, FULL.callbackData, `${label}: callbackData`);
    assert.deepEqual(item.platform, FULL.platform, `${label}: platform`);
    assert.equal(item.campaignReferenceId, FULL.campaignReferenceId, `${label}: campaignReferenceId`);
  } else for (const absent of ['callbackData', 'platform', 'campaignReferenceId']) assert.equal(item[absent], undefined, `${label}: no ${absent}`);
}

describe('Messages API: send and every simulated outcome (system clock)', () => {
  const suite = gatewayPerSuite();
  const { receivers } = suite;

  for (const channel of CHANNELS) {
    const chat = (CHAT_CHANNELS as readonly string[]).includes(channel);
    describe(channel, { concurrency: true }, () => {
      test('the answer: bulkId, and per destination messageId, PENDING_ACCEPTED status, destination', async () => {
        const messageId = uniq('answer');
        const r = await suite.g.api('POST', '/messages-api/1/messages', {
          messages: [message({ channel, to: '+41 79 302 67 27', messageId })],
          options: { schedule: { bulkId: `bulk-${messageId}` } },
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(r.body, {
          bulkId: `bulk-${messageId}`,
          messages: [{ messageId, status: { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' }, destination: '+41 79 302 67 27' }],
        });
      });

      const outcomes: Array<[string, string, Expect[]]> = [
        ['default', '2727', [DELIVERED]],
        ['1001 (absent, then delivered; intermediate report first)', '1001', [ABSENT_PENDING, DELIVERED]],
        ['1002', '1002', [NOT_DELIVERED]],
        ['1004', '1004', [REJECTED_NETWORK]],
        ['1005', '1005', [TO_OPERATOR]],
        ['1006', '1006', [REJECTED_OPERATOR]],
        ['1010', '1010', [DELIVERED]],
        ['1011', '1011', [DELIVERED]],
        // 1012: not a user of the chat channel; on SMS a plain delivery.
        ['1012', '1012', [chat ? NOT_DELIVERED : DELIVERED]],
      ];
      for (const [name, suffix, expected] of outcomes) {
        test(`${name} → ${expected.map((e) => e.status[1]).join(' then ')}`, async () => {
          const rx = await receivers.start();
          const sent = await send(suite.g, { channel, to: numberEnding(suffix), delivery: rx.url, intermediate: true, ...FULL });
          const items = await collect(rx, 'DELIVERY', expected.length);
          items.forEach((item, i) => {
            assertStatus(item, expected[i], `${channel} ${name} #${i}`);
            assertItem(item, sent, channel, `${channel} ${name} #${i}`);
          });
          if (expected.length > 1) assert.equal(rx.requests.length, expected.length, 'the intermediate report and the final one arrive in order, one request each');
        });
      }

      test('1001 without intermediateReport → only the final report', async () => {
        const rx = await receivers.start();
        await send(suite.g, { channel, to: numberEnding('1001'), delivery: rx.url });
        const [item] = await collect(rx, 'DELIVERY', 1, 500);
        assertStatus(item, DELIVERED, `${channel} 1001 final only`);
      });

      test('optional fields are absent when not given; a missing sender is reported as ""', async () => {
        const rx = await receivers.start();
        const sent = await send(suite.g, { channel, to: numberEnding('2728'), delivery: rx.url });
        const [item] = await collect(rx, 'DELIVERY', 1);
        assertItem(item, sent, channel, `${channel} bare`, { full: false });
      });

      test('a rejected destination: REJECTED_DESTINATION in the answer and pushed', async () => {
        const rx = await receivers.start();
        const r = await suite.g.api('POST', '/messages-api/1/messages', { messages: [message({ channel, to: 'not-a-number', delivery: rx.url, ...FULL })] });
        assert.equal(r.status, 200);
        assert.equal(r.body.messages[0].status.name, 'REJECTED_DESTINATION');
        const [item] = await collect(rx, 'DELIVERY', 1);
        assertStatus(item, REJECTED_DESTINATION, `${channel} rejected`);
        assertItem(item, { ...r.body.messages[0], bulkId: r.body.bulkId, before: 0, after: 0 }, channel, `${channel} rejected`, { mccMnc: null });
      });
    });
  }

  test('webhooks.contentType application/xml: <MessagesApiDeliveryReportResponse><results><results>…', async () => {
    const rx = await receivers.start();
    const sent = await send(suite.g, { channel: 'VIBER_BM', to: numberEnding('2729'), delivery: rx.url, ...FULL, extra: { webhooks: { delivery: { url: rx.url }, contentType: 'application/xml', callbackData: 'user=42' } } });
    await rx.waitForRequests(1);
    const request = rx.requests[0];
    assert.match(String(request.headers['content-type']), /^application\/xml/);
    assert.match(request.body, /^<\?xml version="1.0" encoding="UTF-8"\?><MessagesApiDeliveryReportResponse><results><results><event>DELIVERY<\/event><channel>VIBER_BM<\/channel>/);
    const item = parseXml(request.body).MessagesApiDeliveryReportResponse.results.results;
    assert.deepEqual([item.messageId, item.bulkId, item.mccMnc, item.status.name, item.callbackData], [sent.messageId, sent.bulkId, '22801', 'DELIVERED_TO_HANDSET', 'user=42']);
  });

  test('several messages and destinations in one request, each on its own channel', async () => {
    const rx = await receivers.start();
    const r = await suite.g.api('POST', '/messages-api/1/messages', {
      messages: [
        { ...message({ channel: 'SMS', to: numberEnding('2730'), delivery: rx.url }), destinations: [{ to: numberEnding('2731') }, { to: numberEnding('2732') }] },
        message({ channel: 'RCS', to: numberEnding('2733'), delivery: rx.url }),
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.messages.length, 3);
    const items = await collect(rx, 'DELIVERY', 3);
    const channelOf = new Map(items.map((i) => [i.messageId, i.channel]));
    assert.deepEqual(r.body.messages.map((m: any) => channelOf.get(m.messageId)), ['SMS', 'SMS', 'RCS']);
    for (const item of items) assert.equal(item.bulkId, r.body.bulkId);
  });

  test('a client messageId used twice is refused the second time (REJECTED_DUPLICATE_MESSAGE_ID)', async () => {
    const messageId = uniq('dup');
    await send(suite.g, { channel: 'WHATSAPP', to: numberEnding('2734'), messageId });
    const r = await suite.g.api('POST', '/messages-api/1/messages', { messages: [message({ channel: 'WHATSAPP', to: numberEnding('2735'), messageId })] });
    assert.equal(r.status, 200);
    assert.equal(r.body.messages[0].status.name, 'REJECTED_DUPLICATE_MESSAGE_ID');
  });
});

describe('Messages API: expiring outcomes on a ManualClock (at the end of validityPeriod, at least 10 s)', () => {
  const clock = new ManualClock();
  const suite = gatewayPerSuite({}, { clock });
  let rx: Receiver;

  before(async () => {
    rx = await suite.receivers.start();
  });

  for (const channel of CHANNELS) {
    for (const [suffix, expected] of [
      ['1003', [ABSENT_PENDING, EXPIRED_ABSENT]],
      ['1007', [EXPIRED_NO_ERROR]],
    ] as const) {
      test(`${channel} ${suffix} (validityPeriod 10 SECONDS) → ${expected.map((e) => e.status[1]).join(' then ')}`, async () => {
        rx.requests.length = 0;
        const t0 = clock.now();
        const sent = await send(suite.g, { channel, to: numberEnding(suffix), delivery: rx.url, intermediate: true, validitySeconds: 10 });
        const intermediates = expected.length - 1;
        if (intermediates) await rx.waitForResults(intermediates, 5_000);
        clock.set(t0 + 9_999);
        await sleep(200);
        assert.equal(rx.results().length, intermediates, 'nothing final before the validity ends');
        clock.set(t0 + 10_000);
        const items = await collect(rx, 'DELIVERY', expected.length);
        items.forEach((item, i) => {
          assertStatus(item, expected[i], `${channel} ${suffix} #${i}`);
          assert.deepEqual([item.messageId, item.channel], [sent.messageId, channel]);
        });
        assert.equal(items.at(-1)!.doneAt, new Date(t0 + 10_000).toISOString().replace('Z', '+0000'), 'doneAt is the end of validity');
      });
    }
  }
});

describe('Messages API: validation (400 in the ApiError envelope, never a 500)', () => {
  const suite = gatewayPerSuite();

  async function refused(body: unknown): Promise<Array<{ property: string; violation: string }>> {
    const r = await suite.g.api('POST', '/messages-api/1/messages', body);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    v3ErrorProperties(r.body);
    assert.deepEqual([r.body.errorCode, r.body.description, r.body.action, r.body.resources], [V3_BAD_REQUEST.errorCode, V3_BAD_REQUEST.description, V3_BAD_REQUEST.action, []]);
    return r.body.violations;
  }
  const text = { body: { type: 'TEXT', text: 'x' } };

  test('a channel of the spec Hookline does not send on, and one outside the spec', async () => {
    assert.deepEqual(await refused({ messages: [{ channel: 'MESSENGER', destinations: [{ to: '41793026727' }], content: text }] }), [
      { property: 'messages[0].channel', violation: 'channel MESSENGER is not supported (Hookline sends on SMS, WHATSAPP, VIBER_BM, RCS)' },
    ]);
    assert.deepEqual(await refused({ messages: [{ channel: 'PIGEON', destinations: [{ to: '41793026727' }], content: text }] }), [
      { property: 'messages[0].channel', violation: 'must be equal to one of the allowed values' },
    ]);
  });

  test('failover without byChannel destinations', async () => {
    assert.deepEqual(await refused({ messages: [{ channel: 'WHATSAPP', destinations: [{ to: '41793026727' }], content: text, failover: [{ channel: 'SMS' }] }] }), [
      { property: 'messages[0].destinations[0].byChannel', violation: 'is required when failover is used' },
    ]);
  });

  test('validityPeriod under 10 seconds', async () => {
    assert.deepEqual(await refused({ messages: [{ channel: 'SMS', destinations: [{ to: '41793026727' }], content: text, options: { validityPeriod: { amount: 9, timeUnit: 'SECONDS' } } }] }), [
      { property: 'messages[0].options.validityPeriod', violation: 'must be at least 10 seconds' },
    ]);
  });

  test('callbackData over 4000 characters', async () => {
    assert.deepEqual(await refused({ messages: [{ channel: 'RCS', destinations: [{ to: '41793026727' }], content: text, webhooks: { callbackData: 'x'.repeat(4001) } }] }), [
      { property: 'messages[0].webhooks.callbackData', violation: 'must NOT have more than 4000 characters' },
    ]);
  });

  test('a webhook URL that may not be used', async () => {
    const violations = await refused({ messages: [{ channel: 'WHATSAPP', destinations: [{ to: '41793026727' }], content: text, webhooks: { seen: { url: 'ftp://example.com/seen' } } }] });
    assert.deepEqual(violations.map((v) => v.property), ['messages[0].webhooks.seen.url']);
  });

  test('malformed bodies: not JSON, no messages, a wrong type anywhere', async () => {
    const r = await suite.g.api('POST', '/messages-api/1/messages', '{"messages": [', { 'content-type': 'application/json' });
    assert.equal(r.status, 400);
    v3ErrorProperties(r.body);
    assert.deepEqual((await refused({})).map((v) => v.property), ['messages']);
    // Fastify's Ajv coerces a scalar into a one-item array: the item is what is wrong.
    assert.deepEqual((await refused({ messages: 'x' })).map((v) => v.property), ['messages[0]']);
    assert.deepEqual((await refused({ messages: [{ channel: 'SMS', destinations: [{ to: { number: 41793026727 } }], content: { body: { type: 'TEXT', text: [1, 2] } }, webhooks: { delivery: { intermediateReport: 'yes' } } }] })).map((v) => v.property).sort(), [
      'messages[0].content.body.text',
      'messages[0].destinations[0].to',
      'messages[0].webhooks.delivery.intermediateReport',
    ]);
  });

  test('the pull endpoints refuse bad query parameters in the same envelope', async () => {
    for (const path of ['/messages-api/1/inbound', '/messages-api/1/inbound?channel=PIGEON', '/messages-api/1/reports?limit=0', '/messages-api/1/reports?limit=1001', '/messages-api/1/reports?channel=EMAIL']) {
      const r = await suite.g.api('GET', path);
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
      v3ErrorProperties(r.body);
    }
  });
});

/**
 * Messages API requests → OutboundRequest (src/channels/messages-api/outbound.ts), through the
 * real request schema and error handler (createServer + inject, no database): every request
 * example of the spec, then each mapping rule and each refusal, in the ApiError envelope.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { fromMessagesApi } from '../../src/channels/messages-api/outbound.ts';
import { MESSAGES_API_CHANNELS } from '../../src/messaging/channels.ts';
import { MessagesApiRequest } from '../../src/channels/messages-api/schemas.ts';
import { createServer } from '../../src/http/server.ts';
import { MAX_VALIDITY_MS } from '../../src/messaging/outbound.ts';
import { loadSpec } from '../helpers/spec-schema.ts';
import { v3ErrorProperties, V3_BAD_REQUEST } from '../http/support.ts';

const NOW = Date.UTC(2025, 8, 1); // before the spec examples' sendAt (2025-10-01)
const spec = loadSpec('infobip-messages-api-openapi.json');

let app: FastifyInstance;
before(async () => {
  app = createServer({ logger: pino({ level: 'silent' }), maxBodyBytes: 1_000_000, trustProxy: [] });
  app.post('/messages-api/1/messages', { schema: { body: MessagesApiRequest } }, async (request) => fromMessagesApi(request.body as MessagesApiRequest, NOW));
  await app.ready();
});
after(async () => {
  await app.close();
});

async function send(body: unknown): Promise<{ status: number; body: any }> {
  const r = await app.inject({ method: 'POST', url: '/messages-api/1/messages', payload: body as object });
  return { status: r.statusCode, body: r.json() };
}

/** The request's outbound drafts; fails with the body when the request was refused. */
async function drafts(body: unknown): Promise<any> {
  const r = await send(body);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

/** The violations of a refused request, after checking it is a 400 in the ApiError envelope. */
async function refused(body: unknown): Promise<Array<{ property: string; violation: string }>> {
  const r = await send(body);
  assert.equal(r.status, 400, JSON.stringify(r.body));
  v3ErrorProperties(r.body);
  assert.equal(r.body.errorCode, V3_BAD_REQUEST.errorCode);
  return r.body.violations;
}

const text = (channel: string, extra: Record<string, unknown> = {}) => ({
  messages: [{ channel, sender: 'Shop', destinations: [{ to: '41793026727' }], content: { body: { type: 'TEXT', text: 'hi' } }, ...extra }],
});

describe("the spec's request examples", { skip: spec === null && 'shared/reference is not beside the checkout' }, () => {
  const examples = Object.entries<any>(spec?.paths['/messages-api/1/messages'].post.requestBody.content['application/json'].examples ?? {});

  it('there are examples for every channel', () => {
    assert.ok(examples.length > 100, `${examples.length} examples`);
  });

  for (const [name, example] of examples) {
    const message = example.value.messages[0];
    const unsupported = [message.channel, ...(message.failover ?? []).map((f: any) => f.channel)].filter((c) => !MESSAGES_API_CHANNELS.includes(c));
    const templates = [message.template ? 'messages[0].template' : null, ...(message.failover ?? []).map((f: any, k: number) => (f.template ? `messages[0].failover[${k}].template` : null))].filter(Boolean);
    if (unsupported.length || templates.length) {
      it(`${name}: refused, naming ${[...unsupported, ...templates].join(', ')}`, async () => {
        const violations = await refused(example.value);
        for (const channel of unsupported) assert.ok(violations.some((v) => v.violation.startsWith(`channel ${channel} is not supported`)), `${channel}: ${JSON.stringify(violations)}`);
        for (const property of templates) assert.ok(violations.some((v) => v.property === property && v.violation === 'template messages are not supported'), JSON.stringify(violations));
      });
      continue;
    }
    it(`${name}: accepted as ${message.channel} drafts`, async () => {
      const request = await drafts(example.value);
      assert.equal(request.family, 'messages-api');
      assert.equal(request.drafts.length, message.destinations.length);
      const [d] = request.drafts;
      assert.equal(d.channel, message.channel);
      assert.equal(d.text, message.content.body.text ?? '');
      const plain = message.content.body.type === 'TEXT' && !message.content.buttons && !message.content.header && !message.content.footer;
      assert.deepEqual(d.options?.content, plain ? undefined : message.content, 'rich content is stored in options');
    });
  }
});

describe('mapping', () => {
  it('maps every field of a message and its request options', async () => {
    const request = await drafts({
      messages: [
        {
          channel: 'WHATSAPP',
          sender: '447860099299',
          destinations: [{ to: '+41 79 302 67 27', messageId: 'my-id' }, { to: '41793026728' }],
          content: { body: { type: 'TEXT', text: 'Hello https://shop.example/x' } },
          options: {
            platform: { entityId: 'ent', applicationId: 'app' },
            validityPeriod: { amount: 2, timeUnit: 'HOURS' },
            campaignReferenceId: 'camp',
            correlationData: 'corr-1',
            trafficType: 'TRANSACTIONAL',
            adaptationMode: false,
          },
          webhooks: { delivery: { url: 'https://example.com/dlr', intermediateReport: true }, seen: { url: 'https://example.com/seen' }, contentType: 'application/xml', callbackData: 'cb' },
        },
      ],
      options: { schedule: { bulkId: 'bulk-1', sendAt: '2025-09-02T10:00:00.000+0000', sendingSpeedLimit: { amount: 5, timeUnit: 'MINUTE' } }, tracking: { trackingUrl: 'https://example.com/clicks' }, messageOrdering: { respectOrder: false } },
    });
    assert.deepEqual([request.family, request.bulkId, request.sendAt, request.includeCount], ['messages-api', 'bulk-1', Date.UTC(2025, 8, 2, 10), false]);
    const [a, b] = request.drafts;
    assert.deepEqual(
      {
        path: a.path, clientMessageId: a.clientMessageId, messageId: a.messageId, to: a.to, sender: a.sender, text: a.text, binary: a.binary, channel: a.channel,
        notifyUrl: a.notifyUrl, notifyUrlPath: a.notifyUrlPath, engagementUrl: a.engagementUrl, engagementUrlPath: a.engagementUrlPath, contentType: a.contentType,
        notify: a.notify, intermediate: a.intermediate, callbackData: a.callbackData, validityMs: a.validityMs, sendAt: a.sendAt, entityId: a.entityId,
        applicationId: a.applicationId, campaignReferenceId: a.campaignReferenceId, failover: a.failover, failoverReports: a.failoverReports,
      },
      {
        path: 'messages[0].destinations[0]', clientMessageId: 'my-id', messageId: 'my-id', to: '+41 79 302 67 27', sender: '447860099299', text: 'Hello https://shop.example/x', binary: false, channel: 'WHATSAPP',
        notifyUrl: 'https://example.com/dlr', notifyUrlPath: 'messages[0].webhooks.delivery.url', engagementUrl: 'https://example.com/seen', engagementUrlPath: 'messages[0].webhooks.seen.url', contentType: 'application/xml',
        notify: true, intermediate: true, callbackData: 'cb', validityMs: 2 * 3_600_000, sendAt: Date.UTC(2025, 8, 2, 10), entityId: 'ent',
        applicationId: 'app', campaignReferenceId: 'camp', failover: null, failoverReports: false,
      },
    );
    assert.deepEqual(a.linkTracking, { trackClicks: true, trackingUrl: 'https://example.com/clicks', removeProtocol: false, trackingUrlPath: 'options.tracking.trackingUrl' });
    assert.deepEqual(a.options, {
      correlationData: 'corr-1',
      trafficType: 'TRANSACTIONAL',
      adaptationMode: false,
      tracking: { trackingUrl: 'https://example.com/clicks' },
      sendingSpeedLimit: { amount: 5, timeUnit: 'MINUTE' },
      messageOrdering: { respectOrder: false },
    });
    assert.equal(b.clientMessageId, undefined);
    assert.equal(typeof b.messageId, 'string');
    assert.notEqual(b.messageId, a.messageId);
  });

  it('defaults: JSON, no URLs, no intermediate reports, 48 h validity, a generated bulk id, sent at once', async () => {
    const { drafts: [d], bulkId, sendAt } = await drafts(text('SMS'));
    assert.equal(typeof bulkId, 'string');
    assert.equal(sendAt, null);
    assert.deepEqual([d.contentType, d.notifyUrl, d.engagementUrl, d.intermediate, d.validityMs, d.callbackData, d.linkTracking, d.options, d.failover], ['application/json', null, null, false, MAX_VALIDITY_MS, null, null, null, null]);
  });

  it('validityPeriod: MINUTES by default, at least 10 seconds, cut to 48 hours', async () => {
    const validity = async (validityPeriod: unknown) => (await drafts(text('SMS', { options: { validityPeriod } }))).drafts[0].validityMs;
    assert.equal(await validity({ amount: 3 }), 180_000);
    assert.equal(await validity({ amount: 10, timeUnit: 'SECONDS' }), 10_000);
    assert.equal(await validity({ amount: 49, timeUnit: 'HOURS' }), MAX_VALIDITY_MS);
    assert.deepEqual(await refused(text('SMS', { options: { validityPeriod: { amount: 9, timeUnit: 'SECONDS' } } })), [
      { property: 'messages[0].options.validityPeriod', violation: 'must be at least 10 seconds' },
    ]);
  });

  it('failover: each step takes its destination from byChannel, reports of steps on request', async () => {
    const request = await drafts({
      messages: [
        {
          channel: 'WHATSAPP',
          sender: '447860099299',
          destinations: [{ messageId: 'fo-1', byChannel: [{ channel: 'SMS', to: '+41 79 000 1012' }, { channel: 'WHATSAPP', to: '41790001012' }, { channel: 'VIBER_BM', to: '41790001013' }] }],
          content: { body: { type: 'TEXT', text: 'hi' } },
          webhooks: { delivery: { url: 'https://example.com/dlr', receiveTriggeredFailoverReports: true } },
          failover: [{ channel: 'VIBER_BM', sender: 'ViberShop', validityPeriod: { amount: 30, timeUnit: 'SECONDS' } }, { channel: 'SMS', sender: 'Shop', content: { body: { type: 'TEXT', text: 'hi by SMS' } } }],
        },
      ],
    });
    const [d] = request.drafts;
    assert.deepEqual([d.to, d.messageId, d.channel, d.failoverReports], ['41790001012', 'fo-1', 'WHATSAPP', true]);
    // Each step carries its own text and validity (the message takes them when it moves on).
    assert.deepEqual(d.failover, [
      { channel: 'VIBER_BM', sender: 'ViberShop', to: '41790001013', validityMs: 30_000 },
      { channel: 'SMS', sender: 'Shop', to: '41790001012', text: 'hi by SMS' },
    ]);
    assert.equal(d.options?.failover, undefined, 'no step has rich content');
  });

  it('a failover step’s rich content is kept in options; its caption is the step’s text', async () => {
    const image = { body: { type: 'IMAGE', url: 'https://example.com/a.jpg', text: 'see this' } };
    const { drafts: [d] } = await drafts({
      messages: [
        {
          channel: 'RCS',
          destinations: [{ byChannel: [{ channel: 'RCS', to: '41793026727' }, { channel: 'WHATSAPP', to: '41793026727' }, { channel: 'SMS', to: '41793026727' }] }],
          content: { body: { type: 'TEXT', text: 'hi' } },
          failover: [{ channel: 'WHATSAPP', content: image }, { channel: 'SMS' }],
        },
      ],
    });
    assert.deepEqual(d.failover.map((f: any) => [f.channel, f.text]), [['WHATSAPP', 'see this'], ['SMS', undefined]]);
    assert.deepEqual(d.options.failover, [{ channel: 'WHATSAPP', content: image }, { channel: 'SMS' }]);
  });

  it('the deprecated byChannel messageId is used when the destination has none', async () => {
    const { drafts: [d] } = await drafts({ messages: [{ channel: 'RCS', destinations: [{ byChannel: [{ channel: 'RCS', to: '41793026727', messageId: 'old-style' }] }], content: { body: { type: 'TEXT', text: 'x' } } }] });
    assert.deepEqual([d.clientMessageId, d.to, d.failover], ['old-style', '41793026727', null]);
  });

  it('rich content is validated per type and kept in options; a caption is the text', async () => {
    const content = { header: { type: 'TEXT', text: 'Hi' }, body: { type: 'IMAGE', url: 'https://example.com/a.jpg', text: 'caption' }, buttons: [{ type: 'OPEN_URL', text: 'Open', url: 'https://example.com' }], footer: { text: 'bye' } };
    const { drafts: [d] } = await drafts({ messages: [{ channel: 'VIBER_BM', destinations: [{ to: '41793026727' }], content }] });
    assert.equal(d.text, 'caption');
    assert.deepEqual(d.options.content, content);
  });
});

describe('refusals (400, ApiError envelope, every violation named)', () => {
  it('a channel of the spec Hookline does not send on', async () => {
    for (const channel of ['APPLE_MB', 'INSTAGRAM_DM', 'LINE_ON', 'MESSENGER', 'MMS', 'VIBER_BOT']) {
      assert.deepEqual(await refused(text(channel)), [{ property: 'messages[0].channel', violation: `channel ${channel} is not supported (Hookline sends on SMS, WHATSAPP, VIBER_BM, RCS)` }]);
    }
  });

  it('a channel outside the spec', async () => {
    assert.deepEqual(await refused(text('EMAIL')), [{ property: 'messages[0].channel', violation: 'must be equal to one of the allowed values' }]);
  });

  it('failover without byChannel destinations', async () => {
    assert.deepEqual(await refused(text('WHATSAPP', { failover: [{ channel: 'SMS' }] })), [{ property: 'messages[0].destinations[0].byChannel', violation: 'is required when failover is used' }]);
  });

  it('byChannel without the message’s channel or a failover channel; a bad failover number', async () => {
    const violations = await refused({
      messages: [
        { channel: 'WHATSAPP', destinations: [{ byChannel: [{ channel: 'SMS', to: 'not-a-number' }] }], content: { body: { type: 'TEXT', text: 'x' } }, failover: [{ channel: 'SMS' }, { channel: 'RCS' }] },
      ],
    });
    assert.deepEqual(violations, [
      { property: 'messages[0].destinations[0].byChannel', violation: 'must hold a destination for the message’s channel WHATSAPP' },
      { property: 'messages[0].destinations[0].byChannel[0].to', violation: 'must be an international phone number' },
      { property: 'messages[0].destinations[0].byChannel', violation: 'must hold a destination for the failover channel RCS' },
    ]);
  });

  it('failover to the message’s own channel or twice to one channel', async () => {
    const violations = await refused({
      messages: [
        {
          channel: 'WHATSAPP',
          destinations: [{ byChannel: [{ channel: 'WHATSAPP', to: '41793026727' }, { channel: 'SMS', to: '41793026727' }] }],
          content: { body: { type: 'TEXT', text: 'x' } },
          failover: [{ channel: 'WHATSAPP' }, { channel: 'SMS' }, { channel: 'SMS' }],
        },
      ],
    });
    assert.deepEqual(violations, [
      { property: 'messages[0].failover[0].channel', violation: 'must differ from the message’s channel' },
      { property: 'messages[0].failover[2].channel', violation: 'must not repeat an earlier failover channel' },
    ]);
  });

  it('callbackData over 4000 characters', async () => {
    assert.deepEqual(await refused(text('SMS', { webhooks: { callbackData: 'x'.repeat(4001) } })), [{ property: 'messages[0].webhooks.callbackData', violation: 'must NOT have more than 4000 characters' }]);
    await drafts(text('SMS', { webhooks: { callbackData: 'x'.repeat(4000) } }));
  });

  it('a destination with neither or both of to and byChannel', async () => {
    const base = { channel: 'SMS', content: { body: { type: 'TEXT', text: 'x' } } };
    assert.deepEqual(await refused({ messages: [{ ...base, destinations: [{ messageId: 'x' }] }] }), [{ property: 'messages[0].destinations[0].to', violation: 'is required (or byChannel)' }]);
    assert.deepEqual(await refused({ messages: [{ ...base, destinations: [{ to: '41793026727', byChannel: [{ channel: 'SMS', to: '41793026727' }] }] }] }), [
      { property: 'messages[0].destinations[0]', violation: 'must have either to or byChannel, not both' },
    ]);
  });

  it('content: a missing text, a media body without url, a button without its fields, an unknown body type, no content', async () => {
    const message = (content: unknown) => ({ messages: [{ channel: 'WHATSAPP', destinations: [{ to: '41793026727' }], content }] });
    assert.deepEqual(await refused(message({ body: { type: 'TEXT' } })), [{ property: 'messages[0].content.body.text', violation: 'is required for type TEXT' }]);
    assert.deepEqual(await refused(message({ body: { type: 'DOCUMENT', text: 'doc' } })), [{ property: 'messages[0].content.body.url', violation: 'is required for type DOCUMENT' }]);
    assert.deepEqual(await refused(message({ body: { type: 'LOCATION', latitude: 91, longitude: 'east' } })), [
      { property: 'messages[0].content.body.longitude', violation: 'must be a number' },
      { property: 'messages[0].content.body.latitude', violation: 'must be between -90 and 90' },
    ]);
    assert.deepEqual(await refused(message({ body: { type: 'TEXT', text: 'x' }, buttons: [{ type: 'DIAL_PHONE', text: 'Call', phoneNumber: 'abc' }, { type: 'OPEN_URL', text: 'Go' }] })), [
      { property: 'messages[0].content.buttons[0].phoneNumber', violation: 'must be a phone number of up to 15 digits' },
      { property: 'messages[0].content.buttons[1].url', violation: 'is required for type OPEN_URL' },
    ]);
    assert.deepEqual(await refused(message({ body: { type: 'HOLOGRAM', text: 'x' } })), [{ property: 'messages[0].content.body.type', violation: 'must be equal to one of the allowed values' }]);
    assert.deepEqual(await refused({ messages: [{ channel: 'SMS', destinations: [{ to: '41793026727' }] }] }), [{ property: 'messages[0].content', violation: 'is required' }]);
  });

  it('a sendAt that is not a date, or too far ahead', async () => {
    assert.deepEqual(await refused({ ...text('SMS'), options: { schedule: { sendAt: 'tomorrow' } } }), [{ property: 'options.schedule.sendAt', violation: "must be a date-time in the format yyyy-MM-dd'T'HH:mm:ss.SSSZ" }]);
    assert.deepEqual(await refused({ ...text('SMS'), options: { schedule: { sendAt: '2026-09-01T00:00:00.000+0000' } } }), [{ property: 'options.schedule.sendAt', violation: 'must not be more than 180 days in the future' }]);
  });

  it('no messages, an empty destinations list, a missing channel', async () => {
    assert.deepEqual(await refused({ messages: [] }), [{ property: 'messages', violation: 'must NOT have fewer than 1 items' }]);
    const props = (await refused({ messages: [{ destinations: [], content: { body: { type: 'TEXT', text: 'x' } } }] })).map((v) => v.property).sort();
    assert.deepEqual(props, ['messages[0].channel', 'messages[0].destinations']);
  });
});

describe('bounds: each channel’s text, and every string and array of the content', () => {
  const message = (channel: string, content: unknown, extra: Record<string, unknown> = {}) => ({ messages: [{ channel, destinations: [{ to: '41793026727' }], content, ...extra }] });
  const textOf = (n: number) => ({ body: { type: 'TEXT', text: 'x'.repeat(n) } });

  it('text at each channel’s limit is accepted, one more character is refused naming the channel (SMS length is intake’s)', async () => {
    for (const [channel, limit] of [['WHATSAPP', 4096], ['VIBER_BM', 1000], ['RCS', 3072]] as const) {
      await drafts(message(channel, textOf(limit)));
      assert.deepEqual(await refused(message(channel, textOf(limit + 1))), [{ property: 'messages[0].content.body.text', violation: `must NOT have more than ${limit} characters on ${channel}` }], channel);
    }
    assert.equal((await drafts(message('SMS', textOf(4096)))).drafts[0].text.length, 4096);
  });

  it('characters are counted as Infobip counts them: an emoji is one', async () => {
    await drafts(message('VIBER_BM', { body: { type: 'TEXT', text: '😀'.repeat(1000) } }));
    await refused(message('VIBER_BM', { body: { type: 'TEXT', text: '😀'.repeat(1001) } }));
  });

  it('a media caption counts as the text; a text is refused once, for its channel', async () => {
    assert.deepEqual(await refused(message('VIBER_BM', { body: { type: 'IMAGE', url: 'https://example.com/a.jpg', text: 'x'.repeat(1001) } })), [
      { property: 'messages[0].content.body.text', violation: 'must NOT have more than 1000 characters on VIBER_BM' },
    ]);
    assert.deepEqual(await refused(message('WHATSAPP', textOf(5000))), [{ property: 'messages[0].content.body.text', violation: 'must NOT have more than 4096 characters on WHATSAPP' }]);
  });

  it('failover: a step sends the message’s text unless it has its own, each capped on the step’s channel', async () => {
    const byChannel = [{ channel: 'WHATSAPP', to: '41793026727' }, { channel: 'VIBER_BM', to: '41793026727' }, { channel: 'SMS', to: '41793026727' }];
    const withFailover = (text: string, failover: unknown[]) => ({ messages: [{ channel: 'WHATSAPP', destinations: [{ byChannel }], content: { body: { type: 'TEXT', text } }, failover }] });
    assert.deepEqual(await refused(withFailover('x'.repeat(1001), [{ channel: 'VIBER_BM' }, { channel: 'SMS' }])), [
      { property: 'messages[0].content.body.text', violation: 'must NOT have more than 1000 characters on VIBER_BM' },
    ]);
    await drafts(withFailover('x'.repeat(1001), [{ channel: 'VIBER_BM', content: textOf(1000) }, { channel: 'SMS' }]));
    assert.deepEqual(await refused(withFailover('hi', [{ channel: 'VIBER_BM', content: textOf(1001) }])), [
      { property: 'messages[0].failover[0].content.body.text', violation: 'must NOT have more than 1000 characters on VIBER_BM' },
    ]);
  });

  it('every string of the content at any depth (URLs 2048), every array (100 items), nesting (10 levels); buttons (11)', async () => {
    const long = 'x'.repeat(4097);
    const cards = [{ media: { url: `https://example.com/${'a'.repeat(2030)}` }, title: long }];
    assert.deepEqual(await refused(message('RCS', { body: { type: 'CAROUSEL', cards }, footer: { text: long } })), [
      { property: 'messages[0].content.body.cards[0].media.url', violation: 'must NOT have more than 2048 characters' },
      { property: 'messages[0].content.body.cards[0].title', violation: 'must NOT have more than 4096 characters' },
      { property: 'messages[0].content.footer.text', violation: 'must NOT have more than 4096 characters' },
    ]);
    assert.deepEqual(await refused(message('WHATSAPP', { body: { type: 'LIST', text: 'pick', sections: Array.from({ length: 101 }, () => ({ title: 's' })) } })), [
      { property: 'messages[0].content.body.sections', violation: 'must NOT have more than 100 items' },
    ]);
    let deep: unknown = 'leaf';
    for (let k = 0; k < 12; k++) deep = { deeper: deep };
    assert.deepEqual(await refused(message('WHATSAPP', { body: { type: 'FLOW', action: deep, buttonText: 'b', id: 'i', text: 't', token: 'k' } })), [
      { property: 'messages[0].content.body.action.deeper.deeper.deeper.deeper.deeper.deeper.deeper.deeper', violation: 'must not nest more than 10 levels deep' },
    ]);
    const buttons = Array.from({ length: 12 }, (_, k) => ({ type: 'REPLY', text: `b${k}` }));
    assert.deepEqual(await refused(message('RCS', { body: { type: 'TEXT', text: 'x' }, buttons })), [{ property: 'messages[0].content.buttons', violation: 'must NOT have more than 11 items' }]);
    await drafts(message('RCS', { body: { type: 'TEXT', text: 'x' }, buttons: buttons.slice(0, 11) }));
  });

  it('the spec’s own limits and shapes: senderDisplayInfo.name (28), confirmationBody.text, a destination of over 255 characters, a failover step per channel at most', async () => {
    assert.deepEqual(await refused(message('RCS', { body: { type: 'TEXT', text: 'x' }, senderDisplayInfo: { name: 'n'.repeat(29) } })), [
      { property: 'messages[0].content.senderDisplayInfo.name', violation: 'must NOT have more than 28 characters' },
    ]);
    assert.deepEqual(await refused(message('RCS', { body: { type: 'TEXT', text: 'x' }, confirmationBody: {} })), [{ property: 'messages[0].content.confirmationBody.text', violation: "must have required property 'text'" }]);
    assert.deepEqual(await refused({ messages: [{ channel: 'SMS', destinations: [{ to: '4'.repeat(256) }], content: { body: { type: 'TEXT', text: 'x' } } }] }), [
      { property: 'messages[0].destinations[0].to', violation: 'must NOT have more than 255 characters' },
    ]);
    const failover = ['SMS', 'RCS', 'VIBER_BM', 'APPLE_MB', 'INSTAGRAM_DM', 'LINE_ON', 'MESSENGER', 'MMS', 'VIBER_BOT', 'SMS'].map((channel) => ({ channel }));
    assert.deepEqual(await refused({ messages: [{ channel: 'WHATSAPP', destinations: [{ to: '41793026727' }], content: { body: { type: 'TEXT', text: 'x' } }, failover }] }), [
      { property: 'messages[0].failover', violation: 'must NOT have more than 9 items' },
    ]);
  });
});

describe('empty values', () => {
  it('a messageId of "" is no id (the spec allows length 0): one is made, as WhatsApp does; so is a byChannel one', async () => {
    const { drafts: [a, b] } = await drafts({
      messages: [
        { channel: 'SMS', destinations: [{ to: '41793026727', messageId: '' }], content: { body: { type: 'TEXT', text: 'x' } } },
        { channel: 'RCS', destinations: [{ messageId: '', byChannel: [{ channel: 'RCS', to: '41793026728', messageId: '' }] }], content: { body: { type: 'TEXT', text: 'x' } } },
      ],
    });
    for (const d of [a, b]) {
      assert.equal(d.clientMessageId, undefined);
      assert.match(d.messageId, /^[0-9a-f-]{36}$/);
    }
    assert.notEqual(a.messageId, b.messageId);
  });

  it('an empty or blank TEXT is refused, as is any blank required field; an empty caption is none', async () => {
    const message = (content: unknown) => ({ messages: [{ channel: 'WHATSAPP', destinations: [{ to: '41793026727' }], content }] });
    assert.deepEqual(await refused(message({ body: { type: 'TEXT', text: '' } })), [{ property: 'messages[0].content.body.text', violation: 'must not be blank' }]);
    assert.deepEqual(await refused(message({ body: { type: 'TEXT', text: ' \n ' } })), [{ property: 'messages[0].content.body.text', violation: 'must not be blank' }]);
    assert.deepEqual(await refused(message({ body: { type: 'TEXT', text: 'x' }, buttons: [{ type: 'OPEN_URL', text: 'Go', url: '' }] })), [
      { property: 'messages[0].content.buttons[0].url', violation: 'must not be blank' },
    ]);
    const { drafts: [d] } = await drafts(message({ body: { type: 'IMAGE', url: 'https://example.com/a.jpg', text: '' } }));
    assert.equal(d.text, '');
  });
});

describe('request-wide settings', () => {
  it('options.tracking: every draft of every message gets the same link tracking; none without it', async () => {
    const two = { messages: [text('SMS').messages[0], { ...text('WHATSAPP').messages[0], destinations: [{ to: '41793026728' }, { to: '41793026729' }] }] };
    const tracked = await drafts({ ...two, options: { tracking: { trackingUrl: 'https://example.com/clicks', removeProtocol: true } } });
    assert.equal(tracked.drafts.length, 3);
    for (const d of tracked.drafts) assert.deepEqual(d.linkTracking, { trackClicks: true, trackingUrl: 'https://example.com/clicks', removeProtocol: true, trackingUrlPath: 'options.tracking.trackingUrl' });
    assert.deepEqual((await drafts({ ...two, options: { tracking: { shortenUrl: false } } })).drafts.map((d: any) => d.linkTracking), [null, null, null]);
    assert.deepEqual((await drafts(two)).drafts.map((d: any) => d.linkTracking), [null, null, null]);
  });
});

/**
 * The WhatsApp API over HTTP against a real gateway (ManualClock): the send responses in the
 * spec's shapes (`SingleMessageInfo`, `BulkMessageInfo`, JSON and XML), per-message fates at intake,
 * every validation error in the legacy envelope the WhatsApp spec documents (never a 500), the
 * read endpoint (204; an unknown, foreign, SMS or other-number message is 404 alike; read_at from
 * the gateway's clock, kept on a second read), its published throttle, and the scopes of the
 * spec's x-scopes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROUTE_POLICIES } from '../../src/auth/route-policy.ts';
import { ManualClock } from '../../src/clock.ts';
import { startGateway, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import { loadSpec } from '../helpers/spec-schema.ts';
import { LEGACY_FORBIDDEN, LEGACY_TOO_MANY, parseXml, PENDING_ACCEPTED, REJECTED_DESTINATION, REJECTED_DUPLICATE_MESSAGE_ID, uniq } from '../http/support.ts';

const T0 = Date.UTC(2026, 3, 1, 8, 0, 0);
const SENDER = '447860099299';
const TO = '41793026727';
const TEXT = '/whatsapp/1/message/text';
const TEMPLATE = '/whatsapp/1/message/template';
const readPath = (sender: string, messageId: string) => `/whatsapp/1/senders/${encodeURIComponent(sender)}/message/${encodeURIComponent(messageId)}/read`;
const NOT_FOUND = { requestError: { serviceException: { messageId: 'NOT_FOUND', text: 'Not found' } } };
const basic = (u: { username: string; password: string }) => ({ authorization: `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}` });
const OPERATOR = basic(TEST_ADMIN);

let g: TestGateway;
let clock: ManualClock;

before(async () => {
  clock = new ManualClock(T0);
  g = await startGateway({ THROTTLES: 'off' }, { clock });
});
after(async () => {
  await g?.close();
});

async function ok(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<any> {
  const r = await g.api(method, path, body, headers);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const template = (to: string, extra: Record<string, unknown> = {}) => ({
  from: SENDER,
  to,
  content: { templateName: 'order_shipped', templateData: { body: { placeholders: ['Ana'] } }, language: 'en_GB' },
  ...extra,
});

/** The legacy envelope, exactly, with its validationErrors' properties. */
function legacyBadRequest(r: { status: number; body: any }, label: string): string[] {
  assert.equal(r.status, 400, `${label}: ${JSON.stringify(r.body)}`);
  assert.deepEqual(Object.keys(r.body), ['requestError'], label);
  const e = r.body.requestError.serviceException;
  assert.deepEqual([e.messageId, typeof e.text], ['BAD_REQUEST', 'string'], label);
  for (const [property, messages] of Object.entries(e.validationErrors ?? {})) {
    assert.ok(Array.isArray(messages) && messages.every((m) => typeof m === 'string' && m !== ''), `${label}: ${property}`);
  }
  return Object.keys(e.validationErrors ?? {}).sort();
}

describe('send responses', () => {
  it('text: SingleMessageInfo {to, messageCount, messageId, status}; the client messageId is kept', async () => {
    const messageId = uniq('wa-text');
    const body = await ok('POST', TEXT, { type: 'text', from: SENDER, to: TO, messageId, content: { text: 'Hello', previewUrl: false } });
    assert.deepEqual(body, { to: TO, messageCount: 1, messageId, status: PENDING_ACCEPTED });
  });

  it('text: a long text is still one message (no SMS parts on WhatsApp)', async () => {
    const body = await ok('POST', TEXT, { from: SENDER, to: TO, content: { text: 'x'.repeat(4096) } });
    assert.equal(body.messageCount, 1);
    assert.deepEqual(body.status, PENDING_ACCEPTED);
  });

  it('text: a reused messageId and an invalid number are answered per message, as SMS does', async () => {
    const messageId = uniq('wa-dup');
    await ok('POST', TEXT, { from: SENDER, to: TO, messageId, content: { text: 'one' } });
    assert.deepEqual((await ok('POST', TEXT, { from: SENDER, to: TO, messageId, content: { text: 'two' } })).status, REJECTED_DUPLICATE_MESSAGE_ID);
    assert.deepEqual((await ok('POST', TEXT, { from: SENDER, to: 'not-a-number', content: { text: 'x' } })).status, REJECTED_DESTINATION);
  });

  it('text: XML when asked (Accept: application/xml), under SingleMessageInfo', async () => {
    const r = await g.api('POST', TEXT, { from: SENDER, to: TO, content: { text: 'xml' } }, { accept: 'application/xml' });
    assert.equal(r.status, 200);
    const xml = parseXml(r.body).SingleMessageInfo;
    assert.deepEqual([xml.to, xml.messageCount, xml.status.name], [TO, '1', 'PENDING_ACCEPTED']);
  });

  it('template: BulkMessageInfo {messages[], bulkId}, one entry per message in order, the request bulkId kept (or one made)', async () => {
    const bulkId = uniq('wa-bulk');
    const ids = [uniq('t1'), uniq('t2')];
    const body = await ok('POST', TEMPLATE, { type: 'template', bulkId, messages: [template(TO, { messageId: ids[0] }), template('+41 79 302 1005', { messageId: ids[1] }), template('nope')] });
    assert.deepEqual(Object.keys(body), ['messages', 'bulkId']);
    assert.equal(body.bulkId, bulkId);
    assert.deepEqual(body.messages.slice(0, 2), [
      { to: TO, messageCount: 1, messageId: ids[0], status: PENDING_ACCEPTED },
      { to: '+41 79 302 1005', messageCount: 1, messageId: ids[1], status: PENDING_ACCEPTED },
    ]);
    assert.deepEqual(body.messages[2].status, REJECTED_DESTINATION);
    const made = await ok('POST', TEMPLATE, { messages: [template(TO)] });
    assert.match(made.bulkId, /^[0-9a-f-]{36}$/);
  });

  it('the stored message: channel WHATSAPP, family whatsapp, notifyUrl as both report and engagement URL, template content in options', async () => {
    const messageId = uniq('wa-stored');
    const url = 'http://127.0.0.1:9/wa';
    await ok('POST', TEMPLATE, { messages: [template(TO, { messageId, notifyUrl: url, callbackData: 'cb', smsFailover: { from: 'ShopSMS', text: 'sms text' } })] });
    const row = await g.hookline.store.db.selectFrom('messages').selectAll().where('message_id', '=', messageId).executeTakeFirstOrThrow();
    assert.deepEqual(
      { channel: row.channel, family: row.family, sender: row.sender, text: row.text, notify_url: row.notify_url, engagement_url: row.engagement_url, callback_data: row.callback_data, parts: row.parts },
      { channel: 'WHATSAPP', family: 'whatsapp', sender: SENDER, text: 'Ana', notify_url: url, engagement_url: url, callback_data: 'cb', parts: 1 },
    );
    assert.deepEqual(JSON.parse(row.failover!), [{ channel: 'SMS', sender: 'ShopSMS', to: TO, text: 'sms text', parts: 1 }]);
    const options = JSON.parse(row.options!);
    assert.deepEqual([options.templateName, options.language, options.templateData], ['order_shipped', 'en_GB', { body: { placeholders: ['Ana'] } }]);
  });
});

describe('validation errors: 400 in the legacy envelope, never a 500', () => {
  const long = (n: number) => 'x'.repeat(n);
  const text = (extra: Record<string, unknown>) => ({ from: SENDER, to: TO, content: { text: 'hi' }, ...extra });
  const TEXT_CASES: Array<[string, unknown, string[]]> = [
    ['an empty object', {}, ['content', 'from', 'to']],
    ['content without text', text({ content: {} }), ['content.text']],
    ['an empty text', text({ content: { text: '' } }), ['content.text']],
    ['a blank text', text({ content: { text: '   ' } }), ['content.text']],
    ['a text over 4096 characters', text({ content: { text: long(4097) } }), ['content.text']],
    ['content as a string', text({ content: 'hi' }), ['content']],
    ['previewUrl not a boolean', text({ content: { text: 'hi', previewUrl: 'yes' } }), ['content.previewUrl']],
    ['from over 24 characters', text({ from: long(25) }), ['from']],
    ['an empty to', text({ to: '' }), ['to']],
    ['messageId over 200 characters', text({ messageId: long(201) }), ['messageId']],
    ['callbackData over 4000 characters', text({ callbackData: long(4001) }), ['callbackData']],
    ['context without replyToMessageId', text({ context: {} }), ['context.replyToMessageId']],
    ['a notifyUrl to cloud metadata', text({ notifyUrl: 'http://169.254.169.254/latest' }), ['notifyUrl']],
    ['a notifyUrl that is not http(s)', text({ notifyUrl: 'ftp://hooks.example.org/x' }), ['notifyUrl']],
    ['a click trackingUrl that is not http(s)', text({ urlOptions: { trackingUrl: 'ftp://hooks.example.org/x' } }), ['urlOptions.trackingUrl']],
    ['entityId over 255 characters', text({ entityId: long(256) }), ['entityId']],
  ];
  for (const [label, body, properties] of TEXT_CASES) {
    it(`text: ${label} → ${properties.join(', ')}`, async () => {
      assert.deepEqual(legacyBadRequest(await g.api('POST', TEXT, body), label), properties);
    });
  }

  const withContent = (content: Record<string, unknown>) => ({ messages: [template(TO, { content: { templateName: 't', language: 'en', templateData: { body: { placeholders: [] } }, ...content } })] });
  const withData = (data: Record<string, unknown>) => withContent({ templateData: { body: { placeholders: [] }, ...data } });
  const at = 'messages[0].content';
  const TEMPLATE_CASES: Array<[string, unknown, string[]]> = [
    ['no messages', {}, ['messages']],
    ['an empty messages list', { messages: [] }, ['messages']],
    ['a message without from, to, content', { messages: [{}] }, ['messages[0].content', 'messages[0].from', 'messages[0].to']],
    ['no templateName, templateData or language', { messages: [template(TO, { content: {} })] }, [`${at}.language`, `${at}.templateData`, `${at}.templateName`]],
    ['templateData without body', withContent({ templateData: {} }), [`${at}.templateData.body`]],
    ['a body without placeholders', withContent({ templateData: { body: {} } }), [`${at}.templateData.body.placeholders`]],
    ['an empty placeholder', withContent({ templateData: { body: { placeholders: ['a', ''] } } }), [`${at}.templateData.body.placeholders[1]`]],
    ['a header type the spec does not have', withData({ header: { type: 'AUDIO' } }), [`${at}.templateData.header.type`]],
    ['a TEXT header without its placeholder', withData({ header: { type: 'TEXT' } }), [`${at}.templateData.header.placeholder`]],
    ['a DOCUMENT header without mediaUrl and filename', withData({ header: { type: 'DOCUMENT' } }), [`${at}.templateData.header.filename`, `${at}.templateData.header.mediaUrl`]],
    ['a LOCATION header out of range', withData({ header: { type: 'LOCATION', latitude: 91, longitude: 0 } }), [`${at}.templateData.header.latitude`]],
    ['more than ten buttons', withData({ buttons: Array.from({ length: 11 }, () => ({ type: 'QUICK_REPLY', parameter: 'p' })) }), [`${at}.templateData.buttons`]],
    ['a QUICK_REPLY button without parameter', withData({ buttons: [{ type: 'QUICK_REPLY' }] }), [`${at}.templateData.buttons[0].parameter`]],
    ['smsFailover without text', { messages: [template(TO, { smsFailover: { from: 'ShopSMS' } })] }, ['messages[0].smsFailover.text']],
    ['bulkId over 100 characters', { bulkId: long(101), messages: [template(TO)] }, ['bulkId']],
    ['the second message’s notifyUrl refused', { messages: [template(TO), template(TO, { notifyUrl: 'http://169.254.169.254/' })] }, ['messages[1].notifyUrl']],
  ];
  for (const [label, body, properties] of TEMPLATE_CASES) {
    it(`template: ${label} → ${properties.join(', ')}`, async () => {
      assert.deepEqual(legacyBadRequest(await g.api('POST', TEMPLATE, body), label), properties);
    });
  }

  it('bodies that are not a message at all: malformed JSON, an array, null, nothing, plain text; an unknown content type is 415', async () => {
    for (const path of [TEXT, TEMPLATE]) {
      for (const [label, raw] of [['malformed JSON', '{"from":'], ['an array', '[]'], ['null', 'null'], ['a string', '"hi"'], ['nothing', '']] as const) {
        const r = await g.api('POST', path, raw, { 'content-type': 'application/json' });
        legacyBadRequest(r, `${path} ${label}`);
      }
      legacyBadRequest(await g.api('POST', path, 'hello', { 'content-type': 'text/plain' }), `${path} plain text`);
      const csv = await g.api('POST', path, 'a,b', { 'content-type': 'text/csv' });
      assert.equal(csv.status, 415, JSON.stringify(csv.body));
      assert.deepEqual(csv.body, { requestError: { serviceException: { messageId: 'UNSUPPORTED_MEDIA_TYPE', text: 'Unsupported content type' } } });
    }
  });

  it('an XML body is read like JSON (Infobip accepts both)', async () => {
    const xml = `<TextMessage><from>${SENDER}</from><to>${TO}</to><content><text>from xml</text></content></TextMessage>`;
    const r = await g.api('POST', TEXT, xml, { 'content-type': 'application/xml' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.status, PENDING_ACCEPTED);
  });
});

describe('POST /whatsapp/1/senders/{sender}/message/{messageId}/read', () => {
  const NUMBER = '447860011111';
  let other: { key: string; number: string };

  /** A message a person sent to `number` on WhatsApp (or SMS), as the simulator delivers it. */
  async function inbound(number: string, channel: 'WHATSAPP' | 'SMS' = 'WHATSAPP', headers?: Record<string, string>): Promise<string> {
    const body = await ok('POST', '/hookline/1/simulator/inbound', { from: TO, to: number, text: 'Where is my order?', channel, ...(channel === 'WHATSAPP' ? { api: 'whatsapp' } : {}) }, headers);
    return body.messageId;
  }
  const readAt = async (messageId: string) =>
    (await g.hookline.store.db.selectFrom('inbound_messages').select('read_at').where('message_id', '=', messageId).executeTakeFirstOrThrow()).read_at;

  before(async () => {
    await ok('POST', '/hookline/1/numbers', { number: NUMBER });
    // Another account, with its own WhatsApp number.
    const account = await ok('POST', '/hookline/1/accounts', { name: uniq('wa-other') }, OPERATOR);
    const key = await ok('POST', '/settings/2/api-keys', { name: uniq('wa-other-key'), accountId: account.id, scopeGuids: ['whatsapp:manage', 'numbers:manage'] }, OPERATOR);
    other = { key: key.apiKeySecret, number: '447860022222' };
    await ok('POST', '/hookline/1/numbers', { number: other.number }, { authorization: `App ${other.key}` });
  });

  it('204 with no body; read_at is the gateway clock; a second read keeps the first time', async () => {
    const id = await inbound(NUMBER);
    assert.equal(await readAt(id), null);
    const r = await g.api('POST', readPath(NUMBER, id), {});
    assert.equal(r.status, 204);
    assert.equal(r.body, '');
    assert.equal(Number(await readAt(id)), T0);
    clock.advance(60_000);
    assert.equal((await g.api('POST', readPath(`+${NUMBER}`, id), {})).status, 204, 'the sender may be written with +');
    assert.equal(Number(await readAt(id)), T0, 'read once, at the first time');
  });

  it('the SDK’s call (an empty JSON object) and a call with no body at all both work', async () => {
    const id = await inbound(NUMBER);
    assert.equal((await g.api('POST', readPath(NUMBER, id))).status, 204);
    const second = await inbound(NUMBER);
    assert.equal((await g.api('POST', readPath(NUMBER, second), '', { 'content-type': 'application/json' })).status, 204);
  });

  it('404 in the legacy envelope: unknown id, another number of the account, an SMS message, another account’s message', async () => {
    const id = await inbound(NUMBER);
    const sms = await inbound(NUMBER, 'SMS');
    const theirs = await inbound(other.number, 'WHATSAPP', { authorization: `App ${other.key}` });
    for (const [label, sender, messageId] of [
      ['unknown id', NUMBER, 'wamid.unknown'],
      ['the right id under another sender', '447860099999', id],
      ['an SMS, not a WhatsApp message', NUMBER, sms],
      ["another account's message", other.number, theirs],
    ]) {
      const r = await g.api('POST', readPath(sender, messageId), {});
      assert.equal(r.status, 404, label);
      assert.deepEqual(r.body, NOT_FOUND, label);
    }
    assert.equal(await readAt(theirs), null, 'untouched');
    // Its own account reads it.
    assert.equal((await g.api('POST', readPath(other.number, theirs), {}, { authorization: `App ${other.key}` })).status, 204);
    assert.equal(await readAt(id), null, 'nothing else was marked');
  });
});

describe('scopes and throttle', () => {
  it("the route policy's scopes are the spec's x-scopes; all four schemes", () => {
    const spec = loadSpec('infobip-whatsapp-openapi.json');
    const expected: Record<string, string[]> = {
      'POST /whatsapp/1/message/text': spec?.paths['/whatsapp/1/message/text'].post['x-scopes'] ?? ['message:send', 'whatsapp:message:send', 'whatsapp:manage'],
      'POST /whatsapp/1/message/template': spec?.paths['/whatsapp/1/message/template'].post['x-scopes'] ?? ['message:send', 'whatsapp:message:send', 'whatsapp:manage'],
      'POST /whatsapp/1/senders/:sender/message/:messageId/read': spec?.paths['/whatsapp/1/senders/{sender}/message/{messageId}/read'].post['x-scopes'] ?? ['whatsapp:manage'],
    };
    assert.deepEqual(Object.keys(ROUTE_POLICIES).filter((k) => k.includes(' /whatsapp/')).sort(), Object.keys(expected).sort());
    for (const [key, scopes] of Object.entries(expected)) {
      const policy = ROUTE_POLICIES[key];
      assert.ok(typeof policy.access === 'object', key);
      assert.deepEqual([...policy.access.anyOf].sort(), [...scopes].sort(), key);
      assert.equal(policy.schemes, undefined, key);
    }
  });

  it('a whatsapp:message:send key sends but may not mark read; an SMS key may not send on WhatsApp (403, legacy)', async () => {
    const make = async (scopeGuids: string[]) => `App ${(await ok('POST', '/settings/2/api-keys', { name: uniq('wa-scope'), scopeGuids }, OPERATOR)).apiKeySecret}`;
    const sender = await make(['whatsapp:message:send']);
    const sms = await make(['sms:message:send']);
    assert.equal((await g.api('POST', TEXT, { from: SENDER, to: TO, content: { text: 'hi' } }, { authorization: sender })).status, 200);
    const read = await g.api('POST', readPath(SENDER, 'x'), {}, { authorization: sender });
    assert.deepEqual([read.status, read.body], [403, LEGACY_FORBIDDEN]);
    for (const [path, body] of [[TEXT, { from: SENDER, to: TO, content: { text: 'hi' } }], [TEMPLATE, { messages: [template(TO)] }]] as const) {
      const r = await g.api('POST', path, body, { authorization: sms });
      assert.deepEqual([r.status, r.body], [403, LEGACY_FORBIDDEN], path);
    }
  });

  it('mark as read is throttled as published: 10 a second per account, then 429 in the legacy envelope', async () => {
    const throttled = await startGateway({}, { clock: new ManualClock(T0) });
    try {
      for (let i = 0; i < 10; i++) assert.equal((await throttled.api('POST', readPath(SENDER, `wamid.${i}`), {})).status, 404);
      const r = await throttled.api('POST', readPath(SENDER, 'wamid.10'), {});
      assert.deepEqual([r.status, r.body], [429, LEGACY_TOO_MANY]);
    } finally {
      await throttled.close();
    }
  });
});

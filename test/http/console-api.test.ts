/**
 * The console's APIs (src/console-api/) against a real gateway on a ManualClock: real messages
 * sent through the SMS v2 and v3, WhatsApp, Email and Messages APIs to the simulator's magic
 * numbers, their reports and engagements recorded by the real network loop, their webhooks
 * pushed to real receivers on loopback (one fast, one slow, one failing).
 *
 * Everything is sent in `before`, at known clock times, so each test can assert exact answers:
 *
 *   T0          bulk cons-a (v2): a1 → …1001 (intermediate, then delivered), a2 → …1002
 *               (undeliverable), a3 → delivered, a4 → not a number (rejected at intake);
 *               cons-wa1 (WhatsApp), cons-em1 (e-mail, with a link), cons-ma1 (Messages API, SMS)
 *   T0 + 1 s    the finals; T0 + 2 s SEEN (WhatsApp) and OPEN (e-mail); T0 + 3 s CLICK (e-mail)
 *   T0 + 1 h    bulk cons-b (v3): b1 → …1006 (undeliverable), b2 → …1004 (rejected by the
 *               network), b3 → "+41 79 302 6728" (delivered); another account's cons-a3
 *   T0 + 1 h 1 s  their finals
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { formatInfobipTime } from '../../src/lib/infobip-time.ts';
import { startGateway, TEST_ADMIN, TEST_API_KEY, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';
import { sendEmail } from '../channels/email-support.ts';
import { dispatchSettled, V3_FORBIDDEN, V3_NOT_FOUND, v3ErrorProperties, waitUntil } from './support.ts';

const T0 = Date.UTC(2026, 0, 1);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const t = (ms: number) => formatInfobipTime(ms);

const OTHER = { id: 'console-other', username: 'console-other-admin', password: 'other-password-123' };
const ALICE = { username: 'console-alice', password: 'alice-password-123' };
const WHATSAPP_SENDER = '447860099299';
const LONG_TEXT = 'Console log line. '.repeat(12); // 216 characters: two SMS parts, cut to 160 in summaries
const SLOW_MS = 150;

const basic = (u: { username: string; password: string }) => `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;
const app = (secret: string) => `App ${secret}`;

// The catalogue's wire objects, written out: the API must answer exactly these.
const PENDING_ACCEPTED = { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' };
const PENDING_WAITING_DELIVERY = { groupId: 1, groupName: 'PENDING', id: 3, name: 'PENDING_WAITING_DELIVERY', description: 'Message sent, waiting for delivery report' };
const DELIVERED_TO_HANDSET = { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' };
const UNDELIVERABLE_NOT_DELIVERED = { groupId: 2, groupName: 'UNDELIVERABLE', id: 9, name: 'UNDELIVERABLE_NOT_DELIVERED', description: 'Message sent not delivered' };
const REJECTED_DESTINATION = { groupId: 5, groupName: 'REJECTED', id: 52, name: 'REJECTED_DESTINATION', description: 'Invalid destination address' };
const NO_ERROR = { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false };
const EC_ABSENT_SUBSCRIBER = { groupId: 1, groupName: 'HANDSET_ERRORS', id: 27, name: 'EC_ABSENT_SUBSCRIBER', description: 'Absent Subscriber', permanent: false };
const EC_UNKNOWN_SUBSCRIBER = { groupId: 1, groupName: 'HANDSET_ERRORS', id: 1, name: 'EC_UNKNOWN_SUBSCRIBER', description: 'Unknown Subscriber', permanent: true };
const PRICE = { pricePerMessage: 0.01, currency: 'EUR' };

type Params = Record<string, string | number | undefined>;
function path(base: string, params: Params = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.append(key, String(value));
  const text = search.toString();
  return text ? `${base}?${text}` : base;
}

describe('console APIs: /hookline/1/me, /messages, /messages/{id}, /stats', () => {
  const clock = new ManualClock(T0);
  let g: TestGateway;
  const rx = {} as Record<'fast' | 'slow' | 'failing', Receiver>;
  /** Credentials by what they may do (all of the default account but `other`). */
  const auth = { admin: basic(TEST_ADMIN), bootstrap: app(TEST_API_KEY), other: basic(OTHER), smsReader: '', subscriptionsOnly: '', numbersOnly: '' };
  let aliceRole = '';

  const call = (authorization: string, p: string) => g.api('GET', p, undefined, { authorization });
  async function ok(authorization: string, p: string, status = 200): Promise<any> {
    const r = await call(authorization, p);
    assert.equal(r.status, status, `${p}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
  async function post(authorization: string, p: string, body: unknown, status = 200): Promise<any> {
    const r = await g.api('POST', p, body, { authorization });
    assert.equal(r.status, status, `${p}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
  const list = (authorization: string, params: Params = {}) => ok(authorization, path('/hookline/1/messages', { limit: 1000, ...params }));
  const ids = async (authorization: string, params: Params = {}): Promise<string[]> => (await list(authorization, params)).results.map((m: any) => m.messageId);
  const detail = (authorization: string, messageId: string, params: Params = {}) => ok(authorization, path(`/hookline/1/messages/${messageId}`, params));

  /** Waits until every listed message of the default account satisfies `check`. */
  async function waitForMessages(messageIds: string[], check: (m: any) => boolean, what: string): Promise<void> {
    await waitUntil(async () => {
      const all = (await list(auth.bootstrap)).results as any[];
      return messageIds.every((id) => all.some((m) => m.messageId === id && check(m)));
    }, `${what}: ${messageIds.join(', ')}`);
  }
  const timelineLength = (messageId: string, length: number, authorization = auth.bootstrap) =>
    waitUntil(async () => (await detail(authorization, messageId)).timeline.length >= length, `${length} timeline entries of ${messageId}`);

  const settled = () => dispatchSettled(g, clock);

  before(async () => {
    rx.fast = await Receiver.start();
    rx.slow = await Receiver.start();
    rx.slow.respond = () => ({ status: 200, delayMs: SLOW_MS });
    rx.failing = await Receiver.start();
    rx.failing.respond = () => ({ status: 500, body: 'no' });
    g = await startGateway({ SIMULATOR_DELAY_MS: '1000', SIMULATOR_SEEN_DELAY_MS: '1000', THROTTLES: 'off' }, { clock });

    // Principals: keys holding one scope each (their owner is the admin), a user whose role reads WhatsApp logs, another account's admin.
    const key = async (scope: string) => app((await post(auth.admin, '/settings/2/api-keys', { name: `console ${scope}`, scopeGuids: [scope] })).apiKeySecret);
    auth.smsReader = await key('sms:logs:read');
    auth.subscriptionsOnly = await key('subscriptions:manage');
    auth.numbersOnly = await key('numbers:manage');
    aliceRole = (await post(auth.admin, '/hookline/1/roles', { name: 'console-whatsapp-reader', scopes: ['whatsapp:logs:read'] }, 201)).id;
    await post(auth.admin, '/hookline/1/users', { username: ALICE.username, password: ALICE.password, roles: [aliceRole] }, 201);
    await post(auth.admin, '/hookline/1/accounts', { id: OTHER.id, name: 'Console other' }, 201);
    await post(auth.admin, '/hookline/1/users', { username: OTHER.username, password: OTHER.password, roles: ['ACCOUNT_ADMIN'], accountId: OTHER.id }, 201);

    // T0: every API family of the default account.
    await post(auth.bootstrap, '/sms/2/text/advanced', {
      bulkId: 'cons-a',
      messages: [
        { from: 'Hookline', destinations: [{ to: '41793021001', messageId: 'cons-a1' }], text: LONG_TEXT, notifyUrl: rx.fast.url, callbackData: 'cb-a1', validityPeriod: 60 },
        { from: 'Hookline', destinations: [{ to: '41793021002', messageId: 'cons-a2' }], text: 'to an unknown subscriber', notifyUrl: rx.slow.url },
        { from: 'Hookline', destinations: [{ to: '41793026727', messageId: 'cons-a3' }], text: 'to a failing webhook', notifyUrl: rx.failing.url },
        { from: 'Hookline', destinations: [{ to: 'not-a-number', messageId: 'cons-a4' }], text: 'rejected', notifyUrl: rx.fast.url },
      ],
    });
    await post(auth.bootstrap, '/whatsapp/1/message/text', { from: WHATSAPP_SENDER, to: '41793026727', messageId: 'cons-wa1', content: { text: 'hello on WhatsApp' }, notifyUrl: rx.fast.url });
    const email = await sendEmail(g, { from: 'Console <console@example.com>', to: 'reader@example.com', subject: 'Offer', text: 'See https://example.com/offer', messageId: 'cons-em1', bulkId: 'cons-email' });
    assert.equal(email.status, 200, JSON.stringify(email.body));
    await post(auth.bootstrap, '/messages-api/1/messages', {
      messages: [{ channel: 'SMS', sender: 'Hookline', destinations: [{ to: '41793026727', messageId: 'cons-ma1' }], content: { body: { type: 'TEXT', text: 'via the Messages API' } } }],
    });
    const sentAtT0 = ['cons-a1', 'cons-a2', 'cons-a3', 'cons-wa1', 'cons-em1', 'cons-ma1'];
    await waitForMessages(sentAtT0, (m) => m.sentAt === t(T0), 'submitted at T0');
    await timelineLength('cons-a1', 2); // accepted + the intermediate report, at T0
    clock.advance(SECOND);
    await waitForMessages(sentAtT0, (m) => m.doneAt === t(T0 + SECOND), 'final at T0 + 1 s');
    clock.advance(SECOND);
    await timelineLength('cons-wa1', 3);
    await timelineLength('cons-em1', 3);
    clock.advance(SECOND);
    await timelineLength('cons-em1', 4);

    // T0 + 1 h: an SMS v3 bulk, and the other account's message (with a message id the default account used too).
    clock.set(T0 + HOUR);
    await post(auth.bootstrap, '/sms/3/messages', {
      messages: [
        {
          sender: 'Hookline',
          destinations: [
            { to: '41793021006', messageId: 'cons-b1' },
            { to: '41793021004', messageId: 'cons-b2' },
            { to: '+41 79 302 6728', messageId: 'cons-b3' },
          ],
          content: { text: 'second bulk' },
          webhooks: { delivery: { url: rx.slow.url } },
        },
      ],
      options: { schedule: { bulkId: 'cons-b' } },
    });
    await post(auth.other, '/sms/2/text/advanced', { messages: [{ destinations: [{ to: '41793020000', messageId: 'cons-a3' }], text: 'another account' }] });
    await waitForMessages(['cons-b1', 'cons-b2', 'cons-b3'], (m) => m.sentAt === t(T0 + HOUR), 'submitted at T0 + 1 h');
    await waitUntil(async () => (await detail(auth.other, 'cons-a3')).message.sentAt === t(T0 + HOUR), "the other account's message submitted");
    clock.advance(SECOND);
    await waitForMessages(['cons-b1', 'cons-b2', 'cons-b3'], (m) => m.doneAt === t(T0 + HOUR + SECOND), 'final at T0 + 1 h 1 s');
    await waitUntil(async () => (await detail(auth.other, 'cons-a3')).message.doneAt === t(T0 + HOUR + SECOND), "the other account's final report");
    await settled();
  });

  after(async () => {
    await g?.close();
    await Promise.all(Object.values(rx).map((r) => r.close()));
  });

  describe('GET /hookline/1/me', () => {
    it('an IBSSO user: its account, name, scheme and its role\'s scopes; not the operator', async () => {
      const session = await post('', '/auth/1/session', ALICE);
      assert.deepEqual(await ok(`IBSSO ${session.token}`, '/hookline/1/me'), { accountId: 'default', username: ALICE.username, scheme: 'ibsso', scopes: ['whatsapp:logs:read'], operator: false });
    });

    it('API keys: the bootstrap key (no owner, every scope, the operator) and a one-scope key (owned by the admin who made it)', async () => {
      assert.deepEqual(await ok(auth.bootstrap, '/hookline/1/me'), { accountId: 'default', username: null, scheme: 'app', scopes: ['*'], operator: true });
      assert.deepEqual(await ok(auth.smsReader, '/hookline/1/me'), { accountId: 'default', username: TEST_ADMIN.username, scheme: 'app', scopes: ['sms:logs:read'], operator: false });
      // Signed in is enough, whatever the scopes.
      assert.deepEqual(await ok(auth.numbersOnly, '/hookline/1/me'), { accountId: 'default', username: TEST_ADMIN.username, scheme: 'app', scopes: ['numbers:manage'], operator: false });
    });

    it("Basic: the default account's admin is the operator; another account's admin is not", async () => {
      assert.deepEqual(await ok(auth.admin, '/hookline/1/me'), { accountId: 'default', username: TEST_ADMIN.username, scheme: 'basic', scopes: ['*'], operator: true });
      assert.deepEqual(await ok(auth.other, '/hookline/1/me'), { accountId: OTHER.id, username: OTHER.username, scheme: 'basic', scopes: ['*'], operator: false });
    });
  });

  describe('GET /hookline/1/messages', () => {
    const ALL = ['cons-b3', 'cons-b2', 'cons-b1', 'cons-ma1', 'cons-em1', 'cons-wa1', 'cons-a4', 'cons-a3', 'cons-a2', 'cons-a1'];

    it('lists every family newest first (ties in time by the order they were stored), each in one exact shape', async () => {
      const body = await list(auth.bootstrap);
      assert.deepEqual(Object.keys(body), ['results', 'nextCursor']);
      assert.equal(body.nextCursor, null);
      assert.deepEqual(body.results.map((m: any) => m.messageId), ALL);
      const byId = new Map<string, any>(body.results.map((m: any) => [m.messageId, m]));
      assert.deepEqual(byId.get('cons-a1'), {
        messageId: 'cons-a1',
        bulkId: 'cons-a',
        channel: 'SMS',
        api: 'sms-v2',
        from: 'Hookline',
        to: '41793021001',
        text: LONG_TEXT.slice(0, 160),
        messageCount: 2,
        status: DELIVERED_TO_HANDSET,
        error: NO_ERROR,
        createdAt: t(T0),
        sentAt: t(T0),
        doneAt: t(T0 + SECOND),
        callbackData: 'cb-a1',
      });
      assert.deepEqual(byId.get('cons-a4'), {
        messageId: 'cons-a4',
        bulkId: 'cons-a',
        channel: 'SMS',
        api: 'sms-v2',
        from: 'Hookline',
        to: 'not-a-number',
        text: 'rejected',
        messageCount: 1,
        status: REJECTED_DESTINATION,
        error: NO_ERROR,
        createdAt: t(T0),
        sentAt: null,
        doneAt: t(T0),
        callbackData: null,
      });
      assert.deepEqual(
        body.results.map((m: any) => [m.messageId, m.api, m.channel, m.status.name]),
        [
          ['cons-b3', 'sms-v3', 'SMS', 'DELIVERED_TO_HANDSET'],
          ['cons-b2', 'sms-v3', 'SMS', 'REJECTED_NETWORK'],
          ['cons-b1', 'sms-v3', 'SMS', 'UNDELIVERABLE_REJECTED_OPERATOR'],
          ['cons-ma1', 'messages-api', 'SMS', 'DELIVERED_TO_HANDSET'],
          ['cons-em1', 'email', 'EMAIL', 'DELIVERED_TO_HANDSET'],
          ['cons-wa1', 'whatsapp', 'WHATSAPP', 'DELIVERED_TO_HANDSET'],
          ['cons-a4', 'sms-v2', 'SMS', 'REJECTED_DESTINATION'],
          ['cons-a3', 'sms-v2', 'SMS', 'DELIVERED_TO_HANDSET'],
          ['cons-a2', 'sms-v2', 'SMS', 'UNDELIVERABLE_NOT_DELIVERED'],
          ['cons-a1', 'sms-v2', 'SMS', 'DELIVERED_TO_HANDSET'],
        ],
      );
      assert.equal(byId.get('cons-b1').error.name, 'EC_CALL_BARRED');
      assert.equal(byId.get('cons-b3').to, '41793026728', 'stored as intake normalised it');
      assert.equal(byId.get('cons-em1').to, 'reader@example.com');
    });

    it('filters: destination (as typed or normalised), messageId, bulkId, channel, generalStatus, sent time; combined with AND', async () => {
      const a = auth.bootstrap;
      assert.deepEqual(await ids(a, { destination: '41793021001' }), ['cons-a1']);
      assert.deepEqual(await ids(a, { destination: '+41 79 302 6728' }), ['cons-b3']);
      assert.deepEqual(await ids(a, { destination: '0041793026728' }), ['cons-b3']);
      assert.deepEqual(await ids(a, { destination: 'not-a-number' }), ['cons-a4']);
      assert.deepEqual(await ids(a, { destination: '41793026727' }), ['cons-ma1', 'cons-wa1', 'cons-a3']);
      assert.deepEqual(await ids(a, { destination: 'reader@example.com' }), ['cons-em1']);
      assert.deepEqual(await ids(a, { destination: '41700000000' }), []);
      assert.deepEqual(await ids(a, { messageId: 'cons-a2' }), ['cons-a2']);
      assert.deepEqual(await ids(a, { messageId: 'nothing' }), []);
      assert.deepEqual(await ids(a, { bulkId: 'cons-b' }), ['cons-b3', 'cons-b2', 'cons-b1']);
      assert.deepEqual(await ids(a, { channel: 'WHATSAPP' }), ['cons-wa1']);
      assert.deepEqual(await ids(a, { channel: 'EMAIL' }), ['cons-em1']);
      assert.deepEqual(await ids(a, { channel: 'SMS' }), ALL.filter((id) => id !== 'cons-wa1' && id !== 'cons-em1'));
      assert.deepEqual(await ids(a, { channel: 'RCS' }), []);
      assert.deepEqual(await ids(a, { generalStatus: 'DELIVERED' }), ['cons-b3', 'cons-ma1', 'cons-em1', 'cons-wa1', 'cons-a3', 'cons-a1']);
      assert.deepEqual(await ids(a, { generalStatus: 'UNDELIVERABLE' }), ['cons-b1', 'cons-a2']);
      assert.deepEqual(await ids(a, { generalStatus: 'REJECTED' }), ['cons-b2', 'cons-a4']);
      assert.deepEqual(await ids(a, { generalStatus: 'PENDING' }), []);
      assert.deepEqual(await ids(a, { generalStatus: 'EXPIRED' }), []);
      // Sent time (accepted time for one never sent, cons-a4), both bounds inclusive.
      const T0_ONES = ALL.slice(3);
      assert.deepEqual(await ids(a, { sentSince: t(T0 + 30 * MINUTE) }), ['cons-b3', 'cons-b2', 'cons-b1']);
      assert.deepEqual(await ids(a, { sentSince: t(T0 + HOUR) }), ['cons-b3', 'cons-b2', 'cons-b1']);
      assert.deepEqual(await ids(a, { sentSince: t(T0 + HOUR + 1) }), []);
      assert.deepEqual(await ids(a, { sentUntil: t(T0 + 30 * MINUTE) }), T0_ONES);
      assert.deepEqual(await ids(a, { sentUntil: t(T0) }), T0_ONES);
      assert.deepEqual(await ids(a, { sentUntil: t(T0 - 1) }), []);
      assert.deepEqual(await ids(a, { sentSince: t(T0), sentUntil: t(T0) }), T0_ONES);
      // Offsets: 01:00 at +01:00 is T0 (read as UTC it would leave nothing before the bound).
      assert.deepEqual(await ids(a, { sentSince: '2026-01-01T01:00:00+01:00', sentUntil: '2026-01-01T00:59:59.999Z' }), T0_ONES);
      // Combined.
      assert.deepEqual(await ids(a, { bulkId: 'cons-a', generalStatus: 'DELIVERED' }), ['cons-a3', 'cons-a1']);
      assert.deepEqual(await ids(a, { destination: '41793026727', channel: 'SMS', sentUntil: t(T0) }), ['cons-ma1', 'cons-a3']);
      assert.deepEqual(await ids(a, { bulkId: 'cons-b', generalStatus: 'DELIVERED', sentSince: t(T0) }), ['cons-b3']);
      assert.deepEqual(await ids(a, { bulkId: 'cons-b', generalStatus: 'DELIVERED', sentUntil: t(T0) }), []);
    });

    it('every combination of filters answers what the same filters pick from the whole list', async () => {
      const all = (await list(auth.bootstrap)).results as any[];
      const sentOf = (m: any) => Date.parse((m.sentAt ?? m.createdAt).replace('+0000', 'Z'));
      let nonEmpty = 0;
      for (const destination of [undefined, '41793026727', '41793021002'])
        for (const channel of [undefined, 'SMS', 'WHATSAPP'])
          for (const generalStatus of [undefined, 'DELIVERED', 'UNDELIVERABLE', 'REJECTED'])
            for (const range of [{}, { sentSince: T0 + 1 }, { sentUntil: T0 }, { sentSince: T0, sentUntil: T0 + HOUR }]) {
              const expected = all
                .filter(
                  (m) =>
                    (destination === undefined || m.to === destination) &&
                    (channel === undefined || m.channel === channel) &&
                    (generalStatus === undefined || m.status.groupName === generalStatus) &&
                    (range.sentSince === undefined || sentOf(m) >= range.sentSince) &&
                    (range.sentUntil === undefined || sentOf(m) <= range.sentUntil),
                )
                .map((m) => m.messageId);
              const params = { destination, channel, generalStatus, sentSince: range.sentSince && t(range.sentSince), sentUntil: range.sentUntil && t(range.sentUntil) };
              assert.deepEqual(await ids(auth.bootstrap, params), expected, JSON.stringify(params));
              if (expected.length) nonEmpty++;
            }
      assert.ok(nonEmpty >= 20, `only ${nonEmpty} combinations matched anything: the oracle proves little`);
    });

    it('pages with the cursor: no row repeated or skipped, ties in time split across pages, nextCursor null on the last page', async () => {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await ok(auth.bootstrap, path('/hookline/1/messages', { limit: 3, cursor }));
        pages.push(page.results.map((m: any) => m.messageId));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      assert.deepEqual(pages, [ALL.slice(0, 3), ALL.slice(3, 6), ALL.slice(6, 9), ALL.slice(9)]);
      // With a filter, and a page size that ends exactly at the last row: one more (empty) page is not promised.
      const first = await ok(auth.bootstrap, path('/hookline/1/messages', { generalStatus: 'DELIVERED', limit: 3 }));
      assert.deepEqual(first.results.map((m: any) => m.messageId), ['cons-b3', 'cons-ma1', 'cons-em1']);
      const second = await ok(auth.bootstrap, path('/hookline/1/messages', { generalStatus: 'DELIVERED', limit: 3, cursor: first.nextCursor }));
      assert.deepEqual([second.results.map((m: any) => m.messageId), second.nextCursor], [['cons-wa1', 'cons-a3', 'cons-a1'], null]);
      // Default page size is 50: everything here in one page.
      const defaults = await ok(auth.bootstrap, '/hookline/1/messages');
      assert.deepEqual([defaults.results.length, defaults.nextCursor], [ALL.length, null]);
    });

    it('bad parameters are 400 in the v3 envelope, naming the parameter', async () => {
      const bad: Array<[Params, string]> = [
        [{ sentSince: 'yesterday' }, 'sentSince'],
        [{ sentUntil: '2026-13-01T00:00:00Z' }, 'sentUntil'],
        [{ cursor: 'not-a-cursor' }, 'cursor'],
        [{ cursor: Buffer.from(JSON.stringify([T0, 'text'])).toString('base64url') }, 'cursor'],
        [{ cursor: Buffer.from(JSON.stringify([T0, 1.5])).toString('base64url') }, 'cursor'],
        [{ limit: 0 }, 'limit'],
        [{ limit: 1001 }, 'limit'],
        [{ limit: 'ten' }, 'limit'],
        [{ channel: 'FAX' }, 'channel'],
        [{ generalStatus: 'ACCEPTED' }, 'generalStatus'],
      ];
      for (const [params, property] of bad) {
        const r = await call(auth.bootstrap, path('/hookline/1/messages', params));
        assert.equal(r.status, 400, `${JSON.stringify(params)}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(v3ErrorProperties(r.body), [property], JSON.stringify(params));
      }
      // Refused for a caller who may read nothing of the result, too (the parameters are checked first).
      const r = await call(auth.smsReader, path('/hookline/1/messages', { sentSince: 'soon' }));
      assert.deepEqual([r.status, v3ErrorProperties(r.body)], [400, ['sentSince']]);
    });

    it('a principal with only sms:logs:read sees the SMS APIs\' messages, not WhatsApp, e-mail or the Messages API (even on SMS)', async () => {
      assert.deepEqual(await ids(auth.smsReader), ['cons-b3', 'cons-b2', 'cons-b1', 'cons-a4', 'cons-a3', 'cons-a2', 'cons-a1']);
      assert.deepEqual(await ids(auth.smsReader, { channel: 'WHATSAPP' }), []);
      assert.deepEqual(await ids(auth.smsReader, { messageId: 'cons-ma1' }), []);
      assert.deepEqual(await ids(auth.smsReader, { destination: '41793026727' }), ['cons-a3']);
      for (const id of ['cons-wa1', 'cons-em1', 'cons-ma1']) {
        const r = await call(auth.smsReader, `/hookline/1/messages/${id}`);
        assert.deepEqual([r.status, r.body], [404, V3_NOT_FOUND], id);
      }
      assert.equal((await detail(auth.smsReader, 'cons-a1')).message.messageId, 'cons-a1');
      // Paging over the filtered set is as exact as over the whole.
      const page = await ok(auth.smsReader, path('/hookline/1/messages', { limit: 4 }));
      assert.deepEqual(page.results.map((m: any) => m.messageId), ['cons-b3', 'cons-b2', 'cons-b1', 'cons-a4']);
      const rest = await ok(auth.smsReader, path('/hookline/1/messages', { limit: 4, cursor: page.nextCursor }));
      assert.deepEqual([rest.results.map((m: any) => m.messageId), rest.nextCursor], [['cons-a3', 'cons-a2', 'cons-a1'], null]);
    });

    it('a user whose role reads WhatsApp logs sees the WhatsApp message only; a caller holding no logs scope is refused', async () => {
      const session = await post('', '/auth/1/session', ALICE);
      const alice = `IBSSO ${session.token}`;
      assert.deepEqual(await ids(alice), ['cons-wa1']);
      assert.equal((await detail(alice, 'cons-wa1')).message.api, 'whatsapp');
      assert.deepEqual([(await call(alice, '/hookline/1/messages/cons-a1')).status], [404]);
      for (const who of [auth.subscriptionsOnly, auth.numbersOnly]) {
        for (const p of ['/hookline/1/messages', '/hookline/1/messages/cons-a1']) {
          const r = await call(who, p);
          assert.deepEqual([r.status, r.body], [403, V3_FORBIDDEN], p);
        }
      }
    });

    it("accounts: another account's messages do not exist for the caller; the operator may name an account", async () => {
      // The other account sees its own cons-a3 only.
      assert.deepEqual(await ids(auth.other), ['cons-a3']);
      assert.equal((await detail(auth.other, 'cons-a3')).message.to, '41793020000');
      const notMine = await call(auth.other, '/hookline/1/messages/cons-a1');
      assert.deepEqual([notMine.status, notMine.body], [404, V3_NOT_FOUND]);
      for (const p of ['/hookline/1/messages?accountId=default', '/hookline/1/messages/cons-a1?accountId=default']) {
        const r = await call(auth.other, p);
        assert.deepEqual([r.status, r.body], [404, V3_NOT_FOUND], p);
      }
      // The default account's cons-a3 is its own message, whoever else used the id.
      assert.equal((await detail(auth.bootstrap, 'cons-a3')).message.to, '41793026727');
      // The operator looks into the other account; a non-operator of the default account may not.
      assert.deepEqual(await ids(auth.bootstrap, { accountId: OTHER.id }), ['cons-a3']);
      assert.equal((await detail(auth.bootstrap, 'cons-a3', { accountId: OTHER.id })).message.to, '41793020000');
      const r = await call(auth.smsReader, `/hookline/1/messages?accountId=${OTHER.id}`);
      assert.deepEqual([r.status, r.body], [404, V3_NOT_FOUND]);
      const unknown = await call(auth.bootstrap, '/hookline/1/messages/no-such-message');
      assert.deepEqual([unknown.status, unknown.body], [404, V3_NOT_FOUND]);
    });

    it('a destination stored in two spellings: both searched (one index range each), merged newest first, paged without a gap', async () => {
      // Written straight into the store, in an account of their own: intake never stores a valid
      // number as typed, but a search must find both spellings wherever they come from.
      const account = 'console-spellings';
      const typed = '+41 79 302 9999';
      const row = (k: number, destination: string) => ({
        account_id: account, message_id: `spell-${k}`, bulk_id: 'spell', family: 'sms-v2' as const, destination, sender: null, text: 'spelling', parts: 1, notify_url: null,
        content_type: 'application/json', notify: 1, intermediate: 0, callback_data: null, validity_ms: DAY, send_at: null, entity_id: null, application_id: null,
        campaign_reference_id: null, options: null, mcc_mnc: null, username: null, state: 'FINAL' as const, status_id: 5, error_id: 0,
        // Pairs share a time (one of each spelling): the tie is broken by storage order across both ranges.
        created_at: T0 - DAY + Math.floor(k / 2) * SECOND, sent_at: null, done_at: null,
      });
      const rows = Array.from({ length: 9 }, (_, k) => (k === 4 ? row(k, '41793029998') : row(k, k % 2 ? typed : '41793029999')));
      for (const r of rows) await g.hookline.store.db.insertInto('messages').values(r).execute();
      const expected = rows.filter((_, k) => k !== 4).map((r) => r.message_id).reverse();
      const search = (params: Params) => ids(auth.bootstrap, { accountId: account, ...params });
      assert.deepEqual(await search({ destination: typed }), expected);
      assert.deepEqual(await search({ destination: '0041793029999' }), expected.filter((id) => Number(id.slice(6)) % 2 === 0), 'normalised only: the typed spelling is another');
      for (const limit of [1, 2, 3, 8]) {
        const pages: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await ok(auth.bootstrap, path('/hookline/1/messages', { accountId: account, destination: typed, limit, cursor }));
          assert.ok(page.results.length <= limit);
          pages.push(...page.results.map((m: any) => m.messageId));
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
        assert.deepEqual(pages, expected, `limit ${limit}`);
      }
    });
  });

  describe('GET /hookline/1/messages/{messageId}', () => {
    it('a delivered message: accepted, the intermediate report, the final one with its price', async () => {
      const body = await detail(auth.bootstrap, 'cons-a1');
      assert.deepEqual(Object.keys(body), ['message', 'timeline']);
      const { notifyUrl, validityPeriodMs, ...summary } = body.message;
      assert.deepEqual([notifyUrl, validityPeriodMs], [rx.fast.url, HOUR]);
      assert.deepEqual(summary, (await list(auth.bootstrap, { messageId: 'cons-a1' })).results[0], 'the list item plus two fields');
      assert.deepEqual(body.timeline, [
        { at: t(T0), kind: 'ACCEPTED', final: false, channel: 'SMS', status: PENDING_ACCEPTED, error: null, price: null, failoverStep: false, url: null },
        { at: t(T0), kind: 'REPORT', final: false, channel: 'SMS', status: PENDING_WAITING_DELIVERY, error: EC_ABSENT_SUBSCRIBER, price: PRICE, failoverStep: false, url: null },
        { at: t(T0 + SECOND), kind: 'REPORT', final: true, channel: 'SMS', status: DELIVERED_TO_HANDSET, error: NO_ERROR, price: PRICE, failoverStep: false, url: null },
      ]);
    });

    it('an undeliverable message: its final report names the error', async () => {
      const body = await detail(auth.bootstrap, 'cons-a2');
      assert.deepEqual([body.message.status, body.message.error, body.message.validityPeriodMs], [UNDELIVERABLE_NOT_DELIVERED, EC_UNKNOWN_SUBSCRIBER, 48 * HOUR]);
      assert.deepEqual(body.timeline, [
        { at: t(T0), kind: 'ACCEPTED', final: false, channel: 'SMS', status: PENDING_ACCEPTED, error: null, price: null, failoverStep: false, url: null },
        { at: t(T0 + SECOND), kind: 'REPORT', final: true, channel: 'SMS', status: UNDELIVERABLE_NOT_DELIVERED, error: EC_UNKNOWN_SUBSCRIBER, price: PRICE, failoverStep: false, url: null },
      ]);
    });

    it('a destination rejected at intake: its final report at once, free', async () => {
      const body = await detail(auth.bootstrap, 'cons-a4');
      assert.deepEqual(body.timeline, [
        { at: t(T0), kind: 'ACCEPTED', final: false, channel: 'SMS', status: PENDING_ACCEPTED, error: null, price: null, failoverStep: false, url: null },
        { at: t(T0), kind: 'REPORT', final: true, channel: 'SMS', status: REJECTED_DESTINATION, error: NO_ERROR, price: { pricePerMessage: 0, currency: 'EUR' }, failoverStep: false, url: null },
      ]);
    });

    it('engagements: a WhatsApp message SEEN, an e-mail OPENed and its link CLICKed', async () => {
      const whatsapp = await detail(auth.bootstrap, 'cons-wa1');
      assert.deepEqual(whatsapp.message.notifyUrl, rx.fast.url);
      assert.deepEqual(
        whatsapp.timeline.map((e: any) => [e.at, e.kind, e.final, e.channel, e.status?.name ?? null, e.price, e.url]),
        [
          [t(T0), 'ACCEPTED', false, 'WHATSAPP', 'PENDING_ACCEPTED', null, null],
          [t(T0 + SECOND), 'REPORT', true, 'WHATSAPP', 'DELIVERED_TO_HANDSET', PRICE, null],
          [t(T0 + 2 * SECOND), 'SEEN', false, 'WHATSAPP', null, null, null],
        ],
      );
      assert.deepEqual(whatsapp.timeline[2], { at: t(T0 + 2 * SECOND), kind: 'SEEN', final: false, channel: 'WHATSAPP', status: null, error: null, price: null, failoverStep: false, url: null });
      const email = await detail(auth.bootstrap, 'cons-em1');
      assert.deepEqual(
        email.timeline.map((e: any) => [e.at, e.kind, e.final, e.channel, e.status?.name ?? null, e.url]),
        [
          [t(T0), 'ACCEPTED', false, 'EMAIL', 'PENDING_ACCEPTED', null],
          [t(T0 + SECOND), 'REPORT', true, 'EMAIL', 'DELIVERED_TO_HANDSET', null],
          [t(T0 + 2 * SECOND), 'OPEN', false, 'EMAIL', null, null],
          [t(T0 + 3 * SECOND), 'CLICK', false, 'EMAIL', null, 'https://example.com/offer'],
        ],
      );
    });
  });

  describe('GET /hookline/1/stats', () => {
    const WINDOW = { from: t(T0), to: t(T0 + 2 * HOUR), buckets: 2 };

    /** Per target, from the attempt log: counts and nearest-rank percentiles of durations (the oracle). */
    async function attemptLogStats(from: number, to: number) {
      const attempts = (await ok(auth.bootstrap, path('/hookline/1/attempts', { from: t(from), to: t(to), limit: 1000 }))).results as any[];
      assert.ok(attempts.length < 1000);
      const byTarget = new Map<string, any[]>();
      for (const a of attempts) byTarget.set(JSON.stringify(a.target), [...(byTarget.get(JSON.stringify(a.target)) ?? []), a]);
      const rank = (sorted: number[], p: number) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
      return [...byTarget.entries()]
        .map(([target, list]) => {
          const durations = list.map((a) => a.durationMs).sort((x, y) => x - y);
          const succeeded = list.filter((a) => a.errorClass === null).length;
          return { target: JSON.parse(target), attempts: list.length, succeeded, successRate: succeeded / list.length, p50Ms: rank(durations, 50), p90Ms: rank(durations, 90), p99Ms: rank(durations, 99) };
        })
        .sort((x, y) => y.attempts - x.attempts || (JSON.stringify(x.target.url) < JSON.stringify(y.target.url) ? -1 : 1));
    }

    it('counts final reports per bucket (delivered, failed, other) and webhook attempts per target with percentiles', async () => {
      const body = await ok(auth.bootstrap, path('/hookline/1/stats', WINDOW));
      assert.deepEqual(Object.keys(body), ['from', 'to', 'bucketMs', 'reports', 'targets']);
      assert.deepEqual([body.from, body.to, body.bucketMs], [t(T0), t(T0 + 2 * HOUR), HOUR]);
      // T0: a1, a3, WhatsApp, e-mail, Messages API delivered; a2 undeliverable, a4 rejected. T0 + 1 h: b3 delivered; b1, b2 failed.
      // (The intermediate report of a1 is not final; the other account's message is not this account's.)
      assert.deepEqual(body.reports, [
        { at: t(T0), delivered: 5, failed: 2, other: 0 },
        { at: t(T0 + HOUR), delivered: 1, failed: 2, other: 0 },
      ]);
      const expected = await attemptLogStats(T0, T0 + 2 * HOUR);
      assert.deepEqual(body.targets, expected, 'the same numbers as the attempt log');
      const byUrl = new Map<string, any>(body.targets.map((s: any) => [s.target.url, s]));
      assert.deepEqual([...byUrl.keys()].sort(), [rx.fast.url, rx.slow.url, rx.failing.url].sort());
      const failing = byUrl.get(rx.failing.url);
      assert.deepEqual([failing.succeeded, failing.successRate], [0, 0]);
      assert.ok(failing.attempts >= 2, 'the failed first attempt and its retry at T0 + 1 h');
      assert.equal(byUrl.get(rx.fast.url).successRate, 1);
      const slow = byUrl.get(rx.slow.url);
      assert.equal(slow.successRate, 1);
      assert.ok(slow.p50Ms >= SLOW_MS - 10 && slow.p99Ms < 10_000, `the slow receiver answers after ${SLOW_MS} ms: ${JSON.stringify(slow)}`);
      assert.ok(slow.p50Ms <= slow.p90Ms && slow.p90Ms <= slow.p99Ms);
      assert.equal(rx.failing.requests.length, failing.attempts, 'every attempt the receiver saw is counted');
    });

    it('the default window is the last hour before now, in 60 buckets; `to` is exclusive', async () => {
      // Now is T0 + 1 h 1 s: the finals at T0 + 1 s are in the first bucket, cons-a4 (T0) before it, bulk b (T0 + 1 h 1 s) at `to`.
      const body = await ok(auth.bootstrap, '/hookline/1/stats');
      assert.deepEqual([body.from, body.to, body.bucketMs, body.reports.length], [t(T0 + SECOND), t(T0 + HOUR + SECOND), MINUTE, 60]);
      assert.deepEqual(body.reports[0], { at: t(T0 + SECOND), delivered: 5, failed: 1, other: 0 });
      assert.deepEqual(body.reports[59], { at: t(T0 + SECOND + 59 * MINUTE), delivered: 0, failed: 0, other: 0 });
      assert.equal(body.reports.slice(1).reduce((n: number, b: any) => n + b.delivered + b.failed + b.other, 0), 0);
      // Only `from`: up to now. Only `to`: the hour before it.
      const since = await ok(auth.bootstrap, path('/hookline/1/stats', { from: t(T0), buckets: 1 }));
      assert.deepEqual([since.from, since.to, since.bucketMs, since.reports], [t(T0), t(T0 + HOUR + SECOND), HOUR + SECOND, [{ at: t(T0), delivered: 5, failed: 2, other: 0 }]]);
      const until = await ok(auth.bootstrap, path('/hookline/1/stats', { to: t(T0 + HOUR + SECOND + 1), buckets: 1 }));
      assert.deepEqual([until.from, until.reports], [t(T0 + SECOND + 1), [{ at: t(T0 + SECOND + 1), delivered: 1, failed: 2, other: 0 }]]);
      // Uneven division: exactly `buckets` buckets, bucket i from `from` + floor(i × span / buckets).
      const uneven = await ok(auth.bootstrap, path('/hookline/1/stats', { from: t(T0), to: t(T0 + 10), buckets: 3 }));
      assert.deepEqual([uneven.bucketMs, uneven.reports.map((b: any) => b.at)], [10 / 3, [t(T0), t(T0 + 3), t(T0 + 6)]]);
      assert.deepEqual(uneven.reports[0], { at: t(T0), delivered: 0, failed: 1, other: 0 }, 'cons-a4, rejected at T0');
      const six = await ok(auth.bootstrap, path('/hookline/1/stats', { from: t(T0), to: t(T0 + 10), buckets: 6 }));
      assert.deepEqual(six.reports.map((b: any) => b.at), [0, 1, 3, 5, 6, 8].map((ms) => t(T0 + ms)), 'six buckets of a 10 ms window, not five');
      // A window shorter than `buckets` milliseconds: one bucket per millisecond.
      const short = await ok(auth.bootstrap, path('/hookline/1/stats', { from: t(T0), to: t(T0 + 5), buckets: 60 }));
      assert.deepEqual([short.bucketMs, short.reports.map((b: any) => b.at)], [1, [0, 1, 2, 3, 4].map((ms) => t(T0 + ms))]);
    });

    it('a report lands in the bucket whose [start, next start) holds its time, at every boundary', async () => {
      // The finals at T0 + 1 s (delivered 5, failed 1). With the window starting k ms before them
      // (k < 1000: after T0, so cons-a4 rejected at T0 stays out) they are k ms in: bucket i = the last start ≤ k.
      for (const [span, buckets] of [[7, 3], [10, 6], [1_000, 7], [59, 59], [3_601, 60]]) {
        const step = Math.max(1, Math.floor(span / 13));
        const offsets = new Set([...Array.from({ length: Math.ceil(span / step) }, (_, j) => j * step), span - 1].filter((k) => k < 1_000));
        for (const k of offsets) {
          const from = T0 + SECOND - k;
          const body = await ok(auth.bootstrap, path('/hookline/1/stats', { from: t(from), to: t(from + span), buckets, parts: 'reports' }));
          assert.equal(body.reports.length, buckets);
          const starts = body.reports.map((b: any) => Date.parse(b.at.replace('+0000', 'Z')) - from);
          const expected = starts.findLastIndex((start: number) => start <= k);
          const counted = body.reports.map((b: any, i: number) => [i, b.delivered, b.failed]).filter(([, d, f]: number[]) => d + f > 0);
          assert.deepEqual(counted, [[expected, 5, 1]], `span ${span}, ${buckets} buckets, finals ${k} ms in (starts ${starts.join(',')})`);
        }
      }
    });

    it('`parts` asks for reports, targets or both; a part not asked for is []', async () => {
      const both = await ok(auth.bootstrap, path('/hookline/1/stats', WINDOW));
      assert.ok(both.reports.length === 2 && both.targets.length === 3);
      const only = async (parts: string | undefined) => ok(auth.bootstrap, path('/hookline/1/stats', { ...WINDOW, parts }));
      assert.deepEqual(await only('reports'), { ...both, targets: [] });
      assert.deepEqual(await only('targets'), { ...both, reports: [] });
      assert.deepEqual(await only('reports,targets'), both);
      assert.deepEqual(await only('targets,reports'), both);
      const repeated = await ok(auth.bootstrap, `${path('/hookline/1/stats', WINDOW)}&parts=targets&parts=reports`);
      assert.deepEqual(repeated, both);
      // Asking cannot widen what a caller may see.
      assert.deepEqual((await ok(auth.smsReader, path('/hookline/1/stats', { ...WINDOW, parts: 'targets' }))).targets, []);
      assert.deepEqual((await ok(auth.subscriptionsOnly, path('/hookline/1/stats', { ...WINDOW, parts: 'reports,targets' }))).reports, []);
      // A part not asked for is not computed: the statements the gateway runs meanwhile (seen by
      // wrapping its Kysely executor) include no stats query of that part.
      async function statementsFor(parts: string): Promise<string[]> {
        const seen: string[] = [];
        const executor = g.hookline.store.db.getExecutor() as any;
        const original = executor.executeQuery;
        executor.executeQuery = function (this: unknown, compiled: { sql: string }, ...rest: unknown[]) {
          seen.push(compiled.sql);
          return original.call(this, compiled, ...rest);
        };
        try {
          await only(parts);
        } finally {
          executor.executeQuery = original;
        }
        return seen;
      }
      const finalReports = (q: string) => q.includes('"r"."failover_step"');
      const windowAttempts = (q: string) => q.includes('"a"."started_at" >=');
      const reportsOnly = await statementsFor('reports');
      assert.deepEqual([reportsOnly.filter(finalReports).length, reportsOnly.filter(windowAttempts).length], [1, 0], reportsOnly.join('\n'));
      const targetsOnly = await statementsFor('targets');
      assert.deepEqual([targetsOnly.filter(finalReports).length, targetsOnly.filter(windowAttempts).length], [0, 2], targetsOnly.join('\n'));
    });

    it('each part only for who may see it: reports by readable family, targets for subscriptions:manage', async () => {
      const sms = await ok(auth.smsReader, path('/hookline/1/stats', WINDOW));
      assert.deepEqual(sms.reports, [
        { at: t(T0), delivered: 2, failed: 2, other: 0 },
        { at: t(T0 + HOUR), delivered: 1, failed: 2, other: 0 },
      ]);
      assert.deepEqual(sms.targets, []);
      const session = await post('', '/auth/1/session', ALICE);
      const whatsapp = await ok(`IBSSO ${session.token}`, path('/hookline/1/stats', WINDOW));
      assert.deepEqual([whatsapp.reports, whatsapp.targets], [[{ at: t(T0), delivered: 1, failed: 0, other: 0 }, { at: t(T0 + HOUR), delivered: 0, failed: 0, other: 0 }], []]);
      const subscriptions = await ok(auth.subscriptionsOnly, path('/hookline/1/stats', WINDOW));
      assert.deepEqual(subscriptions.reports, []);
      assert.deepEqual(subscriptions.targets, (await ok(auth.bootstrap, path('/hookline/1/stats', WINDOW))).targets);
      assert.ok(subscriptions.targets.length === 3);
      const refused = await call(auth.numbersOnly, '/hookline/1/stats');
      assert.deepEqual([refused.status, refused.body], [403, V3_FORBIDDEN]);
    });

    it("accounts: the caller's own; the operator may name another; another account's is 404", async () => {
      const other = await ok(auth.other, path('/hookline/1/stats', WINDOW));
      assert.deepEqual([other.reports, other.targets], [[{ at: t(T0), delivered: 0, failed: 0, other: 0 }, { at: t(T0 + HOUR), delivered: 1, failed: 0, other: 0 }], []]);
      assert.deepEqual(await ok(auth.bootstrap, path('/hookline/1/stats', { ...WINDOW, accountId: OTHER.id })), other);
      const r = await call(auth.other, path('/hookline/1/stats', { accountId: 'default' }));
      assert.deepEqual([r.status, r.body], [404, V3_NOT_FOUND]);
    });

    it('bad parameters are 400 in the v3 envelope', async () => {
      const bad: Array<[Params, string]> = [
        [{ from: 'an hour ago' }, 'from'],
        [{ to: '2026-01-01T25:00:00Z' }, 'to'],
        [{ from: t(T0), to: t(T0) }, 'from'],
        [{ from: t(T0 + 3 * HOUR) }, 'from'], // after now, the default `to`
        [{ buckets: 0 }, 'buckets'],
        [{ buckets: 201 }, 'buckets'],
        [{ buckets: 'many' }, 'buckets'],
        [{ parts: 'attempts' }, 'parts'],
        [{ parts: 'reports,' }, 'parts'],
        [{ parts: '' }, 'parts'],
      ];
      for (const [params, property] of bad) {
        const r = await call(auth.bootstrap, path('/hookline/1/stats', params));
        assert.equal(r.status, 400, `${JSON.stringify(params)}: ${JSON.stringify(r.body)}`);
        // An item of the `parts` list is named with its index (parts[0]).
        assert.deepEqual(v3ErrorProperties(r.body).map((p) => p.replace(/\[\d+\]$/, '')), [property], `${JSON.stringify(params)}: ${JSON.stringify(r.body)}`);
      }
    });

    it(`percentiles come from the newest attempts of the window only; counts from all of them`, async () => {
      // 50,000 attempts a day before T0 (written straight into the store: the cap is about volume):
      // the 30,000 oldest took 1000 ms, the 20,000 newest 7 ms. Read whole, the median would be 1000.
      const db = g.hookline.store.db;
      const start = T0 - DAY;
      const target = 'http://127.0.0.1:9/capped';
      await db
        .insertInto('deliveries')
        .values({ id: 'whd_console_capped', account_id: 'default', target_url: target, family: 'sms-v2', content_type: 'application/json', body: '{"results":[]}', report_count: 0, state: 'DELIVERED', attempts: 50_000, next_attempt_at: null, lease_owner: null, lease_until: null, last_status_code: 200, last_error: null, created_at: start, done_at: start + 50_000, drop_reason: null, first_event_at: start })
        .execute();
      for (let from = 0; from < 50_000; from += 1_000) {
        const rows = Array.from({ length: 1_000 }, (_, k) => {
          const i = from + k;
          return { delivery_id: 'whd_console_capped', account_id: 'default', attempt: i + 1, started_at: start + i, duration_ms: i < 30_000 ? 1_000 : 7, status_code: 200, error_class: null, error: null, target_url: target, response_excerpt: null };
        });
        await db.insertInto('attempts').values(rows).execute();
      }
      const body = await ok(auth.bootstrap, path('/hookline/1/stats', { from: t(start), to: t(start + 50_000), buckets: 1 }));
      assert.deepEqual(body.targets, [{ target: { url: target }, attempts: 50_000, succeeded: 50_000, successRate: 1, p50Ms: 7, p90Ms: 7, p99Ms: 7 }]);
      // Half of it: 25,000 attempts, the newest 20,000 of which are [5,000 of 1000 ms, then 20,000 of 7 ms].
      const half = await ok(auth.bootstrap, path('/hookline/1/stats', { from: t(start + 25_000), to: t(start + 50_000), buckets: 1 }));
      assert.deepEqual(half.targets, [{ target: { url: target }, attempts: 25_000, succeeded: 25_000, successRate: 1, p50Ms: 7, p90Ms: 7, p99Ms: 7 }]);
      const older = await ok(auth.bootstrap, path('/hookline/1/stats', { from: t(start), to: t(start + 30_001), buckets: 1 }));
      assert.deepEqual(older.targets, [{ target: { url: target }, attempts: 30_001, succeeded: 30_001, successRate: 1, p50Ms: 1_000, p90Ms: 1_000, p99Ms: 1_000 }]);
    });
  });
});

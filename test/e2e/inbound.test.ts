/**
 * Inbound SMS end to end: numbers (per account, global), the simulator's inbound endpoint,
 * keyword extraction, the MO_JSON_2 push to matching INBOUND_MESSAGE subscriptions (at a real
 * receiver, exact body), and the inbox pull (`GET /sms/1/inbox/reports`, each message once, JSON
 * and XML, pendingMessageCount, per account), scopes, and the inbox's 48 h expiry and sweep.
 *
 * Two accounts, acme and globex, each with an admin and an API key. A ManualClock makes
 * receivedAt and expiry exact; the dispatcher's first attempt is due at once, so pushes still flow.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { createSweepPass } from '../../src/store/sweeper.ts';
import { startGateway, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';
import { LEGACY_FORBIDDEN, parseXml, qs, uniq, V3_FORBIDDEN, V3_NOT_FOUND, v3ErrorProperties, waitUntil } from '../http/support.ts';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const T0_TEXT = '2026-01-02T03:04:05.678+0000';
const HOUR = 3_600_000;

type Tenant = 'acme' | 'globex';
type Credentials = { username: string; password: string };
const basic = (u: Credentials) => `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;

/** Each account's numbers (globex's are never registered by acme, and the reverse). */
const ACME = { quiz: '385921004026', other: '385921004027', quiet: '385921004028', plain: '385921004029' };
const GLOBEX = { main: '385921009001' };
const SENDER = '385916242493';
const NOT_REGISTERED = { ...V3_NOT_FOUND, description: 'Number not registered.' };

let g: TestGateway;
let clock: ManualClock;
const receivers: Receiver[] = [];
const admins = {} as Record<Tenant, Credentials>;
const keys = {} as Record<Tenant, string>;

const as = (t: Tenant, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  g.api(method, path, body, { authorization: `App ${keys[t]}`, ...headers });
async function ok(r: Promise<{ status: number; body: any; headers: Headers }> | { status: number; body: any; headers: Headers }, status = 200) {
  const reply = await r;
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  return reply.body;
}
const inject = (t: Tenant, to: string, text: string, extra: Record<string, unknown> = {}) => as(t, 'POST', '/hookline/1/simulator/inbound', { from: SENDER, to, text, ...extra });
const pull = (t: Tenant, query: Record<string, string | number> = {}, headers: Record<string, string> = {}) => as(t, 'GET', '/sms/1/inbox/reports' + (Object.keys(query).length ? qs(query) : ''), undefined, headers);

/** The MO_JSON_2 item of a message received at T0 with no keyword unless given. */
function moItem(messageId: string, to: string, text: string, more: { keyword?: string; cleanText?: string; smsCount?: number } = {}) {
  return {
    messageId,
    from: SENDER,
    to,
    text,
    cleanText: more.cleanText ?? text,
    ...(more.keyword ? { keyword: more.keyword } : {}),
    receivedAt: T0_TEXT,
    smsCount: more.smsCount ?? 1,
    price: { pricePerMessage: 0, currency: 'EUR' },
  };
}

async function newReceiver(): Promise<Receiver> {
  const r = await Receiver.start();
  receivers.push(r);
  return r;
}

/** A profile at `url` and one SMS subscription on it (as acme). */
async function subscribe(url: string, subscription: Record<string, unknown>, profile: Record<string, unknown> = {}): Promise<void> {
  const profileId = uniq('prof');
  await ok(as('acme', 'POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: url }, ...profile }), 201);
  await ok(as('acme', 'POST', '/subscriptions/1/subscription/SMS', { subscriptionId: uniq('sub'), profile: { profileId }, ...subscription }), 201);
}

before(async () => {
  clock = new ManualClock(T0);
  g = await startGateway({ THROTTLES: 'off' }, { clock });
  const operator = { authorization: basic(TEST_ADMIN) };
  for (const t of ['acme', 'globex'] as const) {
    await ok(g.api('POST', '/hookline/1/accounts', { id: t, name: t }, operator), 201);
    admins[t] = { username: `${t}-inbound-admin`, password: `${t}-password-123` };
    await ok(g.api('POST', '/hookline/1/users', { ...admins[t], roles: ['ACCOUNT_ADMIN'], accountId: t }, operator), 201);
    keys[t] = (await ok(g.api('POST', '/settings/2/api-keys', { name: `${t} key` }, { authorization: basic(admins[t]) }))).apiKeySecret;
  }
});
after(async () => {
  await g?.close();
  for (const r of receivers) await r.close();
});

describe('numbers', () => {
  it('registers a number with its keywords (upper case) → 201 + Location; reads it back', async () => {
    const r = await as('acme', 'POST', '/hookline/1/numbers', { number: ACME.quiz, keywords: ['quiz', 'Info'] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.headers.get('location'), `/hookline/1/numbers/${ACME.quiz}`);
    const expected = { number: ACME.quiz, accountId: 'acme', keywords: ['QUIZ', 'INFO'], createdAt: T0_TEXT };
    assert.deepEqual(r.body, expected);
    assert.deepEqual(await ok(as('acme', 'GET', `/hookline/1/numbers/${ACME.quiz}`)), expected);
    for (const number of [ACME.other, ACME.quiet]) await ok(as('acme', 'POST', '/hookline/1/numbers', { number, keywords: ['QUIZ'] }), 201);
    await ok(as('acme', 'POST', '/hookline/1/numbers', { number: ACME.plain }), 201);
    await ok(as('globex', 'POST', '/hookline/1/numbers', { number: GLOBEX.main, keywords: ['STOP'] }), 201);
  });

  it('numbers are global: registering one already registered is 409, by its owner or another account', async () => {
    for (const t of ['acme', 'globex'] as const) {
      const r = await as(t, 'POST', '/hookline/1/numbers', { number: ACME.quiz });
      assert.equal(r.status, 409, `${t}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.errorCode, 'E409');
    }
    assert.equal((await as('acme', 'POST', '/hookline/1/numbers', { number: GLOBEX.main, keywords: ['X'] })).status, 409);
  });

  it("another account's number is 404 to read or delete, and stays registered", async () => {
    for (const [method, path] of [['GET', `/hookline/1/numbers/${GLOBEX.main}`], ['DELETE', `/hookline/1/numbers/${GLOBEX.main}`]] as const) {
      const r = await as('acme', method, path);
      assert.equal(r.status, 404, `${method}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body, NOT_REGISTERED);
    }
    assert.equal((await ok(as('globex', 'GET', `/hookline/1/numbers/${GLOBEX.main}`))).accountId, 'globex');
  });

  it('lists only the account’s numbers, in pages', async () => {
    const all = await ok(as('acme', 'GET', '/hookline/1/numbers'));
    assert.deepEqual(all.results.map((n: any) => n.number), [ACME.quiz, ACME.other, ACME.quiet, ACME.plain].sort());
    assert.deepEqual(all.paging, { page: 0, size: 100, totalPages: 1, totalResults: 4 });
    const second = await ok(as('acme', 'GET', '/hookline/1/numbers' + qs({ page: 1, size: 3 })));
    assert.equal(second.results.length, 1);
    assert.deepEqual(second.paging, { page: 1, size: 3, totalPages: 2, totalResults: 4 });
    const globex = await ok(as('globex', 'GET', '/hookline/1/numbers'));
    assert.deepEqual(globex.results.map((n: any) => n.number), [GLOBEX.main]);
  });

  it('refuses malformed numbers and keywords (400, v3 envelope)', async () => {
    const cases: Array<[unknown, string]> = [
      [{ number: '+41793026727' }, 'number'],
      [{ number: 'abc' }, 'number'],
      [{ number: '0041793026727' }, 'number'],
      [{ number: '12' }, 'number'],
      [{}, 'number'],
      [{ number: '41790000100', keywords: ['two words'] }, 'keywords[0]'],
      [{ number: '41790000100', keywords: [''] }, 'keywords[0]'],
      [{ number: '41790000100', keywords: ['stop', 'STOP'] }, 'keywords'],
    ];
    for (const [body, property] of cases) {
      const r = await as('acme', 'POST', '/hookline/1/numbers', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.ok(v3ErrorProperties(r.body).includes(property), `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    }
    assert.equal((await as('acme', 'GET', '/hookline/1/numbers/41790000100')).status, 404, 'nothing was registered');
  });

  it('DELETE frees the number: 200 {number}, then 404, and another account may register it', async () => {
    const number = '41790000200';
    await ok(as('acme', 'POST', '/hookline/1/numbers', { number }), 201);
    assert.deepEqual(await ok(as('acme', 'DELETE', `/hookline/1/numbers/${number}`)), { number });
    assert.equal((await as('acme', 'GET', `/hookline/1/numbers/${number}`)).status, 404);
    assert.equal((await as('acme', 'DELETE', `/hookline/1/numbers/${number}`)).status, 404);
    const r = await inject('acme', number, 'hello');
    assert.equal(r.status, 404, 'a deleted number receives nothing');
    await ok(as('globex', 'POST', '/hookline/1/numbers', { number }), 201);
  });
});

describe('the simulator and keyword extraction', () => {
  it("a number that is not registered, or is another account's, is 404 alike", async () => {
    for (const to of ['41799999999', GLOBEX.main]) {
      const r = await inject('acme', to, 'hello');
      assert.equal(r.status, 404, `${to}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body, NOT_REGISTERED);
    }
  });

  it('refuses a malformed request (400)', async () => {
    for (const [body, property] of [
      [{ to: ACME.plain, text: 'x' }, 'from'],
      [{ from: SENDER, text: 'x' }, 'to'],
      [{ from: SENDER, to: ACME.plain }, 'text'],
      [{ from: SENDER, to: ACME.plain, text: 'x', receivedAt: 'yesterday' }, 'receivedAt'],
    ] as const) {
      const r = await as('acme', 'POST', '/hookline/1/simulator/inbound', body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.ok(v3ErrorProperties(r.body).includes(property), JSON.stringify(r.body));
    }
  });

  it('extracts the first word as keyword when it is one of the number’s (case-insensitive); cleanText is the rest, trimmed', async () => {
    const cases: Array<[string, string, string | undefined, string]> = [
      [ACME.quiz, 'QUIZ Correct answer is Paris', 'QUIZ', 'Correct answer is Paris'],
      [ACME.quiz, 'quiz   spaced   out  ', 'QUIZ', 'spaced   out'],
      [ACME.quiz, 'Info', 'INFO', ''],
      [ACME.quiz, '  info\nsecond line', 'INFO', 'second line'],
      [ACME.quiz, 'QUIZZES are fun', undefined, 'QUIZZES are fun'],
      [ACME.quiz, 'Hello QUIZ', undefined, 'Hello QUIZ'],
      [ACME.quiz, '', undefined, ''],
      [ACME.plain, 'QUIZ on a number without keywords', undefined, 'QUIZ on a number without keywords'],
    ];
    for (const [to, text, keyword, cleanText] of cases) {
      const body = await ok(inject('acme', to, text));
      assert.equal(typeof body.messageId, 'string');
      assert.deepEqual(body, moItem(body.messageId, to, text, { keyword, cleanText }), JSON.stringify(text));
    }
  });

  it('a `to` written with + is the registered number; receivedAt may be given; smsCount follows GSM-7/UCS-2 segmentation', async () => {
    const at = await ok(inject('acme', `+${ACME.plain}`, 'x', { receivedAt: '2025-12-31T23:00:00.000+0100' }));
    assert.equal(at.to, ACME.plain);
    assert.equal(at.receivedAt, '2025-12-31T22:00:00.000+0000');
    for (const [text, smsCount] of [['a'.repeat(160), 1], ['a'.repeat(161), 2], ['ж'.repeat(70), 1], ['ж'.repeat(71), 2], ['€'.repeat(80), 1], ['€'.repeat(81), 2]] as const) {
      assert.equal((await ok(inject('acme', ACME.plain, text))).smsCount, smsCount, `${text.length} × ${text[0]}`);
    }
  });
});

describe('push to INBOUND_MESSAGE subscriptions', () => {
  it('pushes the exact MO_JSON_2 body to a matching subscription; other numbers’ and DELIVERY-only subscriptions get nothing', async () => {
    const [matching, otherNumber, deliveryOnly, viaXmlProfile] = [await newReceiver(), await newReceiver(), await newReceiver(), await newReceiver()];
    await subscribe(matching.url, { events: ['INBOUND_MESSAGE'], resources: [ACME.quiz] });
    await subscribe(otherNumber.url, { events: ['INBOUND_MESSAGE'], resources: [ACME.other] });
    await subscribe(deliveryOnly.url, { events: ['DELIVERY'] });
    await subscribe(viaXmlProfile.url, { events: [{ event: 'INBOUND_MESSAGE', format: 'MO_JSON_2' }], resources: [ACME.quiz] }, { webhook: { notifyUrl: viaXmlProfile.url, contentType: 'application/xml' } });

    const before = await ok(pull('acme'));
    const sent = await ok(inject('acme', ACME.quiz, 'QUIZ Correct answer is Paris'));
    const expected = {
      results: [moItem(sent.messageId, ACME.quiz, 'QUIZ Correct answer is Paris', { keyword: 'QUIZ', cleanText: 'Correct answer is Paris' })],
      messageCount: 1,
      pendingMessageCount: 0,
    };
    await matching.waitForRequests(1);
    await viaXmlProfile.waitForRequests(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(matching.requests.length, 1);
    assert.equal(matching.requests[0].body, JSON.stringify(expected), 'the exact bytes');
    assert.match(String(matching.requests[0].headers['content-type']), /^application\/json\b/);
    assert.ok(matching.requests[0].headers['webhook-id'], 'a webhook delivery like any other');
    // MO_JSON_2 is a JSON format: a profile asking XML still gets it as JSON.
    assert.equal(viaXmlProfile.requests[0].body, JSON.stringify(expected));
    assert.match(String(viaXmlProfile.requests[0].headers['content-type']), /^application\/json\b/);
    assert.equal(otherNumber.requests.length, 0, 'a subscription for another number');
    assert.equal(deliveryOnly.requests.length, 0, 'a DELIVERY-only subscription');

    // Pushed, so not in the inbox.
    const after = await ok(pull('acme'));
    assert.ok(!after.results.some((m: any) => m.messageId === sent.messageId));
    assert.equal(after.pendingMessageCount, 0);
    assert.ok(before.results.every((m: any) => m.messageId !== sent.messageId));

    // The other number's subscription gets the other number's messages, and only those.
    const other = await ok(inject('acme', ACME.other, 'quiz 2'));
    await otherNumber.waitForRequests(1);
    assert.deepEqual(JSON.parse(otherNumber.requests[0].body).results.map((m: any) => m.messageId), [other.messageId]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(matching.requests.length, 1);
    assert.equal(deliveryOnly.requests.length, 0);
  });
});

describe('the inbox (GET /sms/1/inbox/reports)', () => {
  it('returns unpushed messages once, oldest first, with messageCount and pendingMessageCount; JSON then XML', async () => {
    await ok(pull('globex', { limit: 1000 })); // empty it first
    const texts = ['STOP now', 'one', 'two'];
    const ids: string[] = [];
    for (const text of texts) ids.push((await ok(inject('globex', GLOBEX.main, text))).messageId);

    const first = await ok(pull('globex', { limit: 2 }));
    assert.deepEqual(first, {
      results: [moItem(ids[0], GLOBEX.main, 'STOP now', { keyword: 'STOP', cleanText: 'now' }), moItem(ids[1], GLOBEX.main, 'one')],
      messageCount: 2,
      pendingMessageCount: 1,
    });

    const xml = await pull('globex', {}, { accept: 'application/xml' });
    assert.equal(xml.status, 200);
    assert.match(xml.headers.get('content-type') ?? '', /^application\/xml/);
    const text = xml.body as string;
    assert.ok(text.startsWith('<?xml version="1.0" encoding="UTF-8"?><reportResponse><messageCount>1</messageCount><pendingMessageCount>0</pendingMessageCount><results><result>'), text);
    const parsed = parseXml(text).reportResponse;
    assert.deepEqual(parsed, {
      messageCount: '1',
      pendingMessageCount: '0',
      results: {
        result: { messageId: ids[2], from: SENDER, to: GLOBEX.main, text: 'two', cleanText: 'two', receivedAt: T0_TEXT, smsCount: '1', price: { pricePerMessage: '0', currency: 'EUR' } },
      },
    });

    assert.deepEqual(await ok(pull('globex')), { results: [], messageCount: 0, pendingMessageCount: 0 }, 'each message once');
  });

  it('is per account: one account never pulls, nor counts, another’s messages', async () => {
    await ok(pull('acme', { limit: 1000 }));
    await ok(pull('globex', { limit: 1000 }));
    const mine = (await ok(inject('acme', ACME.quiet, 'for acme'))).messageId;
    for (let i = 0; i < 3; i++) await ok(inject('globex', GLOBEX.main, `for globex ${i}`));
    const acme = await ok(pull('acme'));
    assert.deepEqual(acme.results.map((m: any) => m.messageId), [mine]);
    assert.equal(acme.pendingMessageCount, 0, 'globex’s three are not counted');
    const globex = await ok(pull('globex', { limit: 1 }));
    assert.equal(globex.results[0].to, GLOBEX.main);
    assert.equal(globex.pendingMessageCount, 2);
    // The operator (default account) sees neither.
    assert.deepEqual((await ok(g.api('GET', '/sms/1/inbox/reports'))).results, []);
    await ok(pull('globex', { limit: 1000 }));
  });

  it('limit defaults to 50 and is at most 1000; applicationId, entityId and campaignReferenceId match no simulated message', async () => {
    for (let i = 0; i < 52; i++) await ok(inject('globex', GLOBEX.main, `bulk ${i}`));
    const filtered = await ok(pull('globex', { applicationId: 'some-app' }));
    assert.deepEqual(filtered, { results: [], messageCount: 0, pendingMessageCount: 52 });
    const page = await ok(pull('globex'));
    assert.equal(page.messageCount, 50);
    assert.equal(page.results.length, 50);
    assert.equal(page.pendingMessageCount, 2);
    assert.deepEqual(page.results.slice(0, 2).map((m: any) => m.text), ['bulk 0', 'bulk 1']);
    assert.equal((await ok(pull('globex'))).messageCount, 2);
    for (const limit of [0, 1001, 'many']) {
      const r = await pull('globex', { limit });
      assert.equal(r.status, 400, `limit=${limit}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.requestError.serviceException.messageId, 'BAD_REQUEST');
    }
  });

  it('concurrent pulls never return a message twice', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) ids.add((await ok(inject('globex', GLOBEX.main, `race ${i}`))).messageId);
    const pulls = await Promise.all(Array.from({ length: 8 }, () => ok(pull('globex', { limit: 7 }))));
    const got = pulls.flatMap((p) => p.results.map((m: any) => m.messageId));
    assert.equal(new Set(got).size, got.length, 'no duplicates');
    const rest = (await ok(pull('globex', { limit: 1000 }))).results.map((m: any) => m.messageId);
    assert.deepEqual([...got, ...rest].sort(), [...ids].sort(), 'every message exactly once');
  });

  it('entries expire after 48 h and are swept, with old inbound messages', async () => {
    await ok(inject('globex', GLOBEX.main, 'late'));
    clock.advance(48 * HOUR - 1);
    assert.equal((await ok(pull('globex', { applicationId: 'count-only' }))).pendingMessageCount, 1, 'still there just before 48 h');
    clock.advance(1);
    assert.deepEqual(await ok(pull('globex')), { results: [], messageCount: 0, pendingMessageCount: 0 }, 'gone at 48 h');
    // A sweep pass (the gateway's own sweeper may hold the sweep lock for a moment: then again).
    const db = g.hookline.store.db;
    const sweep = createSweepPass(db, g.hookline.store.profile, 48 * HOUR, 30 * 24 * HOUR);
    const count = async (table: 'inbox_queue' | 'inbound_messages') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    await waitUntil(async () => {
      await sweep(clock.now() + 1);
      return (await count('inbox_queue')) === 0 && (await count('inbound_messages')) === 0;
    }, 'the inbox entries and the inbound messages (all older than the retention, none with a waiting push) swept');
  });
});

describe('scopes', () => {
  it('the inbox takes inbound-message:read, sms:inbound-message:read or sms:manage; numbers and the simulator numbers:manage', async () => {
    const keyWith = async (scope: string) =>
      `App ${(await ok(g.api('POST', '/settings/2/api-keys', { name: uniq('scoped'), scopeGuids: [scope] }, { authorization: basic(admins.acme) }))).apiKeySecret}`;
    const calls = [
      ['GET', '/sms/1/inbox/reports', undefined, 'inbox'],
      ['GET', '/hookline/1/numbers', undefined, 'numbers'],
      ['POST', '/hookline/1/simulator/inbound', { from: SENDER, to: ACME.plain, text: 'scoped' }, 'numbers'],
    ] as const;
    const allowed: Record<string, string[]> = {
      'inbound-message:read': ['inbox'],
      'sms:inbound-message:read': ['inbox'],
      'sms:manage': ['inbox'],
      'numbers:manage': ['numbers'],
      'sms:message:send': [],
      'subscriptions:manage': [],
    };
    for (const [scope, may] of Object.entries(allowed)) {
      const authorization = await keyWith(scope);
      for (const [method, path, body, kind] of calls) {
        const r = await g.api(method, path, body, { authorization });
        if (may.includes(kind)) assert.equal(r.status, 200, `${scope} ${method} ${path}: ${JSON.stringify(r.body)}`);
        else {
          assert.equal(r.status, 403, `${scope} ${method} ${path}: ${JSON.stringify(r.body)}`);
          assert.deepEqual(r.body, path.startsWith('/sms/') ? LEGACY_FORBIDDEN : V3_FORBIDDEN);
        }
      }
    }
  });
});

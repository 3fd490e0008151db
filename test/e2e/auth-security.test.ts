/**
 * The security properties of issue 4, each tried for real against a gateway on loopback:
 * IBSSO sessions (IP binding, idle expiry, logout), OAuth2 tokens (both parameter sources,
 * errors, expiry), TRUST_PROXY (a header cannot fake the client address), the brute-force guard,
 * Infobip's published throttles, no secret in logs or error bodies, and the password KDF running
 * for unknown users too.
 *
 * Other client addresses are real: an undici Agent bound to 127.0.0.x (Linux routes all of 127/8
 * to lo), so the gateway sees that socket address (the bound-session test fails if it does not). Expiry, windows and "the same second" run on a
 * ManualClock. Note that a verified credential is cached for one second of clock time, keyed by
 * the credential alone: tests that need a fresh verification move the clock first.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Agent, request } from 'undici';
import { createHookline, type Hookline } from '../../src/app.ts';
import { ADDRESS_LIMIT_FACTOR } from '../../src/auth/login-guard.ts';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startGateway, TEST_ADMIN, TEST_API_KEY, tempDir, type TestGateway } from '../helpers/hookline.ts';
import { LEGACY_FORBIDDEN, LEGACY_TOO_MANY, LEGACY_UNAUTHORIZED, V3_UNAUTHORIZED } from '../http/support.ts';

// ---------------------------------------------------------------------------------------------
// Clients from chosen loopback addresses

const agents = new Map<string, Agent>();
/** Note: undici 7 takes `localAddress` at the top level of the options; inside `connect` it is silently ignored. */
function agentFor(address: string): Agent {
  let agent = agents.get(address);
  if (!agent) {
    agent = new Agent({ localAddress: address });
    agents.set(address, agent);
  }
  return agent;
}

interface CallOptions {
  /** The client's socket address (default 127.0.0.1). */
  from?: string;
  authorization?: string;
  headers?: Record<string, string>;
  json?: unknown;
  /** A form body: fields, or the raw text (e.g. '' for the SDK's empty body). */
  form?: Record<string, string> | string;
  /** A body sent as it is, with whatever content-type `headers` give. */
  raw?: string;
}

interface Reply {
  status: number;
  body: any;
  text: string;
  headers: IncomingHttpHeaders;
}

async function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  let body = options.raw;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = typeof options.form === 'string' ? options.form : new URLSearchParams(options.form).toString();
  }
  const response = await request(baseUrl + path, { method: method as 'GET', headers, body, dispatcher: agentFor(options.from ?? '127.0.0.1') });
  const text = await response.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: response.statusCode, body: parsed, text, headers: response.headers };
}

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const ADMIN_BASIC = basic(TEST_ADMIN.username, TEST_ADMIN.password);
const APP = `App ${TEST_API_KEY}`;
const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;

// Envelopes (the 401 ones come from test/http/support.ts).
const OAUTH_UNAUTHORIZED = { error: 'Invalid login details', ...LEGACY_UNAUTHORIZED };
const OAUTH_TOO_MANY = { error: 'Too many requests', ...LEGACY_TOO_MANY };

/** A 429 with a Retry-After of whole seconds, at most `maxSeconds`; returns those seconds. */
function assertRetryAfter(reply: Reply, maxSeconds: number, what: string): number {
  assert.equal(reply.status, 429, `${what}: ${reply.text}`);
  const value = String(reply.headers['retry-after'] ?? '');
  assert.match(value, /^\d+$/, `${what}: Retry-After header`);
  const seconds = Number(value);
  assert.ok(seconds >= 1 && seconds <= maxSeconds, `${what}: Retry-After ${seconds} not in 1..${maxSeconds}`);
  return seconds;
}

function assertV3TooMany(reply: Reply, maxSeconds: number, what: string): void {
  assertRetryAfter(reply, maxSeconds, what);
  assert.equal(reply.body.errorCode, 'E429', what);
  assert.deepEqual(Object.keys(reply.body).sort(), ['action', 'description', 'errorCode', 'resources', 'violations'], what);
}

const session = (baseUrl: string, username: string, password: string, options: { from?: string; unsafe?: boolean; headers?: Record<string, string> } = {}) =>
  call(baseUrl, 'POST', '/auth/1/session', { from: options.from, headers: options.headers, json: { username, password, ...(options.unsafe === undefined ? {} : { unsafe: options.unsafe }) } });

const token = (baseUrl: string, clientId: string, clientSecret: string, from?: string) =>
  call(baseUrl, 'POST', '/auth/1/oauth2/token', { from, form: { client_id: clientId, client_secret: clientSecret, grant_type: 'client_credentials' } });

/** GET /sms/3/logs: any signed-in principal with sms:manage (the admin, the bootstrap key) may read it. */
const logs = (baseUrl: string, authorization: string, from?: string, headers?: Record<string, string>) => call(baseUrl, 'GET', '/sms/3/logs', { authorization, from, headers });

/** Creates an API key as the admin (Basic) and returns its secret. */
async function createKey(baseUrl: string, body: Record<string, unknown>): Promise<string> {
  const r = await call(baseUrl, 'POST', '/settings/2/api-keys', { authorization: ADMIN_BASIC, json: body });
  assert.equal(r.status, 200, `creating key ${JSON.stringify(body)}: ${r.text}`);
  assert.equal(typeof r.body.apiKeySecret, 'string');
  return r.body.apiKeySecret;
}

const MINUTE = 60_000;

after(async () => {
  await Promise.all([...agents.values()].map((a) => a.close()));
});

// ---------------------------------------------------------------------------------------------

describe('auth security properties', { timeout: 120_000 }, () => {
  /** Default config, THROTTLES=off (many logins at one clock instant), on a ManualClock. */
  let g: TestGateway;
  const clock = new ManualClock();
  before(async () => {
    g = await startGateway({ THROTTLES: 'off' }, { clock });
  });
  after(async () => {
    await g?.close();
  });

  describe('IBSSO sessions', () => {
    it('POST /auth/1/session ignores the literal `Authorization: undefined` the SDK sends; the token works with IBSSO', async () => {
      const created = await call(g.baseUrl, 'POST', '/auth/1/session', { headers: { authorization: 'undefined' }, json: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
      assert.equal(created.status, 200, created.text);
      assert.deepEqual(Object.keys(created.body), ['token']);
      assert.ok(typeof created.body.token === 'string' && created.body.token.length >= 20);
      assert.equal((await logs(g.baseUrl, `IBSSO ${created.body.token}`)).status, 200);
      // And the token is no API key, nor is an unknown token a session.
      assert.deepEqual((await logs(g.baseUrl, `App ${created.body.token}`)).body, V3_UNAUTHORIZED);
      assert.deepEqual((await logs(g.baseUrl, `IBSSO ${secret('no-such-session')}`)).body, V3_UNAUTHORIZED);
    });

    it('a bound session (unsafe absent or false) is refused from another address, even once verified', async () => {
      for (const unsafe of [undefined, false]) {
        const created = await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password, { unsafe });
        assert.equal(created.status, 200, created.text);
        const auth = `IBSSO ${created.body.token}`;
        const elsewhere = await logs(g.baseUrl, auth, '127.0.0.2');
        assert.equal(elsewhere.status, 401, `unsafe=${unsafe} from 127.0.0.2`);
        assert.deepEqual(elsewhere.body, V3_UNAUTHORIZED);
        assert.equal((await logs(g.baseUrl, auth, '127.0.0.1')).status, 200, `unsafe=${unsafe} from 127.0.0.1`);
        // Now verified and cached: the binding is still checked on every request.
        assert.equal((await logs(g.baseUrl, auth, '127.0.0.2')).status, 401, `unsafe=${unsafe} from 127.0.0.2 after a verified use`);
      }
    });

    it('an unsafe session works from any address', async () => {
      const created = await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password, { unsafe: true });
      assert.equal(created.status, 200, created.text);
      for (const from of ['127.0.0.2', '127.0.0.1', '127.0.0.3']) {
        assert.equal((await logs(g.baseUrl, `IBSSO ${created.body.token}`, from)).status, 200, from);
      }
    });

    it('a session lapses after 60 minutes without use; each use extends it', async () => {
      const used = await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password);
      const unused = await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password);
      const auth = `IBSSO ${used.body.token}`;
      assert.equal((await logs(g.baseUrl, auth)).status, 200, 'at t');
      clock.advance(59 * MINUTE);
      assert.equal((await logs(g.baseUrl, auth)).status, 200, 'at t+59 min');
      clock.advance(59 * MINUTE);
      // 118 minutes after creation, 59 after the last use: alive only because that use extended it.
      assert.equal((await logs(g.baseUrl, auth)).status, 200, 'at t+118 min (59 min after the last use)');
      assert.deepEqual((await logs(g.baseUrl, `IBSSO ${unused.body.token}`)).body, V3_UNAUTHORIZED, 'the session never used since t');
      clock.advance(61 * MINUTE);
      const lapsed = await logs(g.baseUrl, auth);
      assert.equal(lapsed.status, 401, 'after 61 idle minutes');
      assert.deepEqual(lapsed.body, V3_UNAUTHORIZED);
    });

    it('DELETE /auth/1/session ends the session; App or Basic callers get 403', async () => {
      const created = await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password);
      const auth = `IBSSO ${created.body.token}`;
      assert.equal((await logs(g.baseUrl, auth)).status, 200);

      for (const authorization of [APP, ADMIN_BASIC]) {
        const refused = await call(g.baseUrl, 'DELETE', '/auth/1/session', { authorization });
        assert.equal(refused.status, 403, `${authorization.split(' ')[0]}: ${refused.text}`);
        assert.deepEqual(refused.body, LEGACY_FORBIDDEN);
      }
      assert.equal((await logs(g.baseUrl, auth)).status, 200, 'the refused DELETEs ended nothing');

      const ended = await call(g.baseUrl, 'DELETE', '/auth/1/session', { authorization: auth });
      assert.equal(ended.status, 200, ended.text);
      assert.equal(ended.text, '');
      // At once, without waiting for the credential cache to lapse.
      assert.deepEqual((await logs(g.baseUrl, auth)).body, V3_UNAUTHORIZED);
      clock.advance(2_000);
      assert.deepEqual((await logs(g.baseUrl, auth)).body, V3_UNAUTHORIZED);
      const again = await call(g.baseUrl, 'DELETE', '/auth/1/session', { authorization: auth });
      assert.equal(again.status, 401);
      assert.deepEqual(again.body, LEGACY_UNAUTHORIZED);
    });
  });

  describe('OAuth2 tokens', () => {
    const form = { client_id: TEST_ADMIN.username, client_secret: TEST_ADMIN.password, grant_type: 'client_credentials' };

    function assertIssued(reply: Reply, what: string): string {
      assert.equal(reply.status, 200, `${what}: ${reply.text}`);
      assert.deepEqual(Object.keys(reply.body).sort(), ['access_token', 'expires_in', 'token_type'], what);
      assert.equal(reply.body.expires_in, 3600);
      assert.equal(reply.body.token_type, 'Bearer');
      assert.ok(typeof reply.body.access_token === 'string' && reply.body.access_token.length >= 20);
      return reply.body.access_token;
    }

    /** The legacy envelope plus the top-level `error`, with validationErrors naming exactly `fields`. */
    function assertOauthBadRequest(reply: Reply, fields: string[], what: string): void {
      assert.equal(reply.status, 400, `${what}: ${reply.text}`);
      assert.deepEqual(Object.keys(reply.body).sort(), ['error', 'requestError'], what);
      const exception = reply.body.requestError.serviceException;
      assert.equal(exception.messageId, 'BAD_REQUEST', what);
      assert.equal(reply.body.error, exception.text, `${what}: top-level error repeats the text`);
      assert.deepEqual(Object.keys(exception.validationErrors).sort(), [...fields].sort(), what);
      for (const field of fields) assert.ok(exception.validationErrors[field].length > 0 && exception.validationErrors[field].every((v: unknown) => typeof v === 'string' && v));
    }

    it('issues a token from a form body, and from the query string with an empty body (what the SDK sends)', async () => {
      const fromBody = assertIssued(await call(g.baseUrl, 'POST', '/auth/1/oauth2/token', { form }), 'form body');
      const fromQuery = assertIssued(await call(g.baseUrl, 'POST', `/auth/1/oauth2/token?${new URLSearchParams(form)}`, { form: '' }), 'query string, empty form body');
      assert.notEqual(fromBody, fromQuery);
      for (const t of [fromBody, fromQuery]) assert.equal((await logs(g.baseUrl, `Bearer ${t}`)).status, 200);
      assert.deepEqual((await logs(g.baseUrl, `Bearer ${secret('no-such-token')}`)).body, V3_UNAUTHORIZED);
    });

    it('when the body has any token field, every field comes from the body (the query is ignored)', async () => {
      const wrong = { ...form, client_secret: 'not-the-password' };
      // Right body, wrong query: issued.
      assertIssued(await call(g.baseUrl, 'POST', `/auth/1/oauth2/token?${new URLSearchParams(wrong)}`, { form }), 'right body, wrong query');
      // Wrong body, right query: the body's secret is the one checked.
      const refused = await call(g.baseUrl, 'POST', `/auth/1/oauth2/token?${new URLSearchParams(form)}`, { form: wrong });
      assert.equal(refused.status, 401, refused.text);
      assert.deepEqual(refused.body, OAUTH_UNAUTHORIZED);
      // A body with client_id only: the other two are missing, although the query has them.
      const partial = await call(g.baseUrl, 'POST', `/auth/1/oauth2/token?${new URLSearchParams({ client_secret: form.client_secret, grant_type: form.grant_type })}`, { form: { client_id: form.client_id } });
      assertOauthBadRequest(partial, ['client_secret', 'grant_type'], 'client_id in the body, the rest in the query');
    });

    it('missing fields: 400 in the legacy envelope with validationErrors and the top-level error', async () => {
      assertOauthBadRequest(await call(g.baseUrl, 'POST', '/auth/1/oauth2/token', { form: '' }), ['client_id', 'client_secret', 'grant_type'], 'empty body, no query');
      assertOauthBadRequest(await call(g.baseUrl, 'POST', '/auth/1/oauth2/token', { form: { client_id: form.client_id, grant_type: form.grant_type } }), ['client_secret'], 'no client_secret');
      assertOauthBadRequest(await call(g.baseUrl, 'POST', '/auth/1/oauth2/token', { form: { ...form, client_id: '' } }), ['client_id'], 'blank client_id');
    });

    it('a grant_type other than client_credentials is a 400', async () => {
      for (const grantType of ['password', 'authorization_code', 'CLIENT_CREDENTIALS']) {
        assertOauthBadRequest(await call(g.baseUrl, 'POST', '/auth/1/oauth2/token', { form: { ...form, grant_type: grantType } }), ['grant_type'], grantType);
      }
    });

    it('a wrong secret or an unknown client is a 401 with the top-level error', async () => {
      for (const [clientId, clientSecret] of [
        [TEST_ADMIN.username, 'wrong-password'],
        ['nobody-by-this-name', TEST_ADMIN.password],
      ]) {
        const r = await token(g.baseUrl, clientId, clientSecret);
        assert.equal(r.status, 401, `${clientId}: ${r.text}`);
        assert.deepEqual(r.body, OAUTH_UNAUTHORIZED);
      }
    });

    it('a token is refused once its 3600 seconds are over, cached or not', async () => {
      const issuedAt = clock.now();
      const auth = `Bearer ${assertIssued(await token(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password), 'issue')}`;
      assert.equal((await logs(g.baseUrl, auth)).status, 200, 'fresh');
      clock.set(issuedAt + 3_599_500);
      assert.equal((await logs(g.baseUrl, auth)).status, 200, 'at 3599.5 s (verified again, now cached)');
      clock.set(issuedAt + 3_600_000);
      assert.deepEqual((await logs(g.baseUrl, auth)).body, V3_UNAUTHORIZED, 'at 3600 s, inside the cache second');
      clock.set(issuedAt + 3_601_000);
      assert.deepEqual((await logs(g.baseUrl, auth)).body, V3_UNAUTHORIZED, 'at 3601 s');
    });
  });

  describe('the client address cannot be spoofed with X-Forwarded-For', () => {
    const FORWARDED = { 'x-forwarded-for': '10.9.9.9' };

    it('without TRUST_PROXY the header is ignored: allowedIPs judge the socket address', async () => {
      const onlyForwarded = `App ${await createKey(g.baseUrl, { name: 'only 10.9.9.9', allowedIPs: ['10.9.9.9'] })}`;
      const onlyLoopback1 = `App ${await createKey(g.baseUrl, { name: 'only 127.0.0.1', allowedIPs: ['127.0.0.1'] })}`;
      const refused = await logs(g.baseUrl, onlyForwarded, '127.0.0.1', FORWARDED);
      assert.equal(refused.status, 401, 'a key for 10.9.9.9 claimed through the header');
      assert.deepEqual(refused.body, V3_UNAUTHORIZED);
      assert.equal((await logs(g.baseUrl, onlyForwarded, '127.0.0.1')).status, 401);
      // The socket address is what counts, whatever the header says.
      assert.equal((await logs(g.baseUrl, onlyLoopback1, '127.0.0.1', FORWARDED)).status, 200, 'a key for 127.0.0.1 from 127.0.0.1 with a header');
      assert.equal((await logs(g.baseUrl, onlyLoopback1, '127.0.0.2', { 'x-forwarded-for': '127.0.0.1' })).status, 401, 'from 127.0.0.2 claiming 127.0.0.1');
    });

    it('without TRUST_PROXY a session is bound to the socket address, and the header cannot move it', async () => {
      const created = await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password, { from: '127.0.0.2', headers: FORWARDED });
      assert.equal(created.status, 200, created.text);
      const auth = `IBSSO ${created.body.token}`;
      assert.equal((await logs(g.baseUrl, auth, '127.0.0.2')).status, 200, 'bound to 127.0.0.2, not to the header');
      assert.equal((await logs(g.baseUrl, auth, '127.0.0.1', { 'x-forwarded-for': '127.0.0.2' })).status, 401, 'from 127.0.0.1 claiming 127.0.0.2');
      assert.equal((await logs(g.baseUrl, auth, '127.0.0.1', FORWARDED)).status, 401, 'from 127.0.0.1 claiming the address sent at creation');
    });

    describe('with TRUST_PROXY=127.0.0.1', () => {
      let proxied: TestGateway;
      before(async () => {
        proxied = await startGateway({ TRUST_PROXY: '127.0.0.1' });
      });
      after(async () => {
        await proxied?.close();
      });

      it('the forwarded address counts from the trusted proxy only', async () => {
        const onlyForwarded = `App ${await createKey(proxied.baseUrl, { name: 'only 10.9.9.9', allowedIPs: ['10.9.9.9'] })}`;
        const onlyLoopback2 = `App ${await createKey(proxied.baseUrl, { name: 'only 127.0.0.2', allowedIPs: ['127.0.0.2'] })}`;
        assert.equal((await logs(proxied.baseUrl, onlyForwarded, '127.0.0.1', FORWARDED)).status, 200, 'through the proxy from 10.9.9.9');
        assert.equal((await logs(proxied.baseUrl, onlyForwarded, '127.0.0.1')).status, 401, 'the proxy itself, no header');
        // 127.0.0.2 is no proxy: its header is ignored and its socket address judged.
        assert.equal((await logs(proxied.baseUrl, onlyForwarded, '127.0.0.2', FORWARDED)).status, 401, 'from 127.0.0.2 claiming 10.9.9.9');
        assert.equal((await logs(proxied.baseUrl, onlyLoopback2, '127.0.0.2', FORWARDED)).status, 200, 'from 127.0.0.2 with a header, judged as 127.0.0.2');
      });

      it('a session created through the proxy is bound to the forwarded address', async () => {
        const created = await session(proxied.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password, { from: '127.0.0.1', headers: FORWARDED });
        assert.equal(created.status, 200, created.text);
        const auth = `IBSSO ${created.body.token}`;
        assert.equal((await logs(proxied.baseUrl, auth, '127.0.0.1', FORWARDED)).status, 200, '10.9.9.9 through the proxy');
        assert.equal((await logs(proxied.baseUrl, auth, '127.0.0.1')).status, 401, 'the proxy itself');
        assert.equal((await logs(proxied.baseUrl, auth, '127.0.0.2', FORWARDED)).status, 401, 'an untrusted client claiming 10.9.9.9');
      });
    });
  });

  describe('THROTTLES=off', () => {
    it('11 session creations in one second and 121 log reads in one minute: no 429', async () => {
      const sessions = [];
      for (let i = 0; i < 11; i++) sessions.push((await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password)).status);
      assert.deepEqual(sessions, Array(11).fill(200));
      const statuses = new Set<number>();
      for (let i = 0; i < 121; i++) statuses.add((await logs(g.baseUrl, APP)).status);
      assert.deepEqual([...statuses], [200]);
    });
  });

  describe('the password KDF runs for unknown usernames too', () => {
    it('an unknown username and a known one with a wrong password both take ≥ 50 ms; a remembered right one does not', async () => {
      const timed = async (username: string, password: string, expected: number) => {
        const started = performance.now();
        const r = await session(g.baseUrl, username, password);
        const ms = performance.now() - started;
        assert.equal(r.status, expected, `${username}: ${r.text}`);
        return ms;
      };
      const unknown: number[] = [];
      const wrong: number[] = [];
      const right: number[] = [];
      await timed(TEST_ADMIN.username, TEST_ADMIN.password, 200); // remembered from here on
      for (let i = 0; i < 3; i++) {
        unknown.push(await timed(`nobody-${i}-${randomBytes(4).toString('hex')}`, secret('pw'), 401));
        wrong.push(await timed(TEST_ADMIN.username, secret('pw'), 401));
        right.push(await timed(TEST_ADMIN.username, TEST_ADMIN.password, 200));
      }
      const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(', ');
      assert.ok(Math.min(...unknown) >= 50, `unknown username answered in ${fmt(unknown)} ms: no KDF on that path`);
      assert.ok(Math.min(...wrong) >= 50, `wrong password answered in ${fmt(wrong)} ms`);
      // The control: without a KDF run a login is far quicker, so the 50 ms bar tells the paths apart.
      assert.ok(Math.min(...right) < 50, `a remembered right password took ${fmt(right)} ms`);
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('brute force: AUTH_FAILURE_LIMIT=3, AUTH_FAILURE_WINDOW_S=60', { timeout: 120_000 }, () => {
  let g: TestGateway;
  const clock = new ManualClock();
  before(async () => {
    g = await startGateway({ THROTTLES: 'off', AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_S: '60' }, { clock });
  });
  after(async () => {
    await g?.close();
  });

  /** 1 s into the next failure window (windows are aligned to minutes): earlier counts and cached credentials have lapsed. */
  const nextWindow = () => clock.set((Math.floor(clock.now() / MINUTE) + 1) * MINUTE + 1_000);
  const login = (password: string, from: string) => session(g.baseUrl, TEST_ADMIN.username, password, { from });
  const WRONG = 'not-the-admin-password';

  it('per (username, address): 3 failures lock that user out from that address, even with the right password, until the window ends', async () => {
    nextWindow();
    for (let i = 0; i < 3; i++) {
      const r = await login(WRONG, '127.0.0.1');
      assert.equal(r.status, 401, `failure ${i + 1}`);
      assert.deepEqual(r.body, LEGACY_UNAUTHORIZED);
    }
    const locked = await login(TEST_ADMIN.password, '127.0.0.1');
    const retryAfter = assertRetryAfter(locked, 60, 'session with the right password after 3 failures');
    assert.deepEqual(locked.body, LEGACY_TOO_MANY);
    assertV3TooMany(await logs(g.baseUrl, ADMIN_BASIC, '127.0.0.1'), 60, 'Basic with the right password on /sms/3/logs');
    const tokenLocked = await token(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password, '127.0.0.1');
    assertRetryAfter(tokenLocked, 60, 'token with the right password');
    assert.deepEqual(tokenLocked.body, OAUTH_TOO_MANY);

    // The same user from another address is not locked out…
    assert.equal((await login(TEST_ADMIN.password, '127.0.0.2')).status, 200, 'from 127.0.0.2');
    // …until that address fails as often.
    for (let i = 0; i < 3; i++) assert.equal((await login(WRONG, '127.0.0.2')).status, 401, `127.0.0.2 failure ${i + 1}`);
    assertRetryAfter(await login(TEST_ADMIN.password, '127.0.0.2'), 60, '127.0.0.2 after 3 failures');

    // Once the window Retry-After named has passed, both may log in again.
    clock.advance(retryAfter * 1_000);
    assert.equal((await login(TEST_ADMIN.password, '127.0.0.1')).status, 200, '127.0.0.1 after Retry-After');
    assert.equal((await login(TEST_ADMIN.password, '127.0.0.2')).status, 200, '127.0.0.2 after Retry-After');
    assert.equal((await logs(g.baseUrl, ADMIN_BASIC, '127.0.0.1')).status, 200, 'Basic after Retry-After');
  });

  it('guesses sent in parallel get no more than the limit checked: the rest are 429 before any password check', async () => {
    nextWindow();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => login(`parallel-guess-${i}`, '127.0.0.9')));
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [...Array(3).fill(401), ...Array(27).fill(429)], 'three checked (401), the rest refused (429)');
  });

  it('per address: 5 × 3 wrong API keys lock that address for every scheme that needs verification', async () => {
    nextWindow();
    // Credentials made beforehand from elsewhere, not yet used (so not cached).
    const unsafeSession = await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password, { from: '127.0.0.1', unsafe: true });
    const accessToken = await token(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password, '127.0.0.1');
    assert.equal(unsafeSession.status, 200);
    assert.equal(accessToken.status, 200);

    // An address may fail ADDRESS_LIMIT_FACTOR times the per-username limit (guessing across keys or names).
    for (let i = 0; i < 3 * ADDRESS_LIMIT_FACTOR; i++) {
      const r = await logs(g.baseUrl, `App ${secret('guess')}`, '127.0.0.3');
      assert.equal(r.status, 401, `wrong key ${i + 1}`);
      assert.deepEqual(r.body, V3_UNAUTHORIZED);
    }
    for (const [scheme, authorization] of [
      ['App', APP],
      ['Basic', ADMIN_BASIC],
      ['IBSSO', `IBSSO ${unsafeSession.body.token}`],
      ['Bearer', `Bearer ${accessToken.body.access_token}`],
    ]) {
      assertV3TooMany(await logs(g.baseUrl, authorization, '127.0.0.3'), 60, `${scheme} from the locked address`);
    }
    assertRetryAfter(await login(TEST_ADMIN.password, '127.0.0.3'), 60, 'session create from the locked address');
    assertRetryAfter(await token(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password, '127.0.0.3'), 60, 'token create from the locked address');
    // Other addresses are unaffected.
    assert.equal((await logs(g.baseUrl, APP, '127.0.0.1')).status, 200, 'the right key from 127.0.0.1');
  });

  it('a success resets the (username, address) count: 2 failures, 1 success, 2 failures, then still allowed', async () => {
    nextWindow();
    const statuses = [];
    for (const password of [WRONG, WRONG, TEST_ADMIN.password, WRONG, WRONG, TEST_ADMIN.password]) statuses.push((await login(password, '127.0.0.4')).status);
    // The address count (never reset by a success) is at 4 of its 15: the (username, address) count decides.
    assert.deepEqual(statuses, [401, 401, 200, 401, 401, 200], 'the (username, address) count restarts after the success');
  });

  it('only failures count: many successful logins never lock, and the limit still applies afterwards', async () => {
    nextWindow();
    for (let i = 0; i < 12; i++) assert.equal((await login(TEST_ADMIN.password, '127.0.0.5')).status, 200, `session ${i + 1}`);
    for (let i = 0; i < 12; i++) {
      clock.advance(1_100); // past the credential cache, so every Basic request is a verification
      assert.equal((await logs(g.baseUrl, ADMIN_BASIC, '127.0.0.5')).status, 200, `Basic ${i + 1}`);
    }
    assert.deepEqual([(await login(WRONG, '127.0.0.5')).status, (await login(WRONG, '127.0.0.5')).status, (await login(WRONG, '127.0.0.5')).status], [401, 401, 401]);
    assertRetryAfter(await login(TEST_ADMIN.password, '127.0.0.5'), 60, 'after 3 failures');
  });

  it('odd usernames (a NUL byte, 4000 characters) are refused with 401 (400 where a schema limits the length), never a 500', async () => {
    nextWindow();
    const answers: Record<string, number> = {};
    for (const [label, username] of [
      ['NUL byte', 'admin\u0000x'],
      ['4000 characters', randomBytes(3000).toString('base64url')],
    ]) {
      answers[`session, ${label}`] = (await session(g.baseUrl, username, 'whatever-password', { from: '127.0.0.6' })).status;
      answers[`token, ${label}`] = (await token(g.baseUrl, username, 'whatever-password', '127.0.0.7')).status;
      answers[`Basic, ${label}`] = (await logs(g.baseUrl, basic(username, 'whatever-password'), '127.0.0.8')).status;
    }
    // JSON bodies are refused with 400 for a NUL (it cannot be stored) or a username over 255
    // characters (the session schema); Basic and the token form treat both as unknown users.
    assert.deepEqual(answers, Object.fromEntries(Object.keys(answers).map((k) => [k, k.startsWith('session') ? 400 : 401])));
  });
});

// ---------------------------------------------------------------------------------------------

describe("Infobip's published throttles (THROTTLES on)", { timeout: 60_000 }, () => {
  let g: TestGateway;
  const clock = new ManualClock();
  before(async () => {
    g = await startGateway({ THROTTLES: 'on' }, { clock });
  });
  after(async () => {
    await g?.close();
  });

  const nextSecond = () => clock.set((Math.floor(clock.now() / 1_000) + 1) * 1_000);

  it('POST /auth/1/session: 10 per second per address; the 11th is 429 with Retry-After, the next second is fine', async () => {
    nextSecond();
    for (let i = 0; i < 10; i++) assert.equal((await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password)).status, 200, `session ${i + 1}`);
    const eleventh = await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    assertRetryAfter(eleventh, 1, '11th session in one second');
    assert.deepEqual(eleventh.body, LEGACY_TOO_MANY);
    assert.equal((await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password, { from: '127.0.0.2' })).status, 200, 'another address, same second');
    clock.advance(1_000);
    assert.equal((await session(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password)).status, 200, 'the next second');
  });

  it('POST /auth/1/oauth2/token: 10 per second per address', async () => {
    nextSecond();
    for (let i = 0; i < 10; i++) assert.equal((await token(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password)).status, 200, `token ${i + 1}`);
    const eleventh = await token(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    assertRetryAfter(eleventh, 1, '11th token in one second');
    assert.deepEqual(eleventh.body, OAUTH_TOO_MANY);
    clock.advance(1_000);
    assert.equal((await token(g.baseUrl, TEST_ADMIN.username, TEST_ADMIN.password)).status, 200, 'the next second');
  });

  it('GET /sms/3/logs: 120 per minute per account; the 121st is 429 E429, for every credential of that account only', async () => {
    const other = await call(g.baseUrl, 'POST', '/hookline/1/accounts', { authorization: ADMIN_BASIC, json: { name: 'Throttle neighbour' } });
    assert.equal(other.status, 201, other.text);
    const otherKey = `App ${await createKey(g.baseUrl, { name: 'neighbour key', accountId: other.body.id })}`;

    clock.set((Math.floor(clock.now() / MINUTE) + 1) * MINUTE);
    for (let i = 0; i < 120; i++) {
      const r = await logs(g.baseUrl, APP);
      if (r.status !== 200) assert.fail(`read ${i + 1} answered ${r.status}: ${r.text}`);
    }
    assertV3TooMany(await logs(g.baseUrl, APP), 60, 'the 121st read');
    // Counted per account: the admin of the same account is throttled too, another account is not.
    assertV3TooMany(await logs(g.baseUrl, ADMIN_BASIC), 60, 'the same account with Basic');
    assert.equal((await logs(g.baseUrl, otherKey)).status, 200, 'another account');
    clock.advance(MINUTE);
    assert.equal((await logs(g.baseUrl, APP)).status, 200, 'the next minute');
  });
});

// ---------------------------------------------------------------------------------------------

describe('no secret in logs or error bodies (pino at trace)', { timeout: 60_000 }, () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  let hookline: Hookline;
  let database: TestDatabase;
  let baseUrl: string;
  const dir = tempDir();

  /** Every secret this gateway has seen, in clear and as sent in Basic headers. */
  const secrets = new Set<string>([TEST_API_KEY, TEST_ADMIN.password, ADMIN_BASIC.slice('Basic '.length)]);
  const errorBodies: Array<{ what: string; text: string }> = [];
  const remember = (...values: string[]) => values.forEach((v) => secrets.add(v));

  /** A call whose error body (status ≥ 400) is kept for the check. */
  async function tracked(what: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    const r = await call(baseUrl, method, path, options);
    if (r.status >= 400) errorBodies.push({ what: `${what} → ${r.status}`, text: r.text });
    return r;
  }

  /** The log text, with Buffers that pino printed as byte arrays (`{"type":"Buffer","data":[…]}`) decoded. */
  function logText(fromLine = 0): string {
    const text = lines.slice(fromLine).join('');
    const buffers = [...text.matchAll(/"type":"Buffer","data":\[([\d,]*)\]/g)].map((m) => Buffer.from(m[1].split(',').filter(Boolean).map(Number)).toString('latin1'));
    return [text, ...buffers].join('\n');
  }

  function assertNoSecretIn(text: string, where: string): void {
    for (const s of secrets) assert.ok(!text.includes(s), `${where} contains the secret ${s.slice(0, 6)}…: ${text.slice(Math.max(0, text.indexOf(s) - 300), text.indexOf(s) + 100)}`);
  }

  before(async () => {
    database = await createTestDatabase(dir);
    // As test/helpers/hookline.ts builds one, but logging at trace into memory; no limits in the way of the many wrong tries.
    const config = loadConfig({
      PORT: '0',
      API_KEY: TEST_API_KEY,
      ADMIN_USERNAME: TEST_ADMIN.username,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      AUTH_FAILURE_LIMIT: '100000',
      THROTTLES: 'off',
      DATABASE_URL: database.url,
      LOG_LEVEL: 'trace',
      SIMULATOR_DELAY_MS: '0',
    });
    hookline = await createHookline(config, { logger: pino({ level: 'trace' }, stream) });
    baseUrl = await hookline.start();
  });
  after(async () => {
    await hookline?.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every flow that carries a secret, right and wrong: none in the log nor in an error body', async () => {
    const wrongKey = secret('wrong-key');
    const wrongPassword = secret('wrong-password');
    const userPassword = secret('user-password');
    remember(wrongKey, wrongPassword, userPassword, basic(TEST_ADMIN.username, wrongPassword).slice(6), basic('nobody', wrongPassword).slice(6));

    // Key creation (the secret is in that one 200 body only) and its use.
    const created = await tracked('create key', 'POST', '/settings/2/api-keys', { authorization: ADMIN_BASIC, json: { name: 'logged?' } });
    assert.equal(created.status, 200, created.text);
    remember(created.body.apiKeySecret);
    const key = `App ${created.body.apiKeySecret}`;
    assert.equal((await tracked('send with the new key', 'POST', '/sms/3/messages', { authorization: key, json: { messages: [{ sender: 'Hookline', destinations: [{ to: '41793026727' }], content: { text: 'hi' } }] } })).status, 200);
    assert.equal((await tracked('logs with the new key', 'GET', '/sms/3/logs', { authorization: key })).status, 200);
    assert.equal((await tracked('key list by secret', 'GET', `/settings/2/api-keys?apiKeySecret=${created.body.apiKeySecret}`, { authorization: ADMIN_BASIC })).status, 200);
    assert.equal((await tracked('key used for key management', 'GET', '/settings/2/api-keys', { authorization: key })).status, 403);

    // Wrong API keys, on each envelope family.
    for (const path of ['/sms/3/logs', '/sms/1/logs', '/settings/2/api-keys', '/hookline/1/users']) {
      assert.equal((await tracked(`wrong key on ${path}`, 'GET', path, { authorization: `App ${wrongKey}` })).status, 401);
    }
    // Basic: right, wrong password, unknown user.
    assert.equal((await tracked('Basic right', 'GET', '/sms/3/logs', { authorization: ADMIN_BASIC })).status, 200);
    assert.equal((await tracked('Basic wrong', 'GET', '/sms/1/logs', { authorization: basic(TEST_ADMIN.username, wrongPassword) })).status, 401);
    assert.equal((await tracked('Basic unknown', 'GET', '/sms/3/logs', { authorization: basic('nobody', wrongPassword) })).status, 401);

    // Sessions: right and wrong; use, then end.
    const s = await tracked('session right', 'POST', '/auth/1/session', { headers: { authorization: 'undefined' }, json: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    assert.equal(s.status, 200);
    remember(s.body.token);
    assert.equal((await tracked('session wrong', 'POST', '/auth/1/session', { json: { username: TEST_ADMIN.username, password: wrongPassword } })).status, 401);
    assert.equal((await tracked('session malformed JSON', 'POST', '/auth/1/session', { headers: { 'content-type': 'application/json' }, raw: `{"username":"admin","password":"${wrongPassword}" x}` })).status, 400);
    assert.equal((await tracked('session use', 'GET', '/sms/3/logs', { authorization: `IBSSO ${s.body.token}` })).status, 200);
    assert.equal((await tracked('session from elsewhere', 'GET', '/sms/3/logs', { authorization: `IBSSO ${s.body.token}`, from: '127.0.0.2' })).status, 401);
    assert.equal((await tracked('session end', 'DELETE', '/auth/1/session', { authorization: `IBSSO ${s.body.token}` })).status, 200);
    assert.equal((await tracked('ended session', 'GET', '/sms/1/logs', { authorization: `IBSSO ${s.body.token}` })).status, 401);

    // Tokens: as the SDK asks (client_secret in the URL!), from a form, wrong, and use.
    const query = new URLSearchParams({ client_id: TEST_ADMIN.username, client_secret: TEST_ADMIN.password, grant_type: 'client_credentials' });
    const t = await tracked('token via query', 'POST', `/auth/1/oauth2/token?${query}`, { form: '' });
    assert.equal(t.status, 200);
    remember(t.body.access_token);
    const wrongQuery = new URLSearchParams({ client_id: TEST_ADMIN.username, client_secret: wrongPassword, grant_type: 'client_credentials' });
    assert.equal((await tracked('token via query, wrong', 'POST', `/auth/1/oauth2/token?${wrongQuery}`, { form: '' })).status, 401);
    assert.equal((await tracked('token via form, wrong grant', 'POST', '/auth/1/oauth2/token', { form: { client_id: TEST_ADMIN.username, client_secret: wrongPassword, grant_type: 'password' } })).status, 400);
    assert.equal((await tracked('bearer use', 'GET', '/sms/3/logs', { authorization: `Bearer ${t.body.access_token}` })).status, 200);
    assert.equal((await tracked('bearer wrong', 'GET', '/sms/3/logs', { authorization: `Bearer ${wrongKey}` })).status, 401);

    // A user with a password, and a password the schema refuses.
    assert.equal((await tracked('create user', 'POST', '/hookline/1/users', { authorization: ADMIN_BASIC, json: { username: 'reporter', password: userPassword, roles: ['REPORTING'] } })).status, 201);
    assert.equal((await tracked('the new user, Basic', 'GET', '/sms/3/logs', { authorization: basic('reporter', userPassword) })).status, 200);
    remember('Sh0rt!x', basic('reporter', userPassword).slice(6));
    assert.equal((await tracked('short password', 'POST', '/hookline/1/users', { authorization: ADMIN_BASIC, json: { username: 'reporter2', password: 'Sh0rt!x', roles: ['REPORTING'] } })).status, 400);

    assert.ok(lines.some((l) => l.includes('Server listening')), 'the log stream is captured');
    assert.ok(errorBodies.length >= 10, 'error bodies were collected');
    assertNoSecretIn(logText(), 'the log');
    for (const e of errorBodies) assertNoSecretIn(e.text, `the error body of ${e.what}`);
  });

  it('a request the server fails on does not log the secret in its URL', async (t) => {
    const mark = lines.length;
    const key = await call(baseUrl, 'POST', '/settings/2/api-keys', { authorization: ADMIN_BASIC, json: { name: 'in a URL' } });
    assert.equal(key.status, 200);
    remember(key.body.apiKeySecret);
    const clientSecret = secret('client-secret');
    remember(clientSecret);
    // Provocations found while writing this test (each answers 500 and logs `unhandled error`
    // with the request URL): a page number beyond what the database takes, next to the
    // apiKeySecret filter; on PostgreSQL, a NUL byte in client_id next to client_secret.
    const provocations = [
      await tracked('page=1e20 with apiKeySecret', 'GET', `/settings/2/api-keys?apiKeySecret=${key.body.apiKeySecret}&page=1e20`, { authorization: ADMIN_BASIC }),
      await tracked('NUL in client_id, secret in the query', 'POST', `/auth/1/oauth2/token?${new URLSearchParams({ client_id: 'a\u0000b', client_secret: clientSecret, grant_type: 'client_credentials' })}`, { form: '' }),
    ];
    const logged = lines.slice(mark).filter((l) => l.includes('"level":50'));
    t.diagnostic(`statuses ${provocations.map((p) => p.status).join(', ')}; ${logged.length} error line(s) logged`);
    assertNoSecretIn(logText(mark), 'the log');
    for (const p of provocations) assertNoSecretIn(p.text, 'the error body');
  });

  it('paging beyond any real page is an empty page or a 400, not a 500', async () => {
    const r = await call(baseUrl, 'GET', '/settings/2/api-keys?page=1e20', { authorization: ADMIN_BASIC });
    assert.ok(r.status === 200 || r.status === 400, `answered ${r.status}: ${r.text}`);
  });

  it('a malformed HTTP request carrying credentials: the client-error trace does not log them', async () => {
    const mark = lines.length;
    const { hostname, port } = new URL(baseUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      let received = '';
      const socket = net.connect(Number(port), hostname, () => {
        socket.write(`GET /sms/3/logs HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: ${ADMIN_BASIC}\r\nX-Api-Key: ${TEST_API_KEY}\r\nNot A Header\r\n\r\n`);
      });
      socket.setTimeout(5_000, () => socket.destroy(new Error('no answer to the malformed request')));
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      socket.on('close', () => resolve(received));
      // The server destroys the socket after its answer: a reset then is no failure.
      socket.on('error', (error) => (received ? resolve(received) : reject(error)));
    });
    assert.match(answer, /^HTTP\/1\.1 400 /, 'the malformed request is refused');
    assertNoSecretIn(answer, 'the 400 answer');
    assertNoSecretIn(logText(mark), 'the log');
  });
});

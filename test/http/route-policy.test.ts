/**
 * The route policy table (src/auth/route-policy.ts) against the routes a real gateway registers:
 * every registered route has an entry, every entry is a registered route, the public routes are
 * exactly the intended ones, and they ignore whatever Authorization header comes along
 * (the official SDK sends `Authorization: undefined` to them).
 *
 * The registered routes are read from the outside: Fastify's `printRoutes` tree is parsed and
 * every parsed route is confirmed with `hasRoute`, so a parsing slip cannot hide a route.
 */
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createHookline } from '../../src/app.ts';
import { policyKey, ROUTE_POLICIES } from '../../src/auth/route-policy.ts';
import { KNOWN_SCOPES } from '../../src/auth/scopes.ts';
import { loadConfig } from '../../src/config.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { startGateway, TEST_ADMIN, TEST_API_KEY, tempDir, type TestGateway } from '../helpers/hookline.ts';
import { LEGACY_UNAUTHORIZED, qs, rawApi, V3_UNAUTHORIZED } from './support.ts';

/** The API reference (src/http/openapi.ts): the document, Swagger UI's page, its copies of the document, its files. */
const DOCS_ROUTES = ['GET /openapi.json', 'GET /docs', 'GET /docs/json', 'GET /docs/yaml', 'GET /docs/static/index.html', 'GET /docs/static/swagger-initializer.js', 'GET /docs/static/*'];
/** The web console's static files (src/http/console.ts). */
const CONSOLE_ROUTES = ['GET /console', 'GET /console/*'];
const PUBLIC_ROUTES = ['GET /healthz', 'GET /readyz', 'GET /metrics', 'POST /auth/1/session', 'POST /auth/1/oauth2/token', 'GET /t/:code', ...DOCS_ROUTES, ...CONSOLE_ROUTES];

/**
 * `METHOD /url` for every route the server answers, HEAD included, from the `printRoutes` tree.
 * Each line is a path fragment appended to its parent's path, indented by four characters per
 * level, followed by the methods it answers (inner nodes of the tree answer none). The default
 * tree, not `commonPrefix: false`: that one drops the static part of a wildcard route's path
 * (`/docs/static/*` prints as `*` under `/docs`).
 */
function registeredRoutes(server: FastifyInstance): string[] {
  const routes: string[] = [];
  const pathAt: string[] = [];
  for (const line of server.printRoutes().split('\n')) {
    if (line.trim() === '') continue;
    const m = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) throw new Error(`unexpected printRoutes line: ${JSON.stringify(line)}`);
    const depth = m[1].length / 4;
    const path = (depth === 0 ? '' : pathAt[depth - 1]) + m[2];
    pathAt.length = depth;
    pathAt.push(path);
    for (const method of m[3]?.split(', ') ?? []) routes.push(`${method} ${path}`);
  }
  return routes;
}

const split = (route: string) => {
  const [method, url] = route.split(' ');
  return { method, url } as { method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE'; url: string };
};

/** The envelope a path's errors come in (Infobip's specs: SMS v1/v2, /auth/1, the Subscriptions API, WhatsApp v1 and Email v1/v3 are legacy). */
const unauthorizedBody = (url: string) => (/^\/(sms\/[12]|auth\/1|subscriptions\/1|whatsapp\/1|email\/[13])\//.test(url) ? LEGACY_UNAUTHORIZED : V3_UNAUTHORIZED);

describe('route policy table', () => {
  let g: TestGateway;
  let registered: string[];
  before(async () => {
    g = await startGateway();
    registered = registeredRoutes(g.hookline.server);
  });
  after(async () => {
    await g.close();
  });

  it('the routes read from printRoutes are real routes (the parser is trustworthy)', () => {
    // 36 table entries plus a HEAD twin for each of the 16 GET routes, at the time of writing.
    assert.ok(registered.length >= 30, `only ${registered.length} routes parsed: ${registered.join(', ')}`);
    assert.equal(new Set(registered).size, registered.length, 'no route parsed twice');
    for (const route of registered) assert.ok(g.hookline.server.hasRoute(split(route)), `${route} parsed but not a route`);
    // A made-up route is not one, so hasRoute really does discriminate.
    assert.equal(g.hookline.server.hasRoute({ method: 'GET', url: '/sms/9/nothing' }), false);
  });

  it('every registered route has an entry in ROUTE_POLICIES (HEAD is policed as GET)', () => {
    const missing = registered.filter((route) => !ROUTE_POLICIES[policyKey(split(route).method, split(route).url)]);
    assert.deepEqual(missing, [], 'routes without a policy');
    // Every HEAD route is the automatic twin of a GET route, so treating it as GET is right.
    for (const route of registered.filter((r) => r.startsWith('HEAD '))) {
      assert.ok(registered.includes(route.replace(/^HEAD /, 'GET ')), `${route} has no GET twin`);
    }
  });

  it('every ROUTE_POLICIES entry is a registered route (no stale entries)', () => {
    const stale = Object.keys(ROUTE_POLICIES).filter((key) => !g.hookline.server.hasRoute(split(key)));
    assert.deepEqual(stale, [], 'entries for routes that do not exist');
    // And the two directions agree exactly, apart from the HEAD twins.
    assert.deepEqual(registered.filter((r) => !r.startsWith('HEAD ')).sort(), Object.keys(ROUTE_POLICIES).sort());
  });

  it('the public routes are exactly health, readiness, session create, token create, the short links, the API reference and the metrics (METRICS_TOKEN is checked by the route itself)', () => {
    const publicKeys = Object.entries(ROUTE_POLICIES)
      .filter(([, policy]) => policy.access === 'public')
      .map(([key]) => key);
    assert.deepEqual(publicKeys.sort(), [...PUBLIC_ROUTES].sort());
    // Public means no credentials at all: no schemes list that would suggest otherwise.
    for (const key of PUBLIC_ROUTES) assert.equal(ROUTE_POLICIES[key].schemes, undefined, key);
  });

  it('every scope the table names is a known scope, and every authenticated route names scopes or is signed-in', () => {
    for (const [key, policy] of Object.entries(ROUTE_POLICIES)) {
      if (policy.access === 'public' || policy.access === 'signed-in') continue;
      assert.ok(policy.access.anyOf.length > 0, `${key} accepts no scope at all`);
      for (const scope of policy.access.anyOf) assert.ok(KNOWN_SCOPES.has(scope), `${key}: unknown scope ${scope}`);
    }
  });

  it('account management is for people: api-keys and /hookline/1/ (but numbers, the simulator, key rotation and webhook operations) take Basic, IBSSO, OAuth2 and account-management:manage only', () => {
    const management = Object.keys(ROUTE_POLICIES).filter((key) => / \/(settings\/2\/api-keys|hookline\/1\/(?!numbers|simulator\/|security\/|deliveries|attempts|recoveries|targets|operations-profile|me$|messages|stats|events$))/.test(key));
    assert.equal(management.length, 26); // 19, and the 7 SMPP connection and route routes
    for (const key of management) {
      assert.deepEqual([...(ROUTE_POLICIES[key].schemes ?? [])].sort(), ['basic', 'bearer', 'ibsso'], key);
      assert.deepEqual(ROUTE_POLICIES[key].access, { anyOf: ['account-management:manage'] }, key);
    }
    // Numbers and the simulator's inbound endpoint: numbers:manage, every scheme (see route-policy.ts).
    const numbers = Object.keys(ROUTE_POLICIES).filter((key) => / \/hookline\/1\/(numbers|simulator\/)/.test(key));
    assert.deepEqual(numbers.sort(), ['DELETE /hookline/1/numbers/:number', 'GET /hookline/1/numbers', 'GET /hookline/1/numbers/:number', 'POST /hookline/1/numbers', 'POST /hookline/1/simulator/inbound']);
    for (const key of numbers) assert.deepEqual(ROUTE_POLICIES[key], { access: { anyOf: ['numbers:manage'] } }, key);
    // HMAC key rotation belongs with the security settings it changes: subscriptions:manage, every scheme.
    const rotation = Object.keys(ROUTE_POLICIES).filter((key) => / \/hookline\/1\/security\//.test(key));
    assert.deepEqual(rotation, ['POST /hookline/1/security/:authId/rotate']);
    assert.deepEqual(ROUTE_POLICIES[rotation[0]], ROUTE_POLICIES['PUT /subscriptions/1/security/:authId']);
    // The attempt log and replay are about the webhooks the Subscriptions API sets up: its scope, every scheme.
    const attemptLog = Object.keys(ROUTE_POLICIES).filter((key) => / \/hookline\/1\/(deliveries|attempts)\b/.test(key));
    assert.equal(attemptLog.length, 5);
    for (const key of attemptLog) assert.deepEqual(ROUTE_POLICIES[key], ROUTE_POLICIES['GET /subscriptions/1/profiles'], key);
    // Recoveries, target health and the operations profile: the same scope, every scheme.
    const recovery = Object.keys(ROUTE_POLICIES).filter((key) => / \/hookline\/1\/(recoveries|targets|operations-profile)\b/.test(key));
    assert.equal(recovery.length, 8);
    for (const key of recovery) assert.deepEqual(ROUTE_POLICIES[key], ROUTE_POLICIES['GET /subscriptions/1/profiles'], key);
    // The console's APIs: /me for anyone signed in; the message log for any channel's logs or manage scope; stats for those or subscriptions:manage. Every scheme.
    const readers = ['sms:logs:read', 'sms:manage', 'messages-api:manage', 'whatsapp:logs:read', 'whatsapp:manage', 'email:logs:read', 'email:manage'];
    assert.deepEqual(ROUTE_POLICIES['GET /hookline/1/me'], { access: 'signed-in' });
    // The message log and stats are throttled as the SMS logs are (120 a minute per account).
    const perMinute = { limit: 120, windowMs: 60_000 };
    for (const key of ['GET /hookline/1/messages', 'GET /hookline/1/messages/:messageId']) assert.deepEqual(ROUTE_POLICIES[key], { access: { anyOf: readers }, throttle: perMinute }, key);
    assert.deepEqual(ROUTE_POLICIES['GET /hookline/1/stats'], { access: { anyOf: ['subscriptions:manage', ...readers] }, throttle: perMinute });
    // Live events: reports for message readers, attempts for subscriptions:manage. Every scheme.
    assert.deepEqual(ROUTE_POLICIES['GET /hookline/1/events'], { access: { anyOf: ['subscriptions:manage', ...readers] } });
    // Ending a session is for the session itself (the spec's only security is IBSSOTokenHeader).
    assert.deepEqual(ROUTE_POLICIES['DELETE /auth/1/session'], { access: 'signed-in', schemes: ['ibsso'], throttle: { limit: 10, windowMs: 1_000 } });
  });

  it("the SMS routes accept the scopes of Infobip's x-scopes (transcribed from infobip-sms-openapi.json)", () => {
    const SEND = ['message:send', 'sms:message:send', 'sms:manage'];
    const expected: Record<string, string[]> = {
      'POST /sms/2/text/advanced': SEND,
      'POST /sms/2/binary/advanced': SEND,
      'POST /sms/3/messages': SEND,
      'POST /sms/1/preview': ['sms:manage'],
      'GET /sms/1/bulks': ['sms:message:send', 'sms:manage'],
      'PUT /sms/1/bulks': ['sms:manage'],
      'GET /sms/1/bulks/status': ['sms:message:send', 'sms:manage'],
      'PUT /sms/1/bulks/status': ['sms:manage'],
      'GET /sms/1/logs': ['sms:logs:read', 'sms:manage'],
      'GET /sms/3/logs': ['sms:manage', 'sms:logs:read'],
      'GET /sms/1/reports': SEND,
      'GET /sms/3/reports': SEND,
      'GET /sms/1/inbox/reports': ['inbound-message:read', 'sms:inbound-message:read', 'sms:manage'],
    };
    const smsKeys = Object.keys(ROUTE_POLICIES).filter((key) => / \/sms\//.test(key));
    assert.deepEqual(smsKeys.sort(), Object.keys(expected).sort());
    for (const [key, scopes] of Object.entries(expected)) {
      const { access, schemes } = ROUTE_POLICIES[key];
      assert.ok(typeof access === 'object', key);
      assert.deepEqual([...access.anyOf].sort(), [...scopes].sort(), key);
      assert.equal(schemes, undefined, `${key} takes all four schemes`);
    }
  });

  it("the Messages API routes accept exactly the x-scopes of infobip-messages-api-openapi.json", () => {
    const expected: Record<string, string[]> = {
      'POST /messages-api/1/messages': ['message:send', 'messages-api:message:send', 'messages-api:manage'],
      'GET /messages-api/1/reports': ['message:send', 'messages-api:message:send', 'messages-api:manage'],
      'GET /messages-api/1/inbound': ['inbound-message:read', 'messages-api:manage'],
    };
    assert.deepEqual(Object.keys(ROUTE_POLICIES).filter((key) => / \/messages-api\//.test(key)).sort(), Object.keys(expected).sort());
    for (const [key, scopes] of Object.entries(expected)) {
      const { access, schemes } = ROUTE_POLICIES[key];
      assert.ok(typeof access === 'object', key);
      assert.deepEqual([...access.anyOf].sort(), [...scopes].sort(), key);
      assert.equal(schemes, undefined, `${key} takes all four schemes`);
    }
  });

  it('the email routes accept exactly the x-scopes of infobip-email-openapi.json, with its published throttles', () => {
    const send = ['message:send', 'email:message:send', 'email:manage'];
    const expected: Record<string, { scopes: string[]; perMinute?: number }> = {
      'POST /email/3/send': { scopes: send },
      'GET /email/1/reports': { scopes: send, perMinute: 60 },
      'GET /email/1/logs': { scopes: ['email:logs:read', 'email:manage'], perMinute: 60 },
    };
    assert.deepEqual(Object.keys(ROUTE_POLICIES).filter((key) => / \/email\//.test(key)).sort(), Object.keys(expected).sort());
    for (const [key, { scopes, perMinute }] of Object.entries(expected)) {
      const { access, schemes, throttle } = ROUTE_POLICIES[key];
      assert.ok(typeof access === 'object', key);
      assert.deepEqual([...access.anyOf].sort(), [...scopes].sort(), key);
      assert.equal(schemes, undefined, `${key} takes all four schemes`);
      assert.deepEqual(throttle, perMinute === undefined ? undefined : { limit: perMinute, windowMs: 60_000 }, key);
    }
  });

  it('every non-public route refuses a caller without credentials (401 in its envelope), HEAD twins included', async () => {
    for (const route of registered) {
      const { method, url } = split(route);
      if (ROUTE_POLICIES[policyKey(method, url)]?.access === 'public') continue;
      const path = url.replace(/:[A-Za-z]+/g, 'some-id');
      const r = await rawApi(g, method, path);
      assert.equal(r.status, 401, `${route}: ${JSON.stringify(r.body)}`);
      if (method !== 'HEAD') assert.deepEqual(r.body, unauthorizedBody(url), route);
    }
  });

  describe('public routes ignore any Authorization header', () => {
    // `undefined` is what @infobip-api/sdk sends to session create; the rest are junk of every shape.
    const JUNK = [undefined, 'undefined', `App ${TEST_API_KEY}x`, 'App', 'Bearer junk', 'IBSSO junk', 'Basic %%%not-base64%%%', 'Token abc'];
    const label = (header: string | undefined) => (header === undefined ? 'no header' : `Authorization: ${header}`);
    const headers = (header: string | undefined): Record<string, string> => (header === undefined ? {} : { authorization: header });

    for (const path of ['/healthz', '/readyz']) {
      it(`GET ${path}`, async () => {
        for (const header of JUNK) {
          const r = await rawApi(g, 'GET', path, undefined, headers(header));
          assert.equal(r.status, 200, `${label(header)}: ${JSON.stringify(r.body)}`);
          assert.deepEqual(r.body, path === '/healthz' ? { status: 'ok' } : { status: 'ready' });
        }
      });
    }

    it('POST /auth/1/session answers a token that then works as IBSSO', async () => {
      for (const header of JUNK) {
        const r = await rawApi(g, 'POST', '/auth/1/session', { username: TEST_ADMIN.username, password: TEST_ADMIN.password }, headers(header));
        assert.equal(r.status, 200, `${label(header)}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(Object.keys(r.body), ['token']);
        const used = await rawApi(g, 'GET', '/sms/3/logs', undefined, { authorization: `IBSSO ${r.body.token}` });
        assert.equal(used.status, 200, `${label(header)}: the session works`);
      }
    });

    it('POST /auth/1/oauth2/token (parameters in the query, as the SDK sends them) answers a token that then works as Bearer', async () => {
      const params = qs({ client_id: TEST_ADMIN.username, client_secret: TEST_ADMIN.password, grant_type: 'client_credentials' });
      for (const header of JUNK) {
        const r = await rawApi(g, 'POST', '/auth/1/oauth2/token' + params, undefined, headers(header));
        assert.equal(r.status, 200, `${label(header)}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(Object.keys(r.body).sort(), ['access_token', 'expires_in', 'token_type']);
        assert.equal(r.body.token_type, 'Bearer');
        const used = await rawApi(g, 'GET', '/sms/3/logs', undefined, { authorization: `Bearer ${r.body.access_token}` });
        assert.equal(used.status, 200, `${label(header)}: the token works`);
      }
    });

    it('and a public route refuses bad credentials in its body as itself, not as an authentication failure of the header', async () => {
      // A valid App key in the header does not log anyone in: the body's password is what counts.
      const r = await rawApi(g, 'POST', '/auth/1/session', { username: TEST_ADMIN.username, password: 'not-the-password' }, { authorization: `App ${TEST_API_KEY}` });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, LEGACY_UNAUTHORIZED);
    });
  });
});

describe('a route without a policy cannot be registered', () => {
  it('adding a route that has no ROUTE_POLICIES entry throws before the server starts', async () => {
    const dir = tempDir();
    const database = await createTestDatabase(dir);
    const config = loadConfig({ PORT: '0', API_KEY: TEST_API_KEY, ADMIN_USERNAME: TEST_ADMIN.username, ADMIN_PASSWORD: TEST_ADMIN.password, DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
    const hookline = await createHookline(config, { logger: pino({ level: 'silent' }) });
    try {
      const refused = /has no entry in ROUTE_POLICIES/;
      assert.throws(() => hookline.server.get('/sms/9/unlisted', async () => ({})), refused);
      // The table is keyed by method too: a known path with a new method is refused as well.
      assert.throws(() => hookline.server.patch('/sms/3/messages', async () => ({})), refused);
      assert.throws(() => hookline.server.route({ method: ['GET', 'POST'], url: '/healthz/extra', handler: async () => ({}) }), refused);
    } finally {
      await hookline.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

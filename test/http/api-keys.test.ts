/**
 * API key management (`/settings/2/api-keys`, Infobip's account-management spec) against a real
 * gateway: what a key looks like when created and afterwards, where its secret lives, what the key
 * may do once it exists, and how revoking, expiry and IP rules take effect (in real time, within
 * a second, as the issue promises). Users call these endpoints with Basic, IBSSO or Bearer; an API
 * key never may. The bootstrap API_KEY and the 40/day create throttle get gateways of their own.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Agent, request } from 'undici';
import { BUILT_IN_ROLE_BY_ID } from '../../src/auth/roles.ts';
import { ManualClock } from '../../src/clock.ts';
import { parseInfobipTime } from '../../src/lib/infobip-time.ts';
import { startGateway, TEST_ADMIN, TEST_API_KEY, type TestGateway } from '../helpers/hookline.ts';
import { LEGACY_FORBIDDEN, qs, rawApi, uniq, V3_FORBIDDEN, V3_NOT_FOUND, V3_UNAUTHORIZED, v3ErrorProperties } from './support.ts';

const KEYS = '/settings/2/api-keys';
const DAY_MS = 24 * 3_600_000;


/** Every field an ApiKey has in a response other than create's (create adds apiKeySecret). */
const KEY_FIELDS = ['accountId', 'allowedIPs', 'enabled', 'id', 'name', 'permissions', 'scopeGuids', 'validFrom', 'validTo'];

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const ADMIN = basic(TEST_ADMIN.username, TEST_ADMIN.password);
const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request with exactly this Authorization header. */
const as = (g: TestGateway, authorization: string, method: string, path: string, body?: unknown) => rawApi(g, method, path, body, { authorization });

/** Creates a key (asserting 200) and returns the response body, secret included. */
async function createKey(g: TestGateway, authorization: string, body: Record<string, unknown>): Promise<any> {
  const r = await as(g, authorization, 'POST', KEYS, body);
  assert.equal(r.status, 200, `create ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function putKey(g: TestGateway, id: string, body: Record<string, unknown>, authorization = ADMIN): Promise<any> {
  const r = await as(g, authorization, 'PUT', `${KEYS}/${id}`, body);
  assert.equal(r.status, 200, `PUT ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Status of a cheap read (GET /sms/3/logs accepts sms:manage or sms:logs:read) with `App <secret>`. */
async function probe(g: TestGateway, secret: string, path = '/sms/3/logs?limit=1'): Promise<number> {
  return (await as(g, `App ${secret}`, 'GET', path)).status;
}

/**
 * Clients bound to another loopback address (Linux routes all of 127/8 to lo). The address goes
 * in the Agent's own `localAddress` option: undici 7 ignores `connect: { localAddress }` (its
 * connector passes the client's localAddress, null, after the connect options).
 */
const agents = new Map<string, Agent>();
async function probeFrom(g: TestGateway, localAddress: string, secret: string, headers: Record<string, string> = {}): Promise<number> {
  let agent = agents.get(localAddress);
  if (!agent) agents.set(localAddress, (agent = new Agent({ localAddress })));
  const r = await request(`${g.baseUrl}/sms/3/logs?limit=1`, { dispatcher: agent, headers: { authorization: `App ${secret}`, ...headers } });
  await r.body.dump();
  return r.statusCode;
}

/**
 * Polls `status()` until it answers `want`; returns when the answering request was sent and
 * received. Fails after `limitMs`. Bounded: at most one request per 20 ms.
 */
async function pollUntil(want: number, status: () => Promise<number>, limitMs: number): Promise<{ sentAt: number; receivedAt: number; seen: number[] }> {
  const deadline = Date.now() + limitMs;
  const seen: number[] = [];
  for (;;) {
    const sentAt = Date.now();
    const got = await status();
    const receivedAt = Date.now();
    seen.push(got);
    if (got === want) return { sentAt, receivedAt, seen };
    if (receivedAt > deadline) assert.fail(`no ${want} within ${limitMs} ms; statuses seen: ${seen.join(',')}`);
    await sleep(20);
  }
}

/** Creates a user (asserting 201) and returns its Basic header. */
async function createUser(g: TestGateway, body: { username: string; password: string; roles: string[]; accountId?: string }): Promise<string> {
  const r = await as(g, ADMIN, 'POST', '/hookline/1/users', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return basic(body.username, body.password);
}

async function createAccount(g: TestGateway, id: string): Promise<void> {
  const r = await as(g, ADMIN, 'POST', '/hookline/1/accounts', { id, name: id });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

describe('API key management (/settings/2/api-keys)', () => {
  let g: TestGateway;
  let ibsso: string;
  let bearer: string;
  let integrations: string;
  before(async () => {
    // Many requests below: the published throttles (GET 10/s, POST/PUT 40/day) get their own gateway.
    g = await startGateway({ THROTTLES: 'off' });
    const session = await rawApi(g, 'POST', '/auth/1/session', TEST_ADMIN);
    assert.equal(session.status, 200, JSON.stringify(session.body));
    ibsso = `IBSSO ${session.body.token}`;
    const token = await fetch(`${g.baseUrl}/auth/1/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: TEST_ADMIN.username, client_secret: TEST_ADMIN.password, grant_type: 'client_credentials' }),
    });
    assert.equal(token.status, 200);
    bearer = `Bearer ${((await token.json()) as { access_token: string }).access_token}`;
    integrations = await createUser(g, { username: uniq('integrations'), password: 'integrations-password', roles: ['INTEGRATIONS_MANAGER'] });
  });
  after(async () => {
    for (const agent of agents.values()) await agent.close();
    await g.close();
  });

  describe('create', () => {
    it('answers 200 with the ApiKey, field by field, the secret included only here', async () => {
      const name = uniq('field-by-field');
      const before = Date.now();
      const created = await createKey(g, ADMIN, { name, allowedIPs: ['127.0.0.1', '10.0.0.0/8', '2001:db8::/32'], scopeGuids: ['sms:logs:read', 'sms:message:send'] });
      const afterCreate = Date.now();
      assert.deepEqual(Object.keys(created).sort(), ['apiKeySecret', ...KEY_FIELDS].sort());
      assert.match(created.id, /^[0-9A-F]{32}$/, 'an Infobip-style id');
      assert.equal(typeof created.apiKeySecret, 'string');
      assert.ok(created.apiKeySecret.length >= 32, 'a secret of 128+ random bits');
      assert.equal(created.accountId, 'default', "the caller's account");
      assert.equal(created.name, name);
      assert.deepEqual(created.allowedIPs, ['127.0.0.1', '10.0.0.0/8', '2001:db8::/32']);
      assert.equal(created.enabled, true);
      assert.deepEqual(created.permissions, ['PUBLIC_API'], 'PUBLIC_API is the default permission');
      assert.deepEqual(created.scopeGuids, ['sms:logs:read', 'sms:message:send']);
      // validFrom defaults to the creation time, validTo to one year later.
      assert.match(created.validFrom, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
      const validFrom = parseInfobipTime(created.validFrom);
      assert.ok(validFrom >= before && validFrom <= afterCreate, `validFrom ${created.validFrom} is the creation time`);
      const oneYearLater = new Date(validFrom);
      oneYearLater.setUTCFullYear(oneYearLater.getUTCFullYear() + 1);
      assert.equal(parseInfobipTime(created.validTo), oneYearLater.getTime(), `validTo ${created.validTo} is one year after validFrom`);

      const { apiKeySecret, ...stored } = created;
      const byId = await as(g, ADMIN, 'GET', `${KEYS}/${created.id}`);
      assert.equal(byId.status, 200);
      assert.deepEqual(byId.body, stored, 'GET by id: the same key, without its secret');
      const listed = await as(g, ADMIN, 'GET', KEYS + qs({ name }));
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.apiKeys, [stored], 'the list: the same key, without its secret');
      const updated = await putKey(g, created.id, { name: `${name}-renamed` });
      assert.deepEqual(updated, { ...stored, name: `${name}-renamed` }, 'PUT answers the key without its secret');
      for (const body of [byId.body, listed.body, updated]) assert.ok(!JSON.stringify(body).includes(apiKeySecret), 'the secret is never shown again');
    });

    it('works with IBSSO and Bearer as with Basic', async () => {
      const viaSession = await createKey(g, ibsso, { name: uniq('via-ibsso'), scopeGuids: ['sms:logs:read'] });
      const viaToken = await createKey(g, bearer, { name: uniq('via-bearer'), scopeGuids: ['sms:logs:read'] });
      for (const auth of [ibsso, bearer]) {
        const one = await as(g, auth, 'GET', `${KEYS}/${viaSession.id}`);
        assert.equal(one.status, 200);
        const list = await as(g, auth, 'GET', KEYS + qs({ name: viaToken.name }));
        assert.deepEqual(list.body.apiKeys.map((k: any) => k.id), [viaToken.id]);
        const put = await as(g, auth, 'PUT', `${KEYS}/${viaToken.id}`, { allowedIPs: [] });
        assert.equal(put.status, 200);
      }
      assert.equal(await probe(g, viaSession.apiKeySecret), 200);
      assert.equal(await probe(g, viaToken.apiKeySecret), 200);
    });

    it("a key created without scopes gets its creator's role scopes", async () => {
      const byIntegrations = await createKey(g, integrations, { name: uniq('im-default-scopes') });
      const roleScopes = [...BUILT_IN_ROLE_BY_ID.get('INTEGRATIONS_MANAGER')!.scopes].sort();
      assert.deepEqual([...byIntegrations.scopeGuids].sort(), roleScopes, 'exactly the INTEGRATIONS_MANAGER scopes');
      assert.equal(await probe(g, byIntegrations.apiKeySecret), 200, 'sms:logs:read is among them');
      const byAdmin = await createKey(g, ADMIN, { name: uniq('admin-default-scopes') });
      assert.deepEqual(byAdmin.scopeGuids, ['*'], "an account admin's key holds every scope");
    });

    it('granting scopes the creator does not hold is 403', async () => {
      for (const scopeGuids of [['2fa:manage'], ['sms:logs:read', 'numbers:manage'], ['*']]) {
        const name = uniq('escalation');
        const r = await as(g, integrations, 'POST', KEYS, { name, scopeGuids });
        assert.equal(r.status, 403, `${JSON.stringify(scopeGuids)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.errorCode, 'E403');
        const none = await as(g, ADMIN, 'GET', KEYS + qs({ name }));
        assert.equal(none.body.paging.totalCount, 0, 'no key was created');
      }
      // A subset of what the creator holds is fine.
      const subset = await createKey(g, integrations, { name: uniq('im-subset'), scopeGuids: ['sms:logs:read'] });
      assert.deepEqual(subset.scopeGuids, ['sms:logs:read']);
      // And a PUT cannot raise a key above its caller either.
      const raised = await as(g, integrations, 'PUT', `${KEYS}/${subset.id}`, { scopeGuids: ['2fa:manage'] });
      assert.equal(raised.status, 403, JSON.stringify(raised.body));
    });

    it('stores the secret only as a hash: the secret appears nowhere in the database', async () => {
      const created = await createKey(g, ADMIN, { name: uniq('hash-only-marker'), scopeGuids: ['sms:logs:read'] });
      assert.equal(await probe(g, created.apiKeySecret), 200, 'the key works, so it is stored somehow');
      const url = g.hookline.config.databaseUrl;
      if (url.startsWith('sqlite:')) {
        const path = url.slice('sqlite:'.length);
        const db = new Database(path, { readonly: true, fileMustExist: true });
        try {
          const row = db.prepare('select * from api_keys where id = ?').get(created.id) as Record<string, unknown> | undefined;
          assert.ok(row, 'the row of the new key is there');
          assert.equal(row.name, created.name);
          for (const [column, value] of Object.entries(row)) assert.ok(!String(value).includes(created.apiKeySecret), `api_keys.${column} holds the secret`);
        } finally {
          db.close();
        }
        // Every byte of the database, its WAL and journal: the name is found (the scan works), the secret is not.
        const files = [path, `${path}-wal`, `${path}-journal`].filter(existsSync).map((f) => readFileSync(f));
        assert.ok(files.some((bytes) => bytes.includes(created.name)), 'the scan finds the key name');
        assert.ok(!files.some((bytes) => bytes.includes(created.apiKeySecret)), 'the secret is somewhere in the SQLite files');
      } else {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          const { rows } = await client.query('select * from api_keys where id = $1', [created.id]);
          assert.equal(rows.length, 1, 'the row of the new key is there');
          for (const [column, value] of Object.entries(rows[0])) assert.ok(!String(value).includes(created.apiKeySecret), `api_keys.${column} holds the secret`);
          // Every row of every table, as text: the name is found (the scan works), the secret is not.
          const tables = (await client.query(`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`)).rows.map((r) => r.table_name as string);
          const containing = async (needle: string) => {
            const hits: string[] = [];
            for (const table of tables) {
              const { rows: count } = await client.query(`select count(*)::int as n from "${table}" t where t::text like '%' || $1 || '%'`, [needle]);
              if (count[0].n > 0) hits.push(table);
            }
            return hits;
          };
          assert.deepEqual(await containing(created.name), ['api_keys'], 'the scan finds the key name');
          assert.deepEqual(await containing(created.apiKeySecret), [], 'tables holding the secret');
        } finally {
          await client.end();
        }
      }
    });
  });

  describe('what a key may do', () => {
    it('works with App <secret> where its scopes allow, 403 where they do not', async () => {
      const logsOnly = await createKey(g, ADMIN, { name: uniq('logs-only'), scopeGuids: ['sms:logs:read'] });
      const sendOnly = await createKey(g, ADMIN, { name: uniq('send-only'), scopeGuids: ['sms:message:send'] });
      const send = (secret: string) =>
        as(g, `App ${secret}`, 'POST', '/sms/3/messages', { messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'scoped' } }] });

      assert.equal(await probe(g, logsOnly.apiKeySecret, '/sms/3/logs'), 200);
      assert.equal(await probe(g, logsOnly.apiKeySecret, '/sms/1/logs'), 200);
      const refused = await send(logsOnly.apiKeySecret);
      assert.equal(refused.status, 403);
      assert.deepEqual(refused.body, V3_FORBIDDEN);
      const refusedLegacy = await as(g, `App ${logsOnly.apiKeySecret}`, 'POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to: '41793026727' }], text: 'x' }] });
      assert.equal(refusedLegacy.status, 403);
      assert.deepEqual(refusedLegacy.body, LEGACY_FORBIDDEN);

      const sent = await send(sendOnly.apiKeySecret);
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.equal(await probe(g, sendOnly.apiKeySecret, '/sms/3/logs'), 403);
      assert.equal(await probe(g, sendOnly.apiKeySecret, '/sms/1/bulks?bulkId=none'), 404, 'sms:message:send opens GET bulks (unknown bulk: 404)');
    });

    it('an API key never manages keys, not even the bootstrap key that holds every scope', async () => {
      const any = await createKey(g, ADMIN, { name: uniq('not-a-manager') });
      assert.deepEqual(any.scopeGuids, ['*']);
      for (const secret of [TEST_API_KEY, any.apiKeySecret]) {
        for (const [method, path, body] of [
          ['GET', KEYS, undefined],
          ['POST', KEYS, { name: 'by-key' }],
          ['GET', `${KEYS}/${any.id}`, undefined],
          ['PUT', `${KEYS}/${any.id}`, { name: 'by-key' }],
        ] as const) {
          const r = await as(g, `App ${secret}`, method, path, body);
          assert.equal(r.status, 403, `${method} ${path}`);
          assert.deepEqual(r.body, V3_FORBIDDEN);
        }
      }
      const unchanged = await as(g, ADMIN, 'GET', `${KEYS}/${any.id}`);
      assert.equal(unchanged.body.name, any.name);
    });

    it('a user without account-management:manage gets 403', async () => {
      const communications = await createUser(g, { username: uniq('comms'), password: 'communications-password', roles: ['COMMUNICATION_MANAGER'] });
      const list = await as(g, communications, 'GET', KEYS);
      assert.equal(list.status, 403);
      assert.deepEqual(list.body, V3_FORBIDDEN);
      assert.equal((await as(g, communications, 'POST', KEYS, { name: 'x' })).status, 403);
    });
  });

  describe('list, get and update', () => {
    it('pages and orders (page, size, totalCount, totalPages; orderBy name DESC)', async () => {
      // Keys of an account of their own, so the totals are exact; the operator creates them there.
      const accountId = uniq('paging');
      await createAccount(g, accountId);
      const names = ['k-c', 'k-a', 'k-e', 'k-b', 'k-d'];
      const created = [];
      for (const name of names) created.push(await createKey(g, ADMIN, { name, accountId, scopeGuids: ['sms:logs:read'] }));
      assert.ok(created.every((k) => k.accountId === accountId));

      const page = async (params: Record<string, string | number | boolean>) => {
        const r = await as(g, ADMIN, 'GET', KEYS + qs({ accountId, ...params }));
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r.body;
      };
      const first = await page({ page: 0, size: 2, orderBy: 'name', orderDirection: 'DESC' });
      assert.deepEqual(first.apiKeys.map((k: any) => k.name), ['k-e', 'k-d']);
      assert.deepEqual({ ...first.paging, orderDirection: first.paging.orderDirection.toLowerCase() }, { page: 0, pageSize: 2, orderDirection: 'desc', orderBy: 'name', totalCount: 5, totalPages: 3 });
      assert.deepEqual((await page({ page: 1, size: 2, orderBy: 'name', orderDirection: 'DESC' })).apiKeys.map((k: any) => k.name), ['k-c', 'k-b']);
      const last = await page({ page: 2, size: 2, orderBy: 'name', orderDirection: 'DESC' });
      assert.deepEqual(last.apiKeys.map((k: any) => k.name), ['k-a']);
      assert.equal(last.paging.totalPages, 3);
      const beyond = await page({ page: 3, size: 2, orderBy: 'name', orderDirection: 'DESC' });
      assert.deepEqual(beyond.apiKeys, []);
      assert.equal(beyond.paging.totalCount, 5);
      assert.deepEqual((await page({ orderBy: 'name' })).apiKeys.map((k: any) => k.name), ['k-a', 'k-b', 'k-c', 'k-d', 'k-e'], 'ascending by default');

      // Defaults: page 0, size 100, ordered by id ascending.
      const all = await page({});
      assert.deepEqual(
        all.apiKeys.map((k: any) => k.id),
        created.map((k) => k.id).sort(),
      );
      assert.equal(all.paging.page, 0);
      assert.equal(all.paging.pageSize, 100);
      assert.equal(all.paging.orderDirection.toLowerCase(), 'asc');
      assert.equal(all.paging.totalPages, 1);
      for (const k of all.apiKeys) assert.ok(!('apiKeySecret' in k), 'no secret in the list');

      for (const bad of [{ size: 101 }, { size: 0 }, { page: -1 }, { page: 1_000_001 }, { orderBy: 'secret' }, { orderDirection: 'sideways' }] as Array<Record<string, string | number>>) {
        const r = await as(g, ADMIN, 'GET', KEYS + qs({ accountId, ...bad }));
        assert.equal(r.status, 400, JSON.stringify(bad));
        assert.deepEqual(v3ErrorProperties(r.body), Object.keys(bad), JSON.stringify(r.body));
      }

      // Filters: name (exact), enabled, apiKeySecret.
      assert.deepEqual((await page({ name: 'k-b' })).apiKeys.map((k: any) => k.id), [created[3].id]);
      assert.deepEqual((await page({ name: 'k-' })).apiKeys, [], 'name is matched exactly');
      await putKey(g, created[0].id, { enabled: false });
      assert.deepEqual((await page({ enabled: false })).apiKeys.map((k: any) => k.name), ['k-c']);
      assert.equal((await page({ enabled: true })).paging.totalCount, 4);
      const bySecret = await page({ apiKeySecret: created[2].apiKeySecret });
      assert.deepEqual(bySecret.apiKeys.map((k: any) => k.id), [created[2].id]);
      assert.ok(!JSON.stringify(bySecret).includes(created[2].apiKeySecret), 'filtering by secret does not echo it');
      assert.deepEqual((await page({ apiKeySecret: `${created[2].apiKeySecret}x` })).apiKeys, []);
    });

    it('GET by id; an unknown id is 404 in the v3 envelope', async () => {
      const created = await createKey(g, ibsso, { name: uniq('by-id') });
      const r = await as(g, ibsso, 'GET', `${KEYS}/${created.id}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.id, created.id);
      for (const [method, body] of [['GET', undefined], ['PUT', { name: 'x' }]] as const) {
        const missing = await as(g, ADMIN, method, `${KEYS}/0123456789ABCDEF0123456789ABCDEF`, body);
        assert.equal(missing.status, 404, method);
        assert.deepEqual(missing.body, V3_NOT_FOUND);
      }
    });

    it('enabled:false refuses the key within a second; enabled:true lets it back in', async () => {
      const created = await createKey(g, ADMIN, { name: uniq('revoke'), scopeGuids: ['sms:logs:read'] });
      assert.equal(await probe(g, created.apiKeySecret), 200, 'works before (and is now cached)');
      const putAt = Date.now();
      const revoked = await putKey(g, created.id, { enabled: false });
      assert.equal(revoked.enabled, false);
      const refused = await pollUntil(401, () => probe(g, created.apiKeySecret), 3_000);
      assert.ok(refused.sentAt - putAt <= 1_500, `refused ${refused.sentAt - putAt} ms after the PUT (statuses ${refused.seen.join(',')})`);
      const body = await as(g, `App ${created.apiKeySecret}`, 'GET', '/sms/3/logs');
      assert.deepEqual(body.body, V3_UNAUTHORIZED, 'a revoked key is a plain 401, saying nothing of why');
      await sleep(1_100);
      assert.equal(await probe(g, created.apiKeySecret), 401, 'and stays refused');

      const enableAt = Date.now();
      assert.equal((await putKey(g, created.id, { enabled: true })).enabled, true);
      const back = await pollUntil(200, () => probe(g, created.apiKeySecret), 3_000);
      assert.ok(back.sentAt - enableAt <= 1_500, `accepted ${back.sentAt - enableAt} ms after the PUT`);
    });

    it('PUT changes name, allowedIPs, permissions and validTo; scopeGuids: [] leaves a key with no access', async () => {
      const created = await createKey(g, ADMIN, { name: uniq('put'), scopeGuids: ['sms:manage'], permissions: ['PUBLIC_API', '2FA_CLIENT'] });
      const { apiKeySecret: secret, ...stored } = created;
      const validTo = iso(Date.now() + 30 * DAY_MS);
      const updated = await putKey(g, created.id, { name: `${created.name}-2`, allowedIPs: ['127.0.0.0/8'], permissions: [], validTo });
      assert.deepEqual(updated, { ...stored, name: `${created.name}-2`, allowedIPs: ['127.0.0.0/8'], permissions: ['PUBLIC_API'], validTo: updated.validTo });
      assert.equal(parseInfobipTime(updated.validTo), Date.parse(validTo));
      assert.deepEqual((await as(g, ADMIN, 'GET', `${KEYS}/${created.id}`)).body, updated, 'the change is stored');

      // Every scoped endpoint the key could reach with sms:manage.
      const scoped: Array<[string, string, unknown]> = [
        ['GET', '/sms/3/logs', undefined],
        ['GET', '/sms/1/logs', undefined],
        ['GET', '/sms/1/reports', undefined],
        ['GET', '/sms/3/reports', undefined],
        ['GET', '/sms/1/bulks?bulkId=b', undefined],
        ['GET', '/sms/1/bulks/status?bulkId=b', undefined],
        ['PUT', '/sms/1/bulks?bulkId=b', { sendAt: '2030-01-01T00:00:00.000+0000' }],
        ['PUT', '/sms/1/bulks/status?bulkId=b', { status: 'PAUSED' }],
        ['POST', '/sms/1/preview', { text: 'x' }],
        ['POST', '/sms/3/messages', { messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'x' } }] }],
        ['POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to: '41793026727' }], text: 'x' }] }],
      ];
      for (const [method, path, body] of scoped) {
        const r = await as(g, `App ${secret}`, method, path, body);
        assert.notEqual(r.status, 403, `${method} ${path} is open to sms:manage`);
      }
      const emptiedAt = Date.now();
      assert.deepEqual((await putKey(g, created.id, { scopeGuids: [] })).scopeGuids, []);
      const closed = await pollUntil(403, () => probe(g, secret), 3_000);
      assert.ok(closed.sentAt - emptiedAt <= 1_500, `403 ${closed.sentAt - emptiedAt} ms after the PUT`);
      for (const [method, path, body] of scoped) {
        const r = await as(g, `App ${secret}`, method, path, body);
        assert.equal(r.status, 403, `${method} ${path} with no scopes: ${JSON.stringify(r.body)}`);
      }
    });

    it('validation on PUT: bad IP, validTo before validFrom, unknown scope; nothing changes', async () => {
      const created = await createKey(g, ADMIN, { name: uniq('put-invalid'), scopeGuids: ['sms:logs:read'] });
      const { apiKeySecret, ...stored } = created;
      for (const [body, property] of [
        [{ allowedIPs: ['127.0.0.1', 'x'] }, 'allowedIPs'],
        [{ validFrom: iso(Date.now() + 2 * DAY_MS), validTo: iso(Date.now() + DAY_MS) }, 'validTo'],
        [{ validTo: iso(Date.now() - DAY_MS) }, 'validTo'],
        [{ scopeGuids: ['sms:send'] }, 'scopeGuids'],
        [{ permissions: ['PUBLIC_API', 'WEB_SDK'] }, 'permissions'],
        [{ platform: [{ applicationId: 'default' }] }, 'platform'],
        [{ name: '' }, 'name'],
        [{ enabled: 'no' }, 'enabled'],
      ] as const) {
        const r = await as(g, ADMIN, 'PUT', `${KEYS}/${created.id}`, body);
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(v3ErrorProperties(r.body), [property], JSON.stringify(r.body));
      }
      assert.deepEqual((await as(g, ADMIN, 'GET', `${KEYS}/${created.id}`)).body, stored);
    });
  });

  describe('validity window and IP rules, in real time', () => {
    it('a key stops working when validTo passes, and not before', async () => {
      const validTo = Date.now() + 2_000;
      const created = await createKey(g, ADMIN, { name: uniq('expiring'), scopeGuids: ['sms:logs:read'], validTo: iso(validTo) });
      assert.equal(parseInfobipTime(created.validTo), validTo);
      const samples: Array<{ sentAt: number; receivedAt: number; status: number }> = [];
      // Bounded: until validTo + 3 s at most.
      while (Date.now() < validTo + 3_000) {
        const sentAt = Date.now();
        const status = await probe(g, created.apiKeySecret);
        samples.push({ sentAt, receivedAt: Date.now(), status });
        if (status === 401) break;
        await sleep(50);
      }
      const refused = samples.find((s) => s.status === 401);
      assert.ok(refused, `never refused: ${JSON.stringify(samples.slice(-3))}`);
      assert.ok(samples.some((s) => s.status === 200), 'it worked before validTo');
      for (const s of samples) if (s.status === 200) assert.ok(s.sentAt < validTo, `accepted a request sent ${s.sentAt - validTo} ms after validTo`);
      assert.ok(refused.receivedAt >= validTo, `refused ${validTo - refused.receivedAt} ms before validTo`);
      assert.ok(refused.sentAt - validTo <= 1_500, `refused only ${refused.sentAt - validTo} ms after validTo`);
      assert.equal(samples.filter((s) => s.status !== 200 && s.status !== 401).length, 0, JSON.stringify(samples));
      assert.equal(await probe(g, created.apiKeySecret), 401, 'and stays refused');
    });

    it('a key with validFrom in the future is 401 until then', async () => {
      const validFrom = Date.now() + 1_500;
      const created = await createKey(g, ADMIN, { name: uniq('not-yet'), scopeGuids: ['sms:logs:read'], validFrom: iso(validFrom) });
      assert.equal(parseInfobipTime(created.validFrom), validFrom);
      const samples: Array<{ sentAt: number; receivedAt: number; status: number }> = [];
      while (Date.now() < validFrom + 3_000) {
        const sentAt = Date.now();
        const status = await probe(g, created.apiKeySecret);
        samples.push({ sentAt, receivedAt: Date.now(), status });
        if (status === 200) break;
        await sleep(50);
      }
      const accepted = samples.find((s) => s.status === 200);
      assert.ok(accepted, `never accepted: ${JSON.stringify(samples.slice(-3))}`);
      assert.equal(samples[0].status, 401, 'refused at first');
      for (const s of samples) if (s.status === 401) assert.ok(s.sentAt < validFrom, `refused a request sent ${s.sentAt - validFrom} ms after validFrom`);
      assert.ok(accepted.receivedAt >= validFrom, 'accepted before validFrom');
      assert.ok(accepted.sentAt - validFrom <= 1_500, `accepted only ${accepted.sentAt - validFrom} ms after validFrom`);
    });

    it("allowedIPs ['127.0.0.2']: refused from 127.0.0.1, accepted from 127.0.0.2; X-Forwarded-For changes nothing", async () => {
      const created = await createKey(g, ADMIN, { name: uniq('ip-one'), scopeGuids: ['sms:logs:read'], allowedIPs: ['127.0.0.2'] });
      assert.equal(await probeFrom(g, '127.0.0.1', created.apiKeySecret), 401);
      assert.equal(await probe(g, created.apiKeySecret), 401);
      assert.equal(await probeFrom(g, '127.0.0.2', created.apiKeySecret), 200);
      assert.equal(await probeFrom(g, '127.0.0.3', created.apiKeySecret), 401);
      // Without TRUST_PROXY a forwarded address is not believed, either way.
      assert.equal(await probeFrom(g, '127.0.0.1', created.apiKeySecret, { 'x-forwarded-for': '127.0.0.2' }), 401);
      assert.equal(await probeFrom(g, '127.0.0.2', created.apiKeySecret, { 'x-forwarded-for': '127.0.0.1' }), 200);
    });

    it("CIDR v4 '127.0.0.0/30' and IPv4-mapped ranges", async () => {
      const cidr = await createKey(g, ADMIN, { name: uniq('ip-cidr'), scopeGuids: ['sms:logs:read'], allowedIPs: ['127.0.0.0/30'] });
      assert.equal(await probeFrom(g, '127.0.0.1', cidr.apiKeySecret), 200);
      assert.equal(await probeFrom(g, '127.0.0.2', cidr.apiKeySecret), 200);
      assert.equal(await probeFrom(g, '127.0.0.3', cidr.apiKeySecret), 200);
      assert.equal(await probeFrom(g, '127.0.0.4', cidr.apiKeySecret), 401, 'just outside the /30');
      assert.equal(await probeFrom(g, '127.0.0.9', cidr.apiKeySecret), 401);
      // ::ffff:127.0.0.0/126 is the same /30 written in IPv6.
      const mapped = await createKey(g, ADMIN, { name: uniq('ip-mapped'), scopeGuids: ['sms:logs:read'], allowedIPs: ['::ffff:127.0.0.0/126'] });
      assert.equal(await probeFrom(g, '127.0.0.2', mapped.apiKeySecret), 200);
      assert.equal(await probeFrom(g, '127.0.0.4', mapped.apiKeySecret), 401);
    });

    it("IPv6 rules ('::1', '2001:db8::/32') do not match 127.0.0.1", async () => {
      for (const rule of ['::1', '2001:db8::/32', '::/0']) {
        const created = await createKey(g, ADMIN, { name: uniq('ip-v6'), scopeGuids: ['sms:logs:read'], allowedIPs: [rule] });
        assert.deepEqual(created.allowedIPs, [rule]);
        assert.equal(await probeFrom(g, '127.0.0.1', created.apiKeySecret), 401, rule);
      }
      const mixed = await createKey(g, ADMIN, { name: uniq('ip-mixed'), scopeGuids: ['sms:logs:read'], allowedIPs: ['::1', '127.0.0.1'] });
      assert.equal(await probeFrom(g, '127.0.0.1', mixed.apiKeySecret), 200, 'one matching rule of several is enough');
      assert.equal(await probeFrom(g, '127.0.0.2', mixed.apiKeySecret), 401);
    });

    it('changing allowedIPs takes effect within a second', async () => {
      const created = await createKey(g, ADMIN, { name: uniq('ip-change'), scopeGuids: ['sms:logs:read'] });
      assert.equal(await probeFrom(g, '127.0.0.1', created.apiKeySecret), 200, 'no rules: any address');
      const putAt = Date.now();
      await putKey(g, created.id, { allowedIPs: ['127.0.0.2'] });
      const refused = await pollUntil(401, () => probeFrom(g, '127.0.0.1', created.apiKeySecret), 3_000);
      assert.ok(refused.sentAt - putAt <= 1_500, `refused ${refused.sentAt - putAt} ms after the PUT`);
      assert.equal(await probeFrom(g, '127.0.0.2', created.apiKeySecret), 200);
      await putKey(g, created.id, { allowedIPs: [] });
      await pollUntil(200, () => probeFrom(g, '127.0.0.1', created.apiKeySecret), 1_500);
    });
  });

  describe('validation', () => {
    const now = Date.now();
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['missing name', { scopeGuids: ['sms:logs:read'] }, 'name'],
      ['empty name', { name: '' }, 'name'],
      ["allowedIPs 'x'", { allowedIPs: ['x'] }, 'allowedIPs'],
      ["allowedIPs '1.2.3.4/33'", { allowedIPs: ['1.2.3.4/33'] }, 'allowedIPs'],
      ["allowedIPs '2001:db8::/129'", { allowedIPs: ['2001:db8::/129'] }, 'allowedIPs'],
      ["allowedIPs '256.1.1.1'", { allowedIPs: ['256.1.1.1'] }, 'allowedIPs'],
      ['an unknown scope', { scopeGuids: ['sms:logs:read', 'sms:send'] }, 'scopeGuids'],
      ['duplicate scopes', { scopeGuids: ['sms:logs:read', 'sms:logs:read'] }, 'scopeGuids'],
      ['PUBLIC_API with WEB_SDK', { permissions: ['PUBLIC_API', 'WEB_SDK'] }, 'permissions'],
      ['an unknown permission', { permissions: ['ALL'] }, 'permissions[0]'],
      ['a non-empty platform', { platform: [{ applicationId: 'default' }] }, 'platform'],
      ['validTo before validFrom', { validFrom: iso(now + 2 * DAY_MS), validTo: iso(now + DAY_MS) }, 'validTo'],
      ['validTo in the past', { validTo: iso(now - DAY_MS) }, 'validTo'],
      ['validFrom in the past', { validFrom: iso(now - DAY_MS) }, 'validFrom'],
      ['validFrom not a date-time', { validFrom: 'tomorrow' }, 'validFrom'],
    ];
    for (const [what, fields, property] of cases) {
      it(`${what} → 400 naming ${property}`, async () => {
        const name = uniq('invalid');
        const body = 'name' in fields || what === 'missing name' ? fields : { name, ...fields };
        const r = await as(g, ADMIN, 'POST', KEYS, body);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.deepEqual(v3ErrorProperties(r.body), [property], JSON.stringify(r.body));
        assert.equal(r.body.errorCode, 'E400');
        assert.equal((await as(g, ADMIN, 'GET', KEYS + qs({ name }))).body.paging.totalCount, 0, 'nothing was created');
      });
    }

    it('an empty platform and an empty allowedIPs are fine', async () => {
      const created = await createKey(g, ADMIN, { name: uniq('empty-lists'), platform: [], allowedIPs: [] });
      assert.deepEqual(created.allowedIPs, []);
      assert.equal(await probe(g, created.apiKeySecret), 200);
    });
  });

  describe('another account', () => {
    let other: string;
    let otherAccount: string;
    before(async () => {
      otherAccount = uniq('tenant');
      await createAccount(g, otherAccount);
      other = await createUser(g, { username: uniq('tenant-admin'), password: 'tenant-admin-password', roles: ['ACCOUNT_ADMIN'], accountId: otherAccount });
    });

    it("another account's key id is 404 and its list is empty", async () => {
      const ours = await createKey(g, ADMIN, { name: uniq('ours') });
      const theirs = await createKey(g, other, { name: uniq('theirs') });
      assert.equal(theirs.accountId, otherAccount);

      for (const [method, body] of [['GET', undefined], ['PUT', { enabled: false }]] as const) {
        const r = await as(g, other, method, `${KEYS}/${ours.id}`, body);
        assert.equal(r.status, 404, `${method}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(r.body, V3_NOT_FOUND);
      }
      assert.equal(await probe(g, ours.apiKeySecret), 200, 'their PUT did not disable our key');

      const foreign = await as(g, other, 'GET', KEYS + qs({ accountId: 'default' }));
      assert.equal(foreign.status, 200);
      assert.deepEqual(foreign.body.apiKeys, []);
      assert.equal(foreign.body.paging.totalCount, 0);
      const own = await as(g, other, 'GET', KEYS);
      assert.deepEqual(own.body.apiKeys.map((k: any) => k.id), [theirs.id], 'only their own keys');
      const ownExplicit = await as(g, other, 'GET', KEYS + qs({ accountId: otherAccount }));
      assert.deepEqual(ownExplicit.body.apiKeys.map((k: any) => k.id), [theirs.id]);

      const intoOurs = await as(g, other, 'POST', KEYS, { name: uniq('planted'), accountId: 'default' });
      assert.equal(intoOurs.status, 400, 'a key cannot be created in another account');
      assert.deepEqual(v3ErrorProperties(intoOurs.body), ['accountId']);

      // The operator account sees the tenant's keys when it names the account; not by default.
      const operatorView = await as(g, ADMIN, 'GET', KEYS + qs({ accountId: otherAccount }));
      assert.deepEqual(operatorView.body.apiKeys.map((k: any) => k.id), [theirs.id]);
      assert.ok(!(await as(g, ADMIN, 'GET', KEYS + qs({ name: theirs.name }))).body.apiKeys.length, "the operator's own list holds only its keys");
      assert.equal((await as(g, ADMIN, 'GET', `${KEYS}/${theirs.id}`)).status, 200);
    });

    it("a tenant's key reads only that tenant's messages", async () => {
      const theirs = await createKey(g, other, { name: uniq('tenant-reader') });
      const sent = await g.api('POST', '/sms/3/messages', { messages: [{ destinations: [{ to: '41793026727', messageId: uniq('operator-msg') }], content: { text: 'operator' } }] });
      assert.equal(sent.status, 200);
      const messageId = sent.body.messages[0].messageId;
      const ours = await g.api('GET', '/sms/3/logs' + qs({ messageId }));
      assert.equal(ours.body.results.length, 1);
      const r = await as(g, `App ${theirs.apiKeySecret}`, 'GET', '/sms/3/logs' + qs({ messageId }));
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.results, []);
    });
  });

  it('the bootstrap API_KEY holds every scope and has no validTo', async () => {
    const list = await as(g, ADMIN, 'GET', KEYS + qs({ name: 'API_KEY bootstrap key' }));
    assert.equal(list.body.apiKeys.length, 1, JSON.stringify(list.body));
    const [bootstrap] = list.body.apiKeys;
    assert.deepEqual(bootstrap.scopeGuids, ['*']);
    assert.ok(!('validTo' in bootstrap), `no validTo: ${JSON.stringify(bootstrap)}`);
    assert.equal(bootstrap.enabled, true);
    const bySecret = await as(g, ADMIN, 'GET', KEYS + qs({ apiKeySecret: TEST_API_KEY }));
    assert.deepEqual(bySecret.body.apiKeys.map((k: any) => k.id), [bootstrap.id]);
    for (const path of ['/sms/3/logs', '/sms/1/logs', '/sms/1/reports', '/sms/3/reports', '/sms/1/bulks?bulkId=none']) {
      assert.notEqual(await probe(g, TEST_API_KEY, path), 403, path);
    }
  });
});

describe('the bootstrap key a year later (ManualClock)', () => {
  it('keeps working while a key with the default validTo expires', async () => {
    const clock = new ManualClock(Date.now());
    const g = await startGateway({ THROTTLES: 'off' }, { clock });
    try {
      const created = await createKey(g, ADMIN, { name: 'default-validity', scopeGuids: ['sms:logs:read'] });
      assert.equal(await probe(g, created.apiKeySecret), 200);
      assert.equal(await probe(g, TEST_API_KEY), 200);
      clock.advance(365 * DAY_MS + 60_000);
      assert.equal(await probe(g, created.apiKeySecret), 401, 'the default validTo (one year) has passed');
      assert.equal(await probe(g, TEST_API_KEY), 200, 'the bootstrap key never expires');
      clock.advance(10 * 365 * DAY_MS);
      assert.equal(await probe(g, TEST_API_KEY), 200, 'not even ten years on');
    } finally {
      await g.close();
    }
  });
});

describe('throttle: 40 creates per day per account', () => {
  it('the 41st POST is 429 E429 with Retry-After until the end of the UTC day; other accounts and PUT are unaffected', async () => {
    const g = await startGateway();
    try {
      const ids: string[] = [];
      for (let i = 1; i <= 40; i++) ids.push((await createKey(g, ADMIN, { name: `throttled-${i}`, scopeGuids: ['sms:logs:read'] })).id);
      const before = Date.now();
      const refused = await as(g, ADMIN, 'POST', KEYS, { name: 'throttled-41' });
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
      assert.deepEqual(refused.body, { errorCode: 'E429', description: 'Too many requests sent.', action: 'Check request rate limit specified in the API endpoint documentation resource.', violations: [], resources: [] });
      const retryAfter = Number(refused.headers.get('retry-after'));
      const endOfDay = (Math.floor(before / DAY_MS) + 1) * DAY_MS;
      assert.ok(Math.abs(retryAfter - (endOfDay - before) / 1000) <= 2, `Retry-After ${retryAfter} s, the UTC day ends in ${(endOfDay - before) / 1000} s`);
      const list = await as(g, ADMIN, 'GET', KEYS + qs({ name: 'throttled-41' }));
      assert.equal(list.body.paging.totalCount, 0, 'the refused create created nothing');
      // Counted per account and per operation: another account still creates; PUT has its own 40.
      const tenant = uniq('throttle-tenant');
      await createAccount(g, tenant);
      const tenantAdmin = await createUser(g, { username: uniq('throttle-tenant-admin'), password: 'tenant-admin-password', roles: ['ACCOUNT_ADMIN'], accountId: tenant });
      await createKey(g, tenantAdmin, { name: 'tenant-key' });
      await putKey(g, ids[0], { name: 'renamed-after-throttle' });
    } finally {
      await g.close();
    }
  });

  it('THROTTLES=off lets the 41st through', async () => {
    const g = await startGateway({ THROTTLES: 'off' });
    try {
      for (let i = 1; i <= 41; i++) await createKey(g, ADMIN, { name: `unthrottled-${i}`, scopeGuids: ['sms:logs:read'] });
      const list = await as(g, ADMIN, 'GET', KEYS + qs({ name: 'unthrottled-41' }));
      assert.equal(list.body.paging.totalCount, 1);
    } finally {
      await g.close();
    }
  });
});

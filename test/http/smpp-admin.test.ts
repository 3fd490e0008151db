/**
 * The SMPP administration API (src/network/smpp/admin-routes.ts) against a real gateway: connections
 * created, replaced, read and deleted, the password never shown, 400s naming the field, 404s, a
 * connection a route targets refused deletion, the routing table replaced whole; the operator only;
 * SMPP_CONFIG_FILE making it all read-only, and a bad file stopping start-up with a clear message.
 * SmppConfigSource itself (change notifications, stored rows re-parsed) against the gateway's store.
 */
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createHookline } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { parseSmppConnection, SmppConfigError } from '../../src/network/smpp/config-parse.ts';
import { SmppConfigConflictError, SmppConfigReadOnlyError, SmppConfigSource } from '../../src/network/smpp/config-source.ts';
import { LocalNotifier } from '../../src/store/notifier.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { startGateway, TEST_ADMIN, TEST_API_KEY, tempDir, type TestGateway } from '../helpers/hookline.ts';
import { rawApi, uniq, V3_FORBIDDEN, v3ErrorProperties } from './support.ts';
import { SMPP_CONNECTION_DEFAULTS } from '../helpers/smpp-defaults.ts';

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const ADMIN = basic(TEST_ADMIN.username, TEST_ADMIN.password);
const CONNECTIONS = '/hookline/1/smpp/connections';
const ROUTES = '/hookline/1/smpp/routes';
const PASSWORD = 'Pw$7x!q2';

const DEFAULTS = SMPP_CONNECTION_DEFAULTS;
const minimal = (fields: Record<string, unknown> = {}) => ({ host: '127.0.0.1', port: 2775, systemId: 'hookline', password: PASSWORD, ...fields });

/** The 400's fields, after checking it is the v3 envelope. */
function badFields(r: { status: number; body: any }): string[] {
  assert.equal(r.status, 400, JSON.stringify(r.body));
  return v3ErrorProperties(r.body);
}

describe('SMPP admin API (configuration in the database)', () => {
  let g: TestGateway;
  const admin = (method: string, path: string, body?: unknown, authorization = ADMIN) => rawApi(g, method, path, body, { authorization });
  before(async () => {
    g = await startGateway();
  });
  after(async () => {
    await g.close();
  });

  it('starts empty: no connections, no routes, no status', async () => {
    assert.deepEqual((await admin('GET', CONNECTIONS)).body, { connections: [] });
    assert.deepEqual((await admin('GET', ROUTES)).body, { routes: [] });
    assert.deepEqual((await admin('GET', '/hookline/1/smpp/status')).body, { connections: [] });
  });

  it('PUT creates (201, defaults filled in, Location), PUT again replaces (200); GET shows it, never its password', async () => {
    const name = uniq('carrier');
    const created = await admin('PUT', `${CONNECTIONS}/${name}`, minimal());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get('location'), `${CONNECTIONS}/${name}`);
    const expected = { name, host: '127.0.0.1', port: 2775, systemId: 'hookline', ...DEFAULTS };
    assert.deepEqual(created.body, expected);

    const one = await admin('GET', `${CONNECTIONS}/${name}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, expected);
    const list = await admin('GET', CONNECTIONS);
    assert.deepEqual(list.body.connections.find((c: any) => c.name === name), expected);

    // A replacement: every field given (name too), defaults overridden.
    const changed = {
      name,
      host: '10.0.0.7',
      port: 3000,
      systemId: 'x'.repeat(15),
      password: '12345678',
      systemType: 'VMA',
      bindMode: 'transmitter+receiver',
      binds: 32,
      window: 1000,
      throughput: 100_000,
      source: { ton: 5, npi: 0, defaultSender: 'Hookline' },
      destination: { ton: 0, npi: 18 },
      dataCoding: 'ucs2',
      longMessages: 'sar',
      delivery: 'at-most-once',
      messageIds: { response: 'hex', receipt: 'decimal' },
      enquireLinkMs: 300_000,
      reconnect: { minMs: 100, maxMs: 100 },
      throttleBackoff: { minMs: 1, maxMs: 5 },
      responseTimeoutMs: 120_000,
    };
    const replaced = await admin('PUT', `${CONNECTIONS}/${name}`, changed);
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(replaced.headers.get('location'), null);
    const { password: _password, ...shown } = changed;
    assert.deepEqual(replaced.body, shown);
    assert.deepEqual((await admin('GET', `${CONNECTIONS}/${name}`)).body, shown);
    assert.equal((await g.hookline.store.db.selectFrom('smpp_connections').select('name').where('name', '=', name).execute()).length, 1);
  });

  it('the password is never echoed; a replacement without one keeps the stored one', async () => {
    const name = uniq('secret');
    const responses = [await admin('PUT', `${CONNECTIONS}/${name}`, minimal())];
    responses.push(await admin('GET', `${CONNECTIONS}/${name}`), await admin('GET', CONNECTIONS));
    // What GET shows, edited and sent back (no password): the stored password stays.
    const edited = { ...responses[1].body, window: 50 };
    responses.push(await admin('PUT', `${CONNECTIONS}/${name}`, edited));
    assert.equal(responses[3].status, 200, JSON.stringify(responses[3].body));
    for (const r of responses) {
      assert.ok(!JSON.stringify(r.body).includes(PASSWORD), JSON.stringify(r.body));
      assert.ok(!JSON.stringify(r.body).includes('"password"'), JSON.stringify(r.body));
    }
    const row = await g.hookline.store.db.selectFrom('smpp_connections').select('config').where('name', '=', name).executeTakeFirstOrThrow();
    assert.deepEqual([JSON.parse(row.config).password, JSON.parse(row.config).window], [PASSWORD, 50]);
    // A new connection has no stored password to keep: it must be given ('' is a valid one).
    assert.deepEqual(badFields(await admin('PUT', `${CONNECTIONS}/${uniq('nopw')}`, { host: 'h', port: 1, systemId: 's' })), ['password']);
    assert.equal((await admin('PUT', `${CONNECTIONS}/${uniq('emptypw')}`, minimal({ password: '' }))).status, 201);
  });

  it('400 names each bad field, in the v3 envelope, and stores nothing', async () => {
    const name = uniq('bad');
    const cases: Array<[unknown, string[]]> = [
      [{}, ['host', 'port', 'systemId', 'password']],
      [minimal({ port: 0 }), ['port']],
      [minimal({ port: '2775' }), ['port']],
      [minimal({ windwo: 5 }), ['windwo']],
      [minimal({ source: { ton: 7, sender: 'x' } }), ['source.ton', 'source.sender']],
      [minimal({ reconnect: { minMs: 5_000, maxMs: 1_000 } }), ['reconnect.maxMs']],
      [minimal({ bindMode: 'receiver', dataCoding: 'utf8' }), ['bindMode', 'dataCoding']],
      [minimal({ systemId: 'x'.repeat(16), password: 'x'.repeat(9) }), ['systemId', 'password']],
      [minimal({ name: 'another' }), ['name']],
      [[minimal()], ['body']],
    ];
    for (const [body, fields] of cases) assert.deepEqual(badFields(await admin('PUT', `${CONNECTIONS}/${name}`, body)).sort(), fields.sort(), JSON.stringify(body));
    // No body at all, and a name in the path that cannot be one.
    assert.deepEqual(badFields(await admin('PUT', `${CONNECTIONS}/${name}`)), ['body']);
    assert.deepEqual(badFields(await admin('PUT', `${CONNECTIONS}/simulator`, minimal())), ['name']);
    assert.deepEqual(badFields(await admin('PUT', `${CONNECTIONS}/a%20b`, minimal())), ['name']);
    assert.deepEqual(badFields(await admin('PUT', `${CONNECTIONS}/${'n'.repeat(65)}`, minimal())), ['name']);
    // The violation says what is wrong.
    const r = await admin('PUT', `${CONNECTIONS}/${name}`, minimal({ port: 70_000 }));
    assert.deepEqual(r.body.violations, [{ property: 'port', violation: 'must be an integer from 1 to 65535' }]);
    assert.equal((await admin('GET', `${CONNECTIONS}/${name}`)).status, 404);
  });

  it('404 for a connection that does not exist (GET, DELETE)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const r = await admin(method, `${CONNECTIONS}/nothing-here`);
      assert.equal(r.status, 404, method);
      assert.equal(r.body.errorCode, 'E404');
    }
  });

  it('the routing table is replaced whole and answered sorted; bad tables are refused naming the entry and leave it as it was', async () => {
    const a = uniq('route-a');
    const b = uniq('route-b');
    for (const name of [a, b]) assert.equal((await admin('PUT', `${CONNECTIONS}/${name}`, minimal())).status, 201);
    const table = [
      { prefix: '4179', target: a },
      { prefix: '', target: 'simulator' },
      { prefix: '417', target: b },
    ];
    const put = await admin('PUT', ROUTES, { routes: table });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const sorted = [table[1], table[2], table[0]];
    assert.deepEqual(put.body, { routes: sorted });
    assert.deepEqual((await admin('GET', ROUTES)).body, { routes: sorted });

    const cases: Array<[unknown, string[]]> = [
      [{ routes: [{ prefix: '1', target: 'nobody' }] }, ['routes[0].target']],
      [{ routes: [{ prefix: '1', target: a }, { prefix: '1', target: b }] }, ['routes[1].prefix']],
      [{ routes: [{ prefix: '+41', target: a }, { prefix: '1'.repeat(16), target: a }] }, ['routes[0].prefix', 'routes[1].prefix']],
      [{ routes: [{ prefix: '1', target: a, via: 'x' }, { target: a }] }, ['routes[0].via', 'routes[1].prefix']],
      [{ routes: [], extra: true }, ['extra']],
      [{}, ['routes']],
      [{ routes: {} }, ['routes']],
      [[], ['body']],
    ];
    for (const [body, fields] of cases) assert.deepEqual(badFields(await admin('PUT', ROUTES, body)).sort(), fields.sort(), JSON.stringify(body));
    assert.deepEqual((await admin('GET', ROUTES)).body, { routes: sorted });

    // An empty table is a table.
    assert.deepEqual((await admin('PUT', ROUTES, { routes: [] })).body, { routes: [] });
    assert.deepEqual((await admin('GET', ROUTES)).body, { routes: [] });
  });

  it('a connection a route targets cannot be deleted (409 naming the routes) until the routes change; then 204 and gone', async () => {
    const name = uniq('routed');
    assert.equal((await admin('PUT', `${CONNECTIONS}/${name}`, minimal())).status, 201);
    assert.equal((await admin('PUT', ROUTES, { routes: [{ prefix: '44', target: name }, { prefix: '33', target: name }] })).status, 200);
    const refused = await admin('DELETE', `${CONNECTIONS}/${name}`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.errorCode, 'E409');
    assert.match(refused.body.description, new RegExp(`${name} is the target of the routes for "33", "44"`));
    assert.equal((await admin('GET', `${CONNECTIONS}/${name}`)).status, 200, 'still there');

    assert.equal((await admin('PUT', ROUTES, { routes: [] })).status, 200);
    const deleted = await admin('DELETE', `${CONNECTIONS}/${name}`);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, '');
    assert.equal((await admin('GET', `${CONNECTIONS}/${name}`)).status, 404);
    assert.equal((await admin('DELETE', `${CONNECTIONS}/${name}`)).status, 404);
  });

  it('only the operator: an account-management:manage user of the default account without every scope, or an admin of another account, gets 403', async () => {
    const role = await admin('POST', '/hookline/1/roles', { name: uniq('smpp-manager'), scopes: ['account-management:manage'] });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    const manager = { username: uniq('smpp-manager'), password: 'manager-password' };
    assert.equal((await admin('POST', '/hookline/1/users', { ...manager, roles: [role.body.id] })).status, 201);
    const account = await admin('POST', '/hookline/1/accounts', { name: 'tenant' });
    const tenantAdmin = { username: uniq('tenant-admin'), password: 'tenant-password' };
    assert.equal((await admin('POST', '/hookline/1/users', { ...tenantAdmin, roles: ['ACCOUNT_ADMIN'], accountId: account.body.id })).status, 201);

    for (const user of [manager, tenantAdmin]) {
      for (const [method, path, body] of [
        ['GET', CONNECTIONS],
        ['GET', `${CONNECTIONS}/x`],
        ['PUT', `${CONNECTIONS}/x`, minimal()],
        ['DELETE', `${CONNECTIONS}/x`],
        ['GET', ROUTES],
        ['PUT', ROUTES, { routes: [] }],
        ['GET', '/hookline/1/smpp/status'],
      ] as const) {
        const r = await admin(method, path, body, basic(user.username, user.password));
        assert.equal(r.status, 403, `${user.username} ${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.errorCode, 'E403');
        assert.match(r.body.description, /only the operator/);
      }
    }
    // An API key (even the bootstrap one with every scope) is refused by the route policy: people only.
    const keyed = await rawApi(g, 'GET', CONNECTIONS, undefined, { authorization: `App ${TEST_API_KEY}` });
    assert.equal(keyed.status, 403);
    assert.deepEqual(keyed.body, V3_FORBIDDEN);
  });

  describe('SmppConfigSource on the same store', () => {
    const source = (notifier = new LocalNotifier()) => new SmppConfigSource({ db: g.hookline.store.db, file: null, notifier, now: () => Date.now() });

    it('every write notifies the smpp channel in this process; load() sees the change', async () => {
      const notifier = new LocalNotifier();
      const s = source(notifier);
      let changes = 0;
      s.onChange(() => changes++);
      const name = uniq('notified');
      const config = parseSmppConnection(name, minimal());
      assert.deepEqual(await s.putConnection(config), { created: true });
      assert.deepEqual(await s.putConnection({ ...config, window: 3 }), { created: false });
      assert.equal((await s.load()).connections.find((c) => c.name === name)?.window, 3);
      await s.putRoutes([{ prefix: '99', target: name }]);
      await assert.rejects(s.deleteConnection(name), (e: unknown) => e instanceof SmppConfigConflictError && e.prefixes.join() === '99');
      await s.putRoutes([]);
      assert.equal(await s.deleteConnection(name), true);
      assert.equal(await s.deleteConnection(name), false, 'already gone: no change');
      assert.equal(changes, 5);
      assert.equal(s.readOnly, false);
    });

    it('putRoutes checks its targets against the stored connections', async () => {
      await assert.rejects(source().putRoutes([{ prefix: '1', target: 'never-created' }]), (e: unknown) => e instanceof SmppConfigError && e.problems[0].path === 'routes[0].target');
    });

    it('a stored row written before a field existed gets its default; a broken row is reported naming it', async () => {
      const name = uniq('old-row');
      const { db } = g.hookline.store;
      await db.insertInto('smpp_connections').values({ name, config: JSON.stringify({ name, host: 'h', port: 1, systemId: 's', password: 'p' }), updated_at: 0 }).execute();
      try {
        const loaded = (await source().load()).connections.find((c) => c.name === name);
        assert.deepEqual(loaded, { name, host: 'h', port: 1, systemId: 's', password: 'p', ...DEFAULTS });
        await db.updateTable('smpp_connections').set({ config: JSON.stringify({ host: 'h', port: 0, systemId: 's', password: 'p' }) }).where('name', '=', name).execute();
        await assert.rejects(source().load(), (e: unknown) => e instanceof SmppConfigError && e.message === `smpp_connections row ${name}: port: must be an integer from 1 to 65535`);
      } finally {
        await db.deleteFrom('smpp_connections').where('name', '=', name).execute();
      }
    });
  });
});

const FILE_CONFIG = {
  connections: [
    { name: 'carrier-a', host: '127.0.0.1', port: 2775, systemId: 'hookline', password: PASSWORD, window: 20 },
    { name: 'carrier-b', host: '127.0.0.1', port: 2776, systemId: 'hookline', password: PASSWORD, bindMode: 'transmitter+receiver' },
  ],
  routes: [
    { prefix: '41', target: 'carrier-a' },
    { prefix: '', target: 'simulator' },
  ],
};

describe('SMPP admin API with SMPP_CONFIG_FILE: read-only', () => {
  let g: TestGateway;
  const admin = (method: string, path: string, body?: unknown) => rawApi(g, method, path, body, { authorization: ADMIN });
  before(async () => {
    const dir = tempDir();
    const file = join(dir, 'smpp.json');
    writeFileSync(file, JSON.stringify(FILE_CONFIG));
    g = await startGateway({ SMPP_CONFIG_FILE: file }, { dir });
  });
  after(async () => {
    await g.close();
    rmSync(g.dir, { recursive: true, force: true });
  });

  it("GET shows the file's connections (defaults filled in, no password) and routes as written", async () => {
    const list = await admin('GET', CONNECTIONS);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, {
      connections: [
        { name: 'carrier-a', host: '127.0.0.1', port: 2775, systemId: 'hookline', ...DEFAULTS, window: 20 },
        { name: 'carrier-b', host: '127.0.0.1', port: 2776, systemId: 'hookline', ...DEFAULTS, bindMode: 'transmitter+receiver' },
      ],
    });
    assert.deepEqual((await admin('GET', `${CONNECTIONS}/carrier-b`)).body.bindMode, 'transmitter+receiver');
    assert.equal((await admin('GET', `${CONNECTIONS}/carrier-c`)).status, 404);
    assert.deepEqual((await admin('GET', ROUTES)).body, { routes: FILE_CONFIG.routes });
  });

  it('every write answers 409 saying the configuration comes from SMPP_CONFIG_FILE, and changes nothing', async () => {
    for (const [method, path, body] of [
      ['PUT', `${CONNECTIONS}/carrier-a`, minimal()],
      ['PUT', `${CONNECTIONS}/carrier-new`, minimal()],
      ['PUT', `${CONNECTIONS}/carrier-new`, { port: 'not even valid' }],
      ['DELETE', `${CONNECTIONS}/carrier-b`],
      ['DELETE', `${CONNECTIONS}/carrier-unknown`],
      ['PUT', ROUTES, { routes: [] }],
    ] as const) {
      const r = await admin(method, path, body);
      assert.equal(r.status, 409, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.errorCode, 'E409');
      assert.match(r.body.description, /SMPP_CONFIG_FILE .*read-only/);
    }
    assert.equal((await admin('GET', CONNECTIONS)).body.connections.length, 2);
    assert.deepEqual((await admin('GET', ROUTES)).body, { routes: FILE_CONFIG.routes });
    assert.equal((await g.hookline.store.db.selectFrom('smpp_connections').select('name').execute()).length, 0, 'nothing written to the tables');
  });

  it('the source itself refuses writes', async () => {
    const s = new SmppConfigSource({ db: g.hookline.store.db, file: '/some/file.json', notifier: new LocalNotifier(), now: () => 0 });
    assert.equal(s.readOnly, true);
    await assert.rejects(s.putRoutes([]), SmppConfigReadOnlyError);
    await assert.rejects(s.deleteConnection('x'), SmppConfigReadOnlyError);
  });
});

describe('a bad SMPP_CONFIG_FILE stops start-up with a message naming the file and the fields', () => {
  const attempt = async (content: string | null): Promise<Error> => {
    const dir = tempDir();
    const database = await createTestDatabase(dir);
    const file = join(dir, 'smpp.json');
    if (content !== null) writeFileSync(file, content);
    try {
      const config = loadConfig({ PORT: '0', API_KEY: TEST_API_KEY, ADMIN_USERNAME: TEST_ADMIN.username, ADMIN_PASSWORD: TEST_ADMIN.password, DATABASE_URL: database.url, LOG_LEVEL: 'silent', SMPP_CONFIG_FILE: file });
      let error: Error | undefined;
      try {
        const hookline = await createHookline(config, { logger: pino({ level: 'silent' }) });
        await hookline.stop();
      } catch (e) {
        error = e as Error;
      }
      assert.ok(error, 'createHookline should have thrown');
      assert.ok(error.message.startsWith(`SMPP_CONFIG_FILE ${file}: `), error.message);
      return error;
    } finally {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('an invalid field, an unknown field, a route to nowhere', async () => {
    const bad = { connections: [{ ...FILE_CONFIG.connections[0], port: 99_999, windwo: 3 }], routes: [{ prefix: '1', target: 'carrier-z' }] };
    const error = await attempt(JSON.stringify(bad));
    assert.ok(error instanceof SmppConfigError);
    assert.deepEqual(
      error.problems.map((p) => p.path),
      ['connections[0].windwo', 'connections[0].port', 'routes[0].target'],
    );
    assert.match(error.message, /connections\[0\]\.port: must be an integer from 1 to 65535/);
  });

  it('not JSON', async () => {
    assert.match((await attempt('{ "connections": [ }')).message, /: is not valid JSON/);
  });

  it('missing', async () => {
    assert.match((await attempt(null)).message, /: cannot be read \(ENOENT/);
  });
});

/**
 * Hookline's administration API under /hookline/1/: accounts (tenants), users and roles, against a
 * real gateway. The operator account (`default`) manages every account; anyone else only their
 * own, and nobody grants more than they hold. Changes to a user's password, roles or existence
 * reach live sessions and tokens. The first admin's bootstrap is checked through the real process
 * entry (src/main.ts), as an operator runs it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUILT_IN_ROLES } from '../../src/auth/roles.ts';
import { scratchDatabases, type TestDatabase } from '../helpers/database.ts';
import { freePort, killAllGatewayProcesses, spawnGateway, stopGateway, type GatewayProcess } from '../helpers/gateway-process.ts';
import { startGateway, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import { qs, rawApi, uniq, V3_NOT_FOUND, V3_UNAUTHORIZED, v3ErrorProperties } from './support.ts';

const ACCOUNTS = '/hookline/1/accounts';
const USERS = '/hookline/1/users';
const ROLES = '/hookline/1/roles';

const USER_FIELDS = ['accountId', 'createdAt', 'enabled', 'id', 'roles', 'updatedAt', 'username'];
const INFOBIP_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const ADMIN = basic(TEST_ADMIN.username, TEST_ADMIN.password);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const as = (g: TestGateway, authorization: string, method: string, path: string, body?: unknown) => rawApi(g, method, path, body, { authorization });

/** Asserts a status and, for errors, the v3 envelope with that errorCode. */
function expectStatus(r: { status: number; body: any }, status: number, what: string): void {
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  if (status >= 400) {
    v3ErrorProperties(r.body);
    assert.equal(r.body.errorCode, `E${status}`, what);
  }
}

/** POSTs, asserts 201 with a Location naming the new resource, and returns the body. */
async function create(g: TestGateway, authorization: string, collection: string, body: Record<string, unknown>): Promise<any> {
  const r = await as(g, authorization, 'POST', collection, body);
  expectStatus(r, 201, `POST ${collection} ${JSON.stringify(body)}`);
  assert.equal(r.headers.get('location'), `${collection}/${encodeURIComponent(r.body.id)}`);
  return r.body;
}

/** Creates a user and returns it with its Basic header. */
async function createUser(g: TestGateway, authorization: string, body: { username: string; password: string; roles: string[]; accountId?: string; enabled?: boolean }) {
  const user = await create(g, authorization, USERS, body);
  return { ...user, auth: basic(body.username, body.password) };
}

/** A session token and an OAuth access token for a user, as `IBSSO …` / `Bearer …` headers. */
async function signIn(g: TestGateway, username: string, password: string): Promise<{ ibsso: string; bearer: string }> {
  const session = await rawApi(g, 'POST', '/auth/1/session', { username, password });
  assert.equal(session.status, 200, JSON.stringify(session.body));
  const token = await fetch(`${g.baseUrl}/auth/1/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: username, client_secret: password, grant_type: 'client_credentials' }),
  });
  assert.equal(token.status, 200);
  return { ibsso: `IBSSO ${session.body.token}`, bearer: `Bearer ${((await token.json()) as { access_token: string }).access_token}` };
}

/** Status of GET /sms/3/logs (sms:manage or sms:logs:read) with this Authorization. */
const logsStatus = async (g: TestGateway, authorization: string) => (await as(g, authorization, 'GET', '/sms/3/logs?limit=1')).status;

/** Polls `status()` until it answers `want`; returns ms from `since` to the sending of the answering request. */
async function msUntil(want: number, status: () => Promise<number>, since: number, limitMs = 3_000): Promise<number> {
  const seen: number[] = [];
  for (;;) {
    const sentAt = Date.now();
    const got = await status();
    seen.push(got);
    if (got === want) return sentAt - since;
    if (Date.now() - since > limitMs) assert.fail(`no ${want} within ${limitMs} ms; statuses seen: ${seen.join(',')}`);
    await sleep(20);
  }
}

describe('administration API (/hookline/1/)', () => {
  let g: TestGateway;
  /** A second account and its admin: a non-operator. */
  let tenant: string;
  let tenantAdmin: { id: string; auth: string };
  /** An INTEGRATIONS_MANAGER of the operator account: account-management:manage, but not every scope. */
  let integrations: { id: string; auth: string; username: string };
  let adminId: string;

  before(async () => {
    g = await startGateway({ THROTTLES: 'off' });
    tenant = uniq('tenant');
    await create(g, ADMIN, ACCOUNTS, { id: tenant, name: 'Tenant' });
    tenantAdmin = await createUser(g, ADMIN, { username: uniq('tenant-admin'), password: 'tenant-admin-password', roles: ['ACCOUNT_ADMIN'], accountId: tenant });
    integrations = await createUser(g, ADMIN, { username: uniq('integrations'), password: 'integrations-password', roles: ['INTEGRATIONS_MANAGER'] });
    const admins = await as(g, ADMIN, 'GET', USERS);
    adminId = admins.body.results.find((u: any) => u.username === TEST_ADMIN.username).id;
  });
  after(async () => {
    await g.close();
  });

  describe('accounts', () => {
    it('create (201 + Location), get, list with paging, rename, delete', async () => {
      const id = uniq('acct');
      const created = await create(g, ADMIN, ACCOUNTS, { id, name: 'First name' });
      assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'id', 'name']);
      assert.equal(created.id, id);
      assert.equal(created.name, 'First name');
      assert.match(created.createdAt, INFOBIP_TIME);
      const generated = await create(g, ADMIN, ACCOUNTS, { name: 'Generated id' });
      assert.match(generated.id, /^[0-9a-f-]{36}$/, 'an id is generated when none is given');

      const one = await as(g, ADMIN, 'GET', `${ACCOUNTS}/${id}`);
      expectStatus(one, 200, 'GET');
      assert.deepEqual(one.body, created);

      const list = await as(g, ADMIN, 'GET', ACCOUNTS);
      expectStatus(list, 200, 'list');
      const ids = list.body.results.map((a: any) => a.id);
      for (const expected of ['default', tenant, id, generated.id]) assert.ok(ids.includes(expected), `${expected} in ${ids}`);
      assert.deepEqual(list.body.paging, { page: 0, size: 100, totalPages: 1, totalResults: ids.length });
      const total = ids.length;
      const second = await as(g, ADMIN, 'GET', ACCOUNTS + qs({ page: 1, size: 1 }));
      assert.deepEqual(second.body.results, [list.body.results[1]]);
      assert.deepEqual(second.body.paging, { page: 1, size: 1, totalPages: total, totalResults: total });
      const past = await as(g, ADMIN, 'GET', ACCOUNTS + qs({ page: total, size: 1 }));
      assert.deepEqual(past.body.results, []);
      for (const bad of [{ size: 0 }, { size: 101 }, { page: -1 }] as Array<Record<string, number>>) {
        const r = await as(g, ADMIN, 'GET', ACCOUNTS + qs(bad));
        expectStatus(r, 400, JSON.stringify(bad));
        assert.deepEqual(v3ErrorProperties(r.body), Object.keys(bad));
      }

      const renamed = await as(g, ADMIN, 'PUT', `${ACCOUNTS}/${id}`, { name: 'Second name' });
      expectStatus(renamed, 200, 'PUT');
      assert.deepEqual(renamed.body, { ...created, name: 'Second name' });
      assert.equal((await as(g, ADMIN, 'GET', `${ACCOUNTS}/${id}`)).body.name, 'Second name');

      const deleted = await as(g, ADMIN, 'DELETE', `${ACCOUNTS}/${id}`);
      expectStatus(deleted, 200, 'DELETE');
      assert.deepEqual(deleted.body, { id });
      for (const [method, body] of [['GET', undefined], ['PUT', { name: 'x' }], ['DELETE', undefined]] as const) {
        const gone = await as(g, ADMIN, method, `${ACCOUNTS}/${id}`, body);
        expectStatus(gone, 404, `${method} after delete`);
        assert.deepEqual(gone.body, V3_NOT_FOUND);
      }
    });

    it('409: a duplicate id, and deleting `default`', async () => {
      const duplicate = await as(g, ADMIN, 'POST', ACCOUNTS, { id: tenant, name: 'Again' });
      expectStatus(duplicate, 409, 'duplicate id');
      assert.equal((await as(g, ADMIN, 'GET', `${ACCOUNTS}/${tenant}`)).body.name, 'Tenant', 'the existing account is untouched');
      expectStatus(await as(g, ADMIN, 'DELETE', `${ACCOUNTS}/default`), 409, 'delete default');
      expectStatus(await as(g, ADMIN, 'GET', `${ACCOUNTS}/default`), 200, 'still there');
    });

    it('deleting an account deletes its users, roles and keys; 409 while it has messages in flight', async () => {
      const id = uniq('busy');
      await create(g, ADMIN, ACCOUNTS, { id, name: 'Busy' });
      const user = await createUser(g, ADMIN, { username: uniq('busy-user'), password: 'busy-user-password', roles: ['ACCOUNT_ADMIN'], accountId: id });
      const role = await create(g, ADMIN, ROLES, { name: 'busy-role', scopes: ['sms:logs:read'], accountId: id });
      const key = await as(g, user.auth, 'POST', '/settings/2/api-keys', { name: 'busy-key' });
      expectStatus(key, 200, 'the tenant creates a key');
      const app = `App ${key.body.apiKeySecret}`;
      // A message scheduled for tomorrow is in flight: deleting now would lose it silently.
      const bulkId = uniq('busy-bulk');
      const sendAt = new Date(Date.now() + 24 * 3_600_000).toISOString();
      const scheduled = await as(g, app, 'POST', '/sms/2/text/advanced', { bulkId, messages: [{ destinations: [{ to: '41793026727' }], text: 'tomorrow', sendAt }] });
      assert.equal(scheduled.status, 200, JSON.stringify(scheduled.body));
      expectStatus(await as(g, ADMIN, 'DELETE', `${ACCOUNTS}/${id}`), 409, 'delete with a scheduled message');
      assert.equal(await logsStatus(g, user.auth), 200, 'nothing was deleted');
      assert.equal(await logsStatus(g, app), 200);

      const canceled = await as(g, app, 'PUT', `/sms/1/bulks/status${qs({ bulkId })}`, { status: 'CANCELED' });
      assert.equal(canceled.status, 200, JSON.stringify(canceled.body));
      const since = Date.now();
      const deleted = await as(g, ADMIN, 'DELETE', `${ACCOUNTS}/${id}`);
      expectStatus(deleted, 200, 'delete once nothing is in flight');
      assert.deepEqual(deleted.body, { id });
      expectStatus(await as(g, ADMIN, 'GET', `${ACCOUNTS}/${id}`), 404, 'the account');
      expectStatus(await as(g, ADMIN, 'GET', `${USERS}/${user.id}`), 404, 'its user');
      expectStatus(await as(g, ADMIN, 'GET', `${ROLES}/${role.id}`), 404, 'its role');
      expectStatus(await as(g, ADMIN, 'GET', `/settings/2/api-keys/${key.body.id}`), 404, 'its key');
      const refused = { user: await msUntil(401, () => logsStatus(g, user.auth), since), key: await msUntil(401, () => logsStatus(g, app), since) };
      assert.ok(refused.user <= 1_500 && refused.key <= 1_500, `credentials refused after ${JSON.stringify(refused)} ms`);
      // The id is free again, and the new account starts empty.
      await create(g, ADMIN, ACCOUNTS, { id, name: 'Busy again' });
      assert.deepEqual((await as(g, ADMIN, 'GET', USERS + qs({ accountId: id }))).body.results, []);
      assert.deepEqual((await as(g, ADMIN, 'GET', '/settings/2/api-keys' + qs({ accountId: id }))).body.apiKeys, []);
      expectStatus(await as(g, ADMIN, 'DELETE', `${ACCOUNTS}/${id}`), 200, 'delete the empty account');
    });

    it('400: an invalid id or a missing name', async () => {
      for (const [body, property] of [
        [{ id: 'has space', name: 'x' }, 'id'],
        [{ id: 'x'.repeat(65), name: 'x' }, 'id'],
        [{ id: uniq('no-name') }, 'name'],
        [{ name: '' }, 'name'],
      ] as const) {
        const r = await as(g, ADMIN, 'POST', ACCOUNTS, body);
        expectStatus(r, 400, JSON.stringify(body));
        assert.deepEqual(v3ErrorProperties(r.body), [property]);
      }
      expectStatus(await as(g, ADMIN, 'PUT', `${ACCOUNTS}/${tenant}`, { name: '' }), 400, 'PUT empty name');
    });

    it('a non-operator: 403 creating or deleting accounts, sees and renames only its own', async () => {
      const r = await as(g, tenantAdmin.auth, 'POST', ACCOUNTS, { id: uniq('by-tenant'), name: 'x' });
      expectStatus(r, 403, 'tenant creates an account');
      expectStatus(await as(g, tenantAdmin.auth, 'DELETE', `${ACCOUNTS}/${tenant}`), 403, 'tenant deletes its own account');
      expectStatus(await as(g, tenantAdmin.auth, 'DELETE', `${ACCOUNTS}/default`), 404, "tenant deletes the operator's account");

      const list = await as(g, tenantAdmin.auth, 'GET', ACCOUNTS);
      expectStatus(list, 200, 'tenant lists');
      assert.deepEqual(list.body.results.map((a: any) => a.id), [tenant], 'only its own account');
      assert.deepEqual(list.body.paging, { page: 0, size: 100, totalPages: 1, totalResults: 1 });
      for (const [method, body] of [['GET', undefined], ['PUT', { name: 'taken over' }]] as const) {
        const other = await as(g, tenantAdmin.auth, method, `${ACCOUNTS}/default`, body);
        expectStatus(other, 404, `${method} default by tenant`);
        assert.deepEqual(other.body, V3_NOT_FOUND);
      }
      assert.notEqual((await as(g, ADMIN, 'GET', `${ACCOUNTS}/default`)).body.name, 'taken over');
      const own = await as(g, tenantAdmin.auth, 'PUT', `${ACCOUNTS}/${tenant}`, { name: 'Tenant' });
      expectStatus(own, 200, 'tenant renames its own account');
    });
    it("the operator is an account admin of `default`: an INTEGRATIONS_MANAGER there is not (403 creating, 404 on other accounts, 403 changing the '*' bootstrap key)", async () => {
      expectStatus(await as(g, integrations.auth, 'POST', ACCOUNTS, { id: uniq('by-im'), name: 'x' }), 403, 'create an account');
      expectStatus(await as(g, integrations.auth, 'GET', `${ACCOUNTS}/${tenant}`), 404, "see a tenant's account");
      expectStatus(await as(g, integrations.auth, 'DELETE', `${ACCOUNTS}/${tenant}`), 404, "delete a tenant's account");
      const list = await as(g, integrations.auth, 'GET', ACCOUNTS);
      assert.deepEqual(list.body.results.map((a: any) => a.id), ['default'], 'only its own account');
      const keys = await as(g, ADMIN, 'GET', '/settings/2/api-keys?name=API_KEY%20bootstrap%20key');
      const bootstrap = keys.body.apiKeys[0];
      assert.deepEqual(bootstrap.scopeGuids, ['*']);
      const disabled = await as(g, integrations.auth, 'PUT', `/settings/2/api-keys/${bootstrap.id}`, { enabled: false });
      expectStatus(disabled, 403, 'disable a key holding more than it does');
      assert.equal((await as(g, ADMIN, 'GET', `/settings/2/api-keys/${bootstrap.id}`)).body.enabled, true);
    });
  });

  describe('users', () => {
    it('create (201 + Location), get, list with paging, update, delete; the password is never shown', async () => {
      const username = uniq('crud-user');
      const password = 'crud-user-password';
      const user = await createUser(g, ADMIN, { username, password, roles: ['REPORTING'] });
      const { auth, ...view } = user;
      assert.deepEqual(Object.keys(view).sort(), USER_FIELDS);
      assert.equal(view.accountId, 'default', "the caller's account");
      assert.equal(view.username, username);
      assert.deepEqual(view.roles, ['REPORTING']);
      assert.equal(view.enabled, true);
      assert.match(view.createdAt, INFOBIP_TIME);
      assert.equal(view.updatedAt, view.createdAt);
      assert.ok(!JSON.stringify(view).includes(password), 'no password in the answer');
      assert.equal(await logsStatus(g, auth), 200, 'the new user signs in (REPORTING holds sms:logs:read)');

      const one = await as(g, ADMIN, 'GET', `${USERS}/${view.id}`);
      expectStatus(one, 200, 'GET');
      assert.deepEqual(one.body, view);

      const list = await as(g, ADMIN, 'GET', USERS);
      const usernames = list.body.results.map((u: any) => u.username);
      assert.deepEqual(usernames, [...usernames].sort(), 'ordered by username');
      assert.ok(usernames.includes(username) && usernames.includes(TEST_ADMIN.username));
      assert.ok(list.body.results.every((u: any) => u.accountId === 'default'), 'only the operator account, unless another is named');
      assert.deepEqual(list.body.paging, { page: 0, size: 100, totalPages: 1, totalResults: usernames.length });
      const paged = await as(g, ADMIN, 'GET', USERS + qs({ page: 1, size: 2 }));
      assert.deepEqual(paged.body.results, list.body.results.slice(2, 4));
      assert.deepEqual(paged.body.paging, { page: 1, size: 2, totalPages: Math.ceil(usernames.length / 2), totalResults: usernames.length });
      assert.ok(!JSON.stringify(list.body).includes('scrypt'), 'no password hashes in the list');

      const updated = await as(g, ADMIN, 'PUT', `${USERS}/${view.id}`, { roles: ['COMMUNICATION_MANAGER'], enabled: false });
      expectStatus(updated, 200, 'PUT');
      assert.deepEqual(updated.body.roles, ['COMMUNICATION_MANAGER']);
      assert.equal(updated.body.enabled, false);
      assert.ok(updated.body.updatedAt >= view.updatedAt);
      await msUntil(401, () => logsStatus(g, auth), Date.now(), 1_500);

      const deleted = await as(g, ADMIN, 'DELETE', `${USERS}/${view.id}`);
      expectStatus(deleted, 200, 'DELETE');
      assert.deepEqual(deleted.body, { id: view.id });
      for (const [method, body] of [['GET', undefined], ['PUT', { enabled: true }], ['DELETE', undefined]] as const) {
        const gone = await as(g, ADMIN, method, `${USERS}/${view.id}`, body);
        expectStatus(gone, 404, `${method} after delete`);
        assert.deepEqual(gone.body, V3_NOT_FOUND);
      }
    });

    it('409 for a taken username, in any account', async () => {
      for (const [auth, who] of [[ADMIN, 'operator'], [tenantAdmin.auth, 'tenant']] as const) {
        const r = await as(g, auth, 'POST', USERS, { username: TEST_ADMIN.username, password: 'another-password', roles: ['REPORTING'] });
        expectStatus(r, 409, `${who} reuses "admin"`);
        assert.ok(!JSON.stringify(r.body).includes('another-password'));
      }
      const r = await as(g, ADMIN, 'POST', USERS, { username: integrations.username, password: 'another-password', roles: ['REPORTING'], accountId: tenant });
      expectStatus(r, 409, 'a username of the operator account, in the tenant');
      assert.equal(await logsStatus(g, ADMIN), 200, 'the existing admin still signs in with its own password');
    });

    it('400: short password, unknown role, no roles, bad username, bad accountId', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ username: uniq('short'), password: 'seven77', roles: ['REPORTING'] }, 'password'],
        [{ username: uniq('unknown-role'), password: 'long-enough-password', roles: ['SUPERUSER'] }, 'roles'],
        [{ username: uniq('no-roles'), password: 'long-enough-password', roles: [] }, 'roles'],
        [{ username: uniq('no-roles'), password: 'long-enough-password' }, 'roles'],
        [{ username: 'with:colon', password: 'long-enough-password', roles: ['REPORTING'] }, 'username'],
        [{ username: 'with space', password: 'long-enough-password', roles: ['REPORTING'] }, 'username'],
        [{ username: uniq('no-account'), password: 'long-enough-password', roles: ['REPORTING'], accountId: uniq('missing') }, 'accountId'],
      ];
      for (const [body, property] of cases) {
        const r = await as(g, ADMIN, 'POST', USERS, body);
        expectStatus(r, 400, JSON.stringify(body));
        assert.deepEqual(v3ErrorProperties(r.body), [property], JSON.stringify(r.body));
      }
      const names = (await as(g, ADMIN, 'GET', USERS)).body.results.map((u: any) => u.username);
      for (const [body] of cases) assert.ok(!names.includes(body.username), `${body.username} was not created`);
      // A custom role of another account is unknown here.
      const tenantRole = await create(g, tenantAdmin.auth, ROLES, { name: uniq('tenant-only'), scopes: ['sms:logs:read'] });
      const foreignRole = await as(g, ADMIN, 'POST', USERS, { username: uniq('foreign-role'), password: 'long-enough-password', roles: [tenantRole.id] });
      expectStatus(foreignRole, 400, "another account's custom role");
      assert.deepEqual(v3ErrorProperties(foreignRole.body), ['roles']);
      const shortUpdate = await as(g, ADMIN, 'PUT', `${USERS}/${integrations.id}`, { password: 'short' });
      expectStatus(shortUpdate, 400, 'PUT a short password');
      assert.deepEqual(v3ErrorProperties(shortUpdate.body), ['password']);
    });

    it('400: disabling or deleting yourself', async () => {
      const disable = await as(g, ADMIN, 'PUT', `${USERS}/${adminId}`, { enabled: false });
      expectStatus(disable, 400, 'disable yourself');
      assert.deepEqual(v3ErrorProperties(disable.body), ['enabled']);
      const remove = await as(g, ADMIN, 'DELETE', `${USERS}/${adminId}`);
      expectStatus(remove, 400, 'delete yourself');
      assert.deepEqual(v3ErrorProperties(remove.body), ['userId']);
      assert.equal(await logsStatus(g, ADMIN), 200, 'still here and enabled');
    });

    it("404 for an unknown id, and for another account's user when called by a non-operator", async () => {
      for (const [method, body] of [['GET', undefined], ['PUT', { enabled: false }], ['DELETE', undefined]] as const) {
        const unknown = await as(g, ADMIN, method, `${USERS}/00000000-0000-0000-0000-000000000000`, body);
        expectStatus(unknown, 404, `${method} unknown`);
        const foreign = await as(g, tenantAdmin.auth, method, `${USERS}/${integrations.id}`, body);
        expectStatus(foreign, 404, `${method} another account's user`);
        assert.deepEqual(foreign.body, V3_NOT_FOUND);
      }
      expectStatus(await as(g, tenantAdmin.auth, 'GET', USERS + qs({ accountId: 'default' })), 404, "tenant lists the operator's users");
      assert.equal(await logsStatus(g, integrations.auth), 200, 'their PUT/DELETE did nothing');
      // The operator does see the tenant's users.
      expectStatus(await as(g, ADMIN, 'GET', `${USERS}/${tenantAdmin.id}`), 200, 'operator reads a tenant user');
    });

    it('users created with accountId land in that account and see only its data', async () => {
      const reader = await createUser(g, ADMIN, { username: uniq('tenant-reader'), password: 'tenant-reader-password', roles: ['ACCOUNT_ADMIN'], accountId: tenant });
      assert.equal(reader.accountId, tenant);
      const viaOperator = await as(g, ADMIN, 'GET', USERS + qs({ accountId: tenant }));
      assert.ok(viaOperator.body.results.some((u: any) => u.id === reader.id));
      assert.ok(!(await as(g, ADMIN, 'GET', USERS)).body.results.some((u: any) => u.id === reader.id), "not in the operator's own list");

      const accounts = await as(g, reader.auth, 'GET', ACCOUNTS);
      assert.deepEqual(accounts.body.results.map((a: any) => a.id), [tenant]);
      const users = await as(g, reader.auth, 'GET', USERS);
      assert.ok(users.body.results.length >= 2);
      assert.ok(users.body.results.every((u: any) => u.accountId === tenant), JSON.stringify(users.body.results));
      const roles = await as(g, reader.auth, 'GET', ROLES);
      assert.ok(roles.body.results.every((r: any) => r.builtIn || r.accountId === tenant), JSON.stringify(roles.body.results));
      // A user the tenant creates, without accountId, is the tenant's too.
      const own = await createUser(g, reader.auth, { username: uniq('tenant-made'), password: 'tenant-made-password', roles: ['REPORTING'] });
      assert.equal(own.accountId, tenant);

      // Messages: the operator's message is not in the tenant's logs.
      const messageId = uniq('operator-message');
      const sent = await g.api('POST', '/sms/3/messages', { messages: [{ destinations: [{ to: '41793026727', messageId }], content: { text: 'operator only' } }] });
      assert.equal(sent.status, 200);
      assert.equal((await as(g, ADMIN, 'GET', '/sms/3/logs' + qs({ messageId }))).body.results.length, 1);
      const theirs = await as(g, reader.auth, 'GET', '/sms/3/logs' + qs({ messageId }));
      assert.equal(theirs.status, 200);
      assert.deepEqual(theirs.body.results, []);
      const keys = await as(g, reader.auth, 'GET', '/settings/2/api-keys');
      assert.ok(keys.body.apiKeys.every((k: any) => k.accountId === tenant), 'no operator keys');
    });
  });

  describe('privilege escalation', () => {
    it('an INTEGRATIONS_MANAGER cannot create a user or role with more than it holds (403)', async () => {
      for (const roles of [['ACCOUNT_ADMIN'], ['INTEGRATIONS_MANAGER', 'REPORTING'], ['COMMUNICATION_MANAGER']]) {
        const username = uniq('escalated');
        const r = await as(g, integrations.auth, 'POST', USERS, { username, password: 'escalated-password', roles });
        expectStatus(r, 403, `create a user with ${roles}`);
        assert.ok(!(await as(g, ADMIN, 'GET', USERS)).body.results.some((u: any) => u.username === username), 'not created');
      }
      expectStatus(await as(g, integrations.auth, 'PUT', `${USERS}/${integrations.id}`, { roles: ['ACCOUNT_ADMIN'] }), 403, 'promote itself');
      assert.deepEqual((await as(g, ADMIN, 'GET', `${USERS}/${integrations.id}`)).body.roles, ['INTEGRATIONS_MANAGER']);

      for (const scopes of [['2fa:manage'], ['sms:manage', 'numbers:manage'], ['*']]) {
        const name = uniq('escalated-role');
        expectStatus(await as(g, integrations.auth, 'POST', ROLES, { name, scopes }), 403, `create a role with ${scopes}`);
        assert.ok(!(await as(g, ADMIN, 'GET', ROLES)).body.results.some((r: any) => r.name === name), 'not created');
      }
      // A custom role holding a scope it lacks cannot be handed out by it either, nor widened.
      const wide = await create(g, ADMIN, ROLES, { name: uniq('wide'), scopes: ['2fa:manage', 'sms:manage'] });
      expectStatus(await as(g, integrations.auth, 'POST', USERS, { username: uniq('wide-user'), password: 'wide-user-password', roles: [wide.id] }), 403, 'hand out a wider custom role');
      const narrow = await create(g, integrations.auth, ROLES, { name: uniq('narrow'), scopes: ['sms:logs:read'] });
      assert.equal(narrow.accountId, 'default');
      expectStatus(await as(g, integrations.auth, 'PUT', `${ROLES}/${narrow.id}`, { scopes: ['sms:logs:read', '2fa:manage'] }), 403, 'widen a role');
      // Within what it holds, it may.
      const peer = await createUser(g, integrations.auth, { username: uniq('im-peer'), password: 'im-peer-password', roles: ['INTEGRATIONS_MANAGER', narrow.id] });
      assert.deepEqual(peer.roles, ['INTEGRATIONS_MANAGER', narrow.id]);
    });

    it('an INTEGRATIONS_MANAGER cannot take over, demote, disable or delete a user (or empty a role) holding more than it does (403)', async () => {
      const victim = await createUser(g, ADMIN, { username: uniq('victim-admin'), password: 'victim-admin-password', roles: ['ACCOUNT_ADMIN'] });
      const outcome: Record<string, number> = {};
      outcome['PUT password'] = (await as(g, integrations.auth, 'PUT', `${USERS}/${victim.id}`, { password: 'chosen-by-integrations' })).status;
      // Had that worked, the integrations manager could now sign in as an account admin, with every scope.
      const takenOver = await as(g, basic(victim.username, 'chosen-by-integrations'), 'POST', '/hookline/1/roles', { name: uniq('taken-over'), scopes: ['2fa:manage'] });
      outcome['PUT roles'] = (await as(g, integrations.auth, 'PUT', `${USERS}/${victim.id}`, { roles: ['INTEGRATIONS_MANAGER'] })).status;
      outcome['PUT enabled:false'] = (await as(g, integrations.auth, 'PUT', `${USERS}/${victim.id}`, { enabled: false })).status;
      outcome.DELETE = (await as(g, integrations.auth, 'DELETE', `${USERS}/${victim.id}`)).status;
      // Emptying a custom role that holds more than the caller demotes every holder of it alike.
      const strong = await create(g, ADMIN, ROLES, { name: uniq('strong'), scopes: ['*'] });
      outcome['PUT a stronger role'] = (await as(g, integrations.auth, 'PUT', `${ROLES}/${strong.id}`, { scopes: [] })).status;
      assert.deepEqual(
        outcome,
        { 'PUT password': 403, 'PUT roles': 403, 'PUT enabled:false': 403, DELETE: 403, 'PUT a stronger role': 403 },
        `an INTEGRATIONS_MANAGER changed an ACCOUNT_ADMIN; with the password it chose it then created a 2fa:manage role: ${takenOver.status}`,
      );
      assert.equal(takenOver.status, 401);
      assert.equal(await logsStatus(g, victim.auth), 200, 'the victim is untouched');
      assert.deepEqual((await as(g, ADMIN, 'GET', `${ROLES}/${strong.id}`)).body.scopes, ['*']);
    });
  });

  describe('roles', () => {
    it('lists the built-in roles and the custom ones, with paging', async () => {
      const list = await as(g, ADMIN, 'GET', ROLES);
      expectStatus(list, 200, 'list');
      const builtIns = list.body.results.filter((r: any) => r.builtIn);
      assert.deepEqual(builtIns, BUILT_IN_ROLES.map((r) => ({ id: r.id, name: r.name, scopes: [...r.scopes], builtIn: true })));
      assert.deepEqual(list.body.results.slice(0, builtIns.length), builtIns, 'built-ins first');
      const custom = list.body.results.slice(builtIns.length);
      assert.ok(custom.every((r: any) => r.builtIn === false && r.accountId === 'default'));
      assert.deepEqual(custom.map((r: any) => r.name), custom.map((r: any) => r.name).sort(), 'custom roles by name');
      assert.deepEqual(list.body.paging, { page: 0, size: 100, totalPages: 1, totalResults: list.body.results.length });
      const paged = await as(g, ADMIN, 'GET', ROLES + qs({ page: 1, size: 3 }));
      assert.deepEqual(paged.body.results, list.body.results.slice(3, 6));
      assert.equal(paged.body.paging.totalPages, Math.ceil(list.body.results.length / 3));
      const one = await as(g, tenantAdmin.auth, 'GET', `${ROLES}/INTEGRATIONS_MANAGER`);
      expectStatus(one, 200, 'a built-in role, from any account');
      assert.deepEqual(one.body, builtIns[1]);
    });

    it('create (201 + Location), get, update, delete', async () => {
      const name = uniq('custom');
      const role = await create(g, ADMIN, ROLES, { name, scopes: ['sms:logs:read', 'subscriptions:manage'] });
      assert.deepEqual(Object.keys(role).sort(), ['accountId', 'builtIn', 'id', 'name', 'scopes']);
      assert.deepEqual({ ...role, id: undefined }, { id: undefined, accountId: 'default', name, scopes: ['sms:logs:read', 'subscriptions:manage'], builtIn: false });
      assert.deepEqual((await as(g, ADMIN, 'GET', `${ROLES}/${role.id}`)).body, role);
      const updated = await as(g, ADMIN, 'PUT', `${ROLES}/${role.id}`, { name: `${name}-2`, scopes: ['sms:manage'] });
      expectStatus(updated, 200, 'PUT');
      assert.deepEqual(updated.body, { ...role, name: `${name}-2`, scopes: ['sms:manage'] });
      assert.deepEqual((await as(g, ADMIN, 'GET', `${ROLES}/${role.id}`)).body, updated.body);
      const deleted = await as(g, ADMIN, 'DELETE', `${ROLES}/${role.id}`);
      expectStatus(deleted, 200, 'DELETE');
      assert.deepEqual(deleted.body, { id: role.id });
      expectStatus(await as(g, ADMIN, 'GET', `${ROLES}/${role.id}`), 404, 'GET after delete');
    });

    it('409: a duplicate name (per account) and deleting a role still held', async () => {
      const name = uniq('dup');
      const role = await create(g, ADMIN, ROLES, { name, scopes: ['sms:logs:read'] });
      expectStatus(await as(g, ADMIN, 'POST', ROLES, { name, scopes: [] }), 409, 'same name');
      const other = await create(g, ADMIN, ROLES, { name: `${name}-other`, scopes: [] });
      expectStatus(await as(g, ADMIN, 'PUT', `${ROLES}/${other.id}`, { name }), 409, 'rename onto a taken name');
      // Another account may use the name.
      await create(g, tenantAdmin.auth, ROLES, { name, scopes: ['sms:logs:read'] });

      const holder = await createUser(g, ADMIN, { username: uniq('holder'), password: 'holder-password', roles: ['REPORTING', role.id] });
      expectStatus(await as(g, ADMIN, 'DELETE', `${ROLES}/${role.id}`), 409, 'delete a held role');
      expectStatus(await as(g, ADMIN, 'GET', `${ROLES}/${role.id}`), 200, 'still there');
      expectStatus(await as(g, ADMIN, 'PUT', `${USERS}/${holder.id}`, { roles: ['REPORTING'] }), 200, 'take it away');
      expectStatus(await as(g, ADMIN, 'DELETE', `${ROLES}/${role.id}`), 200, 'delete once nobody holds it');
    });

    it('400: unknown scope, unknown account, built-in roles are read-only; 404 for unknown and foreign role ids', async () => {
      const unknown = await as(g, ADMIN, 'POST', ROLES, { name: uniq('typo'), scopes: ['sms:send'] });
      expectStatus(unknown, 400, 'unknown scope');
      assert.deepEqual(v3ErrorProperties(unknown.body), ['scopes']);
      expectStatus(await as(g, ADMIN, 'POST', ROLES, { scopes: [] }), 400, 'no name');
      for (const builtIn of BUILT_IN_ROLES) {
        const put = await as(g, ADMIN, 'PUT', `${ROLES}/${builtIn.id}`, { scopes: ['sms:manage'] });
        expectStatus(put, 400, `PUT ${builtIn.id}`);
        assert.deepEqual(v3ErrorProperties(put.body), ['roleId']);
        expectStatus(await as(g, ADMIN, 'DELETE', `${ROLES}/${builtIn.id}`), 400, `DELETE ${builtIn.id}`);
      }
      const roles = await as(g, ADMIN, 'GET', ROLES);
      assert.deepEqual(roles.body.results.find((r: any) => r.id === 'REPORTING').scopes, [...BUILT_IN_ROLES[3].scopes], 'unchanged');

      const ours = await create(g, ADMIN, ROLES, { name: uniq('ours'), scopes: ['sms:logs:read'] });
      for (const [method, body] of [['GET', undefined], ['PUT', { scopes: [] }], ['DELETE', undefined]] as const) {
        expectStatus(await as(g, ADMIN, method, `${ROLES}/no-such-role`, body), 404, `${method} unknown`);
        const foreign = await as(g, tenantAdmin.auth, method, `${ROLES}/${ours.id}`, body);
        expectStatus(foreign, 404, `${method} another account's role`);
        assert.deepEqual(foreign.body, V3_NOT_FOUND);
      }
      expectStatus(await as(g, tenantAdmin.auth, 'GET', ROLES + qs({ accountId: 'default' })), 404, "tenant lists the operator's roles");
      assert.deepEqual((await as(g, ADMIN, 'GET', `${ROLES}/${ours.id}`)).body.scopes, ['sms:logs:read'], 'their PUT changed nothing');
      // As for users and keys, an account that does not exist is a 400 naming accountId, not a 500 from the foreign key.
      const nowhere = await as(g, ADMIN, 'POST', ROLES, { name: uniq('nowhere'), scopes: [], accountId: uniq('no-such-account') });
      expectStatus(nowhere, 400, 'a role in an account that does not exist');
      assert.deepEqual(v3ErrorProperties(nowhere.body), ['accountId']);
    });

    it("a custom role's new scopes apply to its users within a second", async () => {
      const role = await create(g, ADMIN, ROLES, { name: uniq('live'), scopes: ['sms:logs:read'] });
      const user = await createUser(g, ADMIN, { username: uniq('live-user'), password: 'live-user-password', roles: [role.id] });
      const preview = async () => (await as(g, user.auth, 'POST', '/sms/1/preview', { text: 'hello' })).status;
      assert.equal(await logsStatus(g, user.auth), 200);
      assert.equal(await preview(), 403, 'preview needs sms:manage');

      let since = Date.now();
      expectStatus(await as(g, ADMIN, 'PUT', `${ROLES}/${role.id}`, { scopes: ['sms:manage'] }), 200, 'widen');
      const widened = await msUntil(200, preview, since);
      assert.ok(widened <= 1_500, `sms:manage applied after ${widened} ms`);

      since = Date.now();
      expectStatus(await as(g, ADMIN, 'PUT', `${ROLES}/${role.id}`, { scopes: [] }), 200, 'empty');
      const emptied = await msUntil(403, () => logsStatus(g, user.auth), since);
      assert.ok(emptied <= 1_500, `no scopes applied after ${emptied} ms`);
      assert.equal(await preview(), 403, 'a role with no scopes gives no API access');
    });
  });

  describe('sessions and tokens follow the user', () => {
    /**
     * Sends the next request with each credential right after `change`, then polls until each is
     * refused. The issue asks for "within a second" at worst; ending a user's sessions and tokens
     * is expected to refuse the very next request (checked last, so the rest is checked anyway).
     */
    async function refusedAfter(change: () => Promise<void>, credentials: Record<string, string>): Promise<{ next: Record<string, number>; ms: Record<string, number> }> {
      const since = Date.now();
      await change();
      const next: Record<string, number> = {};
      for (const [name, auth] of Object.entries(credentials)) next[name] = await logsStatus(g, auth);
      const ms: Record<string, number> = {};
      for (const [name, auth] of Object.entries(credentials)) ms[name] = await msUntil(401, () => logsStatus(g, auth), since);
      for (const [name, elapsed] of Object.entries(ms)) assert.ok(elapsed <= 1_500, `${name} refused only after ${elapsed} ms`);
      return { next, ms };
    }

    it("a password change ends the user's IBSSO session and OAuth token (next request 401); the new password works", async () => {
      const username = uniq('rotating');
      const user = await createUser(g, ADMIN, { username, password: 'first-password', roles: ['COMMUNICATION_MANAGER'] });
      const { ibsso, bearer } = await signIn(g, username, 'first-password');
      // In use right now (and so in the credential cache).
      for (const auth of [ibsso, bearer, user.auth]) assert.equal(await logsStatus(g, auth), 200);
      const { next } = await refusedAfter(async () => {
        expectStatus(await as(g, ADMIN, 'PUT', `${USERS}/${user.id}`, { password: 'second-password' }), 200, 'change the password');
      }, { ibsso, bearer, 'old password': user.auth });
      assert.deepEqual((await as(g, ibsso, 'GET', '/sms/3/logs')).body, V3_UNAUTHORIZED);
      assert.equal(await logsStatus(g, basic(username, 'second-password')), 200, 'the new password works');
      const fresh = await signIn(g, username, 'second-password');
      assert.equal(await logsStatus(g, fresh.ibsso), 200);
      assert.equal(await logsStatus(g, fresh.bearer), 200);
      // The old session is gone for good, not refused for a moment.
      await sleep(1_100);
      assert.equal(await logsStatus(g, ibsso), 401);
      assert.equal(await logsStatus(g, bearer), 401);
      assert.deepEqual({ ibsso: next.ibsso, bearer: next.bearer }, { ibsso: 401, bearer: 401 }, 'the very next request with the old session and token');
    });

    it('deleting a user ends their session and token (next request 401); so does disabling one', async () => {
      const first: Record<string, Record<string, number>> = {};
      for (const change of ['DELETE', 'disable'] as const) {
        const username = uniq(`ended-${change}`);
        const user = await createUser(g, ADMIN, { username, password: 'ended-password', roles: ['COMMUNICATION_MANAGER'] });
        const { ibsso, bearer } = await signIn(g, username, 'ended-password');
        for (const auth of [ibsso, bearer, user.auth]) assert.equal(await logsStatus(g, auth), 200);
        const { next } = await refusedAfter(async () => {
          const r = change === 'DELETE' ? await as(g, ADMIN, 'DELETE', `${USERS}/${user.id}`) : await as(g, ADMIN, 'PUT', `${USERS}/${user.id}`, { enabled: false });
          expectStatus(r, 200, change);
        }, { ibsso, bearer, basic: user.auth });
        first[change] = next;
        const signInAgain = await rawApi(g, 'POST', '/auth/1/session', { username, password: 'ended-password' });
        assert.equal(signInAgain.status, 401, `no new session after ${change}`);
      }
      // Basic re-checks the password within a second (polled above); a session or token must end at once.
      const sessionAndToken = (change: string) => ({ ibsso: first[change].ibsso, bearer: first[change].bearer });
      const strict = { ibsso: 401, bearer: 401 };
      assert.deepEqual({ DELETE: sessionAndToken('DELETE'), disable: sessionAndToken('disable') }, { DELETE: strict, disable: strict }, 'the very next request after the change');
    });
  });

  it('an API key, even the bootstrap one with every scope, gets 403 on the admin API', async () => {
    for (const path of [ACCOUNTS, USERS, ROLES]) {
      const r = await g.api('GET', path);
      expectStatus(r, 403, `GET ${path} with App`);
    }
    expectStatus(await g.api('POST', ACCOUNTS, { id: uniq('by-key'), name: 'x' }), 403, 'POST account with App');
  });
});

// The scenarios run side by side: each child process takes seconds to start (tsx compiles src/).
describe('first admin bootstrap (child process)', { timeout: 120_000, concurrency: true }, () => {
  const ADMIN_LINE = /^Hookline admin: (\S+) (\S+)$/gm;
  const scratch = scratchDatabases('hookline-admin');
  const newDatabase = scratch.newDatabase;
  after(async () => {
    await killAllGatewayProcesses();
    await scratch.removeAll();
  });

  /** spawnGateway strips every CONFIG_ENV_NAMES variable inherited from this process, ADMIN_* included. */
  async function start(database: TestDatabase, extra: Record<string, string> = {}): Promise<GatewayProcess> {
    return spawnGateway({ PORT: String(await freePort()), DATABASE_URL: database.url, LOG_LEVEL: 'warn', SIMULATOR_DELAY_MS: '0', API_KEY: 'bootstrap-test-key-0123456789abcdef', ...extra });
  }

  async function stop(gateway: GatewayProcess): Promise<void> {
    const exit = await stopGateway(gateway, 'SIGTERM');
    assert.equal(exit.code, 0, `gateway exited with ${JSON.stringify(exit)}; stderr:\n${gateway.stderr()}`);
  }

  const adminLines = (gateway: GatewayProcess) => [...gateway.stdout().matchAll(ADMIN_LINE)].map((m) => ({ username: m[1], password: m[2] }));

  async function usersAs(gateway: GatewayProcess, username: string, password: string): Promise<{ status: number; body: any }> {
    const response = await fetch(`${gateway.baseUrl}${USERS}`, { headers: { authorization: basic(username, password) } });
    return { status: response.status, body: await response.json() };
  }

  it('without ADMIN_PASSWORD on an empty database: one admin line, its password works; a restart prints none', async () => {
    const db = await newDatabase();
    const first = await start(db);
    const lines = adminLines(first);
    assert.equal(lines.length, 1, `expected exactly one admin line on stdout, got:\n${first.stdout()}`);
    const [{ username, password }] = lines;
    assert.equal(username, 'admin');
    assert.ok(password.length >= 16, 'a generated password of some strength');
    assert.equal(first.stdout().split('\n').filter((l) => l.startsWith('Hookline admin:')).length, 1);
    assert.ok(!first.stderr().includes(password), 'the password is printed on stdout only');
    const signedIn = await usersAs(first, username, password);
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.deepEqual(signedIn.body.results.map((u: any) => [u.username, u.roles, u.accountId]), [['admin', ['ACCOUNT_ADMIN'], 'default']]);
    assert.equal((await usersAs(first, username, `${password}x`)).status, 401);
    await stop(first);

    const second = await start(db);
    assert.deepEqual(adminLines(second), [], `no admin line on restart, got:\n${second.stdout()}`);
    assert.ok(!second.stdout().includes(password) && !second.stderr().includes(password));
    assert.equal((await usersAs(second, username, password)).status, 200, 'the generated password survives the restart');
    await stop(second);
    await db.drop();
  });

  it('with ADMIN_USERNAME and ADMIN_PASSWORD: nothing is printed and those credentials work', async () => {
    const db = await newDatabase();
    const credentials = { ADMIN_USERNAME: 'operator', ADMIN_PASSWORD: 'configured-admin-password' };
    const gateway = await start(db, credentials);
    assert.ok(!gateway.stdout().includes('Hookline admin'), `nothing printed, got:\n${gateway.stdout()}`);
    assert.ok(!gateway.stdout().includes(credentials.ADMIN_PASSWORD) && !gateway.stderr().includes(credentials.ADMIN_PASSWORD), 'the password is not echoed');
    const signedIn = await usersAs(gateway, 'operator', credentials.ADMIN_PASSWORD);
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.deepEqual(signedIn.body.results.map((u: any) => [u.username, u.roles]), [['operator', ['ACCOUNT_ADMIN']]], 'no generated admin beside it');
    assert.equal((await usersAs(gateway, 'admin', credentials.ADMIN_PASSWORD)).status, 401);
    await stop(gateway);
    await db.drop();
  });
});

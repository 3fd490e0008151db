/**
 * Tenant isolation: two accounts (acme, globex) side by side through every endpoint, on one
 * gateway. Both use the SAME bulkId and messageId strings and the SAME webhook URL; what tells
 * their data apart is the account alone. Proven here: no cross-account read (logs, pull reports,
 * bulks, keys, users, roles, accounts), no cross-account write (bulk reschedule/pause/cancel,
 * key/user/role/account changes) and no cross-account delivery (one webhook request never
 * carries two accounts' reports), plus the operator's own key seeing neither account's messages.
 *
 * Every report and log entry names its account twice over: destinations carry a per-account
 * prefix and every message a per-account callbackData, so a report rendered from the wrong
 * account's row, or a body mixing two accounts, is caught even though the ids are equal.
 *
 * A ManualClock drives the scheduled bulks so their sendAt can be reached at once; the
 * simulated network (SIMULATOR_DELAY_MS=0) finishes messages as soon as they are submitted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { startGateway, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import { Receiver, type Received } from '../helpers/receiver.ts';
import { PENDING_ACCEPTED, qs, REJECTED_DUPLICATE_MESSAGE_ID, V3_NOT_FOUND, v3ErrorProperties, waitUntil } from '../http/support.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const fmt = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Tenant = 'acme' | 'globex';
const TENANTS: readonly Tenant[] = ['acme', 'globex'];
const OTHER: Record<Tenant, Tenant> = { acme: 'globex', globex: 'acme' };
/** Per-account number prefixes; the last four digits pick the simulated outcome (1001: intermediate report first). */
const PREFIX: Record<Tenant, string> = { acme: '4179311', globex: '4179322' };
const OPERATOR_NUMBER = '41793330001';
const number = (t: Tenant, last4: string) => PREFIX[t] + last4;
const CALLBACK: Record<Tenant, string> = { acme: 'tenant=acme', globex: 'tenant=globex' };

// The same strings in both accounts.
const SHARED_BULK = 'shared-bulk';
const PULL_BULK = 'shared-pull';
const SCHED_BULK = 'shared-schedule';
/** A scheduled bulk that exists only in the named account. */
const ONLY_BULK: Record<Tenant, string> = { acme: 'only-in-acme', globex: 'only-in-globex' };
const ONLY_AT = T0 + 90 * MINUTE;
/** Each account schedules SCHED_BULK for a different time, so one account's view can't pass for the other's. */
const SCHED_AT: Record<Tenant, number> = { acme: T0 + HOUR, globex: T0 + 2 * HOUR };
const FIRE_AT = T0 + 2 * HOUR + 1_000;

const PUSH_IDS = ['push-v2-1', 'push-v2-2', 'push-v2-3', 'push-v3-1', 'push-v3-2', 'push-v3-3'];
const PULL_IDS = ['pull-v2-1', 'pull-v2-2', 'pull-v3-1', 'pull-v3-2'];
const SCHED_IDS = ['sched-v3-1', 'sched-v3-2', 'sched-v2-1'];
const ONLY_ID = 'only-1';
const ALL_IDS = [...PUSH_IDS, ...PULL_IDS, ...SCHED_IDS, ONLY_ID];

/** What the immediate wave pushes per account: the …1001 numbers report PENDING_WAITING_DELIVERY first. */
const IMMEDIATE_PUSHES = [
  'push-v2-1 DELIVERED_TO_HANDSET',
  'push-v2-2 DELIVERED_TO_HANDSET',
  'push-v2-3 PENDING_WAITING_DELIVERY',
  'push-v2-3 DELIVERED_TO_HANDSET',
  'push-v3-1 DELIVERED_TO_HANDSET',
  'push-v3-2 DELIVERED_TO_HANDSET',
  'push-v3-3 PENDING_WAITING_DELIVERY',
  'push-v3-3 DELIVERED_TO_HANDSET',
].sort();

const NOT_FOUND_BULK = { requestError: { serviceException: { messageId: 'NOT_FOUND', text: 'Bulk not found' } } };

type Credentials = { username: string; password: string };
const basic = (u: Credentials) => ({ authorization: `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}` });

/** Which account a destination number belongs to (undefined: none of the two). */
const tenantOfNumber = (to: unknown): Tenant | undefined => TENANTS.find((t) => String(to).startsWith(PREFIX[t]));

/** The account a report belongs to; its number and its callbackData must agree. */
function tenantOfReport(report: any): Tenant {
  const byCallback = TENANTS.find((t) => report.callbackData === CALLBACK[t]);
  assert.ok(byCallback, `report without an account's callbackData: ${JSON.stringify(report)}`);
  assert.equal(tenantOfNumber(report.to), byCallback, `report ${report.messageId}: number ${report.to} and callbackData ${report.callbackData} name different accounts`);
  return byCallback;
}

function itemsOf(req: Received): any[] {
  assert.match(String(req.headers['content-type']), /^application\/json\b/, `only JSON webhooks are requested here: ${req.body.slice(0, 200)}`);
  return JSON.parse(req.body).results;
}

describe('tenant isolation: two accounts through every endpoint', () => {
  let g: TestGateway;
  let clock: ManualClock;
  let receiver: Receiver;
  let url = '';
  const admins = {} as Record<Tenant, Credentials & { id: string }>;
  const keys = {} as Record<Tenant, { id: string; secret: string }>;
  const customRoles = {} as Record<Tenant, string>;

  const asKey = (t: Tenant, method: string, path: string, body?: unknown) => g.api(method, path, body, { authorization: `App ${keys[t].secret}` });
  const asAdmin = (t: Tenant, method: string, path: string, body?: unknown) => g.api(method, path, body, basic(admins[t]));
  const asOperator = (method: string, path: string, body?: unknown) => g.api(method, path, body, basic(TEST_ADMIN));
  const ok = (r: { status: number; body: any }, status = 200): any => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    return r.body;
  };

  /** Reports pushed so far per account ("messageId STATUS", sorted), asserting each request carries one account only. */
  function pushedByTenant(): Record<Tenant, string[]> {
    const out: Record<Tenant, string[]> = { acme: [], globex: [] };
    receiver.requests.forEach((req, i) => {
      assert.equal(req.path, '/dlr');
      const items = itemsOf(req);
      const owners = new Set(items.map(tenantOfReport));
      assert.equal(owners.size, 1, `webhook request #${i} carries reports of ${[...owners].join(' and ')}: ${req.body}`);
      const [owner] = owners;
      out[owner!].push(...items.map((r) => `${r.messageId} ${r.status.name}`));
    });
    return { acme: out.acme.sort(), globex: out.globex.sort() };
  }
  /** Non-asserting count (safe inside the receiver's wait check). */
  const pushedCount = (t: Tenant) => receiver.results().filter((r) => r.callbackData === CALLBACK[t]).length;

  /** Waits (with account t's own key) until the listed messages are final; returns their v3 log entries. */
  async function waitForFinal(t: Tenant, messageIds: string[]): Promise<any[]> {
    return waitUntil(async () => {
      const entries = ok(await asKey(t, 'GET', '/sms/3/logs' + qs({ messageId: messageIds.join(','), limit: 1000 }))).results as any[];
      const done = entries.length === messageIds.length && entries.every((e) => e.status.groupName !== 'PENDING');
      return done ? entries : undefined;
    }, `${t}: final status of ${messageIds.join(', ')}`);
  }

  before(async () => {
    clock = new ManualClock(T0);
    g = await startGateway({ THROTTLES: 'off', SIMULATOR_DELAY_MS: '0' }, { clock });
    receiver = await Receiver.start();
    url = `${receiver.url}/dlr`;

    for (const t of TENANTS) {
      const account = ok(await asOperator('POST', '/hookline/1/accounts', { id: t, name: t.toUpperCase() }), 201);
      assert.equal(account.id, t);
      const credentials = { username: `${t}-admin`, password: `${t}-password-123` };
      const user = ok(await asOperator('POST', '/hookline/1/users', { ...credentials, roles: ['ACCOUNT_ADMIN'], accountId: t }), 201);
      assert.equal(user.accountId, t);
      admins[t] = { ...credentials, id: user.id };
      const key = ok(await asAdmin(t, 'POST', '/settings/2/api-keys', { name: `${t} key` }));
      assert.equal(key.accountId, t);
      assert.equal(typeof key.apiKeySecret, 'string');
      keys[t] = { id: key.id, secret: key.apiKeySecret };
      const role = ok(await asAdmin(t, 'POST', '/hookline/1/roles', { name: `${t} senders`, scopes: ['sms:manage'] }), 201);
      assert.equal(role.accountId, t);
      customRoles[t] = role.id;
    }
  });
  after(async () => {
    await g?.close();
    await receiver?.close();
  });

  describe('sending with the same ids in both accounts', () => {
    /** Every request of one account; both accounts send the same ids at the same time. */
    async function sendAll(t: Tenant) {
      const responses = [
        // Pushed, v2 and v3, to the one shared URL.
        await asKey(t, 'POST', '/sms/2/text/advanced', {
          bulkId: SHARED_BULK,
          messages: [
            {
              destinations: [
                { to: number(t, '0001'), messageId: 'push-v2-1' },
                { to: number(t, '0002'), messageId: 'push-v2-2' },
                { to: number(t, '1001'), messageId: 'push-v2-3' },
              ],
              text: `v2 from ${t}`,
              notifyUrl: url,
              intermediateReport: true,
              callbackData: CALLBACK[t],
            },
          ],
        }),
        await asKey(t, 'POST', '/sms/3/messages', {
          messages: [
            {
              destinations: [
                { to: number(t, '0011'), messageId: 'push-v3-1' },
                { to: number(t, '0012'), messageId: 'push-v3-2' },
                { to: number(t, '1001'), messageId: 'push-v3-3' },
              ],
              content: { text: `v3 from ${t}` },
              webhooks: { delivery: { url, intermediateReport: true }, callbackData: CALLBACK[t] },
            },
          ],
          options: { schedule: { bulkId: SHARED_BULK } },
        }),
        // Not pushed: pulled.
        await asKey(t, 'POST', '/sms/2/text/advanced', {
          bulkId: PULL_BULK,
          messages: [
            {
              destinations: [
                { to: number(t, '0101'), messageId: 'pull-v2-1' },
                { to: number(t, '0102'), messageId: 'pull-v2-2' },
              ],
              text: 'pull me',
              callbackData: CALLBACK[t],
            },
          ],
        }),
        await asKey(t, 'POST', '/sms/3/messages', {
          messages: [
            {
              destinations: [
                { to: number(t, '0111'), messageId: 'pull-v3-1' },
                { to: number(t, '0112'), messageId: 'pull-v3-2' },
              ],
              content: { text: 'pull me' },
              webhooks: { callbackData: CALLBACK[t] },
            },
          ],
          options: { schedule: { bulkId: PULL_BULK } },
        }),
        // Scheduled: the same bulkId in both accounts (v3 and v2 messages in it), each at its own time.
        await asKey(t, 'POST', '/sms/3/messages', {
          messages: [
            {
              destinations: [
                { to: number(t, '0201'), messageId: 'sched-v3-1' },
                { to: number(t, '0202'), messageId: 'sched-v3-2' },
              ],
              content: { text: 'later' },
              webhooks: { delivery: { url }, callbackData: CALLBACK[t] },
            },
          ],
          options: { schedule: { bulkId: SCHED_BULK, sendAt: fmt(SCHED_AT[t]) } },
        }),
        await asKey(t, 'POST', '/sms/2/text/advanced', {
          bulkId: SCHED_BULK,
          messages: [{ destinations: [{ to: number(t, '0203'), messageId: 'sched-v2-1' }], text: 'later', sendAt: fmt(SCHED_AT[t]), notifyUrl: url, callbackData: CALLBACK[t] }],
        }),
        // A scheduled bulk only this account has.
        await asKey(t, 'POST', '/sms/3/messages', {
          messages: [{ destinations: [{ to: number(t, '0301'), messageId: ONLY_ID }], content: { text: 'mine only' }, webhooks: { delivery: { url }, callbackData: CALLBACK[t] } }],
          options: { schedule: { bulkId: ONLY_BULK[t], sendAt: fmt(ONLY_AT) } },
        }),
      ];
      return responses.map((r) => ok(r));
    }

    let sent: Record<Tenant, any[]>;

    it('both accounts are accepted with the same bulkIds and messageIds (ids are per account)', async () => {
      const [acme, globex] = await Promise.all(TENANTS.map(sendAll));
      sent = { acme, globex };
      for (const t of TENANTS) {
        const messages = sent[t].flatMap((body) => body.messages);
        assert.deepEqual(messages.map((m: any) => m.messageId), ALL_IDS, t);
        for (const m of messages) assert.deepEqual(m.status, PENDING_ACCEPTED, `${t} ${m.messageId}: ${JSON.stringify(m.status)}`);
        assert.deepEqual(sent[t].map((body) => body.bulkId), [SHARED_BULK, SHARED_BULK, PULL_BULK, PULL_BULK, SCHED_BULK, SCHED_BULK, ONLY_BULK[t]], t);
      }
    });

    it('the duplicate check is live: the same id again in the SAME account is rejected', async () => {
      // Control for the test above: without it, "accepted in both" would also pass with no duplicate check at all.
      const again = ok(await asKey('acme', 'POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to: number('acme', '0001'), messageId: 'push-v2-1' }], text: 'again' }] }));
      assert.deepEqual(again.messages[0].status, REJECTED_DUPLICATE_MESSAGE_ID);
    });

    it('the operator account sends with the same ids too (a third tenant to stay apart from)', async () => {
      const r = ok(await g.api('POST', '/sms/2/text/advanced', { bulkId: SHARED_BULK, messages: [{ destinations: [{ to: OPERATOR_NUMBER, messageId: 'push-v2-1' }], text: 'operator' }] }));
      assert.deepEqual(r.messages[0].status, PENDING_ACCEPTED);
    });
  });

  describe('webhooks to one shared URL', () => {
    it('every request carries one account\'s reports, and each account gets all of its own exactly once', async () => {
      await receiver.waitFor(() => pushedCount('acme') >= IMMEDIATE_PUSHES.length && pushedCount('globex') >= IMMEDIATE_PUSHES.length, 10_000, 'both accounts\' immediate reports');
      await waitForFinal('acme', PUSH_IDS);
      await waitForFinal('globex', PUSH_IDS);
      await sleep(200); // anything duplicated or misrouted would arrive now
      const pushed = pushedByTenant();
      assert.deepEqual(pushed.acme, IMMEDIATE_PUSHES);
      assert.deepEqual(pushed.globex, IMMEDIATE_PUSHES);
      assert.equal(receiver.results().length, 2 * IMMEDIATE_PUSHES.length, 'no stray reports (the operator\'s message and pulled ones are not pushed)');
    });
  });

  describe('pull reports', () => {
    before(async () => {
      for (const t of TENANTS) await waitForFinal(t, PULL_IDS);
      await waitUntil(async () => (await g.api('GET', '/sms/3/logs')).body.results?.[0]?.status.groupName === 'DELIVERED', 'the operator\'s message final');
    });

    const pull = async (t: Tenant, path: string, query: Record<string, string | number> = {}) => ok(await asKey(t, 'GET', path + qs({ limit: 1000, ...query }))).results as any[];

    it('a messageId filter pulls only the caller\'s report of that id, and leaves the other account\'s in its queue', async () => {
      const acme = await pull('acme', '/sms/1/reports', { messageId: 'pull-v2-1' });
      assert.deepEqual(acme.map((r) => [r.messageId, tenantOfReport(r)]), [['pull-v2-1', 'acme']]);
      assert.deepEqual(await pull('acme', '/sms/1/reports', { messageId: 'pull-v2-1' }), [], 'pulled once');
      const globex = await pull('globex', '/sms/1/reports', { messageId: 'pull-v2-1' });
      assert.deepEqual(globex.map((r) => [r.messageId, tenantOfReport(r)]), [['pull-v2-1', 'globex']], 'acme\'s pull did not consume globex\'s report of the same id');
    });

    it('unfiltered pulls return the caller\'s remaining reports only, each once (v3 then v1 shape)', async () => {
      const acme = await pull('acme', '/sms/3/reports');
      assert.deepEqual(acme.map((r) => r.messageId).sort(), ['pull-v2-2', 'pull-v3-1', 'pull-v3-2']);
      for (const r of acme) assert.equal(tenantOfReport(r), 'acme');
      assert.deepEqual(await pull('acme', '/sms/3/reports'), []);
      assert.deepEqual(await pull('acme', '/sms/1/reports'), []);

      const globex = await pull('globex', '/sms/1/reports', { bulkId: PULL_BULK });
      assert.deepEqual(globex.map((r) => r.messageId).sort(), ['pull-v2-2', 'pull-v3-1', 'pull-v3-2'], 'acme draining its queue left globex\'s intact');
      for (const r of globex) assert.equal(tenantOfReport(r), 'globex');
      assert.deepEqual(await pull('globex', '/sms/1/reports'), []);
      assert.deepEqual(await pull('globex', '/sms/3/reports'), []);
    });

    it('the operator key pulls its own report only', async () => {
      const r = ok(await g.api('GET', '/sms/3/reports' + qs({ limit: 1000 })));
      assert.deepEqual(r.results.map((x: any) => [x.messageId, x.to]), [['push-v2-1', OPERATOR_NUMBER]]);
      assert.deepEqual(ok(await g.api('GET', '/sms/1/reports')).results, []);
    });
  });

  describe('logs', () => {
    const logs = async (who: Tenant | 'operator', path: string, query: Record<string, string | number | boolean> = {}) => {
      const full = path + qs({ limit: 1000, ...query });
      return ok(who === 'operator' ? await g.api('GET', full) : await asKey(who, 'GET', full)) as { results: any[]; cursor?: { nextCursor?: string } };
    };
    const numberOf = (e: any) => e.to ?? e.destination;

    it('unfiltered, each account sees exactly its own messages (v1 and v3)', async () => {
      for (const t of TENANTS) {
        for (const path of ['/sms/1/logs', '/sms/3/logs']) {
          const { results } = await logs(t, path);
          assert.deepEqual(results.map((e) => e.messageId).sort(), [...ALL_IDS].sort(), `${t} ${path}`);
          for (const e of results) assert.equal(tenantOfNumber(numberOf(e)), t, `${t} ${path} shows ${JSON.stringify(e)}`);
        }
      }
    });

    it('messageId and bulkId filters match the caller\'s messages only', async () => {
      for (const t of TENANTS) {
        for (const path of ['/sms/1/logs', '/sms/3/logs']) {
          const one = await logs(t, path, { messageId: 'push-v2-1' });
          assert.deepEqual(one.results.map((e) => [e.messageId, tenantOfNumber(numberOf(e))]), [['push-v2-1', t]], `${t} ${path}`);
          const several = await logs(t, path, { messageId: `push-v3-3,${ONLY_ID},sched-v2-1` });
          assert.deepEqual(several.results.map((e) => e.messageId).sort(), [ONLY_ID, 'push-v3-3', 'sched-v2-1'], `${t} ${path}`);
          for (const e of several.results) assert.equal(tenantOfNumber(numberOf(e)), t);
          const bulk = await logs(t, path, { bulkId: SHARED_BULK });
          assert.deepEqual(bulk.results.map((e) => e.messageId).sort(), [...PUSH_IDS].sort(), `${t} ${path} bulkId`);
          for (const e of bulk.results) assert.equal(tenantOfNumber(numberOf(e)), t);
          assert.deepEqual((await logs(t, path, { bulkId: ONLY_BULK[t] })).results.map((e) => e.messageId), [ONLY_ID]);
          assert.deepEqual((await logs(t, path, { bulkId: ONLY_BULK[OTHER[t]] })).results, [], `${t} sees nothing of ${OTHER[t]}'s bulk`);
        }
      }
    });

    it('a signed-in user reads its own account\'s logs with every scheme (Basic, IBSSO, Bearer)', async () => {
      for (const t of TENANTS) {
        const session = ok(await g.api('POST', '/auth/1/session', { username: admins[t].username, password: admins[t].password }, { authorization: '' }));
        const form = new URLSearchParams({ client_id: admins[t].username, client_secret: admins[t].password, grant_type: 'client_credentials' }).toString();
        const token = ok(await g.api('POST', '/auth/1/oauth2/token', form, { authorization: '', 'content-type': 'application/x-www-form-urlencoded' }));
        for (const authorization of [basic(admins[t]).authorization, `IBSSO ${session.token}`, `Bearer ${token.access_token}`]) {
          const r = ok(await g.api('GET', '/sms/3/logs' + qs({ limit: 1000 }), undefined, { authorization }));
          const scheme = authorization.split(' ')[0];
          assert.deepEqual(r.results.map((e: any) => e.messageId).sort(), [...ALL_IDS].sort(), `${t} via ${scheme}`);
          for (const e of r.results) assert.equal(tenantOfNumber(e.destination), t, `${t} via ${scheme} shows ${JSON.stringify(e)}`);
        }
      }
    });

    it('v3 cursor paging walks the caller\'s messages only', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const r = await logs('globex', '/sms/3/logs', { limit: 4, useCursor: true, ...(cursor ? { cursor } : {}) });
        for (const e of r.results) assert.equal(tenantOfNumber(e.destination), 'globex');
        seen.push(...r.results.map((e) => e.messageId));
        cursor = r.cursor?.nextCursor;
        if (!cursor) break;
      }
      assert.deepEqual(seen.sort(), [...ALL_IDS].sort());
    });

    it('the operator key sees neither account\'s messages, only its own', async () => {
      for (const path of ['/sms/1/logs', '/sms/3/logs']) {
        const all = await logs('operator', path);
        assert.deepEqual(all.results.map((e) => [e.messageId, numberOf(e)]), [['push-v2-1', OPERATOR_NUMBER]], path);
        assert.deepEqual((await logs('operator', path, { messageId: 'push-v3-1,pull-v2-1' })).results, [], path);
        assert.deepEqual((await logs('operator', path, { bulkId: `${SCHED_BULK},${PULL_BULK},${ONLY_BULK.acme},${ONLY_BULK.globex}` })).results, [], path);
      }
    });
  });

  describe('scheduled bulks', () => {
    const bulk = (id: string) => qs({ bulkId: id });
    const schedule = async (t: Tenant, id = SCHED_BULK) => ok(await asKey(t, 'GET', '/sms/1/bulks' + bulk(id)));
    const status = async (t: Tenant, id = SCHED_BULK) => ok(await asKey(t, 'GET', '/sms/1/bulks/status' + bulk(id))).status as string;
    const setStatus = async (t: Tenant, wanted: string, id = SCHED_BULK) => ok(await asKey(t, 'PUT', '/sms/1/bulks/status' + bulk(id), { status: wanted })).status as string;

    it('each account sees its own schedule for the shared bulkId', async () => {
      for (const t of TENANTS) {
        assert.deepEqual(await schedule(t), { bulkId: SCHED_BULK, sendAt: fmt(SCHED_AT[t]) }, t);
        assert.equal(await status(t), 'PENDING', t);
      }
    });

    it('another account\'s bulk id answers 404 Bulk not found (legacy envelope) on every bulk endpoint, exactly like an unknown id', async () => {
      const attempts: Array<[string, string, unknown]> = [
        ['GET', '/sms/1/bulks', undefined],
        ['GET', '/sms/1/bulks/', undefined],
        ['PUT', '/sms/1/bulks', { sendAt: fmt(T0 + 5 * HOUR) }],
        ['GET', '/sms/1/bulks/status', undefined],
        ['PUT', '/sms/1/bulks/status', { status: 'PAUSED' }],
        ['PUT', '/sms/1/bulks/status', { status: 'CANCELED' }],
      ];
      for (const t of TENANTS) {
        for (const [method, path, body] of attempts) {
          const theirs = await asKey(t, method, path + bulk(ONLY_BULK[OTHER[t]]), body);
          const unknown = await asKey(t, method, path + bulk('no-such-bulk'), body);
          assert.equal(theirs.status, 404, `${t} ${method} ${path} on ${OTHER[t]}'s bulk: ${JSON.stringify(theirs.body)}`);
          assert.deepEqual(theirs.body, NOT_FOUND_BULK, `${t} ${method} ${path}`);
          assert.deepEqual([unknown.status, unknown.body], [theirs.status, theirs.body], `${t} ${method} ${path}: indistinguishable from an unknown id`);
        }
      }
      // The owners' bulks are untouched by those attempts.
      for (const t of TENANTS) {
        assert.deepEqual(await schedule(t, ONLY_BULK[t]), { bulkId: ONLY_BULK[t], sendAt: fmt(ONLY_AT) }, t);
        assert.equal(await status(t, ONLY_BULK[t]), 'PENDING', t);
      }
    });

    it('pausing and resuming one account\'s bulk does not touch the other\'s', async () => {
      assert.equal(await setStatus('acme', 'PAUSED'), 'PAUSED');
      assert.equal(await status('acme'), 'PAUSED');
      assert.equal(await status('globex'), 'PENDING', 'acme pausing its bulk did not pause globex\'s');

      assert.equal(await setStatus('globex', 'PAUSED'), 'PAUSED');
      assert.equal(await setStatus('acme', 'PROCESSING'), 'PENDING');
      assert.equal(await status('globex'), 'PAUSED', 'acme resuming its bulk did not resume globex\'s');
      assert.equal(await setStatus('globex', 'PROCESSING'), 'PENDING');
      assert.equal(await status('acme'), 'PENDING');
      assert.deepEqual(await schedule('globex'), { bulkId: SCHED_BULK, sendAt: fmt(SCHED_AT.globex) });
    });

    it('rescheduling acme\'s bulk leaves globex\'s same-named bulk at its time', async () => {
      // The last schedule change before globex's sendAt, on purpose: had it moved globex's queued
      // submissions too (not just the bulk row shown here), globex's bulk would miss FIRE_AT below.
      const moved = ok(await asKey('acme', 'PUT', '/sms/1/bulks' + bulk(SCHED_BULK), { sendAt: fmt(T0 + 3 * HOUR) }));
      assert.deepEqual(moved, { bulkId: SCHED_BULK, sendAt: fmt(T0 + 3 * HOUR) });
      assert.deepEqual(await schedule('acme'), { bulkId: SCHED_BULK, sendAt: fmt(T0 + 3 * HOUR) });
      assert.deepEqual(await schedule('globex'), { bulkId: SCHED_BULK, sendAt: fmt(SCHED_AT.globex) });
      // Below the API too: globex's messages and queued submissions keep globex's time.
      const db = g.hookline.store.db;
      const globexMessages = await db.selectFrom('messages').select('send_at').where('account_id', '=', 'globex').where('bulk_id', '=', SCHED_BULK).execute();
      assert.deepEqual(globexMessages.map((m) => Number(m.send_at)), SCHED_IDS.map(() => SCHED_AT.globex));
      const globexJobs = await db.selectFrom('network_jobs').select('due_at').where('account_id', '=', 'globex').where('bulk_id', '=', SCHED_BULK).execute();
      assert.deepEqual(globexJobs.map((j) => Number(j.due_at)), SCHED_IDS.map(() => SCHED_AT.globex));
    });

    it('canceling acme\'s bulk cancels acme\'s messages only', async () => {
      assert.equal(await setStatus('acme', 'CANCELED'), 'CANCELED');
      assert.equal(await status('acme'), 'CANCELED');
      assert.equal(await status('globex'), 'PENDING');
      const acmeLogs = ok(await asKey('acme', 'GET', '/sms/3/logs' + bulk(SCHED_BULK))).results as any[];
      assert.deepEqual(acmeLogs.map((e) => [e.status.id, e.error.id]), [[31, 4100], [31, 4100], [31, 4100]]);
      const globexLogs = ok(await asKey('globex', 'GET', '/sms/1/logs' + bulk(SCHED_BULK))).results as any[];
      assert.equal(globexLogs.length, 3);
      for (const e of globexLogs) assert.deepEqual(e.status, PENDING_ACCEPTED, `globex ${e.messageId}`);
      // acme's canceled bulk is final for acme; globex's can still be paused.
      assert.equal((await asKey('acme', 'PUT', '/sms/1/bulks/status' + bulk(SCHED_BULK), { status: 'PROCESSING' })).status, 400);
      assert.equal(await status('globex'), 'PENDING');
    });

    it('at globex\'s sendAt: globex\'s bulk and both single-account bulks go out, acme\'s canceled one does not; no webhook mixes accounts', async () => {
      // Everything due now is submitted in one network pass and its reports batched in one pass,
      // so acme's only-1 and globex's reports (same URL, family, content type) meet in the outbox.
      clock.set(FIRE_AT);
      const expected = {
        acme: [...IMMEDIATE_PUSHES, `${ONLY_ID} DELIVERED_TO_HANDSET`].sort(),
        globex: [...IMMEDIATE_PUSHES, `${ONLY_ID} DELIVERED_TO_HANDSET`, ...SCHED_IDS.map((id) => `${id} DELIVERED_TO_HANDSET`)].sort(),
      };
      await receiver.waitFor(() => pushedCount('acme') >= expected.acme.length && pushedCount('globex') >= expected.globex.length, 10_000, 'the scheduled reports');
      const globexSched = await waitForFinal('globex', SCHED_IDS);
      for (const e of globexSched) {
        assert.equal(e.status.name, 'DELIVERED_TO_HANDSET');
        assert.equal(e.sentAt, fmt(FIRE_AT), 'sent at globex\'s own (unmoved) schedule');
      }
      await sleep(300);
      const pushed = pushedByTenant();
      assert.deepEqual(pushed.acme, expected.acme);
      assert.deepEqual(pushed.globex, expected.globex);

      assert.equal(await status('globex'), 'FINISHED');
      assert.equal(await status('acme'), 'CANCELED');
      for (const t of TENANTS) assert.equal(await status(t, ONLY_BULK[t]), 'FINISHED', t);
      const acmeSched = ok(await asKey('acme', 'GET', '/sms/3/logs' + bulk(SCHED_BULK))).results as any[];
      assert.deepEqual(acmeSched.map((e) => e.status.id), [31, 31, 31], 'acme\'s canceled messages stay canceled');
      // Everything scheduled was pushed, so no pull queue gained anything.
      for (const t of TENANTS) assert.deepEqual(ok(await asKey(t, 'GET', '/sms/3/reports')).results, [], t);
    });
  });

  describe('admin and key management', () => {
    const expectNotFound = (r: { status: number; body: any }, what: string) => {
      assert.equal(r.status, 404, `${what}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body, V3_NOT_FOUND, what);
    };

    it('an admin cannot GET or PUT the other account\'s API key by id (404, like an unknown id)', async () => {
      for (const t of TENANTS) {
        const other = OTHER[t];
        ok(await asAdmin(t, 'GET', `/settings/2/api-keys/${keys[t].id}`)); // control: its own key
        expectNotFound(await asAdmin(t, 'GET', `/settings/2/api-keys/${keys[other].id}`), `${t} GET ${other}'s key`);
        expectNotFound(await asAdmin(t, 'GET', '/settings/2/api-keys/0000000000000000000000000000FFFF'), `${t} GET unknown key`);
        expectNotFound(await asAdmin(t, 'PUT', `/settings/2/api-keys/${keys[other].id}`, { name: 'hijacked', enabled: false }), `${t} PUT ${other}'s key`);
      }
      for (const t of TENANTS) {
        const own = ok(await asAdmin(t, 'GET', `/settings/2/api-keys/${keys[t].id}`));
        assert.equal(own.name, `${t} key`);
        assert.equal(own.enabled, true);
        ok(await asKey(t, 'GET', '/sms/1/logs' + qs({ limit: 1 }))); // still works
      }
    });

    it('the key list shows the caller\'s keys only, and ?accountId=<other> is empty', async () => {
      for (const t of TENANTS) {
        const list = ok(await asAdmin(t, 'GET', '/settings/2/api-keys'));
        assert.deepEqual(list.apiKeys.map((k: any) => [k.id, k.accountId]), [[keys[t].id, t]], t);
        assert.equal(list.paging.totalCount, 1);
        const theirs = ok(await asAdmin(t, 'GET', '/settings/2/api-keys' + qs({ accountId: OTHER[t] })));
        assert.deepEqual(theirs.apiKeys, [], `${t} listing ${OTHER[t]}'s keys`);
        assert.equal(theirs.paging.totalCount, 0);
        const bySecret = ok(await asAdmin(t, 'GET', '/settings/2/api-keys' + qs({ apiKeySecret: keys[OTHER[t]].secret })));
        assert.deepEqual(bySecret.apiKeys, [], `${t} looking up ${OTHER[t]}'s secret`);
      }
      // Control: the filter itself works for the operator, so the empty answers above are isolation.
      const operatorView = ok(await asOperator('GET', '/settings/2/api-keys' + qs({ accountId: 'globex' })));
      assert.deepEqual(operatorView.apiKeys.map((k: any) => k.id), [keys.globex.id]);
    });

    it('an admin cannot create a key in the other account (answered as for an unknown account)', async () => {
      const theirs = await asAdmin('acme', 'POST', '/settings/2/api-keys', { name: 'planted', accountId: 'globex' });
      const unknown = await asAdmin('acme', 'POST', '/settings/2/api-keys', { name: 'planted', accountId: 'no-such-account' });
      assert.equal(theirs.status, 400, JSON.stringify(theirs.body));
      assert.deepEqual(v3ErrorProperties(theirs.body), ['accountId']);
      assert.deepEqual(theirs.body, unknown.body);
      // Nor move its own key there.
      const moved = await asAdmin('acme', 'PUT', `/settings/2/api-keys/${keys.acme.id}`, { accountId: 'globex' });
      assert.equal(moved.status, 400, JSON.stringify(moved.body));
      assert.deepEqual(v3ErrorProperties(moved.body), ['accountId']);
      const globexKeys = ok(await asOperator('GET', '/settings/2/api-keys' + qs({ accountId: 'globex' })));
      assert.deepEqual(globexKeys.apiKeys.map((k: any) => k.id), [keys.globex.id], 'nothing was planted in or moved to globex');
    });

    it('an admin cannot see, change or delete the other account\'s users (404)', async () => {
      for (const t of TENANTS) {
        const other = OTHER[t];
        assert.equal(ok(await asAdmin(t, 'GET', `/hookline/1/users/${admins[t].id}`)).username, admins[t].username); // control
        expectNotFound(await asAdmin(t, 'GET', `/hookline/1/users/${admins[other].id}`), `${t} GET ${other}'s user`);
        expectNotFound(await asAdmin(t, 'PUT', `/hookline/1/users/${admins[other].id}`, { enabled: false }), `${t} PUT ${other}'s user`);
        expectNotFound(await asAdmin(t, 'DELETE', `/hookline/1/users/${admins[other].id}`), `${t} DELETE ${other}'s user`);
        const list = ok(await asAdmin(t, 'GET', '/hookline/1/users'));
        assert.deepEqual(list.results.map((u: any) => [u.username, u.accountId]), [[admins[t].username, t]]);
        expectNotFound(await asAdmin(t, 'GET', '/hookline/1/users' + qs({ accountId: other })), `${t} listing ${other}'s users`);
      }
      // Both admins are still there, enabled, and can sign in.
      for (const t of TENANTS) assert.equal(ok(await asAdmin(t, 'GET', `/hookline/1/users/${admins[t].id}`)).enabled, true);
    });

    it('an admin cannot create users in the other account (404), nor borrow its custom role', async () => {
      const planted = await asAdmin('acme', 'POST', '/hookline/1/users', { username: 'planted-user', password: 'planted-password', roles: ['REPORTING'], accountId: 'globex' });
      expectNotFound(planted, 'acme creating a user in globex');
      const borrowed = await asAdmin('acme', 'POST', '/hookline/1/users', { username: 'borrower', password: 'borrower-password', roles: [customRoles.globex] });
      assert.equal(borrowed.status, 400, JSON.stringify(borrowed.body));
      assert.deepEqual(v3ErrorProperties(borrowed.body), ['roles']);
      const globexUsers = ok(await asOperator('GET', '/hookline/1/users' + qs({ accountId: 'globex' })));
      assert.deepEqual(globexUsers.results.map((u: any) => u.username), [admins.globex.username]);
      const acmeUsers = ok(await asOperator('GET', '/hookline/1/users' + qs({ accountId: 'acme' })));
      assert.deepEqual(acmeUsers.results.map((u: any) => u.username), [admins.acme.username]);
    });

    it('an admin cannot see, change or delete the other account\'s custom roles (404)', async () => {
      for (const t of TENANTS) {
        const other = OTHER[t];
        assert.equal(ok(await asAdmin(t, 'GET', `/hookline/1/roles/${customRoles[t]}`)).accountId, t); // control
        expectNotFound(await asAdmin(t, 'GET', `/hookline/1/roles/${customRoles[other]}`), `${t} GET ${other}'s role`);
        expectNotFound(await asAdmin(t, 'PUT', `/hookline/1/roles/${customRoles[other]}`, { name: 'hijacked' }), `${t} PUT ${other}'s role`);
        expectNotFound(await asAdmin(t, 'DELETE', `/hookline/1/roles/${customRoles[other]}`), `${t} DELETE ${other}'s role`);
        const list = ok(await asAdmin(t, 'GET', '/hookline/1/roles'));
        const custom = list.results.filter((r: any) => !r.builtIn);
        assert.deepEqual(custom.map((r: any) => [r.id, r.accountId]), [[customRoles[t], t]], t);
        expectNotFound(await asAdmin(t, 'GET', '/hookline/1/roles' + qs({ accountId: other })), `${t} listing ${other}'s roles`);
        expectNotFound(await asAdmin(t, 'POST', '/hookline/1/roles', { name: 'planted', scopes: ['sms:manage'], accountId: other }), `${t} creating a role in ${other}`);
      }
      for (const t of TENANTS) {
        assert.equal(ok(await asAdmin(t, 'GET', `/hookline/1/roles/${customRoles[t]}`)).name, `${t} senders`);
        const custom = ok(await asOperator('GET', '/hookline/1/roles' + qs({ accountId: t }))).results.filter((r: any) => !r.builtIn);
        assert.deepEqual(custom.map((r: any) => r.id), [customRoles[t]], `nothing planted in ${t}`);
      }
    });

    it('an admin sees only its own account and cannot read, rename, delete or create accounts', async () => {
      for (const t of TENANTS) {
        const other = OTHER[t];
        const list = ok(await asAdmin(t, 'GET', '/hookline/1/accounts'));
        assert.deepEqual(list.results.map((a: any) => a.id), [t]);
        assert.equal(list.paging.totalResults, 1);
        assert.equal(ok(await asAdmin(t, 'GET', `/hookline/1/accounts/${t}`)).id, t); // control
        for (const id of [other, 'default']) {
          expectNotFound(await asAdmin(t, 'GET', `/hookline/1/accounts/${id}`), `${t} GET account ${id}`);
          expectNotFound(await asAdmin(t, 'PUT', `/hookline/1/accounts/${id}`, { name: 'Hijacked' }), `${t} PUT account ${id}`);
          expectNotFound(await asAdmin(t, 'DELETE', `/hookline/1/accounts/${id}`), `${t} DELETE account ${id}`);
        }
        assert.equal((await asAdmin(t, 'POST', '/hookline/1/accounts', { id: `${t}-spawn`, name: 'spawn' })).status, 403);
      }
      const all = ok(await asOperator('GET', '/hookline/1/accounts'));
      assert.deepEqual(all.results.map((a: any) => [a.id, a.name]).sort(), [['acme', 'ACME'], ['default', 'Default account'], ['globex', 'GLOBEX']]);
    });
  });
});

/**
 * An account id can be deleted and created again (by the operator, e.g. for a new customer).
 * The new tenant must not inherit anything of the old one: here a scheduled bulk whose messages
 * the retention sweeper has removed, so that the account could be deleted at all.
 */
describe('tenant isolation: a re-created account id inherits nothing', () => {
  let g: TestGateway;
  const clock = new ManualClock(T0);
  const BULK = 'reused-bulk';
  const first = { username: 'reused-first', password: 'first-password-123' };
  const second = { username: 'reused-second', password: 'second-password-123' };
  const asOperator = (method: string, path: string, body?: unknown) => g.api(method, path, body, basic(TEST_ADMIN));

  before(async () => {
    g = await startGateway({ THROTTLES: 'off', SIMULATOR_DELAY_MS: '0', RETENTION_HOURS: '1' }, { clock });
  });
  after(async () => {
    await g?.close();
  });

  it('a bulk of the deleted account is not visible to the account re-created with its id', async () => {
    assert.equal((await asOperator('POST', '/hookline/1/accounts', { id: 'reused', name: 'First owner' })).status, 201);
    const user = await asOperator('POST', '/hookline/1/users', { ...first, roles: ['ACCOUNT_ADMIN'], accountId: 'reused' });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    // The first owner schedules a bulk and cancels it (canceled messages are history the sweeper removes).
    const sent = await g.api('POST', '/sms/3/messages', { messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'x' } }], options: { schedule: { bulkId: BULK, sendAt: fmt(T0 + HOUR) } } }, basic(first));
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal((await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId: BULK }), { status: 'CANCELED' }, basic(first))).status, 200);

    clock.advance(2 * HOUR); // past RETENTION_HOURS=1
    const db = g.hookline.store.db;
    await waitUntil(async () => (await db.selectFrom('messages').select('pk').where('account_id', '=', 'reused').execute()).length === 0, 'the sweep of the first owner\'s messages');
    assert.equal((await asOperator('DELETE', `/hookline/1/users/${user.body.id}`)).status, 200);
    const deleted = await asOperator('DELETE', '/hookline/1/accounts/reused');
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));

    // A new customer gets the same account id.
    assert.equal((await asOperator('POST', '/hookline/1/accounts', { id: 'reused', name: 'Second owner' })).status, 201);
    assert.equal((await asOperator('POST', '/hookline/1/users', { ...second, roles: ['ACCOUNT_ADMIN'], accountId: 'reused' })).status, 201);
    for (const path of ['/sms/1/bulks', '/sms/1/bulks/status']) {
      const r = await g.api('GET', path + qs({ bulkId: BULK }), undefined, basic(second));
      assert.equal(r.status, 404, `${path}: the new owner sees the old owner's bulk: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body, NOT_FOUND_BULK);
    }
  });
});

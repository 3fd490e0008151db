/**
 * Subscriptions are read through a per-process cache; a change made through one process must
 * reach the others at once (NOTIFY on PostgreSQL). Here the API process changes subscriptions
 * while a separate worker process routes the reports: the worker must route on the new state
 * right away, both after a subscription is created and after it is deleted.
 * PostgreSQL only: SQLite is one process's database.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { scratchDatabases, TEST_BACKEND } from '../helpers/database.ts';
import { freePort, killAllGatewayProcesses, spawnGateway } from '../helpers/gateway-process.ts';
import { Receiver } from '../helpers/receiver.ts';
import { uniq, waitUntil } from '../http/support.ts';

const API_KEY = 'invalidation-key-0123456789abcdef';
const skip = TEST_BACKEND !== 'postgres' ? 'needs PostgreSQL (HOOKLINE_TEST_DB=postgres): API and worker roles share one database across processes' : false;

const scratch = scratchDatabases('hookline-invalidation');
let receiver: Receiver | null = null;
after(async () => {
  await killAllGatewayProcesses();
  await receiver?.close();
  await scratch.removeAll();
});

describe('subscription changes reach other processes', { skip, timeout: 60_000 }, () => {
  test('a worker that cached "no subscriptions" routes to a new subscription at once, and stops after it is deleted', async () => {
    const database = await scratch.newDatabase();
    receiver = await Receiver.start();
    const env = { API_KEY, DATABASE_URL: database.url, LOG_LEVEL: 'info', SIMULATOR_DELAY_MS: '0', THROTTLES: 'off' };
    const api = await spawnGateway({ ...env, PORT: String(await freePort()) }, { args: ['--role', 'api'] });
    await spawnGateway({ ...env }, { args: ['--role', 'worker'] });

    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(api.baseUrl + path, {
        method,
        headers: { authorization: `App ${API_KEY}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      assert.ok(response.ok, `${method} ${path} → ${response.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
    const send = async () => {
      const messageId = uniq('m');
      await call('POST', '/sms/3/messages', { messages: [{ sender: 'Shop', destinations: [{ to: '41793026727', messageId }], content: { text: 'hi' } }] });
      return messageId;
    };
    const pulled = (id: string) =>
      waitUntil(async () => ((await call('GET', `/sms/3/reports?messageId=${id}`)).results.length > 0 ? true : null), `${id} in the pull queue`);

    // 1. No subscription yet: the worker loads (and caches) the account's empty subscription list.
    await pulled(await send());

    // 2. Subscribe through the API process; the worker must route the very next report there.
    await call('POST', '/subscriptions/1/profiles', { profileId: 'p1', webhook: { notifyUrl: receiver.url } });
    await call('POST', '/subscriptions/1/subscription/SMS', { subscriptionId: 's1', events: ['DELIVERY'], profile: { profileId: 'p1' } });
    const pushed = await send();
    await receiver.waitFor(() => receiver!.results().some((r) => r.messageId === pushed), 10_000, 'the report pushed through the new subscription');

    // 3. Unsubscribe: the next report is pulled again, not pushed.
    await call('DELETE', '/subscriptions/1/subscription/SMS/s1');
    const after = await send();
    await pulled(after);
    assert.ok(!receiver.results().some((r) => r.messageId === after), 'not pushed after the subscription was deleted');
  });
});

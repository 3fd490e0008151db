/**
 * Target health is shared by every worker process (PostgreSQL, real processes: one API and two
 * workers): with the breaker open, one probe at a time goes to the target — always the same
 * delivery, on its own schedule — whichever worker sends it; a 410 seen by one worker disables the
 * target for all of them.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { scratchDatabases, TEST_BACKEND } from '../helpers/database.ts';
import { freePort, killAllGatewayProcesses, spawnGateway } from '../helpers/gateway-process.ts';
import { receiverPool } from '../helpers/receiver.ts';
import { openStore } from '../../src/store/database.ts';

const API_KEY = 'shared-health-key-0123456789abcdef';
const MINUTE_MS = 400;
const THRESHOLD = 3;
const MESSAGES = 6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const receivers = receiverPool();
const databases = scratchDatabases('hookline-health');
after(async () => {
  await killAllGatewayProcesses();
  await receivers.closeAll();
  await databases.removeAll();
});

describe('target health across worker processes', { skip: TEST_BACKEND !== 'postgres' && 'PostgreSQL only: several processes share one database' }, () => {
  test('breaker: one probe at a time on its schedule across two workers; a 410 disables the target for both', async () => {
    const database = await databases.newDatabase();
    const env = {
      DATABASE_URL: database.url,
      API_KEY,
      RETRY_MINUTE_MS: String(MINUTE_MS),
      WEBHOOK_BREAKER_THRESHOLD: String(THRESHOLD),
      WEBHOOK_BUCKET_SIZE: '1',
      SIMULATOR_DELAY_MS: '0',
      LOG_LEVEL: 'info',
    };
    const api = await spawnGateway({ ...env, PORT: String(await freePort()) }, { args: ['--role', 'api'] });
    const metricsPorts = [await freePort(), await freePort()];
    await Promise.all(metricsPorts.map(async (port) => spawnGateway({ ...env, METRICS_PORT: String(port) }, { args: ['--role', 'worker'] })));
    const rx = await receivers.start();
    rx.respond = () => ({ status: 500 });
    const send = async (count: number) => {
      const res = await fetch(`${api.baseUrl}/sms/3/messages`, {
        method: 'POST',
        headers: { authorization: `App ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messages: Array.from({ length: count }, (_, i) => ({ destinations: [{ to: `4179300${String(i).padStart(4, '0')}` }], content: { text: 'x' }, webhooks: { delivery: { url: rx.url } } })) }),
      });
      assert.equal(res.status, 200);
    };

    await send(MESSAGES);
    await rx.waitForRequests(MESSAGES, 20_000);
    // Three more attempts after the first wave: with the breaker open they must all be the probe.
    await rx.waitForRequests(MESSAGES + 3, 20_000);
    const probes = rx.requests.slice(MESSAGES);
    const probeId = probes[0].headers['webhook-id'];
    assert.ok(probes.every((r) => r.headers['webhook-id'] === probeId), `only the probe went: ${probes.map((r) => r.headers['webhook-id']).join(', ')}`);
    // Its schedule: 1, then 2, then 5 minutes after each failed attempt (a little slack for timers).
    const firstWave = rx.requests.find((r) => r.headers['webhook-id'] === probeId)!.at;
    const times = [firstWave, ...probes.map((r) => r.at)];
    for (const [i, minutes] of [1, 2, 5].slice(0, times.length - 1).entries()) {
      assert.ok(times[i + 1] - times[i] >= minutes * MINUTE_MS - 50, `probe ${i + 1} waited its ${minutes} minute(s): ${times[i + 1] - times[i]} ms`);
    }

    // The receiver recovers: the probe closes the breaker and everything drains.
    let answered200 = 0;
    rx.respond = () => {
      answered200++;
      return { status: 200 };
    };
    const store = await openStore(database.url);
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const states = await store.db.selectFrom('deliveries').select('state').where('target_url', '=', rx.url).execute();
        if (states.length === MESSAGES && states.every((s) => s.state === 'DELIVERED')) break;
        assert.ok(Date.now() < deadline, `not all delivered: ${JSON.stringify(states)}`);
        await sleep(50);
      }
      const attempts = await store.db.selectFrom('deliveries').select(['id', 'attempts']).where('target_url', '=', rx.url).execute();
      for (const d of attempts.filter((a) => a.id !== probeId)) assert.equal(d.attempts, 2, 'non-probe deliveries spent no attempt while the breaker was open');

      // A 410 seen by one worker: no worker sends to the target again.
      rx.respond = () => ({ status: 410 });
      const before = rx.requests.length;
      await send(1);
      await rx.waitForRequests(before + 1, 20_000);
      // The receiver answers before the worker commits what the 410 means: wait for that first.
      const disabledBy = Date.now() + 20_000;
      while (!(await store.db.selectFrom('target_health').select('disabled_at').where('target', '=', rx.url).executeTakeFirst())?.disabled_at) {
        assert.ok(Date.now() < disabledBy, 'the 410 was never recorded');
        await sleep(20);
      }
      await send(4);
      const dropDeadline = Date.now() + 20_000;
      for (;;) {
        const rows = await store.db.selectFrom('deliveries').select(['state', 'drop_reason']).where('target_url', '=', rx.url).where('state', '!=', 'DELIVERED').execute();
        if (rows.length === 5 && rows.every((r) => r.state === 'DROPPED' && r.drop_reason === 'TARGET_GONE')) break;
        assert.ok(Date.now() < dropDeadline, `not dropped: ${JSON.stringify(rows)}`);
        await sleep(50);
      }
      assert.equal(rx.requests.length, before + 1, 'one request got the 410; none after it from either worker');

      // Each worker serves its own metrics on METRICS_PORT; summed, they match what the receiver saw.
      const sums = { all: 0, delivered: 0 };
      for (const port of metricsPorts) {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        for (const line of text.split('\n').filter((l) => l.startsWith('hookline_webhook_attempts_total{'))) {
          const value = Number(line.slice(line.lastIndexOf(' ') + 1));
          sums.all += value;
          if (line.includes('outcome="delivered"')) sums.delivered += value;
        }
      }
      assert.deepEqual(sums, { all: rx.requests.length, delivered: answered200 });
    } finally {
      await store.close();
    }
  });
});

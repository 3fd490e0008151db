/**
 * API key bootstrap, through the real process entry (src/main.ts) as an operator runs it:
 * on an empty database without API_KEY the gateway generates a key and prints it once on
 * stdout; on restart nothing is printed and the key still works. With API_KEY set, that key
 * works and restarting with it again is idempotent.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { scratchDatabases, type TestDatabase } from '../helpers/database.ts';
import { freePort, killAllGatewayProcesses, spawnGateway, stopGateway, type GatewayProcess } from '../helpers/gateway-process.ts';

const KEY_LINE = /^Hookline API key: (.*)$/gm;
/** generateSecret(): 32 hex chars, a dash, a UUID. */
const GENERATED_SECRET = /^[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const scratch = scratchDatabases('hookline-apikey');
after(async () => {
  await killAllGatewayProcesses();
  await scratch.removeAll();
});
/** A new, empty database (on the backend HOOKLINE_TEST_DB names); its url is reused by every restart of one scenario. */
const newDatabase = scratch.newDatabase;

async function start(database: TestDatabase, apiKey?: string): Promise<GatewayProcess> {
  const env: Record<string, string> = { PORT: String(await freePort()), DATABASE_URL: database.url, LOG_LEVEL: 'warn', SIMULATOR_DELAY_MS: '0' };
  if (apiKey !== undefined) env.API_KEY = apiKey;
  return spawnGateway(env);
}

async function stop(gateway: GatewayProcess): Promise<void> {
  const exit = await stopGateway(gateway, 'SIGTERM');
  assert.equal(exit.timedOut, false, 'gateway did not exit after SIGTERM');
  assert.equal(exit.code, 0, `gateway exited with ${JSON.stringify(exit)}; stderr:\n${gateway.stderr()}`);
}

function printedKeys(gateway: GatewayProcess): string[] {
  return [...gateway.stdout().matchAll(KEY_LINE)].map((m) => m[1]);
}

let sequence = 0;
/** POST /sms/3/messages with `App <key>`; returns the HTTP status. */
async function send(gateway: GatewayProcess, key: string): Promise<number> {
  const response = await fetch(`${gateway.baseUrl}/sms/3/messages`, {
    method: 'POST',
    headers: { authorization: `App ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ destinations: [{ to: '41793026727', messageId: `apikey-${process.pid}-${++sequence}` }], content: { text: 'hello' } }] }),
  });
  const body = await response.text();
  if (response.status === 200) {
    const parsed = JSON.parse(body);
    assert.equal(parsed.messages[0].status.groupName, 'PENDING', body);
  }
  return response.status;
}

describe('API key bootstrap (child process)', { timeout: 180_000 }, () => {
  test('without API_KEY: one key is generated, printed once, and survives a restart', async () => {
    const db = await newDatabase();
    const first = await start(db);
    const keys = printedKeys(first);
    assert.equal(keys.length, 1, `expected exactly one key line on stdout, got:\n${first.stdout()}`);
    const [key] = keys;
    assert.match(key, GENERATED_SECRET);
    // The key line is a line of its own, exactly `Hookline API key: <secret>`.
    assert.ok(first.stdout().split('\n').includes(`Hookline API key: ${key}`), first.stdout());
    assert.ok(!first.stderr().includes(key), 'the key must only be printed once, on stdout');

    assert.equal(await send(first, key), 200, 'the generated key works');
    assert.equal(await send(first, `${key}x`), 401, 'a different key does not');
    await stop(first);

    const second = await start(db);
    assert.deepEqual(printedKeys(second), [], `no key is printed on restart, got:\n${second.stdout()}`);
    assert.ok(!second.stdout().includes(key) && !second.stderr().includes(key), 'the old key is not printed again');
    assert.equal(await send(second, key), 200, 'the old key still works after restart');
    await stop(second);

    // Adding API_KEY later, on a database that already has the generated key: both work, nothing printed.
    const third = await start(db, 'later-configured-key-0123456789abcdef');
    assert.deepEqual(printedKeys(third), []);
    assert.equal(await send(third, key), 200);
    assert.equal(await send(third, 'later-configured-key-0123456789abcdef'), 200);
    await stop(third);
    await db.drop();
  });

  test('with API_KEY: that key works, none is generated, and restarting with it is idempotent', async () => {
    const db = await newDatabase();
    const apiKey = 'abc0123456789abcdef0123456789abcdef-configured';
    const first = await start(db, apiKey);
    assert.deepEqual(printedKeys(first), [], `no key is generated when API_KEY is set, got:\n${first.stdout()}`);
    assert.equal(await send(first, apiKey), 200);
    assert.equal(await send(first, 'abc-wrong'), 401);
    await stop(first);

    // Same API_KEY again on the same database: no duplicate-key error, the process starts.
    const second = await start(db, apiKey);
    assert.deepEqual(printedKeys(second), []);
    assert.equal(await send(second, apiKey), 200);
    assert.ok(!/duplicate|unique|constraint/i.test(second.stderr() + second.stdout()), second.stderr());
    await stop(second);

    // And without API_KEY on that database: a key exists, so none is generated or printed.
    const third = await start(db);
    assert.deepEqual(printedKeys(third), [], third.stdout());
    assert.equal(await send(third, apiKey), 200, 'the configured key was stored and still works without API_KEY');
    await stop(third);
    await db.drop();
  });
});

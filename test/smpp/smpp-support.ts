/**
 * Shared set-up of the SMPP tests (not a test file): an SMSC simulator on loopback, a gateway
 * whose SMPP_CONFIG_FILE points every destination at it, and helpers to send SMS and read what
 * the SMSC saw and the webhooks received.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.ts';
import type { SmppConnectionStatus } from '../../src/network/smpp/smpp-config.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startGateway, tempDir, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { SmscSimulator, type SmscOptions } from '../helpers/smsc-simulator.ts';
import { uniq } from '../http/support.ts';

export const SYSTEM_ID = 'hookline';
export const PASSWORD = 'secret1';

export interface SmppSetup {
  smsc: SmscSimulator;
  g: TestGateway;
  close(): Promise<void>;
}

/** Fast reconnects and keep-alives, so the tests of their behaviour take seconds. */
const TEST_CONNECTION = { enquireLinkMs: 1_000, reconnect: { minMs: 100, maxMs: 400 }, throttleBackoff: { minMs: 20, maxMs: 200 }, responseTimeoutMs: 2_000 };

export async function startSmpp(
  options: { smsc?: Partial<SmscOptions>; connection?: Record<string, unknown>; routes?: Array<{ prefix: string; target: string }>; env?: Record<string, string>; clock?: Clock } = {},
): Promise<SmppSetup> {
  const smsc = new SmscSimulator({ credentials: { systemId: SYSTEM_ID, password: PASSWORD }, ...options.smsc });
  const port = await smsc.start();
  const dir = tempDir();
  const file = join(dir, 'smpp.json');
  const connection: Record<string, unknown> = { name: 'smsc', host: '127.0.0.1', port, systemId: SYSTEM_ID, password: PASSWORD, ...TEST_CONNECTION, ...options.connection };
  writeFileSync(file, JSON.stringify({ connections: [connection], routes: options.routes ?? [{ prefix: '', target: 'smsc' }] }));
  const g = await startGateway({ SMPP_CONFIG_FILE: file, ...options.env }, { dir, clock: options.clock });
  const binds = Number(connection.binds ?? 1) * (connection.bindMode === 'transmitter+receiver' ? 2 : 1);
  await smsc.waitFor(() => smsc.boundSessions().length >= binds, 5_000);
  return {
    smsc,
    g,
    async close() {
      await g.close();
      await smsc.stop();
    },
  };
}

export interface SentSms {
  messageId: string;
  to: string;
}

/** POST /sms/3/messages, one destination, the delivery report pushed to `url`. */
export async function sendSms(
  g: TestGateway,
  url: string,
  to: string,
  options: { text?: string; sender?: string; intermediate?: boolean; validitySeconds?: number } = {},
): Promise<SentSms> {
  const messageId = uniq('smpp');
  const message: Record<string, unknown> = {
    destinations: [{ to, messageId }],
    content: { text: options.text ?? 'Hello over SMPP' },
    webhooks: { delivery: { url, ...(options.intermediate === undefined ? {} : { intermediateReport: options.intermediate }) } },
  };
  if (options.sender !== undefined) message.sender = options.sender;
  if (options.validitySeconds !== undefined) message.options = { validityPeriod: { amount: options.validitySeconds, timeUnit: 'SECONDS' } };
  const res = await g.api('POST', '/sms/3/messages', { messages: [message] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { messageId, to };
}

/** The report items a receiver got for one message, once there are `count` of them. */
export async function reportsOf(rx: Receiver, messageId: string, count: number, timeoutMs = 10_000): Promise<Array<Record<string, any>>> {
  const mine = () => rx.results().filter((r) => r.messageId === messageId);
  await rx.waitFor(() => mine().length >= count, timeoutMs, `${count} reports of ${messageId}`);
  return mine();
}

export const statusOf = (item: Record<string, any>): [string, string] => [item.status?.name, item.error?.name];

/** A destination in the test range ending with the SMSC simulator's outcome digits. */
export const ending = (digits: string): string => `4179${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}${digits}`;

// Restarts on one database, the admin API as the operator, messages in batches.

/** The operator (Basic), for /hookline/1/smpp/… and the other operator-only routes. */
export const OPERATOR = { authorization: `Basic ${Buffer.from(`${TEST_ADMIN.username}:${TEST_ADMIN.password}`).toString('base64')}` };

/** GET /hookline/1/smpp/status as the operator: the named connection's live status. */
export async function smppStatus(g: TestGateway, name = 'smsc'): Promise<SmppConnectionStatus> {
  const res = await g.api('GET', '/hookline/1/smpp/status', undefined, OPERATOR);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const found = (res.body.connections as SmppConnectionStatus[]).find((c) => c.name === name);
  assert.ok(found, `no status for ${name}: ${JSON.stringify(res.body)}`);
  return found;
}

let destinationCounter = Math.floor(Math.random() * 5_000);
/** Like `ending`, but never the same destination twice in a run (the SMSC's submits are counted per destination). */
export const uniqueTo = (digits: string, prefix = '4179'): string => `${prefix}${String(destinationCounter++ % 10_000).padStart(4, '0')}${digits}`;

/** One POST /sms/3/messages with one message to every destination, reports pushed to `url`. */
export async function sendMany(g: TestGateway, url: string, tos: string[], options: { text?: string; validitySeconds?: number } = {}): Promise<SentSms[]> {
  const sent = tos.map((to) => ({ to, messageId: uniq('smpp') }));
  const message: Record<string, unknown> = { destinations: sent, content: { text: options.text ?? 'Hello over SMPP' }, webhooks: { delivery: { url } } };
  if (options.validitySeconds !== undefined) message.options = { validityPeriod: { amount: options.validitySeconds, timeUnit: 'SECONDS' } };
  const res = await g.api('POST', '/sms/3/messages', { messages: [message] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return sent;
}

/** A database (and temp dir) that outlives the gateways started on it: for stop-and-restart tests. */
export async function keptDatabase(): Promise<TestDatabase & { dir: string }> {
  const dir = tempDir();
  return { dir, ...(await createTestDatabase(dir)) };
}

/**
 * A gateway for an SMSC simulator already running, on `database` (not dropped when the gateway
 * closes). Waits for the binds unless `waitForBinds` is false (a bind that is meant to fail).
 */
export async function startSmppGateway(
  smsc: SmscSimulator,
  database: TestDatabase & { dir: string },
  options: { connection?: Record<string, unknown>; routes?: Array<{ prefix: string; target: string }>; env?: Record<string, string>; clock?: Clock; waitForBinds?: boolean } = {},
): Promise<TestGateway> {
  const file = join(database.dir, 'smpp.json');
  const connection: Record<string, unknown> = { name: 'smsc', host: '127.0.0.1', port: smsc.port, systemId: SYSTEM_ID, password: PASSWORD, ...TEST_CONNECTION, ...options.connection };
  writeFileSync(file, JSON.stringify({ connections: [connection], routes: options.routes ?? [{ prefix: '', target: 'smsc' }] }));
  const before = smsc.boundSessions().length;
  const g = await startGateway({ SMPP_CONFIG_FILE: file, DATABASE_URL: database.url, ...options.env }, { dir: database.dir, clock: options.clock });
  if (options.waitForBinds !== false) {
    const binds = Number(connection.binds ?? 1) * (connection.bindMode === 'transmitter+receiver' ? 2 : 1);
    await smsc.waitFor(() => smsc.boundSessions().length >= before + binds, 5_000);
  }
  return g;
}

/** One connection of startSmppMany: its own SMSC simulator, and the destinations routed to it. */
export interface SmppScenario {
  prefix: string;
  connection?: Record<string, unknown>;
  smsc?: Partial<SmscOptions>;
  /** false: do not wait for its binds (a bind meant to fail). */
  waitForBinds?: boolean;
  /** Called with its simulator before the gateway starts (to watch it from the first bind). */
  prepare?: (smsc: SmscSimulator) => void;
}

/**
 * One gateway with a connection per scenario, each to an SMSC simulator of its own (so one can
 * misbehave without touching the others), `prefix` → connection routes plus `routes`. Cheaper than
 * a gateway per scenario (on PostgreSQL each gateway creates a database).
 */
export async function startSmppMany<K extends string>(
  scenarios: Record<K, SmppScenario>,
  options: { routes?: Array<{ prefix: string; target: string }>; env?: Record<string, string> } = {},
): Promise<{ g: TestGateway; smsc: Record<K, SmscSimulator>; close(): Promise<void> }> {
  const entries = Object.entries(scenarios) as Array<[K, SmppScenario]>;
  const smsc = {} as Record<K, SmscSimulator>;
  const connections: Array<Record<string, unknown>> = [];
  for (const [name, scenario] of entries) {
    smsc[name] = new SmscSimulator({ credentials: { systemId: SYSTEM_ID, password: PASSWORD }, ...scenario.smsc });
    scenario.prepare?.(smsc[name]);
    const port = await smsc[name].start();
    connections.push({ name, host: '127.0.0.1', port, systemId: SYSTEM_ID, password: PASSWORD, ...TEST_CONNECTION, ...scenario.connection });
  }
  const dir = tempDir();
  const file = join(dir, 'smpp.json');
  const routes = [...entries.map(([name, scenario]) => ({ prefix: scenario.prefix, target: name })), ...(options.routes ?? [])];
  writeFileSync(file, JSON.stringify({ connections, routes }));
  const g = await startGateway({ SMPP_CONFIG_FILE: file, ...options.env }, { dir });
  const close = async () => {
    await g.close();
    for (const simulator of Object.values<SmscSimulator>(smsc)) await simulator.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const [i, [name, scenario]] of entries.entries()) {
      if (scenario.waitForBinds === false) continue;
      const c = connections[i]!;
      const binds = Number(c.binds ?? 1) * (c.bindMode === 'transmitter+receiver' ? 2 : 1);
      await smsc[name].waitFor(() => smsc[name].boundSessions().length >= binds, 5_000);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { g, smsc, close };
}

/**
 * Starts a real Hookline (real HTTP server, real SQLite file in a temp dir) for a test, with a
 * known API key, and tears it down afterwards. Config goes through loadConfig like production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pino from 'pino';
import { createHookline, type Hookline } from '../../src/app.ts';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createTestDatabase } from './database.ts';
import { receiverPool } from './receiver.ts';

export const TEST_API_KEY = 'test-key-0123456789abcdef';
/** The default account's first admin (ADMIN_USERNAME / ADMIN_PASSWORD). */
export const TEST_ADMIN = { username: 'admin', password: 'test-admin-password' };

export interface TestGateway {
  hookline: Hookline;
  baseUrl: string;
  dir: string;
  /** fetch against the gateway with the test key (JSON in, parsed JSON out). */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'hookline-test-'));
}

/**
 * Tests knock with wrong keys from one address far more often than a brute-force limit allows,
 * so AUTH_FAILURE_LIMIT is raised here; the brute-force tests set their own.
 */
export async function startGateway(env: Record<string, string> = {}, options: { clock?: Clock; dir?: string } = {}): Promise<TestGateway> {
  const dir = options.dir ?? tempDir();
  const database = env.DATABASE_URL ? null : await createTestDatabase(dir);
  const config = loadConfig({ PORT: '0', API_KEY: TEST_API_KEY, ADMIN_USERNAME: TEST_ADMIN.username, ADMIN_PASSWORD: TEST_ADMIN.password, AUTH_FAILURE_LIMIT: '100000', DATABASE_URL: database?.url ?? '', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', SIMULATOR_DELAY_MS: '0', SIMULATOR_SEEN_DELAY_MS: '0', ...env });
  const hookline = await createHookline(config, { clock: options.clock, logger: pino({ level: config.logLevel }) });
  const baseUrl = await hookline.start();
  return {
    hookline,
    baseUrl,
    dir,
    async api(method, path, body, headers = {}) {
      const response = await fetch(baseUrl + path, {
        method,
        headers: { authorization: `App ${TEST_API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON: keep the text */
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      await hookline.stop();
      await database?.drop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For the enclosing test file or describe block: a gateway started before its tests (`suite.g`
 * once they run) and a pool of receivers, all closed after them.
 */
export function gatewayPerSuite(env: Record<string, string> = {}, options: { clock?: Clock } = {}): { g: TestGateway; receivers: ReturnType<typeof receiverPool> } {
  const suite = { g: undefined as unknown as TestGateway, receivers: receiverPool() };
  before(async () => {
    suite.g = await startGateway(env, options);
  });
  after(async () => {
    await suite.receivers.closeAll();
    await suite.g?.close();
  });
  return suite;
}

/**
 * (g) The authentication step beside the send API it guards, on one gateway in one run.
 *
 * Send rate: real POST /sms/3/messages with one destination per request and `App` auth, from
 * a few concurrent clients (a fixed number of requests, cut short on a loaded machine), measured
 * before and after the auth loops (the machine is shared; the ratio uses the mean). Each run is followed by waiting for every report to reach the
 * receiver, so the auth loops run on an idle gateway.
 *
 * Auth step alone: an Authenticator built from the gateway's own parts over its database, the
 * way src/app.ts builds one (the gateway's instance is not exposed), with the system clock, so
 * its one-second cache lapses and re-verifies during the loop as in production. Every call must
 * yield a principal. Re-verifications are counted with the gateway's statement counter: on
 * SQLite a verification never leaves the microtask queue, so nothing else runs during the loop.
 * The uncached cost is the same credential on a fresh Authenticator per call (cold cache, the
 * path an expiry takes); for Basic the first check in a process also runs scrypt, measured apart.
 */
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { Hookline } from '../src/app.ts';
import { ApiKeys } from '../src/auth/api-keys.ts';
import { Authenticator } from '../src/auth/authenticator.ts';
import { LoginGuard } from '../src/auth/login-guard.ts';
import { OAuthTokens } from '../src/auth/oauth-tokens.ts';
import { Sessions } from '../src/auth/sessions.ts';
import { ThrottleCounters } from '../src/auth/throttle-counters.ts';
import { Users } from '../src/auth/users.ts';
import { systemClock } from '../src/clock.ts';
import { queryCount } from '../src/store/query-count.ts';
import { client, requestBody, type Client } from './e2e.ts';
import { API_KEY, createGateway, tempDir } from './fixtures.ts';
import { ReceiverProcess } from './receiver-client.ts';
import { fmt, textTable, type Row } from './report.ts';

const ADMIN = { username: 'bench-admin', password: 'bench-admin-password' };
const IP = '127.0.0.1';
/** Auth must cost under 5 % of a request. */
const TARGET_RATIO = 20;
const WARMUP_REQUESTS = 100;
/** Calls per deadline check in the cached loop (reading the clock every call would dominate it). */
const BATCH = 1_000;
const MAX_CACHED_CALLS = 50_000_000;
/** Bounds each send run on a loaded machine (about 2,000 requests fit on an idle one). */
const SEND_MAX_SECONDS = 8;
const KDF_CHECKS = 3;
const UNCACHED_WARMUP = 1_000;
const UNCACHED_BATCHES = 11;
const UNCACHED_BATCH = 500;

export interface SchemeResult {
  scheme: string;
  calls: number;
  seconds: number;
  perSecond: number;
  /** Verifications that missed the cache during the loop (statements seen / statements per verification). */
  reverifications: number;
  uncachedMicros: number;
  uncachedStatements: number;
  ratio: number;
}

export interface SendRun {
  requests: number;
  seconds: number;
  perSecond: number;
}

export interface AuthScenarioResult {
  requests: number;
  clients: number;
  send: { before: SendRun; after: SendRun; mean: number };
  schemes: SchemeResult[];
  /** Basic's first check in a process: scrypt, then the result is memoised. */
  basicFirstCheckMs: number;
}

type Stores = ConstructorParameters<typeof Authenticator>[0];

/** The gateway's Authenticator, built from its parts as src/app.ts does. */
function authenticatorParts(hookline: Hookline): { stores: Stores; guard: LoginGuard } {
  const { db } = hookline.store;
  const stores = { apiKeys: new ApiKeys(db), users: new Users(db), sessions: new Sessions(db), tokens: new OAuthTokens(db) };
  return { stores, guard: new LoginGuard(new ThrottleCounters(db), hookline.config.authFailureLimit, hookline.config.authFailureWindowMs) };
}

async function authenticate(auth: Authenticator, header: string): Promise<void> {
  const result = await auth.authenticate(header, IP);
  if (!('principal' in result)) throw new Error(`${header.split(' ')[0]} was refused: ${JSON.stringify(result)}`);
}

/** Steady state: one credential, as many calls as fit in `seconds`. */
async function cachedRate(auth: Authenticator, header: string, seconds: number): Promise<{ calls: number; seconds: number; statements: number }> {
  await authenticate(auth, header); // the first verification is not part of the steady state
  const statements = queryCount();
  const started = performance.now();
  const deadline = started + seconds * 1_000;
  let calls = 0;
  while (calls < MAX_CACHED_CALLS && performance.now() < deadline) {
    for (let i = 0; i < BATCH; i++) await authenticate(auth, header);
    calls += BATCH;
  }
  return { calls, seconds: (performance.now() - started) / 1_000, statements: queryCount() - statements };
}

/**
 * Cold cache on every call: what each credential costs once a second in production. The median
 * of short batches, as other work on the shared machine lands in a few of them.
 */
async function uncachedCost(stores: Stores, guard: LoginGuard, header: string): Promise<{ micros: number; statements: number }> {
  const verify = () => authenticate(new Authenticator(stores, guard, systemClock), header);
  for (let i = 0; i < UNCACHED_WARMUP; i++) await verify(); // JIT, statement cache
  const statements = queryCount();
  const batches: number[] = [];
  for (let b = 0; b < UNCACHED_BATCHES; b++) {
    const started = performance.now();
    for (let i = 0; i < UNCACHED_BATCH; i++) await verify();
    batches.push(((performance.now() - started) * 1_000) / UNCACHED_BATCH);
  }
  batches.sort((x, y) => x - y);
  return { micros: batches[Math.floor(batches.length / 2)], statements: (queryCount() - statements) / (UNCACHED_BATCHES * UNCACHED_BATCH) };
}

async function postJson(url: string, body: string, contentType: string): Promise<Record<string, unknown>> {
  const response = await request(url, { method: 'POST', body, headers: { 'content-type': contentType, accept: 'application/json' } });
  const json = (await response.body.json()) as Record<string, unknown>;
  if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${JSON.stringify(json)}`);
  return json;
}

/** Valid headers for the four schemes; the session and token come from the gateway's own endpoints. */
async function credentials(baseUrl: string): Promise<Array<{ scheme: string; header: string }>> {
  const session = await postJson(`${baseUrl}/auth/1/session`, JSON.stringify(ADMIN), 'application/json');
  const form = new URLSearchParams({ client_id: ADMIN.username, client_secret: ADMIN.password, grant_type: 'client_credentials' });
  const token = await postJson(`${baseUrl}/auth/1/oauth2/token`, form.toString(), 'application/x-www-form-urlencoded');
  return [
    { scheme: 'App', header: `App ${API_KEY}` },
    { scheme: 'Basic', header: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` },
    { scheme: 'IBSSO', header: `IBSSO ${session.token as string}` },
    { scheme: 'Bearer', header: `Bearer ${token.access_token as string}` },
  ];
}

/** Requests answered per second (at most `requests`, or what `SEND_MAX_SECONDS` allows); then waits until the receiver has every report. */
async function sendRate(api: Client, receiver: ReceiverProcess, first: number, requests: number, clients: number, timeoutSeconds: number): Promise<SendRun> {
  const bodies = Array.from({ length: requests }, (_, i) => requestBody(receiver.url, first + i, 1));
  await receiver.reset();
  let next = 0;
  let done = 0;
  const started = performance.now();
  const deadline = started + SEND_MAX_SECONDS * 1_000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < bodies.length && performance.now() < deadline) {
        await api.post(bodies[next++]);
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  if (!(await receiver.waitForCount(done, timeoutSeconds * 1_000))) throw new Error(`the receiver did not get ${done} reports within ${timeoutSeconds} s`);
  return { requests: done, seconds, perSecond: done / seconds };
}

export async function authScenario(
  receiver: ReceiverProcess,
  opts: { requests: number; clients: number; loopSeconds: number; env: Record<string, string>; timeoutSeconds: number },
): Promise<AuthScenarioResult> {
  const temp = tempDir();
  const hookline = await createGateway({ dir: temp.dir, env: { ...opts.env, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password } });
  const baseUrl = await hookline.start();
  const api = client(baseUrl, opts.clients);
  try {
    await sendRate(api, receiver, 0, WARMUP_REQUESTS, opts.clients, opts.timeoutSeconds);
    const before = await sendRate(api, receiver, WARMUP_REQUESTS, opts.requests, opts.clients, opts.timeoutSeconds);

    const { stores, guard } = authenticatorParts(hookline);
    const schemes = await credentials(baseUrl);
    // Basic's first check per process runs scrypt; later checks (even with a cold cache) are memoised.
    const basicHeader = schemes.find((s) => s.scheme === 'Basic')!.header;
    let kdf = 0;
    for (let i = 0; i < KDF_CHECKS; i++) {
      const started = performance.now();
      await authenticate(new Authenticator({ ...stores, users: new Users(hookline.store.db) }, guard, systemClock), basicHeader);
      kdf += performance.now() - started;
    }

    const measured: Array<Omit<SchemeResult, 'ratio'>> = [];
    for (const { scheme, header } of schemes) {
      const uncached = await uncachedCost(stores, guard, header);
      const cached = await cachedRate(new Authenticator(stores, guard, systemClock), header, opts.loopSeconds);
      measured.push({
        scheme,
        calls: cached.calls,
        seconds: cached.seconds,
        perSecond: cached.calls / cached.seconds,
        reverifications: cached.statements / uncached.statements,
        uncachedMicros: uncached.micros,
        uncachedStatements: uncached.statements,
      });
    }

    const after = await sendRate(api, receiver, WARMUP_REQUESTS + opts.requests, opts.requests, opts.clients, opts.timeoutSeconds);
    const mean = (before.perSecond + after.perSecond) / 2;
    return {
      requests: opts.requests,
      clients: opts.clients,
      send: { before, after, mean },
      schemes: measured.map((m) => ({ ...m, ratio: m.perSecond / mean })),
      basicFirstCheckMs: kdf / KDF_CHECKS,
    };
  } finally {
    await api.close();
    await hookline.stop();
    temp.remove();
  }
}

export function authRows(g: AuthScenarioResult): Row[] {
  return [
    {
      id: 'g',
      measure: `send API requests/s, POST /sms/3/messages, 1 destination, App key, ${g.clients} clients, up to ${fmt(g.requests)} requests or ${SEND_MAX_SECONDS} s before and after the auth loops (before ${fmt(g.send.before.perSecond)} in ${fmt(g.send.before.requests)} requests, after ${fmt(g.send.after.perSecond)} in ${fmt(g.send.after.requests)})`,
      result: `${fmt(g.send.mean)} req/s`,
      target: '(reference)',
    },
    ...g.schemes.map((s) => ({
      id: `g ${s.scheme}`,
      measure:
        `auth step alone, ${s.scheme}, one credential, real clock: ${fmt(s.calls)} calls in ${fmt(s.seconds, 1)} s incl. ${fmt(s.reverifications, 1)} re-verifications; ` +
        `uncached ${fmt(s.uncachedMicros, 1)} µs, ${fmt(s.uncachedStatements, 1)} statements = ${fmt(1e6 / s.uncachedMicros / g.send.mean)}× send` +
        (s.scheme === 'Basic' ? ` (password memoised; first check in a process ${fmt(g.basicFirstCheckMs)} ms of scrypt)` : ''),
      result: `${fmt(s.perSecond)}/s = ${fmt(s.ratio)}× send`,
      target: `≥ ${TARGET_RATIO}× send`,
      pass: s.ratio >= TARGET_RATIO,
    })),
  ];
}

// `npx tsx bench/auth.ts` runs this scenario alone, with the sizes of (g) in bench/run.ts.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const began = performance.now();
  const receiver = await ReceiverProcess.start();
  try {
    const g = await authScenario(receiver, { requests: 2_000, clients: 8, loopSeconds: 3, env: { WEBHOOK_WINDOW: '32', SIMULATOR_DELAY_MS: '0' }, timeoutSeconds: 90 });
    console.log(`\n${textTable(authRows(g))}\n\nTotal run time: ${fmt((performance.now() - began) / 1_000)} s`);
  } finally {
    await receiver.stop();
  }
}

/**
 * Runs the real gateway as a child process — `node --import tsx src/main.ts`, exactly as an
 * operator would — so tests can SIGKILL/SIGTERM it and restart it on the same database.
 * Every spawned child is remembered; `killAllGatewayProcesses()` (call it from `after`) SIGKILLs
 * whatever is still running, even when a test failed half-way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_ENV_NAMES } from '../../src/config.ts';

/** The repository root, from this file's location (test/helpers/ → ../..). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');


/** A TCP port that was free a moment ago (the child binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface GatewayProcess {
  child: ChildProcess;
  /** Where the API listens; '' for a worker (`--role worker`), which listens on no port. */
  baseUrl: string;
  /** The role the child runs as (from `--role` in `args`, else ROLE in `env`, else 'all'). */
  role: GatewayRole;
  /** Everything the child wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the child is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the child has exited. */
  readonly done: boolean;
}

const live = new Set<ChildProcess>();

export type GatewayRole = 'api' | 'worker' | 'all';

export interface SpawnOptions {
  readyTimeoutMs?: number;
  /** Extra command-line arguments after `src/main.ts`, e.g. `['--role', 'worker']`. */
  args?: string[];
}

/** The role as config.ts will read it: `--role x` / `--role=x` wins over ROLE. */
function roleOf(env: Record<string, string>, args: readonly string[]): GatewayRole {
  const flag = args.findIndex((a) => a === '--role' || a.startsWith('--role='));
  const role = flag >= 0 ? (args[flag].includes('=') ? args[flag].slice('--role='.length) : args[flag + 1]) : env.ROLE || 'all';
  return role as GatewayRole;
}

/** Printed by main.ts (at info level) once the process has started what its role runs. */
const RUNNING_LINE = 'Hookline is running';

/**
 * Spawns the gateway with exactly `env` (plus PATH and friends) and waits for GET /healthz.
 * A port picked by freePort() can be taken by someone else before the child binds it (more
 * likely on a restart, seconds later): then a new free port is written into `env.PORT` and the
 * spawn is tried again, so callers that restart with the same `env` follow it.
 * A worker (`args: ['--role', 'worker']` or ROLE=worker) serves no HTTP: it is ready once it
 * logs "Hookline is running", so its LOG_LEVEL must let info through (unset, info, debug, trace).
 */
export async function spawnGateway(env: Record<string, string>, options: SpawnOptions = {}): Promise<GatewayProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOnce(env, options);
    } catch (error) {
      if (!(error instanceof PortInUse) || attempt >= 3) throw error;
      env.PORT = String(await freePort());
    }
  }
}

class PortInUse extends Error {}

async function spawnOnce(env: Record<string, string>, options: SpawnOptions): Promise<GatewayProcess> {
  const args = options.args ?? [];
  const role = roleOf(env, args);
  const listens = role !== 'worker';
  if (!listens && env.LOG_LEVEL && !['info', 'debug', 'trace'].includes(env.LOG_LEVEL)) {
    throw new Error(`a worker is ready when it logs "${RUNNING_LINE}" at info level; LOG_LEVEL=${env.LOG_LEVEL} hides it`);
  }
  const inherited: Record<string, string | undefined> = { ...process.env };
  for (const name of CONFIG_ENV_NAMES) delete inherited[name];
  // Set when running under `node --test`; the child is not a test file and must not report as one.
  delete inherited.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      done = true;
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  const baseUrl = listens ? `http://127.0.0.1:${env.PORT}` : '';
  const handle: GatewayProcess = {
    child,
    baseUrl,
    role,
    stdout: () => out,
    stderr: () => err,
    exited,
    get done() {
      return done;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  for (;;) {
    if (done && err.includes('EADDRINUSE')) throw new PortInUse(`port ${env.PORT} is in use`);
    if (done) throw new Error(`gateway exited before it was ready (${JSON.stringify(await exited)}); stderr:\n${err}\nstdout:\n${out}`);
    if (!listens) {
      if (out.includes(RUNNING_LINE)) return handle;
    } else {
      try {
        const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok && !done) return handle;
      } catch {
        /* not listening yet */
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway not ready after ${options.readyTimeoutMs ?? 20_000} ms; stderr:\n${err}\nstdout:\n${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends `signal` and waits for the exit, SIGKILLing after `timeoutMs` (reported as timedOut). */
export async function stopGateway(
  gateway: GatewayProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 15_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; timedOut: boolean }> {
  const started = Date.now();
  if (gateway.done) return { ...(await gateway.exited), ms: 0, timedOut: false };
  gateway.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const result = await Promise.race([gateway.exited, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    gateway.child.kill('SIGKILL');
    return { ...(await gateway.exited), ms: Date.now() - started, timedOut: true };
  }
  return { ...result, ms: Date.now() - started, timedOut: false };
}

/** SIGKILLs every child still running and waits for them to go. For `after` hooks. */
export async function killAllGatewayProcesses(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}

/**
 * A real gateway process for the scale-out benchmark: `node --import tsx --import
 * bench/scale-probe.ts src/main.ts --role <role>`, i.e. the operator's command with a probe in
 * front that reports CPU time and statement counts over IPC. Ready once main.ts logs
 * "Hookline is running" (the API, if any, is listening by then; its address is in that line).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProbeSample } from './scale-probe.ts';
import { CONFIG_ENV_NAMES } from '../src/config.ts';

export type Role = 'api' | 'worker' | 'all';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const PROBE = new URL('./scale-probe.ts', import.meta.url).href;
const RUNNING_LINE = 'Hookline is running';


export class GatewayChild {
  private output = '';

  private constructor(
    readonly name: string,
    readonly role: Role,
    private readonly child: ChildProcess,
  ) {}

  /** Where the API listens ('' for a worker). */
  url = '';

  get pid(): number {
    return this.child.pid!;
  }

  static async start(name: string, role: Role, env: Record<string, string>, readyTimeoutMs = 60_000): Promise<GatewayChild> {
    const inherited: Record<string, string | undefined> = { ...process.env };
    for (const variable of CONFIG_ENV_NAMES) delete inherited[variable];
    const child = fork(MAIN, ['--role', role], {
      cwd: REPO_ROOT,
      // SCALE_CHILD_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is for profiling the children.
      execArgv: ['--import', 'tsx', '--import', PROBE, ...(process.env.SCALE_CHILD_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
      env: { ...inherited, PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const gateway = new GatewayChild(name, role, child);
    const keep = (chunk: string) => {
      gateway.output = (gateway.output + chunk).slice(-20_000);
    };
    child.stdout!.setEncoding('utf8').on('data', keep);
    child.stderr!.setEncoding('utf8').on('data', keep);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${name} not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
      const onData = () => {
        const line = gateway.output.split('\n').find((l) => l.includes(RUNNING_LINE));
        if (!line) return;
        try {
          gateway.url = (JSON.parse(line) as { address?: string }).address ?? '';
        } catch {
          /* not JSON: no address */
        }
        done();
        resolve();
      };
      const onExit = (code: number | null) => fail(new Error(`${name} exited before it was ready (${code}):\n${gateway.output}`));
      const done = () => {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
      };
      const fail = (error: Error) => {
        done();
        if (child.exitCode === null) child.kill('SIGKILL');
        reject(error);
      };
      child.stdout!.on('data', onData);
      child.once('exit', onExit);
    });
    return gateway;
  }

  sample(timeoutMs = 10_000): Promise<ProbeSample> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        reject(new Error(`${this.name} did not answer a sample within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: { type?: string } & ProbeSample) => {
        if (message.type !== 'sample') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'sample' });
    });
  }

  /** What the process printed (the last 20 kB), for error reports. */
  get log(): string {
    return this.output;
  }

  /** SIGTERM (graceful shutdown, as an operator would), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    if ((await Promise.race([exited, timer])) === 'timeout') {
      this.child.kill('SIGKILL');
      await exited;
    }
  }
}

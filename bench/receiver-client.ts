/** Parent side of bench/receiver.ts: starts the child and wraps its IPC protocol in promises. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { askChild } from './child-ipc.ts';

export interface Reached {
  count: number;
  requests: number;
  /** Epoch ms (sub-ms precision) of the first request and of the one that reached the count. */
  firstAt: number;
  at: number;
}

export class ReceiverProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    /** The black hole (bench/receiver.ts): accepts TCP connections and never answers. */
    readonly blackHoleUrl: string,
  ) {}

  static async start(): Promise<ReceiverProcess> {
    const child = fork(fileURLToPath(new URL('./receiver.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const { port, blackHolePort } = await new Promise<{ port: number; blackHolePort: number }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`receiver exited early (${code})`)));
      child.once('message', (m: { type: string; port: number; blackHolePort: number }) => resolve(m));
    });
    child.removeAllListeners('exit');
    return new ReceiverProcess(child, `http://127.0.0.1:${port}`, `http://127.0.0.1:${blackHolePort}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  private ask<T>(message: object, reply: string, timeoutMs = 30_000): Promise<T> {
    return askChild<T>(this.child, 'receiver', message, reply, timeoutMs);
  }


  async reset(track = false): Promise<void> {
    await this.ask({ type: 'reset', track }, 'reset-ok');
  }

  /** Resolves when the receiver has counted `n` reports, or with null after `timeoutMs`. */
  async waitForCount(n: number, timeoutMs: number): Promise<Reached | null> {
    try {
      return await this.ask<Reached>({ type: 'expect', n }, 'reached', timeoutMs);
    } catch {
      return null;
    }
  }

  /** Counts since the last reset; blackHoleConnections: connections the black hole accepted, blackHoleOpen: still open. */
  stats(): Promise<{ count: number; requests: number; firstAt: number; blackHoleConnections: number; blackHoleOpen: number }> {
    return this.ask({ type: 'stats' }, 'stats');
  }

  async arrivals(): Promise<Map<string, number>> {
    const { ids, times } = await this.ask<{ ids: string[]; times: number[] }>({ type: 'arrivals' }, 'arrivals');
    return new Map(ids.map((id, i) => [id, times[i]]));
  }

  /** CPU seconds (user + system) the receiver has used since it started; take differences. */
  async cpuSeconds(): Promise<number> {
    const { cpu } = await this.ask<{ cpu: NodeJS.CpuUsage }>({ type: 'cpu' }, 'cpu');
    return (cpu.user + cpu.system) / 1e6;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    if (this.child.exitCode === null) this.child.kill();
  }
}

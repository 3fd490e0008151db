/** Parent side of bench/smsc-child.ts: starts the simulator SMSC in its own process and wraps its IPC protocol in promises. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { askChild } from './child-ipc.ts';
import type { SmscChildOptions } from './smsc-child.ts';

export interface SmscStats {
  submits: number;
  receiptsSent: number;
  deliveredAcks: number;
  /** deliver_sm sent and not acknowledged, or waiting for a receiving bind. */
  unacknowledged: number;
}

export class SmscProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(options: SmscChildOptions = {}): Promise<SmscProcess> {
    const child = fork(fileURLToPath(new URL('./smsc-child.ts', import.meta.url)), [JSON.stringify(options)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`SMSC simulator exited early (${code})`)));
      child.once('message', (m: { type: string; port: number }) => resolve(m));
    });
    child.removeAllListeners('exit');
    return new SmscProcess(child, port);
  }

  get pid(): number {
    return this.child.pid!;
  }

  private ask<T>(message: object, reply: string, timeoutMs = 10_000): Promise<T> {
    return askChild<T>(this.child, 'SMSC simulator', message, reply, timeoutMs);
  }


  /** CPU seconds (user + system) the simulator has used since it started; take differences. */
  async cpuSeconds(): Promise<number> {
    const { cpu } = await this.ask<{ cpu: NodeJS.CpuUsage }>({ type: 'cpu' }, 'cpu');
    return (cpu.user + cpu.system) / 1e6;
  }

  /** Counts since start or the last reset. */
  async stats(): Promise<SmscStats> {
    const { submits, receiptsSent, deliveredAcks, unacknowledged } = await this.ask<SmscStats>({ type: 'stats' }, 'stats');
    return { submits, receiptsSent, deliveredAcks, unacknowledged };
  }

  async reset(): Promise<void> {
    await this.ask({ type: 'reset' }, 'reset-ok');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || !this.child.connected) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    if (this.child.exitCode === null) this.child.kill();
  }
}

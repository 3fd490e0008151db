/**
 * A real webhook receiver on loopback. Records every request (headers, raw body, arrival
 * time) and answers with whatever `respond` decides: a status (with headers), a delay, hanging
 * forever, or a connection reset.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** The sender's port on its connection (which process sent it can be told from this). */
  remotePort?: number;
}

export type Respond = (
  req: Received,
  index: number,
) => { status?: number; delayMs?: number; hang?: boolean; body?: string; headers?: Record<string, string>; /** Cut the connection without an answer. */ reset?: boolean };

export class Receiver {
  readonly requests: Received[] = [];
  respond: Respond = () => ({ status: 200 });
  private server: Server;
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];
  private hanging = new Set<import('node:http').ServerResponse>();
  url = '';

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received: Received = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now(), remotePort: req.socket.remotePort };
        const index = this.requests.push(received) - 1;
        const answer = this.respond(received, index);
        this.notify();
        if (answer.hang) {
          this.hanging.add(res);
          return;
        }
        if (answer.reset) {
          req.socket.resetAndDestroy();
          return;
        }
        const send = () => res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body ?? 'OK');
        if (answer.delayMs) setTimeout(send, answer.delayMs);
        else send();
      });
    });
  }

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  /** JSON bodies' `results` items, in arrival order. */
  results(): Array<Record<string, any>> {
    return this.requests.flatMap((r) => (r.body.startsWith('{') ? (JSON.parse(r.body).results ?? []) : []));
  }

  private notify() {
    for (const w of [...this.waiters]) if (w.check()) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }

  /** Resolves once `check` holds; rejects after `timeoutMs` with what was received so far. */
  waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out waiting for ${what}; received ${this.requests.length} requests`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ check, resolve: done });
    });
  }

  waitForRequests(count: number, timeoutMs?: number) {
    return this.waitFor(() => this.requests.length >= count, timeoutMs, `${count} requests`);
  }

  waitForResults(count: number, timeoutMs?: number) {
    return this.waitFor(() => this.results().length >= count, timeoutMs, `${count} report items`);
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Receivers for one test file: `start()` makes one, `closeAll()` (in an `after` hook) closes them all. */
export function receiverPool(): { start(): Promise<Receiver>; closeAll(): Promise<void> } {
  const started: Receiver[] = [];
  return {
    async start() {
      const receiver = await Receiver.start();
      started.push(receiver);
      return receiver;
    },
    async closeAll() {
      await Promise.all(started.splice(0).map((r) => r.close()));
    },
  };
}

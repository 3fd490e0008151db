/**
 * The shape every background stage shares: run a pass; if it did a full batch, go again at
 * once; otherwise sleep until the earliest due work it knows of, a wake-up, or stop.
 * There is no coarse polling interval: the pass itself says when it next has work.
 * Errors (a full disk, a locked database) are logged and retried with backoff; work stays in
 * the database, so nothing is lost while the loop waits.
 */
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.ts';
import { Wakeup } from './wakeup.ts';

export interface PassResult {
  /** True when the pass hit its batch limit and more work is probably waiting. */
  more: boolean;
  /** Clock time of the earliest known future work, or null if none. */
  nextDueAt: number | null;
}

/** Longest sleep without a wake-up; a safety net against a missed ring, not a polling interval. */
export const MAX_IDLE_MS = 60_000;
const MAX_BACKOFF_MS = 5_000;

export class WorkerLoop {
  readonly wakeup = new Wakeup();
  private stopController = new AbortController();
  private running: Promise<void> | null = null;
  private failures = 0;

  constructor(
    private readonly name: string,
    private readonly pass: (now: number) => Promise<PassResult>,
    private readonly clock: Clock,
    private readonly log: Logger,
    /**
     * With several processes on one database, a lost NOTIFY or another worker's expired lease
     * is only seen by looking: this bounds the sleep (the polling fall-back).
     */
    private readonly maxIdleMs = MAX_IDLE_MS,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    this.wakeup.ring();
    await this.running;
    this.running = null;
  }

  private async loop(): Promise<void> {
    const stopped = this.stopController.signal;
    while (!stopped.aborted) {
      const signal = this.wakeup.arm();
      let sleepUntil: number;
      let sleeper = this.clock;
      try {
        const result = await this.pass(this.clock.now());
        this.failures = 0;
        if (result.more) {
          await new Promise((resolve) => setImmediate(resolve)); // let I/O and other loops breathe
          continue;
        }
        sleepUntil = Math.min(result.nextDueAt ?? Infinity, this.clock.now() + this.maxIdleMs);
      } catch (error) {
        this.failures++;
        const backoff = Math.min(MAX_BACKOFF_MS, 50 * 2 ** this.failures) * (0.5 + Math.random());
        this.log.error({ err: error, worker: this.name, failures: this.failures }, 'worker pass failed; retrying');
        // Internal retries run on real time (with jitter), whatever clock the work runs on.
        sleeper = systemClock;
        sleepUntil = Date.now() + backoff;
      }
      if (stopped.aborted) break;
      await sleeper.sleepUntil(sleepUntil, AbortSignal.any([signal, stopped]));
    }
  }
}

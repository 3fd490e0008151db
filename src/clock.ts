/**
 * Time is injected. Production uses SystemClock; tests use ManualClock to run the
 * 41.5-hour retry cycle in milliseconds. Every "now" passed into SQL comes from here.
 */
export interface Clock {
  now(): number;
  /** Resolves at `deadline` (clock time) or when `signal` aborts, whichever comes first. */
  sleepUntil(deadline: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleepUntil(deadline, signal) {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  },
};

/** A clock that only moves when told to; sleepers wake when it passes their deadline. */
export class ManualClock implements Clock {
  private sleepers = new Set<{ deadline: number; wake: () => void }>();
  constructor(private current: number = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.set(this.current + ms);
  }

  set(time: number): void {
    this.current = time;
    for (const sleeper of [...this.sleepers]) if (sleeper.deadline <= time) sleeper.wake();
  }

  sleepUntil(deadline: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || deadline <= this.current) return resolve();
      const sleeper = { deadline, wake: () => done() };
      const done = () => {
        this.sleepers.delete(sleeper);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.sleepers.add(sleeper);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

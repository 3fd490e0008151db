/**
 * An in-process doorbell: producers ring it after committing work, the consumer's loop waits
 * on it between passes. Rings while the consumer is busy are remembered (one pending flag),
 * so no work is ever slept through.
 */
export class Wakeup {
  private pending = false;
  private controller: AbortController | null = null;

  ring(): void {
    this.pending = true;
    this.controller?.abort();
  }

  /** An AbortSignal that fires on the next ring (at once if one is pending). */
  arm(): AbortSignal {
    this.controller = new AbortController();
    if (this.pending) this.controller.abort();
    this.pending = false;
    return this.controller.signal;
  }
}

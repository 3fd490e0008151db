/**
 * An in-process doorbell: producers ring it after committing work, the consumer's loop waits
 * on it between passes. Rings while the consumer is busy are remembered (one pending flag),
 * so no work is ever slept through.
 */
export class Wakeup {
  private pending = false;
  private controller: AbortController | null = null;

  ring(): void {
    // Wake the armed waiter if there is one; otherwise remember the ring for the next arm().
    if (this.controller && !this.controller.signal.aborted) this.controller.abort();
    else this.pending = true;
  }

  /** An AbortSignal that fires on the next ring (at once if one is pending). */
  arm(): AbortSignal {
    this.controller = new AbortController();
    if (this.pending) this.controller.abort();
    this.pending = false;
    return this.controller.signal;
  }
}

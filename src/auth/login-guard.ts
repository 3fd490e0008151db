/**
 * Brute-force protection: failed logins are counted per (username, address) and per address,
 * in counters every process shares; past AUTH_FAILURE_LIMIT in AUTH_FAILURE_WINDOW_S the
 * address (or that username from it) is refused with 429 until the window ends. Only failures
 * count, and a successful login clears its (username, address) count.
 */
import { retryAfterSeconds, type ThrottleCounters } from './throttle-counters.ts';

export class LoginGuard {
  constructor(
    private readonly counters: ThrottleCounters,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  private keys(ip: string, username: string | undefined): string[] {
    return username === undefined ? [`login-failures:ip:${ip}`] : [`login-failures:ip:${ip}`, `login-failures:user:${ip}:${username}`];
  }

  /** Seconds to wait if this address (or username from it) is locked out; null if it may try. */
  async lockedFor(ip: string, username: string | undefined, now: number): Promise<number | null> {
    for (const key of this.keys(ip, username)) {
      const { count, windowEnd } = await this.counters.peek(key, now);
      if (count >= this.limit) return retryAfterSeconds(windowEnd, now);
    }
    return null;
  }

  async failed(ip: string, username: string | undefined, now: number): Promise<void> {
    for (const key of this.keys(ip, username)) await this.counters.hit(key, this.windowMs, now);
  }

  async succeeded(ip: string, username: string): Promise<void> {
    await this.counters.reset(`login-failures:user:${ip}:${username}`);
  }
}

/**
 * Brute-force protection: failed logins are counted per (username, address) and per address,
 * in counters every process shares. Past AUTH_FAILURE_LIMIT failures for one username from one
 * address in AUTH_FAILURE_WINDOW_S, that username is refused from that address with 429 until
 * the window ends; past ADDRESS_LIMIT_FACTOR times as many from one address (guessing across
 * usernames or keys), the address is. Only failures count, and a successful login clears its
 * (username, address) count — not the address's, or one valid account would let an attacker
 * reset it between guesses.
 */
import { hashSecret } from './tokens.ts';
import { retryAfterSeconds, type ThrottleCounters } from './throttle-counters.ts';

/** An office behind one NAT address shares the address count: a few typos must not lock everyone out. */
export const ADDRESS_LIMIT_FACTOR = 5;

export class LoginGuard {
  constructor(
    private readonly store: ThrottleCounters,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counter keys with their limits; usernames are hashed so any string makes a short key. */
  private counters(ip: string, username: string | undefined): Array<{ key: string; limit: number }> {
    const address = { key: `login-failures:ip:${ip}`, limit: this.limit * ADDRESS_LIMIT_FACTOR };
    return username === undefined ? [address] : [address, { key: this.userKey(ip, username), limit: this.limit }];
  }

  private userKey(ip: string, username: string): string {
    return `login-failures:user:${ip}:${hashSecret(username)}`;
  }

  /**
   * Whether this address (or username from it) is locked out, with the seconds to wait, and
   * whether the (username, address) count holds failures a success should clear.
   */
  async check(ip: string, username: string | undefined, now: number): Promise<{ lockedForSeconds: number | null; userFailures: number }> {
    let userFailures = 0;
    for (const { key, limit } of this.counters(ip, username)) {
      const { count, windowEnd } = await this.store.peek(key, now);
      if (count >= limit) return { lockedForSeconds: retryAfterSeconds(windowEnd, now), userFailures: count };
      if (username !== undefined && key === this.userKey(ip, username)) userFailures = count;
    }
    return { lockedForSeconds: null, userFailures };
  }

  async failed(ip: string, username: string | undefined, now: number): Promise<void> {
    for (const { key } of this.counters(ip, username)) await this.store.hit(key, this.windowMs, now);
  }

  async succeeded(ip: string, username: string): Promise<void> {
    await this.store.reset(this.userKey(ip, username));
  }
}

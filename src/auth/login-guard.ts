/**
 * Brute-force protection: failed logins are counted per (username, address) and per address,
 * in counters every process shares. Past AUTH_FAILURE_LIMIT failures for one username from one
 * address in AUTH_FAILURE_WINDOW_S, that username is refused from that address with 429 until
 * the window ends; past ADDRESS_LIMIT_FACTOR times as many from one address (guessing across
 * usernames or keys), the address is.
 *
 * Every attempt is counted BEFORE its credentials are checked, and a success takes its count
 * back: checking first and counting after would let guesses sent in parallel all pass the check
 * before the first failure is written. A success also clears its (username, address) count —
 * not the address's, or one valid account would let an attacker reset it between guesses.
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

  private addressKey = (ip: string) => `login-failures:ip:${ip}`;
  /** Usernames are hashed so any string makes a short key. */
  private userKey = (ip: string, username: string) => `login-failures:user:${ip}:${hashSecret(username)}`;

  /** Counts an attempt; returns the seconds to wait if this address (or username from it) is over its limit. */
  async attempt(ip: string, username: string | undefined, now: number): Promise<number | null> {
    const counters = [{ key: this.addressKey(ip), limit: this.limit * ADDRESS_LIMIT_FACTOR }];
    if (username !== undefined) counters.push({ key: this.userKey(ip, username), limit: this.limit });
    let lockedFor: number | null = null;
    for (const { key, limit } of counters) {
      const { count, windowEnd } = await this.store.hit(key, this.windowMs, now);
      if (count > limit) lockedFor = Math.max(lockedFor ?? 0, retryAfterSeconds(windowEnd, now));
    }
    return lockedFor;
  }

  /** The attempt succeeded: it was not a failure after all. */
  async succeeded(ip: string, username: string | undefined): Promise<void> {
    await this.store.undo(this.addressKey(ip));
    if (username !== undefined) await this.store.reset(this.userKey(ip, username));
  }
}

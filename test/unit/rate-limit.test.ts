/**
 * The shared rate-limit state (src/webhooks/rate-limit.ts), driven the way the dispatcher drives
 * it: several claimers, each claiming what the state allows whenever it comes round (late, early,
 * or woken at rateOpensAt − LOOKAHEAD_MS), with the state passed from claim to claim as the
 * database row would be. Checked: no span of a second ever holds more than rateLimit requests
 * (by the time each was recorded, which is when it is sent), and a backlog gets close to
 * rateLimit however late the claims come.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LOOKAHEAD_MS,
  rateAllowance,
  rateBurst,
  rateLogMoved,
  rateOpensAt,
  rateStateAt,
  rateStateForClaim,
  rateWakeLevel,
  SEND_DELAY_MS,
  spendRate,
  WINDOW_MS,
  type RateState,
} from '../../src/webhooks/rate-limit.ts';

/** A deterministic pseudo-random sequence (so a failure can be replayed). */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

interface Run {
  sends: number[];
  /** The most sends in any one-second span [t, t + 1000). */
  maxPerSecond: number;
  /** Sends per second from the first to the last. */
  rate: number;
}

/**
 * `claimers` take turns at random; each claim comes `delay()` ms after the previous one (or, if
 * the rate held it back, at the wake-up the dispatcher would use, plus `delay()`).
 */
function simulate(rateLimit: number, durationMs: number, delay: () => number, claimers = 2): Run {
  let stored: RateState | null = null;
  const sends: number[] = [];
  const nextAt = Array.from({ length: claimers }, (_, i) => i * 3);
  while (Math.min(...nextAt) < durationMs) {
    const who = nextAt.indexOf(Math.min(...nextAt));
    const now = nextAt[who];
    const state = rateStateForClaim(rateLimit, stored, now);
    assert.ok(state.refilledAt <= now + LOOKAHEAD_MS, 'never claims further ahead than LOOKAHEAD_MS');
    const take = rateAllowance(rateLimit, state);
    const after = spendRate(state, take);
    for (let i = 0; i < take; i++) sends.push(state.refilledAt); // sent when recorded
    stored = after;
    const wake = rateOpensAt(rateLimit, after) - LOOKAHEAD_MS;
    nextAt[who] = Math.max(now + 1, take > 0 ? now : wake) + delay();
  }
  sends.sort((a, b) => a - b);
  let maxPerSecond = 0;
  for (let i = 0, j = 0; i < sends.length; i++) {
    while (j < sends.length && sends[j] < sends[i] + 1000) j++;
    maxPerSecond = Math.max(maxPerSecond, j - i);
  }
  return { sends, maxPerSecond, rate: ((sends.length - 1) * 1000) / (sends[sends.length - 1] - sends[0]) };
}

describe('profile rate limit state', () => {
  for (const rateLimit of [1, 3, 20, 50, 137, 1000, 5000]) {
    it(`rateLimit ${rateLimit}: never more than the limit in any second; close to it under a backlog, prompt or late`, () => {
      for (const [name, seed, delay] of [
        ['prompt', 1, () => 0],
        ['up to 20 ms late', 2, (r: () => number) => r() * 20],
        ['up to 150 ms late', 3, (r: () => number) => r() * 150],
        ['stalls of up to 400 ms', 4, (r: () => number) => (r() < 0.05 ? r() * 400 : r() * 10)],
      ] as const) {
        const r = random(seed * 7919 + rateLimit);
        const run = simulate(rateLimit, 12_000, () => delay(r), 1 + (seed % 3));
        assert.ok(run.maxPerSecond <= rateLimit, `${name}: ${run.maxPerSecond} in one second`);
        // Each budget comes back WINDOW_MS after it was used, plus however late the claim is.
        const floor = name === 'prompt' ? 0.95 : name === 'up to 20 ms late' ? 0.94 : 0.85;
        assert.ok(run.rate >= rateLimit * floor, `${name}: ${run.rate.toFixed(2)}/s`);
      }
    });
  }

  it('spreads a second’s requests: no more than a tenth of a second’s worth at once', () => {
    const run = simulate(100, 5_000, () => 0, 1);
    const perInstant = new Map<number, number>();
    for (const t of run.sends) perInstant.set(t, (perInstant.get(t) ?? 0) + 1);
    assert.ok(Math.max(...perInstant.values()) <= rateBurst(100), JSON.stringify([...perInstant].slice(0, 5)));
  });

  it('a fresh or idle target starts gently: half a bucket, an empty log', () => {
    const fresh = rateStateAt(50, null, 1_000);
    assert.deepEqual(fresh, { tokens: rateWakeLevel(50), refilledAt: 1_000, recent: [] });
    assert.equal(rateAllowance(50, fresh), 2);
    const busy = spendRate(rateStateAt(50, fresh, 1_000), 2);
    assert.equal(rateStateAt(50, busy, 1_500).tokens, rateBurst(50), 'refilled to the full bucket while it sends');
    assert.equal(rateStateAt(50, busy, 1_000 + WINDOW_MS + 10).tokens, rateWakeLevel(50), 'idle for a window: half a bucket again');
  });

  it('the log, not the bucket, holds the limit: budget used within WINDOW_MS stays used', () => {
    let s: RateState = rateStateAt(10, null, 0);
    let sent = 0;
    for (let t = 0; t < WINDOW_MS - 10; t += 10) {
      s = rateStateAt(10, s, t);
      const take = rateAllowance(10, s);
      sent += take;
      s = spendRate(s, take);
    }
    assert.equal(sent, 10);
    assert.equal(rateAllowance(10, rateStateAt(10, s, WINDOW_MS - 10)), 0);
    assert.ok(rateOpensAt(10, s) >= WINDOW_MS, `opens at ${rateOpensAt(10, s)}`);
    assert.ok(rateAllowance(10, rateStateAt(10, s, rateOpensAt(10, s))) >= 1, 'open when it says');
  });

  it('time never runs backwards: a claimer whose clock is behind gets nothing extra', () => {
    const s = spendRate(rateStateAt(50, null, 10_000), 2);
    const behind = rateStateAt(50, s, 9_000);
    assert.equal(behind.refilledAt, 10_000);
    assert.equal(behind.tokens, s.tokens);
    assert.equal(rateAllowance(50, behind), 0);
  });

  it('records a claim SEND_DELAY_MS on, and ahead only what opens within LOOKAHEAD_MS', () => {
    assert.equal(rateStateForClaim(50, null, 100).refilledAt, 100 + SEND_DELAY_MS);
    const s = spendRate(rateStateAt(50, null, 0), 2); // bucket empty, refills 62.5/s
    const soon = rateStateForClaim(50, s, 0);
    assert.ok(soon.refilledAt > 0 && soon.refilledAt <= LOOKAHEAD_MS, `ahead to ${soon.refilledAt}`);
    assert.ok(rateAllowance(50, soon) >= 1);
    const full = spendRate(rateStateAt(1, null, 0), 1); // rateLimit 1: the next opens a second later
    assert.equal(rateStateForClaim(1, full, 10).refilledAt, 10 + SEND_DELAY_MS, 'not ahead by more than LOOKAHEAD_MS');
    assert.equal(rateAllowance(1, rateStateForClaim(1, full, 10)), 0);
  });

  it('a request that left late is moved in the log to when it left, so its budget comes back later', () => {
    // Ten requests recorded at 1000 (slot 1000), three of which left only at 1093.
    const s: RateState = { tokens: 0, refilledAt: 1_000, recent: [[990, 2], [1_000, 10]] };
    const moved = rateLogMoved(s, [[1_000, 1_093], [1_000, 1_093], [1_000, 1_093], [995, 994]]);
    assert.deepEqual(moved.recent, [[990, 2], [1_000, 7], [1_100, 3]]);
    // At 2030 the entries of 990 and 1000 have slid out, the moved ones not.
    assert.deepEqual(rateStateAt(10, moved, 2_030).recent, [[1_100, 3]]);
    // A record that already slid out is added again at its sending time.
    assert.deepEqual(rateLogMoved({ tokens: 0, refilledAt: 3_000, recent: [] }, [[1_900, 2_050]]).recent, [[2_050, 1]]);
  });
});

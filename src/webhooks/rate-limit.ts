/**
 * A notification profile's rateLimit (requests per second), as state every worker shares through
 * the database (table target_limits, one row per profile target, read and written inside the
 * claim's transaction while the target's claim lock is held):
 *
 *  - the limit: a sliding log of the requests claimed (`recent`, [time, count] pairs in SLOT_MS
 *    slots). A claim takes at most rateLimit minus what the last WINDOW_MS took, so no span of
 *    WINDOW_MS, wherever it starts, holds more than rateLimit claims. WINDOW_MS is a second plus
 *    a margin for the time from claiming a request to its reaching the receiver, which varies
 *    with load (a busy event loop, a new connection): the receiver's seconds hold at most
 *    rateLimit requests as long as that time varies by less than the margin. A late claim loses
 *    nothing: the budget is there until it is used or slides past.
 *  - sending on the record: a claim's requests are recorded SEND_DELAY_MS after the claim and
 *    wait until then, so they leave when the log says, however long the claim takes to commit
 *    (within that delay). And a claim may use budget that opens within LOOKAHEAD_MS, recorded at
 *    and waiting for that moment: a pass that takes a while to reach its claim (a busy database)
 *    still sends when the budget opens, not a pass-time later. A request that still leaves late
 *    (a busy event loop) is moved in the log to when it left, at its worker's next claim for the
 *    target (rateLogMoved), so the budget it used comes back that much later too.
 *  - the pace: a token bucket refilled at PACE × rateLimit per second, holding up to a tenth of a
 *    second's requests, so requests are spread over the second instead of leaving in one burst
 *    when the budget opens. Faster than the limit, so a claim that comes late (a slow pass, a
 *    busy database) costs no throughput either: the log, not the bucket, is what holds the rate.
 *
 * Times are the claiming worker's clock and never go back: a worker whose clock is behind counts
 * from the latest time stored. Workers' clocks d apart can let up to d × rateLimit extra requests
 * into a second (keep them in sync, as leases need anyway).
 */

/** The log's resolution: claim times are rounded up to it, so an entry slides out late, never early. */
export const SLOT_MS = 10;
/** The span the log limits to rateLimit requests: one second and a margin (see above). */
export const WINDOW_MS = 1_025;
/** How long after its claim a request is recorded, and sent (see above). */
export const SEND_DELAY_MS = 20;
/** How far ahead a claim may use budget that is about to open (see above). */
export const LOOKAHEAD_MS = 50;
/** The bucket refills this much faster than the limit (see above). */
export const PACE = 1.25;

/** The bucket's size: a tenth of a second's requests, at least one. */
export const rateBurst = (rateLimit: number): number => Math.max(1, Math.ceil(rateLimit / 10));
/**
 * A claim held back by the rate is tried again once this many requests may go: half the bucket,
 * so a rate-limited target costs at most ~2 × PACE × 10 claims a second, however high its limit.
 */
export const rateWakeLevel = (rateLimit: number): number => Math.max(1, Math.floor(rateBurst(rateLimit) / 2));

export interface RateState {
  tokens: number;
  /** When `tokens` were counted; also the time the log was pruned to. */
  refilledAt: number;
  /** Requests claimed in the last WINDOW_MS: [slot time, count], oldest first. */
  recent: Array<[at: number, count: number]>;
}

const used = (s: RateState) => s.recent.reduce((n, [, count]) => n + count, 0);

/**
 * The state as of `now`: tokens refilled, requests older than WINDOW_MS dropped. A target that
 * sent nothing in the last WINDOW_MS (or never) starts gently, with rateWakeLevel tokens rather
 * than a full bucket: its first requests take longest to arrive (new connections), so they are
 * the likeliest to bunch with later ones at the receiver.
 */
export function rateStateAt(rateLimit: number, stored: RateState | null, now: number): RateState {
  if (!stored) return { tokens: rateWakeLevel(rateLimit), refilledAt: now, recent: [] };
  const at = Math.max(now, stored.refilledAt);
  const recent = stored.recent.filter(([t]) => t > at - WINDOW_MS);
  const cap = recent.length ? rateBurst(rateLimit) : rateWakeLevel(rateLimit);
  const tokens = Math.min(cap, stored.tokens + ((at - stored.refilledAt) * rateLimit * PACE) / 1000);
  return { tokens, refilledAt: at, recent };
}

/**
 * The state to claim with at `now`: as of SEND_DELAY_MS later, or, when nothing may go then but
 * will within LOOKAHEAD_MS of now, as of that moment. Requests claimed with it wait until its
 * `refilledAt`.
 */
export function rateStateForClaim(rateLimit: number, stored: RateState | null, now: number): RateState {
  const current = rateStateAt(rateLimit, stored, now + SEND_DELAY_MS);
  if (rateAllowance(rateLimit, current) > 0) return current;
  const opens = rateOpensAt(rateLimit, current);
  return opens <= now + LOOKAHEAD_MS ? rateStateAt(rateLimit, current, opens) : current;
}

/** How many requests may be claimed now. */
export function rateAllowance(rateLimit: number, s: RateState): number {
  return Math.max(0, Math.min(Math.floor(s.tokens), rateLimit - used(s)));
}

/** The state after claiming `count` requests. */
export function spendRate(s: RateState, count: number): RateState {
  if (count <= 0) return s;
  const slot = Math.ceil(s.refilledAt / SLOT_MS) * SLOT_MS;
  const recent = s.recent.map(([t, n]): [number, number] => [t, n]);
  const last = recent[recent.length - 1];
  if (last && last[0] === slot) last[1] += count;
  else recent.push([slot, count]);
  return { tokens: s.tokens - count, refilledAt: s.refilledAt, recent };
}

/** When at least rateWakeLevel requests (or the whole limit, if smaller) may be claimed again. */
export function rateOpensAt(rateLimit: number, s: RateState): number {
  const want = Math.min(rateWakeLevel(rateLimit), rateLimit);
  const byTokens = s.tokens >= want ? s.refilledAt : s.refilledAt + Math.ceil(((want - s.tokens) * 1000) / (rateLimit * PACE));
  let free = rateLimit - used(s);
  let byLog = s.refilledAt;
  for (const [t, n] of s.recent) {
    if (free >= want) break;
    free += n;
    byLog = t + WINDOW_MS;
  }
  return Math.max(byTokens, byLog);
}

/**
 * The log with requests that left later than recorded moved to when they left: [recorded, sent]
 * per request. A record that has slid out of the log already is added again at its sending time.
 */
export function rateLogMoved(s: RateState, moves: ReadonlyArray<readonly [recorded: number, sent: number]>): RateState {
  if (moves.length === 0) return s;
  const recent = s.recent.map(([t, n]): [number, number] => [t, n]);
  const slot = (at: number) => Math.ceil(at / SLOT_MS) * SLOT_MS;
  for (const [recorded, sent] of moves) {
    const from = slot(recorded);
    const to = slot(sent);
    if (to <= from) continue;
    const entry = recent.find(([t]) => t === from);
    if (entry) entry[1]--;
    const at = recent.findIndex(([t]) => t >= to);
    if (at >= 0 && recent[at][0] === to) recent[at][1]++;
    else recent.splice(at < 0 ? recent.length : at, 0, [to, 1]);
  }
  return { ...s, recent: recent.filter(([, n]) => n > 0) };
}

/** The stored form (target_limits.recent is JSON). */
export const parseRecent = (text: string): RateState['recent'] => {
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) ? value.filter((e): e is [number, number] => Array.isArray(e) && e.length === 2 && e.every(Number.isFinite)) : [];
  } catch {
    return [];
  }
};

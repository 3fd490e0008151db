/**
 * The dispatcher: forms deliveries from the outbox, claims the due ones within each target's
 * window and the global cap, POSTs them, and records every attempt. Completions are written in
 * batches, one transaction per batch, conditional on still holding the lease.
 *
 * Isolation: a target never has more than WEBHOOK_WINDOW requests in flight, so a hanging
 * target can hold at most its window of the WEBHOOK_MAX_IN_FLIGHT slots. Within a target, fresh
 * deliveries and retries are two lanes that share its window, so a backlog of retries cannot
 * starve fresh reports.
 *
 * Profile targets: their windowSize and rateLimit hold across all worker processes together.
 * The claim counts the target's leased deliveries in the database (every process's in-flight
 * requests) and spends from the target's rate state in target_limits (rate-limit.ts), in the
 * claim's own transaction; on PostgreSQL a transaction-scoped advisory lock per target (taken
 * with try: a target another worker is claiming for is skipped this pass) makes each claim the
 * only one for its targets, so two workers cannot both take the last slot or the last request
 * of a second. Per-message URL targets keep per-process windows.
 *
 * Receiver back-pressure and health, per (account, target) (target-health.ts,
 * unhealthy-targets.ts): Retry-After on a 429/503 pauses the account's deliveries to the target,
 * and moves the next attempt later, never earlier; a 410 disables the target for the account;
 * consecutive failures open its breaker, and while it is open only its probe (the account's oldest
 * waiting delivery there, at that delivery's scheduled time) is claimed. Drops, a breaker opening and a target recovering are reported to the account's
 * operations profile (operational-events.ts).
 */
import { randomUUID } from 'node:crypto';
import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { PassResult } from '../lib/worker-loop.ts';
import { chunkRows, type DialectProfile } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import type { ErrorClass, HttpSender, SendResult } from './http-sender.ts';
import { formDeliveries } from './outbox.ts';
import { basicAuthorization, bearerAuthorization, signatureHeader, TokenFetchError, type OAuthTokenClient } from './security.ts';
import { extraHeaders, PROFILE_TARGET_PREFIX, URL_TARGETS_ONLY, type DeliveryTarget, type TargetResolver } from './targets.ts';
import { LOOKAHEAD_MS, parseRecent, rateAllowance, rateLogMoved, rateOpensAt, rateStateForClaim, SLOT_MS, spendRate, WINDOW_MS, type RateState } from './rate-limit.ts';
import { nextAttemptAt, retryAfterMs, withRetryAfter } from './retry-policy.ts';
import { NO_OBSERVER, type DispatchObserver } from './observer.ts';
import { writeOperationalEvents, type OperationalEvent } from './operational-events.ts';
import {
  accountTargetOf,
  ATTEMPTS_EXHAUSTED,
  healthFromRow,
  healthKey,
  healthOf,
  isPlainlyHealthy,
  recordVerdicts,
  TARGET_GONE,
  type AccountTarget,
  type HealthChange,
  type HealthRow,
  type TargetHealth,
} from './target-health.ts';
import { droppedEvent, dropForGoneTargets, healthEvents, probeOf } from './unhealthy-targets.ts';

/** A webhook claim's lease, renewed by the heartbeat while its request runs. */
export const DELIVERY_LEASE_MS = 10_000;

export interface DispatcherOptions {
  bucketSize: number;
  window: number;
  maxInFlight: number;
  retryMinuteMs: number;
  /**
   * How long a claim is ours before another worker may take it over. Kept short so a dead
   * worker's claims come back within seconds; a live worker renews its leases (heartbeat).
   */
  leaseMs: number;
  /** Consecutive failed attempts that open a target's breaker. */
  breakerThreshold: number;
}

interface Claimed {
  id: string;
  account_id: string;
  target_url: string;
  content_type: string;
  body: string;
  attempts: number;
  cycle_base: number;
  first_event_at: number | null;
  report_count: number;
  /** Its target was plainly healthy when claimed: a success needs no health bookkeeping. */
  healthyAtClaim: boolean;
}

interface Candidate {
  id: string;
  target_url: string;
  fresh: number;
}

interface Completion {
  delivery: Claimed;
  startedAt: number;
  result: SendResult;
}

const failedAttempt = (errorClass: ErrorClass, error: string): SendResult => ({ ok: false, statusCode: null, errorClass, error, durationMs: 0 });

const WAITING = ['PENDING', 'RETRYING'] as const;
/** The same states as SQL literals, for queries that must match the partial indexes' WHERE. */
const WAITING_SQL = sql<boolean>`state in ('PENDING', 'RETRYING')`;
/** Most targets enumerated one by one in a claim; beyond this, targets are found from due rows. */
const TARGET_SCAN_LIMIT = 64;
/** Due deliveries read per query when targets are found from due rows. */
const DUE_PAGE = 1_000;
/** Advisory lock class (the two-key form, a key space apart from single-key locks) for claims per profile target. */
const TARGET_LOCK_CLASS = 0x686b6c; // "hkl"

/** A profile target's limits, held across every worker process. */
interface SharedLimits {
  window: number;
  /** Requests per second, or null when the profile sets none. */
  rateLimit: number | null;
}

/** The claim's view of one shared target: room in its window and, with a rate limit, its rate state. */
interface SharedState extends SharedLimits {
  room: number;
  rate: RateState | null;
  /** The rate state has late sends moved in it: store it even if nothing is claimed. */
  moved?: boolean;
}

export class Dispatcher {
  readonly owner = randomUUID();
  private inFlightByTarget = new Map<string, number>();
  private inFlight = 0;
  private pending: Completion[] = [];
  private flushing: Promise<void> | null = null;
  private idle: Array<() => void> = [];
  private closed = false;
  /**
   * Rate-limited requests that left later than recorded (a busy event loop), per target:
   * [recorded, sent]. Moved in the target's log at this worker's next claim for it.
   */
  private lateSends = new Map<string, Array<[number, number]>>();
  /** Rung when completions free a slot or unblock the next report of a message. */
  onProgress: () => void = () => {};
  /** Called after attempts were committed (live event streams read them: src/live/). */
  onAttempted: () => void = () => {};

  constructor(
    private readonly db: Kysely<Database>,
    private readonly profile: DialectProfile,
    private readonly sender: HttpSender,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: DispatcherOptions,
    /** Notification profiles behind profile targets, and the OAuth tokens their security needs. */
    private readonly targets: TargetResolver = URL_TARGETS_ONLY,
    private readonly tokens: OAuthTokenClient | null = null,
    private readonly observer: DispatchObserver = NO_OBSERVER,
  ) {}

  /** A target's window: its profile's windowSize, else WEBHOOK_WINDOW. */
  private windowOf(target: string): number {
    return this.targets.cachedWindow(target) ?? this.options.window;
  }

  /** After a crash nothing is in flight in this process: every lease it held is void. */
  async releaseStaleLeases(): Promise<number> {
    const result = await this.db
      .updateTable('deliveries')
      .set({ lease_owner: null, lease_until: null })
      .where('lease_until', 'is not', null)
      .where('state', 'in', WAITING)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  pass = async (now: number): Promise<PassResult> => {
    const formed = await formDeliveries(this.db, this.profile, now, {
      bucketSize: this.options.bucketSize,
      bucketSizeOf: async (trx, target) => {
        const resolved = await this.targets.deliveryTarget(trx, target);
        return resolved && resolved !== 'gone' ? resolved.bucketSize : undefined;
      },
      limit: Math.max(1000, this.options.bucketSize * 10),
    });
    const { claimed, wakeAt, notBefore, again } = await this.claim(now);
    for (const delivery of claimed) this.start(delivery, notBefore.get(delivery.target_url));
    // The states are literals so SQLite can use the partial index deliveries_due (a bound
    // parameter cannot prove the index's WHERE): one index seek, however large the backlog.
    const next = await this.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('due'))
      .where(WAITING_SQL)
      .where('next_attempt_at', '>', now)
      .executeTakeFirst();
    const due = next?.due == null ? null : Number(next.due);
    // A target held back by its rate limit or a receiver's pause: claim again when it opens, not before.
    const nextDueAt = wakeAt === null ? due : due === null ? wakeAt : Math.min(due, wakeAt);
    return { more: formed.more || again, nextDueAt };
  };

  /**
   * Claims what may go now. `notBefore`: per rate-limited target, when its requests were recorded
   * as sent (rate-limit.ts), which they wait for; `wakeAt`: when a target its rate held back may
   * be claimed for again (a little ahead, as rate-limit.ts allows), or a paused target resumes.
   */
  private async claim(now: number): Promise<{ claimed: Claimed[]; wakeAt: number | null; notBefore: Map<string, number>; again: boolean }> {
    const free = this.options.maxInFlight - this.inFlight;
    const nothing = { claimed: [], wakeAt: null, notBefore: new Map<string, number>(), again: false };
    if (free <= 0) return nothing;
    return this.db.transaction().execute(async (trx) => {
      const { targets, health } = await this.claimableTargets(trx, now, free);
      if (targets.length === 0) return nothing;
      // Health is per (account, target): an account whose health for a target is not plain gets
      // none of its deliveries to it claimed the usual way — disabled: dropped; paused
      // (Retry-After): nothing until then, and the pass wakes for it; breaker open: the probe only.
      const gone: AccountTarget[] = [];
      const probes: AccountTarget[] = [];
      const excluded = new Map<string, string[]>();
      let pausedUntil: number | null = null;
      for (const [key, state] of health) {
        if (isPlainlyHealthy(state) || (!state.open && !state.disabled && (state.pausedUntil ?? 0) <= now)) continue;
        const at = accountTargetOf(key);
        excluded.set(at.target, [...(excluded.get(at.target) ?? []), at.accountId]);
        if (state.disabled) gone.push(at);
        else if ((state.pausedUntil ?? 0) > now) pausedUntil = Math.min(pausedUntil ?? Infinity, state.pausedUntil!);
        else probes.push(at);
      }
      const again = gone.length > 0 && (await dropForGoneTargets(trx, this.profile, this.targets, gone, now));
      const shared = await this.sharedState(trx, now, targets);
      const room = new Map<string, number>();
      for (const target of targets) {
        const state = shared.get(target);
        const allowed = state?.rate ? Math.min(state.room, rateAllowance(state.rateLimit!, state.rate)) : state?.room;
        room.set(target, allowed ?? this.windowOf(target) - (this.inFlightByTarget.get(target) ?? 0));
      }
      // One candidate more than a rate-limited target may take tells whether its rate held it back.
      const readLimit = (target: string) => {
        const state = shared.get(target);
        return state?.rate && room.get(target)! < state.room ? room.get(target)! + 1 : room.get(target)!;
      };
      // Probes first: each takes a slot of its target's room before other accounts' traffic to the
      // same target can fill it, so a probe always goes at its own scheduled time.
      const chosen: string[] = [];
      for (const at of probes) {
        if (chosen.length >= free || (room.get(at.target) ?? 0) <= 0) continue;
        const probe = await probeOf(trx, now, at);
        if (probe === null) continue;
        chosen.push(probe);
        room.set(at.target, room.get(at.target)! - 1);
      }
      const candidates = await this.candidates(trx, now, targets, free - chosen.length, readLimit, excluded);
      chosen.push(...this.choose(candidates, free - chosen.length, room));
      const claimed: Claimed[] = [];
      for (const chunk of chunkRows(chosen.map((id) => ({ id })), this.profile)) {
        const rows = await trx
          .updateTable('deliveries')
          .set((eb) => ({ attempts: eb('attempts', '+', 1), lease_owner: this.owner, lease_until: now + this.options.leaseMs }))
          .where('id', 'in', chunk.map((c) => c.id))
          .where('state', 'in', WAITING)
          .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
          .returning(['id', 'account_id', 'target_url', 'content_type', 'body', 'attempts', 'cycle_base', 'first_event_at', 'report_count'])
          .execute();
        for (const row of rows) claimed.push({ ...row, healthyAtClaim: isPlainlyHealthy(health.get(healthKey(row.account_id, row.target_url))) });
      }
      const rateWakeAt = await this.spendRates(trx, shared, candidates, claimed);
      const wakeAt = rateWakeAt === null ? pausedUntil : pausedUntil === null ? rateWakeAt : Math.min(rateWakeAt, pausedUntil);
      const notBefore = new Map<string, number>();
      for (const [target, state] of shared) if (state.rate) notBefore.set(target, state.rate.refilledAt);
      return { claimed, wakeAt, notBefore, again };
    });
  }

  /**
   * For the profile targets among `targets`: their room (windowSize minus every process's leased
   * deliveries) and rate state, read under a per-target lock (PostgreSQL) that this transaction
   * holds until it commits, so the claim that follows is the only one for those targets meanwhile.
   */
  private async sharedState(trx: Transaction<Database>, now: number, targets: string[]): Promise<Map<string, SharedState>> {
    const limits = new Map<string, SharedLimits>();
    for (const target of targets) {
      if (!target.startsWith(PROFILE_TARGET_PREFIX)) continue;
      const resolved = await this.targets.deliveryTarget(trx, target);
      // A deleted profile's deliveries fail without a request: no limits to hold.
      if (!resolved || resolved === 'gone') continue;
      limits.set(target, { window: resolved.window ?? this.options.window, rateLimit: resolved.rateLimit ?? null });
    }
    const states = new Map<string, SharedState>();
    if (limits.size === 0) return states;
    let names = [...limits.keys()];
    if (this.profile.multiProcess) {
      // A target whose lock another worker holds is being claimed for right now: it is left to
      // that worker this pass (room 0), so claims never wait for each other, nor deadlock. A
      // hash collision only makes two targets share a lock.
      const locks = await sql<{ target: string; locked: boolean }>`
        select t as target, pg_try_advisory_xact_lock(${TARGET_LOCK_CLASS}, hashtext(t)) as locked from unnest(${names}::text[]) as t`.execute(trx);
      for (const { target, locked } of locks.rows) if (!locked) states.set(target, { ...limits.get(target)!, room: 0, rate: null });
      names = names.filter((t) => !states.has(t));
      if (names.length === 0) return states;
    }
    // Written exactly as the partial index deliveries_leased, so this is a range scan of leases.
    const leased = await sql<{ target_url: string; n: number | string }>`
      select target_url, count(*) as n from deliveries
      where lease_until is not null and state in ('PENDING', 'RETRYING') and substr(target_url, 1, 8) = 'profile:'
        and target_url in (${sql.join(names)}) and lease_until > ${now}
      group by target_url`.execute(trx);
    const inFlight = new Map(leased.rows.map((r) => [r.target_url, Number(r.n)]));
    const rated = names.filter((t) => limits.get(t)!.rateLimit !== null);
    // The rate is counted from the time of the claim, not of the pass (which began before forming
    // deliveries); the requests then wait for the time they are recorded at (rate-limit.ts).
    const claimedAt = this.clock.now();
    const stored = rated.length
      ? new Map((await trx.selectFrom('target_limits').select(['target', 'tokens', 'refilled_at', 'recent']).where('target', 'in', rated).execute()).map((r) => [r.target, r]))
      : new Map();
    for (const target of names) {
      const limit = limits.get(target)!;
      const row = stored.get(target);
      let rate: RateState | null = null;
      let moved = false;
      if (limit.rateLimit !== null) {
        const late = this.lateSends.get(target) ?? [];
        this.lateSends.delete(target);
        moved = Boolean(row) && late.length > 0;
        const saved = row ? rateLogMoved({ tokens: Number(row.tokens), refilledAt: Number(row.refilled_at), recent: parseRecent(row.recent) }, late) : null;
        rate = rateStateForClaim(limit.rateLimit, saved, claimedAt);
      }
      states.set(target, { ...limit, room: Math.max(0, limit.window - (inFlight.get(target) ?? 0)), rate, moved });
    }
    return states;
  }

  /**
   * Records the requests claimed for each rate-limited target, and says when the first target its
   * rate held back (more candidates than it could take) may be claimed for again.
   */
  private async spendRates(trx: Transaction<Database>, shared: Map<string, SharedState>, candidates: Candidate[], claimed: Claimed[]): Promise<number | null> {
    const taken = new Map<string, number>();
    for (const c of claimed) taken.set(c.target_url, (taken.get(c.target_url) ?? 0) + 1);
    const offered = new Map<string, number>();
    for (const c of candidates) offered.set(c.target_url, (offered.get(c.target_url) ?? 0) + 1);
    let wakeAt: number | null = null;
    const rows: Array<{ target: string; tokens: number; refilled_at: number; recent: string }> = [];
    for (const [target, state] of shared) {
      if (!state.rate) continue;
      const took = taken.get(target) ?? 0;
      const after = spendRate(state.rate, took);
      if (took > 0 || state.moved) rows.push({ target, tokens: after.tokens, refilled_at: after.refilledAt, recent: JSON.stringify(after.recent) });
      // Held back by the rate rather than the window, the global cap or a lack of due work.
      if ((offered.get(target) ?? 0) > took && took < state.room && rateAllowance(state.rateLimit!, after) === 0) {
        const at = rateOpensAt(state.rateLimit!, after) - LOOKAHEAD_MS;
        wakeAt = wakeAt === null ? at : Math.min(wakeAt, at);
      }
    }
    if (rows.length) {
      await trx
        .insertInto('target_limits')
        .values(rows)
        .onConflict((oc) =>
          oc.column('target').doUpdateSet((eb) => ({ tokens: eb.ref('excluded.tokens'), refilled_at: eb.ref('excluded.refilled_at'), recent: eb.ref('excluded.recent') })),
        )
        .execute();
    }
    return wakeAt;
  }

  /**
   * The targets (not at their window) whose candidates `choose` can use, found without reading
   * every due delivery. With up to TARGET_SCAN_LIMIT targets waiting, all of them: one index
   * probe per target (a skip-scan of deliveries_lane), however long its backlog. With more, the
   * first `free` targets by earliest due delivery: `choose` takes targets in that order and gives
   * each at least one slot, so it never reaches a later one.
   */
  private async claimableTargets(trx: Transaction<Database>, now: number, free: number): Promise<{ targets: string[]; health: Map<string, TargetHealth> }> {
    const hasRoom = (url: string) => (this.inFlightByTarget.get(url) ?? 0) < this.windowOf(url);
    // Their health comes in the same statement (one round trip fewer per claim on PostgreSQL).
    const waiting = await sql<{ url: string; account_id: string | null } & { [K in keyof HealthRow]: HealthRow[K] | null }>`
      with recursive waiting(url) as (
        select min(target_url) from deliveries where state in ('PENDING', 'RETRYING')
        union all
        select (select min(target_url) from deliveries where state in ('PENDING', 'RETRYING') and target_url > waiting.url)
        from waiting where waiting.url is not null
      )
      select w.url, h.account_id, h.consecutive_failures, h.opened_at, h.disabled_at, h.paused_until, h.failing_notified
      from (select url from waiting where url is not null limit ${TARGET_SCAN_LIMIT + 1}) as w
      left join target_health h on h.target = w.url and exists (
        select 1 from deliveries d where d.target_url = h.target and d.account_id = h.account_id and d.state in ('PENDING', 'RETRYING'))`.execute(trx);
    const urls = [...new Set(waiting.rows.map((r) => r.url))];
    if (urls.length <= TARGET_SCAN_LIMIT) {
      const health = new Map<string, TargetHealth>();
      for (const row of waiting.rows) if (row.account_id !== null) health.set(healthKey(row.account_id, row.url), healthFromRow(row as HealthRow));
      return { targets: urls.filter(hasRoom), health };
    }

    // Many targets. Those in trouble (breaker open, paused, disabled) come from target_health, at
    // most `free` of them with due work, least recently updated first so each gets its turn: open
    // ones to probe, disabled ones to drop, paused ones to wake for. The walk below skips them all,
    // or their backlogs — due, and waiting without spending attempts — would fill every slot and
    // starve the others.
    const inTrouble = (eb: ExpressionBuilder<Database, 'target_health'>) =>
      eb.or([eb('target_health.opened_at', 'is not', null), eb('target_health.disabled_at', 'is not', null), eb('target_health.paused_until', '>', now)]);
    const troubled = await trx
      .selectFrom('target_health')
      .select(['account_id', 'target', 'consecutive_failures', 'opened_at', 'disabled_at', 'paused_until', 'failing_notified'])
      .where(inTrouble)
      .where(sql<boolean>`exists (select 1 from deliveries d where d.target_url = target_health.target and d.account_id = target_health.account_id and d.state in ('PENDING', 'RETRYING') and d.next_attempt_at <= ${now})`)
      .orderBy('updated_at')
      .limit(free)
      .execute();
    const health = new Map(troubled.map((row) => [healthKey(row.account_id, row.target), healthFromRow(row)]));
    const targets = new Set<string>();
    let after: [number, string] | null = null;
    while (targets.size < free) {
      let query = trx
        .selectFrom('deliveries')
        .select(['id', 'target_url', 'next_attempt_at'])
        .where(WAITING_SQL)
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('target_health')
                .select('target')
                .whereRef('target_health.target', '=', 'deliveries.target_url')
                .whereRef('target_health.account_id', '=', 'deliveries.account_id')
                .where(inTrouble),
            ),
          ),
        )
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(DUE_PAGE);
      if (after) {
        const [at, id] = after;
        query = query.where((eb) => eb(eb.refTuple('next_attempt_at', 'id'), '>', eb.tuple(at, id)));
      }
      const page = await query.execute();
      for (const row of page) {
        if (hasRoom(row.target_url)) targets.add(row.target_url);
        if (targets.size >= free) break;
      }
      if (page.length < DUE_PAGE) break;
      const last = page[page.length - 1];
      after = [Number(last.next_attempt_at), last.id];
    }
    for (const [target, state] of await healthOf(trx, [...targets])) health.set(target, state);
    return { targets: [...new Set([...troubled.map((t) => t.target).filter(hasRoom), ...targets])], health };
  }

  /**
   * Each target's candidates per lane, in claim order (next_attempt_at, id); `choose` applies the
   * windows and the global cap. It can take at most the target's free room (and at most `free`)
   * from one lane, so no more are read. Each lane is one range of the covering index
   * deliveries_lane: this reads neither the backlog behind a window nor any delivery row.
   */
  private async candidates(
    trx: Transaction<Database>,
    now: number,
    targets: string[],
    free: number,
    limitOf: (target: string) => number,
    /** Per target, accounts whose deliveries to it are not claimed this way (their health is not plain). */
    excluded: Map<string, string[]>,
  ): Promise<Candidate[]> {
    // Same rows either way (attempts is never null); the operator is the one the planner matches
    // to the index expression, or it filters the target's whole backlog (see DialectProfile).
    const test = sql.raw(this.profile.booleanIndexTest);
    const lane = (url: string, fresh: boolean) => sql`
      select * from (
        select id, target_url, ${sql.lit(fresh ? 1 : 0)} as fresh, next_attempt_at from deliveries
        where state in ('PENDING', 'RETRYING') and target_url = ${url} and (attempts = 0) ${test} ${sql.lit(fresh)}
          and next_attempt_at <= ${now} and (lease_until is null or lease_until < ${now})
          ${excluded.has(url) ? sql`and account_id not in (${sql.join(excluded.get(url)!)})` : sql``}
        order by next_attempt_at, id
        limit ${Math.min(free, limitOf(url))}) as lane`;
    const rows: Array<Candidate & { next_attempt_at: number }> = [];
    // SQLite allows 500 terms in a compound SELECT: two lanes per target, 200 targets a statement.
    const open = targets.filter((url) => Math.min(free, limitOf(url)) > 0);
    for (let i = 0; i < open.length; i += 200) {
      const lanes = open.slice(i, i + 200).flatMap((url) => [lane(url, true), lane(url, false)]);
      const result = await sql<Candidate & { next_attempt_at: number }>`${sql.join(lanes, sql` union all `)}`.execute(trx);
      rows.push(...result.rows);
    }
    return rows.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Per target: alternate fresh and retry lanes up to its room (window, tokens); overall: the global cap. */
  private choose(candidates: Candidate[], free: number, roomOf: Map<string, number>): string[] {
    const lanes = new Map<string, { fresh: string[]; retry: string[] }>();
    for (const c of candidates) {
      let lane = lanes.get(c.target_url);
      if (!lane) lanes.set(c.target_url, (lane = { fresh: [], retry: [] }));
      (Number(c.fresh) === 1 ? lane.fresh : lane.retry).push(c.id);
    }
    const chosen: string[] = [];
    for (const [target, lane] of lanes) {
      let room = roomOf.get(target) ?? 0;
      while (room > 0 && chosen.length < free && (lane.fresh.length || lane.retry.length)) {
        const fromFresh = lane.fresh.length > 0 && (lane.retry.length === 0 || room % 2 === 0);
        chosen.push((fromFresh ? lane.fresh : lane.retry).shift()!);
        room--;
      }
      if (chosen.length >= free) break;
    }
    return chosen;
  }

  /** Sends a claimed delivery, at once or (claimed ahead of its rate limit) at `notBefore`. */
  private start(delivery: Claimed, notBefore?: number): void {
    this.inFlight++;
    this.inFlightByTarget.set(delivery.target_url, (this.inFlightByTarget.get(delivery.target_url) ?? 0) + 1);
    const wait = notBefore === undefined ? 0 : notBefore - this.clock.now();
    const send = () => {
      const startedAt = this.clock.now();
      if (notBefore !== undefined && startedAt - notBefore > SLOT_MS) this.noteLateSend(delivery.target_url, notBefore, startedAt);
      void this.attempt(delivery, startedAt).then((result) => {
        this.pending.push({ delivery, startedAt, result });
        this.scheduleFlush();
      });
    };
    if (wait > 0) setTimeout(send, wait);
    else send();
  }

  private noteLateSend(target: string, recorded: number, sent: number): void {
    // Only what can still be in a log matters; a worker that stops claiming for the target keeps little.
    const late = (this.lateSends.get(target) ?? []).filter(([, at]) => at > sent - WINDOW_MS);
    late.push([recorded, sent]);
    this.lateSends.set(target, late);
  }

  /** One attempt: to the URL as it is, or through the target's notification profile and its security. */
  private async attempt(delivery: Claimed, startedAt: number): Promise<SendResult> {
    const id = delivery.id;
    const timestamp = String(Math.floor(startedAt / 1000));
    const webhookHeaders = { 'webhook-id': id, 'webhook-timestamp': timestamp };
    const request = { url: delivery.target_url, body: delivery.body, contentType: delivery.content_type, headers: webhookHeaders };
    let target: DeliveryTarget | 'gone' | null;
    try {
      target = await this.targets.deliveryTarget(this.db, delivery.target_url);
    } catch (error) {
      return failedAttempt('connect', `notification profile could not be read: ${(error as Error).message}`);
    }
    if (target === null) return this.sender.send(request);
    if (target === 'gone') return failedAttempt('blocked', 'the notification profile no longer exists');

    const security = target.security;
    const send = (authorization?: string) =>
      this.sender.send({
        ...request,
        url: target.url,
        connectTimeoutMs: target.connectTimeoutMs,
        readTimeoutMs: target.readTimeoutMs,
        headers: {
          ...extraHeaders(target.headers),
          ...(authorization ? { authorization } : {}),
          ...(security?.type === 'HMAC' ? { 'webhook-signature': signatureHeader(security, id, timestamp, delivery.body, startedAt) } : {}),
          ...webhookHeaders,
        },
      });
    if (security?.type === 'BASIC') return send(basicAuthorization(security.username, security.password));
    if (security?.type !== 'OAUTH') return send();
    // OAuth: a cached token; on 401 one refresh and one retry, within this same attempt.
    try {
      let token = await this.tokens!.token(security);
      const first = await send(bearerAuthorization(token));
      if (first.statusCode !== 401) return first;
      this.tokens!.invalidate(security, token);
      token = await this.tokens!.token(security);
      const second = await send(bearerAuthorization(token));
      return { ...second, durationMs: first.durationMs + second.durationMs };
    } catch (error) {
      if (error instanceof TokenFetchError) return failedAttempt('connect', `OAuth token request failed: ${error.message}`);
      throw error;
    }
  }

  private scheduleFlush(): void {
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.flush())
      .finally(() => {
        this.flushing = null;
        if (this.pending.length) this.scheduleFlush();
        else if (this.inFlight === 0) for (const wake of this.idle.splice(0)) wake();
      });
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0);
    // After shutdown gave the leases back, late results are dropped: those deliveries are retried.
    if (batch.length === 0 || this.closed) return;
    try {
      await this.complete(batch);
    } catch (error) {
      // Keep the results and try again: the lease keeps the deliveries ours meanwhile, and if
      // we die first they are simply sent again (at-least-once).
      this.log.error({ err: error, count: batch.length }, 'recording webhook attempts failed; will retry');
      this.pending.unshift(...batch);
      await new Promise((resolve) => setTimeout(resolve, 500));
      return;
    }
    for (const { delivery } of batch) {
      this.inFlight--;
      const left = (this.inFlightByTarget.get(delivery.target_url) ?? 1) - 1;
      if (left > 0) this.inFlightByTarget.set(delivery.target_url, left);
      else this.inFlightByTarget.delete(delivery.target_url);
    }
    this.onProgress();
    this.onAttempted();
  }

  private async complete(batch: Completion[]): Promise<void> {
    const now = this.clock.now();
    const dropped = new Set<string>();
    const changes = await this.db.transaction().execute(async (trx) => {
      const attemptRows = batch.map(({ delivery, startedAt, result }) => ({
        delivery_id: delivery.id,
        account_id: delivery.account_id,
        attempt: delivery.attempts,
        started_at: startedAt,
        duration_ms: result.durationMs,
        status_code: result.statusCode,
        error_class: result.errorClass,
        error: result.error,
        target_url: delivery.target_url,
        response_excerpt: result.responseExcerpt ?? null,
      }));
      for (const chunk of chunkRows(attemptRows, this.profile)) await trx.insertInto('attempts').values(chunk).execute();
      // A target that was healthy at claim and only succeeded stays healthy: no read, no write
      // (the common case, and a round trip per flush saved on PostgreSQL). Anything else is
      // counted in target_health. The price: if another worker's failures to the same target land
      // between our claim and our completion, our successes do not reset its streak; its own
      // next success, or the probe, does.
      const keyOf = (d: Claimed) => healthKey(d.account_id, d.target_url);
      const unsettled = new Set(batch.filter((c) => !c.result.ok || !c.delivery.healthyAtClaim).map((c) => keyOf(c.delivery)));
      const verdicts = batch.filter((c) => unsettled.has(keyOf(c.delivery))).map(({ delivery, startedAt, result }) => ({
        accountId: delivery.account_id,
        target: delivery.target_url,
        ok: result.ok,
        gone: result.statusCode === 410,
        statusCode: result.statusCode,
        at: startedAt,
        retryAfterMs: retryAfterMs(result.retryAfter, now),
      }));
      const { changes, health } = verdicts.length
        ? await recordVerdicts(trx, verdicts, now, this.options.breakerThreshold, this.profile.multiProcess)
        : { changes: new Map<string, HealthChange>(), health: new Map<string, TargetHealth>() };

      // One statement per distinct success status (almost always just 200).
      const deliveredByCode = new Map<number, string[]>();
      for (const c of batch) {
        if (!c.result.ok) continue;
        const code = c.result.statusCode ?? 200;
        deliveredByCode.set(code, [...(deliveredByCode.get(code) ?? []), c.delivery.id]);
      }
      for (const [code, ids] of deliveredByCode) for (const chunk of chunkRows(ids.map((id) => ({ id })), this.profile)) {
        const done = await trx
          .updateTable('deliveries')
          .set({ state: 'DELIVERED', done_at: now, next_attempt_at: null, lease_owner: null, lease_until: null, last_status_code: code, last_error: null })
          .where('id', 'in', chunk.map((c) => c.id))
          .where('lease_owner', '=', this.owner)
          .returning('id')
          .execute();
        if (done.length) await trx.updateTable('outbox').set({ state: 'DONE' }).where('delivery_id', 'in', done.map((d) => d.id)).execute();
      }

      const events: OperationalEvent[] = [];
      for (const { delivery, startedAt, result } of batch.filter((c) => !c.result.ok)) {
        // A disabled target gets no more attempts; otherwise the schedule, moved later by a Retry-After.
        const gone = health.get(keyOf(delivery))?.disabled ?? false;
        const scheduled = nextAttemptAt(delivery.attempts - delivery.cycle_base, startedAt, this.options.retryMinuteMs);
        const next = gone ? null : withRetryAfter(scheduled, health.get(keyOf(delivery))?.pausedUntil ?? null);
        const reason = next !== null ? null : gone ? TARGET_GONE : ATTEMPTS_EXHAUSTED;
        const updated = await trx
          .updateTable('deliveries')
          .set({
            state: next === null ? 'DROPPED' : 'RETRYING',
            next_attempt_at: next,
            done_at: next === null ? now : null,
            drop_reason: reason,
            lease_owner: null,
            lease_until: null,
            last_status_code: result.statusCode,
            last_error: result.error,
          })
          .where('id', '=', delivery.id)
          .where('lease_owner', '=', this.owner)
          .executeTakeFirst();
        if (reason !== null && Number(updated.numUpdatedRows) > 0) {
          dropped.add(delivery.id);
          await trx.updateTable('outbox').set({ state: 'DROPPED' }).where('delivery_id', '=', delivery.id).execute();
          events.push(droppedEvent({ ...delivery, reason, last_status_code: result.statusCode, last_error: result.error }));
          this.log.warn({ deliveryId: delivery.id, target: delivery.target_url, attempts: delivery.attempts, reason }, 'webhook delivery dropped');
        }
      }
      const gone = [...changes].filter(([, change]) => change === 'disabled').map(([key]) => accountTargetOf(key));
      if (gone.length) await dropForGoneTargets(trx, this.profile, this.targets, gone, now);
      events.push(...(await healthEvents(trx, changes, health, batch.map((c) => ({ target: c.delivery.target_url, accountId: c.delivery.account_id, result: c.result })), now)));
      await writeOperationalEvents(trx, this.profile, this.targets, events, now);
      return changes;
    });
    for (const { delivery, startedAt, result } of batch) {
      const end = startedAt + result.durationMs;
      this.observer.attemptFinished({
        target: delivery.target_url,
        accountId: delivery.account_id,
        outcome: result.ok ? 'delivered' : (result.errorClass ?? 'http-status'),
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        // A replayed or recovered delivery's wait since its event says nothing about delivery latency.
        eventToDeliveredMs: result.ok && delivery.first_event_at !== null && delivery.cycle_base === 0 ? Math.max(0, end - Number(delivery.first_event_at)) : null,
        dropped: dropped.has(delivery.id),
      });
    }
    for (const [key, change] of changes) this.observer.targetStateChanged(accountTargetOf(key).target, change === 'opened' ? 'open' : change);
  }

  private heartbeat: NodeJS.Timeout | null = null;

  /** Renews the leases of requests in flight three times per lease, for as long as they last. */
  startHeartbeat(): void {
    this.heartbeat ??= setInterval(() => {
      if (this.inFlight === 0 || this.closed) return;
      this.db
        .updateTable('deliveries')
        .set({ lease_until: this.clock.now() + this.options.leaseMs })
        .where('lease_owner', '=', this.owner)
        .where('state', 'in', WAITING)
        .execute()
        .catch((error) => this.log.warn({ err: error }, 'renewing webhook leases failed; will retry'));
    }, this.options.leaseMs / 3);
    this.heartbeat.unref();
  }

  stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Waits for in-flight requests to finish and be recorded, at most `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0 && this.pending.length === 0) return true;
    const drained = new Promise<boolean>((resolve) => this.idle.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    return Promise.race([drained, timeout]);
  }

  /** Gives back the leases of requests still in flight at shutdown, so a restart retries them at once. */
  async releaseOwnLeases(): Promise<void> {
    this.closed = true;
    await this.db.updateTable('deliveries').set({ lease_owner: null, lease_until: null }).where('lease_owner', '=', this.owner).where('state', 'in', WAITING).execute();
  }
}

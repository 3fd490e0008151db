/**
 * Names the statements a gateway process sends, and the pipeline stage each belongs to, for the
 * scale-out benchmark's round-trip breakdown (bench/scale-probe.ts tallies them in the child).
 *
 * A statement inside a transaction belongs to the transaction's stage, which its first statement
 * decides (recordEvents' statements are the network stage's when the network pass runs them).
 * BEGIN is counted when that first statement arrives, COMMIT/ROLLBACK under the same stage.
 * The gateway's own counter (src/store/query-count.ts) is the authoritative total; this only
 * splits it up.
 */
export const STAGES = [
  'intake',
  'network',
  'dispatch: form',
  'dispatch: claim',
  'dispatch: complete',
  'dispatch: leases',
  'notify',
  'listen',
  'sweeper',
  'other',
] as const;
export type Stage = (typeof STAGES)[number];

/** [pattern on the normalized SQL, label, own stage (null: the enclosing transaction's)]. */
const RULES: Array<[RegExp, string, Stage | null]> = [
  [/^(begin|start transaction)\b/, 'BEGIN', null],
  [/^commit\b/, 'COMMIT', null],
  [/^rollback\b/, 'ROLLBACK', null],
  [/^notify\b/, 'NOTIFY', 'notify'],
  [/^listen\b/, 'LISTEN', 'listen'],
  [/\bfrom api_keys\b/, 'auth: api key lookup', 'intake'],
  [/^insert into bulks\b/, 'intake: insert bulk', 'intake'],
  [/^select message_id from messages\b/, 'intake: duplicate check', 'intake'],
  [/^insert into messages\b/, 'intake: insert messages', 'intake'],
  [/^insert into network_jobs\b/, 'insert network jobs', null],
  [/^select id, message_pk, step from network_jobs\b/, 'network: claim due jobs', 'network'],
  [/^select min\(due_at\)/, 'network: next job due', 'network'],
  [/^select pk, account_id, bulk_id, state\b/, 'network: read messages', 'network'],
  [/^delete from network_jobs\b/, 'network: delete jobs', 'network'],
  [/^update messages set sent_at\b/, 'network: mark submitted', 'network'],
  [/^select pk, account_id, (message_id, bulk_id, )?family, notify_url\b/, 'recorder: read messages', null],
  [/^insert into reports\b/, 'recorder: insert reports', null],
  [/^update messages set status_id\b/, 'recorder: refresh message status', null],
  [/^insert into outbox\b/, 'recorder: insert outbox rows', null],
  [/^insert into pull_queue\b/, 'recorder: insert pull queue', null],
  [/^select o\.id, /, 'form: read READY outbox (for update skip locked)', 'dispatch: form'],
  [/^select r\.id as report_id\b/, 'form: load report views', 'dispatch: form'],
  [/^insert into deliveries\b/, 'form: insert deliveries', 'dispatch: form'],
  [/^update outbox set state = 'batched'/, 'form: mark outbox BATCHED', 'dispatch: form'],
  [/^with recursive waiting\b/, 'claim: waiting targets (recursive)', 'dispatch: claim'],
  [/^select \* from \( select id, target_url\b/, 'claim: lane candidates', 'dispatch: claim'],
  [/^select id, target_url, next_attempt_at from deliveries\b/, 'claim: due page (many targets)', 'dispatch: claim'],
  [/^update deliveries set attempts\b/, 'claim: lease deliveries (update … returning)', 'dispatch: claim'],
  [/^select min\(next_attempt_at\)/, 'pass: next due delivery', 'dispatch: claim'],
  // Target health (src/webhooks/target-health.ts): read in the claim, read (FOR UPDATE on PostgreSQL) and written in completions.
  [/^select target, consecutive_failures, opened_at, disabled_at, paused_until\b/, 'target health: read', null],
  [/^select \* from target_health\b/, 'target health: read for completion', null],
  [/^insert into target_health\b/, 'target health: write', null],
  [/^update target_health\b/, 'target health: failing notified', null],
  [/^select id, next_attempt_at, lease_until from deliveries\b/, 'claim: breaker probe', null],
  [/^insert into attempts\b/, 'complete: insert attempts', 'dispatch: complete'],
  [/^update deliveries set state\b/, 'complete: update deliveries', 'dispatch: complete'],
  [/^update outbox set state = (\$|\?)/, 'complete: mark outbox DONE/DROPPED', 'dispatch: complete'],
  [/^update deliveries set lease_until\b/, 'lease heartbeat', 'dispatch: leases'],
  [/^update deliveries set lease_owner\b/, 'lease release', 'dispatch: leases'],
  [/pg_try_advisory_xact_lock/, 'sweeper: lock', 'sweeper'],
  [/^delete from pull_queue\b/, 'sweeper: pull queue', 'sweeper'],
  [/^select id from deliveries where state\b/, 'sweeper: old deliveries', 'sweeper'],
  [/^select m\.pk from messages as m\b/, 'sweeper: old messages', 'sweeper'],
];

/** Every rule looks at the start of the statement only. */
const PREFIX = 200;
const known = new Map<string, { label: string; stage: Stage | null }>();

export function classify(sql: string): { label: string; stage: Stage | null } {
  const prefix = sql.slice(0, PREFIX);
  let found = known.get(prefix);
  if (found) return found;
  const normalized = prefix.replaceAll('"', '').replace(/\s+/g, ' ').trim().toLowerCase();
  found = { label: normalized.slice(0, 60), stage: null };
  for (const [pattern, label, stage] of RULES) {
    if (pattern.test(normalized)) {
      found = { label, stage };
      break;
    }
  }
  if (known.size >= 2_000) known.clear();
  known.set(prefix, found);
  return found;
}

export interface TallyEntry {
  stage: Stage;
  label: string;
  count: number;
  /** Sum of the statements' latencies as the client saw them (send → result), in ms. */
  ms: number;
}

interface ConnectionState {
  inTransaction: boolean;
  stage: Stage | null;
  beginPending: boolean;
  /** BEGIN's latency, kept until the BEGIN is counted under its transaction's stage. */
  begin: { ms: number };
}

export class StatementTally {
  private counts = new Map<string, { count: number; ms: number }>();
  private connections = new WeakMap<object, ConnectionState>();
  total = 0;

  private add(stage: Stage, label: string): { count: number; ms: number } {
    const key = `${stage}\t${label}`;
    let entry = this.counts.get(key);
    if (!entry) this.counts.set(key, (entry = { count: 0, ms: 0 }));
    entry.count++;
    this.total++;
    return entry;
  }

  /**
   * One statement sent on `connection` (any object identifying the database connection).
   * Returns what its latency is to be added to.
   */
  record(connection: object, sql: string): { ms: number } {
    let state = this.connections.get(connection);
    if (!state) this.connections.set(connection, (state = { inTransaction: false, stage: null, beginPending: false, begin: { ms: 0 } }));
    const { label, stage } = classify(sql);
    if (label === 'BEGIN') {
      state.inTransaction = true;
      state.stage = null;
      state.beginPending = true;
      return (state.begin = { ms: 0 });
    }
    if (label === 'COMMIT' || label === 'ROLLBACK') {
      const owner = state.stage ?? 'other';
      if (state.beginPending) this.add(owner, 'BEGIN').ms += state.begin.ms;
      const entry = this.add(owner, label);
      state.inTransaction = false;
      state.stage = null;
      state.beginPending = false;
      return entry;
    }
    if (!state.inTransaction) return this.add(stage ?? 'other', label);
    state.stage ??= stage ?? 'other';
    if (state.beginPending) {
      this.add(state.stage, 'BEGIN').ms += state.begin.ms;
      state.beginPending = false;
    }
    return this.add(state.stage, label);
  }

  entries(): TallyEntry[] {
    return [...this.counts].map(([key, { count, ms }]) => {
      const [stage, label] = key.split('\t') as [Stage, string];
      return { stage, label, count, ms };
    });
  }
}

/** b − a, per (stage, label). */
export function tallyDelta(a: TallyEntry[], b: TallyEntry[]): TallyEntry[] {
  const before = new Map(a.map((e) => [`${e.stage}\t${e.label}`, e]));
  return b
    .map((e) => {
      const then = before.get(`${e.stage}\t${e.label}`);
      return { ...e, count: e.count - (then?.count ?? 0), ms: e.ms - (then?.ms ?? 0) };
    })
    .filter((e) => e.count > 0);
}

export function sumTallies(tallies: TallyEntry[][]): TallyEntry[] {
  const sum = new Map<string, TallyEntry>();
  for (const entry of tallies.flat()) {
    const key = `${entry.stage}\t${entry.label}`;
    const seen = sum.get(key);
    if (seen) {
      seen.count += entry.count;
      seen.ms += entry.ms;
    } else sum.set(key, { ...entry });
  }
  return [...sum.values()];
}

export function byStage(entries: TallyEntry[]): Record<Stage, number> {
  const out = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  for (const e of entries) out[e.stage] += e.count;
  return out;
}

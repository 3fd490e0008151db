/**
 * Scenario (h), isolation: does a black-holed target slow the dispatcher's work for a healthy one?
 *
 * The black hole is the receiver child's second server (bench/receiver.ts): it accepts TCP
 * connections and never writes a byte, so each request to it holds its slot until the gateway's
 * own read timeout (WEBHOOK_READ_TIMEOUT_MS, default 10 s) gives up. Every gateway setting is the
 * default except WEBHOOK_BUCKET_SIZE=1: the window per target, the global in-flight cap, the
 * timeouts and the breaker threshold are what an operator gets.
 *
 * Bucket 1 because it is where the dispatcher does the most work per report: every report is a
 * delivery of its own, so whatever a waiting black-holed target adds to each pass (its row in the
 * waiting-targets scan, the target-health read, the breaker's probe query once it is open) and to
 * each completion batch (the health update, the failed attempts) is shared by the fewest healthy
 * reports, and the black hole has as many deliveries waiting as it has reports.
 *
 * Three runs, each on a fresh gateway and database, with only the dispatcher loop (and its lease
 * heartbeat, as start() runs it) started, timed from that start until the receiver has counted
 * the N healthy reports:
 *   alone before:  N reports to the healthy target;
 *   with the hole: the same N, plus M to the black hole, pre-loaded interleaved in slices (one
 *                  transaction each, as traffic to both would arrive);
 *   alone after:   as before.
 * The ratio is the mixed rate over the mean of the two alone rates (the machine is shared).
 */
import { fileURLToPath } from 'node:url';
import type { Hookline } from '../src/app.ts';
import { createGateway, preloadOutbox, tempDir } from './fixtures.ts';
import { ReceiverProcess } from './receiver-client.ts';
import { fmt, textTable, type Row } from './report.ts';

export const ISOLATION_TARGET = 0.9;
/** Pre-load transactions per run; the black-holed reports are spread among the healthy ones. */
const SLICES = 10;

export interface HealthyRun {
  reports: number;
  delivered: number;
  seconds: number;
  perSecond: number;
  /** CPU time of this process (the gateway) per healthy report delivered, in microseconds. */
  cpuMicrosPerReport: number;
  timedOut: boolean;
}

/** What the black hole went through during the mixed run (read when the healthy target was done). */
export interface BlackHoleStats {
  reports: number;
  /** TCP connections the black hole accepted: one per request sent to it. */
  connections: number;
  /** Attempts recorded against it by then, by error class (timeouts once the read timeout fired). */
  attempts: Record<string, number>;
  /** Its breaker was open when the healthy target finished. */
  breakerOpen: boolean;
  consecutiveFailures: number;
  /** Its deliveries still PENDING/RETRYING, and how many of those had been attempted. */
  waiting: number;
  waitingAttempted: number;
}

export interface IsolationResult {
  settings: { bucketSize: number; window: number; maxInFlight: number; readTimeoutMs: number; connectTimeoutMs: number; breakerThreshold: number };
  healthy: number;
  blackHoled: number;
  before: HealthyRun;
  mixed: HealthyRun;
  after: HealthyRun;
  blackHole: BlackHoleStats;
  aloneMean: number;
  ratio: number;
}

function blackHoleStats(hookline: Hookline, target: string, reports: number, connections: number): BlackHoleStats {
  const sqlite = hookline.store.sqlite!;
  const attempts: Record<string, number> = {};
  const rows = sqlite.prepare(`select coalesce(error_class, 'ok') as outcome, count(*) as n from attempts where target_url = ? group by 1`).all(target) as Array<{ outcome: string; n: number }>;
  for (const r of rows) attempts[r.outcome] = r.n;
  const health = sqlite.prepare(`select consecutive_failures, opened_at from target_health where target = ?`).get(target) as { consecutive_failures: number; opened_at: number | null } | undefined;
  const waiting = sqlite
    .prepare(`select count(*) as n, sum(attempts > 0) as attempted from deliveries where target_url = ? and state in ('PENDING', 'RETRYING')`)
    .get(target) as { n: number; attempted: number | null };
  return {
    reports,
    connections,
    attempts,
    breakerOpen: health?.opened_at != null,
    consecutiveFailures: health?.consecutive_failures ?? 0,
    waiting: waiting.n,
    waitingAttempted: waiting.attempted ?? 0,
  };
}

/** One run: N healthy reports (and M black-holed ones) pre-loaded, then only the dispatcher started. */
async function healthyRun(
  receiver: ReceiverProcess,
  opts: { healthy: number; blackHoled: number; bucketSize: number; timeoutSeconds: number },
): Promise<{ run: HealthyRun; settings: IsolationResult['settings']; blackHole: BlackHoleStats | null }> {
  const temp = tempDir();
  const hookline = await createGateway({ dir: temp.dir, env: { WEBHOOK_BUCKET_SIZE: String(opts.bucketSize) } });
  const healthyUrl = `${receiver.url}/hook`;
  const blackHoleUrl = `${receiver.blackHoleUrl}/hook`;
  try {
    const { config } = hookline;
    const settings = {
      bucketSize: config.webhookBucketSize,
      window: config.webhookWindow,
      maxInFlight: config.webhookMaxInFlight,
      readTimeoutMs: config.webhookReadTimeoutMs,
      connectTimeoutMs: config.webhookConnectTimeoutMs,
      breakerThreshold: config.webhookBreakerThreshold,
    };
    for (let s = 0; s < SLICES; s++) {
      const share = (total: number) => Math.floor((total * (s + 1)) / SLICES) - Math.floor((total * s) / SLICES);
      if (share(opts.healthy) > 0) await preloadOutbox(hookline, share(opts.healthy), healthyUrl);
      if (share(opts.blackHoled) > 0) await preloadOutbox(hookline, share(opts.blackHoled), blackHoleUrl);
    }
    await receiver.reset();

    const started = performance.timeOrigin + performance.now();
    const cpu = process.cpuUsage();
    hookline.dispatcher.startHeartbeat();
    hookline.loops.dispatcher.start();
    const reached = await receiver.waitForCount(opts.healthy, opts.timeoutSeconds * 1_000);
    const cpuUsed = process.cpuUsage(cpu);
    const end = reached?.at ?? performance.timeOrigin + performance.now();
    const stats = await receiver.stats();
    const delivered = reached?.count ?? stats.count;
    const seconds = (end - started) / 1_000;
    const run = {
      reports: opts.healthy,
      delivered,
      seconds,
      perSecond: delivered / seconds,
      cpuMicrosPerReport: (cpuUsed.user + cpuUsed.system) / Math.max(1, delivered),
      timedOut: reached === null,
    };
    const blackHole = opts.blackHoled > 0 ? blackHoleStats(hookline, blackHoleUrl, opts.blackHoled, stats.blackHoleConnections) : null;
    return { run, settings, blackHole };
  } finally {
    // Black-holed requests still in flight hold stop() for at most its grace period (10 s).
    await hookline.stop();
    temp.remove();
  }
}

export async function isolationScenario(
  receiver: ReceiverProcess,
  opts: { healthy: number; blackHoled: number; bucketSize: number; timeoutSeconds: number; log?: (message: string) => void },
): Promise<IsolationResult> {
  const log = opts.log ?? (() => {});
  const alone = { ...opts, blackHoled: 0 };
  log(`(h) healthy target alone, ${fmt(opts.healthy)} reports (before)`);
  const before = await healthyRun(receiver, alone);
  log(`(h) healthy target with ${fmt(opts.blackHoled)} reports to the black hole beside it`);
  const mixed = await healthyRun(receiver, opts);
  log(`(h) healthy target alone, ${fmt(opts.healthy)} reports (after)`);
  const after = await healthyRun(receiver, alone);
  const aloneMean = (before.run.perSecond + after.run.perSecond) / 2;
  return {
    settings: mixed.settings,
    healthy: opts.healthy,
    blackHoled: opts.blackHoled,
    before: before.run,
    mixed: mixed.run,
    after: after.run,
    blackHole: mixed.blackHole!,
    aloneMean,
    ratio: mixed.run.perSecond / aloneMean,
  };
}

const timedOut = (run: HealthyRun) => (run.timedOut ? `, TIMED OUT at ${fmt(run.delivered)}` : '');

export function isolationRows(h: IsolationResult): Row[] {
  const s = h.settings;
  const b = h.blackHole;
  const attempts = Object.entries(b.attempts).map(([outcome, n]) => `${fmt(n)} ${outcome}`).join(', ') || 'none';
  const settings =
    `WEBHOOK_BUCKET_SIZE=${s.bucketSize}; defaults: WEBHOOK_WINDOW=${s.window}, WEBHOOK_MAX_IN_FLIGHT=${s.maxInFlight}, ` +
    `WEBHOOK_CONNECT_TIMEOUT_MS=${s.connectTimeoutMs}, WEBHOOK_READ_TIMEOUT_MS=${s.readTimeoutMs}, WEBHOOK_BREAKER_THRESHOLD=${s.breakerThreshold}`;
  return [
    {
      id: 'h',
      measure:
        `healthy target alone, dispatcher reports/s, ${fmt(h.healthy)} pre-loaded reports, ${settings} ` +
        `(before ${fmt(h.before.perSecond)} in ${fmt(h.before.seconds, 1)} s${timedOut(h.before)}, after ${fmt(h.after.perSecond)} in ${fmt(h.after.seconds, 1)} s${timedOut(h.after)}; ` +
        `${fmt(h.before.cpuMicrosPerReport)} / ${fmt(h.after.cpuMicrosPerReport)} µs CPU/report)`,
      result: `${fmt(h.aloneMean)} reports/s`,
      target: '(reference)',
    },
    {
      id: 'h',
      measure:
        `healthy target beside a black-holed one (TCP accept, never answers): ${fmt(h.mixed.delivered)} of ${fmt(h.healthy)} healthy reports in ${fmt(h.mixed.seconds, 1)} s` +
        `${timedOut(h.mixed)} (${fmt(h.mixed.cpuMicrosPerReport)} µs CPU/healthy report), ${fmt(h.blackHoled)} black-holed reports pre-loaded interleaved, same settings; ` +
        `by then the black hole had accepted ${fmt(b.connections)} connections, attempts recorded: ${attempts}; breaker ${b.breakerOpen ? 'open' : 'closed'} ` +
        `(${fmt(b.consecutiveFailures)} consecutive failures); ${fmt(b.waiting)} of its deliveries waiting (${fmt(b.waitingAttempted)} of them attempted)`,
      result: `${fmt(h.mixed.perSecond)} reports/s`,
      target: '',
    },
    {
      id: 'h ratio',
      measure: 'healthy target beside the black hole / alone (mean of before and after)',
      result: fmt(h.ratio, 2),
      target: `≥ ${fmt(ISOLATION_TARGET, 2)}`,
      pass: h.ratio >= ISOLATION_TARGET && !h.mixed.timedOut && !h.before.timedOut && !h.after.timedOut,
    },
  ];
}

// `npx tsx bench/isolation.ts` runs this scenario alone, with the sizes of (h) in bench/run.ts.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const began = performance.now();
  const receiver = await ReceiverProcess.start();
  try {
    const h = await isolationScenario(receiver, { healthy: 30_000, blackHoled: 1_000, bucketSize: 1, timeoutSeconds: 90, log: console.log });
    console.log(`\n${textTable(isolationRows(h))}\n\nTotal run time: ${fmt((performance.now() - began) / 1_000)} s`);
  } finally {
    await receiver.stop();
  }
}

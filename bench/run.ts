/**
 * `npm run bench`: every scenario once, in one run, then a table on stdout and the same table
 * as markdown in bench/out/results.md (with the raw figures in bench/out/results.json).
 *
 *  (a) raw undici POSTs/s of a one-report v3 body to the receiver child
 *  (b) the dispatcher alone at WEBHOOK_BUCKET_SIZE=1, and b/a
 *  (c) raw undici with a 100-report body and the dispatcher at bucket size 100, in reports/s
 *  (d) end-to-end SMS/s through POST /sms/3/messages, beside a bare better-sqlite3 baseline
 *  (e) intake → receipt latency at a paced 1,000 SMS/s
 *  (f) peak RSS and dispatcher pass time with 1,000,000 deliveries pending retry vs 1,000
 *  (g) verifications/s of the auth step alone per scheme, against the send API's requests/s
 *  (h) a healthy target's reports/s beside a black-holed target (accepts connections, never
 *      answers), against its rate alone, at the gateway's default window, timeouts and breaker
 *  (i) SMPP end to end (POST → submit_sm → receipt → webhook) against the SMSC simulator in its
 *      own process, unpaced and at a paced 1,000 SMS/s, beside the bare smpp library loop
 *
 * The machine is shared, so each raw limit is measured just before and just after the
 * dispatcher run it is compared with, and the ratio uses their mean.
 * Traffic stays on loopback, every loop is bounded, generated databases live in temp dirs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { authRows, authScenario } from './auth.ts';
import { backlogScenario } from './backlog.ts';
import { sqliteBaseline } from './baseline.ts';
import { dispatcherRate } from './dispatcher.ts';
import { endToEndRate, pacedLatency, type LatencyResult } from './e2e.ts';
import { v3Body } from './fixtures.ts';
import { isolationRows, isolationScenario } from './isolation.ts';
import { rawPostRate, type RawResult } from './raw.ts';
import { smppRows, smppScenario } from './smpp.ts';
import { ReceiverProcess } from './receiver-client.ts';
import { fmt, markdownTable, textTable, type Row } from './report.ts';

/** One connection count for (a)–(c): WEBHOOK_WINDOW for the dispatcher, undici connections for the raw runs. */
const CONNECTIONS = 32;
const RAW_SECONDS = 4;
const B_REPORTS = 30_000;
const C_REPORTS = 200_000;
const D_REQUESTS = 500;
const D_DESTINATIONS = 100;
const D_CLIENTS = 8;
/** 1,000 SMS/s two ways: few large requests, and many small ones. */
const E_RATES = [
  { requestsPerSecond: 10, destinations: 100, seconds: 10 },
  { requestsPerSecond: 100, destinations: 10, seconds: 10 },
];
const F_BACKLOG = 1_000_000;
const F_SMALL = 1_000;
const F_DUE = 2_000;
const F_TARGETS = 50;
const F_PASSES = 7;
const G_REQUESTS = 2_000;
const G_CLIENTS = 8;
const G_SECONDS = 3;
/** Long enough at bucket 1 that the black hole's requests time out (10 s) well inside the mixed run. */
const H_HEALTHY = 30_000;
/** More than a window's worth, so the black-holed target keeps due deliveries waiting behind its breaker. */
const H_BLACK_HOLED = 1_000;
const TIMEOUT_SECONDS = 90;

const gatewayEnv = { WEBHOOK_WINDOW: String(CONNECTIONS), SIMULATOR_DELAY_MS: '0' };
const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Raw limit around a measurement: before, after, and the mean the ratio uses. */
async function bracketed<T>(raw: () => Promise<RawResult>, measure: () => Promise<T>): Promise<{ before: RawResult; after: RawResult; mean: number; result: T }> {
  const before = await raw();
  const result = await measure();
  const after = await raw();
  return { before, after, mean: (before.perSecond + after.perSecond) / 2, result };
}

async function main() {
  const began = performance.now();
  const loadAtStart = load();
  log(`node ${process.version}, ${cpus().length} cores, load ${loadAtStart}, ${CONNECTIONS} connections / WEBHOOK_WINDOW=${CONNECTIONS}`);
  const receiver = await ReceiverProcess.start();
  log(`receiver child pid ${receiver.pid} at ${receiver.url}`);
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  try {
    // (a) and (b)
    const oneBody = v3Body(1);
    log(`(a) raw undici, ${oneBody.length}-byte one-report body, ${RAW_SECONDS} s before and after (b)`);
    log(`(b) dispatcher, bucket 1, ${fmt(B_REPORTS)} reports pre-loaded`);
    const ab = await bracketed(
      () => rawPostRate(`${receiver.url}/hook`, oneBody, CONNECTIONS, RAW_SECONDS),
      () => dispatcherRate(receiver, { reports: B_REPORTS, bucketSize: 1, window: CONNECTIONS, timeoutSeconds: TIMEOUT_SECONDS }),
    );
    const b = ab.result;
    raw.ab = ab;
    rows.push({
      id: 'a',
      measure: `raw undici POST/s, 1-report v3 body (${oneBody.length} B), ${CONNECTIONS} connections (before ${fmt(ab.before.perSecond)}, after ${fmt(ab.after.perSecond)}; client ${fmt(ab.before.cpuMicrosPerRequest)} µs CPU/request)`,
      result: `${fmt(ab.mean)} POST/s`,
      target: '(reference)',
    });
    rows.push({
      id: 'b',
      measure: `dispatcher reports/s, WEBHOOK_BUCKET_SIZE=1, ${fmt(b.delivered)} of ${fmt(b.reports)} pre-loaded reports (${fmt(b.cpuMicrosPerReport)} µs CPU/report${b.timedOut ? ', TIMED OUT' : ''})`,
      result: `${fmt(b.perSecond)} reports/s`,
      target: '',
    });
    const ba = b.perSecond / ab.mean;
    rows.push({ id: 'b/a', measure: 'dispatcher / raw, bucket 1', result: fmt(ba, 2), target: '≥ 0.70', pass: ba >= 0.7 && !b.timedOut });

    // (c)
    const batchBody = v3Body(100);
    log(`(c) raw undici, ${batchBody.length}-byte 100-report body, ${RAW_SECONDS} s before and after; dispatcher, bucket 100, ${fmt(C_REPORTS)} reports pre-loaded`);
    const cc = await bracketed(
      () => rawPostRate(`${receiver.url}/hook`, batchBody, CONNECTIONS, RAW_SECONDS),
      () => dispatcherRate(receiver, { reports: C_REPORTS, bucketSize: 100, window: CONNECTIONS, timeoutSeconds: TIMEOUT_SECONDS }),
    );
    const c = cc.result;
    raw.c = cc;
    const cRawReports = cc.mean * 100;
    rows.push({
      id: 'c',
      measure: `raw undici, 100-report v3 body (${fmt(batchBody.length)} B), ${CONNECTIONS} connections (${fmt(cc.mean)} POST/s; before ${fmt(cc.before.perSecond)}, after ${fmt(cc.after.perSecond)})`,
      result: `${fmt(cRawReports)} reports/s`,
      target: '(reference)',
    });
    rows.push({
      id: 'c',
      measure: `dispatcher reports/s, WEBHOOK_BUCKET_SIZE=100, ${fmt(c.delivered)} of ${fmt(c.reports)} pre-loaded reports (${fmt(c.cpuMicrosPerReport, 1)} µs CPU/report${c.timedOut ? ', TIMED OUT' : ''})`,
      result: `${fmt(c.perSecond)} reports/s`,
      target: '',
    });
    const cr = c.perSecond / cRawReports;
    rows.push({ id: 'c ratio', measure: 'dispatcher / raw, bucket 100', result: fmt(cr, 2), target: '≥ 0.50', pass: cr >= 0.5 && !c.timedOut });

    // (d)
    const dSms = D_REQUESTS * D_DESTINATIONS;
    log(`(d) end to end, ${fmt(dSms)} SMS in ${D_REQUESTS} requests × ${D_DESTINATIONS}, ${D_CLIENTS} clients`);
    const d = await endToEndRate(receiver, { requests: D_REQUESTS, destinations: D_DESTINATIONS, clients: D_CLIENTS, env: gatewayEnv, timeoutSeconds: TIMEOUT_SECONDS });
    log(`(d) bare better-sqlite3 baseline, ${fmt(dSms)} SMS`);
    const base = await sqliteBaseline({ sms: dSms, perRequest: D_DESTINATIONS, perPass: 1_000, bucketSize: 100, targetUrl: `${receiver.url}/hook` });
    raw.d = { gateway: d, baseline: base };
    rows.push({
      id: 'd',
      measure: `end-to-end SMS/s, POST /sms/3/messages → simulator → receiver, ${D_CLIENTS} clients × ${D_DESTINATIONS} destinations, bucket 100 (intake alone ${fmt(dSms / d.intakeSeconds)}/s; ${fmt(d.cpuMicrosPerSms)} µs CPU/SMS${d.timedOut ? ', TIMED OUT' : ''})`,
      result: `${fmt(d.perSecond)} SMS/s`,
      target: '≥ 10,000 SMS/s',
      pass: d.perSecond >= 10_000 && !d.timedOut,
    });
    rows.push({ id: 'd', measure: 'bare better-sqlite3, same lifecycle and transaction batching, same schema and pragmas (baseline)', result: `${fmt(base.perSecond)} SMS/s`, target: '(reference)' });
    rows.push({ id: 'd ratio', measure: 'gateway / bare SQLite', result: fmt(d.perSecond / base.perSecond, 2), target: '(context)' });

    // (e)
    const latencies: LatencyResult[] = [];
    for (const rate of E_RATES) {
      const eSms = rate.requestsPerSecond * rate.destinations;
      log(`(e) latency at ${fmt(eSms)} SMS/s (${rate.requestsPerSecond} req/s × ${rate.destinations}) for ${rate.seconds} s`);
      const e = await pacedLatency(receiver, { ...rate, env: gatewayEnv, timeoutSeconds: TIMEOUT_SECONDS });
      latencies.push(e);
      rows.push({
        id: 'e',
        measure: `intake → receipt at ${fmt(eSms)} SMS/s = ${rate.requestsPerSecond} req/s × ${rate.destinations} destinations for ${rate.seconds} s (${fmt(e.received)} of ${fmt(e.sms)} matched; p90 ${fmt(e.p90, 1)} ms, max ${fmt(e.max, 1)} ms)`,
        result: `p50 ${fmt(e.p50, 1)} ms, p99 ${fmt(e.p99, 1)} ms`,
        target: 'p99 < 50 ms',
        pass: e.p99 < 50 && e.received === e.sms,
      });
    }
    raw.e = latencies;

    // (f)
    log(`(f) ${fmt(F_SMALL)} and ${fmt(F_BACKLOG)} deliveries pending retry (+${fmt(F_DUE)} due each, ${F_TARGETS} targets); two gateway processes, passes alternating`);
    const [small, big] = await backlogScenario({ pending: [F_SMALL, F_BACKLOG], due: F_DUE, targets: F_TARGETS, receiverUrl: receiver.url, passes: F_PASSES });
    raw.f = { small, big };
    log(`(f) populated ${fmt(F_BACKLOG)} in ${fmt(big.populateSeconds, 1)} s, ${fmt(big.dbMb)} MB`);
    rows.push({
      id: 'f',
      measure: `peak RSS (VmHWM) of a gateway process with ${fmt(F_BACKLOG)} deliveries RETRYING (${fmt(big.dbMb)} MB database; startup lease release ${fmt(big.releaseMs)} ms); with ${fmt(F_SMALL)}: ${fmt(small.vmHwmMb)} MB`,
      result: `${fmt(big.vmHwmMb)} MB`,
      target: '< 300 MB',
      pass: big.vmHwmMb < 300,
    });
    const passRatio = big.medianPassMs / small.medianPassMs;
    rows.push({
      id: 'f',
      measure: `dispatcher pass (form + claim ${fmt(big.delivered / F_PASSES)} + next-due) with ${fmt(F_DUE)} due over ${F_TARGETS} targets, median of ${F_PASSES}, ${fmt(F_BACKLOG)} vs ${fmt(F_SMALL)} pending retry (CPU ${fmt(big.medianPassCpuMs, 1)} vs ${fmt(small.medianPassCpuMs, 1)} ms)`,
      result: `${fmt(big.medianPassMs, 1)} ms vs ${fmt(small.medianPassMs, 1)} ms (${fmt(passRatio, 2)}×)`,
      target: '≤ 2×',
      pass: passRatio <= 2,
    });

    // (g)
    log(`(g) auth: ${fmt(G_REQUESTS)} one-destination sends (${G_CLIENTS} clients) before and after ${G_SECONDS} s of verifications per scheme`);
    const g = await authScenario(receiver, { requests: G_REQUESTS, clients: G_CLIENTS, loopSeconds: G_SECONDS, env: gatewayEnv, timeoutSeconds: TIMEOUT_SECONDS });
    raw.g = g;
    rows.push(...authRows(g));

    // (h)
    log(`(h) isolation: ${fmt(H_HEALTHY)} reports to a healthy target alone, beside ${fmt(H_BLACK_HOLED)} to a black hole (${receiver.blackHoleUrl}), alone again; bucket 1, default window, timeouts and breaker`);
    const h = await isolationScenario(receiver, { healthy: H_HEALTHY, blackHoled: H_BLACK_HOLED, bucketSize: 1, timeoutSeconds: TIMEOUT_SECONDS, log });
    raw.h = h;
    rows.push(...isolationRows(h));

    // (i)
    const i = await smppScenario(receiver, gatewayEnv, log);
    raw.i = i;
    rows.push(...smppRows(i));
  } finally {
    await receiver.stop();
  }

  const seconds = (performance.now() - began) / 1_000;
  const header = [
    `Date: ${new Date().toISOString().slice(0, 10)}`,
    `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.version}; load average ${loadAtStart} at start, ${load()} at end`,
    `Command: npm run bench`,
    `Connections for (a)–(c): ${CONNECTIONS} (undici connections / WEBHOOK_WINDOW=${CONNECTIONS}); receiver: a separate node:http child process`,
    `Total run time: ${fmt(seconds)} s`,
  ];
  console.log(`\n${header.join('\n')}\n\n${textTable(rows)}\n`);
  const outDir = new URL('./out/', import.meta.url);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(new URL('results.md', outDir), `# Hookline benchmark results\n\n${header.map((h) => `- ${h}`).join('\n')}\n\n${markdownTable(rows)}\n`);
  writeFileSync(new URL('results.json', outDir), JSON.stringify({ header, rows, raw }, null, 2));
  log('wrote bench/out/results.md and bench/out/results.json');
}

await main();

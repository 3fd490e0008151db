/**
 * (i) SMPP end to end: POST /sms/3/messages → the gateway's SMPP connection → the SMSC simulator
 * (its own process, bench/smsc-child.ts) → deliver_sm receipts → reports pushed to the receiver
 * child. Beside it, in the same run and against the same SMSC process, the library's bare
 * submit → receipt loop without Hookline (bench/smpp-baseline.ts): the physical limit of this
 * machine, library and simulator. CPU seconds are given per process.
 *
 * Run alone with `npm run bench:smpp`; `npm run bench` runs it as (i).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { endToEndRate, pacedLatency, type LatencyResult, type ThroughputResult } from './e2e.ts';
import { tempDir } from './fixtures.ts';
import { ReceiverProcess } from './receiver-client.ts';
import { fmt, textTable, type Row } from './report.ts';
import { bareSmppLoop, type BareSmppResult } from './smpp-baseline.ts';
import { SmscProcess } from './smsc-client.ts';

/**
 * Window per bind, and binds, for Hookline and the bare loop alike. Hookline's event loop also
 * runs intake, the network pass and the dispatcher, whose synchronous SQLite work holds it for
 * milliseconds at a time: at a window of 100 the submits waited on it (≈ 1,100 SMS/s, the SMPP
 * queue growing), at 500 they keep up with intake.
 */
const WINDOW = 500;
const BINDS = 1;
const BASELINE_WINDOWS = [100, WINDOW];
const BASELINE_MESSAGES = 30_000;
const UNPACED = { requests: 300, destinations: 100, clients: 8 };
const PACED = [
  { requestsPerSecond: 10, destinations: 100, seconds: 10 },
  { requestsPerSecond: 100, destinations: 10, seconds: 10 },
];
const TIMEOUT_SECONDS = 120;

export interface ProcessCpu {
  gatewayAndClients: number;
  smsc: number;
  receiver: number;
}

export interface SmppBenchResult {
  baseline: BareSmppResult & { window: number; smscCpuSeconds: number };
  unpaced: ThroughputResult & { cpu: ProcessCpu };
  paced: Array<LatencyResult & { smsPerSecond: number; cpu: ProcessCpu }>;
}

async function measured<T>(smsc: SmscProcess, receiver: ReceiverProcess, run: () => Promise<T>): Promise<{ result: T; cpu: ProcessCpu }> {
  const [smsc0, receiver0] = await Promise.all([smsc.cpuSeconds(), receiver.cpuSeconds()]);
  const own = process.cpuUsage();
  const result = await run();
  const ownUsed = process.cpuUsage(own);
  const [smsc1, receiver1] = await Promise.all([smsc.cpuSeconds(), receiver.cpuSeconds()]);
  return { result, cpu: { gatewayAndClients: (ownUsed.user + ownUsed.system) / 1e6, smsc: smsc1 - smsc0, receiver: receiver1 - receiver0 } };
}

export async function smppScenario(receiver: ReceiverProcess, gatewayEnv: Record<string, string>, log: (line: string) => void): Promise<SmppBenchResult> {
  const smsc = await SmscProcess.start({ allDelivered: true });
  const config = tempDir();
  const file = join(config.dir, 'smpp.json');
  writeFileSync(
    file,
    JSON.stringify({
      connections: [{ name: 'smsc', host: '127.0.0.1', port: smsc.port, systemId: 'bench', password: 'bench', window: WINDOW, binds: BINDS }],
      routes: [{ prefix: '', target: 'smsc' }],
    }),
  );
  const env = { ...gatewayEnv, SMPP_CONFIG_FILE: file };
  try {
    // The bare loop at Hookline's window and at its own best (a smaller window queues less in the SMSC): the faster is the reference.
    const baselines: SmppBenchResult['baseline'][] = [];
    for (const window of BASELINE_WINDOWS) {
      log(`(i) bare smpp library loop: ${fmt(BASELINE_MESSAGES)} submit_sm → receipt, window ${window}, ${BINDS} bind`);
      const smscBefore = await smsc.cpuSeconds();
      const bare = await bareSmppLoop(smsc.port, { messages: BASELINE_MESSAGES, window, binds: BINDS });
      baselines.push({ ...bare, window, smscCpuSeconds: (await smsc.cpuSeconds()) - smscBefore });
    }
    const baseline = baselines.reduce((best, b) => (b.perSecond > best.perSecond ? b : best));

    const sms = UNPACED.requests * UNPACED.destinations;
    log(`(i) Hookline over SMPP, unpaced: ${fmt(sms)} SMS (${UNPACED.requests} requests × ${UNPACED.destinations}, ${UNPACED.clients} clients)`);
    const unpaced = await measured(smsc, receiver, () => endToEndRate(receiver, { ...UNPACED, env, timeoutSeconds: TIMEOUT_SECONDS }));

    const paced: SmppBenchResult['paced'] = [];
    for (const rate of PACED) {
      const smsPerSecond = rate.requestsPerSecond * rate.destinations;
      log(`(i) Hookline over SMPP, paced ${fmt(smsPerSecond)} SMS/s (${rate.requestsPerSecond} req/s × ${rate.destinations}) for ${rate.seconds} s`);
      const run = await measured(smsc, receiver, () => pacedLatency(receiver, { ...rate, env, timeoutSeconds: TIMEOUT_SECONDS }));
      paced.push({ ...run.result, smsPerSecond, cpu: run.cpu });
    }
    return { baseline, unpaced: { ...unpaced.result, cpu: unpaced.cpu }, paced };
  } finally {
    await smsc.stop();
    rmSync(config.dir, { recursive: true, force: true });
  }
}

const cpuText = (cpu: ProcessCpu) => `CPU s: gateway+clients ${fmt(cpu.gatewayAndClients, 2)}, SMSC ${fmt(cpu.smsc, 2)}, receiver ${fmt(cpu.receiver, 2)}`;

export function smppRows(r: SmppBenchResult): Row[] {
  const u = r.unpaced;
  const rows: Row[] = [
    {
      id: 'i',
      measure: `bare smpp library, submit_sm → receipt, window ${r.baseline.window} (the faster of ${BASELINE_WINDOWS.join(' and ')}), ${BINDS} bind, ${fmt(r.baseline.messages)} messages (p50 ${fmt(r.baseline.p50Ms, 1)} ms, p99 ${fmt(r.baseline.p99Ms, 1)} ms; CPU s: client ${fmt(r.baseline.cpuSeconds, 2)}, SMSC ${fmt(r.baseline.smscCpuSeconds, 2)}) (baseline)`,
      result: `${fmt(r.baseline.perSecond)} SMS/s`,
      target: '(reference)',
    },
    {
      id: 'i',
      measure: `POST /sms/3/messages → SMPP → receipt → webhook, unpaced, ${fmt(u.delivered)} of ${fmt(u.sms)} (${cpuText(u.cpu)}; ${fmt((u.cpu.gatewayAndClients * 1e6) / Math.max(1, u.delivered))} µs gateway+clients CPU per SMS)`,
      result: `${fmt(u.perSecond)} SMS/s`,
      target: '≥ 4,500 SMS/s',
      pass: u.perSecond >= 4_500 && !u.timedOut,
    },
    { id: 'i ratio', measure: 'Hookline over SMPP / bare library loop', result: fmt(u.perSecond / r.baseline.perSecond, 2), target: '(context)' },
  ];
  for (const p of r.paced) {
    rows.push({
      id: 'i',
      measure: `intake → webhook over SMPP at a paced ${fmt(p.smsPerSecond)} SMS/s (${fmt(p.received)} of ${fmt(p.sms)} matched; p90 ${fmt(p.p90, 1)} ms, max ${fmt(p.max, 1)} ms; ${cpuText(p.cpu)})`,
      result: `p50 ${fmt(p.p50, 1)} ms, p99 ${fmt(p.p99, 1)} ms`,
      target: 'p99 < 50 ms',
      pass: p.p99 < 50 && p.received === p.sms,
    });
  }
  return rows;
}

// `npm run bench:smpp`: this scenario alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const receiver = await ReceiverProcess.start();
  try {
    const result = await smppScenario(receiver, { WEBHOOK_WINDOW: '32' }, log);
    console.log(textTable(smppRows(result)));
    console.log(JSON.stringify(result));
  } finally {
    await receiver.stop();
  }
}

/**
 * A gateway process for the backlog scenario: opens the database it is given, listens, gives
 * back stale leases as start() would, runs the network and sweeper loops as in production, and
 * runs a dispatcher pass whenever the parent asks (waiting for that pass's POSTs to be
 * recorded before answering). Reports each pass's wall and CPU time, and at the end its peak
 * RSS (sampled, and the kernel's VmHWM).
 *
 * IPC: child → parent ready {openMs, releaseMs}; parent → child pass | finish;
 * child → parent passed {ms, cpuMs} | finished {…}.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { createHookline } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

export interface BacklogChildReport {
  rssPeakMb: number;
  vmHwmMb: number;
  delivered: number;
}

const [dbPath] = process.argv.slice(2);

let rssPeak = 0;
const sample = () => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss));
const sampler = setInterval(sample, 10);

function vmHwmBytes(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return line ? Number(line.replace(/\D+/g, '')) * 1024 : NaN;
}

const opened = performance.now();
const config = loadConfig({ PORT: '0', API_KEY: 'bench-key-0123456789abcdef', DATABASE_URL: `sqlite:${dbPath}`, LOG_LEVEL: 'warn', SIMULATOR_DELAY_MS: '0', WEBHOOK_WINDOW: '32' });
const hookline = await createHookline(config, { logger: pino({ level: config.logLevel }) });
await hookline.server.listen({ port: 0, host: '127.0.0.1' });
const openMs = performance.now() - opened;
sample();

const releaseStarted = performance.now();
await hookline.dispatcher.releaseStaleLeases();
const releaseMs = performance.now() - releaseStarted;
sample();
hookline.loops.network.start();
hookline.loops.sweeper.start();

const { sqlite } = hookline.store;
const deliveredCount = () => sqlite!.prepare(`select count(*) from deliveries where state = 'DELIVERED'`).pluck().get() as number;
const delivered0 = deliveredCount();

process.on('message', async (message: { type: string }) => {
  if (message.type === 'pass') {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await hookline.dispatcher.pass(Date.now());
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    sample();
    await hookline.dispatcher.drain(10_000);
    sample();
    process.send!({ type: 'passed', ms, cpuMs: (used.user + used.system) / 1_000 });
  } else if (message.type === 'finish') {
    clearInterval(sampler);
    sample();
    const report: BacklogChildReport = { rssPeakMb: rssPeak / 1_048_576, vmHwmMb: vmHwmBytes() / 1_048_576, delivered: deliveredCount() - delivered0 };
    await hookline.stop();
    process.send!({ type: 'finished', ...report }, () => process.exit(0));
  }
});
process.send!({ type: 'ready', openMs, releaseMs });

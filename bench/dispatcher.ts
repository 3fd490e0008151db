/**
 * The dispatcher alone: N reports are pre-loaded READY in the outbox with every loop stopped,
 * then only the dispatcher loop is started and timed until the receiver has counted N.
 */
import { createGateway, preloadOutbox, tempDir } from './fixtures.ts';
import type { ReceiverProcess } from './receiver-client.ts';

export interface DispatcherResult {
  reports: number;
  delivered: number;
  seconds: number;
  perSecond: number;
  preloadSeconds: number;
  /** CPU time of this process (the gateway) per delivered report, in microseconds. */
  cpuMicrosPerReport: number;
  timedOut: boolean;
}

export async function dispatcherRate(
  receiver: ReceiverProcess,
  opts: { reports: number; bucketSize: number; window: number; timeoutSeconds: number },
): Promise<DispatcherResult> {
  const temp = tempDir();
  const hookline = await createGateway({
    dir: temp.dir,
    env: { WEBHOOK_BUCKET_SIZE: String(opts.bucketSize), WEBHOOK_WINDOW: String(opts.window) },
  });
  try {
    const loadStart = performance.now();
    await preloadOutbox(hookline, opts.reports, `${receiver.url}/hook`);
    const preloadSeconds = (performance.now() - loadStart) / 1_000;
    await receiver.reset();

    const started = performance.timeOrigin + performance.now();
    const cpu = process.cpuUsage();
    hookline.loops.dispatcher.start();
    const reached = await receiver.waitForCount(opts.reports, opts.timeoutSeconds * 1_000);
    const cpuUsed = process.cpuUsage(cpu);
    const end = reached?.at ?? performance.timeOrigin + performance.now();
    const delivered = reached?.count ?? (await receiver.stats()).count;
    const seconds = (end - started) / 1_000;
    const cpuMicrosPerReport = (cpuUsed.user + cpuUsed.system) / Math.max(1, delivered);
    return { reports: opts.reports, delivered, seconds, perSecond: delivered / seconds, preloadSeconds, cpuMicrosPerReport, timedOut: reached === null };
  } finally {
    await hookline.stop();
    temp.remove();
  }
}

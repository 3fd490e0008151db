/**
 * End to end through the real HTTP API: POST /sms/3/messages → intake → network worker with
 * the simulator (SIMULATOR_DELAY_MS=0) → events → outbox → dispatcher → the receiver child.
 */
import { Agent, request } from 'undici';
import { API_KEY, createGateway, destination, TEXT, tempDir } from './fixtures.ts';
import type { ReceiverProcess } from './receiver-client.ts';

const epochNow = () => performance.timeOrigin + performance.now();

export function requestBody(receiverUrl: string, first: number, destinations: number): string {
  return JSON.stringify({
    messages: [
      {
        sender: 'Hookline',
        destinations: Array.from({ length: destinations }, (_, i) => ({ to: destination(first + i) })),
        content: { text: TEXT },
        webhooks: { delivery: { url: `${receiverUrl}/hook` }, contentType: 'application/json' },
      },
    ],
  });
}

export interface Client {
  post(body: string): Promise<string[]>;
  close(): Promise<void>;
}

export function client(baseUrl: string, connections: number): Client {
  const agent = new Agent({ connections, keepAliveTimeout: 10_000 });
  const headers = { authorization: `App ${API_KEY}`, 'content-type': 'application/json', accept: 'application/json' };
  return {
    async post(body) {
      const response = await request(`${baseUrl}/sms/3/messages`, { method: 'POST', dispatcher: agent, body, headers });
      const json = (await response.body.json()) as { messages?: Array<{ messageId: string }> };
      if (response.statusCode !== 200) throw new Error(`gateway answered ${response.statusCode}: ${JSON.stringify(json).slice(0, 300)}`);
      return json.messages!.map((m) => m.messageId);
    },
    close: () => agent.close(),
  };
}

export interface ThroughputResult {
  sms: number;
  delivered: number;
  seconds: number;
  perSecond: number;
  intakeSeconds: number;
  /** CPU time of this process (gateway and load clients) per delivered SMS, in microseconds. */
  cpuMicrosPerSms: number;
  timedOut: boolean;
}

export async function endToEndRate(
  receiver: ReceiverProcess,
  opts: { requests: number; destinations: number; clients: number; env: Record<string, string>; timeoutSeconds: number },
): Promise<ThroughputResult> {
  const temp = tempDir();
  const hookline = await createGateway({ dir: temp.dir, env: opts.env });
  const baseUrl = await hookline.start();
  const api = client(baseUrl, opts.clients);
  try {
    const bodies = Array.from({ length: opts.requests }, (_, i) => requestBody(receiver.url, i * opts.destinations, opts.destinations));
    const sms = opts.requests * opts.destinations;
    await receiver.reset();
    const started = epochNow();
    const cpu = process.cpuUsage();
    let next = 0;
    const intake = Promise.all(
      Array.from({ length: opts.clients }, async () => {
        while (next < bodies.length) await api.post(bodies[next++]);
      }),
    ).then(() => epochNow());
    const reached = await receiver.waitForCount(sms, opts.timeoutSeconds * 1_000);
    const intakeDone = await intake;
    const cpuUsed = process.cpuUsage(cpu);
    const end = reached?.at ?? epochNow();
    const delivered = reached?.count ?? (await receiver.stats()).count;
    const seconds = (end - started) / 1_000;
    const cpuMicrosPerSms = (cpuUsed.user + cpuUsed.system) / Math.max(1, delivered);
    return { sms, delivered, seconds, perSecond: delivered / seconds, intakeSeconds: (intakeDone - started) / 1_000, cpuMicrosPerSms, timedOut: reached === null };
  } finally {
    await api.close();
    await hookline.stop();
    temp.remove();
  }
}

export interface LatencyResult {
  sms: number;
  received: number;
  seconds: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Open-loop: request i is sent at start + i / rate, whether or not earlier ones were answered. */
export async function pacedLatency(
  receiver: ReceiverProcess,
  opts: { requestsPerSecond: number; destinations: number; seconds: number; env: Record<string, string>; timeoutSeconds: number },
): Promise<LatencyResult> {
  const temp = tempDir();
  const hookline = await createGateway({ dir: temp.dir, env: opts.env });
  const baseUrl = await hookline.start();
  const api = client(baseUrl, 32);
  try {
    const total = opts.requestsPerSecond * opts.seconds;
    const bodies = Array.from({ length: total }, (_, i) => requestBody(receiver.url, i * opts.destinations, opts.destinations));
    // A short warm-up outside the measurement (JIT, connections, prepared statements).
    await receiver.reset();
    await Promise.all(Array.from({ length: 10 }, (_, i) => api.post(requestBody(receiver.url, 9_000_000 + i * opts.destinations, opts.destinations))));
    await receiver.waitForCount(10 * opts.destinations, 10_000);

    await receiver.reset(true);
    const sentAt = new Map<string, number>();
    const posts: Promise<void>[] = [];
    const start = performance.now() + 20;
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1_000) / opts.requestsPerSecond;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const at = epochNow();
      posts.push(api.post(bodies[i]).then((ids) => ids.forEach((id) => sentAt.set(id, at))));
    }
    await Promise.all(posts);
    const sms = total * opts.destinations;
    await receiver.waitForCount(sms, opts.timeoutSeconds * 1_000);
    const arrivals = await receiver.arrivals();
    const latencies: number[] = [];
    for (const [id, sent] of sentAt) {
      const arrived = arrivals.get(id);
      if (arrived !== undefined) latencies.push(arrived - sent);
    }
    latencies.sort((a, b) => a - b);
    return {
      sms,
      received: latencies.length,
      seconds: (performance.now() - start) / 1_000,
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1],
    };
  } finally {
    await api.close();
    await hookline.stop();
    temp.remove();
  }
}

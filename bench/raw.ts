/**
 * The raw limit: how many POSTs per second undici alone gets through to the receiver with a
 * fixed number of connections, each connection kept busy by one request loop. Same undici and
 * same headers as the dispatcher's HttpSender, minus everything Hookline does around the POST.
 */
import { Agent, request } from 'undici';

export interface RawResult {
  requests: number;
  seconds: number;
  perSecond: number;
  /** CPU time of this process (the undici client) per request, in microseconds. */
  cpuMicrosPerRequest: number;
}

export async function rawPostRate(url: string, body: string, connections: number, seconds: number, warmupSeconds = 1): Promise<RawResult> {
  const agent = new Agent({ connections, keepAliveTimeout: 4_000 });
  const headers = { 'content-type': 'application/json', 'user-agent': 'Hookline-Webhooks/1', 'webhook-id': 'whd_bench', 'webhook-timestamp': '0' };
  const post = async () => {
    const response = await request(url, { method: 'POST', dispatcher: agent, body, headers });
    await response.body.dump();
    if (response.statusCode !== 200) throw new Error(`receiver answered ${response.statusCode}`);
  };
  const run = async (ms: number) => {
    const deadline = performance.now() + ms;
    let done = 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < deadline) {
          await post();
          done++;
        }
      }),
    );
    return done;
  };
  try {
    await run(warmupSeconds * 1_000);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const requests = await run(seconds * 1_000);
    const cpuUsed = process.cpuUsage(cpu);
    const elapsed = (performance.now() - started) / 1_000;
    return { requests, seconds: elapsed, perSecond: requests / elapsed, cpuMicrosPerRequest: (cpuUsed.user + cpuUsed.system) / requests };
  } finally {
    await agent.close();
  }
}

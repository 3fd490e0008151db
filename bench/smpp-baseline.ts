/**
 * Same-run baseline for the SMPP figure: the `smpp` library's bare submit → receipt loop against
 * the simulator SMSC, without Hookline — no HTTP intake, no database, no webhooks. Transceiver
 * binds (TCP_NODELAY, as the gateway sets it), short GSM-7 submit_sm with registered_delivery 1,
 * at most `window` submits awaiting their submit_sm_resp per bind, every deliver_sm answered.
 * Latency is submit_sm written → its receipt read; CPU seconds are this process's.
 *
 * `node --import tsx bench/smpp-baseline.ts [messages] [window] [binds]` runs it against a
 * simulator child process and prints the result with the simulator's CPU seconds.
 */
import { fileURLToPath } from 'node:url';
import smpp, { type Pdu, type Session } from 'smpp';
import { SmscProcess } from './smsc-client.ts';

export interface BareSmppResult {
  messages: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuSeconds: number;
}

const TEXT = 'Your code is 123456. It expires in 10 minutes.';

function bindTransceiver(port: number, timeoutMs: number): Promise<Session> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`bind to 127.0.0.1:${port} timed out`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      session.destroy();
      reject(error);
    };
    const session = smpp.connect({ host: '127.0.0.1', port }, () => {
      session.socket.setNoDelay(true);
      session.bind_transceiver({ system_id: 'bench', password: 'bench' }, (resp: Pdu) => {
        if (resp.command_status !== 0) return fail(new Error(`bind refused: status ${resp.command_status}`));
        clearTimeout(timer);
        resolve(session);
      });
    });
    session.on('error', fail);
  });
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: Float64Array, q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];

export async function bareSmppLoop(
  port: number,
  opts: { messages: number; window: number; binds?: number; timeoutMs?: number },
): Promise<BareSmppResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const sessions = await Promise.all(Array.from({ length: opts.binds ?? 1 }, () => bindTransceiver(port, 5_000)));
  const latencies = new Float64Array(opts.messages);
  const submittedAt = new Map<string, number>(); // message id → submit time, until its receipt
  const early = new Map<string, number>(); // receipts read before their submit_sm_resp: id → read time
  let sent = 0;
  let done = 0;

  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bare SMPP loop: ${done} of ${opts.messages} receipts after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const receipted = (id: string, submitted: number, at: number) => {
        latencies[done++] = at - submitted;
        if (done === opts.messages) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const session of sessions) {
        let outstanding = 0;
        const pump = () => {
          while (outstanding < opts.window && sent < opts.messages) {
            outstanding++;
            sent++;
            const submitted = performance.now();
            session.submit_sm(
              { source_addr: 'Hookline', source_addr_ton: 5, destination_addr: '41790000001', dest_addr_ton: 1, dest_addr_npi: 1, registered_delivery: 1, data_coding: 0, short_message: TEXT },
              (resp: Pdu) => {
                outstanding--;
                if (resp.command_status !== 0) {
                  clearTimeout(timer);
                  return reject(new Error(`submit_sm refused: status ${resp.command_status}`));
                }
                const id: string = resp.message_id;
                const at = early.get(id);
                if (at === undefined) submittedAt.set(id, submitted);
                else {
                  early.delete(id);
                  receipted(id, submitted, at);
                }
                pump();
              },
            );
          }
        };
        session.on('deliver_sm', (pdu: Pdu) => {
          const at = performance.now();
          session.send(pdu.response());
          if (!(pdu.esm_class & 0x04)) return;
          const id: string = pdu.receipted_message_id;
          const submitted = submittedAt.get(id);
          if (submitted === undefined) early.set(id, at);
          else {
            submittedAt.delete(id);
            receipted(id, submitted, at);
          }
        });
        session.on('close', () => {
          if (done < opts.messages) {
            clearTimeout(timer);
            reject(new Error('bare SMPP loop: the SMSC closed a bind'));
          }
        });
        pump();
      }
    });
  } finally {
    for (const session of sessions) {
      session.removeAllListeners('close');
      session.destroy();
    }
  }
  const seconds = (performance.now() - started) / 1_000;
  const used = process.cpuUsage(cpu);
  const sorted = latencies.sort();
  return {
    messages: opts.messages,
    seconds,
    perSecond: opts.messages / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [messages = 20_000, window = 100, binds = 1] = process.argv.slice(2).map(Number);
  const smsc = await SmscProcess.start();
  try {
    const smscCpu = await smsc.cpuSeconds();
    const result = await bareSmppLoop(smsc.port, { messages, window, binds });
    const smscCpuSeconds = (await smsc.cpuSeconds()) - smscCpu;
    console.log(JSON.stringify({ ...result, window, binds, smscCpuSeconds, smsc: await smsc.stats() }, null, 2));
  } finally {
    await smsc.stop();
  }
}

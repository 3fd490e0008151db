/**
 * The SMSC simulator (test/helpers/smsc-simulator.ts) as a child process for the SMPP benchmark
 * (bench/smsc-client.ts starts it), so it never shares an event loop or a CPU count with the
 * gateway or the baseline it serves. Options come as JSON in argv[2] (the JSON-able part of
 * SmscOptions; submits are counted, not recorded, unless `record` is set).
 *
 * IPC (parent → child): cpu, stats, reset, stop.
 * Child → parent: ready {port}, cpu {cpu: process.cpuUsage()}, stats {submits, receiptsSent,
 * deliveredAcks, unacknowledged}, reset-ok.
 */
import { DEFAULT_OUTCOME, SmscSimulator, type SmscOptions } from '../test/helpers/smsc-simulator.ts';

/** `allDelivered`: every part gets DELIVRD, whatever its destination (the benchmark's numbers end in the outcome table's digits). */
export type SmscChildOptions = Partial<Omit<SmscOptions, 'outcomeFor'>> & { allDelivered?: boolean };

const { allDelivered, ...options } = JSON.parse(process.argv[2] ?? '{}') as SmscChildOptions;
const smsc = new SmscSimulator({ record: false, ...options, ...(allDelivered ? { outcomeFor: () => DEFAULT_OUTCOME } : {}) });

function send(message: object): void {
  process.send!(message);
}

process.on('message', async (message: { type: string }) => {
  switch (message.type) {
    case 'cpu':
      send({ type: 'cpu', cpu: process.cpuUsage() });
      break;
    case 'stats':
      send({
        type: 'stats',
        submits: smsc.submitCount,
        receiptsSent: smsc.receiptsSent,
        deliveredAcks: smsc.deliveredAcks,
        unacknowledged: smsc.unacknowledgedDeliveries().length,
      });
      break;
    case 'reset':
      smsc.reset();
      send({ type: 'reset-ok' });
      break;
    case 'stop':
      await smsc.stop();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

const port = await smsc.start();
send({ type: 'ready', port });

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pacedLatency } from '/work/main/bench/e2e.ts';
import { tempDir } from '/work/main/bench/fixtures.ts';
import { ReceiverProcess } from '/work/main/bench/receiver-client.ts';
import { SmscProcess } from '/work/main/bench/smsc-client.ts';
const receiver = await ReceiverProcess.start();
const smsc = await SmscProcess.start({ allDelivered: true });
const t = tempDir();
const file = join(t.dir, 'smpp.json');
writeFileSync(file, JSON.stringify({ connections: [{ name: 'smsc', host: '127.0.0.1', port: smsc.port, systemId: 'b', password: 'b', window: 500 }], routes: [{ prefix: '', target: 'smsc' }] }));
for (const smpp of [false, true, false, true]) {
  const r = await pacedLatency(receiver, { requestsPerSecond: 10, destinations: 100, seconds: 5, env: { WEBHOOK_WINDOW: '32', ...(smpp ? { SMPP_CONFIG_FILE: file } : {}) }, timeoutSeconds: 60 });
  console.log(smpp ? 'smpp' : 'sim ', 'p50', r.p50.toFixed(1), 'p90', r.p90.toFixed(1), 'p99', r.p99.toFixed(1), r.received);
}
await smsc.stop(); await receiver.stop(); t.remove();

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { client, requestBody } from '/work/main/bench/e2e.ts';
import { createGateway, tempDir } from '/work/main/bench/fixtures.ts';
import { ReceiverProcess } from '/work/main/bench/receiver-client.ts';
import { SmscProcess } from '/work/main/bench/smsc-client.ts';
const receiver = await ReceiverProcess.start();
const smsc = await SmscProcess.start({ allDelivered: true });
const t = tempDir();
const file = join(t.dir, 'smpp.json');
writeFileSync(file, JSON.stringify({ connections: [{ name: 'smsc', host: '127.0.0.1', port: smsc.port, systemId: 'b', password: 'b', window: 500 }], routes: [{ prefix: '', target: 'smsc' }] }));
const h = await createGateway({ dir: t.dir, env: { SMPP_CONFIG_FILE: file, WEBHOOK_WINDOW: '32' } });
const api = client(await h.start(), 8);
await receiver.reset(true);
for (let i = 0; i < 3; i++) {
  console.log('T post', (performance.timeOrigin + performance.now()).toFixed(1));
  await api.post(requestBody(receiver.url, i * 100, 100));
  console.log('T posted', (performance.timeOrigin + performance.now()).toFixed(1));
  await receiver.waitForCount((i + 1) * 100, 10000);
  const arr = [...(await receiver.arrivals()).values()].sort((a, b) => a - b);
  console.log('T webhooks', arr[i * 100]?.toFixed(1), arr[arr.length - 1]?.toFixed(1));
  await new Promise((r) => setTimeout(r, 300));
}
await api.close(); await h.stop(); await smsc.stop(); await receiver.stop(); t.remove();

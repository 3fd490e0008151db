import net from 'node:net';
import { EventsHub } from './src/live/events-hub.ts';
import { startGateway, TEST_API_KEY } from './test/helpers/hookline.ts';

// Track the hub's timers: every setInterval/setTimeout created from events-hub.ts.
const live = new Set<any>();
const oSI = globalThis.setInterval, oST = globalThis.setTimeout, oCI = globalThis.clearInterval, oCT = globalThis.clearTimeout;
const fromHub = () => (new Error().stack ?? '').includes('events-hub.ts');
(globalThis as any).setInterval = (...a: any[]) => { const t = (oSI as any)(...a); if (fromHub()) live.add(t); return t; };
(globalThis as any).setTimeout = (...a: any[]) => { const t = (oST as any)(...a); if (fromHub()) { live.add(t); const f = a[0]; } return t; };
(globalThis as any).clearInterval = (t: any) => { live.delete(t); return oCI(t); };
(globalThis as any).clearTimeout = (t: any) => { live.delete(t); return oCT(t); };
const hubTimers = () => [...live].filter((t) => !t._destroyed).length;

let hub: any = null;
let opens = 0, opensOnDeadSocket = 0;
const origOpen = EventsHub.prototype.open;
EventsHub.prototype.open = function (this: any, scope: any, from: any, sink: any) {
  hub = this; opens++;
  return (origOpen as any).call(this, scope, from, sink);
};
const sleep = (ms: number) => new Promise((r) => oST(r, ms));
const g = await startGateway({ THROTTLES: 'off' });
// spy the raw response state at open via the route: wrap hub.now to delay like a slow DB (PG round trip)
const { port } = new URL(g.baseUrl);
await sleep(300);
console.log('backend', process.env.HOOKLINE_TEST_DB ?? 'sqlite');

function openRaw(waitHeaders: boolean): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect(Number(port), '127.0.0.1', () => {
      s.write(`GET /hookline/1/events HTTP/1.1\r\nHost: x\r\nAuthorization: App ${TEST_API_KEY}\r\nAccept: text/event-stream\r\n\r\n`);
      if (!waitHeaders) return resolve(s);
    });
    let got = '';
    s.on('data', (d) => { got += d; if (waitHeaders && got.includes('retry: 2000')) resolve(s); });
    s.on('error', () => {});
  });
}

const socks = await Promise.all(Array.from({ length: 100 }, () => openRaw(true)));
console.log('A open: hub.size', hub.size, 'hub timers', hubTimers());
for (const s of socks) s.resetAndDestroy();
await sleep(500);
console.log('A after RST: hub.size', hub.size, 'hub timers', hubTimers(), 'poller', hub.poller !== null);

for (const delay of [0, 1, 2, 5, 10]) {
  const before = opens;
  const mid = await Promise.all(Array.from({ length: 100 }, () => openRaw(false)));
  await Promise.all(mid.map((s) => sleep(Math.random() * delay).then(() => s.resetAndDestroy())));
  await sleep(1000);
  console.log(`cut within ${delay} ms: opens ${opens - before}, hub.size ${hub?.size}, hub timers ${hubTimers()}`);
}
if (hub?.size) {
  const st = [...hub.streams][0];
  console.log('a leaked stream lives until its lifetime timer (5 min); writes go to a destroyed socket');
}
const t0 = Date.now();
await g.close();
console.log('closed in', Date.now() - t0, 'ms; hub.size', hub?.size, 'hub timers', hubTimers());

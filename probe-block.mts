import pino from 'pino';
import { DatabaseEventSource } from './src/live/event-queries.ts';
import { EventsHub } from './src/live/events-hub.ts';
import { openStore } from './src/store/database.ts';
const store = await openStore(process.argv[2]);
const hub: any = new EventsHub(new DatabaseEventSource(store.db), pino({ level: 'silent' }), { pollMs: 2000, coalesceMs: 200 });
const fam = ['sms-v2', 'sms-v3', 'messages-api', 'whatsapp', 'email'] as any;
const now = await hub.now();
for (let i = 0; i < 10; i++) hub.open({ accountId: 'acct-0', families: fam, attempts: true }, { ...now }, { write: () => true, buffered: () => 0, end() {}, destroy() {} });
// Meanwhile: how late is a 10 ms timer, over 6 s of idle streams (no traffic at all)?
let worst = 0, sum = 0, n = 0, last = performance.now();
const t = setInterval(() => { const d = performance.now() - last - 10; worst = Math.max(worst, d); sum += Math.max(0, d); n++; last = performance.now(); }, 10);
await new Promise((r) => setTimeout(r, 6000));
clearInterval(t);
console.log(`10 idle streams of an account with 500k reports/attempts, 6 s, no traffic: a 10 ms timer was up to ${worst.toFixed(0)} ms late; event loop blocked ~${(sum / 6000 * 100).toFixed(0)}% of the time`);
await hub.close(); await store.close();

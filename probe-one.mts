import { DatabaseEventSource } from './src/live/event-queries.ts';
import { openStore } from './src/store/database.ts';
const store = await openStore(process.argv[2]);
const src = new DatabaseEventSource(store.db);
const p = await src.positions();
const fam = ['sms-v2', 'sms-v3', 'messages-api', 'whatsapp', 'email'] as any;
let last = performance.now(), maxGap = 0;
const t = setInterval(() => { const n = performance.now(); maxGap = Math.max(maxGap, n - last); last = n; }, 1);
for (const [k, acct] of [['report', 'acct-0'], ['attempt', 'acct-0'], ['report', 'acct-none']] as const) {
  await new Promise((r) => setTimeout(r, 20)); maxGap = 0; last = performance.now();
  const s = performance.now();
  const ev = await src.events(k, { accountId: acct, families: fam, attempts: true }, { after: p[k], upTo: p[k] }, 500);
  const took = performance.now() - s;
  await new Promise((r) => setTimeout(r, 5));
  console.log(`${k} ${acct} caught-up read: ${took.toFixed(1)} ms, ${ev.length} rows, longest stall ${maxGap.toFixed(0)} ms`);
}
clearInterval(t);
await store.close();

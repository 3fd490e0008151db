import { sql, type Kysely } from 'kysely';
import pino from 'pino';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DatabaseEventSource } from './src/live/event-queries.ts';
import { EventsHub, type EventSink } from './src/live/events-hub.ts';
import { queryCount } from './src/store/query-count.ts';
import { startGateway } from './test/helpers/hookline.ts';
import { receiverPool } from './test/helpers/receiver.ts';
import { uniq } from './test/http/support.ts';

const PG = process.env.HOOKLINE_TEST_DB === 'postgres';
const HISTORY = Number(process.env.HISTORY ?? 300_000);
const ACCOUNTS = Number(process.env.ACCOUNTS ?? 200);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const g = await startGateway({ THROTTLES: 'off' });
const db = g.hookline.store.db as Kysely<any>;
const rx = await receiverPool().start();
const messageId = uniq('tpl');
await g.api('POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to: '41793026727', messageId }], text: 'x', notifyUrl: rx.url }] });
for (let i = 0; i < 200; i++) { const n = await db.selectFrom('attempts').select(db.fn.countAll().as('n')).executeTakeFirst(); if (Number(n!.n) > 0) break; await sleep(50); }
await g.hookline.server.close().catch(() => {});
for (const loop of Object.values(g.hookline.loops)) await loop.stop();
const colsOf = async (t: string) => PG
  ? (await sql<{ c: string }>`select column_name as c from information_schema.columns where table_name = ${t} and table_schema = current_schema() order by ordinal_position`.execute(db)).rows.map((r) => r.c)
  : (await sql<{ name: string }>`select name from pragma_table_info(${t})`.execute(db)).rows.map((r) => r.name);
const tpl = { msg: Number((await db.selectFrom('messages').select('pk').where('message_id', '=', messageId).executeTakeFirstOrThrow()).pk) };
const report = Number((await db.selectFrom('reports').select('id').where('message_pk', '=', tpl.msg).executeTakeFirstOrThrow()).id);
const att = await db.selectFrom('attempts').select(['id', 'delivery_id']).executeTakeFirstOrThrow();
const acct = (expr: string) => `'acct-' || (${expr})`;

async function copyRows(table: string, keyCol: string, tplId: string | number, n: number, override: Record<string, (k: string) => string>, fromSeries: number, skipKey = true) {
  const cols = (await colsOf(table)).filter((c) => !(skipKey && c === keyCol));
  const exprs = cols.map((c) => (override[c] ? `${override[c]('s.k')} as ${c}` : `t.${c}`));
  const series = PG ? `generate_series(${fromSeries}, ${fromSeries + n - 1}) as s(k)` : `(with recursive r(k) as (select ${fromSeries} union all select k + 1 from r where k < ${fromSeries + n - 1}) select k from r) as s`;
  const tplLit = typeof tplId === 'string' ? `'${tplId}'` : tplId;
  await sql.raw(`insert into ${table} (${cols.join(', ')}) select ${exprs.join(', ')} from ${series}, ${table} t where t.${keyCol} = ${tplLit}`).execute(db);
}
let t0 = Date.now();
await copyRows('messages', 'pk', tpl.msg, ACCOUNTS, { account_id: (k) => acct(k), message_id: (k) => `'m-' || ${k}` }, 0);
await copyRows('deliveries', 'id', att.delivery_id, ACCOUNTS, { id: (k) => `'d-' || ${k}`, account_id: (k) => acct(k) }, 0, false);
const outboxTpl = Number((await db.selectFrom('outbox').select('id').where('delivery_id', '=', att.delivery_id).executeTakeFirstOrThrow()).id);
await copyRows('outbox', 'id', outboxTpl, ACCOUNTS, { delivery_id: (k) => `'d-' || ${k}`, account_id: (k) => acct(k), message_id: (k) => `'m-' || ${k}` }, 0);
const pkOf = new Map<number, number>();
for (const r of await db.selectFrom('messages').select(['pk', 'account_id']).where('message_id', 'like', 'm-%').execute()) pkOf.set(Number(String(r.account_id).slice(5)), Number(r.pk));
const minPk = Math.min(...pkOf.values());
// pk are consecutive in insertion order: account k -> minPk + k
async function addHistory(n: number, from: number, accountExpr = (k: string) => `(${k}) % ${ACCOUNTS}`) {
  await copyRows('reports', 'id', report, n, { account_id: (k) => acct(accountExpr(k)), message_pk: (k) => `${minPk} + ${accountExpr(k)}` }, from);
  await copyRows('attempts', 'id', Number(att.id), n, { account_id: (k) => acct(accountExpr(k)), delivery_id: (k) => `'d-' || (${accountExpr(k)})` }, from);
}
await addHistory(HISTORY, 0);
if (PG) await sql`analyze`.execute(db);
console.log(`${PG ? 'postgres' : 'sqlite'}: history ${HISTORY} reports + attempts over ${ACCOUNTS} accounts in ${Date.now() - t0} ms`);

// ---- EXPLAIN the pass queries ----
const max = async (t: string) => Number(((await sql.raw(`select max(id) as m from ${t}`).execute(db)).rows[0] as any).m);
const maxR = await max('reports'), maxA = await max('attempts');
const fam = ['sms-v2', 'sms-v3', 'messages-api', 'whatsapp', 'email'];
const reportsQ = (account: string, after: number, upTo: number) => db.selectFrom('reports as r').innerJoin('messages as m', 'm.pk', 'r.message_pk')
  .select(['r.id', 'm.message_id', 'm.bulk_id', 'r.channel', 'r.final', 'r.status_id', 'r.error_id', 'r.done_at']).where('r.account_id', '=', account).where('m.family', 'in', fam)
  .where('r.id', '>', after).where('r.id', '<=', upTo).orderBy('r.id').limit(500);
const attemptsQ = (account: string, after: number, upTo: number) => db.selectFrom('attempts as a').innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
  .select(['a.id', 'a.delivery_id', 'd.state as delivery_state']).where('a.account_id', '=', account).where('a.id', '>', after).where('a.id', '<=', upTo).orderBy('a.id').limit(500);
async function explain(label: string, q: any) {
  const c = q.compile();
  const text = PG ? `explain (analyze, buffers, costs off, timing off) ${c.sql}` : `explain query plan ${c.sql}`;
  const started = performance.now();
  const rows = (await db.executeQuery({ sql: text, parameters: c.parameters, query: c.query, queryId: c.queryId } as any)).rows as any[];
  const ms = performance.now() - started;
  console.log(`-- ${label} (${ms.toFixed(1)} ms)\n` + rows.map((r) => (PG ? r['QUERY PLAN'] : `${r.detail}`)).join('\n'));
}
await explain('reports, caught-up stream (last 200 ids)', reportsQ('acct-7', maxR - 200, maxR));
await explain('reports, resume from 250k ids back', reportsQ('acct-7', maxR - 250_000, maxR));
await explain('reports, account with no rows, resume from 250k back', reportsQ('acct-none', maxR - 250_000, maxR));
await explain('attempts, caught-up', attemptsQ('acct-7', maxA - 200, maxA));
await explain('attempts, account with no rows, resume from 250k back', attemptsQ('acct-none', maxA - 250_000, maxA));
await explain('committedIds (gap scan)', db.selectFrom('reports').select('id').where('id', '>', maxR - 1000).where('id', '<=', maxR).orderBy('id'));
await explain('positions', db.selectNoFrom((eb: any) => [sql`(select max(id) from reports)`.as('report'), sql`(select max(id) from attempts)`.as('attempt')]));
await explain('reportsOf', db.selectFrom('outbox').select(['delivery_id', 'message_id']).where('delivery_id', 'in', ['d-1', 'd-2']).orderBy('id'));

// ---- a hub with 200 streams ----
const sinks: Array<{ bytes: number }> = [];
const sinkOf = (): EventSink & { bytes: number } => { const s = { bytes: 0, write(c: string) { s.bytes += c.length; return true; }, buffered: () => 0, end() {}, destroy() {} }; sinks.push(s); return s; };
async function measure(label: string, streams: number, accountOf: (i: number) => string, newRows: number, resumeBack = 0, accountExpr?: (k: string) => string) {
  const hub: any = new EventsHub(new DatabaseEventSource(db), pino({ level: 'silent' }), { outOfOrderIds: PG, pollMs: 3_600_000, coalesceMs: 0, keepAliveMs: 3_600_000 });
  const now = await hub.now();
  const from = { report: now.report - resumeBack, attempt: now.attempt - resumeBack };
  const local: any[] = [];
  for (let i = 0; i < streams; i++) { const s = sinkOf(); local.push(s); hub.open({ accountId: accountOf(i), families: fam, attempts: true }, { ...from }, s); }
  if (!resumeBack) while (hub.running || hub.scheduled) await sleep(5); // first pass (tracker start)
  if (newRows) await addHistory(newRows, 10_000_000 + Math.floor(Math.random() * 1e6), accountExpr);
  const h = monitorEventLoopDelay({ resolution: 1 }); h.enable();
  let maxGap = 0, last = performance.now();
  const ticker = setInterval(() => { const n = performance.now(); maxGap = Math.max(maxGap, n - last); last = n; }, 1);
  const q0 = queryCount(); const b0 = local.reduce((a, s) => a + s.bytes, 0);
  const started = performance.now();
  if (!resumeBack) hub.wake();
  await sleep(0);
  while (hub.running || hub.scheduled) await sleep(1);
  const took = performance.now() - started;
  clearInterval(ticker); h.disable();
  console.log(`${label}: ${streams} streams, ${newRows} new rows of each kind: pass ${took.toFixed(0)} ms, ${queryCount() - q0} queries, ${((local.reduce((a, s) => a + s.bytes, 0) - b0) / 1e6).toFixed(2)} MB written, longest event-loop stall ${maxGap.toFixed(0)} ms (p99 delay ${(h.percentile(99) / 1e6).toFixed(0)} ms)`);
  await hub.close();
}
if (process.env.ONLY_IDLE) { await measure('idle streams', Number(process.env.ONLY_IDLE), (i) => `acct-${i % ACCOUNTS}`, 0); await measure('idle streams', Number(process.env.ONLY_IDLE), (i) => `acct-${i % ACCOUNTS}`, 100); process.exit(0); }
await measure('200 accounts, caught up, nothing new', 200, (i) => `acct-${i}`, 0);
await measure('200 accounts, caught up', 200, (i) => `acct-${i}`, 1_000);
await measure('200 accounts, caught up', 200, (i) => `acct-${i}`, 10_000);
await measure('200 streams of one account (acct-0), caught up', 200, () => 'acct-0', 1_000, 0, () => '0');
await measure('200 accounts resuming 100k ids back (first pass of the replay)', 200, (i) => `acct-${i}`, 0, 100_000);
await measure('20 streams of one account resuming 100k ids back (first pass)', 20, () => 'acct-0', 0, 100_000);
await rx.close?.();
await g.hookline.store.close();
process.exit(0);

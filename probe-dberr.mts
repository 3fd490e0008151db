import { sql } from 'kysely';
import { EventsHub } from './src/live/events-hub.ts';
import { startGateway, TEST_API_KEY, TEST_ADMIN } from './test/helpers/hookline.ts';
import { uniq } from './test/http/support.ts';

let crashed: unknown = null;
process.on('uncaughtException', (e) => { crashed = e; console.log('UNCAUGHT', e); });
process.on('unhandledRejection', (e) => { crashed = e; console.log('UNHANDLED', e); });
let hub: any = null;
const origOpen = EventsHub.prototype.open;
EventsHub.prototype.open = function (this: any, ...a: any[]) { hub = this; return (origOpen as any).apply(this, a); };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backend = process.env.HOOKLINE_TEST_DB ?? 'sqlite';
const g = await startGateway({ THROTTLES: 'off', LOG_LEVEL: 'warn' });
const basic = `Basic ${Buffer.from(`${TEST_ADMIN.username}:${TEST_ADMIN.password}`).toString('base64')}`;

async function stream(auth: string, label: string) {
  const ctl = new AbortController();
  const r = await fetch(`${g.baseUrl}/hookline/1/events`, { headers: { authorization: auth }, signal: ctl.signal });
  const out = { label, text: '', ended: false, ctl };
  (async () => { try { for await (const c of r.body!) out.text += Buffer.from(c).toString(); out.ended = true; } catch {} })();
  return out;
}
const send = async (auth: string) => {
  const messageId = uniq('m');
  const r = await fetch(`${g.baseUrl}/sms/2/text/advanced`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ destinations: [{ to: '41793026727', messageId }], text: 'x' }] }) });
  if (r.status !== 200) throw new Error(await r.text());
  return messageId;
};

// --- 1. a report row the catalogue does not know (status 99999) poisons the pass ---
const other = uniq('acct');
await g.api('POST', '/hookline/1/accounts', { id: other, name: 'o' }, { authorization: basic });
const key = await g.api('POST', '/settings/2/api-keys', { name: uniq('k'), scopeGuids: ['sms:manage', 'subscriptions:manage'], accountId: other }, { authorization: basic });
const otherAuth = `App ${key.body.apiKeySecret}`;
console.log('other key', key.status, key.body.accountId ?? '');
const first = await stream(`App ${TEST_API_KEY}`, 'default account (opened first)');
const second = await stream(otherAuth, 'other account (opened second)');
const m1 = await send(`App ${TEST_API_KEY}`);
await sleep(1000);
const db = g.hookline.store.db;
const cols = backend === 'sqlite'
  ? (await sql<{ name: string }>`pragma table_info(reports)`.execute(db)).rows.map((r) => r.name).filter((c) => c !== 'id')
  : (await sql<{ column_name: string }>`select column_name from information_schema.columns where table_name = 'reports' and table_schema = current_schema()`.execute(db)).rows.map((r) => r.column_name).filter((c) => c !== 'id');
const list = sql.raw(cols.join(', '));
const sel = sql.raw(cols.map((c) => (c === 'status_id' ? '99999' : c)).join(', '));
await sql`insert into reports (${list}) select ${sel} from reports where id = (select max(id) from reports)`.execute(db);
const m2 = await send(otherAuth);
await sleep(3000);
console.log('[poison] default stream got m1:', first.text.includes(m1), '| other-account stream got its own m2:', second.text.includes(m2));
await g.api('GET', '/hookline/1/me'); // process alive
first.ctl.abort(); second.ctl.abort();
await sleep(300);
// remove the poison so the rest can run
await sql`delete from reports where status_id = 99999`.execute(db);

// --- 2. the database closes under open streams ---
const s3 = await stream(`App ${TEST_API_KEY}`, 'before db close');
await sleep(300);
if (backend === 'sqlite') (g.hookline.store as any).sqlite.close();
else await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(db).catch(() => {});
await sleep(5000);
console.log('[db gone] hub.size', hub.size, 'crashed:', crashed !== null);
const r = await fetch(`${g.baseUrl}/hookline/1/events`, { headers: { authorization: `App ${TEST_API_KEY}` }, signal: AbortSignal.timeout(3000) }).catch((e) => e);
console.log('[db gone] new stream answered', r.status ?? String(r), r.status ? (await r.text()).slice(0, 120) : '');
s3.ctl.abort();
await sleep(200);
await g.hookline.server.close();
console.log('done, crashed:', crashed !== null);
process.exit(0);

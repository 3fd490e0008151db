import net from 'node:net';
import { sql } from 'kysely';
import { EventsHub } from './src/live/events-hub.ts';
import { startGateway, TEST_API_KEY } from './test/helpers/hookline.ts';
import { uniq } from './test/http/support.ts';

let hub: any = null;
const origOpen = EventsHub.prototype.open;
EventsHub.prototype.open = function (this: any, ...a: any[]) { hub = this; return (origOpen as any).apply(this, a); };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PG = process.env.HOOKLINE_TEST_DB === 'postgres';
const g = await startGateway({ THROTTLES: 'off' });
const db = g.hookline.store.db;
const messageId = uniq('tpl');
await g.api('POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to: '41793026727', messageId }], text: 'x' }] });
await sleep(500);
const pk = Number((await db.selectFrom('messages').select('pk').where('message_id', '=', messageId).executeTakeFirstOrThrow()).pk);
const tpl = Number((await db.selectFrom('reports').select('id').where('message_pk', '=', pk).executeTakeFirstOrThrow()).id);
const cols = PG
  ? (await sql<{ c: string }>`select column_name as c from information_schema.columns where table_name = 'reports' and table_schema = current_schema() and column_name <> 'id'`.execute(db)).rows.map((r) => r.c).join(', ')
  : (await sql<{ name: string }>`select name from pragma_table_info('reports') where name <> 'id'`.execute(db)).rows.map((r) => r.name).join(', ');
const add = async (n: number) => { for (let i = 0; i < n; i++) await sql.raw(`insert into reports (${cols}) select ${cols} from reports where id = ${tpl}`).execute(db); hub.wake(); };

// A client that stops reading once the stream has started (a dead peer, a frozen tab, a stalled proxy).
const { port } = new URL(g.baseUrl);
const sock = net.connect(Number(port), '127.0.0.1', () => sock.write(`GET /hookline/1/events HTTP/1.1\r\nHost: x\r\nAuthorization: App ${TEST_API_KEY}\r\n\r\n`));
sock.on('error', () => {});
await new Promise<void>((r) => sock.once('data', () => { sock.pause(); r(); }));
await sleep(300);
const stream = () => [...hub.streams][0];
let total = 0;
while (stream() && stream().sink.buffered() === 0 && total < 200_000) { await add(200); total += 200; await sleep(100); }
console.log(`kernel buffers full after ~${total} events; hub buffered ${stream()?.sink.buffered()} bytes (limit 1 MB), streams ${hub.size}`);
const t0 = Date.now();
const closing = g.hookline.stop().then(() => 'closed');
const outcome = await Promise.race([closing, sleep(20_000).then(() => 'still closing after 20 s')]);
console.log(`shutdown with one non-reading client: ${outcome} (${Date.now() - t0} ms); hub streams ${hub.size}`);
sock.destroy();
await closing;
console.log(`closed ${Date.now() - t0} ms after stop() once the client went away`);
process.exit(0);

import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);
import { spawnSync } from 'node:child_process';
import { sql } from 'kysely';
import { startGateway, TEST_API_KEY } from './test/helpers/hookline.ts';
import { uniq } from './test/http/support.ts';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const g = await startGateway({ THROTTLES: 'off' });
const db = g.hookline.store.db;
const messageId = uniq('tpl');
await g.api('POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to: '41793026727', messageId }], text: 'x' }] });
await sleep(500);
const pk = Number((await db.selectFrom('messages').select('pk').where('message_id', '=', messageId).executeTakeFirstOrThrow()).pk);
const tpl = Number((await db.selectFrom('reports').select('id').where('message_pk', '=', pk).executeTakeFirstOrThrow()).id);
const cols = (await sql<{ name: string }>`select name from pragma_table_info('reports') where name <> 'id'`.execute(db)).rows.map((r) => r.name).join(', ');
const N = 20_000;
await sql.raw(`insert into reports (${cols}) select ${cols.split(', ').map((c) => 'r.' + c).join(', ')} from (with recursive s(k) as (select 1 union all select k + 1 from s where k < ${N}) select k from s), reports r where r.id = ${tpl}`).execute(db);
const { port } = new URL(g.baseUrl);
for (const rate of Number(process.env.RATES ? 0 : 0) ? [] : (process.env.RATES ?? '4000000,1000000,250000').split(',').map(Number)) {
  const r = await new Promise<string>((resolve) => {
    const { spawn } = require('node:child_process');
    const c = spawn(process.execPath, ['/tmp/ssep/client.mjs', port, TEST_API_KEY, String(N), String(rate), '200'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = ''; c.stdout.on('data', (d: Buffer) => (out += d)); c.on('close', () => resolve(out.trim()));
  });
  console.log(`replay of ${N} report events (~${(N * 0.43 / 1000).toFixed(1)} MB) by a client reading ${rate / 1e6} MB/s: ${r}`);
}
await g.close();
process.exit(0);

/**
 * "Each report only once" under concurrency: pulls racing for the same queue never return one
 * report twice (each returns only the entries its own delete removed), and together they return
 * every report.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { waitUntil } from './support.ts';

let g: TestGateway;
before(async () => {
  g = await startGateway({ THROTTLES: 'off' });
});
after(async () => {
  await g.close();
});

test('concurrent pulls split the queue between them, never returning a report twice', async () => {
  const destinations = Array.from({ length: 300 }, (_, i) => ({ to: `4179${String(5_000_000 + i).padStart(7, '0')}` }));
  const sent = await g.api('POST', '/sms/3/messages', { messages: [{ sender: 'Shop', destinations, content: { text: 'x' } }] });
  assert.equal(sent.status, 200, JSON.stringify(sent.body).slice(0, 300));
  const db = g.hookline.store.db;
  await waitUntil(async () => Number((await db.selectFrom('pull_queue').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n) === 300, '300 queued reports');

  const pulls = await Promise.all(Array.from({ length: 6 }, () => g.api('GET', '/sms/3/reports?limit=1000')));
  const ids = pulls.flatMap((p) => (p.body.results as Array<{ messageId: string }>).map((r) => r.messageId));
  assert.equal(new Set(ids).size, ids.length, 'no report twice');
  const again = await g.api('GET', '/sms/3/reports?limit=1000');
  assert.equal(ids.length + again.body.results.length, 300, 'every report, once');
});

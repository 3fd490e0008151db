/**
 * A full disk is back-pressure, not data loss: while SQLite cannot grow, intake answers 503
 * (in the envelope of the API family, with Retry-After) and stores nothing of the refused
 * request; once space is back, intake answers 200 again and every report accepted before,
 * during and after is delivered. The full disk is simulated by capping max_page_count at the
 * database's current size. SQLite only: PostgreSQL has no per-database size cap a test could
 * toggle without affecting the other tests sharing the server, so the file is skipped there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_BACKEND } from '../helpers/database.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const destinations = (prefix: number, n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ to: `4179${String(prefix + i).padStart(7, '0')}`, messageId: `${tag}-${i}` }));
/** Long enough text that a few hundred messages cannot fit in the pages the database already has. */
const LONG_TEXT = 'Your parcel is on its way. '.repeat(5);

const skip =
  TEST_BACKEND === 'postgres'
    ? 'a full disk is simulated with SQLite max_page_count; PostgreSQL has no equivalent a test can toggle safely on the shared server'
    : false;

describe('SQLite full: intake answers 503 and recovers without losing reports', { skip }, () => {
  let g: TestGateway;
  let rx: Receiver;

  before(async () => {
    rx = await Receiver.start();
    // Final reports come 300 ms after submit, so reports accepted before the disk fills are still in the pipeline when it does.
    g = await startGateway({ SIMULATOR_DELAY_MS: '300' });
  });
  after(async () => {
    await rx.close();
    await g.close();
  });

  test('503 with Retry-After while full, 200 after; everything accepted is delivered', async () => {
    const sqlite = g.hookline.store.sqlite!;
    assert.ok(sqlite, 'the SQLite driver handle is exposed');

    // Accepted before the disk fills.
    const beforeV3 = destinations(700000, 50, 'pre3');
    const beforeV2 = destinations(710000, 20, 'pre2');
    const pre3 = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: beforeV3, content: { text: 'before' }, webhooks: { delivery: { url: `${rx.url}/v3` } } }],
    });
    assert.equal(pre3.status, 200);
    const pre2 = await g.api('POST', '/sms/2/text/advanced', { messages: [{ destinations: beforeV2, text: 'before', notifyUrl: `${rx.url}/v2` }] });
    assert.equal(pre2.status, 200);

    // Fill the disk: the database may not grow past its current size.
    const pageCount = Number(sqlite.pragma('page_count', { simple: true }));
    sqlite.pragma(`max_page_count = ${pageCount}`);
    assert.equal(Number(sqlite.pragma('max_page_count', { simple: true })), pageCount);

    const bigV3 = {
      messages: [{ destinations: destinations(720000, 300, 'during3'), content: { text: LONG_TEXT }, webhooks: { delivery: { url: `${rx.url}/v3` } } }],
      options: { schedule: { bulkId: 'disk-full-v3' } },
    };
    const full3 = await g.api('POST', '/sms/3/messages', bigV3);
    assert.equal(full3.status, 503, `v3 intake while full: ${JSON.stringify(full3.body)}`);
    const retryAfter = full3.headers.get('retry-after');
    assert.match(retryAfter ?? '', /^\d+$/, 'Retry-After in seconds');
    assert.ok(Number(retryAfter) > 0);
    assert.match(full3.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(full3.body.errorCode, 'E503');
    assert.equal(typeof full3.body.description, 'string');
    assert.equal(typeof full3.body.action, 'string');
    assert.deepEqual(full3.body.violations, []);
    assert.deepEqual(full3.body.resources, []);

    const bigV2 = { bulkId: 'disk-full-v2', messages: [{ destinations: destinations(730000, 300, 'during2'), text: LONG_TEXT, notifyUrl: `${rx.url}/v2` }] };
    const full2 = await g.api('POST', '/sms/2/text/advanced', bigV2);
    assert.equal(full2.status, 503, `v2 intake while full: ${JSON.stringify(full2.body)}`);
    assert.match(full2.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal(full2.body.requestError?.serviceException?.messageId, 'SERVICE_UNAVAILABLE', 'v2 answers in its legacy envelope');

    // A 503 stored nothing: all or nothing.
    const db = g.hookline.store.db;
    const stored = await db.selectFrom('messages').select('pk').where('bulk_id', 'in', ['disk-full-v3', 'disk-full-v2']).execute();
    assert.equal(stored.length, 0, 'no partial intake');

    // Stay full past the moment the earlier messages' final reports are due (300 ms).
    await sleep(700);
    const ready = await fetch(`${g.baseUrl}/healthz`);
    assert.equal(ready.status, 200, 'the process stays up while the disk is full');

    // Space is back.
    sqlite.pragma('max_page_count = 1073741823');
    const again3 = await g.api('POST', '/sms/3/messages', bigV3);
    assert.equal(again3.status, 200, `v3 intake after recovery: ${JSON.stringify(again3.body)}`);
    assert.equal(again3.body.bulkId, 'disk-full-v3');
    const again2 = await g.api('POST', '/sms/2/text/advanced', bigV2);
    assert.equal(again2.status, 200);

    const expected = [...beforeV3, ...beforeV2, ...bigV3.messages[0].destinations, ...bigV2.messages[0].destinations].map((d) => d.messageId);
    await rx.waitForResults(expected.length, 15_000);
    await sleep(200);
    const got = rx.results().map((r) => r.messageId as string);
    assert.equal(got.length, expected.length, 'every report delivered exactly once');
    assert.deepEqual(new Set(got), new Set(expected));
    for (const r of rx.results()) assert.equal(r.status.name, 'DELIVERED_TO_HANDSET');
    // Each family kept its shape and its URL.
    for (const req of rx.requests) {
      const items = JSON.parse(req.body).results as Array<Record<string, unknown>>;
      if (req.path === '/v3') assert.ok(items.every((i) => 'messageCount' in i && String(i.messageId).match(/^(pre3|during3)-/)));
      else assert.ok(items.every((i) => 'smsCount' in i && String(i.messageId).match(/^(pre2|during2)-/)));
    }
    const undelivered = await db.selectFrom('outbox').select('id').where('state', '!=', 'DONE').execute();
    assert.equal(undelivered.length, 0, 'the outbox is fully drained');
  });
});

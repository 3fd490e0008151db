/**
 * What a webhook POST looks like on the wire: JSON vs Infobip's XML (v3 <DeliveryReports>,
 * v2 <reportResponse>), the webhook-id / webhook-timestamp headers (stable across retries,
 * with byte-identical bodies), batching into buckets, and notify=false.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { Receiver, type Received, receiverPool } from '../helpers/receiver.ts';

const INFOBIP_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const xml = new XMLParser({ parseTagValue: false, ignoreAttributes: true, isArray: (name) => name === 'result' });

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

function assertHeaders(req: Received): { id: string; ts: number } {
  const id = req.headers['webhook-id'];
  const ts = req.headers['webhook-timestamp'];
  assert.equal(typeof id, 'string', 'webhook-id header present');
  assert.ok((id as string).length > 0, 'webhook-id not empty');
  assert.equal(typeof ts, 'string', 'webhook-timestamp header present');
  assert.match(ts as string, /^\d+$/, 'webhook-timestamp is integer seconds');
  const seconds = Number(ts);
  assert.ok(Math.abs(seconds - req.at / 1000) <= 2, `webhook-timestamp ${seconds} close to arrival ${Math.floor(req.at / 1000)}`);
  return { id: id as string, ts: seconds };
}

function messageIdsOf(req: Received): string[] {
  if (req.body.startsWith('{')) return (JSON.parse(req.body).results as Array<{ messageId: string }>).map((r) => r.messageId);
  const parsed = xml.parse(req.body);
  const root = Object.keys(parsed).find((k) => k !== '?xml')!;
  return (parsed[root].results.result as Array<{ messageId: string }>).map((r) => r.messageId);
}

describe('webhook wire format', () => {
  let g: TestGateway;
  const receivers = receiverPool();
  const newReceiver = receivers.start;

  before(async () => {
    g = await startGateway({ RETRY_MINUTE_MS: '50', WEBHOOK_BUCKET_SIZE: '100' });
  });
  after(async () => {
    await receivers.closeAll();
    await g.close();
  });

  test('v3 JSON by default: Content-Type application/json, {"results":[…]}', async () => {
    const rx = await newReceiver();
    const res = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'json' }, webhooks: { delivery: { url: rx.url } } }],
    });
    assert.equal(res.status, 200);
    await rx.waitForRequests(1);
    const [req] = rx.requests;
    assert.match(String(req.headers['content-type']), /^application\/json\b/);
    const body = JSON.parse(req.body);
    assert.deepEqual(Object.keys(body), ['results']);
    assert.equal(body.results.length, 1);
    assert.equal(body.results[0].messageId, res.body.messages[0].messageId);
    assertHeaders(req);
  });

  test('v3 webhooks.contentType application/xml → Content-Type application/xml, <DeliveryReports><results><result>…', async () => {
    const rx = await newReceiver();
    const callbackData = `<tag attr="1">a & b 'c'</tag>`;
    const res = await g.api('POST', '/sms/3/messages', {
      messages: [
        {
          sender: 'ShopCo',
          destinations: [{ to: '41793026727', messageId: uniqueId('x3') }],
          content: { text: 'xml please' },
          options: { platform: { entityId: 'ent', applicationId: 'app' }, campaignReferenceId: 'camp' },
          webhooks: { delivery: { url: rx.url }, contentType: 'application/xml', callbackData },
        },
      ],
      options: { schedule: { bulkId: uniqueId('xb3') } },
    });
    assert.equal(res.status, 200);
    await rx.waitForRequests(1);
    await sleep(150);
    assert.equal(rx.requests.length, 1);
    const [req] = rx.requests;
    assert.match(String(req.headers['content-type']), /^application\/xml\b/);
    assert.match(req.body, /^<\?xml[^>]*\?>\s*<DeliveryReports>\s*<results>\s*<result>/, 'root <DeliveryReports><results><result>');
    assertHeaders(req);
    const parsed = xml.parse(req.body);
    assert.deepEqual(Object.keys(parsed).filter((k) => k !== '?xml'), ['DeliveryReports']);
    const items = parsed.DeliveryReports.results.result;
    assert.equal(items.length, 1);
    const r = items[0];
    assert.equal(r.bulkId, res.body.bulkId);
    assert.equal(r.messageId, res.body.messages[0].messageId);
    assert.equal(r.to, '41793026727');
    assert.equal(r.sender, 'ShopCo');
    assert.match(r.sentAt, INFOBIP_TIME);
    assert.match(r.doneAt, INFOBIP_TIME);
    assert.equal(r.messageCount, '1');
    assert.equal(r.mccMnc, '22801');
    assert.deepEqual(r.price, { pricePerMessage: '0.01', currency: 'EUR' });
    assert.equal(r.status.id, '5');
    assert.equal(r.status.name, 'DELIVERED_TO_HANDSET');
    assert.equal(r.status.groupName, 'DELIVERED');
    assert.equal(r.error.id, '0');
    assert.equal(r.error.groupName, 'OK');
    assert.equal(r.error.permanent, 'false');
    assert.deepEqual(r.platform, { entityId: 'ent', applicationId: 'app' });
    assert.equal(r.campaignReferenceId, 'camp');
    assert.equal(r.callbackData, callbackData, 'XML special characters survive the round trip');
    assert.deepEqual(rx.results(), [], 'no JSON in an XML push');
  });

  test('v2 notifyContentType application/xml → Content-Type application/xml, <reportResponse><results><result>…', async () => {
    const rx = await newReceiver();
    const res = await g.api('POST', '/sms/2/text/advanced', {
      bulkId: uniqueId('xb2'),
      messages: [
        {
          from: 'ShopCo',
          destinations: [{ to: '41790001001' }],
          text: 'xml v2',
          notifyUrl: rx.url,
          notifyContentType: 'application/xml',
          intermediateReport: true,
          entityId: 'ent',
          applicationId: 'app',
          callbackData: 'cb',
        },
      ],
    });
    assert.equal(res.status, 200);
    await rx.waitForRequests(2);
    const results = rx.requests.map((req) => {
      assert.match(String(req.headers['content-type']), /^application\/xml\b/);
      assert.match(req.body, /^<\?xml[^>]*\?>\s*<reportResponse>\s*<results>\s*<result>/, 'root <reportResponse><results><result>');
      assertHeaders(req);
      const parsed = xml.parse(req.body);
      assert.deepEqual(Object.keys(parsed).filter((k) => k !== '?xml'), ['reportResponse']);
      return parsed.reportResponse.results.result[0];
    });
    assert.deepEqual(results.map((r) => r.status.name), ['PENDING_WAITING_DELIVERY', 'DELIVERED_TO_HANDSET']);
    const final = results[1];
    assert.equal(final.bulkId, res.body.bulkId);
    assert.equal(final.messageId, res.body.messages[0].messageId);
    assert.equal(final.from, 'ShopCo');
    assert.equal(final.smsCount, '1');
    assert.equal(final.entityId, 'ent');
    assert.equal(final.applicationId, 'app');
    assert.equal(final.callbackData, 'cb');
    assert.equal(final.error.groupName, 'Ok');
    assert.equal(final.sender, undefined);
    assert.equal(final.platform, undefined);
    assert.equal(results[0].error.name, 'EC_ABSENT_SUBSCRIBER');
    assert.equal(results[0].error.permanent, 'false');
  });

  test('webhook-id is the same on every retry of a delivery and the body bytes are identical', async () => {
    const rx = await newReceiver();
    rx.respond = (_req, i) => ({ status: i === 0 ? 500 : i === 1 ? 503 : 200 });
    const res = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'retry me' }, webhooks: { delivery: { url: rx.url } } }],
    });
    assert.equal(res.status, 200);
    await rx.waitForRequests(3, 5_000);
    await sleep(300);
    assert.equal(rx.requests.length, 3, 'two failures, one success, then nothing more');
    const headers = rx.requests.map(assertHeaders);
    assert.equal(new Set(headers.map((h) => h.id)).size, 1, `same webhook-id on every attempt: ${headers.map((h) => h.id)}`);
    assert.equal(rx.requests[1].body, rx.requests[0].body, 'retry 1 body identical');
    assert.equal(rx.requests[2].body, rx.requests[0].body, 'retry 2 body identical');
    assert.ok(headers[1].ts >= headers[0].ts && headers[2].ts >= headers[1].ts, 'timestamps do not go backwards');
    // RETRY_MINUTE_MS=50: 1 "minute" after the first start, 2 after the second. Arrival times
    // carry each request's own transit time, so allow 20 ms of it (retry-cycle.test.ts checks
    // the exact schedule on an injected clock).
    assert.ok(rx.requests[1].at - rx.requests[0].at >= 30, `retry 1 came ${rx.requests[1].at - rx.requests[0].at} ms after attempt 1`);
    assert.ok(rx.requests[2].at - rx.requests[1].at >= 80, `retry 2 came ${rx.requests[2].at - rx.requests[1].at} ms after attempt 2`);

    const db = g.hookline.store.db;
    const delivery = await db.selectFrom('deliveries').selectAll().where('id', '=', headers[0].id).executeTakeFirstOrThrow();
    assert.equal(delivery.state, 'DELIVERED');
    assert.equal(delivery.attempts, 3);
    assert.equal(delivery.body, rx.requests[0].body, 'the stored frozen body is what was sent');
    const attempts = await db.selectFrom('attempts').select(['attempt', 'status_code']).where('delivery_id', '=', headers[0].id).orderBy('attempt').execute();
    assert.deepEqual(attempts.map((a) => [a.attempt, a.status_code]), [[1, 500], [2, 503], [3, 200]]);
  });

  test('different deliveries carry different webhook-ids', async () => {
    const rx = await newReceiver();
    await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [{ to: '41790001001' }], content: { text: 'two reports' }, webhooks: { delivery: { url: rx.url, intermediateReport: true } } }],
    });
    await rx.waitForRequests(2);
    const ids = rx.requests.map((r) => assertHeaders(r).id);
    assert.notEqual(ids[0], ids[1]);
  });

  test('250 destinations to one URL: bodies of at most 100 reports, all 250 delivered once', async () => {
    const rx = await newReceiver();
    const destinations = Array.from({ length: 250 }, (_, i) => ({ to: `4179${String(200000 + i).padStart(7, '0')}`, messageId: uniqueId('batch') }));
    const res = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations, content: { text: 'bulk' }, webhooks: { delivery: { url: rx.url } } }],
    });
    assert.equal(res.status, 200);
    await rx.waitForResults(250, 8_000);
    await sleep(200);
    const sizes = rx.requests.map((r) => JSON.parse(r.body).results.length);
    assert.ok(Math.max(...sizes) <= 100, `bucket sizes ${sizes}`);
    assert.ok(rx.requests.length >= 3, `250 reports need at least 3 bodies, got ${sizes}`);
    assert.ok(rx.requests.length < 250, `reports are batched, got ${rx.requests.length} bodies`);
    const ids = rx.results().map((r) => r.messageId);
    assert.equal(ids.length, 250);
    assert.equal(new Set(ids).size, 250, 'each report exactly once');
    assert.deepEqual(new Set(ids), new Set(destinations.map((d) => d.messageId)));
    const webhookIds = rx.requests.map((r) => assertHeaders(r).id);
    assert.equal(new Set(webhookIds).size, webhookIds.length, 'each body its own webhook-id');
  });

  test('a bucket size of 1 turns every report into its own POST', async () => {
    const small = await startGateway({ WEBHOOK_BUCKET_SIZE: '1' });
    try {
      const rx = await newReceiver();
      const destinations = Array.from({ length: 5 }, (_, i) => ({ to: `4179${String(300000 + i).padStart(7, '0')}` }));
      await small.api('POST', '/sms/3/messages', { messages: [{ destinations, content: { text: 'b1' }, webhooks: { delivery: { url: rx.url } } }] });
      await rx.waitForResults(5);
      await sleep(100);
      assert.deepEqual(rx.requests.map((r) => JSON.parse(r.body).results.length), [1, 1, 1, 1, 1]);
    } finally {
      await small.close();
    }
  });

  test('two different URLs never share a body (other host, other path, other content type, other API family)', async () => {
    const rxA = await newReceiver();
    const rxB = await newReceiver();
    const dests = (prefix: number, n: number) => Array.from({ length: n }, (_, i) => ({ to: `4179${String(prefix + i).padStart(7, '0')}`, messageId: uniqueId(`u${prefix}`) }));
    const groups = {
      aOne: dests(400000, 20),
      aTwo: dests(410000, 20),
      b: dests(420000, 20),
      aOneXml: dests(430000, 5),
    };
    const res = await g.api('POST', '/sms/3/messages', {
      messages: [
        { destinations: groups.aOne, content: { text: '1' }, webhooks: { delivery: { url: `${rxA.url}/one` } } },
        { destinations: groups.aTwo, content: { text: '2' }, webhooks: { delivery: { url: `${rxA.url}/two` } } },
        { destinations: groups.b, content: { text: '3' }, webhooks: { delivery: { url: `${rxB.url}/one` } } },
        { destinations: groups.aOneXml, content: { text: '4' }, webhooks: { delivery: { url: `${rxA.url}/one` }, contentType: 'application/xml' } },
      ],
    });
    assert.equal(res.status, 200);
    const v2 = dests(440000, 5);
    const res2 = await g.api('POST', '/sms/2/text/advanced', { messages: [{ destinations: v2, text: '5', notifyUrl: `${rxA.url}/one` }] });
    assert.equal(res2.status, 200);

    const total = (rx: Receiver) => rx.requests.reduce((n, r) => n + messageIdsOf(r).length, 0);
    await rxA.waitFor(() => total(rxA) >= 50, 8_000, '50 reports at A');
    await rxB.waitFor(() => total(rxB) >= 20, 8_000, '20 reports at B');
    await sleep(200);
    assert.equal(total(rxA), 50);
    assert.equal(total(rxB), 20);

    const owner = new Map<string, string>();
    for (const [name, list] of Object.entries({ ...groups, v2 })) for (const d of list) owner.set(d.messageId, name);
    const expectedGroup = (req: Received, rx: 'A' | 'B'): string[] => {
      const isXml = String(req.headers['content-type']).startsWith('application/xml');
      if (rx === 'B') return ['b'];
      if (req.path === '/two') return ['aTwo'];
      if (isXml) return ['aOneXml'];
      return ['aOne', 'v2'];
    };
    for (const [rx, name] of [[rxA, 'A'], [rxB, 'B']] as const) {
      for (const req of rx.requests) {
        const names = new Set(messageIdsOf(req).map((id) => owner.get(id)));
        assert.equal(names.size, 1, `one body, one (URL, content type, family): ${[...names]} at ${name}${req.path}`);
        assert.ok(expectedGroup(req, name).includes([...names][0]!), `${[...names][0]} arrived at ${name}${req.path}`);
        if ([...names][0] === 'v2') assert.ok('smsCount' in JSON.parse(req.body).results[0], 'v2 body is v2-shaped');
      }
    }
  });

  test('v3 webhooks.delivery.notify=false → nothing is pushed (a notify=true control message is)', async () => {
    const rx = await newReceiver();
    const silentId = uniqueId('silent');
    const loudId = uniqueId('loud');
    const res = await g.api('POST', '/sms/3/messages', {
      messages: [
        { destinations: [{ to: '41790001001', messageId: silentId }], content: { text: 'shh' }, webhooks: { delivery: { url: rx.url, notify: false, intermediateReport: true } } },
        { destinations: [{ to: '41793026727', messageId: loudId }], content: { text: 'hey' }, webhooks: { delivery: { url: rx.url, notify: true } } },
      ],
    });
    assert.equal(res.status, 200);
    await rx.waitForResults(1);
    const db = g.hookline.store.db;
    // Wait until the silent message is final too, then give the dispatcher time to (wrongly) push.
    const deadline = Date.now() + 5_000;
    for (;;) {
      const row = await db.selectFrom('messages').select('state').where('message_id', '=', silentId).executeTakeFirstOrThrow();
      if (row.state === 'FINAL') break;
      assert.ok(Date.now() < deadline, 'silent message never became final');
      await sleep(20);
    }
    await sleep(400);
    assert.deepEqual(rx.results().map((r) => r.messageId), [loudId]);
    const outbox = await db
      .selectFrom('outbox as o')
      .innerJoin('messages as m', 'm.pk', 'o.message_pk')
      .select('o.id')
      .where('m.message_id', '=', silentId)
      .execute();
    assert.equal(outbox.length, 0, 'no outbox rows for a notify=false message');
  });
});

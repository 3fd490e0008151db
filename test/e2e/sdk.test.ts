/**
 * The official Infobip Node SDK (@infobip-api/sdk) pointed at Hookline, unchanged: whatever it
 * sends (its paths, trailing slashes, query strings, body shapes, headers) must just work.
 *
 * What the SDK's SMS client actually exposes (node_modules/@infobip-api/sdk/src/apis/sms.ts):
 *   sms.send(msg)                      POST /sms/2/text/advanced   (body gets an extra `type: 'text'`)
 *   sms.preview(msg)                   POST /sms/1/preview
 *   sms.reports.get(filter)            GET  /sms/1/reports?…
 *   sms.logs.get(filter)               GET  /sms/1/logs?…
 *   sms.scheduled.get(bulkId)          GET  /sms/1/bulks?bulkId=…
 *   sms.scheduled.reschedule(id, at)   PUT  /sms/1/bulks/?bulkId=…         {sendAt}
 *   sms.status.get(bulkId)             GET  /sms/1/bulks/status?bulkId=…
 *   sms.status.update(id, status)      PUT  /sms/1/bulks/status/?bulkId=…  {status}
 * Every call sends `Authorization: App <key>` and `Content-Type: application/json`, and the SDK
 * swallows errors: a failed call *returns* the AxiosError instead of throwing, hence `ok()`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthType, Infobip } from '@infobip-api/sdk';
import { formatInfobipTime } from '../../src/lib/infobip-time.ts';
import { startGateway, TEST_API_KEY, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';

let gateway: TestGateway;
let receiver: Receiver;
let infobip: any;
/** Every HTTP exchange the SDK made: method, full URL (as sent), status. */
const exchanges: Array<{ method: string; url: string; status: number | undefined; headers: Record<string, unknown> }> = [];

before(async () => {
  gateway = await startGateway();
  receiver = await Receiver.start();
  infobip = new Infobip({ baseUrl: gateway.baseUrl, apiKey: TEST_API_KEY, authType: AuthType.ApiKey });
  const axios = infobip.channels.sms.http.axios;
  const record = (config: any, status: number | undefined) =>
    exchanges.push({ method: String(config.method).toUpperCase(), url: axios.getUri(config), status, headers: { ...config.headers } });
  axios.interceptors.response.use(
    (response: any) => (record(response.config, response.status), response),
    (error: any) => (record(error.config, error.response?.status), Promise.reject(error)),
  );
});

after(async () => {
  await gateway?.close();
  await receiver?.close();
});

/** The SDK returns (not throws) an AxiosError on failure: turn that into a readable assertion. */
function ok(response: any, what: string): any {
  if (response instanceof Error || response?.status !== 200) {
    const config = response?.config ?? {};
    assert.fail(
      `${what} failed: ${response?.message ?? ''} — ${String(config.method).toUpperCase()} ${config.url ?? ''} ` +
        `params=${JSON.stringify(config.params)} → ${response?.response?.status ?? response?.status} ${JSON.stringify(response?.response?.data ?? response?.data)}`,
    );
  }
  return response.data;
}

const lastExchange = () => exchanges[exchanges.length - 1];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

describe('Infobip Node SDK against Hookline', { timeout: 60_000 }, () => {
  let pushedId: string;
  let pulledId: string;
  let pulledBulkId: string;

  test('sms.send with a notifyUrl: the delivery report is pushed to the receiver', async () => {
    const data = ok(
      await infobip.channels.sms.send({
        messages: [
          {
            from: 'Hookline',
            destinations: [{ to: '41793026727' }],
            text: 'Hello from the SDK',
            notifyUrl: `${receiver.url}/sdk-push`,
            notifyContentType: 'application/json',
            callbackData: 'sdk-callback',
          },
        ],
      }),
      'sms.send (push)',
    );
    assert.equal(lastExchange().method, 'POST');
    assert.match(lastExchange().url, /\/sms\/2\/text\/advanced$/);
    assert.equal(lastExchange().headers.Authorization, `App ${TEST_API_KEY}`);
    assert.equal(data.messages.length, 1);
    assert.equal(data.messages[0].to, '41793026727');
    assert.equal(data.messages[0].status.groupName, 'PENDING');
    pushedId = data.messages[0].messageId;
    assert.ok(pushedId);

    await receiver.waitFor(() => receiver.results().some((r) => r.messageId === pushedId), 10_000, `the report of ${pushedId}`);
    const delivery = receiver.requests.find((r) => r.body.includes(pushedId))!;
    assert.equal(delivery.path, '/sdk-push');
    assert.match(String(delivery.headers['content-type']), /^application\/json/);
    const report = receiver.results().find((r) => r.messageId === pushedId)!;
    assert.equal(report.bulkId, data.bulkId);
    assert.equal(report.to, '41793026727');
    assert.equal(report.from, 'Hookline');
    assert.equal(report.callbackData, 'sdk-callback');
    assert.equal(report.status.groupName, 'DELIVERED');
    assert.equal(report.status.name, 'DELIVERED_TO_HANDSET');
    assert.equal(report.error.groupName, 'Ok', 'v2 reports spell error group 0 "Ok"');
  });

  test('sms.send without notifyUrl: sms.reports.get returns the report once, then nothing', async () => {
    pulledBulkId = unique('sdk-pull');
    const data = ok(
      await infobip.channels.sms.send({
        bulkId: pulledBulkId,
        messages: [{ from: 'Hookline', destinations: [{ to: '41793026728' }], text: 'Pull me' }],
      }),
      'sms.send (pull)',
    );
    assert.equal(data.bulkId, pulledBulkId);
    pulledId = data.messages[0].messageId;

    // Reports are consumed when read: poll until the one we want comes back.
    let results: any[] = [];
    const deadline = Date.now() + 10_000;
    while (results.length === 0) {
      assert.ok(Date.now() < deadline, 'the pulled report never became available');
      results = ok(await infobip.channels.sms.reports.get({ bulkId: pulledBulkId, limit: 10 }), 'sms.reports.get').results;
      if (results.length === 0) await sleep(50);
    }
    assert.equal(lastExchange().method, 'GET');
    assert.match(lastExchange().url, /\/sms\/1\/reports\?/);
    assert.equal(results.length, 1);
    assert.equal(results[0].messageId, pulledId);
    assert.equal(results[0].bulkId, pulledBulkId);
    assert.equal(results[0].to, '41793026728');
    assert.equal(results[0].status.groupName, 'DELIVERED');

    // Returned once, then gone — filtered or not. (The pushed message never was in the queue.)
    assert.deepEqual(ok(await infobip.channels.sms.reports.get({ bulkId: pulledBulkId }), 'sms.reports.get again').results, []);
    assert.deepEqual(ok(await infobip.channels.sms.reports.get(), 'sms.reports.get unfiltered').results, []);
    assert.ok(!receiver.results().some((r) => r.messageId === pulledId), 'a message without notifyUrl is never pushed');
  });

  test('sms.logs.get returns the messages', async () => {
    const data = ok(await infobip.channels.sms.logs.get({ messageId: `${pushedId},${pulledId}` }), 'sms.logs.get');
    assert.equal(lastExchange().method, 'GET');
    assert.match(lastExchange().url, /\/sms\/1\/logs\?/);
    const byId = new Map<string, any>(data.results.map((r: any) => [r.messageId, r]));
    assert.deepEqual([...byId.keys()].sort(), [pushedId, pulledId].sort());
    assert.equal(byId.get(pushedId).to, '41793026727');
    assert.equal(byId.get(pushedId).from, 'Hookline');
    assert.equal(byId.get(pushedId).text, 'Hello from the SDK');
    assert.equal(byId.get(pushedId).status.groupName, 'DELIVERED');
    assert.equal(byId.get(pulledId).bulkId, pulledBulkId);

    // Logs are a view, not a queue: asking again (here by bulk, with a limit) still finds it.
    const again = ok(await infobip.channels.sms.logs.get({ bulkId: pulledBulkId, limit: 5 }), 'sms.logs.get by bulkId');
    assert.deepEqual(
      again.results.map((r: any) => r.messageId),
      [pulledId],
    );
    // Infobip's time format carries `+0000`: axios must encode the plus, Hookline must read it back.
    const since = ok(
      await infobip.channels.sms.logs.get({ bulkId: pulledBulkId, sentSince: formatInfobipTime(Date.now() - 3_600_000), sentUntil: formatInfobipTime(Date.now() + 60_000) }),
      'sms.logs.get with sentSince/sentUntil',
    );
    assert.match(lastExchange().url, /sentSince=[^&]*%2B0000/);
    assert.deepEqual(
      since.results.map((r: any) => r.messageId),
      [pulledId],
    );
    // No filter at all (axios sends no query string) works too.
    const all = ok(await infobip.channels.sms.logs.get(), 'sms.logs.get unfiltered');
    assert.ok(all.results.some((r: any) => r.messageId === pushedId));
  });

  test('scheduled bulk: get, reschedule, status PENDING, pause (PAUSED), cancel (CANCELED)', async () => {
    const bulkId = unique('sdk-scheduled');
    const sendAt = formatInfobipTime(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
    const sent = ok(
      await infobip.channels.sms.send({
        bulkId,
        messages: [
          {
            from: 'Hookline',
            destinations: [{ to: '41793026731' }, { to: '41793026732' }],
            text: 'Later',
            sendAt,
            notifyUrl: `${receiver.url}/sdk-scheduled`,
          },
        ],
      }),
      'sms.send (scheduled)',
    );
    assert.equal(sent.bulkId, bulkId);
    assert.deepEqual(
      sent.messages.map((m: any) => m.status.groupName),
      ['PENDING', 'PENDING'],
    );

    const schedule = ok(await infobip.channels.sms.scheduled.get(bulkId), 'sms.scheduled.get');
    assert.equal(lastExchange().method, 'GET');
    assert.deepEqual(schedule, { bulkId, sendAt });

    const later = formatInfobipTime(Math.floor(Date.now() / 1000) * 1000 + 2 * 3_600_000);
    const rescheduled = ok(await infobip.channels.sms.scheduled.reschedule(bulkId, later), 'sms.scheduled.reschedule');
    // The SDK PUTs to `/sms/1/bulks/?bulkId=…`: note the trailing slash before the query.
    assert.equal(lastExchange().method, 'PUT');
    assert.match(lastExchange().url, /\/sms\/1\/bulks\/\?bulkId=/);
    assert.deepEqual(rescheduled, { bulkId, sendAt: later });
    assert.deepEqual(ok(await infobip.channels.sms.scheduled.get(bulkId), 'sms.scheduled.get after reschedule'), { bulkId, sendAt: later });

    assert.deepEqual(ok(await infobip.channels.sms.status.get(bulkId), 'sms.status.get'), { bulkId, status: 'PENDING' });
    assert.match(lastExchange().url, /\/sms\/1\/bulks\/status\?bulkId=/);

    assert.deepEqual(ok(await infobip.channels.sms.status.update(bulkId, 'PAUSED'), 'sms.status.update PAUSED'), { bulkId, status: 'PAUSED' });
    assert.equal(lastExchange().method, 'PUT');
    assert.match(lastExchange().url, /\/sms\/1\/bulks\/status\/\?bulkId=/);
    assert.deepEqual(ok(await infobip.channels.sms.status.get(bulkId), 'sms.status.get after pause'), { bulkId, status: 'PAUSED' });

    assert.deepEqual(ok(await infobip.channels.sms.status.update(bulkId, 'CANCELED'), 'sms.status.update CANCELED'), { bulkId, status: 'CANCELED' });
    assert.deepEqual(ok(await infobip.channels.sms.status.get(bulkId), 'sms.status.get after cancel'), { bulkId, status: 'CANCELED' });

    // Canceled messages are logged as not sent, and nothing is ever pushed for them.
    const logs = ok(await infobip.channels.sms.logs.get({ bulkId }), 'sms.logs.get (canceled bulk)');
    assert.equal(logs.results.length, 2);
    for (const entry of logs.results) {
      assert.equal(entry.status.name, 'UNDELIVERABLE_NOT_SENT');
      assert.equal(entry.error.name, 'EC_MESSAGE_CANCELED');
    }
    assert.ok(!receiver.requests.some((r) => r.path === '/sdk-scheduled'));
  });

  test('sms.preview', async () => {
    const data = ok(await infobip.channels.sms.preview({ text: 'Let me know how many parts this is' }), 'sms.preview');
    assert.equal(data.originalText, 'Let me know how many parts this is');
    assert.equal(data.previews[0].messageCount, 1);
  });

  test('every SDK exchange was answered 200', (t) => {
    for (const e of exchanges) t.diagnostic(`${e.method} ${e.url} → ${e.status}`);
    assert.ok(exchanges.length > 0);
    assert.deepEqual(
      exchanges.filter((e) => e.status !== 200),
      [],
    );
  });
});

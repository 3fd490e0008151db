/**
 * Scheduled bulks (/sms/1/bulks, /sms/1/bulks/status), logs (/sms/1/logs, /sms/3/logs) and the
 * pull queue (/sms/1/reports, /sms/3/reports) over real HTTP. The gateway runs on a ManualClock
 * so sendAt, sentSince/sentUntil and every timestamp are exact; SIMULATOR_DELAY_MS=0 makes the
 * simulated network finish a message as soon as it is submitted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';
import { LEGACY_UNAUTHORIZED, parseXml, PENDING_ACCEPTED, qs, rawApi, REJECTED_DESTINATION, uniq, v3ErrorProperties, waitForFinal, waitUntil } from './support.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0, 0);
const MINUTE = 60_000;
const HOUR = 3_600_000;
const fmt = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

const DELIVERED = { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' };
const WAITING = { groupId: 1, groupName: 'PENDING', id: 3, name: 'PENDING_WAITING_DELIVERY', description: 'Message sent, waiting for delivery report' };
const NOT_SENT = { groupId: 2, groupName: 'UNDELIVERABLE', id: 31, name: 'UNDELIVERABLE_NOT_SENT', description: 'The message has not been sent' };
const NO_ERROR_V2 = { groupId: 0, groupName: 'Ok', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false };
const NO_ERROR_V3 = { ...NO_ERROR_V2, groupName: 'OK' };
const PRICE = { pricePerMessage: 0.01, currency: 'EUR' };
const NOT_FOUND_BULK = { requestError: { serviceException: { messageId: 'NOT_FOUND', text: 'Bulk not found' } } };

describe('bulks, logs and pull reports', () => {
  let g: TestGateway;
  let clock: ManualClock;
  let receiver: Receiver;

  before(async () => {
    clock = new ManualClock(T0);
    g = await startGateway({ SIMULATOR_DELAY_MS: '0' }, { clock });
    receiver = await Receiver.start();
  });
  after(async () => {
    await g.close();
    await receiver.close();
  });

  const v3 = (body: unknown) => g.api('POST', '/sms/3/messages', body);
  const v2 = (body: unknown) => g.api('POST', '/sms/2/text/advanced', body);
  const ids = (r: { body: any }) => r.body.messages.map((m: any) => m.messageId) as string[];

  /** Pulls with the given query until the queue answers empty; returns everything pulled. */
  async function drain(path: string, query: Record<string, string | number> = {}) {
    const all: any[] = [];
    for (let round = 0; round < 20; round++) {
      const r = await g.api('GET', path + qs({ limit: 1000, ...query }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (r.body.results.length === 0) return all;
      all.push(...r.body.results);
    }
    throw new Error(`${path} never ran empty: reports are being returned more than once`);
  }

  describe('scheduled bulks', () => {
    const bulkId = uniq('sched');
    const control = uniq('control');
    const paused = uniq('paused');
    let canceledIds: string[] = [];
    let controlIds: string[] = [];
    let pausedIds: string[] = [];
    const firstSendAt = T0 + HOUR;
    const laterSendAt = T0 + 2 * HOUR;

    it('accepts a v3 request with options.schedule {bulkId, sendAt in the future}', async () => {
      // 14:00 at +0100 is 13:00 UTC.
      const r = await v3({
        messages: [
          { destinations: [{ to: '41793026727' }], content: { text: 'pushed' }, webhooks: { delivery: { url: `${receiver.url}/dlr` } } },
          { destinations: [{ to: '41793026728' }], content: { text: 'pulled' } },
        ],
        options: { schedule: { bulkId, sendAt: '2026-01-01T14:00:00.000+0100' } },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.bulkId, bulkId);
      assert.deepEqual(r.body.messages.map((m: any) => m.status), [PENDING_ACCEPTED, PENDING_ACCEPTED]);
      canceledIds = ids(r);
    });

    it('GET /sms/1/bulks shows the schedule in UTC, with or without a trailing slash', async () => {
      const expected = { bulkId, sendAt: fmt(firstSendAt) };
      assert.equal(expected.sendAt, '2026-01-01T13:00:00.000+0000');
      const plain = await g.api('GET', '/sms/1/bulks' + qs({ bulkId }));
      assert.equal(plain.status, 200);
      assert.deepEqual(plain.body, expected);
      const slash = await g.api('GET', '/sms/1/bulks/' + qs({ bulkId }));
      assert.equal(slash.status, 200);
      assert.deepEqual(slash.body, expected);
    });

    it('GET /sms/1/bulks/status says PENDING, and nothing has been sent', async () => {
      const r = await g.api('GET', '/sms/1/bulks/status' + qs({ bulkId }));
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { bulkId, status: 'PENDING' });
      const logs = await g.api('GET', '/sms/3/logs' + qs({ bulkId }));
      assert.equal(logs.body.results.length, 2);
      for (const entry of logs.body.results) assert.deepEqual(entry.status, PENDING_ACCEPTED);
    });

    it('PUT /sms/1/bulks reschedules', async () => {
      const r = await g.api('PUT', '/sms/1/bulks' + qs({ bulkId }), { sendAt: fmt(laterSendAt) });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body, { bulkId, sendAt: '2026-01-01T14:00:00.000+0000' });
      const seen = await g.api('GET', '/sms/1/bulks' + qs({ bulkId }));
      assert.deepEqual(seen.body, { bulkId, sendAt: '2026-01-01T14:00:00.000+0000' });
    });

    it('PUT /sms/1/bulks refuses a malformed sendAt or one more than 180 days ahead', async () => {
      const malformed = await g.api('PUT', '/sms/1/bulks' + qs({ bulkId }), { sendAt: 'soon' });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.requestError.serviceException.messageId, 'BAD_REQUEST');
      assert.ok('sendAt' in malformed.body.requestError.serviceException.validationErrors);
      const tooFar = await g.api('PUT', '/sms/1/bulks' + qs({ bulkId }), { sendAt: fmt(clock.now() + 181 * 24 * HOUR) });
      assert.equal(tooFar.status, 400);
      assert.ok('sendAt' in tooFar.body.requestError.serviceException.validationErrors);
      const missing = await g.api('PUT', '/sms/1/bulks' + qs({ bulkId }), {});
      assert.equal(missing.status, 400);
      // The schedule is unchanged.
      const seen = await g.api('GET', '/sms/1/bulks' + qs({ bulkId }));
      assert.equal(seen.body.sendAt, fmt(laterSendAt));
    });

    it('PUT status PAUSED pauses, PUT PROCESSING resumes', async () => {
      const pause = await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId }), { status: 'PAUSED' });
      assert.equal(pause.status, 200, JSON.stringify(pause.body));
      assert.deepEqual(pause.body, { bulkId, status: 'PAUSED' });
      assert.deepEqual((await g.api('GET', '/sms/1/bulks/status' + qs({ bulkId }))).body, { bulkId, status: 'PAUSED' });

      // Pausing twice is harmless.
      const again = await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId }), { status: 'PAUSED' });
      assert.deepEqual(again.body, { bulkId, status: 'PAUSED' });

      const resume = await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId }), { status: 'PROCESSING' });
      assert.equal(resume.status, 200, JSON.stringify(resume.body));
      // Resumed, its messages wait for sendAt again.
      assert.deepEqual(resume.body, { bulkId, status: 'PENDING' });
      assert.deepEqual((await g.api('GET', '/sms/1/bulks/status' + qs({ bulkId }))).body, { bulkId, status: 'PENDING' });
    });

    it('refuses invalid status transitions with 400 in the legacy envelope', async () => {
      for (const status of ['FINISHED', 'FAILED']) {
        const r = await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId }), { status });
        assert.equal(r.status, 400, `${status}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.requestError.serviceException.messageId, 'BAD_REQUEST');
        assert.match(r.body.requestError.serviceException.text, new RegExp(status));
      }
      const unknown = await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId }), { status: 'STOPPED' });
      assert.equal(unknown.status, 400);
      assert.ok('status' in unknown.body.requestError.serviceException.validationErrors);
      // Still pending.
      assert.deepEqual((await g.api('GET', '/sms/1/bulks/status' + qs({ bulkId }))).body, { bulkId, status: 'PENDING' });
    });

    it('schedules a control bulk and a bulk to stay paused, due at the same time', async () => {
      const c = await v3({
        messages: [
          { destinations: [{ to: '41793026737' }], content: { text: 'control pushed' }, webhooks: { delivery: { url: `${receiver.url}/dlr` } } },
          { destinations: [{ to: '41793026738' }], content: { text: 'control pulled' } },
        ],
        options: { schedule: { bulkId: control, sendAt: fmt(laterSendAt) } },
      });
      assert.equal(c.status, 200);
      controlIds = ids(c);
      const p = await v2({ bulkId: paused, messages: [{ destinations: [{ to: '41793026747' }], text: 'paused', sendAt: fmt(laterSendAt) }] });
      assert.equal(p.status, 200);
      pausedIds = ids(p);
      const pause = await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId: paused }), { status: 'PAUSED' });
      assert.deepEqual(pause.body, { bulkId: paused, status: 'PAUSED' });
    });

    it('PUT status CANCELED cancels: logs show UNDELIVERABLE_NOT_SENT with EC_MESSAGE_CANCELED', async () => {
      const r = await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId }), { status: 'CANCELED' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body, { bulkId, status: 'CANCELED' });
      assert.deepEqual((await g.api('GET', '/sms/1/bulks/status' + qs({ bulkId }))).body, { bulkId, status: 'CANCELED' });

      const v2logs = await g.api('GET', '/sms/1/logs' + qs({ bulkId }));
      assert.equal(v2logs.body.results.length, 2);
      for (const entry of v2logs.body.results) {
        assert.deepEqual(entry.status, NOT_SENT);
        assert.equal(entry.error.id, 4100);
        assert.equal(entry.error.name, 'EC_MESSAGE_CANCELED');
        assert.equal(entry.error.permanent, true);
      }
      const v3logs = await g.api('GET', '/sms/3/logs' + qs({ bulkId }));
      assert.deepEqual(
        v3logs.body.results.map((e: any) => [e.status.id, e.error.id]),
        [
          [31, 4100],
          [31, 4100],
        ],
      );
    });

    it('a canceled bulk can be neither resumed nor rescheduled', async () => {
      const resume = await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId }), { status: 'PROCESSING' });
      assert.equal(resume.status, 400);
      assert.equal(resume.body.requestError.serviceException.messageId, 'BAD_REQUEST');
      const pause = await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId }), { status: 'PAUSED' });
      assert.equal(pause.status, 400);
      const reschedule = await g.api('PUT', '/sms/1/bulks' + qs({ bulkId }), { sendAt: fmt(laterSendAt + HOUR) });
      assert.equal(reschedule.status, 400);
    });

    it('at sendAt the control bulk goes out; the canceled bulk gets no report, pushed or pulled, and the paused bulk waits', async () => {
      assert.equal(receiver.requests.length, 0, 'nothing is pushed before sendAt');
      clock.set(laterSendAt + 1_000);
      await receiver.waitForResults(1);
      const final = await waitForFinal(g, controlIds);
      assert.deepEqual(final.get(controlIds[0]).status, DELIVERED);
      assert.deepEqual(final.get(controlIds[1]).status, DELIVERED);
      assert.equal(final.get(controlIds[0]).sentAt, fmt(laterSendAt + 1_000));
      assert.deepEqual((await g.api('GET', '/sms/1/bulks/status' + qs({ bulkId: control }))).body, { bulkId: control, status: 'FINISHED' });

      // The control's reports were routed in the same network pass the canceled ones would have been.
      assert.deepEqual(receiver.results().map((r) => r.messageId), [controlIds[0]]);
      const pulledControl = await drain('/sms/3/reports', { bulkId: control });
      assert.deepEqual(pulledControl.map((r) => r.messageId), [controlIds[1]]);
      assert.deepEqual(await drain('/sms/3/reports', { bulkId }), []);
      assert.deepEqual(await drain('/sms/1/reports', { bulkId }), []);
      const canceledLogs = await g.api('GET', '/sms/3/logs' + qs({ bulkId }));
      assert.deepEqual(canceledLogs.body.results.map((e: any) => e.status.id), [31, 31]);
      assert.deepEqual(canceledIds.length, 2);

      // The paused bulk did not go out although its sendAt passed.
      const pausedLogs = await g.api('GET', '/sms/1/logs' + qs({ bulkId: paused }));
      assert.deepEqual(pausedLogs.body.results.map((e: any) => e.status), [PENDING_ACCEPTED]);
      assert.deepEqual((await g.api('GET', '/sms/1/bulks/status' + qs({ bulkId: paused }))).body, { bulkId: paused, status: 'PAUSED' });
    });

    it('resuming a paused bulk after its sendAt sends it at once', async () => {
      const resume = await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId: paused }), { status: 'PROCESSING' });
      assert.equal(resume.status, 200);
      // Its messages may not have been picked up yet; either way it is no longer paused.
      assert.ok(['PENDING', 'PROCESSING', 'FINISHED'].includes(resume.body.status), JSON.stringify(resume.body));
      const final = await waitForFinal(g, pausedIds);
      assert.deepEqual(final.get(pausedIds[0]).status, DELIVERED);
      assert.deepEqual((await g.api('GET', '/sms/1/bulks/status' + qs({ bulkId: paused }))).body, { bulkId: paused, status: 'FINISHED' });
      // A finished bulk can no longer be paused or rescheduled.
      assert.equal((await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId: paused }), { status: 'PAUSED' })).status, 400);
      assert.equal((await g.api('PUT', '/sms/1/bulks' + qs({ bulkId: paused }), { sendAt: fmt(clock.now() + HOUR) })).status, 400);
      // Its report was pulled like any other (no webhook URL).
      const pulled = await drain('/sms/1/reports', { bulkId: paused });
      assert.deepEqual(pulled.map((r) => [r.messageId, r.status.id]), [[pausedIds[0], 5]]);
    });

    it('404 Bulk not found in the legacy envelope for an unknown bulk, on every bulk endpoint', async () => {
      const missing = qs({ bulkId: uniq('no-such-bulk') });
      for (const [method, path, body] of [
        ['GET', '/sms/1/bulks', undefined],
        ['GET', '/sms/1/bulks/', undefined],
        ['PUT', '/sms/1/bulks', { sendAt: fmt(clock.now() + HOUR) }],
        ['GET', '/sms/1/bulks/status', undefined],
        ['PUT', '/sms/1/bulks/status', { status: 'PAUSED' }],
      ] as const) {
        const r = await g.api(method, path + missing, body);
        assert.equal(r.status, 404, `${method} ${path}`);
        assert.deepEqual(r.body, NOT_FOUND_BULK, `${method} ${path}`);
      }
    });

    it('400 when bulkId is missing', async () => {
      const r = await g.api('GET', '/sms/1/bulks');
      assert.equal(r.status, 400);
      assert.ok('bulkId' in r.body.requestError.serviceException.validationErrors);
      const s = await g.api('GET', '/sms/1/bulks/status?bulkId=');
      assert.equal(s.status, 400);
    });

    it('a bulk that was sent at once has no schedule to show', async () => {
      const now = uniq('now');
      const r = await v3({ messages: [{ destinations: [{ to: '41793026757' }], content: { text: 'x' } }], options: { schedule: { bulkId: now } } });
      assert.equal(r.status, 200);
      const schedule = await g.api('GET', '/sms/1/bulks' + qs({ bulkId: now }));
      assert.equal(schedule.status, 404);
      assert.deepEqual(schedule.body, NOT_FOUND_BULK);
      await waitForFinal(g, ids(r));
    });

    it('401 on the bulk endpoints without a key', async () => {
      for (const [method, path] of [
        ['GET', '/sms/1/bulks'],
        ['PUT', '/sms/1/bulks'],
        ['GET', '/sms/1/bulks/status'],
        ['PUT', '/sms/1/bulks/status'],
      ]) {
        const r = await rawApi(g, method, path + qs({ bulkId }), method === 'PUT' ? { status: 'PAUSED', sendAt: fmt(T0) } : undefined);
        assert.equal(r.status, 401, `${method} ${path}`);
        assert.deepEqual(r.body, LEGACY_UNAUTHORIZED);
      }
    });
  });

  describe('logs', () => {
    const bulkA = uniq('logs-a');
    const bulkB = uniq('logs-b');
    let sentAtA = 0;
    let sentAtB = 0;
    let idsA: string[] = [];
    let idsB: string[] = [];

    before(async () => {
      sentAtA = clock.now();
      const a = await v2({
        bulkId: bulkA,
        messages: [
          {
            from: 'ShopCo',
            destinations: [{ to: '41793026727' }, { to: '12345' }],
            text: 'Your parcel ships today',
            entityId: 'ent-1',
            applicationId: 'app-1',
            campaignReferenceId: 'camp-1',
            callbackData: 'order=77',
          },
        ],
      });
      assert.equal(a.status, 200);
      idsA = ids(a);
      await waitForFinal(g, idsA);

      clock.advance(10 * MINUTE);
      sentAtB = clock.now();
      const b = await v3({
        messages: [
          {
            sender: 'InfoSMS',
            destinations: [{ to: '41793026834' }, { to: '41793026835' }, { to: '41793021002' }],
            content: { text: 'a'.repeat(161) },
            options: { platform: { entityId: 'ent-3', applicationId: 'app-3' }, campaignReferenceId: 'camp-3' },
          },
        ],
        options: { schedule: { bulkId: bulkB } },
      });
      assert.equal(b.status, 200);
      idsB = ids(b);
      await waitForFinal(g, idsB);
    });

    it('GET /sms/1/logs has the v2 fields (to, from, text, smsCount, error group "Ok")', async () => {
      const r = await g.api('GET', '/sms/1/logs' + qs({ messageId: idsA[0] }));
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        results: [
          {
            bulkId: bulkA,
            messageId: idsA[0],
            sentAt: fmt(sentAtA),
            doneAt: fmt(sentAtA),
            mccMnc: '22801',
            price: PRICE,
            status: DELIVERED,
            to: '41793026727',
            from: 'ShopCo',
            text: 'Your parcel ships today',
            smsCount: 1,
            error: NO_ERROR_V2,
            applicationId: 'app-1',
            entityId: 'ent-1',
            campaignReferenceId: 'camp-1',
          },
        ],
      });
    });

    it('GET /sms/3/logs has the v3 fields (destination, sender, messageCount, content.text, platform)', async () => {
      const r = await g.api('GET', '/sms/3/logs' + qs({ messageId: idsB[0] }));
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        results: [
          {
            bulkId: bulkB,
            messageId: idsB[0],
            sentAt: fmt(sentAtB),
            doneAt: fmt(sentAtB),
            mccMnc: '22801',
            price: PRICE,
            status: DELIVERED,
            destination: '41793026834',
            sender: 'InfoSMS',
            messageCount: 2,
            error: NO_ERROR_V3,
            platform: { entityId: 'ent-3', applicationId: 'app-3' },
            content: { text: 'a'.repeat(161) },
            campaignReferenceId: 'camp-3',
          },
        ],
      });
    });

    it('a rejected destination is logged with its rejection status and no price', async () => {
      const r = await g.api('GET', '/sms/1/logs' + qs({ messageId: idsA[1] }));
      assert.equal(r.body.results.length, 1);
      assert.deepEqual(r.body.results[0].status, REJECTED_DESTINATION);
      assert.equal(r.body.results[0].to, '12345');
      assert.equal(r.body.results[0].price.pricePerMessage, 0);
    });

    it('filters by a comma-separated bulkId list, newest first', async () => {
      const one = await g.api('GET', '/sms/3/logs' + qs({ bulkId: bulkA }));
      assert.deepEqual(one.body.results.map((e: any) => e.messageId).sort(), [...idsA].sort());
      const both = await g.api('GET', '/sms/3/logs' + qs({ bulkId: `${bulkA},${bulkB}` }));
      assert.equal(both.body.results.length, 5);
      assert.deepEqual(
        both.body.results.map((e: any) => e.bulkId),
        [bulkB, bulkB, bulkB, bulkA, bulkA],
      );
      const v1 = await g.api('GET', '/sms/1/logs' + qs({ bulkId: `${bulkA},${bulkB}` }));
      assert.equal(v1.body.results.length, 5);
    });

    it('filters by messageId (one or a list)', async () => {
      const one = await g.api('GET', '/sms/1/logs' + qs({ messageId: idsB[1] }));
      assert.deepEqual(one.body.results.map((e: any) => e.messageId), [idsB[1]]);
      const two = await g.api('GET', '/sms/3/logs' + qs({ messageId: `${idsA[0]},${idsB[2]}` }));
      assert.deepEqual(two.body.results.map((e: any) => e.messageId).sort(), [idsA[0], idsB[2]].sort());
    });

    it('filters by generalStatus', async () => {
      const bulks = `${bulkA},${bulkB}`;
      const delivered = await g.api('GET', '/sms/3/logs' + qs({ bulkId: bulks, generalStatus: 'DELIVERED' }));
      assert.deepEqual(delivered.body.results.map((e: any) => e.messageId).sort(), [idsA[0], idsB[0], idsB[1]].sort());
      const rejected = await g.api('GET', '/sms/1/logs' + qs({ bulkId: bulks, generalStatus: 'REJECTED' }));
      assert.deepEqual(rejected.body.results.map((e: any) => e.messageId), [idsA[1]]);
      const undeliverable = await g.api('GET', '/sms/3/logs' + qs({ bulkId: bulks, generalStatus: 'UNDELIVERABLE' }));
      assert.deepEqual(undeliverable.body.results.map((e: any) => [e.messageId, e.status.id, e.error.id]), [[idsB[2], 9, 1]]);
      const bad = await g.api('GET', '/sms/3/logs' + qs({ generalStatus: 'GREAT' }));
      assert.equal(bad.status, 400);
      assert.deepEqual([...new Set(v3ErrorProperties(bad.body))], ['generalStatus']);
    });

    it('filters by sentSince / sentUntil', async () => {
      const bulks = `${bulkA},${bulkB}`;
      const middle = fmt(sentAtA + 5 * MINUTE);
      const since = await g.api('GET', '/sms/3/logs' + qs({ bulkId: bulks, sentSince: middle }));
      assert.deepEqual(since.body.results.map((e: any) => e.bulkId), [bulkB, bulkB, bulkB]);
      const until = await g.api('GET', '/sms/1/logs' + qs({ bulkId: bulks, sentUntil: middle }));
      assert.deepEqual(until.body.results.map((e: any) => e.bulkId), [bulkA, bulkA]);
      const window = await g.api('GET', '/sms/3/logs' + qs({ bulkId: bulks, sentSince: fmt(sentAtB), sentUntil: fmt(sentAtB) }));
      assert.equal(window.body.results.length, 3, 'both bounds are inclusive');
      // ISO-8601 with a colon in the offset is accepted too.
      const iso = await g.api('GET', '/sms/3/logs' + qs({ bulkId: bulks, sentSince: '2026-01-01T13:05:00.000+01:00' }));
      assert.equal(iso.status, 200);
      assert.equal(iso.body.results.length, sentAtA >= Date.UTC(2026, 0, 1, 12, 5) ? 5 : 3);
      const bad = await g.api('GET', '/sms/1/logs' + qs({ sentSince: 'yesterday' }));
      assert.equal(bad.status, 400);
      assert.ok('sentSince' in bad.body.requestError.serviceException.validationErrors);
    });

    it('respects limit; limit over 1000 (or under 1) is a 400 in each family\'s envelope', async () => {
      const bulks = `${bulkA},${bulkB}`;
      const two = await g.api('GET', '/sms/3/logs' + qs({ bulkId: bulks, limit: 2 }));
      assert.equal(two.body.results.length, 2);
      assert.equal('cursor' in two.body, false, 'no cursor unless asked for');
      const v1 = await g.api('GET', '/sms/1/logs' + qs({ bulkId: bulks, limit: 1 }));
      assert.equal(v1.body.results.length, 1);
      const max = await g.api('GET', '/sms/1/logs' + qs({ limit: 1000 }));
      assert.equal(max.status, 200);

      const v3over = await g.api('GET', '/sms/3/logs' + qs({ limit: 1001 }));
      assert.equal(v3over.status, 400);
      assert.deepEqual(v3ErrorProperties(v3over.body), ['limit']);
      const v1over = await g.api('GET', '/sms/1/logs' + qs({ limit: 1001 }));
      assert.equal(v1over.status, 400);
      assert.ok('limit' in v1over.body.requestError.serviceException.validationErrors);
      for (const limit of ['0', 'ten']) {
        const r = await g.api('GET', '/sms/3/logs' + qs({ limit }));
        assert.equal(r.status, 400, `limit=${limit}`);
      }
    });

    it('v3 pages with useCursor: cursor.nextCursor leads to the next page', async () => {
      const bulks = `${bulkA},${bulkB}`;
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const r = await g.api('GET', '/sms/3/logs' + qs({ bulkId: bulks, limit: 2, useCursor: true, ...(cursor ? { cursor } : {}) }));
        assert.equal(r.status, 200);
        assert.equal(r.body.cursor.limit, 2);
        seen.push(...r.body.results.map((e: any) => e.messageId));
        cursor = r.body.cursor.nextCursor;
        if (cursor !== undefined) assert.equal(typeof cursor, 'string');
        pages++;
        assert.ok(pages < 10, 'paging must end');
      } while (cursor);
      assert.equal(pages, 3);
      assert.equal(seen.length, 5);
      assert.equal(new Set(seen).size, 5, 'no entry twice');
      assert.deepEqual([...seen].sort(), [...idsA, ...idsB].sort());

      const badCursor = await g.api('GET', '/sms/3/logs' + qs({ useCursor: true, cursor: 'not-a-cursor' }));
      assert.equal(badCursor.status, 400);
      assert.deepEqual(v3ErrorProperties(badCursor.body), ['cursor']);
    });

    it('logs are never consumed: the same query answers the same twice', async () => {
      const query = qs({ bulkId: `${bulkA},${bulkB}` });
      for (const path of ['/sms/1/logs', '/sms/3/logs']) {
        const first = await g.api('GET', path + query);
        const second = await g.api('GET', path + query);
        assert.equal(first.body.results.length, 5);
        assert.deepEqual(second.body, first.body);
      }
      // Pulling reports does not consume logs either.
      await drain('/sms/1/reports', { bulkId: bulkA });
      const after = await g.api('GET', '/sms/1/logs' + qs({ bulkId: bulkA }));
      assert.equal(after.body.results.length, 2);
    });

    it('answers in XML with the roots Infobip documents (smsLogsResponse, LogResponse)', async () => {
      const v1 = await g.api('GET', '/sms/1/logs' + qs({ bulkId: bulkA }), undefined, { accept: 'application/xml' });
      assert.equal(v1.status, 200);
      const d1 = parseXml(v1.body);
      assert.deepEqual(Object.keys(d1).filter((k) => k !== '?xml'), ['smsLogsResponse']);
      assert.equal(d1.smsLogsResponse.results.result.length, 2);
      const v3x = await g.api('GET', '/sms/3/logs' + qs({ messageId: idsB[0] }), undefined, { accept: 'application/xml' });
      const d3 = parseXml(v3x.body);
      assert.deepEqual(Object.keys(d3).filter((k) => k !== '?xml'), ['LogResponse']);
      assert.equal(d3.LogResponse.results.result.destination, '41793026834');
      assert.equal(d3.LogResponse.results.result.content.text, 'a'.repeat(161));
    });

    it('401 without a key, in each family\'s envelope', async () => {
      const v1 = await rawApi(g, 'GET', '/sms/1/logs');
      assert.equal(v1.status, 401);
      assert.deepEqual(v1.body, LEGACY_UNAUTHORIZED);
      const v3r = await rawApi(g, 'GET', '/sms/3/logs', undefined, { authorization: 'App wrong' });
      assert.equal(v3r.status, 401);
      assert.equal(v3r.body.errorCode, 'E401');
    });
  });

  describe('pull reports', () => {
    before(async () => {
      // Everything earlier in this file is final by now; start from an empty queue.
      await drain('/sms/1/reports');
    });

    it('/sms/1/reports returns v2-shaped reports once', async () => {
      const bulkId = uniq('pull-v2');
      const sentAt = clock.now();
      const r = await v2({
        bulkId,
        messages: [{ from: 'ShopCo', destinations: [{ to: '41793026727' }], text: 'x', callbackData: 'cb-2', entityId: 'e2', applicationId: 'a2', campaignReferenceId: 'c2' }],
      });
      const [id] = ids(r);
      await waitForFinal(g, [id]);
      const first = await g.api('GET', '/sms/1/reports' + qs({ bulkId }));
      assert.equal(first.status, 200);
      assert.deepEqual(first.body, {
        results: [
          {
            bulkId,
            messageId: id,
            to: '41793026727',
            from: 'ShopCo',
            sentAt: fmt(sentAt),
            doneAt: fmt(sentAt),
            smsCount: 1,
            mccMnc: '22801',
            callbackData: 'cb-2',
            price: PRICE,
            status: DELIVERED,
            error: NO_ERROR_V2,
            entityId: 'e2',
            applicationId: 'a2',
            campaignReferenceId: 'c2',
          },
        ],
      });
      const second = await g.api('GET', '/sms/1/reports' + qs({ bulkId }));
      assert.deepEqual(second.body, { results: [] });
    });

    it('/sms/3/reports returns v3-shaped reports once', async () => {
      const bulkId = uniq('pull-v3');
      const sentAt = clock.now();
      const r = await v3({
        messages: [
          {
            sender: 'InfoSMS',
            destinations: [{ to: '41793026727' }],
            content: { text: 'y' },
            options: { platform: { entityId: 'e3', applicationId: 'a3' }, campaignReferenceId: 'c3' },
            webhooks: { callbackData: 'cb-3' },
          },
        ],
        options: { schedule: { bulkId } },
      });
      const [id] = ids(r);
      await waitForFinal(g, [id]);
      const first = await g.api('GET', '/sms/3/reports' + qs({ bulkId }));
      assert.equal(first.status, 200);
      assert.deepEqual(first.body, {
        results: [
          {
            bulkId,
            price: PRICE,
            status: DELIVERED,
            error: NO_ERROR_V3,
            messageId: id,
            to: '41793026727',
            sender: 'InfoSMS',
            sentAt: fmt(sentAt),
            doneAt: fmt(sentAt),
            messageCount: 1,
            mccMnc: '22801',
            callbackData: 'cb-3',
            platform: { entityId: 'e3', applicationId: 'a3' },
            campaignReferenceId: 'c3',
          },
        ],
      });
      assert.deepEqual((await g.api('GET', '/sms/3/reports' + qs({ bulkId }))).body, { results: [] });
    });

    it('one queue per account: v1 and v3 drain the same reports, each in its own shape, each once', async () => {
      const bulkV2 = uniq('shared-v2');
      const bulkV3 = uniq('shared-v3');
      const a = await v2({ bulkId: bulkV2, messages: [{ from: 'S2', destinations: [{ to: '41793026727' }], text: 'via v2' }] });
      const b = await v3({ messages: [{ sender: 'S3', destinations: [{ to: '41793026728' }], content: { text: 'via v3' } }], options: { schedule: { bulkId: bulkV3 } } });
      const [idA] = ids(a);
      const [idB] = ids(b);
      await waitForFinal(g, [idA, idB]);

      const pulled = await g.api('GET', '/sms/3/reports');
      assert.deepEqual(pulled.body.results.map((r: any) => r.messageId), [idA, idB]);
      for (const report of pulled.body.results) {
        assert.ok('sender' in report && 'messageCount' in report, 'v3 shape');
        assert.ok(!('from' in report) && !('smsCount' in report), 'not v2 shape');
        assert.equal(report.error.groupName, 'OK');
      }
      assert.deepEqual((await g.api('GET', '/sms/1/reports')).body, { results: [] });
      assert.deepEqual((await g.api('GET', '/sms/3/reports')).body, { results: [] });

      // And the other way round.
      const c = await v3({ messages: [{ sender: 'S3', destinations: [{ to: '41793026729' }], content: { text: 'again' } }] });
      const [idC] = ids(c);
      await waitForFinal(g, [idC]);
      const viaV1 = await g.api('GET', '/sms/1/reports');
      assert.deepEqual(viaV1.body.results.map((r: any) => r.messageId), [idC]);
      assert.equal(viaV1.body.results[0].from, 'S3');
      assert.equal(viaV1.body.results[0].smsCount, 1);
      assert.equal(viaV1.body.results[0].error.groupName, 'Ok');
      assert.equal('sender' in viaV1.body.results[0], false);
      assert.deepEqual((await g.api('GET', '/sms/3/reports')).body, { results: [] });
    });

    it('respects limit and the bulkId / messageId filters', async () => {
      const bulkId = uniq('pull-limit');
      const other = uniq('pull-other');
      const r = await v3({
        messages: [{ destinations: ['41793026801', '41793026802', '41793026803', '41793026804'].map((to) => ({ to })), content: { text: 'z' } }],
        options: { schedule: { bulkId } },
      });
      const o = await v3({ messages: [{ destinations: [{ to: '41793026805' }], content: { text: 'z' } }], options: { schedule: { bulkId: other } } });
      const batch = ids(r);
      const [otherId] = ids(o);
      await waitForFinal(g, [...batch, otherId]);

      const byMessage = await g.api('GET', '/sms/1/reports' + qs({ messageId: batch[2] }));
      assert.deepEqual(byMessage.body.results.map((x: any) => x.messageId), [batch[2]]);
      assert.deepEqual((await g.api('GET', '/sms/1/reports' + qs({ messageId: batch[2] }))).body.results, []);

      const page1 = await g.api('GET', '/sms/3/reports' + qs({ bulkId, limit: 2 }));
      assert.deepEqual(page1.body.results.map((x: any) => x.messageId), [batch[0], batch[1]]);
      const page2 = await g.api('GET', '/sms/3/reports' + qs({ bulkId, limit: 2 }));
      assert.deepEqual(page2.body.results.map((x: any) => x.messageId), [batch[3]]);
      assert.deepEqual((await g.api('GET', '/sms/3/reports' + qs({ bulkId, limit: 2 }))).body.results, []);

      // The other bulk's report was untouched by the filtered pulls.
      const rest = await g.api('GET', '/sms/3/reports');
      assert.deepEqual(rest.body.results.map((x: any) => x.messageId), [otherId]);
    });

    it('limit over 1000 or under 1 is a 400', async () => {
      const v1 = await g.api('GET', '/sms/1/reports' + qs({ limit: 1001 }));
      assert.equal(v1.status, 400);
      assert.ok('limit' in v1.body.requestError.serviceException.validationErrors);
      const v3r = await g.api('GET', '/sms/3/reports' + qs({ limit: 0 }));
      assert.equal(v3r.status, 400);
      assert.deepEqual(v3ErrorProperties(v3r.body), ['limit']);
    });

    it('defaults to 50 per pull', async () => {
      const bulkId = uniq('pull-default');
      const r = await v3({
        messages: [{ destinations: Array.from({ length: 51 }, (_, i) => ({ to: String(41793030000 + i) })), content: { text: 'many' } }],
        options: { schedule: { bulkId } },
      });
      await waitForFinal(g, ids(r));
      assert.equal((await g.api('GET', '/sms/3/reports' + qs({ bulkId }))).body.results.length, 50);
      assert.equal((await g.api('GET', '/sms/3/reports' + qs({ bulkId }))).body.results.length, 1);
    });

    it('a rejected destination\'s final report is pulled too', async () => {
      const bulkId = uniq('pull-rejected');
      const r = await v2({ bulkId, messages: [{ destinations: [{ to: 'nope' }], text: 'x' }] });
      assert.deepEqual(r.body.messages[0].status, REJECTED_DESTINATION);
      const pulled = await waitUntil(async () => {
        const p = await g.api('GET', '/sms/1/reports' + qs({ bulkId }));
        return p.body.results.length ? p.body.results : undefined;
      }, 'the rejection report');
      assert.deepEqual(pulled.map((x: any) => [x.messageId, x.status]), [[r.body.messages[0].messageId, REJECTED_DESTINATION]]);
    });

    it('webhooks.delivery.notify=false with a url: the report is pulled, not pushed', async () => {
      const bulkId = uniq('notify-false');
      const before = receiver.requests.length;
      const r = await v3({
        messages: [
          { destinations: [{ to: '41793026901' }], content: { text: 'quiet' }, webhooks: { delivery: { url: `${receiver.url}/quiet`, notify: false } } },
          { destinations: [{ to: '41793026902' }], content: { text: 'loud' }, webhooks: { delivery: { url: `${receiver.url}/quiet` } } },
        ],
        options: { schedule: { bulkId } },
      });
      const [quiet, loud] = ids(r);
      // The pushed one is the barrier: both were routed in the same network pass.
      await receiver.waitFor(() => receiver.results().some((x) => x.messageId === loud), 10_000, 'the loud report');
      await waitForFinal(g, [quiet, loud]);
      const pushedHere = receiver.requests.slice(before).flatMap((req) => JSON.parse(req.body).results.map((x: any) => x.messageId));
      assert.deepEqual(pushedHere, [loud]);
      assert.equal(receiver.results().some((x) => x.messageId === quiet), false);

      const pulled = await drain('/sms/3/reports', { bulkId });
      assert.deepEqual(pulled.map((x) => [x.messageId, x.status.id]), [[quiet, 5]]);
    });

    it('intermediate reports enter the pull queue only when intermediateReport was requested', async () => {
      const bulkV3 = uniq('inter-v3');
      const bulkV2 = uniq('inter-v2');
      const r3 = await v3({
        messages: [
          { destinations: [{ to: '41793021001' }], content: { text: 'wants' }, webhooks: { delivery: { intermediateReport: true } } },
          { destinations: [{ to: '41793031001' }], content: { text: 'does not' } },
        ],
        options: { schedule: { bulkId: bulkV3 } },
      });
      const r2 = await v2({
        bulkId: bulkV2,
        messages: [
          { destinations: [{ to: '41793041001' }], text: 'wants', intermediateReport: true },
          { destinations: [{ to: '41793051001' }], text: 'does not', intermediateReport: false },
        ],
      });
      const [wants3, not3] = ids(r3);
      const [wants2, not2] = ids(r2);
      await waitForFinal(g, [wants3, not3, wants2, not2]);

      const pulled3 = await drain('/sms/3/reports', { bulkId: bulkV3 });
      const key = (x: Array<string | number>) => x.join('/');
      assert.deepEqual(
        pulled3.map((x) => key([x.messageId, x.status.id, x.error.id])).sort(),
        [key([wants3, 3, 27]), key([wants3, 5, 0]), key([not3, 5, 0])].sort(),
      );
      const ofWants3 = pulled3.filter((x) => x.messageId === wants3);
      assert.deepEqual(ofWants3.map((x) => x.status), [WAITING, DELIVERED], 'intermediate first, then final');
      assert.equal(ofWants3[0].error.name, 'EC_ABSENT_SUBSCRIBER');
      assert.equal(ofWants3[0].error.permanent, false);
      assert.deepEqual(pulled3.filter((x) => x.messageId === not3).map((x) => x.status.id), [5]);

      const pulled2 = await drain('/sms/1/reports', { bulkId: bulkV2 });
      assert.deepEqual(pulled2.filter((x) => x.messageId === wants2).map((x) => x.status.id), [3, 5]);
      assert.deepEqual(pulled2.filter((x) => x.messageId === not2).map((x) => x.status.id), [5]);
    });

    it('answers in XML with roots reportResponse (v1) and DeliveryReports (v3)', async () => {
      const r = await v3({ messages: [{ destinations: [{ to: '41793026727' }, { to: '41793026728' }], content: { text: 'xml' } }] });
      const [a, b] = ids(r);
      await waitForFinal(g, [a, b]);
      const v1 = await g.api('GET', '/sms/1/reports' + qs({ messageId: a }), undefined, { accept: 'application/xml' });
      const d1 = parseXml(v1.body);
      assert.equal(d1.reportResponse.results.result.messageId, a);
      assert.equal(d1.reportResponse.results.result.error.groupName, 'Ok');
      const v3x = await g.api('GET', '/sms/3/reports' + qs({ messageId: b }), undefined, { accept: 'application/xml' });
      const d3 = parseXml(v3x.body);
      assert.equal(d3.DeliveryReports.results.result.messageId, b);
      assert.equal(d3.DeliveryReports.results.result.error.groupName, 'OK');
    });

    it('401 without a key, in each family\'s envelope', async () => {
      const v1 = await rawApi(g, 'GET', '/sms/1/reports');
      assert.equal(v1.status, 401);
      assert.deepEqual(v1.body, LEGACY_UNAUTHORIZED);
      const v3r = await rawApi(g, 'GET', '/sms/3/reports');
      assert.equal(v3r.status, 401);
      assert.equal(v3r.body.errorCode, 'E401');
    });
  });
});

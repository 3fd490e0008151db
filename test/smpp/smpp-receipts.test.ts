/**
 * Delivery receipts over SMPP, end to end: POST /sms/3/messages → submit_sm to the SMSC simulator
 * → deliver_sm receipt → the report pushed to a real receiver. Every receipt `stat:` maps to
 * Infobip's status and error; intermediate receipts become intermediate reports; ids are matched
 * by the receipted_message_id TLV or the receipt text, hex or decimal; a receipt may come before
 * its submit_sm_resp; a long message has one status for all its parts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { receiverPool } from '../helpers/receiver.ts';
import { ending, reportsOf, sendSms, startSmpp, statusOf, type SmppSetup } from './smpp-support.ts';

const receivers = receiverPool();
after(() => receivers.closeAll());

/** A GSM-7 text of three parts (153 + 153 + 14 septets). */
const LONG_TEXT = 'x'.repeat(320);

describe('receipt stat: → Infobip status and error', { concurrency: true }, () => {
  let s: SmppSetup;
  before(async () => {
    s = await startSmpp();
  });
  after(() => s.close());

  const cases: Array<[digits: string, stat: string, status: string, error: string]> = [
    ['2001', 'DELIVRD', 'DELIVERED_TO_HANDSET', 'NO_ERROR'],
    ['2002', 'UNDELIV err:001', 'UNDELIVERABLE_NOT_DELIVERED', 'EC_UNKNOWN_SUBSCRIBER'],
    ['2003', 'EXPIRED', 'EXPIRED_EXPIRED', 'NO_ERROR'],
    ['2004', 'REJECTD', 'UNDELIVERABLE_REJECTED_OPERATOR', 'NO_ERROR'],
    ['2007', 'UNKNOWN', 'EXPIRED_DLR_UNKNOWN', 'NO_ERROR'],
    ['2008', 'DELETED', 'UNDELIVERABLE_NOT_DELIVERED', 'NO_ERROR'],
    ['2012', 'UNDELIV err:027', 'UNDELIVERABLE_NOT_DELIVERED', 'EC_ABSENT_SUBSCRIBER'],
  ];
  for (const [digits, stat, status, error] of cases) {
    test(`${stat} → ${status} / ${error}`, async () => {
      const rx = await receivers.start();
      const sent = await sendSms(s.g, rx.url, ending(digits));
      const [report] = await reportsOf(rx, sent.messageId, 1);
      assert.deepEqual(statusOf(report!), [status, error]);
      assert.equal(report!.to, sent.to);
      assert.equal(report!.messageCount, 1);
    });
  }

  for (const [digits, stat, intermediate] of [['2005', 'ACCEPTD', 'PENDING_ACCEPTED'], ['2006', 'ENROUTE', 'PENDING_ENROUTE']] as const) {
    test(`${stat} then DELIVRD, with intermediateReport → ${intermediate}, then DELIVERED_TO_HANDSET`, async () => {
      const rx = await receivers.start();
      const sent = await sendSms(s.g, rx.url, ending(digits), { intermediate: true });
      const reports = await reportsOf(rx, sent.messageId, 2);
      assert.deepEqual(reports.map(statusOf), [[intermediate, 'NO_ERROR'], ['DELIVERED_TO_HANDSET', 'NO_ERROR']]);
      const submit = s.smsc.submits.find((x) => x.destination === sent.to)!;
      assert.equal(submit.registeredDelivery, 0x11, 'a final receipt and intermediate notifications asked for');
    });

    test(`${stat} then DELIVRD, without intermediateReport → only the final report`, async () => {
      const rx = await receivers.start();
      const sent = await sendSms(s.g, rx.url, ending(digits));
      const reports = await reportsOf(rx, sent.messageId, 1);
      await s.smsc.waitFor(() => s.smsc.submits.some((x) => x.destination === sent.to));
      assert.deepEqual(reports.map(statusOf), [['DELIVERED_TO_HANDSET', 'NO_ERROR']]);
      assert.equal(s.smsc.submits.find((x) => x.destination === sent.to)!.registeredDelivery, 0x01);
    });
  }
});

describe('message ids: hex in submit_sm_resp, decimal in the receipt text, no TLVs', () => {
  let s: SmppSetup;
  before(async () => {
    s = await startSmpp({ smsc: { idFormat: 'hex', receiptTlvs: false, receiptIdInText: 'decimal' }, connection: { messageIds: { response: 'hex', receipt: 'decimal' } } });
  });
  after(() => s.close());

  test('the receipt is matched by the value of its id and the message delivered', async () => {
    const rx = await receivers.start();
    const sent = await sendSms(s.g, rx.url, ending('2002'));
    const [report] = await reportsOf(rx, sent.messageId, 1);
    assert.deepEqual(statusOf(report!), ['UNDELIVERABLE_NOT_DELIVERED', 'EC_UNKNOWN_SUBSCRIBER']);
    const submit = s.smsc.submits.find((x) => x.destination === sent.to)!;
    assert.match(submit.messageId!, /[a-f]/, 'a hex id with letters');
    const part = await s.g.hookline.store.db.selectFrom('smpp_parts').selectAll().where('smsc_id', '=', BigInt(`0x${submit.messageId}`).toString()).executeTakeFirstOrThrow();
    assert.equal(part.state, 'done');
  });
});

describe('the same ids compared as strings when the formats are not declared', () => {
  let s: SmppSetup;
  before(async () => {
    s = await startSmpp({ smsc: { idFormat: 'hex', receiptTlvs: false, receiptIdInText: 'decimal' } });
  });
  after(() => s.close());

  test('a decimal receipt id does not match a hex response id: the receipt waits, the message is not reported', async () => {
    const rx = await receivers.start();
    const sent = await sendSms(s.g, rx.url, ending('0042'));
    await s.smsc.waitFor(() => s.smsc.receiptsSent >= 1);
    const db = s.g.hookline.store.db;
    await s.smsc.waitFor(() => s.smsc.deliveredAcks >= 1);
    const waiting = await db.selectFrom('smpp_pending_receipts').selectAll().execute();
    assert.equal(waiting.length, 1, 'kept for a part that may yet get that id');
    assert.equal(rx.results().filter((r) => r.messageId === sent.messageId).length, 0);
  });
});

describe('receipt before submit_sm_resp', () => {
  let s: SmppSetup;
  before(async () => {
    s = await startSmpp({ smsc: { receiptBeforeResponse: true } });
  });
  after(() => s.close());

  test('each message is reported once, with the receipt’s status', async () => {
    const rx = await receivers.start();
    const sent = await Promise.all([ending('2001'), ending('2002'), ending('2004')].map((to) => sendSms(s.g, rx.url, to)));
    const reports = await Promise.all(sent.map((m) => reportsOf(rx, m.messageId, 1)));
    assert.deepEqual(reports.map((r) => statusOf(r[0]!)[0]), ['DELIVERED_TO_HANDSET', 'UNDELIVERABLE_NOT_DELIVERED', 'UNDELIVERABLE_REJECTED_OPERATOR']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(rx.results().length, 3, 'no report twice');
    const waiting = await s.g.hookline.store.db.selectFrom('smpp_pending_receipts').selectAll().execute();
    assert.equal(waiting.length, 0, 'nothing left waiting');
  });
});

describe('multi-part messages: one status for the message', { concurrency: true }, () => {
  let s: SmppSetup;
  before(async () => {
    s = await startSmpp();
  });
  after(() => s.close());

  test('every part delivered → DELIVERED_TO_HANDSET once, messageCount 3', async () => {
    const rx = await receivers.start();
    const sent = await sendSms(s.g, rx.url, ending('3001'), { text: LONG_TEXT });
    const reports = await reportsOf(rx, sent.messageId, 1);
    assert.deepEqual(statusOf(reports[0]!), ['DELIVERED_TO_HANDSET', 'NO_ERROR']);
    assert.equal(reports[0]!.messageCount, 3);
    assert.equal(s.smsc.submits.filter((x) => x.destination === sent.to).length, 3);
    const parts = await s.g.hookline.store.db.selectFrom('smpp_parts').selectAll().where('message_pk', 'in', s.g.hookline.store.db.selectFrom('messages').select('pk').where('message_id', '=', sent.messageId)).orderBy('part').execute();
    assert.deepEqual(parts.map((p) => [p.part, p.parts, p.state]), [[0, 3, 'done'], [1, 3, 'done'], [2, 3, 'done']]);
    assert.equal(new Set(parts.map((p) => p.smsc_id)).size, 3, 'the SMSC id of each part is kept');
  });

  test('first part delivered, the others not → the failure’s status and error', async () => {
    const rx = await receivers.start();
    const sent = await sendSms(s.g, rx.url, ending('2013'), { text: LONG_TEXT });
    const reports = await reportsOf(rx, sent.messageId, 1);
    assert.deepEqual(statusOf(reports[0]!), ['UNDELIVERABLE_NOT_DELIVERED', 'EC_UNKNOWN_SUBSCRIBER']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(rx.results().filter((r) => r.messageId === sent.messageId).length, 1, 'one report for the message');
  });

  test('a part never receipted → EXPIRED_EXPIRED at the validity end, not before', async () => {
    const rx = await receivers.start();
    const started = Date.now();
    const sent = await sendSms(s.g, rx.url, ending('2014'), { text: LONG_TEXT, validitySeconds: 2 });
    const reports = await reportsOf(rx, sent.messageId, 1, 10_000);
    assert.ok(Date.now() - started >= 1_900, 'at the validity end');
    assert.deepEqual(statusOf(reports[0]!), ['EXPIRED_EXPIRED', 'EC_VALIDITY_EXPIRED']);
  });

  test('a single part never receipted → EXPIRED_EXPIRED at the validity end', async () => {
    const rx = await receivers.start();
    const sent = await sendSms(s.g, rx.url, ending('2009'), { validitySeconds: 1 });
    const reports = await reportsOf(rx, sent.messageId, 1, 10_000);
    assert.deepEqual(statusOf(reports[0]!), ['EXPIRED_EXPIRED', 'EC_VALIDITY_EXPIRED']);
  });

  test('a delivered message leaves no validity job behind', async () => {
    const rx = await receivers.start();
    const sent = await sendSms(s.g, rx.url, ending('3002'));
    await reportsOf(rx, sent.messageId, 1);
    const db = s.g.hookline.store.db;
    const jobs = await db.selectFrom('network_jobs').innerJoin('messages', 'messages.pk', 'network_jobs.message_pk').select('step').where('messages.message_id', '=', sent.messageId).execute();
    assert.deepEqual(jobs, []);
  });
});

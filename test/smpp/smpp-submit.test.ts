/**
 * What Hookline puts on the wire to an SMSC: the bind, and each message's submit_sm — addresses
 * with their TON/NPI, data coding, concatenation (UDH or SAR TLVs), registered_delivery and
 * validity — checked on the SMSC simulator's records.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { receiverPool } from '../helpers/receiver.ts';
import type { SubmitRecord } from '../helpers/smsc-simulator.ts';
import { ending, PASSWORD, reportsOf, sendSms, startSmpp, statusOf, SYSTEM_ID, type SmppSetup } from './smpp-support.ts';

const receivers = receiverPool();
after(() => receivers.closeAll());

async function submitsFor(s: SmppSetup, to: string, count: number): Promise<SubmitRecord[]> {
  await s.smsc.waitFor(() => s.smsc.submits.filter((x) => x.destination === to).length >= count);
  return s.smsc.submits.filter((x) => x.destination === to);
}

describe('bind and submit_sm (transceiver, UDH concatenation)', { concurrency: true }, () => {
  let s: SmppSetup;
  before(async () => {
    s = await startSmpp({ connection: { systemType: 'HKL', destination: { ton: 1, npi: 1 } } });
  });
  after(() => s.close());

  test('binds as a transceiver with the configured system_id, password and system_type', () => {
    assert.deepEqual(
      s.smsc.binds.filter((b) => b.status === 0).map((b) => [b.command, b.systemId, b.password, b.systemType]),
      [['bind_transceiver', SYSTEM_ID, PASSWORD, 'HKL']],
    );
  });

  test('a short GSM-7 message: one submit_sm, data_coding 0, the text, a final receipt asked for, the validity period', async () => {
    const rx = await receivers.start();
    const text = 'Your code is 1234 {ok} €5';
    const sent = await sendSms(s.g, rx.url, ending('0101'), { text, sender: 'ShopSMS', validitySeconds: 3_700 });
    const [submit] = await submitsFor(s, sent.to, 1);
    assert.deepEqual(
      [submit!.source, submit!.sourceTon, submit!.sourceNpi, submit!.destination, submit!.destinationTon, submit!.destinationNpi, submit!.dataCoding, submit!.esmClass, submit!.registeredDelivery, submit!.text, submit!.concat],
      ['ShopSMS', 5, 0, sent.to, 1, 1, 0, 0, 1, text, null],
    );
    const validityMs = submit!.validityPeriod!.getTime() - submit!.receivedAt;
    assert.ok(Math.abs(validityMs - 3_700_000) < 5_000, `relative validity ≈ 3,700 s, got ${validityMs} ms`);
    const [report] = await reportsOf(rx, sent.messageId, 1);
    assert.deepEqual(statusOf(report!), ['DELIVERED_TO_HANDSET', 'NO_ERROR']);
  });

  test('source TON/NPI by the sender’s form: international number 1/1, short code 3/0', async () => {
    const rx = await receivers.start();
    const international = await sendSms(s.g, rx.url, ending('0102'), { sender: '41793026727' });
    const short = await sendSms(s.g, rx.url, ending('0103'), { sender: '12345' });
    const [a] = await submitsFor(s, international.to, 1);
    const [b] = await submitsFor(s, short.to, 1);
    assert.deepEqual([a!.source, a!.sourceTon, a!.sourceNpi], ['41793026727', 1, 1]);
    assert.deepEqual([b!.source, b!.sourceTon, b!.sourceNpi], ['12345', 3, 0]);
  });

  test('a long GSM-7 message: three submit_sm with one UDH reference, parts 1–3 of 3, 153 septets each but the last', async () => {
    const rx = await receivers.start();
    const text = `${'a'.repeat(153)}${'b'.repeat(153)}${'c'.repeat(20)}`;
    const sent = await sendSms(s.g, rx.url, ending('0104'), { text });
    const parts = await submitsFor(s, sent.to, 3);
    assert.deepEqual(parts.map((p) => [p.esmClass & 0x40, p.concat?.total, p.concat?.seq, p.dataCoding]), [[0x40, 3, 1, 0], [0x40, 3, 2, 0], [0x40, 3, 3, 0]]);
    assert.equal(new Set(parts.map((p) => p.concat!.reference)).size, 1, 'one reference');
    assert.deepEqual(parts.map((p) => p.text), ['a'.repeat(153), 'b'.repeat(153), 'c'.repeat(20)]);
    const [report] = await reportsOf(rx, sent.messageId, 1);
    assert.equal(report!.messageCount, 3);
  });

  test('an extension character is never split from its escape: 152 + € does not fit one part', async () => {
    const rx = await receivers.start();
    const text = `${'a'.repeat(152)}€${'b'.repeat(10)}`;
    const sent = await sendSms(s.g, rx.url, ending('0105'), { text });
    const parts = await submitsFor(s, sent.to, 2);
    assert.deepEqual(parts.map((p) => p.text), ['a'.repeat(152), `€${'b'.repeat(10)}`]);
  });

  test('UCS-2: data_coding 8, parts of 67 characters, a surrogate pair kept whole', async () => {
    const rx = await receivers.start();
    const text = `${'ж'.repeat(66)}😀${'д'.repeat(10)}`;
    const sent = await sendSms(s.g, rx.url, ending('0106'), { text });
    const parts = await submitsFor(s, sent.to, 2);
    assert.deepEqual(parts.map((p) => [p.dataCoding, p.text]), [[8, 'ж'.repeat(66)], [8, `😀${'д'.repeat(10)}`]]);
    const [report] = await reportsOf(rx, sent.messageId, 1);
    assert.deepEqual(statusOf(report!), ['DELIVERED_TO_HANDSET', 'NO_ERROR']);
  });

  test('GET /metrics shows the connection’s counters and bound sessions', async () => {
    const rx = await receivers.start();
    const sent = await sendSms(s.g, rx.url, ending('0108'));
    await reportsOf(rx, sent.messageId, 1);
    const body = await (await fetch(`${s.g.baseUrl}/metrics`)).text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(body)?.[1] ?? NaN);
    assert.ok(value('hookline_smpp_parts{connection="smsc",counter="submitted"}') >= 1, body.split('\n').filter((l) => l.includes('smpp')).join('\n'));
    assert.ok(value('hookline_smpp_parts{connection="smsc",counter="receipts"}') >= 1);
    assert.equal(value('hookline_smpp_binds_bound{connection="smsc"}'), 1);
  });

  test('a short UCS-2 message: one part, data_coding 8', async () => {
    const rx = await receivers.start();
    const sent = await sendSms(s.g, rx.url, ending('0107'), { text: 'Привет, мир' });
    const [submit] = await submitsFor(s, sent.to, 1);
    assert.deepEqual([submit!.dataCoding, submit!.text, submit!.concat], [8, 'Привет, мир', null]);
  });
});

describe('SAR TLVs, fixed source TON/NPI and a default sender', () => {
  let s: SmppSetup;
  before(async () => {
    s = await startSmpp({ connection: { longMessages: 'sar', source: { ton: 2, npi: 1, defaultSender: '385991' } } });
  });
  after(() => s.close());

  test('a long message carries sar_msg_ref_num / sar_total_segments / sar_segment_seqnum and no UDH', async () => {
    const rx = await receivers.start();
    const sent = await sendSms(s.g, rx.url, ending('0201'), { text: 'z'.repeat(200) });
    const parts = await submitsFor(s, sent.to, 2);
    assert.deepEqual(parts.map((p) => [p.esmClass & 0x40, p.udh, p.concat?.total, p.concat?.seq]), [[0, null, 2, 1], [0, null, 2, 2]]);
    assert.equal(parts[0]!.concat!.reference, parts[1]!.concat!.reference);
    const [report] = await reportsOf(rx, sent.messageId, 1);
    assert.deepEqual(statusOf(report!), ['DELIVERED_TO_HANDSET', 'NO_ERROR']);
  });

  test('a message without a sender goes from the default sender, with the configured TON/NPI', async () => {
    const rx = await receivers.start();
    const sent = await sendSms(s.g, rx.url, ending('0202'));
    const [submit] = await submitsFor(s, sent.to, 1);
    assert.deepEqual([submit!.source, submit!.sourceTon, submit!.sourceNpi], ['385991', 2, 1]);
  });
});

describe('forced data coding', () => {
  let s: SmppSetup;
  before(async () => {
    s = await startSmpp({ connection: { dataCoding: 'ucs2' } });
  });
  after(() => s.close());

  test('dataCoding ucs2 sends even GSM-7 text as UCS-2', async () => {
    const rx = await receivers.start();
    const sent = await sendSms(s.g, rx.url, ending('0301'), { text: 'plain text' });
    const [submit] = await submitsFor(s, sent.to, 1);
    assert.deepEqual([submit!.dataCoding, submit!.text], [8, 'plain text']);
  });
});

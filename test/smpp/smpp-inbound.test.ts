/**
 * Inbound SMS over SMPP, end to end: the SMSC simulator sends deliver_sm (no receipt flag) to a
 * number an account registered (POST /hookline/1/numbers); the gateway stores it and pushes it,
 * MO_JSON_2, to the account's INBOUND_MESSAGE subscription for that number — and only then answers
 * deliver_sm_resp. Concatenated messages (UDH, SAR TLVs, UCS-2) become one message; parts are
 * told apart by sender, and a part the SMSC sends twice counts once. A message to a number nobody
 * has is acknowledged (no redelivery loop) and dropped.
 *
 * One gateway and one SMSC for the file; every test has its own number, subscription and receiver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { receiverPool, type Receiver } from '../helpers/receiver.ts';
import type { DeliveryInfo, SmscSimulator } from '../helpers/smsc-simulator.ts';
import { uniq } from '../http/support.ts';
import { smppStatus, startSmpp, type SmppSetup } from './smpp-support.ts';

const receivers = receiverPool();
after(() => receivers.closeAll());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let numberCounter = Math.floor(Math.random() * 50_000);
/** A number no other test (or run on this database) registered. */
const newNumber = () => `3859210${String(numberCounter++ % 100_000).padStart(5, '0')}`;
const SENDER = '41793026727';

/** GSM-7 text of three parts (153 + 153 + 94 septets). */
const LONG_GSM = 'The quick brown fox jumps over the lazy dog. '.repeat(9).slice(0, 400);
/** UCS-2 text of three parts (67 + 67 + 16 units), with a character outside the BMP (two units, kept whole). */
const LONG_UCS2 = ('😀 Привет, мир! ' + 'Ж'.repeat(200)).slice(0, 150);

/** A deliver_sm the simulator writes as given (sendInbound numbers and splits parts itself; these tests choose reference, order and repeats). */
type RawDelivery = { info: DeliveryInfo; systemId: string | null; params: Record<string, unknown>; onAck?: () => void };

/** One part of a concatenated message, by UDH (8-bit reference) or SAR TLVs; resolves on its deliver_sm_resp ESME_ROK (sent once stored). */
function sendPart(smsc: SmscSimulator, part: { from: string; to: string; text: string; reference: number; total: number; seq: number; via?: 'udh' | 'sar' }): Promise<void> {
  const common = { source_addr_ton: 1, source_addr_npi: 1, source_addr: part.from, dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: part.to, data_coding: 0 };
  const params =
    part.via === 'sar'
      ? { ...common, esm_class: 0, short_message: part.text, sar_msg_ref_num: part.reference, sar_total_segments: part.total, sar_segment_seqnum: part.seq }
      : { ...common, esm_class: 0x40, short_message: { udh: Buffer.from([5, 0x00, 3, part.reference, part.total, part.seq]), message: part.text } };
  return new Promise((resolve) => {
    const info: DeliveryInfo = { kind: 'inbound', from: part.from, to: part.to, text: part.text, messageId: null, attempts: 0 };
    (smsc as unknown as { deliver(d: RawDelivery): void }).deliver({ info, systemId: null, params, onAck: resolve });
  });
}

describe('inbound SMS over SMPP', { concurrency: true }, () => {
  let s: SmppSetup;
  before(async () => {
    s = await startSmpp();
  });
  after(() => s.close());

  /** A new number with `keywords`, and a receiver subscribed to its INBOUND_MESSAGE events. */
  async function subscribedNumber(keywords: string[] = []): Promise<{ number: string; rx: Receiver }> {
    const number = newNumber();
    const registered = await s.g.api('POST', '/hookline/1/numbers', { number, keywords });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const rx = await receivers.start();
    const profileId = uniq('prof');
    assert.equal((await s.g.api('POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: rx.url } })).status, 201);
    const subscribed = await s.g.api('POST', '/subscriptions/1/subscription/SMS', { subscriptionId: uniq('sub'), events: ['INBOUND_MESSAGE'], resources: [number], profile: { profileId } });
    assert.equal(subscribed.status, 201, JSON.stringify(subscribed.body));
    return { number, rx };
  }

  /** The MO items pushed to `rx`, once there are `count`, after a moment in which more would show. */
  async function inbound(rx: Receiver, count: number): Promise<Array<Record<string, any>>> {
    await rx.waitFor(() => rx.results().length >= count, 10_000, `${count} inbound messages`);
    await sleep(300);
    const items = rx.results();
    assert.equal(items.length, count, JSON.stringify(items));
    return items;
  }

  const unacknowledgedTo = (number: string) => s.smsc.unacknowledgedDeliveries().filter((d) => d.to === number);

  test('a single deliver_sm → one MO message with from, to, text, keyword, cleanText, smsCount; answered ESME_ROK', async () => {
    const { number, rx } = await subscribedNumber(['QUIZ']);
    const text = 'quiz Grüße aus Zürich: 5€ @home';
    // Resolves on a deliver_sm_resp with ESME_ROK only, which is sent once the message is committed.
    await s.smsc.sendInbound({ from: SENDER, to: number, text });
    const stored = await s.g.hookline.store.db.selectFrom('inbound_messages').select(['from_number', 'text']).where('to_number', '=', number).execute();
    assert.deepEqual(stored, [{ from_number: SENDER, text }], 'stored before it was acknowledged');
    const [item] = await inbound(rx, 1);
    assert.equal(typeof item!.messageId, 'string');
    assert.match(item!.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    assert.deepEqual(
      { from: item!.from, to: item!.to, text: item!.text, keyword: item!.keyword, cleanText: item!.cleanText, smsCount: item!.smsCount },
      { from: SENDER, to: number, text, keyword: 'QUIZ', cleanText: 'Grüße aus Zürich: 5€ @home', smsCount: 1 },
    );
    assert.deepEqual(unacknowledgedTo(number), []);
  });

  for (const [label, message, parts] of [
    ['GSM-7 concatenated by UDH (3 parts)', { text: LONG_GSM, concat: 'udh' }, 3],
    ['GSM-7 concatenated by SAR TLVs (3 parts)', { text: LONG_GSM, concat: 'sar' }, 3],
    ['UCS-2 concatenated by UDH (3 parts)', { text: LONG_UCS2, concat: 'udh', dataCoding: 8 }, 3],
  ] as const) {
    test(`${label} → ONE MO message with the whole text, smsCount ${parts}`, async () => {
      const { number, rx } = await subscribedNumber();
      await s.smsc.sendInbound({ from: SENDER, to: number, ...message });
      const [item] = await inbound(rx, 1);
      assert.equal(item!.text, message.text);
      assert.equal(item!.cleanText, message.text);
      assert.equal(item!.smsCount, parts);
      assert.deepEqual(unacknowledgedTo(number), []);
    });
  }

  test('parts of two senders, same reference, interleaved → two messages, each whole', async () => {
    const { number, rx } = await subscribedNumber();
    const other = '41793026728';
    const part = (from: string, seq: number) => sendPart(s.smsc, { from, to: number, text: `${from === SENDER ? 'Alpha' : 'Bravo'}-${seq} `, reference: 42, total: 3, seq });
    // Each waits for its deliver_sm_resp, so the gateway stores them in exactly this order.
    for (const seq of [1, 2, 3]) {
      await part(SENDER, seq);
      await part(other, seq);
    }
    const items = await inbound(rx, 2);
    const byFrom = Object.fromEntries(items.map((i) => [i.from, i.text]));
    assert.deepEqual(byFrom, { [SENDER]: 'Alpha-1 Alpha-2 Alpha-3 ', [other]: 'Bravo-1 Bravo-2 Bravo-3 ' });
  });

  test('a part the SMSC sends twice → still one message, its text not doubled', async () => {
    const { number, rx } = await subscribedNumber();
    const part = (seq: number) => sendPart(s.smsc, { from: SENDER, to: number, text: `p${seq} `, reference: 7, total: 3, seq, via: 'sar' });
    await part(1);
    await part(1);
    await part(2);
    await part(3);
    const [item] = await inbound(rx, 1);
    assert.equal(item!.text, 'p1 p2 p3 ');
  });

  test(
    'a part sent again after its message was whole does not end up in the next message with the same reference',
    async () => {
      const { number, rx } = await subscribedNumber();
      const part = (text: string, seq: number) => sendPart(s.smsc, { from: SENDER, to: number, text, reference: 9, total: 3, seq });
      await part('old-1 ', 1);
      await part('old-2 ', 2);
      await part('old-3 ', 3);
      // The SMSC did not see the last deliver_sm_resp (a dropped connection) and sends the part again.
      await part('old-3 ', 3);
      await inbound(rx, 1);
      // Later, the handset's reference counter has come round to 9 again.
      await part('new-1 ', 1);
      await part('new-2 ', 2);
      await part('new-3 ', 3);
      const items = await inbound(rx, 2);
      assert.deepEqual(items.map((i) => i.text), ['old-1 old-2 old-3 ', 'new-1 new-2 new-3 ']);
    },
  );

  test(
    'SAR parts of 160 characters (no UDH to make room for) → smsCount is the number of parts received',
    async () => {
      const { number, rx } = await subscribedNumber();
      const texts = ['a', 'b', 'c'].map((c) => c.repeat(160));
      for (const [i, text] of texts.entries()) await sendPart(s.smsc, { from: SENDER, to: number, text, reference: 300, total: 3, seq: i + 1, via: 'sar' });
      const [item] = await inbound(rx, 1);
      assert.equal(item!.text, texts.join(''));
      assert.equal(item!.smsCount, 3);
    },
  );

  test('to a number nobody registered → acknowledged once (no redelivery loop), nothing stored', async () => {
    const number = newNumber();
    const nacks = s.smsc.deliveryNacks;
    const before = (await smppStatus(s.g)).counters.inbound;
    await s.smsc.sendInbound({ from: SENDER, to: number, text: 'anyone there?' });
    await sleep(300);
    assert.equal(s.smsc.deliveryNacks, nacks, 'never refused, so never sent again');
    assert.deepEqual(unacknowledgedTo(number), []);
    assert.ok((await smppStatus(s.g)).counters.inbound > before);
    const stored = await s.g.hookline.store.db.selectFrom('inbound_messages').select('id').where('to_number', '=', number).execute();
    assert.deepEqual(stored, []);
  });
});

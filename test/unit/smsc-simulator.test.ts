/**
 * The SMSC simulator (test/helpers/smsc-simulator.ts) against a bare `smpp` client on loopback:
 * what the gateway's tests rely on — bind, ids, the receipt's exact shape, the misbehaviours
 * (throttling, drop mid-window, receipt before response, redelivery) and inbound messages.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import smpp, { type Pdu, type Session } from 'smpp';
import { SmscSimulator, type SmscOptions } from '../helpers/smsc-simulator.ts';

const WAIT_MS = 3000;

/** A bare ESME: every PDU it received, in order; answers deliver_sm unless told not to. */
class Esme {
  readonly received: Pdu[] = [];
  ackDeliveries = true;
  closed = false;
  private constructor(readonly session: Session) {
    session.on('pdu', (pdu: Pdu) => {
      this.received.push(pdu);
      if (pdu.command === 'deliver_sm' && this.ackDeliveries) session.send(pdu.response());
    });
    session.on('error', () => {});
    session.on('close', () => (this.closed = true));
  }

  static connect(port: number): Promise<Esme> {
    return new Promise((resolve, reject) => {
      const session = smpp.connect({ host: '127.0.0.1', port }, () => resolve(new Esme(session)));
      session.once('error', reject);
    });
  }

  /** Sends a request; resolves with its response (rejects after WAIT_MS). */
  request(command: string, params: Record<string, unknown> = {}): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response to ${command}`)), WAIT_MS);
      this.session[command](params, (resp: Pdu) => {
        clearTimeout(timer);
        resolve(resp);
      });
    });
  }

  async bind(params: Record<string, unknown> = {}, command = 'bind_transceiver'): Promise<number> {
    const resp = await this.request(command, { system_id: 'hookline', password: 'secret', system_type: 'test', ...params });
    return resp.command_status;
  }

  submit(destination: string, params: Record<string, unknown> = {}): Promise<Pdu> {
    return this.request('submit_sm', { source_addr: 'Hookline', source_addr_ton: 5, destination_addr: destination, dest_addr_ton: 1, dest_addr_npi: 1, registered_delivery: 1, short_message: 'Hello world', ...params });
  }

  deliveries(): Pdu[] {
    return this.received.filter((p) => p.command === 'deliver_sm');
  }

  close(): void {
    this.session.destroy();
  }
}

const RECEIPT_TEXT = /^id:(\S+) sub:001 dlvrd:(\d{3}) submit date:(\d{10}) done date:(\d{10}) stat:([A-Z]{7}) err:(\d{3}) text:(.*)$/;
const text = (pdu: Pdu): string => pdu.short_message.message;

describe('SMSC simulator', () => {
  let smsc: SmscSimulator;
  let esmes: Esme[] = [];
  const start = async (options?: Partial<SmscOptions>) => {
    smsc = new SmscSimulator(options);
    return smsc.start();
  };
  const esme = async (bind = true) => {
    const e = await Esme.connect(smsc.port);
    esmes.push(e);
    if (bind) assert.equal(await e.bind(), 0);
    return e;
  };

  afterEach(async () => {
    for (const e of esmes) e.close();
    esmes = [];
    await smsc?.stop();
  });

  it('binds with the right credentials only, and records every bind', async () => {
    await start({ credentials: { systemId: 'hookline', password: 'secret' } });
    const a = await esme(false);
    assert.equal(await a.bind({ password: 'wrong' }), smpp.errors.ESME_RINVPASWD);
    assert.equal(await a.bind({ system_id: 'other' }), smpp.errors.ESME_RINVSYSID);
    assert.equal(await a.bind(), 0);
    assert.equal(await a.bind(), smpp.errors.ESME_RALYBND);
    assert.deepEqual(smsc.binds[0], { command: 'bind_transceiver', systemId: 'hookline', systemType: 'test', password: 'wrong', status: smpp.errors.ESME_RINVPASWD });
    assert.deepEqual(smsc.boundSessions(), [{ command: 'bind_transceiver', systemId: 'hookline' }]);
    await a.request('enquire_link');
    assert.equal(smsc.enquireLinks, 1);
    const unbound = await a.request('unbind');
    assert.equal(unbound.command, 'unbind_resp');
    await smsc.waitFor(() => a.closed, WAIT_MS);
  });

  it('answers submit_sm with decimal ids and records what it received', async () => {
    await start();
    const a = await esme();
    const r1 = await a.submit('41790002001', { validity_period: '000001000000000R', data_coding: 0 });
    const r2 = await a.submit('41790002001');
    assert.equal(r1.command_status, 0);
    assert.equal(r1.message_id, '1000000001');
    assert.equal(r2.message_id, '1000000002');
    const s = smsc.submits[0];
    assert.equal(s.systemId, 'hookline');
    assert.equal(s.source, 'Hookline');
    assert.equal(s.sourceTon, 5);
    assert.equal(s.destination, '41790002001');
    assert.equal(s.destinationTon, 1);
    assert.equal(s.destinationNpi, 1);
    assert.equal(s.text, 'Hello world');
    assert.equal(s.dataCoding, 0);
    assert.equal(s.udh, null);
    assert.equal(s.concat, null);
    assert.equal(s.messageId, '1000000001');
    assert.equal(s.answered, true);
    assert.ok(s.validityPeriod instanceof Date && s.validityPeriod.getTime() > Date.now());
  });

  it('answers with hex ids when configured', async () => {
    await start({ idFormat: 'hex' });
    const a = await esme();
    assert.equal((await a.submit('41790002001')).message_id, '3b9aca01');
  });

  it('sends the receipt in the standard shape, with receipted_message_id and message_state', async () => {
    await start();
    const a = await esme();
    const resp = await a.submit('41790002001', { source_addr_npi: 0, short_message: 'A text longer than twenty characters' });
    await smsc.waitFor(() => a.deliveries().length === 1, WAIT_MS);
    const receipt = a.deliveries()[0];
    assert.equal(receipt.esm_class, 0x04);
    assert.equal(receipt.source_addr, '41790002001');
    assert.equal(receipt.source_addr_ton, 1);
    assert.equal(receipt.destination_addr, 'Hookline');
    assert.equal(receipt.dest_addr_ton, 5);
    assert.equal(receipt.receipted_message_id, resp.message_id);
    assert.equal(receipt.message_state, 2);
    const m = RECEIPT_TEXT.exec(text(receipt));
    assert.ok(m, text(receipt));
    assert.deepEqual([m[1], m[2], m[5], m[6], m[7]], [resp.message_id, '001', 'DELIVRD', '000', 'A text longer than t']);
    await smsc.waitFor(() => smsc.deliveredAcks === 1, WAIT_MS);
    assert.deepEqual(smsc.unacknowledgedDeliveries(), []);
  });

  it('follows the outcome table: failures, intermediates, rejects, no receipt', async () => {
    await start();
    const a = await esme();
    assert.equal((await a.submit('41790002010')).command_status, smpp.errors.ESME_RINVDSTADR);
    assert.equal((await a.submit('41790002011')).command_status, smpp.errors.ESME_RSUBMITFAIL);
    await a.submit('41790002009');
    await a.submit('41790002012');
    await a.submit('41790002005');
    await a.submit('41790002001', { registered_delivery: 0 });
    await smsc.waitFor(() => a.deliveries().length === 3, WAIT_MS);
    const seen = a.deliveries().map((p) => [RECEIPT_TEXT.exec(text(p))![5], RECEIPT_TEXT.exec(text(p))![6], p.message_state]);
    assert.deepEqual(seen, [['UNDELIV', '027', 5], ['ACCEPTD', '000', 6], ['DELIVRD', '000', 2]]);
    assert.equal(smsc.submits[0].messageId, null);
    assert.equal(smsc.submits[0].commandStatus, smpp.errors.ESME_RINVDSTADR);
  });

  it('decodes concatenated UCS-2 submits and applies per-part outcomes', async () => {
    await start();
    const a = await esme();
    const udh = (seq: number) => Buffer.from([5, 0, 3, 0x2a, 2, seq]);
    await a.submit('41790002013', { data_coding: 8, short_message: { udh: udh(1), message: 'Привет, ' } });
    await a.submit('41790002013', { data_coding: 8, short_message: { udh: udh(2), message: 'мир' } });
    await a.submit('41790002014', { sar_msg_ref_num: 300, sar_total_segments: 2, sar_segment_seqnum: 2, short_message: 'second' });
    await smsc.waitFor(() => a.deliveries().length === 2, WAIT_MS);
    const [p1, p2, sar] = smsc.submits;
    assert.equal(p1.esmClass & 0x40, 0x40);
    assert.deepEqual(p1.udh, udh(1));
    assert.deepEqual(p1.concat, { reference: 0x2a, total: 2, seq: 1 });
    assert.equal(p1.text + p2.text, 'Привет, мир');
    assert.deepEqual(sar.concat, { reference: 300, total: 2, seq: 2 });
    assert.deepEqual(a.deliveries().map((p) => RECEIPT_TEXT.exec(text(p))![5]), ['DELIVRD', 'UNDELIV']);
    // the receipt text is GSM-7: what GSM 03.38 cannot write of the quoted text becomes '?'
    assert.equal(RECEIPT_TEXT.exec(text(a.deliveries()[0]))![7], '??????, ');
  });

  it('writes the decimal value of a hex id in the text when receiptIdInText is decimal', async () => {
    await start({ idFormat: 'hex', receiptIdInText: 'decimal' });
    const a = await esme();
    const resp = await a.submit('41790002001');
    await smsc.waitFor(() => a.deliveries().length === 1, WAIT_MS);
    const receipt = a.deliveries()[0];
    assert.equal(resp.message_id, '3b9aca01');
    assert.equal(receipt.receipted_message_id, '3b9aca01');
    assert.equal(RECEIPT_TEXT.exec(text(receipt))![1], '1000000001');
  });

  it('sends receipts without TLVs when receiptTlvs is false, after the configured delay', async () => {
    await start({ receiptTlvs: false, receiptDelayMs: 30 });
    const a = await esme();
    const sent = Date.now();
    await a.submit('41790002001');
    await smsc.waitFor(() => a.deliveries().length === 1, WAIT_MS);
    assert.ok(Date.now() - sent >= 25);
    assert.equal(a.deliveries()[0].receipted_message_id, undefined);
    assert.equal(a.deliveries()[0].message_state, undefined);
  });

  it('writes the receipt before the submit_sm_resp when receiptBeforeResponse is set', async () => {
    await start({ receiptBeforeResponse: true });
    const a = await esme();
    const resp = await a.submit('41790002006');
    await smsc.waitFor(() => a.deliveries().length === 2, WAIT_MS);
    const order = a.received.filter((p) => p.command !== 'bind_transceiver_resp').map((p) => p.command);
    assert.deepEqual(order, ['deliver_sm', 'submit_sm_resp', 'deliver_sm']);
    assert.equal(a.deliveries()[0].receipted_message_id, resp.message_id);
    assert.equal(a.deliveries()[0].message_state, 1);
  });

  it('throttles the next submits', async () => {
    await start();
    const a = await esme();
    smsc.throttleNext(2);
    const statuses = await Promise.all([1, 2, 3].map(() => a.submit('41790002001')));
    assert.deepEqual(statuses.map((r) => r.command_status), [smpp.errors.ESME_RTHROTTLED, smpp.errors.ESME_RTHROTTLED, 0]);
    assert.deepEqual(statuses.map((r) => r.message_id ?? null), [null, null, '1000000001']);
    await smsc.waitFor(() => a.deliveries().length === 1, WAIT_MS);
  });

  it('drops the connection mid-window, then binds again normally', async () => {
    await start();
    const a = await esme();
    a.ackDeliveries = false;
    smsc.dropAfter(1);
    const answers: Array<Pdu | null> = [null, null, null];
    for (let i = 0; i < 3; i++) a.session.submit_sm({ destination_addr: '41790002001', registered_delivery: 1, short_message: `m${i}` }, (r: Pdu) => (answers[i] = r));
    await smsc.waitFor(() => a.closed, WAIT_MS);
    assert.equal(answers[0]?.command_status, 0);
    assert.deepEqual(answers.slice(1), [null, null]);
    assert.deepEqual(smsc.submits.map((s) => s.answered), [true, false, false]);
    // the first submit's receipt was never acknowledged: it waits for the next bind
    assert.equal(smsc.unacknowledgedDeliveries().length, 1);
    const b = await esme();
    assert.equal((await b.submit('41790002001')).command_status, 0);
    await smsc.waitFor(() => b.deliveries().length === 2, WAIT_MS);
    assert.equal(b.deliveries()[0].receipted_message_id, answers[0]!.message_id);
  });

  it('redelivers a deliver_sm that was not acknowledged, after a reconnect', async () => {
    await start();
    const a = await esme();
    a.ackDeliveries = false;
    const resp = await a.submit('41790002001');
    await smsc.waitFor(() => a.deliveries().length === 1, WAIT_MS);
    assert.deepEqual(smsc.unacknowledgedDeliveries().map((d) => [d.kind, d.messageId, d.attempts]), [['receipt', resp.message_id, 1]]);
    a.close();
    await smsc.waitFor(() => smsc.boundSessions().length === 0, WAIT_MS);
    const b = await esme();
    await smsc.waitFor(() => b.deliveries().length === 1 && smsc.deliveredAcks === 1, WAIT_MS);
    assert.equal(b.deliveries()[0].receipted_message_id, resp.message_id);
    assert.deepEqual(smsc.unacknowledgedDeliveries(), []);
  });

  it('holds responses while told to, then answers them in order', async () => {
    await start();
    const a = await esme();
    smsc.holdResponses(true);
    const pending = [1, 2].map(() => a.submit('41790002001'));
    await smsc.waitFor(() => smsc.submits.length === 2, WAIT_MS);
    assert.deepEqual(smsc.submits.map((s) => s.answered), [false, false]);
    smsc.holdResponses(false);
    assert.deepEqual((await Promise.all(pending)).map((r) => r.message_id), ['1000000001', '1000000002']);
  });

  it('sends a single inbound message, and queues it until a receiver binds', async () => {
    await start();
    const tx = await esme(false);
    assert.equal(await tx.bind({}, 'bind_transmitter'), 0);
    const done = smsc.sendInbound({ from: '41790000001', to: '12345', text: 'Hi there' });
    const rx = await esme(false);
    assert.equal(await rx.bind({}, 'bind_receiver'), 0);
    await done;
    assert.equal(tx.deliveries().length, 0);
    const [pdu] = rx.deliveries();
    assert.deepEqual([pdu.esm_class, pdu.source_addr, pdu.destination_addr, pdu.data_coding, text(pdu)], [0, '41790000001', '12345', 0, 'Hi there']);
  });

  it('sends a long inbound message concatenated with a UDH', async () => {
    await start();
    const a = await esme();
    const long = 'x'.repeat(150) + '{}' + 'y'.repeat(50); // 206 septets: two parts
    await smsc.sendInbound({ from: '41790000001', to: '12345', text: long });
    const parts = a.deliveries();
    assert.equal(parts.length, 2);
    assert.ok(parts.every((p) => (p.esm_class & 0x40) === 0x40 && p.data_coding === 0));
    assert.deepEqual(parts.map((p) => p.short_message.udh[0].subarray(0, 2)), [Buffer.from([0, 3]), Buffer.from([0, 3])]);
    assert.deepEqual(parts.map((p) => [...p.short_message.udh[0].subarray(3)]), [[2, 1], [2, 2]]);
    assert.equal(parts[0].short_message.udh[0][2], parts[1].short_message.udh[0][2]);
    assert.equal(parts.map(text).join(''), long);
  });

  it('sends a long UCS-2 inbound message concatenated with SAR TLVs', async () => {
    await start();
    const a = await esme();
    const long = 'Привет, мир! '.repeat(8); // 104 UCS-2 characters: two parts
    await smsc.sendInbound({ from: '41790000001', to: '12345', text: long, concat: 'sar' });
    const parts = a.deliveries();
    assert.equal(parts.length, 2);
    assert.deepEqual(parts.map((p) => [p.data_coding, p.esm_class, p.sar_total_segments, p.sar_segment_seqnum]), [[8, 0, 2, 1], [8, 0, 2, 2]]);
    assert.equal(parts[0].sar_msg_ref_num, parts[1].sar_msg_ref_num);
    assert.equal(parts.map(text).join(''), long);
  });
});

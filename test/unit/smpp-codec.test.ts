/**
 * The SMPP connector's pure parts: receipt parsing and its mapping to Infobip's catalogue, SMSC
 * id canonical forms, submit_sm_resp verdicts, text encoding and concatenation, and submit fields.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import smpp from 'smpp';
import { ERROR, STATUS } from '../../src/messaging/status-catalogue.ts';
import { canonicalId } from '../../src/network/smpp/message-ids.ts';
import { encodeParts, inboundText } from '../../src/network/smpp/pdu-text.ts';
import { isReceipt, isSmeAck, parseReceipt } from '../../src/network/smpp/receipts.ts';
import { parseSmppConnection } from '../../src/network/smpp/config-parse.ts';
import { relativeValidity, sourceAddress, submitFields } from '../../src/network/smpp/submit-fields.ts';
import { submitVerdict } from '../../src/network/smpp/submit-errors.ts';

const config = parseSmppConnection('c', { host: '127.0.0.1', port: 2775, systemId: 's', password: 'p' });
const hexConfig = parseSmppConnection('c', { host: '127.0.0.1', port: 2775, systemId: 's', password: 'p', messageIds: { response: 'hex', receipt: 'decimal' } });

/** A deliver_sm as it comes off the wire: encoded and decoded by the library. */
function wire(fields: Record<string, unknown>) {
  return new smpp.PDU(new smpp.PDU('deliver_sm', fields).toBuffer());
}

const receiptText = (id: string, stat: string, err = '000') => `id:${id} sub:001 dlvrd:001 submit date:2611271200 done date:2611271201 stat:${stat} err:${err} text:Hello`;

describe('receipts', () => {
  test('esm_class: SMSC receipt (0x04) and intermediate notification (0x20) are receipts; SME acks are not; 0 is a message', () => {
    assert.deepEqual([isReceipt(0x04), isReceipt(0x20), isReceipt(0x00), isReceipt(0x40), isSmeAck(0x08), isSmeAck(0x10), isSmeAck(0x04)], [true, true, false, false, true, true, false]);
  });

  test('the receipted_message_id TLV wins over the text id, read in the response format', () => {
    const r = parseReceipt(wire({ esm_class: 4, short_message: receiptText('0000006699', 'DELIVRD'), receipted_message_id: '1A2B', message_state: 2 }), hexConfig)!;
    assert.deepEqual([r.smscId, r.statusId, r.errorId, r.final], ['6699', STATUS.DELIVERED_TO_HANDSET, ERROR.NO_ERROR, true]);
  });

  test('without TLVs the text id is read in the receipt format (decimal, zero-padded)', () => {
    const r = parseReceipt(wire({ esm_class: 4, short_message: receiptText('0000006699', 'UNDELIV', '001') }), hexConfig)!;
    assert.deepEqual([r.smscId, r.stat, r.statusId, r.errorId], ['6699', 'UNDELIV', STATUS.UNDELIVERABLE_NOT_DELIVERED, ERROR.EC_UNKNOWN_SUBSCRIBER]);
  });

  test('every stat: maps to its status and finality', () => {
    const expected: Record<string, [number, boolean]> = {
      DELIVRD: [5, true], EXPIRED: [15, true], DELETED: [9, true], UNDELIV: [9, true], REJECTD: [4, true], UNKNOWN: [29, true], ACCEPTD: [26, false], ENROUTE: [7, false], BOGUS: [29, true],
    };
    for (const [stat, [statusId, final]] of Object.entries(expected)) {
      const r = parseReceipt(wire({ esm_class: 4, short_message: receiptText('42', stat) }), config)!;
      assert.deepEqual([r.statusId, r.final], [statusId, final], stat);
    }
  });

  test('no stat: in the text → the message_state TLV', () => {
    const r = parseReceipt(wire({ esm_class: 4, receipted_message_id: '42', message_state: 8 }), config)!;
    assert.deepEqual([r.stat, r.statusId], ['REJECTD', STATUS.UNDELIVERABLE_REJECTED_OPERATOR]);
  });

  test('an intermediate notification (0x20) is never final, even saying DELIVRD', () => {
    const r = parseReceipt(wire({ esm_class: 0x20, short_message: receiptText('42', 'DELIVRD') }), config)!;
    assert.equal(r.final, false);
  });

  test('errors: a GSM network_error_code wins over err:; unknown codes are EC_UNKNOWN_ERROR; a delivery has no error', () => {
    const gsm = Buffer.from([3, 0, 27]);
    assert.equal(parseReceipt(wire({ esm_class: 4, short_message: receiptText('1', 'UNDELIV', '001'), network_error_code: gsm }), config)!.errorId, ERROR.EC_ABSENT_SUBSCRIBER);
    assert.equal(parseReceipt(wire({ esm_class: 4, short_message: receiptText('1', 'UNDELIV', '999') }), config)!.errorId, ERROR.EC_UNKNOWN_ERROR);
    assert.equal(parseReceipt(wire({ esm_class: 4, short_message: receiptText('1', 'UNDELIV', 'x7') }), config)!.errorId, ERROR.NO_ERROR);
    assert.equal(parseReceipt(wire({ esm_class: 4, short_message: receiptText('1', 'DELIVRD', '013') }), config)!.errorId, ERROR.NO_ERROR);
  });

  test('a receipt naming no id at all cannot be matched: null', () => {
    assert.equal(parseReceipt(wire({ esm_class: 4, short_message: 'stat:DELIVRD' }), config), null);
  });
});

describe('message ids', () => {
  test('hex and decimal compare by value; strings as given (trimmed); a malformed id is kept as given', () => {
    assert.deepEqual(
      [canonicalId('1A2B', 'hex'), canonicalId('0x1a2b', 'hex'), canonicalId('0000006699', 'decimal'), canonicalId(' abc ', 'string'), canonicalId('xyz', 'hex'), canonicalId('12ab', 'decimal')],
      ['6699', '6699', '6699', 'abc', 'xyz', '12ab'],
    );
  });
});

describe('submit_sm_resp verdicts', () => {
  test('throttling and temporary errors retry, bind status rebinds, the rest are permanent with a mapped status', () => {
    assert.deepEqual(submitVerdict(0), { kind: 'accepted' });
    for (const status of [0x58, 0x14, 0x64]) assert.deepEqual(submitVerdict(status), { kind: 'retry' });
    assert.deepEqual(submitVerdict(0x04), { kind: 'rebind' });
    assert.deepEqual(submitVerdict(0x0b), { kind: 'rejected', statusId: STATUS.REJECTED_DESTINATION, errorId: ERROR.EC_NOTSUBMITTEDTOSMPPCHANNEL });
    assert.deepEqual(submitVerdict(0x45), { kind: 'rejected', statusId: STATUS.UNDELIVERABLE_NOT_SENT, errorId: ERROR.EC_NOTSUBMITTEDTOSMPPCHANNEL });
  });
});

describe('text', () => {
  test('GSM-7 is one septet per octet, extension characters escaped, as the library encodes it', () => {
    const [part] = encodeParts('a{€', { dataCoding: 'auto', longMessages: 'udh' }, 1);
    assert.deepEqual([...part!.short_message], [0x61, 0x1b, 0x28, 0x1b, 0x65]);
    assert.equal(part!.data_coding, 0);
  });

  test('forced gsm7 with a character GSM-7 lacks falls back to UCS-2 rather than losing it', () => {
    const [part] = encodeParts('ж', { dataCoding: 'gsm7', longMessages: 'udh' }, 1);
    assert.equal(part!.data_coding, 8);
  });

  test('latin1: 140 bytes single, 134 per part with a header', () => {
    assert.equal(encodeParts('é'.repeat(140), { dataCoding: 'latin1', longMessages: 'udh' }, 1).length, 1);
    const parts = encodeParts('é'.repeat(141), { dataCoding: 'latin1', longMessages: 'udh' }, 1);
    assert.deepEqual(parts.map((p) => [p.data_coding, p.short_message.length - 6]), [[3, 134], [3, 7]]);
  });

  test('the UDH reference is the low byte of the given reference; SAR keeps 16 bits', () => {
    const udh = encodeParts('x'.repeat(200), { dataCoding: 'auto', longMessages: 'udh' }, 0x1234);
    assert.deepEqual([...udh[0]!.short_message.subarray(0, 6)], [5, 0, 3, 0x34, 2, 1]);
    const sar = encodeParts('x'.repeat(200), { dataCoding: 'auto', longMessages: 'sar' }, 0x1234);
    assert.deepEqual([sar[1]!.sar_msg_ref_num, sar[1]!.sar_total_segments, sar[1]!.sar_segment_seqnum], [0x1234, 2, 2]);
  });

  test('inbound: a 16-bit reference UDH (IEI 0x08) is read', () => {
    const pdu = wire({ esm_class: 0x40, data_coding: 0, short_message: { udh: Buffer.from([6, 8, 4, 0x12, 0x34, 3, 2]), message: 'part two' } });
    assert.deepEqual(inboundText(pdu), { text: 'part two', concat: { reference: 0x1234, total: 3, seq: 2 } });
  });

  test('inbound: the text in message_payload when short_message is empty', () => {
    const pdu = wire({ esm_class: 0, data_coding: 8, message_payload: { message: 'Привет' } });
    assert.deepEqual(inboundText(pdu), { text: 'Привет', concat: null });
  });
});

describe('submit fields', () => {
  test('relative validity: days, hours, minutes, seconds', () => {
    assert.deepEqual([relativeValidity(48 * 3_600_000), relativeValidity(3_723_000), relativeValidity(500)], ['000002000000000R', '000000010203000R', '000000000001000R']);
  });

  test('source TON/NPI by form unless fixed; the default sender when none', () => {
    assert.deepEqual(sourceAddress('+41793026727', config), { source_addr: '41793026727', source_addr_ton: 1, source_addr_npi: 1 });
    assert.deepEqual(sourceAddress('InfoSMS', config), { source_addr: 'InfoSMS', source_addr_ton: 5, source_addr_npi: 0 });
    assert.deepEqual(sourceAddress('0791234567', config), { source_addr: '0791234567', source_addr_ton: 2, source_addr_npi: 1 }, 'a trunk 0: national');
    assert.deepEqual(sourceAddress('12345', config), { source_addr: '12345', source_addr_ton: 3, source_addr_npi: 0 }, 'a short code');
    assert.deepEqual(sourceAddress('+1234', config), { source_addr: '1234', source_addr_ton: 1, source_addr_npi: 1 }, 'a + says international');
    const fixed = parseSmppConnection('c', { host: 'h', port: 1, systemId: 's', password: 'p', source: { ton: 2, npi: 8, defaultSender: 'Shop' } });
    assert.deepEqual(sourceAddress(null, fixed), { source_addr: 'Shop', source_addr_ton: 2, source_addr_npi: 8 });
  });

  test('registered_delivery asks for a final receipt, and intermediate notifications when the message wants intermediate reports', () => {
    const base = { pk: 7, destination: '41793026727', sender: 'Shop', text: 'hi', validityMs: 60_000 };
    assert.equal(submitFields({ ...base, intermediate: false }, config)[0]!.registered_delivery, 0x01);
    assert.equal(submitFields({ ...base, intermediate: true }, config)[0]!.registered_delivery, 0x11);
  });
});

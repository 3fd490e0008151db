/**
 * Text in and out of SMPP PDUs. Outbound: the text is cut where Infobip counts its parts
 * (messaging/segmentation.ts) and each part encoded as the connection says — GSM-7 unpacked one
 * septet per octet as SMPP carries it (data_coding 0), Latin-1 (3) or UCS-2 (8) — with a UDH
 * concatenation header (IEI 0x00, 8-bit reference) or the SAR TLVs. Inbound: a deliver_sm's text
 * and, when it is one part of several, its reference, count and position (UDH IEI 0x00 or 0x08,
 * or SAR TLVs).
 */
import smpp, { type Pdu } from 'smpp';
import { isGsm7, splitIntoParts } from '../../messaging/segmentation.ts';
import type { DataCoding, LongMessageMode } from './smpp-config.ts';

const DATA_CODING = { gsm7: 0x00, latin1: 0x03, ucs2: 0x08 } as const;
const UDH_INDICATOR = 0x40;
const CONCAT_8BIT = 0x00;
const CONCAT_16BIT = 0x08;

/** The submit_sm fields that carry one part's text. */
export interface PartFields {
  short_message: Buffer;
  data_coding: number;
  esm_class: number;
  sar_msg_ref_num?: number;
  sar_total_segments?: number;
  sar_segment_seqnum?: number;
}

function encodingOf(text: string, dataCoding: DataCoding): 'gsm7' | 'latin1' | 'ucs2' {
  if (dataCoding === 'auto') return isGsm7(text) ? 'gsm7' : 'ucs2';
  // A character the forced alphabet lacks would be lost: UCS-2 carries everything.
  if (dataCoding === 'gsm7' && !isGsm7(text)) return 'ucs2';
  if (dataCoding === 'latin1' && !smpp.encodings.LATIN1!.match(text)) return 'ucs2';
  return dataCoding;
}

/**
 * The library's GSM-7 encoder rebuilds its character tables and a RegExp on every call (a fifth
 * of a submit's cost); its output per character never changes, so it is asked once per character.
 */
const gsmSeptets = new Map<string, Buffer>();
function encodeGsm7(text: string): Buffer {
  const bytes: number[] = [];
  for (const char of text) {
    let septets = gsmSeptets.get(char);
    if (!septets) gsmSeptets.set(char, (septets = smpp.encodings.ASCII!.encode(char)));
    for (const septet of septets) bytes.push(septet);
  }
  return Buffer.from(bytes);
}

const encoders = { gsm7: encodeGsm7, latin1: (t: string) => smpp.encodings.LATIN1!.encode(t), ucs2: (t: string) => smpp.encodings.UCS2!.encode(t) };
const SEGMENTATION = { gsm7: 'GSM7', latin1: 'LATIN1', ucs2: 'UCS2' } as const;

/** `reference` (0–255 with UDH, 0–65535 with SAR) ties the parts of one message together at the handset. */
export function encodeParts(text: string, options: { dataCoding: DataCoding; longMessages: LongMessageMode }, reference: number): PartFields[] {
  const encoding = encodingOf(text, options.dataCoding);
  const chunks = splitIntoParts(text, SEGMENTATION[encoding]);
  const data_coding = DATA_CODING[encoding];
  const encode = encoders[encoding];
  if (chunks.length === 1) return [{ short_message: encode(text), data_coding, esm_class: 0 }];
  const total = chunks.length;
  if (options.longMessages === 'sar') {
    return chunks.map((chunk, i) => ({ short_message: encode(chunk), data_coding, esm_class: 0, sar_msg_ref_num: reference & 0xffff, sar_total_segments: total, sar_segment_seqnum: i + 1 }));
  }
  return chunks.map((chunk, i) => ({
    short_message: Buffer.concat([Buffer.from([0x05, CONCAT_8BIT, 0x03, reference & 0xff, total, i + 1]), encode(chunk)]),
    data_coding,
    esm_class: UDH_INDICATOR,
  }));
}

export interface InboundText {
  text: string;
  /** Set when the PDU is one part of a concatenated message. */
  concat: { reference: number; total: number; seq: number } | null;
}

/** The text of an inbound deliver_sm, as the library decoded it by data_coding, and its place in a concatenated message. */
export function inboundText(pdu: Pdu): InboundText {
  const body = pdu.message_payload ?? pdu.short_message;
  const decoded: { message?: string | Buffer; udh?: Buffer[] } = typeof body === 'string' || Buffer.isBuffer(body) ? { message: body } : (body ?? {});
  const raw = typeof decoded.message === 'string' ? decoded.message : (decoded.message?.toString('latin1') ?? '');
  // PostgreSQL text cannot hold U+0000 (binary SMS and UCS-2 carry zero bytes): dropped, on both databases alike.
  const text = raw.replaceAll('\u0000', '');
  const concat = (reference: number, total: number, seq: number) => (total >= 2 && seq >= 1 && seq <= total ? { text, concat: { reference, total, seq } } : null);
  for (const element of decoded.udh ?? []) {
    const found =
      element[0] === CONCAT_8BIT && element.length >= 5 ? concat(element[2]!, element[3]!, element[4]!)
      : element[0] === CONCAT_16BIT && element.length >= 6 ? concat(element.readUInt16BE(2), element[4]!, element[5]!)
      : null;
    if (found) return found;
  }
  if (typeof pdu.sar_msg_ref_num === 'number' && typeof pdu.sar_total_segments === 'number') {
    const found = concat(pdu.sar_msg_ref_num, pdu.sar_total_segments, Number(pdu.sar_segment_seqnum ?? 1));
    if (found) return found;
  }
  // No usable concatenation header (or one claiming part 3 of 2): a message of its own.
  return { text, concat: null };
}

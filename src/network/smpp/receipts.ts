/**
 * Delivery receipts: a deliver_sm (or data_sm) whose esm_class marks it as a receipt, read into
 * the SMSC's id of the part and Infobip's status and error. The id comes from the
 * receipted_message_id TLV when present (it has the submit_sm_resp's form), else from the `id:`
 * of the SMPP 3.4 Appendix B text (the connection's receipt format). The state comes from the
 * text's `stat:`, else from the message_state TLV; the error from the network_error_code TLV
 * when it carries a GSM (MAP) error, else from the text's `err:`.
 */
import type { Pdu } from 'smpp';
import { ERROR, isKnownError, STATUS } from '../../messaging/status-catalogue.ts';
import { canonicalId } from './message-ids.ts';
import type { SmppConnectionConfig } from './smpp-config.ts';

/** esm_class message types (bits 2–5) that are receipts or notifications about a submitted message. */
const SMSC_DELIVERY_RECEIPT = 0x04;
const SME_DELIVERY_ACK = 0x08;
const SME_MANUAL_ACK = 0x10;
const INTERMEDIATE_NOTIFICATION = 0x20;
const MESSAGE_TYPE_MASK = 0x3c;

export const isReceipt = (esmClass: number): boolean => (esmClass & MESSAGE_TYPE_MASK & (SMSC_DELIVERY_RECEIPT | INTERMEDIATE_NOTIFICATION)) !== 0;
/** SME acknowledgements are neither receipts nor messages: acknowledged and ignored. */
export const isSmeAck = (esmClass: number): boolean => (esmClass & MESSAGE_TYPE_MASK & (SME_DELIVERY_ACK | SME_MANUAL_ACK)) !== 0;

/** The receipt `stat:` values of SMPP 3.4 Appendix B, with Infobip's status for each. */
export const RECEIPT_STATES: Record<string, { statusId: number; final: boolean }> = {
  ENROUTE: { statusId: STATUS.PENDING_ENROUTE, final: false },
  ACCEPTD: { statusId: STATUS.PENDING_ACCEPTED, final: false },
  DELIVRD: { statusId: STATUS.DELIVERED_TO_HANDSET, final: true },
  EXPIRED: { statusId: STATUS.EXPIRED_EXPIRED, final: true },
  DELETED: { statusId: STATUS.UNDELIVERABLE_NOT_DELIVERED, final: true },
  UNDELIV: { statusId: STATUS.UNDELIVERABLE_NOT_DELIVERED, final: true },
  REJECTD: { statusId: STATUS.UNDELIVERABLE_REJECTED_OPERATOR, final: true },
  UNKNOWN: { statusId: STATUS.EXPIRED_DLR_UNKNOWN, final: true },
};

/** message_state TLV values (SMPP 3.4 §5.2.28) by their receipt `stat:` names. */
const MESSAGE_STATES: Record<number, string> = { 1: 'ENROUTE', 2: 'DELIVRD', 3: 'EXPIRED', 4: 'DELETED', 5: 'UNDELIV', 6: 'ACCEPTD', 7: 'UNKNOWN', 8: 'REJECTD' };

/** network_error_code's network type for GSM: its code is a MAP error, which Infobip's error ids follow. */
const GSM_NETWORK = 3;

export interface Receipt {
  /** Canonical SMSC id (message-ids.ts). */
  smscId: string;
  stat: string;
  statusId: number;
  errorId: number;
  final: boolean;
}

const FIELDS = { id: /(?:^|\s)id:(\S*)/i, stat: /(?:^|\s)stat:(\S*)/i, err: /(?:^|\s)err:(\S*)/i };
const field = (text: string, name: keyof typeof FIELDS): string | undefined => FIELDS[name].exec(text)?.[1];

/** A number the catalogue knows as a handset or network error; else EC_UNKNOWN_ERROR (or no error for 0). */
function errorOf(code: number | undefined): number {
  if (code === undefined || Number.isNaN(code) || code === 0) return ERROR.NO_ERROR;
  return isKnownError(code) ? code : ERROR.EC_UNKNOWN_ERROR;
}

function textOf(pdu: Pdu): string {
  const content = (pdu.short_message && (pdu.short_message.message ?? pdu.short_message)) || (pdu.message_payload && (pdu.message_payload.message ?? pdu.message_payload));
  return Buffer.isBuffer(content) ? content.toString('latin1') : typeof content === 'string' ? content : '';
}

/** Null when the PDU names no id at all: it cannot be matched to anything. */
export function parseReceipt(pdu: Pdu, config: Pick<SmppConnectionConfig, 'messageIds'>): Receipt | null {
  const text = textOf(pdu);
  // The library reads this TLV up to a NUL, not its length: an SMSC that leaves the NUL out gets the
  // next TLV's bytes appended. An id is printable, so it ends at the first control character.
  const tlvId = typeof pdu.receipted_message_id === 'string' ? /^[^\u0000-\u001f]*/.exec(pdu.receipted_message_id)![0] || undefined : undefined;
  const textId = field(text, 'id');
  const smscId = tlvId !== undefined ? canonicalId(tlvId, config.messageIds.response) : textId ? canonicalId(textId.replaceAll('\u0000', ''), config.messageIds.receipt) : undefined;
  if (smscId === undefined) return null;

  const stat = (field(text, 'stat')?.toUpperCase() || MESSAGE_STATES[pdu.message_state as number]) ?? 'UNKNOWN';
  const state = RECEIPT_STATES[stat] ?? RECEIPT_STATES.UNKNOWN!;
  // An intermediate notification is never the last word, whatever state it names.
  const final = state.final && (pdu.esm_class & MESSAGE_TYPE_MASK & INTERMEDIATE_NOTIFICATION) === 0;
  const network = pdu.network_error_code;
  const networkError = Buffer.isBuffer(network) && network.length === 3 && network[0] === GSM_NETWORK ? network.readUInt16BE(1) : undefined;
  const textError = field(text, 'err');
  const code = networkError ?? (textError !== undefined && /^[0-9]+$/.test(textError) ? Number(textError) : undefined);
  const delivered = state.statusId === STATUS.DELIVERED_TO_HANDSET;
  return { smscId, stat, statusId: state.statusId, errorId: delivered ? ERROR.NO_ERROR : errorOf(code), final };
}

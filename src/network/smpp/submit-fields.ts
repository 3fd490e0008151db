/**
 * The submit_sm of each part of a message: addresses with their TON/NPI, the part's text fields,
 * registered_delivery as the message's reporting needs, and its validity period.
 */
import { encodeParts, type PartFields } from './pdu-text.ts';
import type { SmppConnectionConfig } from './smpp-config.ts';

/** registered_delivery bits (SMPP 3.4 §5.2.17): a receipt on success or failure; intermediate notifications. */
const RECEIPT_ON_FINAL = 0x01;
const INTERMEDIATE_NOTIFICATION = 0x10;

/** TON/NPI values Hookline chooses by the sender's form. */
const TON = { INTERNATIONAL: 1, NATIONAL: 2, NETWORK_SPECIFIC: 3, ALPHANUMERIC: 5 } as const;
const NPI = { UNKNOWN: 0, ISDN: 1 } as const;
/** Digits up to this long are a short code, not a phone number. */
const SHORT_CODE_DIGITS = 8;

export interface SubmittedMessage {
  pk: number;
  destination: string;
  sender: string | null;
  text: string;
  validityMs: number;
  intermediate: boolean;
}

/**
 * Unless the connection fixes them: a sender with letters is alphanumeric (TON 5, NPI 0); a number
 * with + is international (1/1); a longer-than-short-code number is international (1/1) unless it
 * starts with a trunk 0, then national (2/1); a short code is network specific (3/0).
 */
export function sourceAddress(sender: string | null, config: SmppConnectionConfig): { source_addr: string; source_addr_ton: number; source_addr_npi: number } {
  const given = sender && sender !== '' ? sender : config.source.defaultSender;
  const plus = given.startsWith('+');
  const digits = plus ? given.slice(1) : given;
  const form = !/^[0-9]+$/.test(digits)
    ? { ton: TON.ALPHANUMERIC, npi: NPI.UNKNOWN }
    : plus || (digits.length > SHORT_CODE_DIGITS && !digits.startsWith('0'))
      ? { ton: TON.INTERNATIONAL, npi: NPI.ISDN }
      : digits.length > SHORT_CODE_DIGITS
        ? { ton: TON.NATIONAL, npi: NPI.ISDN }
        : { ton: TON.NETWORK_SPECIFIC, npi: NPI.UNKNOWN };
  return {
    source_addr: /^[0-9]+$/.test(digits) ? digits : given,
    source_addr_ton: config.source.ton ?? form.ton,
    source_addr_npi: config.source.npi ?? form.npi,
  };
}

/** SMPP's relative time format (§7.1.1): YYMMDDhhmmss, then tenths, a 00 offset and R. */
export function relativeValidity(ms: number): string {
  let seconds = Math.max(1, Math.floor(ms / 1000));
  const days = Math.floor(seconds / 86_400);
  seconds -= days * 86_400;
  const hours = Math.floor(seconds / 3_600);
  seconds -= hours * 3_600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return `0000${two(Math.min(days, 99))}${two(hours)}${two(minutes)}${two(seconds)}000R`;
}

/** One submit_sm field set per part; the concatenation reference comes from the message, so a resend is the same message to the handset. */
export function submitFields(message: SubmittedMessage, config: SmppConnectionConfig): Array<Record<string, unknown> & PartFields> {
  const common = {
    ...sourceAddress(message.sender, config),
    dest_addr_ton: config.destination.ton,
    dest_addr_npi: config.destination.npi,
    destination_addr: message.destination,
    registered_delivery: RECEIPT_ON_FINAL | (message.intermediate ? INTERMEDIATE_NOTIFICATION : 0),
    validity_period: relativeValidity(message.validityMs),
  };
  return encodeParts(message.text, config, message.pk).map((part) => ({ ...common, ...part }));
}

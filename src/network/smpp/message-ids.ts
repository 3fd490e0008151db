/**
 * SMSC message ids, made comparable. Many SMSCs answer submit_sm_resp with a hex id and write the
 * same id in decimal in the receipt text (Kannel's msg-id-type exists for this). Each side is
 * read in the format the connection declares; numeric ids are kept as their decimal value, so
 * "1A2B", "0x1a2b" and "0000006699" are the same id when declared hex, hex and decimal.
 */
import type { MessageIdFormat } from './smpp-config.ts';

const HEX = /^(?:0x)?([0-9a-f]+)$/i;
const DECIMAL = /^[0-9]+$/;

/** The canonical form stored in smpp_parts.smsc_id; an id that does not fit its format is kept as given. */
export function canonicalId(id: string, format: MessageIdFormat): string {
  const trimmed = id.trim();
  if (format === 'hex') {
    const m = HEX.exec(trimmed);
    return m ? BigInt(`0x${m[1]}`).toString() : trimmed;
  }
  if (format === 'decimal') return DECIMAL.test(trimmed) ? BigInt(trimmed).toString() : trimmed;
  return trimmed;
}

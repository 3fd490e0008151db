/**
 * SMS segmentation as Infobip reports it (`POST /sms/1/preview`, `smsCount`,
 * `messageCount`).
 *
 * GSM 03.38 defines a 7-bit default alphabet. Text made only of that alphabet is
 * sent as GSM-7: 160 septets in a single SMS, or 153 per part once a message
 * needs a concatenation header (UDH). Characters from the extension table cost
 * two septets (ESC + char), and an escape pair must never be split across parts.
 * Anything else forces UCS-2: 70 UTF-16 code units single, 67 per part, and a
 * surrogate pair (astral character) must stay within one part.
 */

export type Encoding = 'GSM7' | 'UCS2';

export interface Segmentation {
  encoding: Encoding;
  parts: number;
  unitsUsed: number;
  charactersRemaining: number;
}

export const MAX_PARTS = 25;
export const MAX_TEXT_BYTES = 4000;

const GSM7_SINGLE = 160;
const GSM7_MULTI = 153;
const UCS2_SINGLE = 70;
const UCS2_MULTI = 67;

/** GSM 03.38 basic table (one septet each); 0x1B (ESC) is deliberately absent. */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);

/** GSM 03.38 extension table (ESC + char, two septets each). */
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

/**
 * Greedily packs indivisible units (sizes) into parts of `perPart` capacity.
 * Returns the part count and the units used in the last part.
 */
function pack(sizes: readonly number[], perPart: number): { parts: number; lastUsed: number } {
  let parts = 1;
  let lastUsed = 0;
  for (const size of sizes) {
    if (lastUsed + size > perPart) {
      parts++;
      lastUsed = 0;
    }
    lastUsed += size;
  }
  return { parts, lastUsed };
}

export function segment(text: string): Segmentation {
  const chars = Array.from(text); // code points, so surrogate pairs stay together
  const isGsm7 = chars.every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c));

  const encoding: Encoding = isGsm7 ? 'GSM7' : 'UCS2';
  const sizes = isGsm7
    ? chars.map((c) => (GSM7_EXTENSION.has(c) ? 2 : 1))
    : chars.map((c) => c.length);
  const single = isGsm7 ? GSM7_SINGLE : UCS2_SINGLE;
  const multi = isGsm7 ? GSM7_MULTI : UCS2_MULTI;

  const unitsUsed = sizes.reduce((sum, n) => sum + n, 0);
  if (unitsUsed <= single) {
    return { encoding, parts: 1, unitsUsed, charactersRemaining: single - unitsUsed };
  }
  const { parts, lastUsed } = pack(sizes, multi);
  return { encoding, parts, unitsUsed, charactersRemaining: multi - lastUsed };
}

export function isTooLong(text: string): boolean {
  return segment(text).parts > MAX_PARTS || Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES;
}

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
 * Returns the index of the first unit of each part, and the units used in the last part.
 */
function pack(sizes: readonly number[], perPart: number): { starts: number[]; lastUsed: number } {
  const starts = [0];
  let lastUsed = 0;
  sizes.forEach((size, i) => {
    if (lastUsed + size > perPart) {
      starts.push(i);
      lastUsed = 0;
    }
    lastUsed += size;
  });
  return { starts, lastUsed };
}

/** Each character's cost in the encoding's units (septets, UTF-16 code units, or bytes). */
function unitSizes(chars: readonly string[], encoding: Encoding | 'LATIN1'): number[] {
  if (encoding === 'GSM7') return chars.map((c) => (GSM7_EXTENSION.has(c) ? 2 : 1));
  if (encoding === 'UCS2') return chars.map((c) => c.length);
  return chars.map(() => 1);
}

const CAPACITY = { GSM7: [GSM7_SINGLE, GSM7_MULTI], UCS2: [UCS2_SINGLE, UCS2_MULTI], LATIN1: [140, 134] } as const;

export const isGsm7 = (text: string): boolean => Array.from(text).every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c));

export function segment(text: string): Segmentation {
  const chars = Array.from(text); // code points, so surrogate pairs stay together
  const encoding: Encoding = isGsm7(text) ? 'GSM7' : 'UCS2';
  const sizes = unitSizes(chars, encoding);
  const [single, multi] = CAPACITY[encoding];

  const unitsUsed = sizes.reduce((sum, n) => sum + n, 0);
  if (unitsUsed <= single) {
    return { encoding, parts: 1, unitsUsed, charactersRemaining: single - unitsUsed };
  }
  const { starts, lastUsed } = pack(sizes, multi);
  return { encoding, parts: starts.length, unitsUsed, charactersRemaining: multi - lastUsed };
}

/**
 * The text of each part, cut where `segment` counts the parts (an escape pair or surrogate pair
 * is never split). LATIN1 (8-bit, 140 bytes single, 134 with a concatenation header) is for SMSCs
 * configured for it.
 */
export function splitIntoParts(text: string, encoding: Encoding | 'LATIN1'): string[] {
  const chars = Array.from(text);
  const sizes = unitSizes(chars, encoding);
  const [single, multi] = CAPACITY[encoding];
  if (sizes.reduce((sum, n) => sum + n, 0) <= single) return [text];
  const { starts } = pack(sizes, multi);
  return starts.map((start, i) => chars.slice(start, starts[i + 1]).join(''));
}

export function isTooLong(text: string): boolean {
  return segment(text).parts > MAX_PARTS || Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES;
}

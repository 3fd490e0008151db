/**
 * Multi-value fields typed as text (comma lists, `Name: value` header lines, numbers) and their
 * API form. They send what was typed: a value the API would refuse goes to it as typed, so the
 * API's own 400 says what is wrong.
 */

/** `a, b ,c` → ['a', 'b', 'c']; empty items dropped. */
export const splitList = (text: string): string[] =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** An integer field: '' is absent; digits are a number; anything else goes as typed (the API answers 400). */
export function integerOrText(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** Headers as `Name: value` lines, for a textarea. */
export const headerLines = (headers: Record<string, string> | undefined): string =>
  Object.entries(headers ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');

/**
 * `Name: value` lines → a header object. A line without a colon cannot be sent as a header at
 * all, so it is reported here (the API checks names and values).
 */
export function parseHeaderLines(text: string, label: string): { headers: Record<string, string> } | { error: string } {
  const headers: Record<string, string> = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `${label}, line ${index + 1}: write Name: value.` };
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { headers };
}

/** Infobip's date-time (`2027-01-01T00:00:00.000+0000`) as a datetime-local input's value (local time, minutes); '' when absent. */
export function infobipToLocalInput(value: string | null | undefined): string {
  if (!value) return '';
  const date = new Date(value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * Infobip's date-time wire format: yyyy-MM-dd'T'HH:mm:ss.SSSZ with a numeric offset
 * (e.g. 2019-11-09T16:00:00.000+0000). Hookline always writes UTC.
 */
export function formatInfobipTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

const INFOBIP_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Parses Infobip's format and plain ISO-8601 (offsets with or without a colon). NaN when invalid. */
export function parseInfobipTime(text: string): number {
  // An unencoded '+' in a query string arrives as a space: `…:00.000 0000` means `+0000`.
  const m = INFOBIP_TIME.exec(text.trim().replace(/ (\d{2}:?\d{2})$/, '+$1'));
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone = 'Z'] = m;
  // setUTCFullYear, not Date.UTC: the latter reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(+y, +mo - 1, +d);
  date.setUTCHours(+h, +mi, +s, Math.round(Number(`0.${frac}`) * 1000));
  const utc = date.getTime();
  if (date.getUTCMonth() !== +mo - 1 || +h > 23 || +mi > 59 || +s > 59) return NaN;
  if (zone === 'Z') return utc;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetHours = Number(digits.slice(0, 2));
  const offsetMins = Number(digits.slice(2, 4));
  // Real offsets run from -12:00 to +14:00; anything else (+9999) is a typo, not a time.
  if (offsetHours > 14 || offsetMins > 59) return NaN;
  const offsetMinutes = offsetHours * 60 + offsetMins;
  return utc - sign * offsetMinutes * 60_000;
}

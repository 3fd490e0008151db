/**
 * URL shortening and click tracking at intake (Infobip's `urlOptions` on v2, `options.tracking`
 * on v3): every http(s) URL in a message's text becomes a short link `${PUBLIC_BASE_URL}/t/{code}`
 * served by Hookline itself, one code per distinct URL per message (so per recipient: a click
 * tells who opened what). The rewritten text is what is stored, sent and counted in parts.
 */
import { randomBytes } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { ShortLinksTable } from '../store/schema.ts';

/** What a request asked for, once `shortenUrl` said yes. */
export interface LinkTracking {
  /** `trackClicks` (default true): opening a link emits a CLICK event; false still redirects. */
  trackClicks: boolean;
  /** `trackingUrl`: where CLICK events go, before any subscription. */
  trackingUrl: string | null;
  /** `removeProtocol` (default false): the short link is written without `http://` or `https://`. */
  removeProtocol: boolean;
  /** Where `trackingUrl` is in the request, for a violation. */
  trackingUrlPath: string;
}

/** Infobip's UrlOptions (the same object as v2 `urlOptions` and v3 `options.tracking`). */
export interface UrlOptions {
  shortenUrl?: boolean;
  trackClicks?: boolean;
  trackingUrl?: string;
  removeProtocol?: boolean;
  /** Stored with the message but not applied: Hookline has no predefined custom domains. */
  customDomain?: string;
}

/** null when nothing is to be shortened: no options, or `shortenUrl: false` (trackClicks needs short URLs). */
export function linkTrackingOf(options: UrlOptions | undefined, path: string): LinkTracking | null {
  if (!options || options.shortenUrl === false) return null;
  return {
    trackClicks: options.trackClicks !== false,
    trackingUrl: options.trackingUrl || null,
    removeProtocol: options.removeProtocol === true,
    trackingUrlPath: `${path}.trackingUrl`,
  };
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 17 base62 characters: 17 × log2(62) ≈ 101 random bits, so codes cannot be guessed or enumerated. */
export const LINK_CODE_LENGTH = 17;
const CODE_PATTERN = new RegExp(`^[0-9A-Za-z]{${LINK_CODE_LENGTH}}$`);

/** A new short-link code from the CSPRNG; bytes ≥ 248 are skipped so every character is equally likely. */
export function newLinkCode(): string {
  let code = '';
  while (code.length < LINK_CODE_LENGTH) {
    for (const byte of randomBytes(LINK_CODE_LENGTH + 8)) {
      if (byte >= 248) continue; // 248 = 4 × 62
      code += ALPHABET[byte % 62];
      if (code.length === LINK_CODE_LENGTH) break;
    }
  }
  return code;
}

/** Whether a path segment could be a code at all (anything else is a 404 without a query). */
export const isLinkCode = (code: string): boolean => CODE_PATTERN.test(code);

/** http(s) URLs as people write them in text: up to whitespace or a character URLs never hold. */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"]+/gi;
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** Trailing punctuation belongs to the sentence, and a closing bracket only when it opens nowhere in the URL. */
function withoutTrailingPunctuation(candidate: string): string {
  let url = candidate;
  for (;;) {
    const last = url[url.length - 1];
    if (".,;:!?'*".includes(last)) {
      url = url.slice(0, -1);
      continue;
    }
    const opener = CLOSERS[last];
    if (opener && url.split(opener).length - 1 < url.split(last).length - 1) {
      url = url.slice(0, -1);
      continue;
    }
    return url;
  }
}

function isHttpUrl(candidate: string): boolean {
  try {
    const url = new URL(candidate);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export interface ShortLink {
  code: string;
  /** The URL as written in the text (what the redirect goes to and the CLICK event names). */
  url: string;
}

export interface RewrittenText {
  text: string;
  links: ShortLink[];
}

/** `base` is PUBLIC_BASE_URL without a trailing slash. */
export function shortLinkPrefix(base: string, removeProtocol: boolean): string {
  return `${removeProtocol ? base.replace(/^https?:\/\//i, '') : base}/t/`;
}

/** Replaces every http(s) URL in `text` with a short link; the same URL twice shares one code. */
export function rewriteLinks(text: string, base: string, removeProtocol: boolean, newCode: () => string = newLinkCode): RewrittenText {
  const prefix = shortLinkPrefix(base, removeProtocol);
  const codes = new Map<string, string>();
  const rewritten = text.replace(URL_IN_TEXT, (match) => {
    const url = withoutTrailingPunctuation(match);
    if (!isHttpUrl(url)) return match;
    let code = codes.get(url);
    if (code === undefined) codes.set(url, (code = newCode()));
    return prefix + code + match.slice(url.length);
  });
  return { text: rewritten, links: [...codes].map(([url, code]) => ({ code, url })) };
}

/** The short_links rows of one stored message. */
export function shortLinkRows(accountId: string, messagePk: number, tracking: LinkTracking, links: ShortLink[], now: number): Insertable<ShortLinksTable>[] {
  return links.map(({ code, url }) => ({
    code,
    account_id: accountId,
    message_pk: messagePk,
    url,
    tracking_url: tracking.trackingUrl,
    track_clicks: tracking.trackClicks ? 1 : 0,
    created_at: now,
  }));
}

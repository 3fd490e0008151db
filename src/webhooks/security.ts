/**
 * Outgoing webhook security for notification profiles (Infobip "security settings", types
 * BASIC, HMAC and OAUTH).
 *
 *  - BASIC: `Authorization: Basic base64(utf8(username ":" password))` — `basicAuthorization`.
 *  - HMAC: Standard Webhooks signatures over `${webhook-id}.${webhook-timestamp}.${body}`, sent
 *    in `webhook-signature` — `signatureFor`. Label `v1` for HMAC_SHA_256 (exactly the spec);
 *    for the other algorithms the label is the Infobip algorithm name, e.g.
 *    `HMAC_SHA_512,<base64>`, which Standard Webhooks libraries will simply not recognise (they
 *    look for `v1,`), so receivers of non-SHA-256 profiles need their own three-line verifier.
 *    `signatureHeader` adds the previous key's signature during a key rotation's overlap.
 *  - OAUTH: an access token from `tokenUrl`, sent as `Authorization: Bearer <token>` —
 *    `OAuthTokenClient` (cache, single flight, target safety, bounded timeouts, no redirects).
 */
import { createHash, createHmac } from 'node:crypto';
import { Agent, request } from 'undici';
import { classifyNetworkError } from './http-sender.ts';
import { checkTargetUrl, safeLookup, TargetRefused, type TargetPolicy } from './target-safety.ts';

export type HmacAlgorithm = 'HMAC_MD5' | 'HMAC_SHA_1' | 'HMAC_SHA_224' | 'HMAC_SHA_256' | 'HMAC_SHA_384' | 'HMAC_SHA_512';

export type SecuritySettings =
  | { type: 'BASIC'; username: string; password: string }
  | {
      type: 'HMAC';
      secretKey: string;
      algorithm: HmacAlgorithm;
      /**
       * The key a rotation replaced (`POST /hookline/1/security/{authId}/rotate`), still signed
       * with until `previousKeyExpiresAt` (epoch ms) so receivers can switch keys without losing a
       * request. Always the same algorithm as `secretKey`: a change of algorithm drops it.
       */
      previousSecretKey?: string;
      previousKeyExpiresAt?: number;
    }
  | {
      type: 'OAUTH';
      tokenUrl: string;
      grantType: string;
      clientId?: string;
      clientSecret?: string;
      scope?: string;
      username?: string;
      password?: string;
      resource?: string;
      refreshToken?: string;
      headers?: Record<string, string>;
    };

export type OAuthSettings = Extract<SecuritySettings, { type: 'OAUTH' }>;
export type HmacSettings = Extract<SecuritySettings, { type: 'HMAC' }>;

// ---------------------------------------------------------------------------------------------
// HMAC (Standard Webhooks)
// ---------------------------------------------------------------------------------------------

/** node:crypto digest name for each Infobip algorithm. */
export const HMAC_DIGESTS: Readonly<Record<HmacAlgorithm, string>> = {
  HMAC_MD5: 'md5',
  HMAC_SHA_1: 'sha1',
  HMAC_SHA_224: 'sha224',
  HMAC_SHA_256: 'sha256',
  HMAC_SHA_384: 'sha384',
  HMAC_SHA_512: 'sha512',
};

export const HMAC_ALGORITHMS = Object.keys(HMAC_DIGESTS) as HmacAlgorithm[];

export const WHSEC_PREFIX = 'whsec_';

/** The label before the comma in `webhook-signature`: `v1` for HMAC_SHA_256, else the algorithm name. */
export function signatureLabel(algorithm: HmacAlgorithm): string {
  return algorithm === 'HMAC_SHA_256' ? 'v1' : algorithm;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Why `secretKey` cannot be used, or null when it can. A `whsec_` secret must carry non-empty
 * standard base64 after the prefix (padding optional); any other non-empty string is used as
 * UTF-8 bytes. Meant for validating settings when they are stored (answer 400 there), so that
 * `signatureFor` never meets a bad key during delivery.
 */
export function secretKeyProblem(secretKey: string): string | null {
  if (typeof secretKey !== 'string' || secretKey.length === 0) return 'secretKey is empty';
  if (!secretKey.startsWith(WHSEC_PREFIX)) return null;
  const b64 = secretKey.slice(WHSEC_PREFIX.length);
  if (b64.length === 0) return 'secretKey has nothing after whsec_';
  if (!BASE64.test(b64) || b64.replace(/=+$/, '').length % 4 === 1) return 'secretKey after whsec_ is not valid base64';
  if (b64.includes('=') && b64.length % 4 !== 0) return 'secretKey after whsec_ is not valid base64';
  return null;
}

/**
 * The HMAC key bytes: the base64-decoded part after `whsec_` when `secretKey` starts with it
 * (as Standard Webhooks libraries do), else the UTF-8 bytes of `secretKey`.
 * Throws TypeError for a key that `secretKeyProblem` rejects (rather than silently signing
 * with whatever a lenient base64 decoder makes of it, which no receiver could reproduce).
 */
export function hmacKey(secretKey: string): Buffer {
  const problem = secretKeyProblem(secretKey);
  if (problem !== null) throw new TypeError(problem);
  return secretKey.startsWith(WHSEC_PREFIX)
    ? Buffer.from(secretKey.slice(WHSEC_PREFIX.length), 'base64')
    : Buffer.from(secretKey, 'utf8');
}

/**
 * Standard Webhooks signature of `${id}.${timestamp}.${body}`: `v1,<base64>` for HMAC_SHA_256,
 * `<ALGORITHM>,<base64>` (e.g. `HMAC_SHA_512,…`) otherwise. Key bytes: see `hmacKey`.
 * `body` must be exactly the bytes sent (a string is signed as UTF-8).
 */
export function signatureFor(
  secretKey: string,
  algorithm: HmacAlgorithm,
  id: string,
  timestamp: string,
  body: string | Uint8Array,
): string {
  const digest = HMAC_DIGESTS[algorithm];
  if (digest === undefined) throw new TypeError(`unknown HMAC algorithm ${String(algorithm)}`);
  const mac = createHmac(digest, hmacKey(secretKey));
  mac.update(`${id}.${timestamp}.`, 'utf8');
  mac.update(body);
  return `${signatureLabel(algorithm)},${mac.digest('base64')}`;
}

/**
 * The `webhook-signature` header value: the current key's signature and, while a rotation's
 * overlap lasts (`now < previousKeyExpiresAt`), the previous key's after it, space-separated as
 * Standard Webhooks allows. A receiver verifies if any one of them matches, so one still holding
 * the old key and one already holding the new key both accept every request of the overlap.
 */
export function signatureHeader(security: HmacSettings, id: string, timestamp: string, body: string | Uint8Array, now: number): string {
  const current = signatureFor(security.secretKey, security.algorithm, id, timestamp, body);
  const { previousSecretKey, previousKeyExpiresAt } = security;
  if (previousSecretKey === undefined || previousKeyExpiresAt === undefined || !(now < previousKeyExpiresAt)) return current;
  return `${current} ${signatureFor(previousSecretKey, security.algorithm, id, timestamp, body)}`;
}

// ---------------------------------------------------------------------------------------------
// BASIC
// ---------------------------------------------------------------------------------------------

/**
 * `Basic base64(utf8(username ":" password))` (RFC 7617 with charset UTF-8). A colon in the
 * username cannot be represented (the receiver splits at the first colon); it is not rejected here.
 */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export function bearerAuthorization(accessToken: string): string {
  return `Bearer ${accessToken}`;
}

// ---------------------------------------------------------------------------------------------
// OAUTH
// ---------------------------------------------------------------------------------------------

export type TokenFetchReason =
  | 'blocked' // refused by target safety (URL syntax, private/metadata address, DNS result)
  | 'dns'
  | 'connect'
  | 'timeout'
  | 'tls'
  | 'reset'
  | 'http-status' // non-2xx, including any redirect (never followed)
  | 'invalid-response' // 2xx without a usable access_token, unparseable or oversized body
  | 'closed';

/** Thrown by `OAuthTokenClient.token()`. The message never contains a secret or a token. */
export class TokenFetchError extends Error {
  readonly reason: TokenFetchReason;
  readonly statusCode: number | null;

  constructor(reason: TokenFetchReason, message: string, options?: { cause?: unknown; statusCode?: number | null }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TokenFetchError';
    this.reason = reason;
    this.statusCode = options?.statusCode ?? null;
  }
}

export interface OAuthTokenClientOptions {
  policy: TargetPolicy;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** Wall clock in ms (used only for token expiry). */
  now: () => number;
  /** Most cached tokens kept (oldest dropped first). Default 10 000. */
  maxEntries?: number;
}

/** A token response without (a usable) expires_in is kept this long. */
export const DEFAULT_TOKEN_LIFETIME_MS = 5 * 60_000;
/** The safety margin is 10% of the lifetime, at most this much. */
export const MAX_EXPIRY_MARGIN_MS = 30_000;
/** Largest token response read. */
export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

/**
 * How long a token may be used, from the moment its request was sent: the lifetime minus a
 * safety margin of 10% (at most 30 s), so the token is not presented just as it expires.
 * expires_in 3600 → 3570 s; 60 → 54 s; 0 → 0 (used for the request that fetched it only).
 */
export function tokenUsableMs(expiresInSeconds: number | undefined): number {
  if (expiresInSeconds === undefined) return DEFAULT_TOKEN_LIFETIME_MS;
  const lifetime = expiresInSeconds * 1000;
  return lifetime - Math.min(MAX_EXPIRY_MARGIN_MS, lifetime / 10);
}

const FORM_FIELDS: ReadonlyArray<[keyof OAuthSettings, string]> = [
  ['clientId', 'client_id'],
  ['clientSecret', 'client_secret'],
  ['scope', 'scope'],
  ['username', 'username'],
  ['password', 'password'],
  ['resource', 'resource'],
  ['refreshToken', 'refresh_token'],
];

/**
 * The token request body. grant_type always; each optional field only when set to a non-empty
 * string (the Infobip schema allows 0..255 characters, and an empty string means "not set").
 *
 * Client authentication: client_id/client_secret go in the form body (RFC 6749 §2.3.1
 * "client_secret_post") and NO Basic header is added. RFC 6749 §2.3 says a client "MUST NOT use
 * more than one authentication method in each request", and strict servers reject a request
 * carrying both, so sending both is not an option. The body form is what Infobip's own token
 * endpoint takes (client_id/client_secret/grant_type form fields, no Authorization header) and
 * what the settings' field list mirrors. A server that only accepts Basic client authentication
 * (client_secret_basic) is served by leaving clientSecret empty and putting
 * `Authorization: Basic …` in the settings' `headers`.
 */
export function tokenRequestBody(settings: OAuthSettings): string {
  const form = new URLSearchParams();
  form.set('grant_type', settings.grantType);
  for (const [key, name] of FORM_FIELDS) {
    const value = settings[key];
    if (typeof value === 'string' && value !== '') form.set(name, value);
  }
  return form.toString();
}

/** Headers we own (framing and hop-by-hop); settings.headers cannot set these. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer', 'proxy-connection']);

function tokenRequestHeaders(settings: OAuthSettings): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'Hookline-Webhooks/1' };
  for (const [name, value] of Object.entries(settings.headers ?? {})) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower) || typeof value !== 'string') continue;
    headers[lower] = value;
  }
  headers['content-type'] = 'application/x-www-form-urlencoded';
  return headers;
}

/** Identity of the settings: every field that can change which token the server issues. */
export function tokenCacheKey(settings: OAuthSettings): string {
  const headers = Object.entries(settings.headers ?? {})
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const identity = JSON.stringify([
    settings.tokenUrl,
    settings.grantType,
    ...FORM_FIELDS.map(([key]) => settings[key] ?? ''),
    headers,
  ]);
  // Hashed so the map keys carry no secrets in readable form (heap dumps, debug logs).
  return createHash('sha256').update(identity).digest('base64url');
}

function findRefusal(err: unknown, depth = 0): TargetRefused | undefined {
  if (depth > 6 || err === null || typeof err !== 'object') return undefined;
  if (err instanceof TargetRefused) return err;
  const e = err as { cause?: unknown; errors?: unknown[] };
  return findRefusal(e.cause, depth + 1) ?? (e.errors ?? []).map((x) => findRefusal(x, depth + 1)).find(Boolean);
}

function classify(error: unknown): { reason: TokenFetchReason; message: string } {
  // A refusal may sit inside an AggregateError (several addresses tried): look everywhere first.
  const refused = findRefusal(error);
  if (refused) return { reason: refused.reason === 'dns' ? 'dns' : 'blocked', message: refused.message };
  const { errorClass, message } = classifyNetworkError(error);
  return { reason: errorClass === 'http-status' ? 'connect' : errorClass, message };
}

/** A short, printable excerpt of an OAuth error code from the server (RFC 6749 §5.2 `error`). */
function oauthErrorCode(text: string): string | null {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
  } catch {
    // not JSON
  }
  return null;
}

/** access_token and expires_in from a JSON body, or a form-encoded one (some older servers). */
function parseTokenResponse(text: string, contentType: string): { accessToken: unknown; expiresIn: unknown } {
  if (/application\/x-www-form-urlencoded/i.test(contentType)) {
    const form = new URLSearchParams(text);
    return { accessToken: form.get('access_token') ?? undefined, expiresIn: form.get('expires_in') ?? undefined };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new TokenFetchError('invalid-response', 'token response is not JSON', { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TokenFetchError('invalid-response', 'token response is not a JSON object');
  }
  const o = parsed as Record<string, unknown>;
  return { accessToken: o.access_token, expiresIn: o.expires_in };
}

/** expires_in in seconds: a finite non-negative number or numeric string; anything else → undefined. */
function parseExpiresIn(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

/**
 * Fetches and caches OAuth access tokens for webhook deliveries.
 *
 *  - Cache keyed by the settings' identity (`tokenCacheKey`: tokenUrl, grant type, every
 *    credential field and the extra headers), so changed credentials never reuse an old token
 *    and equal settings loaded separately share one. Expiry: `tokenUsableMs`.
 *  - Single flight: concurrent `token()` calls for the same settings share one request; a
 *    failure rejects all of them and is not cached (the next delivery attempt tries again).
 *  - The token URL passes the webhook target-safety rules: `checkTargetUrl` before every
 *    request (IP literals) and `safeLookup` on the agent (DNS results, pinned to the checked
 *    address). Redirects are never followed (a 3xx is a failure).
 *  - Bounded: connect timeout, read timeout between packets, an overall deadline of
 *    connect + 2 × read, and at most 64 KiB of response.
 *
 * Per process; each worker fetches its own tokens (a token is a bearer credential we would
 * rather not write to the database).
 */
export class OAuthTokenClient {
  private readonly agent: Agent;
  private readonly cache = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly maxEntries: number;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: OAuthTokenClientOptions) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.agent = new Agent({
      connect: { timeout: options.connectTimeoutMs, lookup: safeLookup(options.policy) },
      headersTimeout: options.readTimeoutMs,
      bodyTimeout: options.readTimeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  /** A cached access token for these settings, fetched when missing or expired. Throws TokenFetchError. */
  async token(settings: OAuthSettings): Promise<string> {
    if (this.closed) throw new TokenFetchError('closed', 'token client is closed');
    const key = tokenCacheKey(settings);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      if (cached.expiresAt > this.options.now()) return cached.accessToken;
      this.cache.delete(key);
    }
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      pending = this.fetchToken(settings).then(
        (fresh) => {
          this.inflight.delete(key);
          this.store(key, fresh);
          return fresh;
        },
        (error: unknown) => {
          this.inflight.delete(key);
          throw error;
        },
      );
      this.inflight.set(key, pending);
    }
    return (await pending).accessToken;
  }

  /**
   * Forgets the cached token (after the receiver answered 401). With `rejectedToken`, forgets
   * it only if it is still the cached one: when several deliveries get a 401 for the same old
   * token, the first refreshes and the others keep (and retry with) the new token instead of
   * throwing it away. A fetch already in flight is left alone; its token is newer than the 401.
   */
  invalidate(settings: OAuthSettings, rejectedToken?: string): void {
    const key = tokenCacheKey(settings);
    const cached = this.cache.get(key);
    if (cached === undefined) return;
    if (rejectedToken === undefined || cached.accessToken === rejectedToken) this.cache.delete(key);
  }

  /**
   * Closes the connection pool (a request in flight finishes first, within its timeouts); later
   * token() calls throw TokenFetchError('closed'). Idempotent.
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closed = true;
      this.cache.clear();
      this.closing = this.agent.close();
    }
    return this.closing;
  }

  private store(key: string, token: CachedToken): void {
    if (token.expiresAt <= this.options.now()) return; // usable for the caller only
    this.cache.delete(key);
    this.cache.set(key, token);
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }

  private async fetchToken(settings: OAuthSettings): Promise<CachedToken> {
    const { policy, connectTimeoutMs, readTimeoutMs } = this.options;
    let url: URL;
    try {
      // Literal IP hosts never reach the lookup hook, so they are checked here, every time.
      url = checkTargetUrl(settings.tokenUrl, policy);
    } catch (error) {
      const { reason, message } = classify(error);
      throw new TokenFetchError(reason, `token URL refused: ${message}`, { cause: error });
    }

    // Lifetime counts from when the request left, not when the answer arrived (conservative).
    const sentAt = this.options.now();
    let statusCode: number;
    let text: string;
    let contentType: string;
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        signal: AbortSignal.timeout(connectTimeoutMs + 2 * readTimeoutMs),
        headers: tokenRequestHeaders(settings),
        body: tokenRequestBody(settings),
      });
      statusCode = response.statusCode;
      const header = response.headers['content-type'];
      contentType = Array.isArray(header) ? header.join(',') : header ?? '';
      const chunks: Buffer[] = [];
      let read = 0;
      for await (const chunk of response.body) {
        read += (chunk as Buffer).length;
        if (read > MAX_TOKEN_RESPONSE_BYTES) {
          response.body.destroy();
          if (statusCode >= 200 && statusCode < 300) {
            throw new TokenFetchError('invalid-response', `token response is larger than ${MAX_TOKEN_RESPONSE_BYTES} bytes`, { statusCode });
          }
          break;
        }
        chunks.push(chunk as Buffer);
      }
      text = Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      if (error instanceof TokenFetchError) throw error;
      const { reason, message } = classify(error);
      throw new TokenFetchError(this.closed ? 'closed' : reason, `token request to ${url.origin} failed: ${message.slice(0, 300)}`, { cause: error });
    }

    if (statusCode < 200 || statusCode >= 300) {
      const code = oauthErrorCode(text);
      throw new TokenFetchError('http-status', `token endpoint ${url.origin} answered HTTP ${statusCode}${code ? ` (${code})` : ''}`, { statusCode });
    }
    const { accessToken, expiresIn } = parseTokenResponse(text, contentType);
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw new TokenFetchError('invalid-response', `token endpoint ${url.origin} answered without an access_token`, { statusCode });
    }
    // token_type is not checked (servers write Bearer, bearer, or omit it); the token is sent as
    // Bearer. A token that cannot go in a header as is would make every delivery fail obscurely.
    if (!/^[\x21-\x7e]+$/.test(accessToken)) {
      throw new TokenFetchError('invalid-response', `token endpoint ${url.origin} answered with an access_token that is not printable ASCII`, { statusCode });
    }
    return { accessToken, expiresAt: sentAt + tokenUsableMs(parseExpiresIn(expiresIn)) };
  }
}

/**
 * Turns an `Authorization` header into a Principal, for all four Infobip schemes:
 * `App <apiKeySecret>`, `Basic base64(user:password)`, `IBSSO <token>`, `Bearer <token>`.
 *
 * A verified credential is cached for one second, with the rules that still apply per request
 * (allowed addresses, session binding, validity window), so revocation, expiry and IP rules take
 * effect within a second while the database and the password KDF are not hit on every request.
 * Failures are cached nowhere: each one is counted by the LoginGuard.
 */
import type { Clock } from '../clock.ts';
import type { ApiKeys } from './api-keys.ts';
import { ipMatcher } from './ip-rules.ts';
import type { LoginGuard } from './login-guard.ts';
import type { OAuthTokens } from './oauth-tokens.ts';
import type { Principal, Scheme } from './principal.ts';
import type { Sessions } from './sessions.ts';
import { hashSecret } from './tokens.ts';
import type { UserRow, Users } from './users.ts';

export const CREDENTIAL_CACHE_MS = 1_000;
const CACHE_LIMIT = 10_000;

/** A verified credential and the rules checked on every use of it. */
interface Verified {
  principal: Principal;
  allows: (ip: string) => boolean;
  validFrom: number;
  validUntil: number;
  cachedUntil: number;
}

export type AuthResult = { principal: Principal } | { refused: 'UNAUTHORIZED' } | { refused: 'TOO_MANY_REQUESTS'; retryAfterSeconds: number };
export type LoginResult = { user: UserRow } | { refused: 'UNAUTHORIZED' } | { refused: 'TOO_MANY_REQUESTS'; retryAfterSeconds: number };

const UNAUTHORIZED = { refused: 'UNAUTHORIZED' } as const;
const ANYWHERE = () => true;

export function parseAuthorization(header: string | undefined): { scheme: Scheme; credentials: string } | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  if (space <= 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const credentials = header.slice(space + 1).trim();
  if (!credentials || !(scheme === 'app' || scheme === 'basic' || scheme === 'ibsso' || scheme === 'bearer')) return null;
  return { scheme, credentials };
}

/** Cached under a hash, so credentials do not linger in memory in clear after use. */
const cacheKeyOf = (parsed: { scheme: Scheme; credentials: string }): string => hashSecret(`${parsed.scheme} ${parsed.credentials}`);

export class Authenticator {
  private cache = new Map<string, Verified>();

  constructor(
    private readonly stores: { apiKeys: ApiKeys; users: Users; sessions: Sessions; tokens: OAuthTokens },
    private readonly guard: LoginGuard,
    private readonly clock: Clock,
  ) {}

  async authenticate(header: string | undefined, ip: string): Promise<AuthResult> {
    const parsed = parseAuthorization(header);
    if (!parsed) return UNAUTHORIZED;
    const now = this.clock.now();
    const cacheKey = cacheKeyOf(parsed);
    let verified = this.cache.get(cacheKey);
    if (!verified || verified.cachedUntil <= now) {
      this.cache.delete(cacheKey);
      const outcome = await this.verify(parsed.scheme, parsed.credentials, ip, now);
      if ('refused' in outcome) return outcome;
      verified = outcome;
      // Evict the oldest entry (Maps iterate in insertion order), not everything at once.
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(cacheKey, verified);
    }
    if (now < verified.validFrom || now >= verified.validUntil || !verified.allows(ip)) return UNAUTHORIZED;
    return { principal: verified.principal };
  }

  /** Drops a credential from this process's cache at once (others let it lapse within a second). */
  forget(header: string | undefined): void {
    const parsed = parseAuthorization(header);
    if (parsed) this.cache.delete(cacheKeyOf(parsed));
  }

  /** Drops every cached credential of matching principals: a change made here applies at once in this process. */
  forgetWhere(matches: (principal: Principal) => boolean): void {
    for (const [key, verified] of this.cache) if (matches(verified.principal)) this.cache.delete(key);
  }

  /** A username and password check with brute-force accounting: Basic, sessions and tokens share it. */
  async login(username: string, password: string, ip: string, now: number): Promise<LoginResult> {
    const lockedFor = await this.guard.attempt(ip, username, now);
    if (lockedFor !== null) return { refused: 'TOO_MANY_REQUESTS', retryAfterSeconds: lockedFor };
    const user = await this.stores.users.checkPassword(username, password);
    if (!user) return UNAUTHORIZED;
    await this.guard.succeeded(ip, username);
    return { user };
  }

  private async verify(scheme: Scheme, credentials: string, ip: string, now: number): Promise<Verified | Exclude<AuthResult, { principal: Principal }>> {
    if (scheme === 'basic') return this.verifyBasic(credentials, ip, now);
    const lockedFor = await this.guard.attempt(ip, undefined, now);
    if (lockedFor !== null) return { refused: 'TOO_MANY_REQUESTS', retryAfterSeconds: lockedFor };
    const verified = scheme === 'app' ? await this.verifyApiKey(credentials, now) : await this.verifyToken(scheme, credentials, ip, now);
    if (!verified) return UNAUTHORIZED;
    await this.guard.succeeded(ip, undefined);
    return verified;
  }

  private async verifyApiKey(secret: string, now: number): Promise<Verified | null> {
    const key = await this.stores.apiKeys.bySecret(secret);
    if (!key || key.enabled !== 1) return null;
    // Every Hookline endpoint is public API: a key limited to 2FA_CLIENT or WEB_SDK holds no scope here.
    const publicApi = key.permissions === null || (JSON.parse(key.permissions) as string[]).includes('PUBLIC_API');
    const owner = key.user_id === null ? undefined : await this.stores.users.byId(key.user_id);
    return {
      principal: { accountId: key.account_id, scheme: 'app', credentialId: key.id, userId: key.user_id, username: owner?.username ?? null, scopes: new Set(publicApi ? (JSON.parse(key.scopes) as string[]) : []) },
      allows: ipMatcher(key.allowed_ips ? (JSON.parse(key.allowed_ips) as string[]) : null),
      validFrom: Number(key.valid_from),
      validUntil: key.valid_to === null ? Infinity : Number(key.valid_to),
      cachedUntil: now + CREDENTIAL_CACHE_MS,
    };
  }

  private async verifyBasic(credentials: string, ip: string, now: number): Promise<Verified | Exclude<AuthResult, { principal: Principal }>> {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return UNAUTHORIZED;
    const result = await this.login(decoded.slice(0, colon), decoded.slice(colon + 1), ip, now);
    if ('refused' in result) return result;
    return this.userVerified(result.user, 'basic', { allows: ANYWHERE, validUntil: Infinity }, now);
  }

  private async verifyToken(scheme: 'ibsso' | 'bearer', token: string, ip: string, now: number): Promise<Verified | null> {
    const live =
      scheme === 'ibsso'
        ? await this.stores.sessions.use(token, ip, now).then((s) => s && { userId: s.userId, allows: s.boundIp ? (ip: string) => ip === s.boundIp : ANYWHERE, validUntil: s.idleUntil })
        : await this.stores.tokens.find(token, now).then((t) => t && { userId: t.userId, allows: ANYWHERE, validUntil: t.expiresAt });
    if (!live) return null;
    const user = await this.stores.users.byId(live.userId);
    if (!user || user.enabled !== 1) return null;
    return this.userVerified(user, scheme, live, now);
  }

  private async userVerified(user: UserRow, scheme: Scheme, rules: { allows: (ip: string) => boolean; validUntil: number }, now: number): Promise<Verified> {
    return {
      principal: { accountId: user.account_id, scheme, credentialId: user.id, userId: user.id, username: user.username, scopes: await this.stores.users.scopesOf(user) },
      allows: rules.allows,
      validFrom: 0,
      validUntil: rules.validUntil,
      cachedUntil: now + CREDENTIAL_CACHE_MS,
    };
  }
}

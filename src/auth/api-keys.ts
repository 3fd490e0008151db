/**
 * API keys: stored as SHA-256 hashes (the secrets are 256 random bits, so a slow KDF buys
 * nothing), verified through a short cache so revocation still takes effect within a second.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../store/schema.ts';
import { ALL_SCOPES, DEFAULT_ACCOUNT_ID, type Principal } from './principal.ts';

const CACHE_MS = 1_000;

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Infobip-style key secret: 32 hex chars, a dash, a UUID. */
export const generateSecret = (): string => `${randomBytes(16).toString('hex')}-${randomUUID()}`;

export class ApiKeys {
  private cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /**
   * Makes sure the default account and a usable key exist. With `configuredSecret` that key is
   * created (idempotently); otherwise, on an empty database, a new secret is generated and returned
   * so the caller can print it once.
   */
  async bootstrap(configuredSecret: string | undefined): Promise<{ generatedSecret?: string }> {
    const now = this.clock.now();
    await this.db
      .insertInto('accounts')
      .values({ id: DEFAULT_ACCOUNT_ID, name: 'Default account', created_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const insertKey = (secret: string, name: string) =>
      this.db
        .insertInto('api_keys')
        .values({
          id: randomUUID(),
          account_id: DEFAULT_ACCOUNT_ID,
          name,
          secret_hash: hashSecret(secret),
          scopes: JSON.stringify([ALL_SCOPES]),
          enabled: 1,
          valid_to: null,
          created_at: now,
        })
        .onConflict((oc) => oc.column('secret_hash').doNothing())
        .execute();
    if (configuredSecret) {
      await insertKey(configuredSecret, 'API_KEY bootstrap key');
      return {};
    }
    const existing = await this.db.selectFrom('api_keys').select('id').limit(1).executeTakeFirst();
    if (existing) return {};
    const generatedSecret = generateSecret();
    await insertKey(generatedSecret, 'generated bootstrap key');
    return { generatedSecret };
  }

  async verify(secret: string): Promise<Principal | null> {
    const now = this.clock.now();
    const hash = hashSecret(secret);
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.principal;
    const row = await this.db
      .selectFrom('api_keys')
      .select(['id', 'account_id', 'scopes', 'enabled', 'valid_to'])
      .where('secret_hash', '=', hash)
      .executeTakeFirst();
    const valid = row && row.enabled === 1 && (row.valid_to === null || row.valid_to > now);
    const principal = valid
      ? { accountId: row.account_id, credentialId: row.id, scopes: new Set(JSON.parse(row.scopes) as string[]) }
      : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: now + CACHE_MS });
    return principal;
  }
}

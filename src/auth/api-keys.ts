/**
 * API keys: stored as SHA-256 hashes of their secrets, with scopes, IP rules and a validity
 * window. The secret exists in clear only in the response that created it.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, Database } from '../store/schema.ts';
import { DEFAULT_ACCOUNT_ID } from './principal.ts';
import { ALL_SCOPES } from './scopes.ts';
import { generateApiKeySecret, hashSecret } from './tokens.ts';

export type ApiKeyRow = Selectable<ApiKeysTable>;

export interface NewApiKey {
  accountId: string;
  userId: string | null;
  name: string;
  scopes: readonly string[];
  permissions: readonly string[] | null;
  allowedIps: readonly string[] | null;
  validFrom: number;
  validTo: number | null;
}

export interface ApiKeyFilter {
  accountIds: readonly string[] | 'all';
  name?: string;
  enabled?: boolean;
  secret?: string;
  orderBy: 'id' | 'name' | 'valid_from' | 'valid_to' | 'created_at';
  direction: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export type ApiKeyChanges = Partial<Pick<ApiKeyRow, 'name' | 'scopes' | 'permissions' | 'allowed_ips' | 'enabled' | 'valid_from' | 'valid_to'>>;

export class ApiKeys {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Makes sure the default account and a usable key exist. With `configuredSecret` that key is
   * created (idempotently); otherwise, on an empty database, a new secret is generated and returned
   * so the caller can print it once. Bootstrap keys hold every scope and never expire.
   */
  async bootstrap(configuredSecret: string | undefined, now: number): Promise<{ generatedSecret?: string }> {
    await this.db
      .insertInto('accounts')
      .values({ id: DEFAULT_ACCOUNT_ID, name: 'Default account', created_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const bootstrapKey = (name: string): NewApiKey => ({ accountId: DEFAULT_ACCOUNT_ID, userId: null, name, scopes: [ALL_SCOPES], permissions: null, allowedIps: null, validFrom: 0, validTo: null });
    if (configuredSecret) {
      await this.insert(bootstrapKey('API_KEY bootstrap key'), configuredSecret, now);
      return {};
    }
    const existing = await this.db.selectFrom('api_keys').select('id').limit(1).executeTakeFirst();
    if (existing) return {};
    const generatedSecret = generateApiKeySecret();
    await this.insert(bootstrapKey('generated bootstrap key'), generatedSecret, now);
    return { generatedSecret };
  }

  /** Stores a new key; returns its row and the secret (to be shown once). */
  async create(key: NewApiKey, now: number): Promise<{ row: ApiKeyRow; secret: string }> {
    const secret = generateApiKeySecret();
    const row = await this.insert(key, secret, now);
    return { row: row!, secret };
  }

  private async insert(key: NewApiKey, secret: string, now: number): Promise<ApiKeyRow | undefined> {
    return this.db
      .insertInto('api_keys')
      .values({
        id: randomUUID().toUpperCase().replaceAll('-', ''),
        account_id: key.accountId,
        user_id: key.userId,
        name: key.name,
        secret_hash: hashSecret(secret),
        scopes: JSON.stringify(key.scopes),
        permissions: key.permissions ? JSON.stringify(key.permissions) : null,
        allowed_ips: key.allowedIps ? JSON.stringify(key.allowedIps) : null,
        enabled: 1,
        valid_from: key.validFrom,
        valid_to: key.validTo,
        created_at: now,
      })
      .onConflict((oc) => oc.column('secret_hash').doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  /** The key a secret belongs to, whatever its state (the caller checks enabled and validity). */
  async bySecret(secret: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('secret_hash', '=', hashSecret(secret)).executeTakeFirst();
  }

  // Listing, reading and changing keys, for the management API (settings/2/api-keys).

  async list(filter: ApiKeyFilter): Promise<{ rows: ApiKeyRow[]; total: number }> {
    let query = this.db.selectFrom('api_keys');
    if (filter.accountIds !== 'all') query = query.where('account_id', 'in', filter.accountIds.length ? filter.accountIds : ['']);
    if (filter.name !== undefined) query = query.where('name', '=', filter.name);
    if (filter.enabled !== undefined) query = query.where('enabled', '=', filter.enabled ? 1 : 0);
    if (filter.secret !== undefined) query = query.where('secret_hash', '=', hashSecret(filter.secret));
    const { total } = await query.select((eb) => eb.fn.countAll<number | string>().as('total')).executeTakeFirstOrThrow();
    const rows = await query.selectAll().orderBy(filter.orderBy, filter.direction).orderBy('id', filter.direction).offset(filter.offset).limit(filter.limit).execute();
    return { rows, total: Number(total) };
  }

  async byId(id: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async update(id: string, changes: ApiKeyChanges): Promise<ApiKeyRow | undefined> {
    if (Object.keys(changes).length === 0) return this.byId(id);
    return this.db.updateTable('api_keys').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
  }
}

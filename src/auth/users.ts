/**
 * Users of an account: usernames are unique across Hookline (a login names no account),
 * passwords are scrypt hashes, roles map to scopes. Checking a password runs the slow KDF once;
 * a correct check is remembered (keyed by an HMAC of user, stored hash and password under a
 * per-process key), so Basic authentication on every request stays cheap and a password change
 * invalidates the memory at once.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, UsersTable } from '../store/schema.ts';
import type { Selectable } from 'kysely';
import { DECOY_HASH, hashPassword, verifyPassword } from './passwords.ts';
import { ACCOUNT_ADMIN_ROLE, BUILT_IN_ROLE_BY_ID } from './roles.ts';
import { DEFAULT_ACCOUNT_ID } from './principal.ts';

export type UserRow = Selectable<UsersTable>;

const MEMO_LIMIT = 10_000;
export const MAX_USERNAME_LENGTH = 255;

/** Whether a string can be a username at all (NUL cannot even be stored in PostgreSQL text). */
export const isPlausibleUsername = (username: string): boolean => username.length > 0 && username.length <= MAX_USERNAME_LENGTH && !username.includes('\0');

export class Users {
  private readonly memoKey = randomBytes(32);
  private readonly verified = new Set<string>();

  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Makes sure the default account has an admin (username `ADMIN_USERNAME`, default `admin`).
   * With ADMIN_PASSWORD the user is created if missing (an existing one is left as it is: its
   * password may have been changed since); without it, on a database with no users, the admin
   * gets a generated password, returned once so it can be printed.
   */
  async bootstrapAdmin(username: string | undefined, password: string | undefined, now: number): Promise<{ generated?: { username: string; password: string } }> {
    const name = username || 'admin';
    if (password) {
      const existing = await this.db.selectFrom('users').select('id').where('username', '=', name).executeTakeFirst();
      if (!existing) await this.insertIfAbsent(name, password, now);
      return {};
    }
    const anyUser = await this.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (anyUser) return {};
    const generated = { username: name, password: randomBytes(18).toString('base64url') };
    // Two processes starting on one empty database: one creates the admin, the other prints nothing.
    return (await this.insertIfAbsent(name, generated.password, now)) ? { generated } : {};
  }

  private async insertIfAbsent(username: string, password: string, now: number): Promise<boolean> {
    const row = { id: randomUUID(), account_id: DEFAULT_ACCOUNT_ID, username, password_hash: await hashPassword(password), roles: JSON.stringify([ACCOUNT_ADMIN_ROLE]), enabled: 1, created_at: now, updated_at: now };
    const inserted = await this.db.insertInto('users').values(row).onConflict((oc) => oc.column('username').doNothing()).returning('id').executeTakeFirst();
    return inserted !== undefined;
  }

  async insert(accountId: string, username: string, password: string, roles: string[], now: number, enabled = true): Promise<UserRow> {
    const row = {
      id: randomUUID(),
      account_id: accountId,
      username,
      password_hash: await hashPassword(password),
      roles: JSON.stringify(roles),
      enabled: enabled ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    // A username taken meanwhile (two requests racing) surfaces as a unique violation: 409.
    await this.db.insertInto('users').values(row).execute();
    return row;
  }

  /**
   * The enabled user whose password this is, or null. Unknown and disabled users cost the same
   * KDF time as a wrong password, every time (no memo), so timing tells nothing about them.
   */
  async checkPassword(username: string, password: string): Promise<UserRow | null> {
    const user = isPlausibleUsername(username) ? await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst() : undefined;
    if (!user || user.enabled !== 1) {
      await verifyPassword(password, DECOY_HASH);
      return null;
    }
    const memo = createHmac('sha256', this.memoKey).update(`${user.id}\0${user.password_hash}\0${password}`).digest('base64');
    if (this.verified.has(memo)) return user;
    if (!(await verifyPassword(password, user.password_hash))) return null;
    if (this.verified.size >= MEMO_LIMIT) this.verified.clear();
    this.verified.add(memo);
    return user;
  }

  async byId(userId: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  }

  /** The union of the scopes of a user's roles (built-in or the account's custom roles). */
  async scopesOf(user: Pick<UserRow, 'account_id' | 'roles'>): Promise<Set<string>> {
    return (await this.resolveRoles(user.account_id, JSON.parse(user.roles) as string[])).scopes;
  }

  /** The scopes a list of role ids grants in an account, and the ids that name no role there. */
  async resolveRoles(accountId: string, roleIds: readonly string[]): Promise<{ scopes: Set<string>; unknown: string[] }> {
    const scopes = new Set<string>();
    const custom = roleIds.filter((id) => {
      BUILT_IN_ROLE_BY_ID.get(id)?.scopes.forEach((s) => scopes.add(s));
      return !BUILT_IN_ROLE_BY_ID.has(id);
    });
    const rows = custom.length === 0 ? [] : await this.db.selectFrom('roles').select(['id', 'scopes']).where('account_id', '=', accountId).where('id', 'in', custom).execute();
    for (const row of rows) (JSON.parse(row.scopes) as string[]).forEach((s) => scopes.add(s));
    const found = new Set(rows.map((r) => r.id));
    return { scopes, unknown: custom.filter((id) => !found.has(id)) };
  }

  /** Changes a user; a new password or disabling ends its sessions and tokens (new roles apply within a second). */
  async update(userId: string, changes: { password?: string; roles?: string[]; enabled?: boolean }, now: number): Promise<UserRow | undefined> {
    const set: Partial<UserRow> = { updated_at: now };
    if (changes.password !== undefined) set.password_hash = await hashPassword(changes.password);
    if (changes.roles !== undefined) set.roles = JSON.stringify(changes.roles);
    if (changes.enabled !== undefined) set.enabled = changes.enabled ? 1 : 0;
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('users').set(set).where('id', '=', userId).returningAll().executeTakeFirst();
      if (row && (changes.password !== undefined || changes.enabled === false)) await endCredentials(trx, userId);
      return row;
    });
  }

  async remove(userId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await endCredentials(trx, userId);
      await trx.deleteFrom('users').where('id', '=', userId).execute();
    });
  }
}

/** Ends a user's sessions and access tokens (API keys they created stay: they belong to the account). */
async function endCredentials(trx: Kysely<Database>, userId: string): Promise<void> {
  await trx.deleteFrom('sessions').where('user_id', '=', userId).execute();
  await trx.deleteFrom('oauth_tokens').where('user_id', '=', userId).execute();
}

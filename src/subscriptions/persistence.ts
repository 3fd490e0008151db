/**
 * Writing subscriptions, profiles and security settings: one transaction per request, then
 * `directory.changed()` once it has committed, so every process reloads its routing cache.
 *
 * References and deletions must not race (a subscription created on a profile being deleted
 * would point at nothing). Whoever references a row first takes its row lock with a no-op UPDATE
 * (`lockProfile`, `lockSecurity`; portable where FOR SHARE is not); whoever deletes one deletes it
 * first and only then looks for users of it. On PostgreSQL each side therefore waits for the
 * other and the later one sees what the earlier one committed; SQLite runs one write transaction
 * at a time anyway. Two creations of one id meet at the primary key: the loser answers 409.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../clock.ts';
import { ApiError, badRequest, type Violation } from '../http/errors.ts';
import type { Database, NotificationProfilesTable, SecuritySettingsTable } from '../store/schema.ts';
import { retryTransaction } from '../store/transient.ts';
import { checkTargetUrl, resolveTarget, TargetRefused, type TargetPolicy } from '../webhooks/target-safety.ts';
import type { SubscriptionDirectory } from './directory.ts';
import type { ProfileDefinition, SecurityDefinition } from './request-schemas.ts';

export interface SubscriptionApiDeps {
  db: Kysely<Database>;
  directory: SubscriptionDirectory;
  clock: Clock;
  /** Webhook URLs (profile notifyUrl, OAuth tokenUrl) must pass the same safety rules as per-message ones. */
  targetPolicy: TargetPolicy;
}

export type Trx = Transaction<Database>;

/** A primary-key clash (SQLite's constraint codes, PostgreSQL's unique_violation). */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Runs `work` in one transaction; after it commits, tells the directory (every process) that routing data changed. */
export async function write<T>(deps: SubscriptionApiDeps, work: (trx: Trx) => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await retryTransaction(() => deps.db.transaction().execute(work));
  } catch (error) {
    // Two requests created the same id at once; the other one won.
    if (isUniqueViolation(error)) throw new ApiError('CONFLICT', { text: 'An item with this id already exists.' });
    throw error;
  }
  deps.directory.changed();
  return result;
}

export const conflict = (text: string) => new ApiError('CONFLICT', { text });

/**
 * Refuses a webhook or token URL that may not be contacted: the same rules as per-message webhook
 * URLs, checked again before every connection. A host that does not resolve (yet) is accepted —
 * its addresses are checked when a delivery connects — so a profile can be set up before its DNS
 * record exists; one that resolves to a refused address is not.
 */
export async function checkUrl(url: string, property: string, policy: TargetPolicy, violations: Violation[]): Promise<void> {
  if (url === '') return; // reported as blank already
  try {
    await resolveTarget(checkTargetUrl(url, policy), policy);
  } catch (error) {
    if (!(error instanceof TargetRefused)) throw error;
    if (error.reason === 'dns') return;
    violations.push({ property, violation: `is not an allowed webhook URL: ${error.message}` });
  }
}

export const throwIfAny = (violations: Violation[]): void => {
  if (violations.length > 0) throw badRequest(violations);
};

/** The creation time of a new item: now, or 1 ms after the account's newest, so "newest first" is a total order. */
export async function createdAt(trx: Trx, table: 'security_settings' | 'notification_profiles' | 'subscriptions', accountId: string, now: number): Promise<number> {
  const row = await trx
    .selectFrom(table)
    .select((eb) => eb.fn.max('created_at').as('newest'))
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  const newest = row?.newest === null || row?.newest === undefined ? null : Number(row.newest);
  return newest !== null && newest >= now ? newest + 1 : now;
}

// --- security settings ---------------------------------------------------------------------

export async function findSecurity(db: Kysely<Database> | Trx, accountId: string, authId: string): Promise<Selectable<SecuritySettingsTable> | undefined> {
  return db.selectFrom('security_settings').selectAll().where('account_id', '=', accountId).where('auth_id', '=', authId).executeTakeFirst();
}

/**
 * Settings row-locked until commit, as last committed (the no-op UPDATE waits for a concurrent
 * writer and answers its result); undefined if there are none. Callers say what a miss means.
 */
export async function lockedSecurity(trx: Trx, accountId: string, authId: string): Promise<Pick<Selectable<SecuritySettingsTable>, 'type' | 'credentials'> | undefined> {
  return trx
    .updateTable('security_settings')
    .set((eb) => ({ auth_id: eb.ref('auth_id') }))
    .where('account_id', '=', accountId)
    .where('auth_id', '=', authId)
    .returning(['type', 'credentials'])
    .executeTakeFirst();
}

/** Existing settings, row-locked until commit so they cannot be deleted under a new reference; 400 on `property` if unknown. */
export async function lockSecurity(trx: Trx, accountId: string, authId: string, property: string): Promise<void> {
  if (!(await lockedSecurity(trx, accountId, authId))) throw badRequest([{ property, violation: `no security settings with id ${authId}` }]);
}

export async function insertSecurity(trx: Trx, accountId: string, authId: string, definition: SecurityDefinition, now: number): Promise<void> {
  if (await findSecurity(trx, accountId, authId)) throw conflict(`Security settings ${authId} already exist.`);
  await trx
    .insertInto('security_settings')
    .values({ account_id: accountId, auth_id: authId, type: definition.type, credentials: JSON.stringify(definition.credentials), created_at: await createdAt(trx, 'security_settings', accountId, now), updated_at: now })
    .execute();
}

// --- notification profiles -----------------------------------------------------------------

export async function findProfile(db: Kysely<Database> | Trx, accountId: string, profileId: string): Promise<Selectable<NotificationProfilesTable> | undefined> {
  return db.selectFrom('notification_profiles').selectAll().where('account_id', '=', accountId).where('profile_id', '=', profileId).executeTakeFirst();
}

/** An existing profile's security id, the profile row-locked until commit; 400 on `property` if unknown. */
export async function lockProfile(trx: Trx, accountId: string, profileId: string, property: string): Promise<{ authId: string | null }> {
  const row = await trx
    .updateTable('notification_profiles')
    .set((eb) => ({ profile_id: eb.ref('profile_id') }))
    .where('account_id', '=', accountId)
    .where('profile_id', '=', profileId)
    .returning('auth_id')
    .executeTakeFirst();
  if (!row) throw badRequest([{ property, violation: `no notification profile with id ${profileId}` }]);
  return { authId: row.auth_id };
}

/** How a new profile gets its security: none, new settings created with it, or existing ones. */
export type SecurityPlan = { kind: 'none' } | { kind: 'new'; authId: string; definition: SecurityDefinition } | { kind: 'reference'; authId: string; property: string };

export const planAuthId = (plan: SecurityPlan): string | null => (plan.kind === 'none' ? null : plan.authId);

/** Puts a profile's security in place (creating or locking it) and returns its id. */
export async function applySecurityPlan(trx: Trx, accountId: string, plan: SecurityPlan, now: number): Promise<string | null> {
  if (plan.kind === 'new') await insertSecurity(trx, accountId, plan.authId, plan.definition, now);
  if (plan.kind === 'reference') await lockSecurity(trx, accountId, plan.authId, plan.property);
  return planAuthId(plan);
}

export async function insertProfile(trx: Trx, accountId: string, profileId: string, definition: ProfileDefinition, security: SecurityPlan, now: number): Promise<string | null> {
  if (await findProfile(trx, accountId, profileId)) throw conflict(`Notification profile ${profileId} already exists.`);
  const authId = await applySecurityPlan(trx, accountId, security, now);
  await trx
    .insertInto('notification_profiles')
    .values({
      account_id: accountId,
      profile_id: profileId,
      notify_url: definition.notifyUrl,
      content_type: definition.contentType,
      auth_id: authId,
      settings: JSON.stringify(definition.settings),
      created_at: await createdAt(trx, 'notification_profiles', accountId, now),
      updated_at: now,
    })
    .execute();
  return authId;
}

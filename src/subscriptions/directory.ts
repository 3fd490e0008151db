/**
 * The one way the rest of Hookline reads subscriptions: which profiles an event goes to
 * (`subscribers`, for routing) and how to deliver to one (`deliveryTarget`, for the dispatcher). Each
 * account's subscriptions, profiles and security settings are cached in process; every change
 * calls `changed()`, which clears this process's cache and tells the others (NOTIFY on
 * PostgreSQL), so no process routes on a stale subscription for longer than a NOTIFY takes.
 */
import type { Kysely } from 'kysely';
import type { EventFacts, Subscriber, SubscriberLookup } from '../events/routing.ts';
import type { Notifier } from '../store/notifier.ts';
import type { SecuritySettings } from '../webhooks/security.ts';
import { parseProfileTarget, profileTarget, type DeliveryTarget, type TargetResolver } from '../webhooks/targets.ts';
import type { Database } from '../store/schema.ts';
import {
  profileFromRow,
  securityFromRow,
  subscriptionFromRow,
  type Profile,
  type SecuritySetting,
  type Subscription,
} from './model.ts';

interface AccountData {
  subscriptions: Subscription[];
  profiles: Map<string, Profile>;
  security: Map<string, SecuritySetting>;
  /** The profile that receives the account's operational events (webhook.*), if one is set. */
  operationsProfileId: string | null;
}

const anyOrIncludes = (list: string[], value: string | null) => list.length === 0 || (value !== null && list.includes(value));

export function subscriptionMatches(s: Subscription, facts: EventFacts): boolean {
  if (s.channel !== facts.channel) return false;
  if (!s.events.some((e) => e.event === facts.event)) return false;
  // Criteria are alternatives; within one, each id given must match (an omitted one matches all).
  const criteriaMatch =
    s.criteria.length === 0 ||
    s.criteria.some((c) => (!c.applicationId || c.applicationId === facts.applicationId) && (!c.entityId || c.entityId === facts.entityId));
  return criteriaMatch && anyOrIncludes(s.resources, facts.resource) && anyOrIncludes(s.users, facts.username);
}

export class SubscriptionDirectory implements SubscriberLookup, TargetResolver {
  private cache = new Map<string, Promise<AccountData>>();
  /** The same data once loaded, for synchronous reads. */
  private settled = new Map<string, AccountData>();

  constructor(private readonly notifier: Notifier) {
    notifier.listen('subscriptions', () => this.forget());
  }

  /** Every profile an event goes to, once each however many subscriptions on it match. */
  async subscribers(db: Kysely<Database>, accountId: string, facts: EventFacts): Promise<Subscriber[]> {
    const data = await this.load(db, accountId);
    const matched = new Map<string, Subscriber>();
    for (const s of data.subscriptions) {
      if (matched.has(s.profileId) || !subscriptionMatches(s, facts)) continue;
      const profile = data.profiles.get(s.profileId);
      matched.set(s.profileId, { target: profileTarget(accountId, s.profileId), contentType: profile?.contentType ?? 'application/json' });
    }
    return [...matched.values()];
  }

  /** How to deliver to a profile target (null for a plain URL; 'gone' if the profile was deleted). */
  async deliveryTarget(db: Kysely<Database>, target: string): Promise<DeliveryTarget | 'gone' | null> {
    const ref = parseProfileTarget(target);
    if (!ref) return null;
    const data = await this.load(db, ref.accountId);
    const profile = data.profiles.get(ref.profileId);
    if (!profile?.notifyUrl) return 'gone';
    const security = profile.authId ? data.security.get(profile.authId) : undefined;
    const s = profile.settings;
    return {
      url: profile.notifyUrl,
      headers: s.headers ?? {},
      security: security ? ({ type: security.type, ...security.credentials } as SecuritySettings) : null,
      connectTimeoutMs: s.connectTimeout,
      readTimeoutMs: s.readTimeout,
      bucketSize: s.maxBucketSize,
      window: s.windowSize,
      rateLimit: s.rateLimit,
    };
  }

  async operationsTarget(db: Kysely<Database>, accountId: string): Promise<string | null> {
    const data = await this.load(db, accountId);
    const id = data.operationsProfileId;
    return id !== null && data.profiles.has(id) ? profileTarget(accountId, id) : null;
  }

  cachedWindow(target: string): number | undefined {
    const ref = parseProfileTarget(target);
    return ref ? this.settled.get(ref.accountId)?.profiles.get(ref.profileId)?.settings.windowSize : undefined;
  }

  /** Called after every committed change to an account's subscriptions, profiles or security. */
  changed(): void {
    this.forget();
    this.notifier.notify('subscriptions');
  }

  private forget(): void {
    this.cache.clear();
    this.settled.clear();
  }

  private load(db: Kysely<Database>, accountId: string): Promise<AccountData> {
    let data = this.cache.get(accountId);
    if (!data) {
      data = this.read(db, accountId);
      this.cache.set(accountId, data);
      data.then(
        (loaded) => this.cache.get(accountId) === data && this.settled.set(accountId, loaded),
        () => this.cache.get(accountId) === data && this.cache.delete(accountId),
      );
    }
    return data;
  }

  private async read(db: Kysely<Database>, accountId: string): Promise<AccountData> {
    const [subscriptions, profiles, security, account] = await Promise.all([
      db.selectFrom('subscriptions').selectAll().where('account_id', '=', accountId).orderBy('created_at').execute(),
      db.selectFrom('notification_profiles').selectAll().where('account_id', '=', accountId).execute(),
      db.selectFrom('security_settings').selectAll().where('account_id', '=', accountId).execute(),
      db.selectFrom('accounts').select('operations_profile_id').where('id', '=', accountId).executeTakeFirst(),
    ]);
    return {
      subscriptions: subscriptions.map(subscriptionFromRow),
      profiles: new Map(profiles.map((r) => [r.profile_id, profileFromRow(r)])),
      security: new Map(security.map((r) => [r.auth_id, securityFromRow(r)])),
      operationsProfileId: account?.operations_profile_id ?? null,
    };
  }
}

/**
 * A delivery's target is a string: a per-message webhook URL, or a reference to a notification
 * profile (resolved at send time, so a profile's new URL, headers or security apply to what is
 * still pending). Windows, order and retries work per target either way.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { SecuritySettings } from './security.ts';

/** How to deliver to a profile target. */
export interface DeliveryTarget {
  url: string;
  /** Extra request headers (never Host, Content-Length, Content-Type or webhook-*). */
  headers: Record<string, string>;
  security: SecuritySettings | null;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  bucketSize?: number;
  /** Most requests in flight at once, across every worker process (shared through the database). */
  window?: number;
  /** Most requests started per second, across every worker process (shared through the database). */
  rateLimit?: number;
}

/**
 * Targets that are notification profiles start with this. Their window and rate limit hold across
 * all worker processes together (the dispatcher's claim counts and meters them in the database);
 * per-message URL targets have per-process windows. The partial index deliveries_leased
 * (migration 0007) holds leased deliveries of these targets only.
 */
export const PROFILE_TARGET_PREFIX = 'profile:';

/** The outbox/delivery target of a profile: one string, so windows and order work per profile as per URL. */
export const profileTarget = (accountId: string, profileId: string): string => `${PROFILE_TARGET_PREFIX}${accountId}/${profileId}`;

export function parseProfileTarget(target: string): { accountId: string; profileId: string } | null {
  if (!target.startsWith(PROFILE_TARGET_PREFIX)) return null;
  const rest = target.slice(PROFILE_TARGET_PREFIX.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? null : { accountId: rest.slice(0, slash), profileId: rest.slice(slash + 1) };
}

/** The subscriptions module, as the dispatcher sees it (implemented by SubscriptionDirectory). */
export interface TargetResolver {
  /** null for a plain URL target; 'gone' when the profile no longer exists (or has no URL). */
  deliveryTarget(db: Kysely<Database>, target: string): Promise<DeliveryTarget | 'gone' | null>;
  /** The target's window, if this process knows it without a query (else the default applies). */
  cachedWindow(target: string): number | undefined;
  /** The target of the account's operations profile (where webhook.* events go), or null. */
  operationsTarget(db: Kysely<Database>, accountId: string): Promise<string | null>;
}

/** Plain URL targets only (tests and tools without subscriptions). */
export const URL_TARGETS_ONLY: TargetResolver = { deliveryTarget: async () => null, cachedWindow: () => undefined, operationsTarget: async () => null };

/** Headers a profile may not set: the transport's own and the webhook-* ones Hookline signs. */
export const isReservedHeader = (name: string): boolean => /^(host|content-length|content-type|transfer-encoding|connection|webhook-.*)$/i.test(name);

/** A profile's extra headers minus reserved ones (refused by the API already; this is the backstop). */
export function extraHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !isReservedHeader(name)));
}

/** How a target appears in the API and in operational events: `{ url }` or `{ profileId }`. */
export function targetView(target: string): { url: string } | { profileId: string } {
  const ref = parseProfileTarget(target);
  return ref ? { profileId: ref.profileId } : { url: target };
}

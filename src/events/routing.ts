/**
 * Where a report goes. The order of precedence is the product's promise:
 * per-message webhook ▸ the account's matching subscriptions ▸ pull queue.
 * A report is pulled exactly when it is not pushed; intermediate reports go anywhere only if
 * the message asked for them, and `notify: false` means never pushed (still pullable).
 */
import type { Kysely } from 'kysely';
import type { ApiFamily, Database } from '../store/schema.ts';

export interface RoutableMessage {
  pk: number;
  account_id: string;
  family: ApiFamily;
  notify_url: string | null;
  notify: number;
  intermediate: number;
  content_type: string;
  application_id: string | null;
  entity_id: string | null;
  sender: string | null;
  username: string | null;
}

/** What subscriptions are matched on. */
export interface EventFacts {
  channel: string;
  event: string;
  applicationId: string | null;
  entityId: string | null;
  /** The sender for outbound events, the receiving number for inbound ones. */
  resource: string | null;
  /** The user who sent the message (or the key owner). */
  username: string | null;
}

/** A matching subscription's profile, as an outbox target. */
export interface Subscriber {
  target: string;
  contentType: string;
}

/** The subscriptions module, as routing sees it (implemented by SubscriptionDirectory). */
export interface SubscriberLookup {
  subscribers(db: Kysely<Database>, accountId: string, facts: EventFacts): Promise<Subscriber[]>;
}

/** For callers outside a gateway (benchmark preloads): no account has subscriptions. */
export const NO_SUBSCRIBERS: SubscriberLookup = { subscribers: async () => [] };

export type Route = { kind: 'push'; targets: Subscriber[]; family: ApiFamily } | { kind: 'pull' } | { kind: 'none' };

export async function routeReport(db: Kysely<Database>, message: RoutableMessage, final: boolean, lookup: SubscriberLookup): Promise<Route> {
  if (!final && message.intermediate !== 1) return { kind: 'none' };
  if (message.notify !== 1) return { kind: 'pull' };
  if (message.notify_url) return { kind: 'push', targets: [{ target: message.notify_url, contentType: message.content_type }], family: message.family };
  const facts: EventFacts = {
    channel: 'SMS',
    event: 'DELIVERY',
    applicationId: message.application_id,
    entityId: message.entity_id,
    resource: message.sender,
    username: message.username,
  };
  const targets = await lookup.subscribers(db, message.account_id, facts);
  return targets.length > 0 ? { kind: 'push', targets, family: message.family } : { kind: 'pull' };
}

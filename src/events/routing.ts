/**
 * Where an event goes. The order of precedence is the product's promise:
 * per-message webhook ▸ the account's matching subscriptions ▸ pull queue.
 * A report is pulled exactly when it is not pushed; intermediate reports go anywhere only if
 * the message asked for them, and `notify: false` means never pushed (still pullable). A report
 * that closed a failover step (another channel is tried next) is pushed only when the message
 * asked for failover reports, and never pulled: the message's own report is the last one. Reports
 * of an API without a pull endpoint (WhatsApp) that nothing pushes are kept, not queued.
 * Engagements (SEEN, OPEN, CLICK, COMPLAINT) go to the message's engagement URL ▸ subscriptions,
 * and are kept without a push when neither exists (no API pulls them).
 */
import type { Kysely } from 'kysely';
import { chunkRows, type DialectProfile } from '../store/database.ts';
import type { ApiFamily, Database, EngagementEvent, NewOutboxRow, PayloadFamily } from '../store/schema.ts';

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
  channel: string;
  engagement_url: string | null;
  failover_reports: number;
}

/** A message as the recorders load it: what routing needs, the public ids the attempt log queries outbox rows by, and what a failover step keeps. */
export type LoadedMessage = RoutableMessage & { message_id: string; bulk_id: string; destination: string; parts: number };

export async function loadRoutableMessages(db: Kysely<Database>, profile: DialectProfile, messagePks: number[]): Promise<Map<number, LoadedMessage>> {
  const messages = new Map<number, LoadedMessage>();
  for (const chunk of chunkRows([...new Set(messagePks)].map((pk) => ({ pk })), profile)) {
    const rows = await db
      .selectFrom('messages')
      .select(['pk', 'account_id', 'message_id', 'bulk_id', 'family', 'notify_url', 'notify', 'intermediate', 'content_type', 'application_id', 'entity_id', 'sender', 'username', 'channel', 'engagement_url', 'failover_reports', 'destination', 'parts'])
      .where('pk', 'in', chunk.map((c) => c.pk))
      .execute();
    for (const row of rows) messages.set(row.pk, row);
  }
  return messages;
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

/**
 * Message channels as the Subscriptions API names them (its VIBER covers Viber Business Messages).
 * A channel not listed keeps its own name.
 */
const SUBSCRIPTION_CHANNEL: Record<string, string> = { VIBER_BM: 'VIBER' };
export const subscriptionChannel = (channel: string): string => SUBSCRIPTION_CHANNEL[channel] ?? channel;

/** The payload family of an engagement: the sending API's seen or tracking webhook (SMS has none). */
const ENGAGEMENT_FAMILY: Partial<Record<ApiFamily, PayloadFamily>> = {
  'messages-api': 'messages-api-seen',
  whatsapp: 'whatsapp-seen',
  email: 'email-tracking',
};
export const engagementFamily = (family: ApiFamily): PayloadFamily | null => ENGAGEMENT_FAMILY[family] ?? null;


/** APIs with a pull endpoint for reports; the WhatsApp API has none, so its unpushed reports are kept, not queued. */
const PULLED_FAMILIES: ReadonlySet<ApiFamily> = new Set(['sms-v2', 'sms-v3', 'messages-api', 'email']);

/**
 * Webhooks Infobip documents with a JSON body only, whatever content type the message or the
 * profile asks for (inbound messages are recorded as JSON already).
 */
const JSON_ONLY: ReadonlySet<PayloadFamily> = new Set(['whatsapp', 'whatsapp-seen', 'messages-api-seen', 'email-tracking']);
const contentTypeOf = (family: PayloadFamily, asked: string) => (JSON_ONLY.has(family) ? 'application/json' : asked);

export type Route = { kind: 'push'; targets: Subscriber[]; family: PayloadFamily } | { kind: 'pull' } | { kind: 'none' };

const factsOf = (message: RoutableMessage, event: string): EventFacts => ({
  channel: subscriptionChannel(message.channel),
  event,
  applicationId: message.application_id,
  entityId: message.entity_id,
  resource: message.sender,
  username: message.username,
});

export async function routeReport(db: Kysely<Database>, message: RoutableMessage, report: { final: boolean; failoverStep: boolean }, lookup: SubscriberLookup): Promise<Route> {
  if (report.failoverStep) {
    if (message.failover_reports !== 1) return { kind: 'none' };
  } else if (!report.final && message.intermediate !== 1) return { kind: 'none' };
  const unpushed: Route = report.failoverStep || !PULLED_FAMILIES.has(message.family) ? { kind: 'none' } : { kind: 'pull' };
  if (message.notify !== 1) return unpushed;
  const family = message.family;
  if (message.notify_url) return { kind: 'push', targets: [{ target: message.notify_url, contentType: contentTypeOf(family, message.content_type) }], family };
  const targets = await lookup.subscribers(db, message.account_id, factsOf(message, 'DELIVERY'));
  return targets.length > 0 ? { kind: 'push', targets: targets.map((t) => ({ ...t, contentType: contentTypeOf(family, t.contentType) })), family } : unpushed;
}

export async function routeEngagement(db: Kysely<Database>, message: RoutableMessage, event: EngagementEvent, lookup: SubscriberLookup): Promise<Route> {
  const family = engagementFamily(message.family);
  if (!family) return { kind: 'none' };
  if (message.engagement_url) return { kind: 'push', targets: [{ target: message.engagement_url, contentType: contentTypeOf(family, message.content_type) }], family };
  const targets = await lookup.subscribers(db, message.account_id, factsOf(message, event));
  return targets.length > 0 ? { kind: 'push', targets: targets.map((t) => ({ ...t, contentType: contentTypeOf(family, t.contentType) })), family } : { kind: 'none' };
}

/** The outbox rows of one pushed event of a message: one per target, in the message's order. */
export function outboxRowsOf(message: LoadedMessage, eventId: number, route: Extract<Route, { kind: 'push' }>, now: number): NewOutboxRow[] {
  return route.targets.map(({ target, contentType }) => ({
    account_id: message.account_id,
    report_id: eventId,
    message_pk: message.pk,
    target_url: target,
    family: route.family,
    content_type: contentType,
    state: 'READY',
    delivery_id: null,
    created_at: now,
    message_id: message.message_id,
    bulk_id: message.bulk_id,
  }));
}

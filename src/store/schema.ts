/**
 * Kysely table types. Times are integer milliseconds since the epoch, always passed in
 * from the injected clock, so SQLite and PostgreSQL behave alike.
 * Booleans are stored as 0/1 integers for the same reason.
 */
import type { Generated, Insertable, Selectable } from 'kysely';

export interface AccountsTable {
  id: string;
  name: string;
  created_at: number;
  /** The notification profile that receives this account's operational events (webhook.*), if any. */
  operations_profile_id: Generated<string | null>;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  name: string;
  /** SHA-256 of the secret; API key secrets are long random strings, so a fast hash is enough. */
  secret_hash: string;
  scopes: string; // JSON array
  /** JSON array of addresses and CIDR ranges; null allows any address. */
  allowed_ips: string | null;
  enabled: number;
  valid_from: Generated<number>;
  valid_to: number | null;
  /** The user who created the key (its owner); null for bootstrap keys. */
  user_id: string | null;
  /** JSON array of Infobip's key permissions (PUBLIC_API, 2FA_CLIENT, WEB_SDK); null means PUBLIC_API. */
  permissions: string | null;
  created_at: number;
}

export interface RolesTable {
  id: string;
  account_id: string;
  name: string;
  scopes: string; // JSON array
  created_at: number;
}

export interface UsersTable {
  id: string;
  account_id: string;
  username: string;
  /** scrypt, with its parameters and salt (see auth/passwords.ts). */
  password_hash: string;
  roles: string; // JSON array of role ids
  enabled: number;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  account_id: string;
  /** The address the session is bound to; null for `unsafe` sessions. */
  client_ip: string | null;
  created_at: number;
  last_seen_at: number;
}

export interface OauthTokensTable {
  token_hash: string;
  user_id: string;
  account_id: string;
  created_at: number;
  expires_at: number;
}

export interface SecuritySettingsTable {
  account_id: string;
  auth_id: string;
  type: string;
  /** JSON of the type's credentials; secrets are needed in clear to sign, so they are only ever returned masked. */
  credentials: string;
  created_at: number;
  updated_at: number;
}

export interface NotificationProfilesTable {
  account_id: string;
  profile_id: string;
  notify_url: string | null;
  content_type: string | null;
  auth_id: string | null;
  /** JSON: maxBucketSize, windowSize, connectTimeout, readTimeout, headers, rateLimit and the stored-only fields. */
  settings: string;
  created_at: number;
  updated_at: number;
}

export interface SubscriptionsTable {
  account_id: string;
  channel: string;
  subscription_id: string;
  name: string | null;
  events: string; // JSON [{event, format}]
  criteria: string; // JSON [{applicationId?, entityId?, callsConfigurationId?}]
  resources: string; // JSON string[]
  users: string; // JSON string[]
  profile_id: string;
  created_at: number;
  updated_at: number;
}

/** Numbers the simulated network delivers inbound messages to, and the account that owns each. */
export interface NumbersTable {
  number: string;
  account_id: string;
  keywords: string; // JSON string[], upper case
  created_at: number;
}

export interface InboundMessagesTable {
  id: Generated<number>;
  account_id: string;
  message_id: string;
  from_number: string;
  to_number: string;
  text: string;
  keyword: string | null;
  clean_text: string;
  sms_count: number;
  received_at: number;
  created_at: number;
  /** Migration 0008: the price it was received at (the simulator's currency). */
  price_per_message: number;
  currency: string;
  /** Migration 0011: the channel it came in on (SMS, WHATSAPP, VIBER_BM, RCS). */
  channel: Generated<string>;
  /** The API whose inbound shape it is pushed and pulled in. */
  api: Generated<InboundApi>;
  /** The outbound message it replies to (chat channels), if known. */
  paired_message_id: Generated<string | null>;
  callback_data: Generated<string | null>;
  /** When the business marked it read (WhatsApp's read endpoint). */
  read_at: Generated<number | null>;
}

/** Which API's inbound webhook shape an inbound message takes. */
export type InboundApi = 'sms' | 'messages-api' | 'whatsapp';

/** Inbound messages not pushed anywhere, waiting for GET /sms/1/inbox/reports (each returned once). */
export interface InboxQueueTable {
  id: Generated<number>;
  account_id: string;
  inbound_id: number;
  expires_at: number;
}

/** A tracked link in a message's text: `/t/{code}` redirects to `url`. */
export interface ShortLinksTable {
  code: string;
  account_id: string;
  message_pk: number;
  url: string;
  /** The message's trackingUrl, if it gave one (clicks go there before any subscription). */
  tracking_url: string | null;
  created_at: number;
  /** Migration 0009: 0 when the message said trackClicks: false (the link redirects, no CLICK event). */
  track_clicks: number;
}

export interface ClicksTable {
  id: Generated<number>;
  account_id: string;
  code: string;
  message_pk: number;
  user_agent: string | null;
  clicked_at: number;
}

export interface ThrottleCountersTable {
  key: string;
  window_start: number;
  window_end: number;
  count: number;
}

export interface BulksTable {
  account_id: string;
  bulk_id: string;
  send_at: number | null;
  /** Only operator-set states are stored (PAUSED, CANCELED); the rest is derived from messages. */
  status: string | null;
  created_at: number;
}

export type MessageState = 'SCHEDULED' | 'SUBMITTED' | 'FINAL' | 'CANCELED' | 'REJECTED';
/** The API a message was sent through: its reports take that API's shape. */
export type ApiFamily = 'sms-v2' | 'sms-v3' | 'messages-api' | 'whatsapp' | 'email';
/** Engagement events a channel can have after delivery. */
export type EngagementEvent = 'SEEN' | 'OPEN' | 'CLICK' | 'COMPLAINT';
/**
 * What a webhook carries: delivery reports in an API family's shape, inbound messages, SMS clicks,
 * and engagement events (seen; email opens and clicks) in the shape of the API that sent the message.
 */
export type PayloadFamily =
  | ApiFamily
  | 'sms-mo'
  | 'sms-click'
  | 'messages-api-mo'
  | 'whatsapp-mo'
  | 'messages-api-seen'
  | 'whatsapp-seen'
  | 'email-tracking';

/** The payload family of an inbound message, by the API whose shape it takes. */
export const MO_FAMILY: Readonly<Record<InboundApi, PayloadFamily>> = { sms: 'sms-mo', 'messages-api': 'messages-api-mo', whatsapp: 'whatsapp-mo' };

/** One failover step, as stored on its message: the channel, who sends to whom on it, and what it sends if not the first channel's text. */
export interface FailoverStep {
  channel: string;
  sender: string | null;
  to: string;
  /** The step's own text (WhatsApp `smsFailover.text`, a Messages API step's content). */
  text?: string;
  /** The step's own validity period. */
  validityMs?: number;
  /** Filled in by intake: the step's message count on its channel. */
  parts?: number;
}

export interface MessagesTable {
  pk: Generated<number>;
  account_id: string;
  message_id: string;
  bulk_id: string;
  family: ApiFamily;
  destination: string;
  sender: string | null;
  text: string;
  parts: number;
  notify_url: string | null;
  content_type: string;
  /** 0 when the client asked for no delivery report push (v3 webhooks.delivery.notify=false). */
  notify: number;
  intermediate: number;
  callback_data: string | null;
  validity_ms: number;
  send_at: number | null;
  entity_id: string | null;
  application_id: string | null;
  campaign_reference_id: string | null;
  /** Request options that are stored but not acted on yet (tracking, regional, flash, ...). */
  options: string | null;
  mcc_mnc: string | null;
  /** The user who sent it (or the API key's owner); null for bootstrap keys. */
  username: string | null;
  state: MessageState;
  status_id: number;
  error_id: number;
  created_at: number;
  sent_at: number | null;
  done_at: number | null;
  /** Migration 0011: the channel being tried now (the first one, until a failover step moves on). */
  channel: Generated<string>;
  /** Where SEEN (chat channels) or OPEN/CLICK (email) events of this message go, before subscriptions. */
  engagement_url: Generated<string | null>;
  /** JSON FailoverStep[]: the channels still to try, in order, when the current one does not deliver. */
  failover: Generated<string | null>;
  /** 1: push the reports of failover steps too (Messages API receiveTriggeredFailoverReports). */
  failover_reports: Generated<number>;
}

/**
 * submit/final/expire for every channel; failover resubmits on the next channel (not a `submit`,
 * which bulk pause and cancel act on: a message half-way through failover is already sent); the
 * rest are what the simulator plays after delivery (engagements, a reply). `validity` is the validity end of
 * a message handed to an external network (SMPP): EXPIRED unless its receipts came first.
 */
export type NetworkStep = 'submit' | 'failover' | 'final' | 'expire' | 'validity' | 'seen' | 'open' | 'click' | 'complaint' | 'reply';

/** Work the network connector has promised to do later: submits at sendAt, due reports, expiries. */
export interface NetworkJobsTable {
  id: Generated<number>;
  account_id: string;
  message_pk: number;
  bulk_id: string;
  step: NetworkStep;
  /** null while the job's bulk is paused. */
  due_at: number | null;
}

export interface ReportsTable {
  id: Generated<number>;
  account_id: string;
  message_pk: number;
  status_id: number;
  error_id: number;
  final: number;
  price_per_message: number;
  currency: string;
  mcc_mnc: string | null;
  done_at: number;
  created_at: number;
  /** Migration 0011: the channel that produced it (a failover moves a message from one to the next). */
  channel: Generated<string>;
  /** 1 when it closed a failover step (another channel is tried next): not the message's last report. */
  failover_step: Generated<number>;
  /** A failover step's own sender, destination and message count (the message moves on); null: the message's. */
  sender: Generated<string | null>;
  destination: Generated<string | null>;
  parts: Generated<number | null>;
}

/** SEEN, OPEN and CLICK: what a person did with a delivered message. Immutable, like reports. */
export interface EngagementsTable {
  id: Generated<number>;
  account_id: string;
  message_pk: number;
  event: EngagementEvent;
  occurred_at: number;
  /** CLICK: the link that was opened. */
  url: string | null;
  created_at: number;
}

export interface PullQueueTable {
  id: Generated<number>;
  account_id: string;
  report_id: number;
  expires_at: number;
}

export type OutboxState = 'READY' | 'BATCHED' | 'DONE' | 'DROPPED';

export interface OutboxTable {
  id: Generated<number>;
  account_id: string;
  /** The event's id within its payload family (a report id for report families). */
  report_id: number;
  /** The message the event belongs to: its events reach a target in outbox-id order; events without one use minus their id (no order). */
  message_pk: number;
  target_url: string;
  family: PayloadFamily;
  content_type: string;
  state: OutboxState;
  delivery_id: string | null;
  created_at: number;
  /** The public message id and bulk id the event belongs to, for the attempt log's queries. */
  message_id?: string | null;
  bulk_id?: string | null;
}

export type DeliveryState = 'PENDING' | 'RETRYING' | 'DELIVERED' | 'DROPPED';

/** What a delivery's body holds: a payload family's events, or one Hookline operational event. */
export type DeliveryFamily = PayloadFamily | 'operations';

export interface DeliveriesTable {
  id: string;
  account_id: string;
  target_url: string;
  family: DeliveryFamily;
  content_type: string;
  body: string;
  report_count: number;
  state: DeliveryState;
  /** Attempts started, counted at claim time so a crash mid-attempt still uses one up. */
  attempts: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  done_at: number | null;
  /** Why a DROPPED delivery was dropped: ATTEMPTS_EXHAUSTED or TARGET_GONE. */
  drop_reason: string | null;
  /** Attempts made before the current retry cycle (a replay or recovery starts a new one). */
  cycle_base: Generated<number>;
  /** When the earliest event it carries was recorded: delivery latency runs from here to the 2xx. */
  first_event_at: number | null;
}

export interface AttemptsTable {
  id: Generated<number>;
  delivery_id: string;
  account_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  error_class: string | null;
  error: string | null;
  /** The target the attempt went to (a URL, or a notification profile reference). */
  target_url: string | null;
  /** The first 4 KB of the response body, as text. */
  response_excerpt: string | null;
}

/**
 * Per-target health shared by every worker: the circuit breaker (open while opened_at is set), the
 * receiver's Retry-After pause (paused_until) and the 410 switch (disabled_at: no requests until an
 * operator re-enables the target).
 */
export interface TargetHealthTable {
  /** Health is per account: one account's failing deliveries to a URL say nothing about another's. */
  account_id: string;
  target: string;
  consecutive_failures: number;
  opened_at: number | null;
  disabled_at: number | null;
  disabled_reason: string | null;
  /** A 429/503 with Retry-After: nothing is sent to the target before this time. */
  paused_until: number | null;
  /** A webhook.target.failing event went out for the current failure streak. */
  failing_notified: number;
  last_success_at: number | null;
  last_failure_at: number | null;
  last_status_code: number | null;
  updated_at: number;
}

export type RecoveryState = 'RUNNING' | 'COMPLETED' | 'CANCELED';

/** A recovery re-queues a target's DROPPED or still-retrying deliveries of a time range, at a bounded rate. */
export interface RecoveriesTable {
  id: string;
  account_id: string;
  target_url: string;
  from_at: number;
  to_at: number;
  /** JSON array of the delivery states it takes: DROPPED, RETRYING. */
  states: string;
  rate_per_second: number;
  state: RecoveryState;
  total: number;
  requeued: number;
  /** The last delivery it re-queued, in (created_at, id) order, as JSON [created_at, id]. */
  cursor: string | null;
  idempotency_key: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/**
 * A notification-profile target's rate-limit state, shared by every worker (webhooks/rate-limit.ts):
 * a token bucket (`tokens` as of `refilled_at`) and the requests of the last second (`recent`,
 * JSON [[time, count], …]). No row: nothing sent lately. Transient: migrate-db does not copy it.
 */
export interface TargetLimitsTable {
  target: string;
  tokens: number;
  refilled_at: number;
  recent: string;
}

/**
 * Where a part sent over SMPP stands: queued (handed over, not yet acknowledged by submit_sm_resp),
 * acked (the SMSC gave its id), rejected (a permanent submit error), abandoned (unacknowledged at a
 * disconnect under at-most-once: it may or may not have reached the SMSC), done (final receipt).
 */
export type SmppPartState = 'queued' | 'acked' | 'rejected' | 'abandoned' | 'done';

/** Migration 0012: one row per part of a message sent over an SMPP connection. */
export interface SmppPartsTable {
  id: Generated<number>;
  message_pk: number;
  connection: string;
  /** 0-based part index, of `parts`. */
  part: number;
  parts: number;
  state: SmppPartState;
  /** The SMSC's message id, in the connection's canonical form (network/smpp/message-ids.ts). */
  smsc_id: string | null;
  /** The part's final status and error (receipt or submit rejection). */
  status_id: number | null;
  error_id: number | null;
  /** How many times the part was handed to a bind (more than one: the SMSC may have it twice). */
  attempts: number;
  /** A queued part belongs to the process holding it until then; after that any process resends it. */
  lease_until: number;
  created_at: number;
  updated_at: number;
}

/** A receipt that came before its submit_sm_resp: applied when the SMSC id becomes known. */
export interface SmppPendingReceiptsTable {
  id: Generated<number>;
  connection: string;
  smsc_id: string;
  status_id: number;
  error_id: number;
  /** 1: the part's last word; 0: an intermediate receipt. */
  final: number;
  received_at: number;
}

/** A part of a concatenated inbound message, kept until all its parts have arrived. */
export interface SmppInboundPartsTable {
  id: Generated<number>;
  connection: string;
  source: string;
  destination: string;
  reference: number;
  total: number;
  /** 1-based, as in the UDH and the SAR TLVs. */
  seq: number;
  text: string;
  received_at: number;
  /** When its message was put together; kept a while so the SMSC sending the part again is not a new message. */
  completed_at: number | null;
}

/** SMPP connections set through the admin API (JSON of SmppConnectionConfig, password included). */
export interface SmppConnectionsTable {
  name: string;
  config: string;
  updated_at: number;
}

/** The SMPP routing table set through the admin API: destination prefix → connection name or `simulator`. */
export interface SmppRoutesTable {
  prefix: string;
  target: string;
  updated_at: number;
}

export interface Database {
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  roles: RolesTable;
  users: UsersTable;
  sessions: SessionsTable;
  oauth_tokens: OauthTokensTable;
  throttle_counters: ThrottleCountersTable;
  security_settings: SecuritySettingsTable;
  notification_profiles: NotificationProfilesTable;
  subscriptions: SubscriptionsTable;
  numbers: NumbersTable;
  inbound_messages: InboundMessagesTable;
  inbox_queue: InboxQueueTable;
  short_links: ShortLinksTable;
  clicks: ClicksTable;
  bulks: BulksTable;
  messages: MessagesTable;
  network_jobs: NetworkJobsTable;
  reports: ReportsTable;
  engagements: EngagementsTable;
  pull_queue: PullQueueTable;
  outbox: OutboxTable;
  deliveries: DeliveriesTable;
  attempts: AttemptsTable;
  target_limits: TargetLimitsTable;
  target_health: TargetHealthTable;
  recoveries: RecoveriesTable;
  smpp_parts: SmppPartsTable;
  smpp_pending_receipts: SmppPendingReceiptsTable;
  smpp_inbound_parts: SmppInboundPartsTable;
  smpp_connections: SmppConnectionsTable;
  smpp_routes: SmppRoutesTable;
}

export type MessageRow = Selectable<MessagesTable>;
export type NewMessage = Insertable<MessagesTable>;
export type ReportRow = Selectable<ReportsTable>;
export type DeliveryRow = Selectable<DeliveriesTable>;
export type NewOutboxRow = Insertable<OutboxTable>;
export type NewNetworkJob = Insertable<NetworkJobsTable>;

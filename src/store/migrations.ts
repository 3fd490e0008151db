/**
 * Forward-only migrations, typed as Kysely<any> so old migrations never depend on today's types.
 * Column types are chosen to mean the same on SQLite and PostgreSQL (bigint times, integer flags).
 */
import { sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { DialectProfile } from './dialect.ts';

/** A table's serial primary key: a bigserial on PostgreSQL, an autoincrement integer on SQLite. */
const serialKey = <T extends string>(profile: DialectProfile, table: CreateTableBuilder<T, never>, name: string) =>
  profile.serialIds ? table.addColumn(name, 'bigserial', (c: ColumnDefinitionBuilder) => c.primaryKey()) : table.addColumn(name, 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement());

const m0001 = (profile: DialectProfile): Migration => ({
  async up(db: Kysely<any>) {
    const id = <T extends string>(table: CreateTableBuilder<T, never>, name: string) => serialKey(profile, table, name);

    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('valid_to', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('bulks')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('bulk_id', 'text', (c) => c.notNull())
      .addColumn('send_at', 'bigint')
      .addColumn('status', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('bulks_pk', ['account_id', 'bulk_id'])
      .execute();

    await id(db.schema.createTable('messages'), 'pk')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('bulk_id', 'text', (c) => c.notNull())
      .addColumn('family', 'text', (c) => c.notNull())
      .addColumn('destination', 'text', (c) => c.notNull())
      .addColumn('sender', 'text')
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('parts', 'integer', (c) => c.notNull())
      .addColumn('notify_url', 'text')
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('notify', 'integer', (c) => c.notNull())
      .addColumn('intermediate', 'integer', (c) => c.notNull())
      .addColumn('callback_data', 'text')
      .addColumn('validity_ms', 'bigint', (c) => c.notNull())
      .addColumn('send_at', 'bigint')
      .addColumn('entity_id', 'text')
      .addColumn('application_id', 'text')
      .addColumn('campaign_reference_id', 'text')
      .addColumn('options', 'text')
      .addColumn('mcc_mnc', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('status_id', 'integer', (c) => c.notNull())
      .addColumn('error_id', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint')
      .addColumn('done_at', 'bigint')
      .execute();
    await db.schema.createIndex('messages_account_message_id').on('messages').columns(['account_id', 'message_id']).execute();
    await db.schema.createIndex('messages_account_bulk').on('messages').columns(['account_id', 'bulk_id']).execute();
    await db.schema.createIndex('messages_account_created').on('messages').columns(['account_id', 'created_at']).execute();
    await db.schema.createIndex('messages_created').on('messages').column('created_at').execute();

    await id(db.schema.createTable('network_jobs'), 'id')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('message_pk', 'bigint', (c) => c.notNull())
      .addColumn('bulk_id', 'text', (c) => c.notNull())
      .addColumn('step', 'text', (c) => c.notNull())
      .addColumn('due_at', 'bigint')
      .execute();
    await db.schema.createIndex('network_jobs_due').on('network_jobs').columns(['due_at', 'id']).execute();
    await db.schema.createIndex('network_jobs_bulk').on('network_jobs').columns(['account_id', 'bulk_id']).execute();
    await db.schema.createIndex('network_jobs_message').on('network_jobs').column('message_pk').execute();

    await id(db.schema.createTable('reports'), 'id')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('message_pk', 'bigint', (c) => c.notNull())
      .addColumn('status_id', 'integer', (c) => c.notNull())
      .addColumn('error_id', 'integer', (c) => c.notNull())
      .addColumn('final', 'integer', (c) => c.notNull())
      .addColumn('price_per_message', 'double precision', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('mcc_mnc', 'text')
      .addColumn('done_at', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('reports_message').on('reports').columns(['message_pk', 'id']).execute();
    await db.schema.createIndex('reports_created').on('reports').column('created_at').execute();

    await id(db.schema.createTable('pull_queue'), 'id')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('report_id', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('pull_queue_account').on('pull_queue').columns(['account_id', 'id']).execute();
    await db.schema.createIndex('pull_queue_expires').on('pull_queue').column('expires_at').execute();

    await id(db.schema.createTable('outbox'), 'id')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('report_id', 'bigint', (c) => c.notNull())
      .addColumn('message_pk', 'bigint', (c) => c.notNull())
      .addColumn('target_url', 'text', (c) => c.notNull())
      .addColumn('family', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('delivery_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('outbox_ready').on('outbox').columns(['state', 'id']).execute();
    await db.schema.createIndex('outbox_order').on('outbox').columns(['message_pk', 'target_url', 'report_id']).execute();
    await db.schema.createIndex('outbox_delivery').on('outbox').column('delivery_id').execute();

    await db.schema
      .createTable('deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('target_url', 'text', (c) => c.notNull())
      .addColumn('family', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('report_count', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint')
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint')
      .addColumn('last_status_code', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('done_at', 'bigint')
      .execute();
    // Only waiting deliveries are in this index, so a large DELIVERED history costs nothing to claims.
    await sql`create index deliveries_due on deliveries (next_attempt_at, target_url) where state in ('PENDING', 'RETRYING')`.execute(db);
    await db.schema.createIndex('deliveries_done').on('deliveries').columns(['state', 'done_at']).execute();

    await id(db.schema.createTable('attempts'), 'id')
      .addColumn('delivery_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('error_class', 'text')
      .addColumn('error', 'text')
      .execute();
    await db.schema.createIndex('attempts_delivery').on('attempts').columns(['delivery_id', 'attempt']).execute();
    await db.schema.createIndex('attempts_started').on('attempts').column('started_at').execute();
  },
});

/**
 * Indexes for the dispatcher's claim. deliveries_lane holds each target's waiting deliveries per
 * lane (fresh: attempts = 0) in claim order, so a claim reads at most a window per target and
 * lane; lease_until and state make it covering (SQLite reads no delivery row, whose body may
 * span many overflow pages). deliveries_done now covers finished deliveries only: with waiting
 * ones in it, SQLite chose it for `state in ('PENDING', 'RETRYING')` and scanned the backlog.
 */
const m0002: Migration = {
  async up(db: Kysely<any>) {
    await sql`create index deliveries_lane on deliveries (target_url, (attempts = 0), next_attempt_at, id, lease_until, state) where state in ('PENDING', 'RETRYING')`.execute(db);
    await db.schema.dropIndex('deliveries_done').execute();
    await sql`create index deliveries_done on deliveries (state, done_at) where done_at is not null`.execute(db);
  },
};

/**
 * Indexes for forming deliveries that hold only pending outbox rows, so the form query costs
 * the same whatever the planner's statistics say and however much history the outbox holds:
 * outbox_ready walks READY rows in id order, outbox_pending answers "is an earlier report of this
 * message to this target still pending?" from a small index. (Without them PostgreSQL chose plans
 * that read every READY row, or the whole outbox, on every pass.)
 */
const m0003: Migration = {
  async up(db: Kysely<any>) {
    // Replaces 0001's outbox_ready (state, id), which also indexed every DONE row.
    await db.schema.dropIndex('outbox_ready').execute();
    await sql`create index outbox_ready on outbox (id) where state = 'READY'`.execute(db);
    await sql`create index outbox_pending on outbox (message_pk, target_url, report_id) where state in ('READY', 'BATCHED')`.execute(db);
  },
};

/** Users, roles, sessions, OAuth tokens and throttle counters; API keys gain IP rules and a validity start. */
const m0004: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('api_keys').addColumn('allowed_ips', 'text').execute();
    await db.schema.alterTable('api_keys').addColumn('valid_from', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('api_keys').addColumn('user_id', 'text').execute();
    await db.schema.alterTable('api_keys').addColumn('permissions', 'text').execute();
    await db.schema.createIndex('api_keys_account').on('api_keys').columns(['account_id', 'id']).execute();

    await db.schema
      .createTable('roles')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('roles_account_name', ['account_id', 'name'])
      .execute();

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('roles', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('users_account').on('users').columns(['account_id', 'username']).execute();

    // Session and OAuth tokens are stored as SHA-256 hashes, like API keys.
    await db.schema
      .createTable('sessions')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('client_ip', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

    await db.schema
      .createTable('oauth_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('oauth_tokens_user').on('oauth_tokens').column('user_id').execute();

    // Fixed-window counters shared by every process: endpoint throttles and failed-login counts.
    await db.schema
      .createTable('throttle_counters')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('window_end', 'bigint', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .execute();
  },
};

/** Subscriptions, notification profiles and their security settings; who sent each message. */
const m0005: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('security_settings')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('auth_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('credentials', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('security_settings_pk', ['account_id', 'auth_id'])
      .execute();
    await db.schema
      .createTable('notification_profiles')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('notify_url', 'text')
      .addColumn('content_type', 'text')
      .addColumn('auth_id', 'text')
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('notification_profiles_pk', ['account_id', 'profile_id'])
      .execute();
    await db.schema
      .createTable('subscriptions')
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('subscription_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('criteria', 'text', (c) => c.notNull())
      .addColumn('resources', 'text', (c) => c.notNull())
      .addColumn('users', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('subscriptions_pk', ['account_id', 'channel', 'subscription_id'])
      .execute();
    await db.schema.createIndex('subscriptions_profile').on('subscriptions').columns(['account_id', 'profile_id']).execute();
    // Who sent the message (a user's name, or an API key owner's), for subscriptions' `users`.
    await db.schema.alterTable('messages').addColumn('username', 'text').execute();
  },
};

/** Numbers and inbound messages (with their pull queue), short links and clicks. */
const m0006 = (profile: DialectProfile): Migration => ({
  async up(db: Kysely<any>) {
    const serial = <T extends string>(table: CreateTableBuilder<T, never>) => serialKey(profile, table, 'id');
    await db.schema
      .createTable('numbers')
      .addColumn('number', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('keywords', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('numbers_account').on('numbers').columns(['account_id', 'number']).execute();
    await serial(db.schema.createTable('inbound_messages'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('from_number', 'text', (c) => c.notNull())
      .addColumn('to_number', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('keyword', 'text')
      .addColumn('clean_text', 'text', (c) => c.notNull())
      .addColumn('sms_count', 'integer', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('inbound_account_created').on('inbound_messages').columns(['account_id', 'created_at']).execute();
    await serial(db.schema.createTable('inbox_queue'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('inbound_id', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('inbox_queue_account').on('inbox_queue').columns(['account_id', 'id']).execute();
    await db.schema
      .createTable('short_links')
      .addColumn('code', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('message_pk', 'bigint', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('tracking_url', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('short_links_message').on('short_links').column('message_pk').execute();
    await serial(db.schema.createTable('clicks'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('message_pk', 'bigint', (c) => c.notNull())
      .addColumn('user_agent', 'text')
      .addColumn('clicked_at', 'bigint', (c) => c.notNull())
      .execute();
  },
});

/**
 * Inbound messages keep the price they were received at (as reports do), and the sweeper finds
 * expired inbox entries and old inbound messages by index.
 */
const m0008: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('inbound_messages').addColumn('price_per_message', 'double precision', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('inbound_messages').addColumn('currency', 'text', (c) => c.notNull().defaultTo('EUR')).execute();
    await db.schema.createIndex('inbound_created').on('inbound_messages').column('created_at').execute();
    await db.schema.createIndex('inbox_queue_expires').on('inbox_queue').column('expires_at').execute();
  },
};

/**
 * Notification profiles' windowSize and rateLimit hold across every worker process: a claim counts
 * the profile target's leased deliveries (deliveries_leased: leased waiting deliveries of profile
 * targets only, so the count is a short range scan whatever the backlog) and meters requests per
 * second through target_limits (per profile target: a sliding one-second log of requests and a
 * token bucket that paces them; see webhooks/rate-limit.ts). Both happen in the claim's
 * transaction, serialised per target on PostgreSQL.
 */
const m0007: Migration = {
  async up(db: Kysely<any>) {
    await sql`create index deliveries_leased on deliveries (target_url, lease_until) where lease_until is not null and state in ('PENDING', 'RETRYING') and substr(target_url, 1, 8) = 'profile:'`.execute(db);
    await db.schema
      .createTable('target_limits')
      .addColumn('target', 'text', (c) => c.primaryKey())
      .addColumn('tokens', 'double precision', (c) => c.notNull())
      .addColumn('refilled_at', 'bigint', (c) => c.notNull())
      .addColumn('recent', 'text', (c) => c.notNull())
      .execute();
  },
};

/** Short links remember whether their clicks are tracked (`trackClicks: false` still redirects). */
const m0009: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('short_links').addColumn('track_clicks', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  },
};

/**
 * Webhook operations (issue 6): the attempt log's extra facts (target, response excerpt), what a
 * delivery carried (message and bulk ids on its outbox rows), replays and recoveries (cycle_base:
 * attempts made before the current retry cycle), drop reasons, per-target health shared by every
 * worker (breaker, Retry-After pause, 410-disabled), recoveries, and each account's operations profile.
 */
const m0010: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('deliveries').addColumn('drop_reason', 'text').execute();
    await db.schema.alterTable('deliveries').addColumn('cycle_base', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('deliveries').addColumn('first_event_at', 'bigint').execute();
    await db.schema.createIndex('deliveries_account_created').on('deliveries').columns(['account_id', 'created_at', 'id']).execute();
    await db.schema.createIndex('deliveries_target_created').on('deliveries').columns(['target_url', 'created_at', 'id']).execute();
    // An account's oldest waiting delivery to a target (the breaker's probe), and whether it has
    // any: one seek whatever the history and whatever other accounts send there.
    await sql`create index deliveries_waiting_age on deliveries (target_url, account_id, created_at, id) where state in ('PENDING', 'RETRYING')`.execute(db);
    // The claim's lanes leave out accounts whose health for the target is not plain: with
    // account_id in the index that filter reads no delivery row (0002's index, plus one column).
    await sql`drop index deliveries_lane`.execute(db);
    await sql`create index deliveries_lane on deliveries (target_url, (attempts = 0), next_attempt_at, id, lease_until, state, account_id) where state in ('PENDING', 'RETRYING')`.execute(db);
    await db.schema.alterTable('attempts').addColumn('target_url', 'text').execute();
    await db.schema.alterTable('attempts').addColumn('response_excerpt', 'text').execute();
    await db.schema.createIndex('attempts_account_started').on('attempts').columns(['account_id', 'started_at']).execute();
    await db.schema.createIndex('attempts_target_started').on('attempts').columns(['target_url', 'started_at', 'id']).execute();
    await db.schema.alterTable('outbox').addColumn('message_id', 'text').execute();
    await db.schema.alterTable('outbox').addColumn('bulk_id', 'text').execute();
    await sql`create index outbox_message on outbox (message_id) where message_id is not null`.execute(db);
    await sql`create index outbox_bulk on outbox (bulk_id) where bulk_id is not null`.execute(db);
    await db.schema.alterTable('accounts').addColumn('operations_profile_id', 'text').execute();
    await db.schema
      .createTable('target_health')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull())
      .addColumn('opened_at', 'bigint')
      .addColumn('disabled_at', 'bigint')
      .addColumn('disabled_reason', 'text')
      .addColumn('paused_until', 'bigint')
      .addColumn('failing_notified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_success_at', 'bigint')
      .addColumn('last_failure_at', 'bigint')
      .addColumn('last_status_code', 'integer')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('target_health_pk', ['account_id', 'target'])
      .execute();
    // The claim reads a target's health for every account sending to it.
    await db.schema.createIndex('target_health_target').on('target_health').column('target').execute();
    await db.schema
      .createTable('recoveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('target_url', 'text', (c) => c.notNull())
      .addColumn('from_at', 'bigint', (c) => c.notNull())
      .addColumn('to_at', 'bigint', (c) => c.notNull())
      .addColumn('states', 'text', (c) => c.notNull())
      .addColumn('rate_per_second', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('requeued', 'integer', (c) => c.notNull())
      .addColumn('cursor', 'text')
      .addColumn('idempotency_key', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .execute();
    await db.schema.createIndex('recoveries_idempotency').on('recoveries').columns(['account_id', 'idempotency_key']).unique().execute();
    await sql`create index recoveries_running on recoveries (id) where state = 'RUNNING'`.execute(db);
  },
};

/**
 * Channels beyond SMS (Messages API, WhatsApp, Email): a message's current channel and what it
 * falls over to, the per-message URL for seen/open/click events, reports tagged with the channel
 * that produced them (and whether they were a failover step), engagement events (SEEN, OPEN,
 * CLICK, COMPLAINT) as their own immutable rows, inbound messages that say their channel, the API
 * whose shape they are pushed in and the outbound message they reply to, and per-message order in
 * the outbox by outbox id.
 */
const m0011 = (profile: DialectProfile): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.alterTable('messages').addColumn('channel', 'text', (c) => c.notNull().defaultTo('SMS')).execute();
    await db.schema.alterTable('messages').addColumn('engagement_url', 'text').execute();
    await db.schema.alterTable('messages').addColumn('failover', 'text').execute();
    await db.schema.alterTable('messages').addColumn('failover_reports', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('reports').addColumn('channel', 'text', (c) => c.notNull().defaultTo('SMS')).execute();
    await db.schema.alterTable('reports').addColumn('failover_step', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    // A failover step's report keeps the sender, destination and message count of its channel
    // (the message moves on to the next channel's); null on every other report: the message's own.
    await db.schema.alterTable('reports').addColumn('sender', 'text').execute();
    await db.schema.alterTable('reports').addColumn('destination', 'text').execute();
    await db.schema.alterTable('reports').addColumn('parts', 'integer').execute();
    // Per-message order to a target now spans payload families (a SEEN waits for its DELIVERY), whose
    // event ids are separate counters: the outbox id, which follows recording order, orders them.
    await sql`drop index outbox_pending`.execute(db);
    await sql`create index outbox_pending on outbox (message_pk, target_url, id) where state in ('READY', 'BATCHED')`.execute(db);
    await db.schema.alterTable('inbound_messages').addColumn('channel', 'text', (c) => c.notNull().defaultTo('SMS')).execute();
    await db.schema.alterTable('inbound_messages').addColumn('api', 'text', (c) => c.notNull().defaultTo('sms')).execute();
    await db.schema.alterTable('inbound_messages').addColumn('paired_message_id', 'text').execute();
    await db.schema.alterTable('inbound_messages').addColumn('callback_data', 'text').execute();
    await db.schema.alterTable('inbound_messages').addColumn('read_at', 'bigint').execute();
    // WhatsApp's read endpoint finds an inbound message by its id.
    await db.schema.createIndex('inbound_account_message').on('inbound_messages').columns(['account_id', 'message_id']).execute();
    const serial = <T extends string>(table: CreateTableBuilder<T, never>) => serialKey(profile, table, 'id');
    await serial(db.schema.createTable('engagements'))
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('message_pk', 'bigint', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'bigint', (c) => c.notNull())
      .addColumn('url', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('engagements_message').on('engagements').columns(['message_pk', 'id']).execute();
    await db.schema.createIndex('engagements_created').on('engagements').columns(['created_at']).execute();
  },
});

/**
 * 0012: SMPP. Each part of a message sent over an SMPP connection is a row from the moment the
 * network hands it over (queued, leased to the process that sends it) until its final receipt,
 * so a restart resends what was never acknowledged and a receipt finds its message by the SMSC's
 * id. Receipts that arrive before their submit_sm_resp wait in smpp_pending_receipts; inbound
 * parts wait in smpp_inbound_parts until their message is whole. Connections and routes set
 * through the admin API are kept in smpp_connections and smpp_routes.
 */
const m0012 = (profile: DialectProfile): Migration => ({
  async up(db: Kysely<any>) {
    const serial = <T extends string>(table: CreateTableBuilder<T, never>) => serialKey(profile, table, 'id');
    await serial(db.schema.createTable('smpp_parts'))
      .addColumn('message_pk', 'bigint', (c) => c.notNull())
      .addColumn('connection', 'text', (c) => c.notNull())
      .addColumn('part', 'integer', (c) => c.notNull())
      .addColumn('parts', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('smsc_id', 'text')
      .addColumn('status_id', 'integer')
      .addColumn('error_id', 'integer')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('lease_until', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('smpp_parts_smsc_id').on('smpp_parts').columns(['connection', 'smsc_id']).execute();
    await db.schema.createIndex('smpp_parts_message').on('smpp_parts').columns(['message_pk']).execute();
    await sql`create index smpp_parts_queued on smpp_parts (lease_until) where state = 'queued'`.execute(db);
    await serial(db.schema.createTable('smpp_pending_receipts'))
      .addColumn('connection', 'text', (c) => c.notNull())
      .addColumn('smsc_id', 'text', (c) => c.notNull())
      .addColumn('status_id', 'integer', (c) => c.notNull())
      .addColumn('error_id', 'integer', (c) => c.notNull())
      .addColumn('final', 'integer', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('smpp_pending_receipts_id').on('smpp_pending_receipts').columns(['connection', 'smsc_id']).execute();
    await db.schema.createIndex('smpp_pending_receipts_received').on('smpp_pending_receipts').columns(['received_at']).execute();
    await serial(db.schema.createTable('smpp_inbound_parts'))
      .addColumn('connection', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('destination', 'text', (c) => c.notNull())
      .addColumn('reference', 'integer', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('completed_at', 'bigint')
      .execute();
    await db.schema.createIndex('smpp_inbound_parts_message').on('smpp_inbound_parts').columns(['connection', 'source', 'reference']).execute();
    await db.schema.createIndex('smpp_inbound_parts_received').on('smpp_inbound_parts').columns(['received_at']).execute();
    await db.schema
      .createTable('smpp_connections')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('smpp_routes')
      .addColumn('prefix', 'text', (c) => c.primaryKey())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
});

/**
 * 0013: indexes for the console's reads (src/console-api/), so their cost follows what they
 * answer, not how much history the table holds:
 *
 * - reports_account_final_done: the dashboard counts one account's final reports in a window
 *   [from, to) by done_at (stats-queries.ts): a range of this index, bounded on both sides,
 *   instead of every account's reports since `from` through reports_created.
 * - messages_account_destination: the message log's destination search, newest first
 *   (message-queries.ts): one range per spelling of the destination, in (created_at, pk) order,
 *   the keyset the cursor pages on. pk is the rowid on SQLite (in every index already) and is
 *   named so PostgreSQL has it too.
 * - reports_account_id, attempts_account_id: the live event streams (src/live/) read one
 *   account's rows after an id; without these they walked the account's whole history.
 */
const m0013: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('reports_account_final_done').on('reports').columns(['account_id', 'final', 'done_at']).execute();
    await db.schema.createIndex('messages_account_destination').on('messages').columns(['account_id', 'destination', 'created_at', 'pk']).execute();
    await db.schema.createIndex('reports_account_id').on('reports').columns(['account_id', 'id']).execute();
    await db.schema.createIndex('attempts_account_id').on('attempts').columns(['account_id', 'id']).execute();
  },
};

export const migrationsFor = (profile: DialectProfile): Record<string, Migration> => ({
  '0001_core': m0001(profile),
  '0002_claim_indexes': m0002,
  '0003_outbox_pending_indexes': m0003,
  '0004_users_sessions_throttles': m0004,
  '0005_subscriptions': m0005,
  '0006_inbound_clicks': m0006(profile),
  '0007_target_limits': m0007,
  '0008_inbound_extra': m0008,
  '0009_clicks_extra': m0009,
  '0010_webhook_operations': m0010,
  '0011_channels': m0011(profile),
  '0012_smpp': m0012(profile),
  '0013_console_indexes': m0013,
});

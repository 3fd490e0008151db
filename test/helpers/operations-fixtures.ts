/**
 * Set-up for the recovery and target-health tests: deliveries written straight into the gateway's
 * database (with an outbox row each, as formDeliveries leaves them), health rows, and a second
 * account with its own API key.
 *
 * Writing deliveries directly is how a test gets 10,000 DROPPED ones in seconds; driving a
 * receiver through 21 failed attempts each would take 210,000 requests. The rows are what the
 * dispatcher writes: a delivery's id is its `webhook-id`, its body is sent as it is.
 */
import assert from 'node:assert/strict';
import type { Insertable, Kysely } from 'kysely';
import { chunkRows, type DialectProfile } from '../../src/store/database.ts';
import type { Database, DeliveriesTable, DeliveryState, TargetHealthTable } from '../../src/store/schema.ts';
import { TEST_ADMIN, type TestGateway } from './hookline.ts';

export interface SeededDelivery {
  id: string;
  createdAt: number;
  messageId: string;
}

export interface SeedOptions {
  accountId?: string;
  target: string;
  state: DeliveryState;
  count: number;
  /** created_at of the first; each next one `stepMs` later, `tie` deliveries sharing each time. */
  firstAt: number;
  stepMs?: number;
  tie?: number;
  /** Distinguishes seeds in ids and message ids. */
  label: string;
  attempts?: number;
}

/** Writes `count` deliveries (one report each) and their outbox rows; answers them in (created_at, id) order. */
export async function seedDeliveries(db: Kysely<Database>, profile: DialectProfile, options: SeedOptions): Promise<SeededDelivery[]> {
  const { accountId = 'default', target, state, count, firstAt, stepMs = 1, tie = 1, label } = options;
  const attempts = options.attempts ?? (state === 'PENDING' ? 0 : 21);
  const done = state === 'DELIVERED' || state === 'DROPPED';
  const deliveries: Insertable<DeliveriesTable>[] = [];
  const outbox: Insertable<Database['outbox']>[] = [];
  const seeded: SeededDelivery[] = [];
  for (let i = 0; i < count; i++) {
    // Zero-padded, so id order is numeric order within a tie.
    const id = `whd_${label}_${String(i).padStart(6, '0')}`;
    const createdAt = firstAt + Math.floor(i / tie) * stepMs;
    const messageId = `${label}-msg-${i}`;
    seeded.push({ id, createdAt, messageId });
    deliveries.push({
      id,
      account_id: accountId,
      target_url: target,
      family: 'sms-v3',
      content_type: 'application/json',
      body: JSON.stringify({ results: [{ messageId, bulkId: label, status: { groupName: 'DELIVERED' } }] }),
      report_count: 1,
      state,
      attempts,
      next_attempt_at: done ? null : createdAt,
      lease_owner: null,
      lease_until: null,
      last_status_code: state === 'DROPPED' ? 500 : null,
      last_error: state === 'DROPPED' ? 'HTTP 500' : null,
      created_at: createdAt,
      done_at: done ? createdAt : null,
      drop_reason: state === 'DROPPED' ? 'ATTEMPTS_EXHAUSTED' : null,
      first_event_at: createdAt,
    });
    outbox.push({
      account_id: accountId,
      report_id: 1_000_000 + i,
      message_pk: -(1_000_000 + i),
      target_url: target,
      family: 'sms-v3',
      content_type: 'application/json',
      state: state === 'DELIVERED' ? 'DONE' : state === 'DROPPED' ? 'DROPPED' : 'BATCHED',
      delivery_id: id,
      created_at: createdAt,
      message_id: messageId,
    });
  }
  for (const chunk of chunkRows(deliveries, profile)) await db.insertInto('deliveries').values(chunk).execute();
  for (const chunk of chunkRows(outbox, profile)) await db.insertInto('outbox').values(chunk).execute();
  return seeded;
}

/** Writes (or replaces) a target's health row (for the default account unless `account_id` says otherwise). */
export async function setHealth(db: Kysely<Database>, row: Partial<TargetHealthTable> & { target: string }, now: number): Promise<void> {
  const full: Insertable<TargetHealthTable> = {
    account_id: 'default',
    consecutive_failures: 0,
    opened_at: null,
    disabled_at: null,
    disabled_reason: null,
    failing_notified: 0,
    last_success_at: null,
    last_failure_at: null,
    last_status_code: null,
    updated_at: now,
    ...row,
  };
  await db.deleteFrom('target_health').where('account_id', '=', full.account_id).where('target', '=', row.target).execute();
  await db.insertInto('target_health').values(full).execute();
}

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** A new account with an admin user and an API key (all the admin's scopes); answers the key's Authorization header. */
export async function otherAccount(g: TestGateway, id: string): Promise<{ accountId: string; authorization: string }> {
  const operator = { authorization: basic(TEST_ADMIN.username, TEST_ADMIN.password) };
  const account = await g.api('POST', '/hookline/1/accounts', { id, name: id }, operator);
  assert.equal(account.status, 201, JSON.stringify(account.body));
  const credentials = { username: `${id}-admin`, password: `${id}-password-123` };
  const user = await g.api('POST', '/hookline/1/users', { ...credentials, roles: ['ACCOUNT_ADMIN'], accountId: id }, operator);
  assert.equal(user.status, 201, JSON.stringify(user.body));
  const key = await g.api('POST', '/settings/2/api-keys', { name: `${id} key` }, { authorization: basic(credentials.username, credentials.password) });
  assert.equal(key.status, 200, JSON.stringify(key.body));
  assert.equal(key.body.accountId, id);
  return { accountId: id, authorization: `App ${key.body.apiKeySecret}` };
}

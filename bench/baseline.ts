/**
 * Same-run baseline for the end-to-end figure: the SQLite work of one SMS's lifecycle with
 * nothing else around it — bare better-sqlite3, prepared statements, the gateway's schema
 * (created by its migrations) and pragmas (WAL, synchronous NORMAL), batched in transactions
 * the way the gateway batches them: one transaction per request of 100 messages, one per
 * network pass of 1,000 (reports + outbox rows), one claim per 1,000 outbox rows forming
 * deliveries of 100, one completion per batch of deliveries.
 *
 * It writes what the gateway writes since migration 0010: the outbox row's message and bulk ids,
 * the delivery's first_event_at, the attempt's target URL and response excerpt; and it reads the
 * target's health once per claim and once per completion batch, as the dispatcher does.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { openStore } from '../src/store/database.ts';
import { destination, TEXT, tempDir, v3Body } from './fixtures.ts';

export interface BaselineResult {
  sms: number;
  seconds: number;
  perSecond: number;
}

export async function sqliteBaseline(opts: { sms: number; perRequest: number; perPass: number; bucketSize: number; targetUrl: string }): Promise<BaselineResult> {
  const temp = tempDir();
  const path = join(temp.dir, 'baseline.db');
  try {
    await (await openStore(`sqlite:${path}`)).close(); // the gateway's schema and indexes
    const db = new SQLite(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');

    const insertMessage = db.prepare(`insert into messages (account_id, message_id, bulk_id, family, destination, sender, text, parts, notify_url, content_type, notify, intermediate,
        callback_data, validity_ms, send_at, entity_id, application_id, campaign_reference_id, options, mcc_mnc, state, status_id, error_id, created_at, sent_at, done_at)
      values ('default', ?, ?, 'sms-v3', ?, 'Hookline', ?, 1, ?, 'application/json', 1, 0, null, 172800000, null, null, null, null, null, '22801', 'SUBMITTED', 26, 0, ?, null, null)`);
    const insertReport = db.prepare(`insert into reports (account_id, message_pk, status_id, error_id, final, price_per_message, currency, mcc_mnc, done_at, created_at)
      values ('default', ?, 5, 0, 1, 0.01, 'EUR', '22801', ?, ?)`);
    const insertOutbox = db.prepare(`insert into outbox (account_id, report_id, message_pk, target_url, family, content_type, state, delivery_id, created_at, message_id, bulk_id)
      values ('default', ?, ?, ?, 'sms-v3', 'application/json', 'READY', null, ?, ?, ?)`);
    const selectReady = db.prepare(`select id from outbox where state = 'READY' order by id limit ?`).pluck();
    const insertDelivery = db.prepare(`insert into deliveries (id, account_id, target_url, family, content_type, body, report_count, state, attempts, next_attempt_at, created_at, first_event_at)
      values (?, 'default', ?, 'sms-v3', 'application/json', ?, ?, 'PENDING', 0, ?, ?, ?)`);
    const readHealth = db.prepare(`select * from target_health where target = ?`);
    const batchOutbox = db.prepare(`update outbox set state = 'BATCHED', delivery_id = ? where id = ?`);
    const leaseDelivery = db.prepare(`update deliveries set attempts = attempts + 1, lease_owner = 'bench', lease_until = ? where id = ?`);
    const deliverDelivery = db.prepare(`update deliveries set state = 'DELIVERED', done_at = ?, next_attempt_at = null, lease_owner = null, lease_until = null, last_status_code = 200 where id = ?`);
    const insertAttempt = db.prepare(`insert into attempts (delivery_id, account_id, attempt, started_at, duration_ms, status_code, target_url, response_excerpt)
      values (?, 'default', 1, ?, 1, 200, ?, 'OK')`);
    const outboxDone = db.prepare(`update outbox set state = 'DONE' where delivery_id = ?`);

    const body = v3Body(opts.bucketSize);
    type Submitted = { pk: number; messageId: string; bulkId: string };
    const intake = db.transaction((first: number, count: number, bulkId: string, now: number) => {
      const submitted: Submitted[] = [];
      for (let i = 0; i < count; i++) {
        const messageId = randomUUID();
        submitted.push({ pk: Number(insertMessage.run(messageId, bulkId, destination(first + i), TEXT, opts.targetUrl, now).lastInsertRowid), messageId, bulkId });
      }
      return submitted;
    });
    const record = db.transaction((messages: Submitted[], now: number) => {
      for (const m of messages) insertOutbox.run(Number(insertReport.run(m.pk, now, now).lastInsertRowid), m.pk, opts.targetUrl, now, m.messageId, m.bulkId);
    });
    const claim = db.transaction((now: number) => {
      readHealth.get(opts.targetUrl);
      const ids = selectReady.all(opts.perPass) as number[];
      const deliveries: string[] = [];
      for (let i = 0; i < ids.length; i += opts.bucketSize) {
        const id = `whd_${randomUUID().replaceAll('-', '')}`;
        const bucket = ids.slice(i, i + opts.bucketSize);
        insertDelivery.run(id, opts.targetUrl, body, bucket.length, now, now, now);
        for (const outboxId of bucket) batchOutbox.run(id, outboxId);
        leaseDelivery.run(now + 30_000, id);
        deliveries.push(id);
      }
      return deliveries;
    });
    const complete = db.transaction((deliveries: string[], now: number) => {
      readHealth.get(opts.targetUrl);
      for (const id of deliveries) {
        insertAttempt.run(id, now, opts.targetUrl);
        deliverDelivery.run(now, id);
        outboxDone.run(id);
      }
    });

    const started = performance.now();
    for (let done = 0; done < opts.sms; done += opts.perPass) {
      const now = Date.now();
      const submitted: Submitted[] = [];
      for (let r = 0; r < opts.perPass; r += opts.perRequest) submitted.push(...intake(done + r, opts.perRequest, randomUUID(), now));
      record(submitted, now);
      complete(claim(now), now);
    }
    const seconds = (performance.now() - started) / 1_000;
    db.close();
    return { sms: opts.sms, seconds, perSecond: opts.sms / seconds };
  } finally {
    temp.remove();
  }
}

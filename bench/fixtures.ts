/**
 * Data for the scenarios, built with the gateway's own code wherever it exists: report bodies
 * are rendered by renderDeliveryBody, outbox rows are written by recordEvents.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createHookline, type Hookline } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { recordEvents } from '../src/events/recorder.ts';
import { NO_SUBSCRIBERS } from '../src/events/routing.ts';
import type { StatusEvent } from '../src/events/status-event.ts';
import type { ReportView } from '../src/messaging/report-shape.ts';
import { ERROR, STATUS } from '../src/messaging/status-catalogue.ts';
import { renderDeliveryBody } from '../src/webhooks/render.ts';

export const API_KEY = 'bench-key-0123456789abcdef';
export const TEXT = 'Your Hookline verification code is 482913. It expires in 10 minutes.';

/** A fresh temp dir for one scenario's database; always removed by the caller. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hookline-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Distinct destinations whose last four digits (2000–9999) are not special in the simulator
 * (1001–1007 are): one final DELIVERED report each, right after submit.
 */
export function destination(i: number): string {
  const n = i % 8_000_000;
  return `4179${String(Math.floor(n / 8_000)).padStart(4, '0')}${2_000 + (n % 8_000)}`;
}

export function sampleView(i: number, now: number): ReportView {
  return {
    report_id: i + 1,
    status_id: STATUS.DELIVERED_TO_HANDSET,
    error_id: ERROR.NO_ERROR,
    price_per_message: 0.01,
    currency: 'EUR',
    mcc_mnc: '22801',
    done_at: now,
    message_id: randomUUID(),
    bulk_id: randomUUID(),
    destination: destination(i),
    sender: 'Hookline',
    parts: 1,
    callback_data: null,
    entity_id: null,
    application_id: null,
    campaign_reference_id: null,
    sent_at: now - 800,
    created_at: now - 1_000,
    channel: 'SMS',
    failover_step: 0,
    family: 'sms-v3',
    options: null,
  };
}

/** A real rendered v3 JSON delivery body with `reports` reports. */
export function v3Body(reports: number, now = Date.now()): string {
  return renderDeliveryBody(
    'sms-v3',
    'application/json',
    Array.from({ length: reports }, (_, i) => sampleView(i, now)),
  );
}

export interface GatewayOptions {
  dir: string;
  env?: Record<string, string>;
}

/** A Hookline on a temp SQLite file; nothing is started (no loops, no listener). */
export async function createGateway({ dir, env = {} }: GatewayOptions): Promise<Hookline> {
  const config = loadConfig({
    PORT: '0',
    API_KEY,
    DATABASE_URL: `sqlite:${join(dir, 'hookline.db')}`,
    LOG_LEVEL: 'warn',
    SIMULATOR_DELAY_MS: '0',
    ...env,
  });
  return createHookline(config, { logger: pino({ level: config.logLevel }) });
}

/**
 * Puts `count` READY reports in the outbox, the way the network worker would: the messages
 * (inserted with a plain prepared statement, for speed), then one final DELIVERED event each
 * through recordEvents (reports + status refresh + outbox rows), all in one transaction.
 */
export async function preloadOutbox(hookline: Hookline, count: number, targetUrl: string): Promise<void> {
  const { db, profile, sqlite } = hookline.store;
  if (!sqlite) throw new Error('the bench runs on SQLite');
  const now = Date.now();
  const bulkId = randomUUID();
  const insertMessage = sqlite.prepare(`insert into messages (account_id, message_id, bulk_id, family, destination, sender, text, parts, notify_url, content_type, notify,
      intermediate, callback_data, validity_ms, send_at, entity_id, application_id, campaign_reference_id, options, mcc_mnc, state, status_id, error_id, created_at, sent_at, done_at)
    values ('default', ?, ?, 'sms-v3', ?, 'Hookline', ?, 1, ?, 'application/json', 1, 0, null, ?, null, null, null, null, null, '22801', 'SUBMITTED', ?, ?, ?, ?, null)`);
  await db.transaction().execute(async (trx) => {
    // Same connection, same transaction: Kysely's SQLite driver uses this one handle.
    const events: StatusEvent[] = [];
    for (let i = 0; i < count; i++) {
      const pk = insertMessage.run(randomUUID(), bulkId, destination(i), TEXT, targetUrl, 48 * 3_600_000, STATUS.PENDING_ACCEPTED, ERROR.NO_ERROR, now, now).lastInsertRowid;
      events.push({ messagePk: Number(pk), statusId: STATUS.DELIVERED_TO_HANDSET, errorId: ERROR.NO_ERROR, final: true, doneAt: now, pricePerMessage: 0.01, currency: 'EUR', mccMnc: '22801' });
    }
    const recorded = await recordEvents(trx, profile, events, now, NO_SUBSCRIBERS);
    if (recorded.pushed !== count) throw new Error(`preload routed ${recorded.pushed} of ${count} reports to the outbox`);
  });
}

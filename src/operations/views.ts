/**
 * Response bodies of the attempt log. Times are Infobip's date-time format, as everywhere in the
 * Hookline API; fields without a value are null rather than absent, so every delivery and every
 * attempt has the same shape.
 */
import type { Selectable } from 'kysely';
import { formatInfobipTime } from '../lib/infobip-time.ts';
import type { DeliveriesTable } from '../store/schema.ts';
import { MAX_ATTEMPTS, nextAttemptAt } from '../webhooks/retry-policy.ts';
import { targetView } from '../webhooks/targets.ts';
import type { AttemptRow } from './attempt-queries.ts';
import type { CarriedReport, DeliverySummary } from './delivery-queries.ts';

const time = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : formatInfobipTime(Number(ms)));

const isWaiting = (state: string) => state === 'PENDING' || state === 'RETRYING';

export function deliveryView(row: DeliverySummary | Selectable<DeliveriesTable>, reports: readonly CarriedReport[]) {
  const attempts = Number(row.attempts);
  const attemptsInCycle = attempts - Number(row.cycle_base ?? 0);
  return {
    id: row.id,
    target: targetView(row.target_url),
    state: row.state,
    dropReason: row.drop_reason ?? null,
    family: row.family,
    contentType: row.content_type,
    reportCount: Number(row.report_count),
    attempts,
    attemptsInCycle,
    remainingAttempts: isWaiting(row.state) ? Math.max(0, MAX_ATTEMPTS - attemptsInCycle) : 0,
    nextAttemptAt: isWaiting(row.state) ? time(row.next_attempt_at) : null,
    createdAt: time(row.created_at),
    doneAt: time(row.done_at),
    lastStatusCode: row.last_status_code ?? null,
    lastError: row.last_error ?? null,
    reports,
  };
}

/**
 * The single view adds the payload (the exact bytes every attempt and a replay sends) and the
 * retry schedule: the earliest each remaining attempt of the cycle may start if every one fails.
 * Each entry chains from the one before as if it started on time, while the dispatcher chains
 * from when an attempt really started (dispatcher.ts): an attempt that starts late (a backlog,
 * an open breaker, a paused target, a receiver's Retry-After) moves every later one as much later;
 * none starts earlier.
 */
export function deliveryDetailView(row: Selectable<DeliveriesTable>, reports: readonly CarriedReport[], retryMinuteMs: number) {
  const view = deliveryView(row, reports);
  const next = isWaiting(row.state) && row.next_attempt_at !== null ? Number(row.next_attempt_at) : null;
  return { ...view, retrySchedule: next === null ? [] : retrySchedule(view.attemptsInCycle, next, retryMinuteMs), body: row.body };
}

function retrySchedule(attemptsInCycle: number, nextAt: number, retryMinuteMs: number): Array<{ attempt: number; at: string }> {
  const schedule: Array<{ attempt: number; at: string }> = [];
  let at: number | null = nextAt;
  for (let attempt = attemptsInCycle + 1; at !== null && attempt <= MAX_ATTEMPTS; attempt++) {
    schedule.push({ attempt, at: formatInfobipTime(at) });
    at = nextAttemptAt(attempt, at, retryMinuteMs);
  }
  return schedule;
}

export function attemptView(row: AttemptRow, reports: readonly CarriedReport[]) {
  return {
    id: row.id,
    deliveryId: row.delivery_id,
    attempt: row.attempt,
    startedAt: time(row.started_at),
    durationMs: row.duration_ms,
    target: targetView(row.target_url),
    statusCode: row.status_code ?? null,
    errorClass: row.error_class ?? null,
    error: row.error ?? null,
    responseExcerpt: row.response_excerpt ?? null,
    reports,
  };
}

/**
 * Infobip's push retry cycle, exactly: the first attempt at once; after the n-th failed attempt
 * (n = 1…20) the next starts 1 + (n−1)² minutes after the start of the failed one, so the 21st
 * attempt lands 2490 minutes (41 h 30 min) after the first. After the 21st failure: DROPPED.
 * No jitter — the schedule is a documented contract.
 */
export const MAX_ATTEMPTS = 21;

/** Minutes between the start of failed attempt n and the next attempt. */
export function retryDelayMinutes(failedAttempt: number): number {
  return 1 + (failedAttempt - 1) ** 2;
}

/** When the next attempt is due, or null when the delivery is to be dropped. */
export function nextAttemptAt(failedAttempt: number, failedStartedAt: number, minuteMs: number): number | null {
  if (failedAttempt >= MAX_ATTEMPTS) return null;
  return failedStartedAt + retryDelayMinutes(failedAttempt) * minuteMs;
}

/** A receiver's Retry-After is honoured up to 6 hours; beyond that the schedule still applies. */
export const MAX_RETRY_AFTER_MS = 6 * 60 * 60 * 1000;

/**
 * Milliseconds a Retry-After header asks to wait, from `now` (RFC 9110: delay-seconds or an
 * HTTP-date), capped at MAX_RETRY_AFTER_MS; null when absent or unreadable.
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | null {
  if (!header) return null;
  const value = header.trim();
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    // An HTTP-date names its day and month; Date.parse alone would read "-5" as a year.
    const at = /[a-z]{3}/i.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

/** The next attempt while the receiver asked to wait until `pausedUntil`: never earlier than the schedule. */
export function withRetryAfter(scheduled: number | null, pausedUntil: number | null): number | null {
  if (scheduled === null || pausedUntil === null) return scheduled;
  return Math.max(scheduled, pausedUntil);
}

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

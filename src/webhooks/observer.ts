/**
 * What the dispatcher tells the outside world about its work, as it happens (metrics implement
 * it; the default does nothing). Targets are passed as stored: a per-message URL or a
 * notification-profile reference; the observer decides how to label them.
 */
import type { ErrorClass } from './http-sender.ts';

export interface AttemptOutcome {
  target: string;
  accountId: string;
  /** 'delivered', or the failure's error class. */
  outcome: 'delivered' | ErrorClass;
  statusCode: number | null;
  durationMs: number;
  /** For a 2xx: milliseconds from the earliest event the delivery carried to the 2xx. */
  eventToDeliveredMs: number | null;
  /** The delivery was DROPPED by this attempt (its last one, or a 410). */
  dropped: boolean;
}

export interface DispatchObserver {
  attemptFinished(outcome: AttemptOutcome): void;
  /** The target's breaker opened (true) or closed (false), or it was disabled by a 410. */
  targetStateChanged(target: string, state: 'open' | 'closed' | 'disabled'): void;
}

export const NO_OBSERVER: DispatchObserver = { attemptFinished: () => {}, targetStateChanged: () => {} };

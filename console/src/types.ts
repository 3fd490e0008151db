/** The shapes of Hookline's API answers that the console reads (see the README's API sections). */
/** A webhook target: a per-message URL or a notification profile. */
export type TargetRef = { url: string } | { profileId: string };

export interface Status {
  groupId: number;
  groupName: string;
  id: number;
  name: string;
  description: string;
}
export interface ErrorInfo {
  groupId?: number;
  groupName?: string;
  id: number;
  name: string;
  description: string;
  permanent?: boolean;
}

export interface Me {
  accountId: string;
  username: string | null;
  scheme: string;
  scopes: string[];
  operator: boolean;
}

export interface MessageSummary {
  messageId: string;
  bulkId: string;
  channel: string;
  api: string;
  from: string | null;
  to: string;
  text: string;
  messageCount: number;
  status: Status;
  error: ErrorInfo;
  createdAt: string;
  sentAt: string | null;
  doneAt: string | null;
  callbackData: string | null;
}

export interface TimelineEntry {
  at: string;
  kind: 'ACCEPTED' | 'REPORT' | 'SEEN' | 'OPEN' | 'CLICK' | 'COMPLAINT';
  final: boolean;
  channel: string;
  status: Status | null;
  error: ErrorInfo | null;
  price: { pricePerMessage: number; currency: string } | null;
  failoverStep: boolean;
  url: string | null;
}

export interface Page<T> {
  results: T[];
  nextCursor: string | null;
}

export interface CarriedReport {
  [field: string]: unknown;
  messageId?: string;
}

export interface Delivery {
  id: string;
  target: TargetRef;
  state: 'PENDING' | 'RETRYING' | 'DELIVERED' | 'DROPPED';
  dropReason: string | null;
  family: string;
  contentType: string;
  reportCount: number;
  attempts: number;
  attemptsInCycle: number;
  remainingAttempts: number;
  nextAttemptAt: string | null;
  createdAt: string;
  doneAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  reports: CarriedReport[];
  body?: string;
  /** Single view only: when each remaining attempt would start if every one failed. */
  retrySchedule?: Array<{ attempt: number; at: string }>;
}

export interface Attempt {
  id: number;
  deliveryId: string;
  attempt: number;
  startedAt: string;
  durationMs: number;
  target: TargetRef;
  statusCode: number | null;
  errorClass: string | null;
  error: string | null;
  responseExcerpt: string | null;
}

export interface TargetHealth {
  target: TargetRef;
  state: 'HEALTHY' | 'OPEN' | 'DISABLED';
  consecutiveFailures: number;
  breakerOpenedAt: string | null;
  pausedUntil: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastStatusCode: number | null;
  waitingDeliveries: { pending: number; retrying: number };
}

export interface Stats {
  from: string;
  to: string;
  bucketMs: number;
  reports: Array<{ at: string; delivered: number; failed: number; other: number }>;
  targets: Array<{ target: TargetRef; attempts: number; succeeded: number; successRate: number; p50Ms: number | null; p90Ms: number | null; p99Ms: number | null }>;
}

export interface LiveReport {
  reportId: number;
  messageId: string;
  bulkId: string;
  channel: string;
  to: string;
  final: boolean;
  status: Status;
  error: ErrorInfo;
  doneAt: string;
}

/** An attempt as the live feed sends it: without the response excerpt, with its delivery's state now. */
export interface LiveAttempt extends Omit<Attempt, 'id' | 'responseExcerpt'> {
  attemptId: number;
  deliveryState: Delivery['state'];
  messageIds: string[];
}

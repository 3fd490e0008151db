/**
 * Small shared helpers for the HTTP tests (not a test file itself: no `.test.ts` suffix).
 */
import { randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import type { TestGateway } from '../helpers/hookline.ts';

/** A short prefix that keeps ids of one test run apart from any other run's. */
export const uniq = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

/** Polls `probe` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitUntil<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe();
    if (value) return value;
    last = value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last probe: ${JSON.stringify(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const qs = (params: Record<string, string | number | boolean>): string =>
  '?' + new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();

/** Waits until every listed message is in a final state (per /sms/3/logs), returns the log entries by messageId. */
export async function waitForFinal(g: TestGateway, messageIds: string[], timeoutMs = 10_000): Promise<Map<string, any>> {
  return waitUntil(async () => {
    const r = await g.api('GET', '/sms/3/logs' + qs({ messageId: messageIds.join(','), limit: 1000 }));
    if (r.status !== 200) throw new Error(`logs answered ${r.status}: ${JSON.stringify(r.body)}`);
    const byId = new Map<string, any>(r.body.results.map((e: any) => [e.messageId, e]));
    const done = messageIds.every((id) => byId.has(id) && byId.get(id).status.groupName !== 'PENDING');
    return done ? byId : undefined;
  }, `final status of ${messageIds.join(', ')}`, timeoutMs);
}

const xmlParser = new XMLParser({ parseTagValue: false, ignoreAttributes: true });
export const parseXml = (text: string): any => xmlParser.parse(text);

export const PENDING_ACCEPTED = { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' };
export const REJECTED_DESTINATION = { groupId: 5, groupName: 'REJECTED', id: 52, name: 'REJECTED_DESTINATION', description: 'Invalid destination address' };
export const MISSING_TO = { groupId: 5, groupName: 'REJECTED', id: 51, name: 'MISSING_TO', description: 'Missing destination address' };
export const REJECTED_MESSAGE_TOO_LONG = { groupId: 5, groupName: 'REJECTED', id: 25, name: 'REJECTED_MESSAGE_TOO_LONG', description: 'Rejected message too long' };
export const REJECTED_DUPLICATE_MESSAGE_ID = { groupId: 5, groupName: 'REJECTED', id: 23, name: 'REJECTED_DUPLICATE_MESSAGE_ID', description: 'Rejected duplicate message ID' };

export const V3_BAD_REQUEST = { errorCode: 'E400', description: 'Request cannot be processed.', action: 'Check the syntax, violations and adjust the request.' };
export const V3_UNAUTHORIZED = {
  errorCode: 'E401',
  description: 'The request lacks valid authentication credentials for the requested resource.',
  action: 'Check the resources and adjust authentication credentials.',
  violations: [],
  resources: [{ name: 'API Authentication', url: 'https://www.infobip.com/docs/essentials/api-authentication' }],
};
export const LEGACY_UNAUTHORIZED = { requestError: { serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' } } };
export const V3_FORBIDDEN = {
  errorCode: 'E403',
  description: 'Insufficient permissions to access the requested resource.',
  action: 'Repeat the request with new or different credentials.',
  violations: [],
  resources: [{ name: 'API Scopes', url: 'https://www.infobip.com/docs/essentials/api-essentials/api-authorization#api-scopes' }],
};
export const LEGACY_FORBIDDEN = { requestError: { serviceException: { messageId: 'FORBIDDEN', text: 'Forbidden' } } };
export const V3_NOT_FOUND = { errorCode: 'E404', description: 'Requested resource not found.', action: 'Check the request path and identifiers.', violations: [], resources: [] };
export const LEGACY_TOO_MANY = { requestError: { serviceException: { messageId: 'TOO_MANY_REQUESTS', text: 'Too many requests' } } };

/** Asserts the exact v3 ApiError envelope keys and returns the violations' properties. */
export function v3ErrorProperties(body: any): string[] {
  if (!body || typeof body !== 'object') throw new Error(`not a JSON error body: ${String(body)}`);
  const keys = Object.keys(body).sort();
  if (JSON.stringify(keys) !== JSON.stringify(['action', 'description', 'errorCode', 'resources', 'violations'])) {
    throw new Error(`not a v3 ApiError envelope: ${JSON.stringify(body)}`);
  }
  for (const v of body.violations) {
    if (typeof v.property !== 'string' || typeof v.violation !== 'string' || v.violation === '') throw new Error(`bad violation ${JSON.stringify(v)}`);
  }
  return body.violations.map((v: any) => v.property);
}

/** Like `g.api` but sends exactly the given headers (no Authorization unless given). */
export async function rawApi(
  g: TestGateway,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(g.baseUrl + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/**
 * Waits until the dispatcher has nothing to do at the current clock time: no report waiting for a
 * delivery, no delivery due or in flight. Moving the clock makes retries due, so a test that moves
 * it settles before it reads the attempt log.
 */
export async function dispatchSettled(g: TestGateway, clock: { now(): number }): Promise<void> {
  const db = g.hookline.store.db;
  await waitUntil(async () => {
    const now = clock.now();
    const busy = await db
      .selectFrom('deliveries')
      .select('id')
      .where((eb) => eb.or([eb('state', '=', 'PENDING'), eb('lease_owner', 'is not', null), eb.and([eb('state', '=', 'RETRYING'), eb('next_attempt_at', '<=', now)])]))
      .limit(1)
      .execute();
    const ready = await db.selectFrom('outbox').select('id').where('state', '=', 'READY').limit(1).execute();
    return busy.length === 0 && ready.length === 0;
  }, 'the dispatcher to settle');
}

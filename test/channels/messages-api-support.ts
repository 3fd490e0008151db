/**
 * Shared helpers of the Messages API end-to-end tests (not a test file: no `.test.ts` suffix):
 * building and sending requests, the statuses the simulator produces, and checks of pushed items
 * against the spec's webhook schemas.
 */
import assert from 'node:assert/strict';
import type { TestGateway } from '../helpers/hookline.ts';
import { knownProblems } from '../helpers/known-shapes.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { loadSpec, schemaProblems, webhookBodySchema } from '../helpers/spec-schema.ts';
import { uniq } from '../http/support.ts';

export const CHANNELS = ['SMS', 'WHATSAPP', 'VIBER_BM', 'RCS'] as const;
export const CHAT_CHANNELS = ['WHATSAPP', 'VIBER_BM', 'RCS'] as const;
/** The Subscriptions API's name of each channel (VIBER covers Viber Business Messages). */
export const SUBSCRIPTION_CHANNEL: Record<string, string> = { SMS: 'SMS', WHATSAPP: 'WHATSAPP', VIBER_BM: 'VIBER', RCS: 'RCS' };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const INFOBIP_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;
export const wireMs = (s: string) => Date.parse(s.replace('+0000', 'Z'));

export interface Expect {
  status: [id: number, name: string, groupName: string];
  error: [id: number, name: string, permanent: boolean];
}
export const DELIVERED: Expect = { status: [5, 'DELIVERED_TO_HANDSET', 'DELIVERED'], error: [0, 'NO_ERROR', false] };
export const ABSENT_PENDING: Expect = { status: [3, 'PENDING_WAITING_DELIVERY', 'PENDING'], error: [27, 'EC_ABSENT_SUBSCRIBER', false] };
export const NOT_DELIVERED: Expect = { status: [9, 'UNDELIVERABLE_NOT_DELIVERED', 'UNDELIVERABLE'], error: [1, 'EC_UNKNOWN_SUBSCRIBER', true] };
export const EXPIRED_ABSENT: Expect = { status: [15, 'EXPIRED_EXPIRED', 'EXPIRED'], error: [27, 'EC_ABSENT_SUBSCRIBER', false] };
export const EXPIRED_NO_ERROR: Expect = { status: [15, 'EXPIRED_EXPIRED', 'EXPIRED'], error: [0, 'NO_ERROR', false] };
export const REJECTED_NETWORK: Expect = { status: [6, 'REJECTED_NETWORK', 'REJECTED'], error: [0, 'NO_ERROR', false] };
export const TO_OPERATOR: Expect = { status: [2, 'DELIVERED_TO_OPERATOR', 'DELIVERED'], error: [0, 'NO_ERROR', false] };
export const REJECTED_OPERATOR: Expect = { status: [4, 'UNDELIVERABLE_REJECTED_OPERATOR', 'UNDELIVERABLE'], error: [13, 'EC_CALL_BARRED', false] };
export const REJECTED_DESTINATION: Expect = { status: [52, 'REJECTED_DESTINATION', 'REJECTED'], error: [0, 'NO_ERROR', false] };

export function assertStatus(item: Record<string, any>, e: Expect, label: string): void {
  assert.deepEqual([item.status?.id, item.status?.name, item.status?.groupName], e.status, `${label}: status`);
  assert.deepEqual([item.error?.id, item.error?.name, item.error?.permanent], e.error, `${label}: error`);
}

const spec = loadSpec('infobip-messages-api-openapi.json');
const WEBHOOKS = { DELIVERY: 'receive-messages-api-delivery-reports', SEEN: 'receive-messages-api-seen-reports', MO: 'receive-messages-api-incoming-messages' } as const;

/**
 * Asserts a pushed or pulled body is what the spec's webhook of that event declares: what is known
 * of its items always (test/helpers/known-shapes.ts), the spec's whole schema where it is beside the checkout.
 */
export function assertSpecBody(event: keyof typeof WEBHOOKS, body: unknown, label = event): void {
  assert.deepEqual(knownProblems(WEBHOOKS[event], body), [], `${label}: ${JSON.stringify(body)}`);
  if (spec) assert.deepEqual(schemaProblems(spec, webhookBodySchema(spec, WEBHOOKS[event]), body), [], `${label}: ${JSON.stringify(body)}`);
}

/** Every JSON request body a receiver got, each checked against the event's webhook schema; their items in arrival order. */
export function itemsOf(rx: Receiver, event: keyof typeof WEBHOOKS): Array<Record<string, any>> {
  return rx.requests.flatMap((r) => {
    const body = JSON.parse(r.body);
    assertSpecBody(event, body);
    return body.results;
  });
}

/** Waits for `count` items, then a little longer to be sure no more arrive; returns them (schema-checked). */
export async function collect(rx: Receiver, event: keyof typeof WEBHOOKS, count: number, settleMs = 300): Promise<Array<Record<string, any>>> {
  await rx.waitForResults(count, 10_000);
  await sleep(settleMs);
  const items = itemsOf(rx, event);
  assert.equal(items.length, count, `expected exactly ${count} ${event} item(s), got ${JSON.stringify(items)}`);
  for (const r of rx.requests) assert.match(String(r.headers['content-type']), /^application\/json/);
  return items;
}

export interface MessageSpec {
  channel: string;
  to: string;
  sender?: string;
  messageId?: string;
  text?: string;
  delivery?: string;
  intermediate?: boolean;
  seen?: string;
  callbackData?: string;
  platform?: { entityId?: string; applicationId?: string };
  campaignReferenceId?: string;
  correlationData?: string;
  validitySeconds?: number;
  extra?: Record<string, unknown>;
}

/** One Messages API message from its parts (undefined parts are left out). */
export function message(m: MessageSpec): Record<string, unknown> {
  const webhooks: Record<string, unknown> = {};
  if (m.delivery !== undefined || m.intermediate !== undefined) webhooks.delivery = { url: m.delivery, intermediateReport: m.intermediate };
  if (m.seen !== undefined) webhooks.seen = { url: m.seen };
  if (m.callbackData !== undefined) webhooks.callbackData = m.callbackData;
  const options: Record<string, unknown> = {};
  if (m.platform) options.platform = m.platform;
  if (m.campaignReferenceId !== undefined) options.campaignReferenceId = m.campaignReferenceId;
  if (m.correlationData !== undefined) options.correlationData = m.correlationData;
  if (m.validitySeconds !== undefined) options.validityPeriod = { amount: m.validitySeconds, timeUnit: 'SECONDS' };
  return {
    channel: m.channel,
    ...(m.sender === undefined ? {} : { sender: m.sender }),
    destinations: [{ to: m.to, messageId: m.messageId ?? uniq('msg') }],
    content: { body: { type: 'TEXT', text: m.text ?? 'Hello from the Messages API suite' } },
    ...(Object.keys(options).length ? { options } : {}),
    ...(Object.keys(webhooks).length ? { webhooks } : {}),
    ...m.extra,
  };
}

export interface Sent {
  bulkId: string;
  messageId: string;
  destination: string;
  before: number;
  after: number;
}

/** Sends one message, asserts the 200 answer in the spec's shape, and returns what identifies it. */
export async function send(g: TestGateway, m: MessageSpec, request: Record<string, unknown> = {}): Promise<Sent> {
  const before = Date.now();
  const r = await g.api('POST', '/messages-api/1/messages', { messages: [message(m)], ...request });
  const after = Date.now();
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body), ['bulkId', 'messages']);
  const [answered] = r.body.messages;
  assert.deepEqual(Object.keys(answered), ['messageId', 'status', 'destination']);
  return { bulkId: r.body.bulkId, messageId: answered.messageId, destination: answered.destination, before, after };
}

/** A notification profile (on its own security setting) and a subscription to `events` of `channel`; returns the subscription id. */
export async function subscribe(g: TestGateway, url: string, channel: string, events: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const ok = async (path: string, body: unknown) => {
    const r = await g.api('POST', path, body);
    assert.ok(r.status >= 200 && r.status < 300, `POST ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  };
  const authId = uniq('auth');
  await ok('/subscriptions/1/security', { authId, type: 'BASIC', credentials: { username: 'hook', password: 'hook-secret' } });
  const profileId = uniq('prof');
  await ok('/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: url }, security: { authId } });
  const subscriptionId = uniq('sub');
  await ok(`/subscriptions/1/subscription/${channel}`, { subscriptionId, events, profile: { profileId }, ...extra });
  return subscriptionId;
}

/** A Swiss number (mccMnc 22801) unlikely to repeat in a run: `4179`, six random digits, then the simulator's magic suffix. */
export const numberEnding = (suffix: string) => `4179${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}${suffix}`;

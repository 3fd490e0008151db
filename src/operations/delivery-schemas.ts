/**
 * Request schemas of the attempt log and replay routes. Fastify validates requests with them and
 * the OpenAPI document (src/http/openapi.ts) is generated from them, descriptions included.
 */
import { Type, type Static } from '@sinclair/typebox';
import { targetFields } from './account-targets.ts';
import { timeField } from './time-param.ts';

export const DELIVERY_STATES = ['PENDING', 'RETRYING', 'DELIVERED', 'DROPPED'] as const;
/** What an attempt came to: delivered (a 2xx), or the class of its failure (webhooks/http-sender.ts ErrorClass). */
export const OUTCOMES = ['delivered', 'dns', 'connect', 'timeout', 'tls', 'reset', 'http-status', 'blocked'] as const;
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1_000;

const STATE = `(${DELIVERY_STATES.join('|')})`;
const Outcome = Type.Optional(
  Type.Unsafe<(typeof OUTCOMES)[number]>({
    type: 'string',
    enum: [...OUTCOMES],
    description: 'Only attempts with this outcome: delivered (a 2xx answer) or the class of the failure (dns, connect, timeout, tls, reset, http-status, blocked).',
  }),
);
const time = (what: string) => Type.Optional(timeField(what));

/** Filters both lists share: what the deliveries carried, where they went, and paging; `which` names what is listed. */
const common = (which: string) => ({
  accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: "Operators only: another account's log (default: the caller's account)." })),
  messageId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: `${which} that carried an event of this message (its report, inbound message or click).` })),
  bulkId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: `${which} that carried an event of a message of this bulk.` })),
  // Where they went: the same `url`/`profileId` pair every target-naming request takes.
  ...targetFields,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `Most results in one page (default ${DEFAULT_LIMIT}).` })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The `nextCursor` of the previous page; absent for the first page (newest first).' })),
});
const deliveryCommon = common('Deliveries');
const attemptCommon = common('Attempts of deliveries');

export const DeliveryQuery = Type.Object({
  ...deliveryCommon,
  state: Type.Optional(
    Type.Array(Type.String({ pattern: `^${STATE}(,${STATE})*$` }), {
      maxItems: DELIVERY_STATES.length,
      description: 'Only deliveries in these states (PENDING, RETRYING, DELIVERED, DROPPED): repeat the parameter or give a comma-separated list.',
    }),
  ),
  from: time('Deliveries created at or after this time.'),
  to: time('Deliveries created before this time.'),
});
export type DeliveryQuery = Static<typeof DeliveryQuery>;

export const AttemptQuery = Type.Object({
  ...attemptCommon,
  deliveryId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Attempts of this delivery (its `webhook-id`).' })),
  outcome: Outcome,
  from: time('Attempts started at or after this time.'),
  to: time('Attempts started before this time.'),
});
export type AttemptQuery = Static<typeof AttemptQuery>;

/** `GET /deliveries/{deliveryId}/attempts`: the delivery (and so the account) is in the path. */
export const DeliveryAttemptQuery = Type.Object({
  outcome: Outcome,
  from: time('Attempts started at or after this time.'),
  to: time('Attempts started before this time.'),
  limit: attemptCommon.limit,
  cursor: attemptCommon.cursor,
});
export type DeliveryAttemptQuery = Static<typeof DeliveryAttemptQuery>;

export const DeliveryParams = Type.Object({
  deliveryId: Type.String({ minLength: 1, maxLength: 255, description: 'The delivery id: the `webhook-id` header of its requests.' }),
});
export type DeliveryParams = Static<typeof DeliveryParams>;

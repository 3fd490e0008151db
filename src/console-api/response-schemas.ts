/**
 * Response schemas of the console's APIs (`response: { 200: … }`): they document the result shapes
 * in /openapi.json and Fastify serialises with them. Serialising with a schema drops any property
 * it does not name and fails on a missing required one, so each schema lists every field its view
 * (me-route.ts, message-views.ts, stats-routes.ts) returns, in the order it returns them; nullable
 * fields are `anyOf [T, null]` (@fastify/swagger writes them as OpenAPI 3.0 `nullable`).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { ApiFamily, EngagementEvent } from '../store/schema.ts';

const Nullable = <T extends TSchema>(schema: T, description?: string) => Type.Union([schema, Type.Null()], description === undefined ? {} : { description });
const StringEnum = <const V extends string>(values: readonly V[], description: string) => Type.Unsafe<V>({ type: 'string', enum: [...values], description });
const Time = (description: string) => Type.String({ description: `${description} (Infobip's date-time format, e.g. 2026-01-01T00:00:00.000+0000).` });

const API_FAMILIES: readonly ApiFamily[] = ['sms-v2', 'sms-v3', 'messages-api', 'whatsapp', 'email'];
const ENGAGEMENTS: readonly EngagementEvent[] = ['SEEN', 'OPEN', 'CLICK', 'COMPLAINT'];

/** messaging/status-catalogue.ts statusObject. */
const Status = Type.Object(
  {
    groupId: Type.Integer(),
    groupName: Type.String(),
    id: Type.Integer(),
    name: Type.String(),
    description: Type.String(),
    action: Type.Optional(Type.String()),
  },
  { description: 'A status of the status catalogue, as in the v3 reports.' },
);

/** messaging/status-catalogue.ts errorObject, v3 flavour. */
const ErrorObject = Type.Object(
  {
    groupId: Type.Integer(),
    groupName: Type.String(),
    id: Type.Integer(),
    name: Type.String(),
    description: Type.String(),
    permanent: Type.Boolean(),
  },
  { description: 'An error of the status catalogue, as in the v3 reports.' },
);

export const MeResponse = Type.Object({
  accountId: Type.String(),
  username: Nullable(Type.String(), "The signed-in user or the API key's owner; null for a bootstrap key."),
  scheme: StringEnum(['app', 'basic', 'ibsso', 'bearer'], 'How the caller authenticated.'),
  scopes: Type.Array(Type.String(), { description: 'Sorted; `*` is every scope.' }),
  operator: Type.Boolean({ description: "The default account's admin, who may pass `accountId` to look into other accounts." }),
}, { description: 'The caller.' });

/** message-views.ts messageSummaryView. */
const summaryFields = {
  messageId: Type.String(),
  bulkId: Type.String(),
  channel: Type.String({ description: 'The channel the message is on now (a failover moves it to its next channel).' }),
  api: StringEnum(API_FAMILIES, 'The API family the message was sent with.'),
  from: Nullable(Type.String()),
  to: Type.String(),
  text: Type.String({ description: 'The first 160 characters of the text.' }),
  messageCount: Type.Integer(),
  status: Status,
  error: ErrorObject,
  createdAt: Time('When the message was accepted'),
  sentAt: Nullable(Time('When the message was handed to the network')),
  doneAt: Nullable(Time('When its final report came')),
  callbackData: Nullable(Type.String()),
};

export const MessageListResponse = Type.Object({
  results: Type.Array(Type.Object(summaryFields)),
  nextCursor: Nullable(Type.String(), 'Pass as `cursor` for the next page; null on the last page.'),
}, { description: 'One page of messages, newest first.' });

const Price = Type.Object({ pricePerMessage: Type.Number(), currency: Type.String() });

/** message-views.ts TimelineEntry. */
const TimelineEntry = Type.Object({
  at: Time('When it happened'),
  kind: StringEnum(['ACCEPTED', 'REPORT', ...ENGAGEMENTS], 'ACCEPTED (the message), REPORT (a delivery report), or what a person did with it.'),
  final: Type.Boolean(),
  channel: Type.String(),
  status: Nullable(Status),
  error: Nullable(ErrorObject),
  price: Nullable(Price),
  failoverStep: Type.Boolean(),
  url: Nullable(Type.String(), 'CLICK: the link opened.'),
});

export const MessageDetailResponse = Type.Object({
  message: Type.Object({
    ...summaryFields,
    notifyUrl: Nullable(Type.String()),
    validityPeriodMs: Type.Integer(),
  }),
  timeline: Type.Array(TimelineEntry, { description: 'Oldest first.' }),
}, { description: 'The message and its timeline.' });

/** webhooks/targets.ts targetView. */
const Target = Type.Union([Type.Object({ url: Type.String() }), Type.Object({ profileId: Type.String() })], {
  description: "A webhook URL, or a notification profile's target.",
});

export const StatsResponse = Type.Object({
  from: Time('The window starts at this time'),
  to: Time('The window ends before this time'),
  bucketMs: Type.Number({ description: 'The mean length of a bucket, (to − from) / the number of buckets; bucket i starts at from + floor(i × (to − from) / buckets).' }),
  reports: Type.Array(
    Type.Object({
      at: Time('The bucket starts at this time'),
      delivered: Type.Integer(),
      failed: Type.Integer({ description: 'UNDELIVERABLE, EXPIRED or REJECTED.' }),
      other: Type.Integer(),
    }),
  ),
  targets: Type.Array(
    Type.Object({
      target: Target,
      attempts: Type.Integer(),
      succeeded: Type.Integer({ description: 'Attempts answered with a 2xx.' }),
      successRate: Type.Number({ minimum: 0, maximum: 1 }),
      p50Ms: Nullable(Type.Number()),
      p90Ms: Nullable(Type.Number()),
      p99Ms: Nullable(Type.Number()),
    }),
  ),
}, { description: "The window's numbers." });

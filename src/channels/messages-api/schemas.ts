/**
 * Request schemas of the Messages API (infobip-messages-api-openapi.json: MessagesApiRequest and
 * the query parameters of its pull endpoints), field names as in the spec. Unknown fields are
 * tolerated, as Infobip does.
 *
 * The spec's `oneOf`s are flattened on purpose: a destination is one object with `to` or
 * `byChannel`, and a content body one object with `type` and every type's fields. An Ajv union
 * would answer a wrong body with one violation per alternative; outbound.ts and content.ts check
 * which fields the chosen alternative needs and name exactly the one that is wrong.
 */
import { Type as T, type Static } from '@sinclair/typebox';
import { InboxQuery } from '../../inbound/inbox-routes.ts';
import { Enum } from '../../lib/schema-enum.ts';
import { MAX_DESTINATIONS_PER_REQUEST } from '../../messaging/outbound.ts';
import { PullQuery } from '../../messaging/pull-reports.ts';
import { DeliveryTimeWindow, SpeedLimit, UrlOptions } from '../../messaging/sms-schemas.ts';

/** OutboundMessageChannel: every channel the spec can send on (Hookline sends on four, see outbound.ts). */
export const SPEC_CHANNELS = ['APPLE_MB', 'INSTAGRAM_DM', 'LINE_ON', 'MESSENGER', 'MMS', 'RCS', 'SMS', 'VIBER_BM', 'VIBER_BOT', 'WHATSAPP'] as const;
/** MessagesApiMessageBodyType */
export const BODY_TYPES = [
  'TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'RICH_LINK', 'AUTHENTICATION_REQUEST', 'LIST', 'CAROUSEL', 'LOCATION', 'CONTACT',
  'STICKER', 'PRODUCT', 'MIXED', 'FLOW', 'TIME_PICKER', 'ORDER_REQUEST', 'ORDER_STATUS', 'FORM',
] as const;
/** MessagesApiMessageButtonType */
export const BUTTON_TYPES = ['REPLY', 'OPEN_URL', 'DIAL_PHONE', 'SHOW_LOCATION', 'REQUEST_LOCATION', 'ADD_CALENDAR_EVENT'] as const;

const Channel = Enum(SPEC_CHANNELS);
const Str = (max?: number) => T.String(max ? { maxLength: max } : {});
const MessageId = T.String({ maxLength: 200 });
/** The most buttons any of the four channels shows: RCS's 11 suggestions (WhatsApp shows 3, Viber 1). */
const MAX_BUTTONS = 11;

const ValidityPeriod = T.Object({ amount: T.Integer({ minimum: 1 }), timeUnit: T.Optional(Enum(['SECONDS', 'MINUTES', 'HOURS'])) });

/**
 * MessageDestination: MessagesApiToDestination or MessagesApiChannelsDestination (one of `to`,
 * `byChannel`). The spec gives `to` no length limit (an Apple Messages for Business address is a
 * long URN); 255 holds any address of any channel: intake rejects a bad number per destination, and
 * a channel Hookline lacks is named as such. `byChannel` has room for one entry per channel of the spec.
 */
const Address = Str(255);
const Destination = T.Object({
  to: T.Optional(Address),
  messageId: T.Optional(MessageId),
  byChannel: T.Optional(T.Array(T.Object({ channel: Channel, to: Address, messageId: T.Optional(MessageId) }), { minItems: 1, maxItems: SPEC_CHANNELS.length })),
});

/**
 * MessagesApiMessageBody: `type` plus that type's fields (checked per type in content.ts, which
 * also bounds every string and array of the content, the spec declaring almost no limits).
 */
const Body = T.Object({ type: Enum(BODY_TYPES), text: T.Optional(T.String()), url: T.Optional(T.String()) });
const Content = T.Object({
  header: T.Optional(T.Object({ type: Enum(['TEXT']), text: T.String() })),
  body: Body,
  buttons: T.Optional(T.Array(T.Object({ type: Enum(BUTTON_TYPES) }), { maxItems: MAX_BUTTONS })),
  footer: T.Optional(T.Object({ text: T.String() })),
  confirmationBody: T.Optional(T.Object({ text: T.String(), description: T.Optional(T.String()), imageUrl: T.Optional(T.String()) })),
  senderDisplayInfo: T.Optional(T.Object({ name: T.Optional(Str(28)), avatarUrl: T.Optional(T.String()) })),
});
export type MessagesApiContent = Static<typeof Content>;

const MessageOptions = T.Object({
  platform: T.Optional(T.Object({ entityId: T.Optional(Str(255)), applicationId: T.Optional(Str(255)) })),
  validityPeriod: T.Optional(ValidityPeriod),
  deliveryTimeWindow: T.Optional(DeliveryTimeWindow),
  adaptationMode: T.Optional(T.Boolean()),
  regional: T.Optional(T.Object({})),
  campaignReferenceId: T.Optional(Str(255)),
  transliteration: T.Optional(
    Enum(['NONE', 'TURKISH', 'GREEK', 'CYRILLIC', 'SERBIAN_CYRILLIC', 'CENTRAL_EUROPEAN', 'BALTIC', 'NON_UNICODE', 'PORTUGUESE', 'COLOMBIAN', 'BULGARIAN_CYRILLIC', 'ALL']),
  ),
  correlationData: T.Optional(T.String({ minLength: 1, maxLength: 100 })),
  trafficType: T.Optional(Enum(['PROMOTIONAL', 'TRANSACTIONAL'])),
  sessionRate: T.Optional(T.Boolean()),
  primaryDevice: T.Optional(T.Boolean()),
});

const Webhooks = T.Object({
  delivery: T.Optional(
    T.Object({ url: T.Optional(Str(2048)), intermediateReport: T.Optional(T.Boolean()), receiveTriggeredFailoverReports: T.Optional(T.Boolean()) }),
  ),
  contentType: T.Optional(Enum(['application/json', 'application/xml'])),
  callbackData: T.Optional(Str(4000)),
  seen: T.Optional(T.Object({ url: T.Optional(Str(2048)) })),
});

/** MessagesApiFailover (a template failover, with `template`, is refused in outbound.ts). */
const Failover = T.Object({
  channel: Channel,
  sender: T.Optional(Str(64)),
  content: T.Optional(Content),
  template: T.Optional(T.Object({})),
  validityPeriod: T.Optional(ValidityPeriod),
});

export const MessagesApiMessage = T.Object({
  channel: Channel,
  sender: T.Optional(Str(64)),
  destinations: T.Array(Destination, { minItems: 1 }),
  /** Required unless `template` is given; a template message (MessagesApiTemplateMessage) is refused in outbound.ts. */
  content: T.Optional(Content),
  template: T.Optional(T.Object({ templateName: T.String() })),
  options: T.Optional(MessageOptions),
  webhooks: T.Optional(Webhooks),
  /** Each step on another channel than the message's and the steps before it. */
  failover: T.Optional(T.Array(Failover, { minItems: 1, maxItems: SPEC_CHANNELS.length - 1 })),
});
export type MessagesApiMessage = Static<typeof MessagesApiMessage>;

/** `POST /messages-api/1/messages` */
export const MessagesApiRequest = T.Object({
  /** Every message has a destination: no more messages than destinations a request may have. */
  messages: T.Array(MessagesApiMessage, { minItems: 1, maxItems: MAX_DESTINATIONS_PER_REQUEST }),
  options: T.Optional(
    T.Object({
      schedule: T.Optional(T.Object({ bulkId: T.Optional(Str(100)), sendAt: T.Optional(T.String()), sendingSpeedLimit: T.Optional(SpeedLimit) })),
      tracking: T.Optional(UrlOptions),
      messageOrdering: T.Optional(T.Object({ respectOrder: T.Optional(T.Boolean()), stopOnFailure: T.Optional(T.Boolean()) })),
    }),
  ),
});
export type MessagesApiRequest = Static<typeof MessagesApiRequest>;

/** `GET /messages-api/1/reports`: the SMS pull's filters, and the report's channel. */
export const ReportsQuery = T.Composite([PullQuery, T.Object({ channel: T.Optional(Channel) })]);
export type ReportsQuery = Static<typeof ReportsQuery>;

/**
 * `GET /messages-api/1/inbound`: the spec requires `channel` (InboundMoGetEndpointChannel). RCS is
 * accepted as well, though the spec's enum lacks it: Hookline's simulated RCS replies go to this
 * inbox, and a sandbox that could not pull them would be useless for RCS.
 */
export const InboundQuery = T.Composite([InboxQuery, T.Object({ channel: Enum(['APPLE_MB', 'MESSENGER', 'MMS', 'SMS', 'VIBER_BM', 'WHATSAPP', 'RCS']) })]);
export type InboundQuery = Static<typeof InboundQuery>;

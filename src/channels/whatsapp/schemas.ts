/**
 * Request schemas of the WhatsApp API (infobip-whatsapp-openapi.json: `TextMessage`,
 * `BulkMessage` of `FailoverMessage`), field names and limits as the spec has them. Unknown fields
 * are tolerated, as Infobip does: the official SDK posts its endpoint selector `type` ('text',
 * 'template') in the body too.
 *
 * Template headers and buttons are discriminated by `type` in the spec. They are one object each
 * here, with every variant's fields optional and typed; which fields a given `type` needs is
 * checked in outbound.ts, so a missing one is one violation on its own path rather than a
 * union's pile of "must match a schema in anyOf".
 */
import { Type as T, type Static } from '@sinclair/typebox';
import { Enum } from '../../lib/schema-enum.ts';
import { MAX_DESTINATIONS_PER_REQUEST } from '../../messaging/outbound.ts';
import { UrlOptions } from '../../messaging/sms-schemas.ts';

const Str = (minLength: number, maxLength: number) => T.String({ minLength, maxLength });

/** The SDK's `message.type`; it picks the endpoint and is posted in the body too. Ignored. */
const SdkType = T.Optional(T.String({ description: "The official SDK's endpoint selector ('text', 'template'); ignored." }));

const Context = T.Object({ replyToMessageId: T.String() });

/** What both send endpoints have per message, besides content. */
const MessageFields = {
  from: Str(1, 24),
  to: Str(1, 150),
  messageId: T.Optional(Str(0, 200)),
  callbackData: T.Optional(Str(0, 4000)),
  notifyUrl: T.Optional(Str(0, 2048)),
  urlOptions: T.Optional(UrlOptions),
  entityId: T.Optional(Str(0, 255)),
  applicationId: T.Optional(Str(0, 255)),
  context: T.Optional(Context),
};

/** `POST /whatsapp/1/message/text` */
export const TextMessage = T.Object({
  ...MessageFields,
  content: T.Object({ text: Str(1, 4096), previewUrl: T.Optional(T.Boolean()) }),
  type: SdkType,
});
export type TextMessage = Static<typeof TextMessage>;

export const HEADER_TYPES = ['TEXT', 'DOCUMENT', 'IMAGE', 'VIDEO', 'GIF', 'LOCATION'] as const;
export const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'COPY_CODE', 'FLOW', 'CATALOG', 'MULTI_PRODUCT', 'ORDER_DETAILS', 'VOICE_CALL'] as const;

const TemplateHeader = T.Object({
  type: Enum(HEADER_TYPES),
  placeholder: T.Optional(T.String()),
  mediaUrl: T.Optional(Str(1, 2048)),
  filename: T.Optional(Str(1, 240)),
  latitude: T.Optional(T.Number({ minimum: -90, maximum: 90 })),
  longitude: T.Optional(T.Number({ minimum: -180, maximum: 180 })),
});
export type TemplateHeader = Static<typeof TemplateHeader>;

const TemplateButton = T.Object({ type: Enum(BUTTON_TYPES), parameter: T.Optional(T.String()) });

const TemplateContent = T.Object({
  templateName: Str(1, 512),
  templateData: T.Object({
    body: T.Object({ placeholders: T.Array(T.String({ minLength: 1 })) }),
    header: T.Optional(TemplateHeader),
    buttons: T.Optional(T.Array(TemplateButton, { maxItems: 10 })),
    carousel: T.Optional(T.Object({})),
    limitedTimeOffer: T.Optional(T.Object({})),
    orderStatus: T.Optional(T.Object({})),
  }),
  language: T.String(),
});
export type TemplateContent = Static<typeof TemplateContent>;

/** `POST /whatsapp/1/message/template` */
export const TemplateRequest = T.Object({
  messages: T.Array(
    T.Object({
      ...MessageFields,
      content: TemplateContent,
      smsFailover: T.Optional(T.Object({ from: Str(1, 24), text: Str(1, 4096) })),
    }),
    { minItems: 1, maxItems: MAX_DESTINATIONS_PER_REQUEST },
  ),
  bulkId: T.Optional(Str(0, 100)),
  type: SdkType,
});
export type TemplateRequest = Static<typeof TemplateRequest>;

/** `POST /whatsapp/1/senders/{sender}/message/{messageId}/read` */
export const ReadParams = T.Object({ sender: T.String({ minLength: 1 }), messageId: T.String({ minLength: 1 }) });
export type ReadParams = Static<typeof ReadParams>;

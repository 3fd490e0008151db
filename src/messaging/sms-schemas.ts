/**
 * Request schemas for the SMS API, field names as in Infobip's OpenAPI spec. Unknown fields are
 * tolerated (Infobip ignores them); the structural rules here become 400s with violations.
 * Per-destination problems (bad numbers, duplicates, too long) are NOT schema errors: Infobip
 * answers those per destination with a REJECTED status, so intake handles them.
 */
import { Type as T, type Static } from '@sinclair/typebox';
import { Enum } from '../lib/schema-enum.ts';

const Str = (max?: number) => T.String(max ? { maxLength: max } : {});
const Days = T.Array(Enum(['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY']), { minItems: 1 });
const Time = T.Object({ hour: T.Integer({ minimum: 0, maximum: 23 }), minute: T.Integer({ minimum: 0, maximum: 59 }) });
export const DeliveryTimeWindow = T.Object({ days: Days, from: T.Optional(Time), to: T.Optional(Time) });
export const SpeedLimit = T.Object({ amount: T.Integer({ minimum: 1 }), timeUnit: T.Optional(Enum(['MINUTE', 'HOUR', 'DAY'])) });
/** URL shortening and click tracking (UrlOptions), the same object in every API that sends text. */
export const UrlOptions = T.Object({
  shortenUrl: T.Optional(T.Boolean()),
  trackClicks: T.Optional(T.Boolean()),
  trackingUrl: T.Optional(Str(2048)),
  removeProtocol: T.Optional(T.Boolean()),
  customDomain: T.Optional(Str(255)),
});
const ContentType = Enum(['application/json', 'application/xml']);

const V2MessageFields = {
  from: T.Optional(Str(64)),
  destinations: T.Array(T.Object({ to: Str(64), messageId: T.Optional(T.String()) }), { minItems: 1 }),
  flash: T.Optional(T.Boolean()),
  notifyUrl: T.Optional(Str(2048)),
  notifyContentType: T.Optional(ContentType),
  callbackData: T.Optional(Str(4000)),
  intermediateReport: T.Optional(T.Boolean()),
  validityPeriod: T.Optional(T.Integer({ minimum: 1 })),
  sendAt: T.Optional(T.String()),
  deliveryTimeWindow: T.Optional(DeliveryTimeWindow),
  regional: T.Optional(T.Object({})),
  entityId: T.Optional(Str(50)),
  applicationId: T.Optional(Str(50)),
  campaignReferenceId: T.Optional(Str(255)),
};
const V2RequestFields = {
  bulkId: T.Optional(T.String()),
  sendingSpeedLimit: T.Optional(SpeedLimit),
  urlOptions: T.Optional(UrlOptions),
  tracking: T.Optional(T.Object({})),
  includeSmsCountInResponse: T.Optional(T.Boolean()),
};
const BinaryContent = T.Object({
  hex: T.String({ pattern: '^[0-9a-fA-F ]*$' }),
  dataCoding: T.Optional(T.Integer()),
  esmClass: T.Optional(T.Integer()),
});

/** `POST /sms/2/text/advanced` */
export const V2Request = T.Object({
  ...V2RequestFields,
  messages: T.Array(
    T.Object({
      ...V2MessageFields,
      text: T.Optional(T.String()),
      language: T.Optional(T.Object({ languageCode: T.Optional(T.String()) })),
      transliteration: T.Optional(T.String()),
    }),
    { minItems: 1 },
  ),
});
/** `POST /sms/2/binary/advanced` */
export const V2BinaryRequest = T.Object({
  ...V2RequestFields,
  messages: T.Array(T.Object({ ...V2MessageFields, binary: BinaryContent }), { minItems: 1 }),
});
export type V2BinaryRequest = Static<typeof V2BinaryRequest>;
export type V2Request = Static<typeof V2Request>;

const TextContent = T.Object({
  text: T.String(),
  transliteration: T.Optional(T.String()),
  language: T.Optional(T.Object({ languageCode: T.Optional(T.String()), singleShift: T.Optional(T.Boolean()), lockingShift: T.Optional(T.Boolean()) })),
});
export const V3Request = T.Object({
  messages: T.Array(
    T.Object({
      sender: T.Optional(Str(64)),
      destinations: T.Array(T.Object({ to: Str(64), messageId: T.Optional(T.String()), networkId: T.Optional(T.Integer()) }), { minItems: 1 }),
      content: T.Union([TextContent, BinaryContent]),
      options: T.Optional(
        T.Object({
          platform: T.Optional(T.Object({ entityId: T.Optional(Str(255)), applicationId: T.Optional(Str(255)) })),
          validityPeriod: T.Optional(
            T.Object({ amount: T.Integer({ minimum: 1 }), timeUnit: T.Optional(Enum(['SECONDS', 'MINUTES', 'HOURS'])) }),
          ),
          deliveryTimeWindow: T.Optional(DeliveryTimeWindow),
          campaignReferenceId: T.Optional(Str(255)),
          regional: T.Optional(T.Object({})),
          flash: T.Optional(T.Boolean()),
        }),
      ),
      webhooks: T.Optional(
        T.Object({
          delivery: T.Optional(T.Object({ url: T.Optional(Str(2048)), intermediateReport: T.Optional(T.Boolean()), notify: T.Optional(T.Boolean()) })),
          contentType: T.Optional(ContentType),
          callbackData: T.Optional(Str(4000)),
        }),
      ),
    }),
    { minItems: 1 },
  ),
  options: T.Optional(
    T.Object({
      schedule: T.Optional(T.Object({ bulkId: T.Optional(T.String()), sendAt: T.Optional(T.String()), sendingSpeedLimit: T.Optional(SpeedLimit) })),
      tracking: T.Optional(UrlOptions),
      includeSmsCountInResponse: T.Optional(T.Boolean()),
      conversionTracking: T.Optional(T.Object({ useConversionTracking: T.Optional(T.Boolean()), conversionTrackingName: T.Optional(T.String()) })),
    }),
  ),
});
export type V3Request = Static<typeof V3Request>;

export const PreviewRequest = T.Object({
  text: T.String(),
  languageCode: T.Optional(T.String({ pattern: '^(TR|ES|PT|AUTODETECT)$' })),
  transliteration: T.Optional(T.String()),
});
export type PreviewRequest = Static<typeof PreviewRequest>;

/**
 * What the Messages API, WhatsApp and Email webhook bodies must hold, written down from the specs
 * (infobip-messages-api-openapi.json, infobip-whatsapp-openapi.json, infobip-email-openapi.json) so these checks run where the
 * specs are not beside the checkout too; the full schema checks (spec-schema.ts) run in addition
 * where they are, and are skipped where they are not.
 *
 * Per item: the fields the schema requires (for WhatsApp's reports, whose schemas require none,
 * every field of the spec's example), the integers (the Messages API's mccMnc is one, unlike
 * SMS's), and the date-times in Infobip's format.
 */
interface ItemRules {
  required: string[];
  integers: string[];
  times: string[];
  /** The body is this one item, not `{results: [items]}` (the email tracking webhook). */
  single?: true;
  /** Every field the schema names, where it is known: an item may carry no other. */
  fields?: string[];
}

const STATUS_FIELDS = ['groupId', 'groupName', 'id', 'name', 'description'];

export const KNOWN_ITEMS: Record<string, ItemRules> = {
  'receive-messages-api-delivery-reports': {
    required: ['bulkId', 'channel', 'destination', 'doneAt', 'error', 'event', 'messageCount', 'messageId', 'sender', 'sentAt', 'status'],
    integers: ['messageCount', 'mccMnc'],
    times: ['sentAt', 'doneAt'],
  },
  'receive-messages-api-seen-reports': {
    required: ['bulkId', 'channel', 'destination', 'event', 'messageId', 'seenAt', 'sender', 'sentAt'],
    integers: [],
    times: ['sentAt', 'seenAt'],
  },
  'receive-messages-api-incoming-messages': {
    required: ['channel', 'content', 'destination', 'event', 'messageCount', 'messageId', 'receivedAt', 'sender'],
    integers: ['messageCount'],
    times: ['receivedAt'],
  },
  'receive-whatsapp-delivery-reports': {
    required: ['bulkId', 'price', 'status', 'error', 'messageId', 'doneAt', 'messageCount', 'sentAt', 'to'],
    integers: ['messageCount'],
    times: ['sentAt', 'doneAt'],
  },
  // The email schemas require nothing: `required` is what Hookline always sends of the spec's examples.
  'receive-email-delivery-reports': {
    required: ['bulkId', 'price', 'status', 'error', 'messageId', 'doneAt', 'smsCount', 'sentAt', 'to'],
    integers: ['smsCount', 'timeToFirstAttempt'],
    times: ['sentAt', 'doneAt'],
    fields: ['entityId', 'applicationId', 'campaignReferenceId', 'bulkId', 'price', 'status', 'error', 'messageId', 'doneAt', 'smsCount', 'sentAt', 'attemptCount', 'timeToFirstAttempt', 'browserLink', 'sendingIp', 'smtp', 'callbackData', 'to'],
  },
  /** Not a webhook: the items of `GET /email/1/reports` (schema ApiReport). */
  'email-pull-reports': {
    required: ['bulkId', 'messageId', 'to', 'sentAt', 'doneAt', 'messageCount', 'price', 'status', 'error'],
    integers: ['messageCount', 'timeToFirstAttempt'],
    times: ['sentAt', 'doneAt'],
    fields: ['applicationId', 'entityId', 'bulkId', 'messageId', 'to', 'sentAt', 'doneAt', 'messageCount', 'attemptCount', 'timeToFirstAttempt', 'price', 'status', 'error'],
  },
  'receive-email-tracking-reports': {
    single: true,
    required: ['notificationType', 'eventId', 'recipient', 'sendDateTime', 'messageId', 'bulkId'],
    integers: ['sendDateTime'],
    times: [],
    fields: ['notificationType', 'eventId', 'domain', 'recipient', 'sender', 'url', 'sendDateTime', 'messageId', 'bulkId', 'callbackData', 'recipientInfo', 'geoLocation', 'campaignReferenceId', 'entityId', 'applicationId'],
  },
  'receive-whatsapp-seen-reports': { required: ['messageId', 'from', 'to', 'sentAt', 'seenAt'], integers: [], times: ['sentAt', 'seenAt'] },
  'receive-inbound-whatsapp-messages': {
    required: ['contact', 'from', 'integrationType', 'message', 'messageId', 'price', 'receivedAt', 'to'],
    integers: [],
    times: ['receivedAt'],
  },
};

/** Infobip's `yyyy-MM-dd'T'HH:mm:ss.SSSZ`. */
const INFOBIP_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$/;

/** Every problem of a webhook body against what is known of its items, each as "path: what" (empty: none). */
export function knownProblems(webhook: string, body: any): string[] {
  const rules = KNOWN_ITEMS[webhook];
  if (!rules) throw new Error(`no known shape for ${webhook}`);
  const items = rules.single ? [body] : body?.results;
  if (!Array.isArray(items)) return ['$.results: must be an array'];
  return items.flatMap((item: Record<string, unknown>, i: number) => {
    const at = rules.single ? '$' : `$.results[${i}]`;
    const problems = rules.required.filter((f) => item[f] === undefined || item[f] === null).map((f) => `${at}.${f}: required`);
    if (rules.fields) for (const f of Object.keys(item)) if (!rules.fields.includes(f)) problems.push(`${at}.${f}: not a field of the spec's schema`);
    for (const f of rules.integers) if (item[f] !== undefined && !Number.isInteger(item[f])) problems.push(`${at}.${f}: must be integer, is ${JSON.stringify(item[f])}`);
    for (const f of rules.times) if (item[f] !== undefined && !INFOBIP_TIME.test(String(item[f]))) problems.push(`${at}.${f}: not an Infobip date-time: ${String(item[f])}`);
    for (const f of ['status', 'error']) {
      const object = item[f] as Record<string, unknown> | undefined;
      if (object !== undefined) for (const field of STATUS_FIELDS) if (object[field] === undefined) problems.push(`${at}.${f}.${field}: required`);
    }
    return problems;
  });
}

/**
 * A Messages API message's `content`: each body and button type's required fields, checked as
 * the spec's discriminated schemas (MessagesApiMessage<Type>Body, MessagesApiMessage<Type>Button)
 * declare them, and the plain text a message carries.
 *
 * Only the top level of each type is checked (a CAROUSEL's `cards` must be an array, not what a
 * card holds): Hookline stores rich content and hands it to the simulated network, which shows
 * nobody anything, so a deeper check would refuse requests for no observable gain. What is stored
 * is bounded all the same, at every depth (`checkBounds`): the spec sets almost no limits, and
 * the content is copied into every destination's row.
 *
 * The text a channel shows is capped per channel, at the limit Infobip documents for it; SMS text
 * is left to intake, which refuses an over-long SMS per destination as the SMS APIs do.
 */
import type { Violation } from '../../http/errors.ts';
import { CHANNEL } from '../../messaging/channels.ts';
import type { MessagesApiContent } from './schemas.ts';

type Kind = 'string' | 'number' | 'array' | 'object';
type Fields = Record<string, Kind>;

/** Per body type: its required fields other than `type`. */
const BODY_REQUIRED: Record<string, Fields> = {
  TEXT: { text: 'string' },
  IMAGE: { url: 'string' },
  VIDEO: { url: 'string' },
  DOCUMENT: { url: 'string' },
  RICH_LINK: { redirectUrl: 'string', text: 'string', url: 'string' },
  AUTHENTICATION_REQUEST: { text: 'string' },
  LIST: { sections: 'array', text: 'string' },
  CAROUSEL: { cards: 'array' },
  LOCATION: { latitude: 'number', longitude: 'number' },
  CONTACT: { name: 'string', phoneNumber: 'string' },
  STICKER: { reference: 'string' },
  PRODUCT: { catalogId: 'string', sections: 'array' },
  MIXED: { items: 'array' },
  FLOW: { action: 'object', buttonText: 'string', id: 'string', text: 'string', token: 'string' },
  TIME_PICKER: { event: 'object', text: 'string' },
  ORDER_REQUEST: { payment: 'object', text: 'string' },
  ORDER_STATUS: { id: 'string', orderStatus: 'string', orderType: 'string' },
  FORM: { pages: 'array', startPageIdentifier: 'string', text: 'string' },
};

/** Per button type: its required fields other than `type`. */
const BUTTON_REQUIRED: Record<string, Fields> = {
  REPLY: { text: 'string' },
  OPEN_URL: { text: 'string', url: 'string' },
  DIAL_PHONE: { phoneNumber: 'string', text: 'string' },
  SHOW_LOCATION: { latitude: 'number', longitude: 'number', text: 'string' },
  REQUEST_LOCATION: {},
  ADD_CALENDAR_EVENT: { endTime: 'string', startTime: 'string', text: 'string', title: 'string' },
};

/** Ranges the spec puts on coordinates (bodies and buttons alike). */
const RANGES: Record<string, [number, number]> = { latitude: [-90, 90], longitude: [-180, 180] };
const PHONE = /^\+?[0-9]\d{1,14}$/;

function kindOf(value: unknown): Kind | 'other' {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'other';
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'object' ? t : 'other';
}

function checkFields(value: Record<string, unknown>, fields: Fields, path: string, violations: Violation[]): void {
  for (const [field, kind] of Object.entries(fields)) {
    const property = `${path}.${field}`;
    if (value[field] === undefined) violations.push({ property, violation: `is required for type ${String(value.type)}` });
    else if (kindOf(value[field]) !== kind) violations.push({ property, violation: `must be ${kind === 'array' || kind === 'object' ? 'an' : 'a'} ${kind}` });
    // A required text, URL or id that is blank says nothing (WhatsApp's own API refuses a blank text alike).
    else if (kind === 'string' && (value[field] as string).trim() === '') violations.push({ property, violation: 'must not be blank' });
  }
  for (const [field, [min, max]] of Object.entries(RANGES)) {
    const n = value[field];
    if (typeof n === 'number' && (n < min || n > max)) violations.push({ property: `${path}.${field}`, violation: `must be between ${min} and ${max}` });
  }
}

/**
 * Most text each chat channel shows (Infobip's documentation: WhatsApp's own API 4096, Viber
 * Business Messages 1000, RCS 3072 characters); the largest of them bounds every other string.
 */
const TEXT_LIMITS: Readonly<Record<string, number>> = { [CHANNEL.WHATSAPP]: 4096, [CHANNEL.VIBER_BM]: 1000, [CHANNEL.RCS]: 3072 };
const MAX_STRING = Math.max(...Object.values(TEXT_LIMITS));
/** URLs, as everywhere else in Hookline (notify URLs, tracking URLs). */
const MAX_URL = 2048;
/** More items than any channel shows in one message (WhatsApp: 10 list sections, carousels of 10 cards, 30 products). */
const MAX_ITEMS = 100;
/** Deeper than any body type nests (a form: body → pages → page → items → item → options → option). */
const MAX_DEPTH = 10;

/** Whether `text` has more than `max` characters as Infobip and Ajv count them: code points, so an emoji is one. */
function longerThan(text: string, max: number): boolean {
  if (text.length <= max) return false; // never fewer code units than code points
  let n = 0;
  for (const _char of text) if (++n > max) return true;
  return false;
}

/** Strings, arrays and nesting anywhere in the content, within the bounds above. */
function checkBounds(value: unknown, path: string, violations: Violation[], depth = 0, key = ''): void {
  if (typeof value === 'string') {
    const max = /url$/i.test(key) ? MAX_URL : MAX_STRING;
    if (longerThan(value, max)) violations.push({ property: path, violation: `must NOT have more than ${max} characters` });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth === MAX_DEPTH) {
    violations.push({ property: path, violation: `must not nest more than ${MAX_DEPTH} levels deep` });
    return;
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_ITEMS) violations.push({ property: path, violation: `must NOT have more than ${MAX_ITEMS} items` });
    else value.forEach((item, k) => checkBounds(item, `${path}[${k}]`, violations, depth + 1, key));
    return;
  }
  for (const [field, child] of Object.entries(value)) checkBounds(child, `${path}.${field}`, violations, depth + 1, field);
}

/** Refuses `text` where it is longer than `channel` shows (`property`: where the text is in the request). */
export function checkTextLength(text: string, channel: string, property: string, violations: Violation[]): void {
  const limit = TEXT_LIMITS[channel];
  if (limit !== undefined && longerThan(text, limit)) violations.push({ property, violation: `must NOT have more than ${limit} characters on ${channel}` });
}

/**
 * Checks `content` (at `path`, e.g. `messages[0].content`) and returns its plain text: the body's
 * `text` (a media body's caption), or '' when the body has none.
 */
export function checkContent(content: MessagesApiContent, path: string, violations: Violation[]): string {
  // The body's text is what the channel shows: capped per channel (checkTextLength), SMS's by intake.
  checkBounds({ ...content, body: { ...content.body, text: undefined } }, path, violations);
  const body = content.body as Record<string, unknown> & { type: string };
  checkFields(body, BODY_REQUIRED[body.type] ?? {}, `${path}.body`, violations);
  (content.buttons ?? []).forEach((button, k) => {
    const b = button as Record<string, unknown> & { type: string };
    const buttonPath = `${path}.buttons[${k}]`;
    checkFields(b, BUTTON_REQUIRED[b.type] ?? {}, buttonPath, violations);
    if (b.type === 'DIAL_PHONE' && typeof b.phoneNumber === 'string' && !PHONE.test(b.phoneNumber)) {
      violations.push({ property: `${buttonPath}.phoneNumber`, violation: 'must be a phone number of up to 15 digits' });
    }
  });
  return typeof body.text === 'string' ? body.text : '';
}

/** Whether the content is just a TEXT body (nothing to keep beyond the text itself). */
export const isPlainText = (content: MessagesApiContent): boolean =>
  content.body.type === 'TEXT' && !content.header && !content.buttons?.length && !content.footer && !content.confirmationBody && !content.senderDisplayInfo;

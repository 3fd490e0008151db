/**
 * A Messages API message's `content`: each body and button type's required fields, checked as
 * the spec's discriminated schemas (MessagesApiMessage<Type>Body, MessagesApiMessage<Type>Button)
 * declare them, and the plain text a message carries.
 *
 * Only the top level of each type is checked (a CAROUSEL's `cards` must be an array, not what a
 * card holds): Hookline stores rich content and hands it to the simulated network, which shows
 * nobody anything, so a deeper check would refuse requests for no observable gain.
 */
import type { Violation } from '../../http/errors.ts';
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
  }
  for (const [field, [min, max]] of Object.entries(RANGES)) {
    const n = value[field];
    if (typeof n === 'number' && (n < min || n > max)) violations.push({ property: `${path}.${field}`, violation: `must be between ${min} and ${max}` });
  }
}

/**
 * Checks `content` (at `path`, e.g. `messages[0].content`) and returns its plain text: the body's
 * `text` (a media body's caption), or '' when the body has none.
 */
export function checkContent(content: MessagesApiContent, path: string, violations: Violation[]): string {
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

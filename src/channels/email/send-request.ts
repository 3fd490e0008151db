/**
 * `POST /email/3/send`'s fields (SendRequestSchema in infobip-email-openapi.json), read from the
 * form and checked as the spec describes them. Every problem is collected, then the request is
 * refused once with all of them (the email API's ApiException lists them under `validationErrors`).
 *
 * Multipart carries text only: booleans are `true`/`false`, numbers are digits, and placeholders
 * and headers are JSON inside a field, as Infobip's examples send them. A field the spec does not
 * name is ignored, as JSON bodies' unknown properties are. Empty values count as absent (forms
 * send empty fields for inputs left blank).
 */
import { badRequest, type Violation } from '../../http/errors.ts';
import { parseInfobipTime } from '../../lib/infobip-time.ts';
import { isEmailAddress } from '../../messaging/destination.ts';
import type { AttachmentInfo, EmailForm } from './form.ts';

/** "cannot exceed 30 days in the future" (the spec's `sendAt`). */
export const MAX_EMAIL_SCHEDULE_AHEAD_MS = 30 * 86_400_000;
/** "Maximum number of recipients per request is 1000 overall including to, cc and bcc field." */
export const MAX_EMAIL_RECIPIENTS = 1_000;
const MAX_SUBJECT = 1_000;
const MAX_CALLBACK_DATA = 4_000;
const MAX_BULK_ID = 100;
const MAX_MESSAGE_ID = 200;
/**
 * RFC 5322's line limit, for `from` and `replyTo`: no mail server takes a longer header, and the
 * value is measured before it is parsed, so parsing never sees more than this.
 */
export const MAX_ADDRESS_FIELD = 998;
/** URLs and ids the spec leaves unbounded get the caps the WhatsApp and Messages APIs give theirs. */
const MAX_URL = 2_048;
const MAX_ID = 255;
/** Free-form placeholder text for the opt-out page: as much as callbackData may hold. */
const MAX_LANDING_PAGE_PLACEHOLDERS = 4_000;
/**
 * text, html and ampHtml together, in UTF-8 bytes. Every recipient's message row keeps its own
 * copy of them (intake's MAX_STORED_BYTES_PER_REQUEST bounds the product); this bounds one copy,
 * well under Infobip's 10 MB for an HTML body and far past what mail clients show (Gmail clips
 * HTML after 102 KB).
 */
export const MAX_EMAIL_CONTENT_BYTES = 4 * 1024 * 1024;

const CONTENT_TYPES = ['application/json', 'application/xml'] as const;
const PIXEL_POSITIONS = ['TOP', 'BOTTOM'] as const;
const PRIORITIES = ['HIGH', 'STANDARD', 'LOW'] as const;

/** A recipient: its address and, when sent as `{"to": …, "placeholders": {…}}`, its own placeholders. */
export interface Recipient {
  address: string;
  placeholders?: Record<string, unknown>;
}

/** A `from` (or `replyTo`) as read: the bare address and the display name, if any. */
export interface EmailSender {
  address: string;
  name: string | null;
}

export interface EmailSendRequest {
  /** The sender's address and display name; null only with a template (whose sender it is). */
  from: EmailSender | null;
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  subject: string | null;
  text: string | null;
  html: string | null;
  ampHtml: string | null;
  templateId: number | null;
  attachments: AttachmentInfo[];
  inlineImages: AttachmentInfo[];
  intermediateReport: boolean;
  notifyUrl: string | null;
  notifyContentType: string;
  callbackData: string | null;
  track: boolean | null;
  trackClicks: boolean | null;
  trackOpens: boolean | null;
  trackingPixelPosition: string | null;
  trackingUrl: string | null;
  bulkId: string | null;
  messageId: string | null;
  campaignReferenceId: string | null;
  replyTo: string | null;
  defaultPlaceholders: Record<string, unknown> | null;
  preserveRecipients: boolean;
  /** Epoch ms, or null to send at once (a time in the past sends at once). */
  sendAt: number | null;
  landingPagePlaceholders: string | null;
  landingPageId: string | null;
  templateLanguageVersion: string | null;
  clientPriority: string | null;
  applicationId: string | null;
  entityId: string | null;
  headers: Record<string, unknown> | null;
  ipPoolId: string | null;
  skipPassiveStorage: boolean | null;
  skipActiveStorage: boolean | null;
}

/**
 * `Jane Smith <jane@example.com>`, `"Smith, Jane" <jane@example.com>` or a bare address. Read by
 * position (the last `<`, a closing `>`), not by one regex over the whole value: a regex with
 * optional spaces around an optional name backtracks quadratically on `a`, 40,000 spaces, `<`.
 * The address itself is checked as intake checks every recipient (messaging/destination.ts).
 */
export function parseSender(value: string): EmailSender | null {
  const text = value.trim();
  if (!text.endsWith('>')) return isEmailAddress(text) ? { address: text, name: null } : null;
  const open = text.lastIndexOf('<');
  if (open < 0) return null;
  const address = text.slice(open + 1, -1).trim();
  // The name may be quoted (it then may hold a comma); a quote or angle bracket inside it may not.
  let name = text.slice(0, open).trim();
  if (name.startsWith('"')) name = name.slice(1);
  if (name.endsWith('"')) name = name.slice(0, -1);
  if (/["<>]/.test(name) || !isEmailAddress(address)) return null;
  return { address, name: name.trim() || null };
}

const SENDER_FORMAT = 'must be an email address, optionally with a name: Jane Smith <jane.smith@example.com>';

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** Reads typed fields out of the form, noting every problem on the way. */
class FieldReader {
  readonly violations: Violation[] = [];

  constructor(private readonly fields: Map<string, string[]>) {}

  private values(name: string): string[] {
    return (this.fields.get(name) ?? []).filter((v) => v.trim() !== '');
  }

  violate(property: string, violation: string): void {
    this.violations.push({ property, violation });
  }

  /** A field that may appear once; null when absent or empty. */
  string(name: string, maxLength?: number): string | null {
    const values = this.values(name);
    if (values.length > 1) this.violate(name, 'must be given once');
    const value = values[0] ?? null;
    if (value !== null && maxLength !== undefined && value.length > maxLength) this.violate(name, `size must be between 0 and ${maxLength}`);
    return value;
  }

  /** Whether the field was given (non-empty), whatever its value. */
  given(name: string): boolean {
    return this.values(name).length > 0;
  }

  /** `from` or `replyTo`: over MAX_ADDRESS_FIELD it is refused unread; else it must parse as a sender. */
  sender(name: string): { text: string; sender: EmailSender } | null {
    const text = this.string(name, MAX_ADDRESS_FIELD);
    if (text === null || text.length > MAX_ADDRESS_FIELD) return null;
    const sender = parseSender(text);
    if (sender) return { text, sender };
    this.violate(name, SENDER_FORMAT);
    return null;
  }

  boolean(name: string): boolean | null {
    const value = this.string(name);
    if (value === null) return null;
    const lower = value.trim().toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
    this.violate(name, 'must be true or false');
    return null;
  }

  integer(name: string): number | null {
    const value = this.string(name);
    if (value === null) return null;
    const parsed = /^\s*\d{1,15}\s*$/.test(value) ? Number(value) : NaN;
    if (Number.isSafeInteger(parsed) && parsed > 0) return parsed;
    this.violate(name, 'must be a positive whole number');
    return null;
  }

  oneOf<const V extends string>(name: string, allowed: readonly V[]): V | null {
    const value = this.string(name);
    if (value === null) return null;
    if ((allowed as readonly string[]).includes(value)) return value as V;
    this.violate(name, `must be one of ${allowed.join(', ')}`);
    return null;
  }

  /** A JSON object inside a text field (`defaultPlaceholders={"ph1": "Success"}`). */
  jsonObject(name: string): Record<string, unknown> | null {
    const value = this.string(name);
    if (value === null) return null;
    const parsed = parseJson(value);
    if (isObject(parsed)) return parsed;
    this.violate(name, 'must be a JSON object');
    return null;
  }

  /**
   * A repeatable recipient field: plain addresses, or `{"to": address, "placeholders": {…}}`.
   * With `checkAddresses` each address must be one (cc and bcc, which have no message of their
   * own to reject; a bad `to` address is rejected by intake as that recipient's message).
   */
  recipients(name: string, checkAddresses = false): Recipient[] {
    return this.values(name).flatMap((raw, i) => {
      const recipient = recipientOf(raw.trim());
      if (!recipient) this.violate(`${name}[${i}]`, 'must be an email address or {"to": "<address>", "placeholders": {…}}');
      else if (checkAddresses && !isEmailAddress(recipient.address)) this.violate(`${name}[${i}]`, 'must be an email address');
      return recipient ? [recipient] : [];
    });
  }
}

function recipientOf(value: string): Recipient | null {
  if (!value.startsWith('{')) return { address: value };
  const parsed = parseJson(value);
  if (!isObject(parsed) || typeof parsed.to !== 'string' || !(parsed.placeholders === undefined || isObject(parsed.placeholders))) return null;
  return { address: parsed.to.trim(), ...(parsed.placeholders ? { placeholders: parsed.placeholders as Record<string, unknown> } : {}) };
}

const utf8Bytes = (value: string | null) => (value === null ? 0 : Buffer.byteLength(value));

function sendAtOf(reader: FieldReader, now: number): number | null {
  const raw = reader.string('sendAt');
  if (raw === null) return null;
  const at = parseInfobipTime(raw);
  if (Number.isNaN(at)) {
    reader.violate('sendAt', "must be a date-time in the format yyyy-MM-dd'T'HH:mm:ss.SSSZ");
    return null;
  }
  if (at > now + MAX_EMAIL_SCHEDULE_AHEAD_MS) reader.violate('sendAt', 'must not be more than 30 days in the future');
  return at <= now ? null : at;
}

/** The form as a checked request; throws 400 with every violation found. */
export function parseSendRequest(form: EmailForm, now: number): EmailSendRequest {
  const r = new FieldReader(form.fields);
  for (const name of form.misplaced.files) r.violate(name, 'must be a text field, not a file');
  for (const name of form.misplaced.texts) r.violate(name, 'must be a file');

  const templateId = r.integer('templateId');
  const from = r.sender('from')?.sender ?? null;
  if (!r.given('from') && templateId === null) r.violate('from', 'must not be blank');

  const to = r.recipients('to');
  const cc = r.recipients('cc', true);
  const bcc = r.recipients('bcc', true);
  if (to.length === 0 && !r.violations.some((v) => v.property.startsWith('to['))) r.violate('to', 'must not be empty');
  if (to.length + cc.length + bcc.length > MAX_EMAIL_RECIPIENTS) r.violate('to', `to, cc and bcc must not hold more than ${MAX_EMAIL_RECIPIENTS} recipients together`);

  const subject = r.string('subject', MAX_SUBJECT);
  if (subject === null && templateId === null) r.violate('subject', 'must not be blank');
  const text = r.string('text');
  const html = r.string('html');
  const ampHtml = r.string('ampHtml');
  if (text === null && html === null && templateId === null) r.violate('text', 'one of text, html or templateId must be given');
  if (ampHtml !== null && html === null) r.violate('html', 'must be given with ampHtml');
  if (utf8Bytes(text) + utf8Bytes(html) + utf8Bytes(ampHtml) > MAX_EMAIL_CONTENT_BYTES) {
    r.violate(html === null ? 'text' : 'html', `text, html and ampHtml must not hold more than ${MAX_EMAIL_CONTENT_BYTES} bytes together`);
  }

  const preserveRecipients = r.boolean('preserveRecipients') ?? false;
  const messageId = r.string('messageId', MAX_MESSAGE_ID);
  // One message per `to` (unless preserved): a client id can name only one of them.
  if (messageId !== null && to.length > 1 && !preserveRecipients) r.violate('messageId', 'can only be given with one recipient in to (or with preserveRecipients)');

  const request: EmailSendRequest = {
    from,
    to,
    cc,
    bcc,
    subject,
    text,
    html,
    ampHtml,
    templateId,
    attachments: form.files.attachment,
    inlineImages: form.files.inlineImage,
    intermediateReport: r.boolean('intermediateReport') ?? false,
    notifyUrl: r.string('notifyUrl', MAX_URL),
    notifyContentType: r.oneOf('notifyContentType', CONTENT_TYPES) ?? 'application/json',
    callbackData: r.string('callbackData', MAX_CALLBACK_DATA),
    track: r.boolean('track'),
    trackClicks: r.boolean('trackClicks'),
    trackOpens: r.boolean('trackOpens'),
    trackingPixelPosition: r.oneOf('trackingPixelPosition', PIXEL_POSITIONS),
    trackingUrl: r.string('trackingUrl', MAX_URL),
    bulkId: r.string('bulkId', MAX_BULK_ID),
    messageId,
    campaignReferenceId: r.string('campaignReferenceId', MAX_ID),
    replyTo: r.sender('replyTo')?.text ?? null,
    defaultPlaceholders: r.jsonObject('defaultPlaceholders'),
    preserveRecipients,
    sendAt: sendAtOf(r, now),
    landingPagePlaceholders: r.string('landingPagePlaceholders', MAX_LANDING_PAGE_PLACEHOLDERS),
    landingPageId: r.string('landingPageId', MAX_ID),
    templateLanguageVersion: r.string('templateLanguageVersion', MAX_ID),
    clientPriority: r.oneOf('clientPriority', PRIORITIES),
    applicationId: r.string('applicationId', MAX_ID),
    entityId: r.string('entityId', MAX_ID),
    headers: r.jsonObject('headers'),
    ipPoolId: r.string('ipPoolId', MAX_ID),
    skipPassiveStorage: r.boolean('skipPassiveStorage'),
    skipActiveStorage: r.boolean('skipActiveStorage'),
  };
  if (r.violations.length) throw badRequest(r.violations);
  return request;
}

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
import type { AttachmentInfo, EmailForm } from './form.ts';

/** "cannot exceed 30 days in the future" (the spec's `sendAt`). */
export const MAX_EMAIL_SCHEDULE_AHEAD_MS = 30 * 86_400_000;
/** "Maximum number of recipients per request is 1000 overall including to, cc and bcc field." */
export const MAX_EMAIL_RECIPIENTS = 1_000;
const MAX_SUBJECT = 1_000;
const MAX_CALLBACK_DATA = 4_000;
const MAX_BULK_ID = 100;
const MAX_MESSAGE_ID = 200;

const CONTENT_TYPES = ['application/json', 'application/xml'] as const;
const PIXEL_POSITIONS = ['TOP', 'BOTTOM'] as const;
const PRIORITIES = ['HIGH', 'STANDARD', 'LOW'] as const;

/** A recipient: its address and, when sent as `{"to": …, "placeholders": {…}}`, its own placeholders. */
export interface Recipient {
  address: string;
  placeholders?: Record<string, unknown>;
}

export interface EmailSendRequest {
  /** The sender's address and display name; null only with a template (whose sender it is). */
  from: { address: string; name: string | null } | null;
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

/** Local part, one @, a domain with a dot; no spaces or angle brackets. Intake checks each recipient again. */
const ADDRESS = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>".]+$/;
/** `Jane Smith <jane@example.com>`, `"Smith, Jane" <jane@example.com>` or a bare address. */
const NAMED_ADDRESS = /^\s*(?:"?([^"<]*?)"?\s*<([^<>]+)>|([^<>]+))\s*$/;

export function parseSender(value: string): { address: string; name: string | null } | null {
  const match = NAMED_ADDRESS.exec(value);
  if (!match) return null;
  const address = (match[2] ?? match[3]).trim();
  if (!ADDRESS.test(address)) return null;
  const name = match[1]?.trim();
  return { address, name: name || null };
}

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

  /** A repeatable recipient field: plain addresses, or `{"to": address, "placeholders": {…}}`. */
  recipients(name: string): Recipient[] {
    return this.values(name).flatMap((raw, i) => {
      const value = raw.trim();
      if (!value.startsWith('{')) return [{ address: value }];
      const parsed = parseJson(value);
      if (isObject(parsed) && typeof parsed.to === 'string' && (parsed.placeholders === undefined || isObject(parsed.placeholders))) {
        return [{ address: parsed.to.trim(), ...(parsed.placeholders ? { placeholders: parsed.placeholders as Record<string, unknown> } : {}) }];
      }
      this.violate(`${name}[${i}]`, 'must be an email address or {"to": "<address>", "placeholders": {…}}');
      return [];
    });
  }
}

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
  const fromText = r.string('from');
  const from = fromText === null ? null : parseSender(fromText);
  if (fromText === null && templateId === null) r.violate('from', 'must not be blank');
  if (fromText !== null && from === null) r.violate('from', 'must be an email address, optionally with a name: Jane Smith <jane.smith@example.com>');

  const to = r.recipients('to');
  const cc = r.recipients('cc');
  const bcc = r.recipients('bcc');
  if (to.length === 0 && !r.violations.some((v) => v.property.startsWith('to['))) r.violate('to', 'must not be empty');
  if (to.length + cc.length + bcc.length > MAX_EMAIL_RECIPIENTS) r.violate('to', `to, cc and bcc must not hold more than ${MAX_EMAIL_RECIPIENTS} recipients together`);

  const subject = r.string('subject', MAX_SUBJECT);
  if (subject === null && templateId === null) r.violate('subject', 'must not be blank');
  const text = r.string('text');
  const html = r.string('html');
  const ampHtml = r.string('ampHtml');
  if (text === null && html === null && templateId === null) r.violate('text', 'one of text, html or templateId must be given');
  if (ampHtml !== null && html === null) r.violate('html', 'must be given with ampHtml');

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
    notifyUrl: r.string('notifyUrl'),
    notifyContentType: r.oneOf('notifyContentType', CONTENT_TYPES) ?? 'application/json',
    callbackData: r.string('callbackData', MAX_CALLBACK_DATA),
    track: r.boolean('track'),
    trackClicks: r.boolean('trackClicks'),
    trackOpens: r.boolean('trackOpens'),
    trackingPixelPosition: r.oneOf('trackingPixelPosition', PIXEL_POSITIONS),
    trackingUrl: r.string('trackingUrl'),
    bulkId: r.string('bulkId', MAX_BULK_ID),
    messageId,
    campaignReferenceId: r.string('campaignReferenceId'),
    replyTo: r.string('replyTo'),
    defaultPlaceholders: r.jsonObject('defaultPlaceholders'),
    preserveRecipients,
    sendAt: sendAtOf(r, now),
    landingPagePlaceholders: r.string('landingPagePlaceholders'),
    landingPageId: r.string('landingPageId'),
    templateLanguageVersion: r.string('templateLanguageVersion'),
    clientPriority: r.oneOf('clientPriority', PRIORITIES),
    applicationId: r.string('applicationId'),
    entityId: r.string('entityId'),
    headers: r.jsonObject('headers'),
    ipPoolId: r.string('ipPoolId'),
    skipPassiveStorage: r.boolean('skipPassiveStorage'),
    skipActiveStorage: r.boolean('skipActiveStorage'),
  };
  if (r.violations.length) throw badRequest(r.violations);
  return request;
}

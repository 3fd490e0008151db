/**
 * Reads `POST /email/3/send`'s multipart/form-data body as Infobip's examples and the official SDK
 * write it: repeated fields (`to=a`, `to=b`), the SDK's indexed keys (its FormDataBuilder sends an
 * array as `to['0']`, `to['1']`), and file parts named `attachment` / `inlineImage`.
 *
 * Hookline delivers no mail, so a file's bytes are counted as they stream past and dropped: only
 * its name, size and content type are kept. Memory is bounded per part by the parser (field size
 * and count, file size and count) and in total here: a body past MAX_EMAIL_REQUEST_BYTES is
 * refused up front when it says its length, and otherwise the moment it gets there, when the rest
 * of it is discarded unparsed (the parser keeps every field it has parsed until the request ends).
 */
import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../http/errors.ts';

const MIB = 1024 * 1024;

/** Busboy's per-part limits for the email route family (see send-route.ts). */
export const EMAIL_FORM_LIMITS = {
  fieldNameSize: 200,
  /** One text field: an html body is the largest one expects. */
  fieldSize: 4 * MIB,
  /** 1000 recipients (to, cc and bcc together, the spec's maximum) and the other fields. */
  fields: 1_100,
  fileSize: 20 * MIB,
  files: 100,
  parts: 1_200,
  headerPairs: 100,
} as const;

/** The whole request, fields and files together (checked on Content-Length up front, and while reading). */
export const MAX_EMAIL_REQUEST_BYTES = 25 * MIB;

/** The fields whose parts are files. */
export const FILE_FIELDS = ['attachment', 'inlineImage'] as const;
export type FileField = (typeof FILE_FIELDS)[number];

export interface AttachmentInfo {
  name: string;
  size: number;
  contentType: string;
}

export interface EmailForm {
  /** Text fields by name, each value in the order sent. */
  fields: Map<string, string[]>;
  files: Record<FileField, AttachmentInfo[]>;
  /** Parts that came in the wrong kind (a file where text belongs, or text where a file does): the field names. */
  misplaced: { files: string[]; texts: string[] };
}

/** `to['0']`, `to[0]`, `to[]` and `to` are all `to`. Anything else is kept as sent. */
export function baseName(fieldname: string): string {
  const match = /^([^[\]]+)\[(?:'\d+'|"\d+"|\d*)\]$/.exec(fieldname);
  return match ? match[1] : fieldname;
}

const isFileField = (name: string): name is FileField => (FILE_FIELDS as readonly string[]).includes(name);

const tooLarge = (text: string) => new ApiError('PAYLOAD_TOO_LARGE', { text });
const tooLong = () => tooLarge(`Request body is larger than ${MAX_EMAIL_REQUEST_BYTES} bytes`);
const notMultipart = () => new ApiError('BAD_REQUEST', { text: 'Request body is not valid multipart/form-data' });

/** The parser's own limit errors (all 413 in @fastify/multipart) in the API's words. */
const LIMIT_TEXTS: Record<string, string> = {
  FST_PARTS_LIMIT: `Request has more than ${EMAIL_FORM_LIMITS.parts} parts`,
  FST_FILES_LIMIT: `Request has more than ${EMAIL_FORM_LIMITS.files} files`,
  FST_FIELDS_LIMIT: `Request has more than ${EMAIL_FORM_LIMITS.fields} fields`,
  FST_REQ_FILE_TOO_LARGE: `A file is larger than ${EMAIL_FORM_LIMITS.fileSize} bytes`,
};

/** Refuses a declared body over the limit before reading any of it. */
export function checkDeclaredLength(request: FastifyRequest): void {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_EMAIL_REQUEST_BYTES) throw tooLong();
}

/** Counts a file's bytes while draining it. Never throws: a stream error surfaces on the next part. */
async function drain(part: Extract<Multipart, { type: 'file' }>): Promise<number> {
  let size = 0;
  try {
    for await (const chunk of part.file) size += (chunk as Buffer).length;
  } catch {
    /* reported by the iterator */
  }
  return size;
}

/**
 * Reads every part. The body is read to its end (or to a parser limit) before a problem is
 * thrown, so the client gets its answer on a connection that is still usable; only a body past
 * the total limit stops being parsed at once (`stopParsing` unhooks the parser and drains the rest).
 */
export async function readEmailForm(parts: AsyncIterable<Multipart>, stopParsing: () => void = () => {}): Promise<EmailForm> {
  const form: EmailForm = { fields: new Map(), files: { attachment: [], inlineImage: [] }, misplaced: { files: [], texts: [] } };
  let total = 0;
  const count = (bytes: number) => {
    total += bytes;
    if (total <= MAX_EMAIL_REQUEST_BYTES) return;
    stopParsing();
    throw tooLong();
  };
  let problem: ApiError | null = null;
  try {
    for await (const part of parts) {
      const name = baseName(part.fieldname);
      if (part.type === 'file') {
        const size = await drain(part);
        count(size);
        if (isFileField(name)) form.files[name].push({ name: part.filename, size, contentType: part.mimetype });
        else form.misplaced.files.push(name);
        continue;
      }
      const value = typeof part.value === 'string' ? part.value : JSON.stringify(part.value);
      // Bytes, as the limit says and as the parser measures fields: non-Latin text is 2 to 4 bytes a character.
      count(Buffer.byteLength(value));
      if (part.valueTruncated) problem ??= tooLarge(`Field ${name} is larger than ${EMAIL_FORM_LIMITS.fieldSize} bytes`);
      if (isFileField(name)) {
        form.misplaced.texts.push(name);
        continue;
      }
      const values = form.fields.get(name);
      if (values) values.push(value);
      else form.fields.set(name, [value]);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const code = (error as { code?: string }).code ?? '';
    if (LIMIT_TEXTS[code]) throw tooLarge(LIMIT_TEXTS[code]);
    // A field named like an Object.prototype member (`__proto__`, `constructor`) is refused by the parser.
    if (code === 'FST_PROTO_VIOLATION') throw new ApiError('BAD_REQUEST', { text: 'A field name is not allowed (it names an object prototype property)' });
    throw notMultipart();
  }
  if (problem) throw problem;
  return form;
}

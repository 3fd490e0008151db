/**
 * Helpers for the email tests (not a test file itself): `/email/3/send` as a browser or Node's
 * fetch sends it, a multipart/form-data body built with FormData.
 */
import { TEST_API_KEY, type TestGateway } from '../helpers/hookline.ts';

/** A field's value(s); a repeated field is an array, as `to=a`, `to=b` on the wire. */
export type FormFields = Record<string, string | string[]>;
export interface FormFile {
  field: string;
  name: string;
  content: Uint8Array | string;
  type?: string;
}

export function emailForm(fields: FormFields, files: FormFile[] = []): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) form.append(name, v);
  for (const f of files) form.append(f.field, new Blob([f.content as BlobPart], { type: f.type ?? 'application/octet-stream' }), f.name);
  return form;
}

export interface Answer {
  status: number;
  body: any;
}

/** POSTs a body to /email/3/send with the test key; JSON answers are parsed. */
export async function postEmail(g: TestGateway, body: FormData | string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<Answer> {
  // A stream goes out chunked, without Content-Length (fetch needs `duplex` for it).
  const init = { method: 'POST', headers: { authorization: `App ${TEST_API_KEY}`, ...headers }, body, duplex: 'half' } as RequestInit;
  const response = await fetch(`${g.baseUrl}/email/3/send`, init);
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

export const sendEmail = (g: TestGateway, fields: FormFields, files: FormFile[] = []) => postEmail(g, emailForm(fields, files));

/** The legacy envelope the email API answers errors in, with its validation errors by field. */
export const badRequest = (validationErrors?: Record<string, string[]>, text = 'Bad request') => ({
  requestError: { serviceException: { messageId: 'BAD_REQUEST', text, ...(validationErrors ? { validationErrors } : {}) } },
});

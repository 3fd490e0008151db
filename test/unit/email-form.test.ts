/**
 * Reading `/email/3/send`'s multipart parts (src/channels/email/form.ts) from parts shaped as
 * @fastify/multipart yields them: field names as the SDK and Infobip's examples write them, files
 * counted and dropped, and every problem in the API's words. The parser's own limits are tested
 * end to end against the real route (test/channels/email-send.test.ts).
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Multipart } from '@fastify/multipart';
import { baseName, EMAIL_FORM_LIMITS, MAX_EMAIL_REQUEST_BYTES, readEmailForm } from '../../src/channels/email/form.ts';
import { ApiError } from '../../src/http/errors.ts';

const field = (fieldname: string, value: unknown, valueTruncated = false) => ({ type: 'field', fieldname, value, valueTruncated }) as unknown as Multipart;
const file = (fieldname: string, filename: string, bytes: number, mimetype = 'application/octet-stream') =>
  ({ type: 'file', fieldname, filename, mimetype, file: Readable.from([Buffer.alloc(bytes, 1)]) }) as unknown as Multipart;

async function* partsOf(parts: Multipart[], failWith?: Error): AsyncGenerator<Multipart> {
  for (const part of parts) yield part;
  if (failWith) throw failWith;
}

async function refusal(parts: Multipart[], failWith?: Error): Promise<ApiError> {
  try {
    await readEmailForm(partsOf(parts, failWith));
  } catch (error) {
    assert.ok(error instanceof ApiError, `not an ApiError: ${String(error)}`);
    return error;
  }
  assert.fail('the form was accepted');
}

describe('email form: field names', () => {
  it("the SDK's indexed keys and plain repeated names are one field", () => {
    for (const name of ["to['0']", "to['12']", 'to[0]', 'to[]', 'to', 'to["3"]']) assert.equal(baseName(name), 'to', name);
    // Anything else is left as sent (and then ignored as an unknown field).
    for (const name of ['to[a]', "to['0']['x']", 'to[0', 'x[]y']) assert.equal(baseName(name), name, name);
  });

  it('collects repeated fields in order, whichever way they are written', async () => {
    const form = await readEmailForm(partsOf([field('from', 'Jane <jane@example.com>'), field("to['0']", 'a@example.com'), field("to['1']", 'b@example.com'), field('to', 'c@example.com'), field('subject', 'Hi')]));
    assert.deepEqual(form.fields.get('to'), ['a@example.com', 'b@example.com', 'c@example.com']);
    assert.deepEqual(form.fields.get('from'), ['Jane <jane@example.com>']);
    assert.deepEqual(form.misplaced, { files: [], texts: [] });
  });

  it('a field sent as JSON (Content-Type: application/json, parsed by the plugin) is kept as its JSON text', async () => {
    const form = await readEmailForm(partsOf([field('to', { to: 'a@example.com', placeholders: { name: 'A' } })]));
    assert.deepEqual(form.fields.get('to'), ['{"to":"a@example.com","placeholders":{"name":"A"}}']);
  });
});

describe('email form: files', () => {
  it('attachments and inline images are counted, not kept: name, size and content type', async () => {
    const form = await readEmailForm(partsOf([file('attachment', 'report.pdf', 2048, 'application/pdf'), file("attachment['1']", 'b.txt', 3, 'text/plain'), file('inlineImage', 'logo.png', 10, 'image/png')]));
    assert.deepEqual(form.files.attachment, [
      { name: 'report.pdf', size: 2048, contentType: 'application/pdf' },
      { name: 'b.txt', size: 3, contentType: 'text/plain' },
    ]);
    assert.deepEqual(form.files.inlineImage, [{ name: 'logo.png', size: 10, contentType: 'image/png' }]);
  });

  it('a file where text belongs, and text where a file belongs, are noted (the request check refuses them)', async () => {
    const form = await readEmailForm(partsOf([file('to', 'list.csv', 5), field('attachment', '@files/image1.jpg')]));
    assert.deepEqual(form.misplaced, { files: ['to'], texts: ['attachment'] });
    assert.equal(form.fields.has('attachment'), false);
  });
});

describe('email form: problems', () => {
  it('a truncated field is 413, after the whole body was read', async () => {
    const error = await refusal([field('html', 'x', true), field('to', 'a@example.com')]);
    assert.equal(error.status, 413);
    assert.equal(error.message, `Field html is larger than ${EMAIL_FORM_LIMITS.fieldSize} bytes`);
  });

  it('past the total limit parsing stops at once (413), whatever is still to come', async () => {
    let stopped = 0;
    const big = 'x'.repeat(4 * 1024 * 1024);
    async function* endless(): AsyncGenerator<Multipart> {
      for (;;) yield field('html', big);
    }
    await assert.rejects(readEmailForm(endless(), () => stopped++), (error: ApiError) => error.status === 413 && /^Request body is larger than/.test(error.message));
    assert.equal(stopped, 1);
  });

  it('the total is counted in bytes: non-Latin text past the limit is 413, though it has fewer characters', async () => {
    let stopped = 0;
    const euros = '€'.repeat(1_000_000); // 1 million characters, 3 million bytes
    const parts = Array.from({ length: 9 }, () => field('note', euros));
    assert.ok(9 * euros.length < MAX_EMAIL_REQUEST_BYTES && 9 * Buffer.byteLength(euros) > MAX_EMAIL_REQUEST_BYTES);
    await assert.rejects(readEmailForm(partsOf(parts), () => stopped++), (error: ApiError) => error.status === 413 && /^Request body is larger than/.test(error.message));
    assert.equal(stopped, 1);
  });

  it("the parser's limit errors become 413 in the API's words", async () => {
    const limit = (code: string) => Object.assign(new Error('reach limit'), { code, statusCode: 413 });
    assert.equal((await refusal([], limit('FST_PARTS_LIMIT'))).message, `Request has more than ${EMAIL_FORM_LIMITS.parts} parts`);
    assert.equal((await refusal([], limit('FST_FILES_LIMIT'))).message, `Request has more than ${EMAIL_FORM_LIMITS.files} files`);
    assert.equal((await refusal([], limit('FST_FIELDS_LIMIT'))).message, `Request has more than ${EMAIL_FORM_LIMITS.fields} fields`);
    const tooBig = await refusal([], limit('FST_REQ_FILE_TOO_LARGE'));
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.message, `A file is larger than ${EMAIL_FORM_LIMITS.fileSize} bytes`);
  });

  it('anything else the parser throws is a malformed body (400), never a 500', async () => {
    const malformed = await refusal([field('to', 'a@example.com')], new Error('Unexpected end of multipart data'));
    assert.equal(malformed.status, 400);
    assert.equal(malformed.message, 'Request body is not valid multipart/form-data');
    const proto = await refusal([], Object.assign(new Error('prototype'), { code: 'FST_PROTO_VIOLATION' }));
    assert.equal(proto.status, 400);
  });
});

/**
 * `POST /email/3/send` against a real gateway: multipart/form-data bodies as fetch's FormData
 * sends them (the spec's own examples), one message per recipient, attachments stored as metadata
 * only, and every way a request can be wrong answered in the email API's legacy envelope — 400,
 * 413 or 415, never a 500 — on a connection that still works afterwards.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { EMAIL_FORM_LIMITS, MAX_EMAIL_REQUEST_BYTES } from '../../src/channels/email/form.ts';
import { MAX_ADDRESS_FIELD, MAX_EMAIL_CONTENT_BYTES } from '../../src/channels/email/send-request.ts';
import { startGateway, TEST_API_KEY, type TestGateway } from '../helpers/hookline.ts';
import { receiverPool } from '../helpers/receiver.ts';
import { parseXml, PENDING_ACCEPTED, REJECTED_DESTINATION } from '../http/support.ts';
import { badRequest, emailForm, postEmail, sendEmail } from './email-support.ts';

let g: TestGateway;
const receivers = receiverPool();

before(async () => {
  g = await startGateway({ THROTTLES: 'off' });
});
after(async () => {
  await g?.close();
  await receivers.closeAll();
});

const BASIC = { from: 'Jane Smith <jane.smith@somecompany.com>', to: 'john.smith@somedomain.com', subject: 'Mail subject', text: 'Hello' };

async function storedMessage(messageId: string) {
  return g.hookline.store.db.selectFrom('messages').selectAll().where('message_id', '=', messageId).executeTakeFirstOrThrow();
}

/** The gateway still answers a plain request after a refused one (the refused body did not wedge anything). */
async function stillServing(): Promise<void> {
  const r = await sendEmail(g, BASIC);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

describe('POST /email/3/send: accepted', { timeout: 60_000 }, () => {
  it("the spec's example request: one message per to, the spec's response, everything stored", async () => {
    const rx = await receivers.start();
    const png = new Uint8Array(2048).fill(7);
    const r = await sendEmail(
      g,
      {
        from: 'Jane Smith <jane.smith@somecompany.com>',
        to: ['john.smith@somedomain.com', 'alice.smith@somedomain.com', '{"to": "alice.grey@somecompany.com", "placeholders": {"name":"Alice"}}'],
        cc: '{"to": "jane.grey@somecompany.com", "placeholders": {"name":"Jane"}}',
        replyTo: 'all.replies@somedomain.com',
        subject: 'Mail subject text and placeholder ph1',
        text: 'Dear {{name}}, this is mail body text with placeholders in body {{ph1}} and {{ph2}}',
        html: '<h1>Html body</h1><p>Rich HTML message body.</p>',
        bulkId: `customBulkId-${Date.now()}`,
        intermediateReport: 'true',
        defaultPlaceholders: '{"ph1": "Success", "ph2": "Example"}',
        headers: '{"List-Unsubscribe": "your unsubscribe link", "X-Custom-Header": "Header value"}',
        notifyUrl: `${rx.url}/email/advanced`,
        notifyContentType: 'application/json',
        trackClicks: 'true',
        trackOpens: 'false',
        trackingPixelPosition: 'TOP',
        callbackData: 'DLR callback data',
        ipPoolId: '08A3A7608750CC6E6080325A6ADF45B6',
      },
      [{ field: 'attachment', name: 'image.png', content: png, type: 'image/png' }],
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body).sort(), ['bulkId', 'messages']);
    assert.match(r.body.bulkId, /^customBulkId-/);
    assert.deepEqual(
      r.body.messages.map((m: any) => ({ to: m.to, status: m.status })),
      ['john.smith@somedomain.com', 'alice.smith@somedomain.com', 'alice.grey@somecompany.com'].map((to) => ({ to, status: PENDING_ACCEPTED })),
    );
    for (const m of r.body.messages) assert.deepEqual(Object.keys(m).sort(), ['messageId', 'status', 'to']);
    assert.equal(new Set(r.body.messages.map((m: any) => m.messageId)).size, 3, 'a messageId per recipient');

    const alice = await storedMessage(r.body.messages[2].messageId);
    assert.deepEqual(
      { channel: alice.channel, family: alice.family, sender: alice.sender, destination: alice.destination, callback: alice.callback_data, notify: alice.notify_url, intermediate: alice.intermediate },
      { channel: 'EMAIL', family: 'email', sender: 'jane.smith@somecompany.com', destination: 'alice.grey@somecompany.com', callback: 'DLR callback data', notify: `${rx.url}/email/advanced`, intermediate: 1 },
    );
    const options = JSON.parse(alice.options!);
    assert.deepEqual(options.attachments, [{ name: 'image.png', size: 2048, contentType: 'image/png' }], 'attachments: metadata only');
    assert.equal(alice.options!.includes('\u0007'), false, 'the bytes are not stored');
    assert.deepEqual(options.placeholders, { name: 'Alice' });
    assert.deepEqual(options.cc, [{ address: 'jane.grey@somecompany.com', placeholders: { name: 'Jane' } }]);
    assert.deepEqual(options.emailTracking, { opens: false, clicks: true });
    assert.equal(options.subject, 'Mail subject text and placeholder ph1');
    assert.equal(options.fromName, 'Jane Smith');
    assert.deepEqual(options.headers, { 'List-Unsubscribe': 'your unsubscribe link', 'X-Custom-Header': 'Header value' });

    // The reports arrive at notifyUrl in the email shape (every magic outcome is in email-events.test.ts).
    await rx.waitFor(() => rx.results().filter((x) => x.status?.name === 'DELIVERED_TO_HANDSET').length === 3, 10_000, 'three delivery reports');
    assert.ok(rx.results().every((x) => x.smsCount === 1 && x.callbackData === 'DLR callback data'));
  });

  it('several attachments and inline images, as repeated file parts; a text-only form; SDK-style indexed keys', async () => {
    const files = [
      { field: 'attachment', name: 'a.pdf', content: new Uint8Array(10), type: 'application/pdf' },
      { field: 'attachment', name: 'b.txt', content: 'hello', type: 'text/plain' },
      { field: 'inlineImage', name: 'logo.png', content: new Uint8Array(3), type: 'image/png' },
    ];
    const r = await sendEmail(g, { ...BASIC, "to['0']": 'first@example.com', "to['1']": 'second@example.com', to: [] as string[] }, files);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.messages.map((m: any) => m.to), ['first@example.com', 'second@example.com']);
    const options = JSON.parse((await storedMessage(r.body.messages[0].messageId)).options!);
    assert.deepEqual(options.attachments, [
      { name: 'a.pdf', size: 10, contentType: 'application/pdf' },
      { name: 'b.txt', size: 5, contentType: 'text/plain' },
    ]);
    assert.deepEqual(options.inlineImages, [{ name: 'logo.png', size: 3, contentType: 'image/png' }]);
  });

  it('notifyContentType application/xml: the delivery report is pushed as XML', async () => {
    const rx = await receivers.start();
    const r = await sendEmail(g, { ...BASIC, notifyUrl: `${rx.url}/xml`, notifyContentType: 'application/xml' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await rx.waitFor(() => rx.requests.length === 1, 10_000, 'the XML report');
    assert.match(String(rx.requests[0].headers['content-type']), /^application\/xml/);
    const xml = parseXml(rx.requests[0].body);
    assert.equal(xml.WebhookDLRPayload.results.result.messageId, r.body.messages[0].messageId);
    assert.equal(xml.WebhookDLRPayload.results.result.status.name, 'DELIVERED_TO_HANDSET');
  });

  it('an invalid recipient is rejected on its own (REJECTED_DESTINATION), the others are accepted', async () => {
    const r = await sendEmail(g, { ...BASIC, to: ['ok@example.com', 'not-an-address'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.messages.map((m: any) => [m.to, m.status]), [['ok@example.com', PENDING_ACCEPTED], ['not-an-address', REJECTED_DESTINATION]]);
  });

  it('a client messageId and a template (no from, subject or body needed)', async () => {
    const messageId = `mine-${Date.now()}`;
    const r = await sendEmail(g, { to: 'templated@example.com', templateId: '123', messageId });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.messages[0].messageId, messageId);
    const stored = await storedMessage(messageId);
    assert.equal(stored.sender, null);
    assert.equal(JSON.parse(stored.options!).templateId, 123);
  });
});

describe('POST /email/3/send: refused', { timeout: 60_000 }, () => {
  it('missing fields: 400 with every violation, in the legacy envelope', async () => {
    const r = await sendEmail(g, { bcc: 'x@example.com' });
    assert.equal(r.status, 400);
    assert.deepEqual(
      r.body,
      badRequest({
        from: ['must not be blank'],
        to: ['must not be empty'],
        subject: ['must not be blank'],
        text: ['one of text, html or templateId must be given'],
      }),
    );
  });

  it('wrong types and sizes: booleans, the template id, callbackData, sendAt, JSON fields', async () => {
    const r = await sendEmail(g, { ...BASIC, intermediateReport: 'maybe', templateId: 'abc', callbackData: 'x'.repeat(4001), sendAt: 'soon', headers: 'nope', notifyContentType: 'text/html' });
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys(r.body.requestError.serviceException.validationErrors).sort(), ['callbackData', 'headers', 'intermediateReport', 'notifyContentType', 'sendAt', 'templateId']);
  });

  it('a 40,000-character hostile from answers 400 within 200 ms (a backtracking parse took 3 s)', async () => {
    await stillServing(); // warm
    const started = performance.now();
    const r = await sendEmail(g, { ...BASIC, from: 'a' + ' '.repeat(40_000) + '<' });
    const ms = performance.now() - started;
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, badRequest({ from: [`size must be between 0 and ${MAX_ADDRESS_FIELD}`] }));
    assert.ok(ms < 200, `${ms.toFixed(0)} ms`);
  });

  it(`text, html and ampHtml past ${MAX_EMAIL_CONTENT_BYTES} bytes together → 400; bad cc, bcc and replyTo addresses → 400`, async () => {
    const mib = 1024 * 1024;
    const big = await sendEmail(g, { ...BASIC, text: 't'.repeat(2 * mib), html: 'h'.repeat(2 * mib + 1) });
    assert.equal(big.status, 400, JSON.stringify(big.body).slice(0, 300));
    assert.deepEqual(big.body, badRequest({ html: [`text, html and ampHtml must not hold more than ${MAX_EMAIL_CONTENT_BYTES} bytes together`] }));
    const addresses = await sendEmail(g, { ...BASIC, cc: ['jane@example.com', 'jane'], bcc: '{"to": "x@"}', replyTo: '<>' });
    assert.equal(addresses.status, 400);
    assert.deepEqual(Object.keys(addresses.body.requestError.serviceException.validationErrors).sort(), ['bcc[0]', 'cc[1]', 'replyTo']);
  });

  it('a file where text belongs, text where a file belongs', async () => {
    const r = await sendEmail(g, { ...BASIC, attachment: '@files/image1.jpg' }, [{ field: 'subject', name: 's.txt', content: 'x' }]);
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.requestError.serviceException.validationErrors.attachment, ['must be a file']);
    assert.ok(r.body.requestError.serviceException.validationErrors.subject.includes('must be a text field, not a file'));
  });

  it('a notifyUrl that may not be used is refused before anything is stored', async () => {
    const r = await sendEmail(g, { ...BASIC, notifyUrl: 'http://169.254.169.254/latest' });
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys(r.body.requestError.serviceException.validationErrors), ['notifyUrl']);
    const t = await sendEmail(g, { ...BASIC, trackingUrl: 'ftp://example.com/x' });
    assert.equal(t.status, 400);
    assert.deepEqual(Object.keys(t.body.requestError.serviceException.validationErrors), ['trackingUrl']);
  });

  it('not multipart: JSON and url-encoded bodies get 415', async () => {
    const json = await postEmail(g, JSON.stringify(BASIC), { 'content-type': 'application/json' });
    assert.equal(json.status, 415);
    assert.deepEqual(json.body, { requestError: { serviceException: { messageId: 'UNSUPPORTED_MEDIA_TYPE', text: 'Send the request as multipart/form-data' } } });
    const form = await postEmail(g, new URLSearchParams(BASIC).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
  });

  it('malformed multipart: no boundary, a body that is not multipart, a body cut short → 400', async () => {
    const noBoundary = await postEmail(g, 'from=x', { 'content-type': 'multipart/form-data' });
    assert.equal(noBoundary.status, 400, JSON.stringify(noBoundary.body));
    assert.deepEqual(noBoundary.body, badRequest(undefined, 'Request body is not valid multipart/form-data'));
    const garbage = await postEmail(g, 'this is not a form', { 'content-type': 'multipart/form-data; boundary=XyZ' });
    assert.equal(garbage.status, 400, JSON.stringify(garbage.body));
    const cut = '--XyZ\r\nContent-Disposition: form-data; name="from"\r\n\r\njane@example.com\r\n--XyZ\r\nContent-Disposition: form-data; name="to"\r\n\r\njo';
    const truncated = await postEmail(g, cut, { 'content-type': 'multipart/form-data; boundary=XyZ' });
    assert.equal(truncated.status, 400, JSON.stringify(truncated.body));
    const proto = await postEmail(g, '--XyZ\r\nContent-Disposition: form-data; name="__proto__"\r\n\r\nx\r\n--XyZ--\r\n', { 'content-type': 'multipart/form-data; boundary=XyZ' });
    assert.equal(proto.status, 400, JSON.stringify(proto.body));
    await stillServing();
  });

  it('an empty form is a form without fields (400 with the violations)', async () => {
    const r = await postEmail(g, '', { 'content-type': 'multipart/form-data; boundary=XyZ' });
    assert.equal(r.status, 400);
    assert.ok('to' in r.body.requestError.serviceException.validationErrors, JSON.stringify(r.body));
  });

  it(`a field over ${EMAIL_FORM_LIMITS.fieldSize} bytes → 413`, async () => {
    const r = await sendEmail(g, { ...BASIC, html: 'x'.repeat(EMAIL_FORM_LIMITS.fieldSize + 1) });
    assert.equal(r.status, 413);
    assert.deepEqual(r.body, { requestError: { serviceException: { messageId: 'PAYLOAD_TOO_LARGE', text: `Field html is larger than ${EMAIL_FORM_LIMITS.fieldSize} bytes` } } });
    await stillServing();
  });

  it(`a file over ${EMAIL_FORM_LIMITS.fileSize} bytes → 413`, async () => {
    const r = await sendEmail(g, BASIC, [{ field: 'attachment', name: 'big.bin', content: new Uint8Array(EMAIL_FORM_LIMITS.fileSize + 1) }]);
    assert.equal(r.status, 413, JSON.stringify(r.body));
    assert.equal(r.body.requestError.serviceException.text, `A file is larger than ${EMAIL_FORM_LIMITS.fileSize} bytes`);
    await stillServing();
  });

  it(`more than ${EMAIL_FORM_LIMITS.files} files, more than ${EMAIL_FORM_LIMITS.fields} fields → 413`, async () => {
    const files = Array.from({ length: EMAIL_FORM_LIMITS.files + 1 }, (_, i) => ({ field: 'attachment', name: `f${i}.txt`, content: 'x' }));
    const r = await sendEmail(g, BASIC, files);
    assert.equal(r.status, 413, JSON.stringify(r.body));
    assert.equal(r.body.requestError.serviceException.text, `Request has more than ${EMAIL_FORM_LIMITS.files} files`);
    const fields = await sendEmail(g, { ...BASIC, cc: Array.from({ length: EMAIL_FORM_LIMITS.fields + 1 }, (_, i) => `c${i}@example.com`) });
    assert.equal(fields.status, 413, JSON.stringify(fields.body));
    await stillServing();
  });

  it(`a declared body over ${MAX_EMAIL_REQUEST_BYTES} bytes → 413 before it is read`, async () => {
    // Only the headers are sent: the answer must not wait for a body that never comes.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${g.baseUrl}/email/3/send`);
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `App ${TEST_API_KEY}`, 'content-type': 'multipart/form-data; boundary=XyZ', 'content-length': String(MAX_EMAIL_REQUEST_BYTES + 1) } },
        (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body });
            req.destroy();
          });
        },
      );
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(answer.status, 413);
    assert.deepEqual(JSON.parse(answer.body), { requestError: { serviceException: { messageId: 'PAYLOAD_TOO_LARGE', text: `Request body is larger than ${MAX_EMAIL_REQUEST_BYTES} bytes` } } });
    await stillServing();
  });

  it(`a chunked body (no Content-Length) past ${MAX_EMAIL_REQUEST_BYTES} bytes → 413 once it gets there, the rest discarded`, async () => {
    const field = 'x'.repeat(EMAIL_FORM_LIMITS.fieldSize - 1024);
    const parts = Math.ceil(MAX_EMAIL_REQUEST_BYTES / field.length) + 1;
    const encoder = new TextEncoder();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === parts) {
          controller.enqueue(encoder.encode('--XyZ--\r\n'));
          controller.close();
          return;
        }
        sent++;
        controller.enqueue(encoder.encode(`--XyZ\r\nContent-Disposition: form-data; name="html"\r\n\r\n${field}\r\n`));
      },
    });
    const r = await postEmail(g, body, { 'content-type': 'multipart/form-data; boundary=XyZ' });
    assert.equal(r.status, 413, JSON.stringify(r.body).slice(0, 300));
    assert.equal(r.body.requestError.serviceException.text, `Request body is larger than ${MAX_EMAIL_REQUEST_BYTES} bytes`);
    await stillServing();
  });

  it(`a chunked non-Latin body past ${MAX_EMAIL_REQUEST_BYTES} bytes (but not characters) → 413`, async () => {
    // Each field just under the field limit in bytes, a third of that in characters; fields the spec does not name (ignored).
    const field = '€'.repeat(Math.floor((EMAIL_FORM_LIMITS.fieldSize - 1024) / 3));
    const parts = Math.ceil(MAX_EMAIL_REQUEST_BYTES / Buffer.byteLength(field)) + 1;
    assert.ok(parts * field.length < MAX_EMAIL_REQUEST_BYTES, 'fewer characters than the limit');
    const encoder = new TextEncoder();
    const head = Object.entries(BASIC).map(([name, value]) => `--XyZ\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('');
    let sent = -1;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent++;
        if (sent === 0) controller.enqueue(encoder.encode(head));
        else if (sent <= parts) controller.enqueue(encoder.encode(`--XyZ\r\nContent-Disposition: form-data; name="note${sent}"\r\n\r\n${field}\r\n`));
        else {
          controller.enqueue(encoder.encode('--XyZ--\r\n'));
          controller.close();
        }
      },
    });
    const r = await postEmail(g, body, { 'content-type': 'multipart/form-data; boundary=XyZ' });
    assert.equal(r.status, 413, JSON.stringify(r.body).slice(0, 300));
    assert.equal(r.body.requestError.serviceException.text, `Request body is larger than ${MAX_EMAIL_REQUEST_BYTES} bytes`);
    await stillServing();
  });

  it('without credentials: 401 in the legacy envelope, the body never read', async () => {
    const response = await fetch(`${g.baseUrl}/email/3/send`, { method: 'POST', body: emailForm(BASIC) });
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { requestError: { serviceException: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' } } });
  });
});

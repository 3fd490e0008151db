/**
 * The official Infobip Node SDK (@infobip-api/sdk) against Hookline's email API, unchanged.
 * What its email client sends (node_modules/@infobip-api/sdk/dist/sdk.esm.js, `Email`):
 *   email.send({…})            POST /email/3/send, multipart/form-data built by its FormDataBuilder:
 *                              arrays as `to['0']`, `to['1']`…, each attachment / inlineImage a file part
 *                              named `attachment` / `inlineImage`, numbers as digits
 *   email.report.get(filter)   GET  /email/1/reports?…
 *   email.log.get(filter)      GET  /email/1/logs?…
 * The SDK cannot send booleans at all (form-data refuses them: "data should be a string, Buffer or
 * Uint8Array"), so intermediateReport and the tracking switches are left out here. It swallows
 * errors: a failed call returns the AxiosError, hence `ok()`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthType, Infobip } from '@infobip-api/sdk';
import { startGateway, TEST_API_KEY, type TestGateway } from '../helpers/hookline.ts';
import { receiverPool } from '../helpers/receiver.ts';
import { loadSpec, schemaProblems, webhookBodySchema } from '../helpers/spec-schema.ts';
import { PENDING_ACCEPTED, uniq, waitUntil } from '../http/support.ts';

let g: TestGateway;
let infobip: any;
const receivers = receiverPool();
const exchanges: Array<{ method: string; url: string; contentType: string; status: number | undefined }> = [];
const spec = loadSpec('infobip-email-openapi.json');

before(async () => {
  g = await startGateway({ THROTTLES: 'off' });
  infobip = new Infobip({ baseUrl: g.baseUrl, apiKey: TEST_API_KEY, authType: AuthType.ApiKey });
  const axios = infobip.channels.email.http.axios;
  const record = (config: any, status: number | undefined) =>
    exchanges.push({ method: String(config.method).toUpperCase(), url: axios.getUri(config), contentType: String(config.headers?.['Content-Type'] ?? config.headers?.['content-type'] ?? ''), status });
  axios.interceptors.response.use(
    (response: any) => (record(response.config, response.status), response),
    (error: any) => (record(error.config, error.response?.status), Promise.reject(error)),
  );
});
after(async () => {
  await g?.close();
  await receivers.closeAll();
});

function ok(response: any, what: string, status = 200): any {
  if (response instanceof Error || response?.status !== status) {
    assert.fail(`${what} failed: ${response?.message ?? ''} → ${response?.response?.status ?? response?.status} ${JSON.stringify(response?.response?.data ?? response?.data)}`);
  }
  return response.data;
}
const last = () => exchanges[exchanges.length - 1];

describe('Infobip Node SDK: channels.email against Hookline', { timeout: 60_000 }, () => {
  it('email.send with two recipients, cc, an attachment and an inline image: accepted, reports pushed to notifyUrl', async () => {
    const rx = await receivers.start();
    const data = ok(
      await infobip.channels.email.send({
        from: 'Hookline SDK <sdk@hookline.example>',
        to: ['one@example.com', 'two@example.com'],
        cc: 'watcher@example.com',
        subject: 'From the SDK',
        text: 'Hello from the official SDK',
        html: '<p>Hello from the <a href="https://example.com/sdk">official SDK</a></p>',
        attachment: [{ data: Buffer.from('%PDF-1.4 hello'), name: 'hello.pdf' }],
        inlineImage: [{ data: Buffer.from([0x89, 0x50, 0x4e, 0x47]), name: 'logo.png' }],
        notifyUrl: `${rx.url}/sdk-email`,
        notifyContentType: 'application/json',
        callbackData: 'sdk-callback',
        bulkId: uniq('sdk-bulk'),
      }),
      'email.send',
    );
    assert.equal(last().method, 'POST');
    assert.match(last().url, /\/email\/3\/send$/);
    assert.match(last().contentType, /^multipart\/form-data; boundary=/);
    assert.deepEqual(data.messages.map((m: any) => [m.to, m.status]), [['one@example.com', PENDING_ACCEPTED], ['two@example.com', PENDING_ACCEPTED]]);

    const stored = await g.hookline.store.db.selectFrom('messages').select(['options', 'sender']).where('message_id', '=', data.messages[0].messageId).executeTakeFirstOrThrow();
    const options = JSON.parse(stored.options!);
    assert.equal(stored.sender, 'sdk@hookline.example');
    assert.deepEqual(options.attachments, [{ name: 'hello.pdf', size: 14, contentType: 'application/pdf' }]);
    assert.deepEqual(options.inlineImages, [{ name: 'logo.png', size: 4, contentType: 'image/png' }]);
    assert.deepEqual(options.cc, [{ address: 'watcher@example.com' }]);

    await rx.waitFor(() => rx.results().length === 2, 10_000, 'two delivery reports');
    const reports = rx.results();
    assert.deepEqual(reports.map((x) => x.to).sort(), ['one@example.com', 'two@example.com']);
    for (const report of reports) {
      assert.equal(report.status.name, 'DELIVERED_TO_HANDSET');
      assert.equal(report.callbackData, 'sdk-callback');
      assert.equal(report.bulkId, data.bulkId);
    }
    if (spec) for (const request of rx.requests) assert.deepEqual(schemaProblems(spec, webhookBodySchema(spec, 'receive-email-delivery-reports'), JSON.parse(request.body)), []);
  });

  it('email.send with a template id (a number, sent as digits) and no subject', async () => {
    const data = ok(await infobip.channels.email.send({ from: 'sdk@hookline.example', to: 'templated@example.com', templateId: 42 }), 'email.send (template)');
    assert.deepEqual(data.messages.map((m: any) => m.status), [PENDING_ACCEPTED]);
  });

  it("Hookline's validation errors reach the SDK caller in the legacy envelope", async () => {
    const response: any = await infobip.channels.email.send({ from: 'not an address', to: 'someone@example.com', subject: 'x', text: 'y' });
    assert.ok(response instanceof Error, 'the SDK returns the AxiosError');
    assert.equal((response as any).response.status, 400);
    assert.deepEqual(Object.keys((response as any).response.data.requestError.serviceException.validationErrors), ['from']);
  });

  it('email.report.get pulls each report once; email.log.get shows the message with its status', async () => {
    const bulkId = uniq('sdk-pull');
    const sent = ok(await infobip.channels.email.send({ from: 'sdk@hookline.example', to: 'pulled@example.com', subject: 'Pull me', text: 'x', bulkId }), 'email.send (pull)');
    const messageId = sent.messages[0].messageId;
    const first = await waitUntil(async () => {
      const results = ok(await infobip.channels.email.report.get({ bulkId }), 'email.report.get').results;
      return results.length ? results : undefined;
    }, 'the pulled report');
    assert.match(last().url, /\/email\/1\/reports\?bulkId=/);
    assert.deepEqual(first.map((x: any) => [x.messageId, x.status.name, x.messageCount]), [[messageId, 'DELIVERED_TO_HANDSET', 1]]);
    assert.deepEqual(ok(await infobip.channels.email.report.get({ bulkId }), 'email.report.get again').results, [], 'each report once');

    const logs = ok(await infobip.channels.email.log.get({ messageId }), 'email.log.get').results;
    assert.match(last().url, /\/email\/1\/logs\?messageId=/);
    assert.deepEqual(logs.map((x: any) => [x.messageId, x.to, x.from, x.status.name, x.text]), [[messageId, 'pulled@example.com', 'sdk@hookline.example', 'DELIVERED_TO_HANDSET', 'x']]);
  });
});

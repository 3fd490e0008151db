/**
 * The official Infobip Node SDK (@infobip-api/sdk) against Hookline's WhatsApp API, unchanged.
 * What its WhatsApp client sends (node_modules/@infobip-api/sdk/dist/sdk.esm.js):
 *   whatsapp.send({type: 'text', …})         POST /whatsapp/1/message/text      (the whole object, `type` included)
 *   whatsapp.send({type: 'template', …})     POST /whatsapp/1/message/template  ({type, messages[], bulkId?})
 *   whatsapp.markAsRead(sender, messageId)   POST /whatsapp/1/senders/{sender}/message/{messageId}/read  ({})
 * The SDK swallows errors: a failed call returns the AxiosError, hence `ok()` (test/helpers/sdk.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthType, Infobip } from '@infobip-api/sdk';
import { startGateway, TEST_API_KEY, type TestGateway } from '../helpers/hookline.ts';
import { knownProblems } from '../helpers/known-shapes.ts';
import { receiverPool, type Receiver } from '../helpers/receiver.ts';
import { recordExchanges, sdkOk, type SdkExchange } from '../helpers/sdk.ts';
import { loadSpec, schemaProblems, webhookBodySchema } from '../helpers/spec-schema.ts';
import { uniq } from '../http/support.ts';

let g: TestGateway;
let infobip: any;
const receivers = receiverPool();
let exchanges: SdkExchange[] = [];
const spec = loadSpec('infobip-whatsapp-openapi.json');

before(async () => {
  g = await startGateway();
  infobip = new Infobip({ baseUrl: g.baseUrl, apiKey: TEST_API_KEY, authType: AuthType.ApiKey });
  exchanges = recordExchanges(infobip.channels.whatsapp.http.axios);
});
after(async () => {
  await g?.close();
  await receivers.closeAll();
});

const ok = sdkOk;
const last = () => exchanges[exchanges.length - 1];
const items = (r: Receiver) => r.results();

/** What is known of each body's items (test/helpers/known-shapes.ts) always; the spec's schema where it is beside the checkout. */
function assertSpecShapes(r: Receiver): void {
  for (const request of r.requests) {
    const body = JSON.parse(request.body);
    const first = body.results[0];
    const webhook = 'integrationType' in first ? 'receive-inbound-whatsapp-messages' : 'seenAt' in first ? 'receive-whatsapp-seen-reports' : 'receive-whatsapp-delivery-reports';
    assert.deepEqual(knownProblems(webhook, body), [], webhook);
    if (spec) assert.deepEqual(schemaProblems(spec, webhookBodySchema(spec, webhook), body), [], webhook);
  }
}

describe('Infobip Node SDK: channels.whatsapp against Hookline', { timeout: 60_000 }, () => {
  it("send({type: 'text'}): the delivery report and the seen report arrive at notifyUrl", async () => {
    const rx = await receivers.start();
    const data = ok(
      await infobip.channels.whatsapp.send({ type: 'text', from: '447860099299', to: '41793026727', content: { text: 'Hello from the SDK' }, callbackData: 'sdk-text', notifyUrl: `${rx.url}/wa` }),
      'whatsapp.send text',
    );
    assert.equal(last().method, 'POST');
    assert.match(last().url, /\/whatsapp\/1\/message\/text$/);
    assert.equal((last().body as any).type, 'text', 'the SDK posts its type in the body');
    assert.deepEqual(Object.keys(data), ['to', 'messageCount', 'messageId', 'status']);
    assert.deepEqual([data.to, data.messageCount, data.status.groupName], ['41793026727', 1, 'PENDING']);

    await rx.waitFor(() => items(rx).some((x) => x.messageId === data.messageId && 'seenAt' in x), 10_000, 'the seen report');
    const report = items(rx).find((x) => x.messageId === data.messageId && 'status' in x)!;
    assert.deepEqual([report.status.name, report.error.name, report.to, report.callbackData], ['DELIVERED_TO_HANDSET', 'NO_ERROR', '41793026727', 'sdk-text']);
    const seen = items(rx).find((x) => 'seenAt' in x)!;
    assert.deepEqual([seen.from, seen.to], ['447860099299', '41793026727']);
    assert.ok(rx.requests.every((q) => q.path === '/wa'));
    assertSpecShapes(rx);
  });

  it("send({type: 'template'}): one report per message of the bulk, under its bulkId", async () => {
    const rx = await receivers.start();
    const bulkId = uniq('sdk-bulk');
    const content = { templateName: 'order_shipped', templateData: { body: { placeholders: ['Ana', '77'] } }, language: 'en_GB' };
    const data = ok(
      await infobip.channels.whatsapp.send({
        type: 'template',
        bulkId,
        messages: [
          { from: '447860099299', to: '41793026728', content, notifyUrl: rx.url, callbackData: 'sdk-template' },
          { from: '447860099299', to: '41793021012', content, notifyUrl: rx.url },
        ],
      }),
      'whatsapp.send template',
    );
    assert.match(last().url, /\/whatsapp\/1\/message\/template$/);
    assert.equal(data.bulkId, bulkId);
    const [delivered, notOnWhatsApp] = data.messages.map((m: any) => m.messageId);
    await rx.waitFor(() => [delivered, notOnWhatsApp].every((id) => items(rx).some((x) => x.messageId === id && 'status' in x)), 10_000, 'both reports');
    const statusOf = (id: string) => items(rx).find((x) => x.messageId === id && 'status' in x)!.status.name;
    assert.deepEqual([statusOf(delivered), statusOf(notOnWhatsApp)], ['DELIVERED_TO_HANDSET', 'UNDELIVERABLE_NOT_DELIVERED']);
    assert.ok(items(rx).filter((x) => 'status' in x).every((x) => x.bulkId === bulkId));
    await rx.waitFor(() => items(rx).some((x) => x.messageId === delivered && 'seenAt' in x), 10_000, 'the seen report');
    assertSpecShapes(rx);
  });

  it('markAsRead: the reply of …1011 (pushed through a WHATSAPP INBOUND_MESSAGE subscription) is marked read; an unknown one is 404', async () => {
    const rx = await receivers.start();
    const sender = '447860088888';
    const profileId = uniq('sdk-prof');
    assert.equal((await g.api('POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: rx.url } })).status, 201);
    assert.equal((await g.api('POST', '/subscriptions/1/subscription/WHATSAPP', { subscriptionId: uniq('sdk-sub'), events: ['INBOUND_MESSAGE'], profile: { profileId }, resources: [sender] })).status, 201);

    const sent = ok(await infobip.channels.whatsapp.send({ type: 'text', from: sender, to: '41793021011', content: { text: 'How was it?' } }), 'whatsapp.send');
    await rx.waitFor(() => items(rx).some((x) => x.pairedMessageId === sent.messageId), 10_000, 'the reply');
    const reply = items(rx).find((x) => x.pairedMessageId === sent.messageId)!;
    assert.deepEqual([reply.from, reply.to, reply.integrationType, reply.message.text], ['41793021011', sender, 'WHATSAPP', 'Thanks!']);

    ok(await infobip.channels.whatsapp.markAsRead(sender, reply.messageId), 'whatsapp.markAsRead', 204);
    assert.match(last().url, new RegExp(`/whatsapp/1/senders/${sender}/message/${reply.messageId}/read$`));
    const row = await g.hookline.store.db.selectFrom('inbound_messages').select('read_at').where('message_id', '=', reply.messageId).executeTakeFirstOrThrow();
    assert.notEqual(row.read_at, null);

    const missing = await infobip.channels.whatsapp.markAsRead(sender, 'wamid.unknown');
    assert.equal(missing instanceof Error, true, 'the SDK returns the error');
    assert.equal(missing.response.status, 404);
    assert.deepEqual(missing.response.data, { requestError: { serviceException: { messageId: 'NOT_FOUND', text: 'Not found' } } });
    assertSpecShapes(rx);
  });

  it('a request the spec refuses comes back as the SDK would get it from Infobip: 400, legacy envelope', async () => {
    // The SDK checks presence and types only; a sender over the spec's 24 characters reaches the server.
    const refused = await infobip.channels.whatsapp.send({ type: 'text', from: '4'.repeat(25), to: '41793026727', content: { text: 'hi' } });
    assert.equal(refused instanceof Error, true);
    assert.equal(refused.response?.status, 400, String(refused));
    assert.deepEqual(Object.keys(refused.response.data.requestError.serviceException.validationErrors), ['from']);
  });
});

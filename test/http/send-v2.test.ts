/**
 * POST /sms/2/text/advanced over real HTTP: the v2 response shape, per-destination rejections,
 * and the legacy ApiException envelope for request-level errors and authentication.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import {
  LEGACY_UNAUTHORIZED,
  MISSING_TO,
  parseXml,
  PENDING_ACCEPTED,
  qs,
  rawApi,
  REJECTED_DESTINATION,
  REJECTED_DUPLICATE_MESSAGE_ID,
  REJECTED_MESSAGE_TOO_LONG,
  uniq,
  waitForFinal,
} from './support.ts';

const PATH = '/sms/2/text/advanced';
const TO = '41793026727';

const message = (to: string | string[], text = 'Hello from Hookline', extra: Record<string, unknown> = {}) => ({
  destinations: (Array.isArray(to) ? to : [to]).map((t) => ({ to: t })),
  text,
  ...extra,
});

/** Asserts the legacy envelope with BAD_REQUEST and returns its validationErrors (or undefined). */
function legacyBadRequest(body: any): Record<string, string[]> | undefined {
  assert.deepEqual(Object.keys(body), ['requestError']);
  assert.deepEqual(Object.keys(body.requestError), ['serviceException']);
  const se = body.requestError.serviceException;
  assert.equal(se.messageId, 'BAD_REQUEST');
  assert.equal(typeof se.text, 'string');
  assert.ok(se.text.length > 0);
  for (const key of Object.keys(se)) assert.ok(['messageId', 'text', 'validationErrors'].includes(key), `unexpected key ${key}`);
  if (se.validationErrors) {
    for (const [key, list] of Object.entries(se.validationErrors)) {
      assert.ok(Array.isArray(list) && list.length > 0, `validationErrors.${key} must be a non-empty list`);
    }
  }
  return se.validationErrors;
}

describe('POST /sms/2/text/advanced', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway();
  });
  after(async () => {
    await g.close();
  });

  const send = (body: unknown, headers?: Record<string, string>) => g.api('POST', PATH, body, headers);

  describe('response shape', () => {
    it('answers 200 with bulkId and messages[{to, status, messageId}]', async () => {
      const r = await send({ messages: [{ from: 'InfoSMS', destinations: [{ to: TO }, { to: '41793026834' }], text: 'This is a sample message' }] });
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body).sort(), ['bulkId', 'messages']);
      assert.equal(typeof r.body.bulkId, 'string');
      assert.ok(r.body.bulkId.length > 0);
      assert.equal(r.body.messages.length, 2);
      for (const [i, to] of [TO, '41793026834'].entries()) {
        const m = r.body.messages[i];
        assert.equal(typeof m.messageId, 'string');
        assert.ok(m.messageId.length > 0);
        assert.deepEqual(m, { to, status: PENDING_ACCEPTED, messageId: m.messageId });
      }
      assert.notEqual(r.body.messages[0].messageId, r.body.messages[1].messageId);
    });

    it('includes smsCount only with includeSmsCountInResponse', async () => {
      const text = 'a'.repeat(161);
      const without = await send({ messages: [message(TO, text)] });
      assert.equal(without.status, 200);
      assert.equal('smsCount' in without.body.messages[0], false);

      const withCount = await send({ messages: [message(TO, text), message(TO, 'short')], includeSmsCountInResponse: true });
      assert.equal(withCount.status, 200);
      assert.equal(withCount.body.messages[0].smsCount, 2);
      assert.equal(withCount.body.messages[1].smsCount, 1);
      assert.deepEqual(Object.keys(withCount.body.messages[0]).sort(), ['messageId', 'smsCount', 'status', 'to']);
    });

    it('echoes the client bulkId and messageId', async () => {
      const bulkId = uniq('v2-bulk');
      const messageId = uniq('v2-msg');
      const r = await send({ bulkId, messages: [{ destinations: [{ to: TO, messageId }], text: 'x' }] });
      assert.equal(r.status, 200);
      assert.equal(r.body.bulkId, bulkId);
      assert.equal(r.body.messages[0].messageId, messageId);
      const logs = await g.api('GET', '/sms/1/logs' + qs({ messageId }));
      assert.equal(logs.body.results.length, 1);
      assert.equal(logs.body.results[0].bulkId, bulkId);
    });

    it('clips a bulkId over 100 characters', async () => {
      const bulkId = uniq('clip') + 'b'.repeat(120);
      const r = await send({ bulkId, messages: [message(TO)] });
      assert.equal(r.status, 200);
      assert.equal(r.body.bulkId, bulkId.slice(0, 100));
    });

    it('answers in XML with root smsResponse when asked', async () => {
      const r = await send({ messages: [message(TO)] }, { accept: 'application/xml' });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^application\/xml/);
      const doc = parseXml(r.body);
      assert.deepEqual(Object.keys(doc).filter((k) => k !== '?xml'), ['smsResponse']);
      const item = doc.smsResponse.messages.message;
      assert.equal(item.to, TO);
      assert.equal(item.status.name, 'PENDING_ACCEPTED');
    });

    it("accepts Infobip's SMSAdvancedTextualRequest XML example", async () => {
      const xml = `<?xml version="1.0" encoding="UTF-8"?><SMSAdvancedTextualRequest>
  <messages>
    <message>
      <from>InfoSMS</from>
      <text>This is a sample message</text>
      <destinations>
        <destination>
          <to>41793026727</to>
        </destination>
      </destinations>
    </message>
  </messages>
</SMSAdvancedTextualRequest>
`;
      const r = await send(xml, { 'content-type': 'application/xml' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.messages[0].status, PENDING_ACCEPTED);
      const logs = await g.api('GET', '/sms/1/logs' + qs({ messageId: r.body.messages[0].messageId }));
      assert.equal(logs.body.results[0].from, 'InfoSMS');
      assert.equal(logs.body.results[0].text, 'This is a sample message');
    });

    it("accepts Infobip's fully-featured SMSAdvancedTextualRequest XML example", async () => {
      // Infobip's example, with a loopback notifyUrl (no DNS in tests) and ids unique to this run.
      const bulkId = uniq('BULK-ID');
      const xml = `<?xml version="1.0" encoding="UTF-8"?><SMSAdvancedTextualRequest>
  <bulkId>${bulkId}</bulkId>
  <tracking>
    <track>SMS</track>
    <type>MY_CAMPAIGN</type>
  </tracking>
  <messages>
    <message>
      <callbackData>DLR callback data</callbackData>
      <flash>false</flash>
      <from>InfoSMS</from>
      <intermediateReport>true</intermediateReport>
      <language>
        <languageCode>TR</languageCode>
      </language>
      <notifyContentType>application/json</notifyContentType>
      <notifyUrl>http://127.0.0.1:9/dlr</notifyUrl>
      <text>Artık Ulusal Dil Tanımlayıcısı ile Türkçe karakterli smslerinizi rahatlıkla iletebilirsiniz.</text>
      <transliteration>TURKISH</transliteration>
      <validityPeriod>720</validityPeriod>
      <campaignReferenceId>summersale</campaignReferenceId>
      <destinations>
        <destination>
          <messageId>${bulkId}-m1</messageId>
          <to>41793026727</to>
        </destination>
        <destination>
          <to>41793026834</to>
        </destination>
      </destinations>
    </message>
    <message>
      <deliveryTimeWindow>
        <days>
          <days>MONDAY</days>
          <days>TUESDAY</days>
          <days>WEDNESDAY</days>
          <days>THURSDAY</days>
          <days>FRIDAY</days>
          <days>SATURDAY</days>
          <days>SUNDAY</days>
        </days>
        <from>
          <hour>6</hour>
          <minute>0</minute>
        </from>
        <to>
          <hour>15</hour>
          <minute>30</minute>
        </to>
      </deliveryTimeWindow>
      <from>41793026700</from>
      <sendAt>2021-08-25T16:00:00.000+0000</sendAt>
      <text>A long time ago, in a galaxy far, far away... It is a period of civil war. Rebel spaceships, striking from a hidden base, have won their first victory against the evil Galactic Empire.</text>
      <destinations>
        <destination>
          <to>41793026700</to>
        </destination>
      </destinations>
    </message>
  </messages>
</SMSAdvancedTextualRequest>`;
      const r = await send(xml, { 'content-type': 'application/xml' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.bulkId, bulkId);
      assert.deepEqual(
        r.body.messages.map((m: any) => [m.to, m.status.id]),
        [
          ['41793026727', 26],
          ['41793026834', 26],
          ['41793026700', 26],
        ],
      );
      assert.equal(r.body.messages[0].messageId, `${bulkId}-m1`);
    });
  });

  describe('per-destination statuses', () => {
    it('rejects invalid and empty destinations per destination', async () => {
      const r = await send({ messages: [message([TO, 'abc', '', '00 41 79 302 68 34'])] });
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.messages.map((m: any) => [m.to, m.status]),
        [
          [TO, PENDING_ACCEPTED],
          ['abc', REJECTED_DESTINATION],
          ['', MISSING_TO],
          ['00 41 79 302 68 34', PENDING_ACCEPTED],
        ],
      );
      const logs = await waitForFinal(g, [r.body.messages[1].messageId]);
      assert.equal(logs.get(r.body.messages[1].messageId).status.name, 'REJECTED_DESTINATION');
    });

    it('rejects text over 25 parts or 4000 bytes with REJECTED_MESSAGE_TOO_LONG', async () => {
      const r = await send({ messages: [message(TO, 'a'.repeat(153 * 25)), message(TO, 'a'.repeat(153 * 25 + 1)), message(TO, 'é'.repeat(2001))] });
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.messages.map((m: any) => m.status),
        [PENDING_ACCEPTED, REJECTED_MESSAGE_TOO_LONG, REJECTED_MESSAGE_TOO_LONG],
      );
    });

    it('rejects duplicate client messageIds within a request and across requests', async () => {
      const messageId = uniq('v2-dup');
      const first = await send({ messages: [{ destinations: [{ to: TO, messageId }, { to: '41793026834', messageId }], text: 'x' }] });
      assert.equal(first.status, 200);
      assert.deepEqual(
        first.body.messages.map((m: any) => [m.messageId, m.status]),
        [
          [messageId, PENDING_ACCEPTED],
          [messageId, REJECTED_DUPLICATE_MESSAGE_ID],
        ],
      );
      const second = await send({ messages: [{ destinations: [{ to: TO, messageId }], text: 'again' }] });
      assert.equal(second.status, 200);
      assert.deepEqual(second.body.messages[0], { to: TO, status: REJECTED_DUPLICATE_MESSAGE_ID, messageId });
      const logs = await g.api('GET', '/sms/1/logs' + qs({ messageId }));
      assert.equal(logs.body.results.length, 1);
      assert.equal(logs.body.results[0].text, 'x');
    });

    it('a message id used on v3 is a duplicate on v2 too (one account, one id space)', async () => {
      const messageId = uniq('cross-api');
      const v3 = await g.api('POST', '/sms/3/messages', { messages: [{ destinations: [{ to: TO, messageId }], content: { text: 'v3' } }] });
      assert.deepEqual(v3.body.messages[0].status, PENDING_ACCEPTED);
      const v2 = await send({ messages: [{ destinations: [{ to: TO, messageId }], text: 'v2' }] });
      assert.deepEqual(v2.body.messages[0].status, REJECTED_DUPLICATE_MESSAGE_ID);
    });
  });

  describe('request errors (legacy envelope)', () => {
    it('400 with validationErrors keyed messages[0].destinations for empty destinations', async () => {
      const r = await send({ messages: [{ destinations: [], text: 'x' }] });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, {
        requestError: {
          serviceException: {
            messageId: 'BAD_REQUEST',
            text: 'Bad request',
            validationErrors: { 'messages[0].destinations': ['must NOT have fewer than 1 items'] },
          },
        },
      });
    });

    const cases: Array<[string, unknown, string]> = [
      ['missing messages', {}, 'messages'],
      ['empty messages', { messages: [] }, 'messages'],
      ['missing destinations', { messages: [{ text: 'x' }] }, 'messages[0].destinations'],
      ['destination without to', { messages: [{ destinations: [{}], text: 'x' }] }, 'messages[0].destinations[0].to'],
      ['bad notifyContentType', { messages: [message(TO, 'x', { notifyContentType: 'text/html' })] }, 'messages[0].notifyContentType'],
      ['validityPeriod of zero', { messages: [message(TO, 'x', { validityPeriod: 0 })] }, 'messages[0].validityPeriod'],
      ['malformed sendAt', { messages: [message(TO, 'x', { sendAt: '24/08/2021' })] }, 'messages[0].sendAt'],
      ['sendAt more than 180 days ahead', { messages: [message(TO), message(TO, 'x', { sendAt: new Date(Date.now() + 181 * 86_400_000).toISOString() })] }, 'messages[1].sendAt'],
    ];
    for (const [name, body, key] of cases) {
      it(`400 for ${name}, validationErrors keyed ${key}`, async () => {
        const r = await send(body);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        const errors = legacyBadRequest(r.body);
        assert.ok(errors && key in errors, `expected validationErrors.${key}, got ${JSON.stringify(errors)}`);
      });
    }

    it('400 for more than 10,000 destinations', async () => {
      const dests = Array.from({ length: 10_001 }, (_, i) => ({ to: String(41790000000 + i) }));
      const r = await send({ messages: [{ destinations: dests, text: 'x' }] });
      assert.equal(r.status, 400);
      const errors = legacyBadRequest(r.body);
      assert.ok(errors && 'messages' in errors);
    });

    it('400 for a refused notifyUrl, keyed messages[0].notifyUrl', async () => {
      const r = await send({ messages: [message(TO, 'x', { notifyUrl: 'http://169.254.169.254/x' })] });
      assert.equal(r.status, 400);
      const errors = legacyBadRequest(r.body);
      assert.deepEqual(Object.keys(errors ?? {}), ['messages[0].notifyUrl']);
      assert.match(errors!['messages[0].notifyUrl'][0], /metadata/);
    });

    it('400 for a notifyUrl with a non-HTTP scheme, keyed by the message that has it', async () => {
      const r = await send({ messages: [message(TO), message(TO, 'x', { notifyUrl: 'ftp://x' })] });
      assert.equal(r.status, 400);
      const errors = legacyBadRequest(r.body);
      assert.deepEqual(Object.keys(errors ?? {}), ['messages[1].notifyUrl']);
    });

    it('400 in the legacy envelope (never 500) for malformed JSON', async () => {
      for (const raw of ['{"messages": [', '[', 'null', '']) {
        const r = await send(raw, { 'content-type': 'application/json' });
        assert.equal(r.status, 400, `body ${JSON.stringify(raw)} → ${r.status} ${JSON.stringify(r.body)}`);
        legacyBadRequest(r.body);
      }
    });

    it('400 errors in XML have root ApiException when asked', async () => {
      const r = await send({ messages: [] }, { accept: 'application/xml' });
      assert.equal(r.status, 400);
      const doc = parseXml(r.body);
      assert.equal(doc.ApiException.requestError.serviceException.messageId, 'BAD_REQUEST');
    });
  });

  describe('authentication', () => {
    it('401 in the legacy envelope without an Authorization header', async () => {
      const r = await rawApi(g, 'POST', PATH, { messages: [message(TO)] });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, LEGACY_UNAUTHORIZED);
    });

    for (const [name, authorization] of [
      ['a wrong key', 'App not-the-key'],
      ['an empty header', ''],
      ['the scheme only', 'App'],
      ['an unsupported scheme', 'IBSSO some-token'],
    ]) {
      it(`401 in the legacy envelope for ${name}`, async () => {
        const r = await send({ messages: [message(TO)] }, { authorization });
        assert.equal(r.status, 401);
        assert.deepEqual(r.body, LEGACY_UNAUTHORIZED);
      });
    }

    it('401 comes before validation', async () => {
      const r = await rawApi(g, 'POST', PATH, '{"broken', { 'content-type': 'application/json' });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, LEGACY_UNAUTHORIZED);
    });
  });
});

describe('POST /sms/2/text/advanced with a small MAX_BODY_BYTES', () => {
  let small: TestGateway;
  before(async () => {
    small = await startGateway({ MAX_BODY_BYTES: '2048' });
  });
  after(async () => {
    await small.close();
  });

  it('413 in the legacy envelope', async () => {
    const r = await small.api('POST', PATH, { messages: [message(TO, 'x'.repeat(3000))] });
    assert.equal(r.status, 413);
    assert.deepEqual(r.body, { requestError: { serviceException: { messageId: 'PAYLOAD_TOO_LARGE', text: 'Request body is too large' } } });
  });
});

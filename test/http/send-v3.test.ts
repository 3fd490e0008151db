/**
 * POST /sms/3/messages over real HTTP: the response shape, per-destination rejections, the v3
 * ApiError envelope for request-level errors, authentication, body limits and XML.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, TEST_API_KEY, type TestGateway } from '../helpers/hookline.ts';
import {
  MISSING_TO,
  parseXml,
  PENDING_ACCEPTED,
  qs,
  rawApi,
  REJECTED_DESTINATION,
  REJECTED_DUPLICATE_MESSAGE_ID,
  REJECTED_MESSAGE_TOO_LONG,
  uniq,
  V3_BAD_REQUEST,
  V3_UNAUTHORIZED,
  v3ErrorProperties,
  waitForFinal,
} from './support.ts';

const PATH = '/sms/3/messages';
const TO = '41793026727';

const textMessage = (to: string | string[], text = 'Hello from Hookline', extra: Record<string, unknown> = {}) => ({
  destinations: (Array.isArray(to) ? to : [to]).map((t) => ({ to: t })),
  content: { text },
  ...extra,
});

describe('POST /sms/3/messages', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway();
  });
  after(async () => {
    await g.close();
  });

  const send = (body: unknown, headers?: Record<string, string>) => g.api('POST', PATH, body, headers);

  describe('response shape', () => {
    it('answers 200 with bulkId and one item per destination, exactly in Infobip shape', async () => {
      const r = await send({ messages: [{ sender: 'InfoSMS', destinations: [{ to: TO }, { to: '41793026834' }], content: { text: 'This is a sample message' } }] });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(Object.keys(r.body).sort(), ['bulkId', 'messages']);
      assert.equal(typeof r.body.bulkId, 'string');
      assert.ok(r.body.bulkId.length > 0);
      assert.equal(r.body.messages.length, 2);
      const ids = new Set<string>();
      for (const [i, to] of [TO, '41793026834'].entries()) {
        const m = r.body.messages[i];
        assert.equal(typeof m.messageId, 'string');
        assert.ok(m.messageId.length > 0);
        ids.add(m.messageId);
        assert.deepEqual(m, { messageId: m.messageId, status: PENDING_ACCEPTED, destination: to });
      }
      assert.equal(ids.size, 2, 'each destination gets its own generated messageId');
    });

    it('includes details.messageCount only when options.includeSmsCountInResponse is true', async () => {
      const longText = 'a'.repeat(161); // two GSM-7 parts
      const without = await send({ messages: [textMessage(TO, longText)] });
      assert.equal(without.status, 200);
      assert.equal('details' in without.body.messages[0], false);

      const explicitFalse = await send({ messages: [textMessage(TO, longText)], options: { includeSmsCountInResponse: false } });
      assert.equal(explicitFalse.status, 200);
      assert.equal('details' in explicitFalse.body.messages[0], false);

      const withCount = await send({ messages: [textMessage(TO, longText), textMessage('41793026834', 'short')], options: { includeSmsCountInResponse: true } });
      assert.equal(withCount.status, 200);
      assert.deepEqual(withCount.body.messages[0].details, { messageCount: 2 });
      assert.deepEqual(withCount.body.messages[1].details, { messageCount: 1 });
      assert.deepEqual(Object.keys(withCount.body.messages[0]).sort(), ['destination', 'details', 'messageId', 'status']);
    });

    it('echoes the client messageId and uses options.schedule.bulkId', async () => {
      const bulkId = uniq('BULK-ID');
      const messageId = uniq('MESSAGE-ID');
      const r = await send({
        messages: [{ destinations: [{ to: TO, messageId }, { to: '41793026834' }], content: { text: 'hi' } }],
        options: { schedule: { bulkId } },
      });
      assert.equal(r.status, 200);
      assert.equal(r.body.bulkId, bulkId);
      assert.equal(r.body.messages[0].messageId, messageId);
      assert.notEqual(r.body.messages[1].messageId, messageId);
      // The ids are what the message is stored and logged under.
      const logs = await g.api('GET', '/sms/3/logs' + qs({ messageId }));
      assert.equal(logs.status, 200);
      assert.equal(logs.body.results.length, 1);
      assert.equal(logs.body.results[0].bulkId, bulkId);
    });

    it('generates a different bulkId for each request without one', async () => {
      const a = await send({ messages: [textMessage(TO)] });
      const b = await send({ messages: [textMessage(TO)] });
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      assert.notEqual(a.body.bulkId, b.body.bulkId);
    });
  });

  describe('per-destination statuses', () => {
    it('rejects an invalid number with REJECTED_DESTINATION and an empty `to` with MISSING_TO, accepting the rest', async () => {
      const r = await send({ messages: [textMessage([TO, 'not-a-number', '', '123', '+41 79 302 68 34'])] });
      assert.equal(r.status, 200);
      const statuses = r.body.messages.map((m: any) => m.status);
      assert.deepEqual(statuses, [PENDING_ACCEPTED, REJECTED_DESTINATION, MISSING_TO, REJECTED_DESTINATION, PENDING_ACCEPTED]);
      assert.deepEqual(
        r.body.messages.map((m: any) => m.destination),
        [TO, 'not-a-number', '', '123', '+41 79 302 68 34'],
      );
      // The rejection is final and is what the logs show too.
      const logs = await waitForFinal(g, [r.body.messages[1].messageId, r.body.messages[2].messageId]);
      assert.equal(logs.get(r.body.messages[1].messageId).status.id, 52);
      assert.equal(logs.get(r.body.messages[2].messageId).status.id, 51);
    });

    it('rejects text over 25 parts with REJECTED_MESSAGE_TOO_LONG, but accepts exactly 25 parts', async () => {
      const r = await send({
        messages: [textMessage(TO, 'a'.repeat(153 * 25)), textMessage(TO, 'a'.repeat(153 * 25 + 1))],
        options: { includeSmsCountInResponse: true },
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.messages[0].status, PENDING_ACCEPTED);
      assert.deepEqual(r.body.messages[0].details, { messageCount: 25 });
      assert.deepEqual(r.body.messages[1].status, REJECTED_MESSAGE_TOO_LONG);
    });

    it('rejects text over 4000 bytes with REJECTED_MESSAGE_TOO_LONG even under 25 parts', async () => {
      // 'é' is one GSM-7 septet but two UTF-8 bytes: 2000 of them fit 14 parts and exactly 4000 bytes.
      const r = await send({ messages: [textMessage(TO, 'é'.repeat(2000)), textMessage(TO, 'é'.repeat(2001))] });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.messages[0].status, PENDING_ACCEPTED);
      assert.deepEqual(r.body.messages[1].status, REJECTED_MESSAGE_TOO_LONG);
    });

    it('rejects a client messageId repeated within one request with REJECTED_DUPLICATE_MESSAGE_ID', async () => {
      const messageId = uniq('dup-in');
      const r = await send({
        messages: [
          { destinations: [{ to: TO, messageId }, { to: '41793026834', messageId }], content: { text: 'one' } },
          { destinations: [{ to: '41793026835', messageId }], content: { text: 'two' } },
        ],
      });
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.messages.map((m: any) => [m.messageId, m.status]),
        [
          [messageId, PENDING_ACCEPTED],
          [messageId, REJECTED_DUPLICATE_MESSAGE_ID],
          [messageId, REJECTED_DUPLICATE_MESSAGE_ID],
        ],
      );
      const logs = await g.api('GET', '/sms/3/logs' + qs({ messageId }));
      assert.equal(logs.body.results.length, 1, 'only the first one is stored');
      assert.equal(logs.body.results[0].destination, TO);
    });

    it('rejects a client messageId already used by an earlier request', async () => {
      const messageId = uniq('dup-across');
      const first = await send({ messages: [{ destinations: [{ to: TO, messageId }], content: { text: 'first' } }] });
      assert.deepEqual(first.body.messages[0].status, PENDING_ACCEPTED);
      const second = await send({ messages: [{ destinations: [{ to: '41793026834', messageId }, { to: '41793026835' }], content: { text: 'second' } }] });
      assert.equal(second.status, 200);
      assert.deepEqual(second.body.messages[0], { messageId, status: REJECTED_DUPLICATE_MESSAGE_ID, destination: '41793026834' });
      assert.deepEqual(second.body.messages[1].status, PENDING_ACCEPTED, 'other destinations of the request are unaffected');
      const logs = await g.api('GET', '/sms/3/logs' + qs({ messageId }));
      assert.equal(logs.body.results.length, 1);
      assert.equal(logs.body.results[0].content.text, 'first');
    });
  });

  describe('request errors (v3 ApiError envelope)', () => {
    const cases: Array<[string, unknown, string]> = [
      ['missing messages', {}, 'messages'],
      ['empty messages', { messages: [] }, 'messages'],
      ['missing content', { messages: [{ destinations: [{ to: TO }] }] }, 'messages[0].content'],
      ['missing destinations', { messages: [{ content: { text: 'x' } }] }, 'messages[0].destinations'],
      ['empty destinations', { messages: [{ destinations: [], content: { text: 'x' } }] }, 'messages[0].destinations'],
      ['destination without to', { messages: [{ destinations: [{ messageId: 'x' }], content: { text: 'x' } }] }, 'messages[0].destinations[0].to'],
      ['to over 64 characters', { messages: [textMessage(['1'.repeat(65)])] }, 'messages[0].destinations[0].to'],
      ['second message broken', { messages: [textMessage(TO), { destinations: [{ to: TO }], content: 'hello' }] }, 'messages[1].content'],
      ['bad webhook content type', { messages: [textMessage(TO, 'x', { webhooks: { contentType: 'text/plain' } })] }, 'messages[0].webhooks.contentType'],
      ['callbackData over 4000', { messages: [textMessage(TO, 'x', { webhooks: { callbackData: 'c'.repeat(4001) } })] }, 'messages[0].webhooks.callbackData'],
      ['odd hex', { messages: [{ destinations: [{ to: TO }], content: { hex: '48656' } }] }, 'messages[0].content.hex'],
      ['malformed sendAt', { messages: [textMessage(TO)], options: { schedule: { sendAt: 'tomorrow' } } }, 'options.schedule.sendAt'],
    ];
    for (const [name, body, property] of cases) {
      it(`400 for ${name}, violation on ${property}`, async () => {
        const r = await send(body);
        assert.equal(r.status, 400, JSON.stringify(r.body));
        const properties = v3ErrorProperties(r.body);
        assert.equal(r.body.errorCode, V3_BAD_REQUEST.errorCode);
        assert.equal(r.body.description, V3_BAD_REQUEST.description);
        assert.equal(r.body.action, V3_BAD_REQUEST.action);
        assert.deepEqual(r.body.resources, []);
        assert.ok(properties.includes(property), `expected a violation on ${property}, got ${JSON.stringify(r.body.violations)}`);
      });
    }

    it('400 with exactly the documented envelope for a missing content', async () => {
      const r = await send({ messages: [{ destinations: [{ to: TO }] }] });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, {
        ...V3_BAD_REQUEST,
        violations: [{ property: 'messages[0].content', violation: "must have required property 'content'" }],
        resources: [],
      });
    });

    it('a request-level error stores nothing, even for the valid messages of the request', async () => {
      const messageId = uniq('not-stored');
      const r = await send({ messages: [{ destinations: [{ to: TO, messageId }], content: { text: 'ok' } }, { destinations: [{ to: TO }] }] });
      assert.equal(r.status, 400);
      const logs = await g.api('GET', '/sms/3/logs' + qs({ messageId }));
      assert.deepEqual(logs.body.results, []);
    });

    it('400 for a refused webhook URL (cloud metadata address), violation on messages[0].webhooks.delivery.url', async () => {
      const r = await send({ messages: [textMessage(TO, 'x', { webhooks: { delivery: { url: 'http://169.254.169.254/x' } } })] });
      assert.equal(r.status, 400);
      assert.deepEqual(v3ErrorProperties(r.body), ['messages[0].webhooks.delivery.url']);
      assert.match(r.body.violations[0].violation, /metadata/);
    });

    it('400 for a webhook URL with a non-HTTP scheme, pointing at the message that has it', async () => {
      const r = await send({ messages: [textMessage(TO), textMessage(TO, 'x', { webhooks: { delivery: { url: 'ftp://x' } } })] });
      assert.equal(r.status, 400);
      assert.deepEqual(v3ErrorProperties(r.body), ['messages[1].webhooks.delivery.url']);
      assert.match(r.body.violations[0].violation, /scheme/);
    });

    it('400 for a sendAt more than 180 days ahead; 179 days ahead is accepted', async () => {
      const format = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
      const tooFar = await send({ messages: [textMessage(TO)], options: { schedule: { sendAt: format(Date.now() + 181 * 86_400_000) } } });
      assert.equal(tooFar.status, 400);
      assert.deepEqual(v3ErrorProperties(tooFar.body), ['options.schedule.sendAt']);

      const bulkId = uniq('far');
      const ok = await send({ messages: [textMessage(TO)], options: { schedule: { bulkId, sendAt: format(Date.now() + 179 * 86_400_000) } } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.bulkId, bulkId);
      // Leave nothing scheduled behind.
      const cancel = await g.api('PUT', '/sms/1/bulks/status' + qs({ bulkId }), { status: 'CANCELED' });
      assert.equal(cancel.status, 200);
    });

    it('400 in the envelope (never 500) for malformed JSON', async () => {
      for (const raw of ['{"messages": [', '{messages: []}', 'null', '']) {
        const r = await send(raw, { 'content-type': 'application/json' });
        assert.equal(r.status, 400, `body ${JSON.stringify(raw)} → ${r.status} ${JSON.stringify(r.body)}`);
        v3ErrorProperties(r.body);
        assert.equal(r.body.errorCode, 'E400');
        assert.deepEqual(r.body.resources, []);
      }
    });

    it('400 in the envelope for malformed XML', async () => {
      const r = await send('<SmsRequestEnvelope><messages>', { 'content-type': 'application/xml' });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      v3ErrorProperties(r.body);
      assert.equal(r.body.errorCode, 'E400');
    });
  });

  describe('authentication', () => {
    const validBody = { messages: [textMessage(TO)] };
    it('401 with the E401 envelope when there is no Authorization header at all', async () => {
      const r = await rawApi(g, 'POST', PATH, validBody);
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, V3_UNAUTHORIZED);
    });

    const headersCases: Array<[string, Record<string, string>]> = [
      ['an empty Authorization header', { authorization: '' }],
      ['a wrong key', { authorization: 'App wrong-key' }],
      ['the scheme without credentials', { authorization: 'App' }],
      ['the scheme and blanks only', { authorization: 'App    ' }],
      ['the key without a scheme', { authorization: TEST_API_KEY }],
      ['an unsupported scheme', { authorization: `Bearer ${TEST_API_KEY}` }],
      ['Basic credentials', { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` }],
    ];
    for (const [name, headers] of headersCases) {
      it(`401 with the E401 envelope for ${name}`, async () => {
        const r = await send(validBody, headers);
        assert.equal(r.status, 401);
        assert.deepEqual(r.body, V3_UNAUTHORIZED);
      });
    }

    it('401 comes before body validation (an invalid body without a key is still 401)', async () => {
      const r = await rawApi(g, 'POST', PATH, { nonsense: true });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, V3_UNAUTHORIZED);
    });

    it('a rejected request stores nothing', async () => {
      const messageId = uniq('unauth');
      const r = await send({ messages: [{ destinations: [{ to: TO, messageId }], content: { text: 'x' } }] }, { authorization: 'App wrong' });
      assert.equal(r.status, 401);
      const logs = await g.api('GET', '/sms/3/logs' + qs({ messageId }));
      assert.deepEqual(logs.body.results, []);
    });
  });

  describe('XML', () => {
    const INFOBIP_XML_EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?><SmsRequestEnvelope>
  <messages>
    <message>
      <sender>InfoSMS</sender>
      <content>
        <text>This is a sample message</text>
      </content>
      <destinations>
        <destination>
          <to>41793026727</to>
        </destination>
      </destinations>
    </message>
  </messages>
</SmsRequestEnvelope>
`;

    it("accepts Infobip's SmsRequestEnvelope XML example and stores what it says", async () => {
      const r = await send(INFOBIP_XML_EXAMPLE, { 'content-type': 'application/xml' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.messages.length, 1);
      assert.deepEqual(r.body.messages[0].status, PENDING_ACCEPTED);
      assert.equal(r.body.messages[0].destination, '41793026727');
      const logs = await g.api('GET', '/sms/3/logs' + qs({ messageId: r.body.messages[0].messageId }));
      assert.equal(logs.body.results.length, 1);
      assert.equal(logs.body.results[0].sender, 'InfoSMS');
      assert.deepEqual(logs.body.results[0].content, { text: 'This is a sample message' });
    });

    it('accepts XML with several messages and destinations and request options', async () => {
      const bulkId = uniq('xml-bulk');
      const xml = `<?xml version="1.0" encoding="UTF-8"?><SmsRequestEnvelope>
  <messages>
    <message>
      <content><text>first</text></content>
      <destinations>
        <destination><to>41793026727</to><messageId>${bulkId}-a</messageId></destination>
        <destination><to>41793026834</to></destination>
      </destinations>
    </message>
    <message>
      <content><text>second</text></content>
      <destinations><destination><to>41793026835</to></destination></destinations>
    </message>
  </messages>
  <options>
    <schedule><bulkId>${bulkId}</bulkId></schedule>
    <includeSmsCountInResponse>true</includeSmsCountInResponse>
  </options>
</SmsRequestEnvelope>`;
      const r = await send(xml, { 'content-type': 'application/xml' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.bulkId, bulkId);
      assert.deepEqual(
        r.body.messages.map((m: any) => m.destination),
        ['41793026727', '41793026834', '41793026835'],
      );
      assert.equal(r.body.messages[0].messageId, `${bulkId}-a`);
      assert.deepEqual(r.body.messages[2].details, { messageCount: 1 });
    });

    it("accepts Infobip's fully-featured SmsRequestEnvelope XML example (nested <days><days> lists, booleans, numbers)", async () => {
      // Infobip's example, with a loopback webhook (no DNS in tests) and ids unique to this run.
      const bulkId = uniq('BULK-ID');
      const xml = `<?xml version="1.0" encoding="UTF-8"?><SmsRequestEnvelope>
  <options>
    <schedule>
      <bulkId>${bulkId}</bulkId>
      <sendAt>2021-08-24T15:00:00.000+0000</sendAt>
    </schedule>
    <tracking>
      <shortenUrl>true</shortenUrl>
      <trackClicks>true</trackClicks>
      <trackingUrl>https://example.com/click-report</trackingUrl>
      <removeProtocol>true</removeProtocol>
      <customDomain>example.com</customDomain>
    </tracking>
    <includeSmsCountInResponse>true</includeSmsCountInResponse>
    <conversionTracking>
      <useConversionTracking>true</useConversionTracking>
      <conversionTrackingName>MY_CAMPAIGN</conversionTrackingName>
    </conversionTracking>
  </options>
  <messages>
    <message>
      <sender>InfoSMS</sender>
      <content>
        <text>Artık Ulusal Dil Tanımlayıcısı ile Türkçe karakterli smslerinizi rahatlıkla iletebilirsiniz.</text>
        <transliteration>TURKISH</transliteration>
        <language>
          <languageCode>TR</languageCode>
        </language>
      </content>
      <options>
        <validityPeriod>
          <amount>720</amount>
          <timeUnit>HOURS</timeUnit>
        </validityPeriod>
        <campaignReferenceId>summersale</campaignReferenceId>
      </options>
      <webhooks>
        <delivery>
          <url>http://127.0.0.1:9/dlr</url>
          <intermediateReport>true</intermediateReport>
        </delivery>
        <contentType>application/json</contentType>
        <callbackData>DLR callback data</callbackData>
      </webhooks>
      <destinations>
        <destination>
          <to>41793026727</to>
          <messageId>${bulkId}-m1</messageId>
        </destination>
        <destination>
          <to>41793026834</to>
        </destination>
      </destinations>
    </message>
    <message>
      <sender>41793026700</sender>
      <content>
        <text>A long time ago, in a galaxy far, far away... It is a period of civil war. Rebel spaceships, striking from a hidden base, have won their first victory against the evil Galactic Empire.</text>
      </content>
      <options>
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
      </options>
      <destinations>
        <destination>
          <to>41793026700</to>
        </destination>
      </destinations>
    </message>
  </messages>
</SmsRequestEnvelope>`;
      const r = await send(xml, { 'content-type': 'application/xml' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.bulkId, bulkId);
      assert.deepEqual(
        r.body.messages.map((m: any) => [m.destination, m.status.id, m.details.messageCount]),
        [
          ['41793026727', 26, 2],
          ['41793026834', 26, 2],
          ['41793026700', 26, 2],
        ],
      );
      assert.equal(r.body.messages[0].messageId, `${bulkId}-m1`);
      const logs = await g.api('GET', '/sms/3/logs' + qs({ bulkId }));
      const byDestination = new Map(logs.body.results.map((e: any) => [e.destination, e]));
      assert.equal((byDestination.get('41793026727') as any).campaignReferenceId, 'summersale');
      assert.equal((byDestination.get('41793026700') as any).sender, '41793026700');
    });

    it('accepts an XML deliveryTimeWindow with a single day, and refuses an unknown day', async () => {
      const xml = (day: string) => `<SmsRequestEnvelope><messages><message>
  <content><text>x</text></content>
  <options><deliveryTimeWindow><days><days>${day}</days></days><from><hour>6</hour><minute>0</minute></from><to><hour>15</hour><minute>30</minute></to></deliveryTimeWindow></options>
  <destinations><destination><to>41793026727</to></destination></destinations>
</message></messages></SmsRequestEnvelope>`;
      const one = await send(xml('MONDAY'), { 'content-type': 'application/xml' });
      assert.equal(one.status, 200, JSON.stringify(one.body));
      const bad = await send(xml('FUNDAY'), { 'content-type': 'application/xml' });
      assert.equal(bad.status, 400);
      assert.ok(v3ErrorProperties(bad.body).every((p) => p.startsWith('messages[0].options.deliveryTimeWindow.days')), JSON.stringify(bad.body));
    });

    it('answers in XML with root SmsResponseEnvelope when asked with Accept: application/xml', async () => {
      const r = await send({ messages: [textMessage([TO, '41793026834'])], options: { includeSmsCountInResponse: true } }, { accept: 'application/xml' });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^application\/xml/);
      assert.equal(typeof r.body, 'string');
      assert.ok(r.body.startsWith('<?xml'), r.body);
      const doc = parseXml(r.body);
      assert.deepEqual(Object.keys(doc).filter((k) => k !== '?xml'), ['SmsResponseEnvelope']);
      const env = doc.SmsResponseEnvelope;
      assert.equal(typeof env.bulkId, 'string');
      const items = env.messages.message;
      assert.equal(items.length, 2);
      assert.deepEqual(items[0].status, { groupId: '1', groupName: 'PENDING', id: '26', name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' });
      assert.equal(items[0].destination, TO);
      assert.equal(items[1].destination, '41793026834');
      assert.deepEqual(items[0].details, { messageCount: '1' });
    });

    it('answers request errors in XML with root ApiError when asked', async () => {
      const r = await send({ messages: [] }, { accept: 'application/xml' });
      assert.equal(r.status, 400);
      const doc = parseXml(r.body);
      assert.equal(doc.ApiError.errorCode, 'E400');
      assert.equal(doc.ApiError.violations.violation.property, 'messages');
    });
  });

  // Last: accepting 10,000 messages keeps the simulated network busy for a while.
  describe('destination count limit', () => {
    it('400 when the request has more than 10,000 destinations in total; 10,000 are accepted', async () => {
      const dests = (n: number) => Array.from({ length: n }, (_, i) => ({ to: String(41790000000 + i) }));
      const tooMany = await send({ messages: [{ destinations: dests(5000), content: { text: 'x' } }, { destinations: dests(5001), content: { text: 'y' } }] });
      assert.equal(tooMany.status, 400);
      assert.deepEqual(v3ErrorProperties(tooMany.body), ['messages']);
      assert.match(tooMany.body.violations[0].violation, /10000/);

      const bulkId = uniq('ten-thousand');
      const justRight = await send({
        messages: [{ destinations: dests(5000), content: { text: 'x' } }, { destinations: dests(5000), content: { text: 'y' } }],
        options: { schedule: { bulkId } },
      });
      assert.equal(justRight.status, 200);
      assert.equal(justRight.body.messages.length, 10_000);
      assert.ok(justRight.body.messages.every((m: any) => m.status.id === 26));
    });
  });
});

describe('POST /sms/3/messages with a small MAX_BODY_BYTES', () => {
  let small: TestGateway;
  before(async () => {
    small = await startGateway({ MAX_BODY_BYTES: '2048' });
  });
  after(async () => {
    await small.close();
  });

  it('413 in the v3 envelope for a body over MAX_BODY_BYTES, and nothing is stored', async () => {
    const messageId = uniq('big');
    const r = await small.api('POST', PATH, { messages: [{ destinations: [{ to: TO, messageId }], content: { text: 'x'.repeat(3000) } }] });
    assert.equal(r.status, 413);
    assert.deepEqual(r.body, {
      errorCode: 'E413',
      description: 'Request body is too large.',
      action: 'Split the request into smaller ones.',
      violations: [],
      resources: [],
    });
    const logs = await small.api('GET', '/sms/3/logs' + qs({ messageId }));
    assert.deepEqual(logs.body.results, []);
  });

  it('a body just under the limit is accepted', async () => {
    const r = await small.api('POST', PATH, { messages: [textMessage(TO, 'x'.repeat(1900))] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  it('413 for an XML body over the limit too', async () => {
    const xml = `<SmsRequestEnvelope><messages><message><content><text>${'x'.repeat(3000)}</text></content><destinations><destination><to>${TO}</to></destination></destinations></message></messages></SmsRequestEnvelope>`;
    const r = await small.api('POST', PATH, xml, { 'content-type': 'application/xml' });
    assert.equal(r.status, 413);
    assert.equal(r.body.errorCode, 'E413');
  });
});

/**
 * POST /sms/1/preview over real HTTP: Infobip's examples, GSM-7 / UCS-2 segmentation as
 * clients see it, and the legacy error envelope.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { LEGACY_UNAUTHORIZED, parseXml, rawApi } from './support.ts';

const PATH = '/sms/1/preview';

describe('POST /sms/1/preview', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway();
  });
  after(async () => {
    await g.close();
  });

  const preview = (body: unknown, headers?: Record<string, string>) => g.api('POST', PATH, body, headers);

  it("answers Infobip's example exactly (1 message, 100 characters remaining)", async () => {
    const text = "Let's see how many characters remain unused in this message.";
    const r = await preview({ text });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      originalText: text,
      previews: [{ textPreview: text, messageCount: 1, charactersRemaining: 100, configuration: {} }],
    });
  });

  it('counts a UCS-2 text in 70-unit parts', async () => {
    const text = 'Привет, мир'; // Cyrillic forces UCS-2: 11 of 70
    const r = await preview({ text });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.previews[0], { textPreview: text, messageCount: 1, charactersRemaining: 59, configuration: {} });
  });

  it('a 161-character GSM-7 text needs 2 parts of 153', async () => {
    const r = await preview({ text: 'a'.repeat(161) });
    assert.equal(r.status, 200);
    assert.equal(r.body.previews[0].messageCount, 2);
    assert.equal(r.body.previews[0].charactersRemaining, 153 * 2 - 161);
  });

  it('160 GSM-7 characters still fit one part', async () => {
    const r = await preview({ text: 'a'.repeat(160) });
    assert.equal(r.body.previews[0].messageCount, 1);
    assert.equal(r.body.previews[0].charactersRemaining, 0);
  });

  it('GSM-7 extension characters cost two septets and are never split across parts', async () => {
    const one = await preview({ text: '€'.repeat(80) });
    assert.deepEqual([one.body.previews[0].messageCount, one.body.previews[0].charactersRemaining], [1, 0]);
    // 81 × 2 = 162 septets: 76 euro signs (152) in part one, 5 (10) in part two.
    const two = await preview({ text: '€'.repeat(81) });
    assert.deepEqual([two.body.previews[0].messageCount, two.body.previews[0].charactersRemaining], [2, 143]);
  });

  it('one non-GSM character switches the whole text to UCS-2', async () => {
    const r = await preview({ text: 'a'.repeat(69) + 'ł' });
    assert.deepEqual([r.body.previews[0].messageCount, r.body.previews[0].charactersRemaining], [1, 0]);
    const over = await preview({ text: 'a'.repeat(70) + 'ł' });
    assert.deepEqual([over.body.previews[0].messageCount, over.body.previews[0].charactersRemaining], [2, 67 * 2 - 71]);
  });

  it('an emoji takes two UCS-2 units and is not split across parts', async () => {
    const r = await preview({ text: '😀'.repeat(35) });
    assert.deepEqual([r.body.previews[0].messageCount, r.body.previews[0].charactersRemaining], [1, 0]);
    // 36 × 2 = 72 units: 33 emoji (66) per part, 3 (6) in part two.
    const over = await preview({ text: '😀'.repeat(36) });
    assert.deepEqual([over.body.previews[0].messageCount, over.body.previews[0].charactersRemaining], [2, 61]);
  });

  it("Infobip's language example: the plain preview matches, and a configured preview follows", async () => {
    const text = 'Mesaj gönderimi yapmadan önce önizleme seçeneğini kullanmanız doğru karar vermenize yardımcı olur.';
    const r = await preview({ text, languageCode: 'TR' });
    assert.equal(r.status, 200);
    assert.equal(r.body.originalText, text);
    assert.equal(r.body.previews.length, 2);
    assert.deepEqual(r.body.previews[0], { textPreview: text, messageCount: 2, charactersRemaining: 36, configuration: {} });
    assert.deepEqual(r.body.previews[1].configuration, { language: { languageCode: 'TR' } });
    assert.equal(r.body.previews[1].textPreview, text);
  });

  it('a transliteration preview carries its configuration', async () => {
    const r = await preview({ text: 'Ως Μεγαρικό ψήφισμα', transliteration: 'GREEK' });
    assert.equal(r.status, 200);
    assert.equal(r.body.previews.length, 2);
    assert.deepEqual(r.body.previews[1].configuration, { transliteration: 'GREEK' });
  });

  it('an empty text is one part with everything remaining', async () => {
    const r = await preview({ text: '' });
    assert.equal(r.status, 200);
    assert.deepEqual([r.body.previews[0].messageCount, r.body.previews[0].charactersRemaining], [1, 160]);
  });

  it("accepts Infobip's PreviewRequest XML example and answers PreviewResponse XML when asked", async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?><PreviewRequest>
  <text>Let's see how many characters remain unused in this message.</text>
</PreviewRequest>
`;
    const json = await preview(xml, { 'content-type': 'application/xml' });
    assert.equal(json.status, 200, JSON.stringify(json.body));
    assert.equal(json.body.previews[0].charactersRemaining, 100);

    const asXml = await preview(xml, { 'content-type': 'application/xml', accept: 'application/xml' });
    assert.equal(asXml.status, 200);
    const doc = parseXml(asXml.body);
    assert.equal(doc.PreviewResponse.originalText, "Let's see how many characters remain unused in this message.");
    assert.equal(doc.PreviewResponse.previews.previews.messageCount, '1');
    assert.equal(doc.PreviewResponse.previews.previews.charactersRemaining, '100');
  });

  it('400 in the legacy envelope when text is missing', async () => {
    const r = await preview({});
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      requestError: { serviceException: { messageId: 'BAD_REQUEST', text: 'Bad request', validationErrors: { text: ["must have required property 'text'"] } } },
    });
  });

  it('400 in the legacy envelope for an unknown languageCode', async () => {
    const r = await preview({ text: 'x', languageCode: 'XX' });
    assert.equal(r.status, 400);
    assert.equal(r.body.requestError.serviceException.messageId, 'BAD_REQUEST');
    assert.ok('languageCode' in r.body.requestError.serviceException.validationErrors);
  });

  it('400 in the legacy envelope (never 500) for malformed JSON', async () => {
    const r = await preview('{"text": ', { 'content-type': 'application/json' });
    assert.equal(r.status, 400);
    assert.equal(r.body.requestError.serviceException.messageId, 'BAD_REQUEST');
  });

  it('401 in the legacy envelope without a key', async () => {
    const r = await rawApi(g, 'POST', PATH, { text: 'x' });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, LEGACY_UNAUTHORIZED);
  });
});

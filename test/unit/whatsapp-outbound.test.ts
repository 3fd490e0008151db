/**
 * WhatsApp text and template requests → OutboundRequest (src/channels/whatsapp/outbound.ts).
 * The request schemas are exercised through a real gateway (test/channels/whatsapp-api.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/http/errors.ts';
import { MAX_VALIDITY_MS } from '../../src/messaging/outbound.ts';
import { fromTemplate, fromText, templateText } from '../../src/channels/whatsapp/outbound.ts';

const violationsOf = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.kind, 'BAD_REQUEST');
    return error.options.violations;
  }
  assert.fail('no violations');
};

/** The spec's "Text message" request example. */
const SPEC_TEXT = {
  from: '441134960000',
  to: '441134960001',
  messageId: 'a28dd97c-1ffb-4fcf-99f1-0b557ed381da',
  content: { text: 'Some text' },
  callbackData: 'Callback data',
  notifyUrl: 'https://www.example.com/whatsapp',
  urlOptions: { shortenUrl: true, trackClicks: true, trackingUrl: 'https://example.com/click-report', removeProtocol: true },
};

/** The spec's "Text header template message" example, with the SDK's `type` as the SDK posts it. */
const SPEC_TEMPLATE = {
  type: 'template',
  messages: [
    {
      from: '441134960000',
      to: '441134960001',
      messageId: 'a28dd97c-1ffb-4fcf-99f1-0b557ed381da',
      content: { templateName: 'template_name', templateData: { body: { placeholders: ['Ana', 'order 77'] }, header: { type: 'TEXT' as const, placeholder: 'Hi' } }, language: 'en_GB' },
      callbackData: 'Callback data',
      notifyUrl: 'https://www.example.com/whatsapp',
    },
  ],
};

describe('text message → draft', () => {
  it('maps every field; notifyUrl takes delivery and seen reports alike', () => {
    const request = fromText(SPEC_TEXT);
    assert.equal(request.family, 'whatsapp');
    assert.equal(request.sendAt, null);
    assert.equal(typeof request.bulkId, 'string');
    assert.equal(request.drafts.length, 1);
    const [d] = request.drafts;
    assert.deepEqual(
      { channel: d.channel, to: d.to, sender: d.sender, text: d.text, messageId: d.messageId, clientMessageId: d.clientMessageId, notifyUrl: d.notifyUrl, engagementUrl: d.engagementUrl, callbackData: d.callbackData },
      { channel: 'WHATSAPP', to: '441134960001', sender: '441134960000', text: 'Some text', messageId: SPEC_TEXT.messageId, clientMessageId: SPEC_TEXT.messageId, notifyUrl: SPEC_TEXT.notifyUrl, engagementUrl: SPEC_TEXT.notifyUrl, callbackData: 'Callback data' },
    );
    assert.deepEqual([d.notifyUrlPath, d.engagementUrlPath], ['notifyUrl', 'notifyUrl']);
    assert.deepEqual([d.contentType, d.notify, d.intermediate, d.binary, d.validityMs, d.sendAt], ['application/json', true, false, false, MAX_VALIDITY_MS, null]);
    assert.deepEqual(d.linkTracking, { trackClicks: true, trackingUrl: 'https://example.com/click-report', removeProtocol: true, trackingUrlPath: 'urlOptions.trackingUrl' });
    assert.deepEqual(d.options, { urlOptions: SPEC_TEXT.urlOptions });
    assert.equal(d.failover, null);
  });

  it('generates a message id when none (or an empty one) is given; empty notifyUrl means none; platform ids and previewUrl are kept', () => {
    const [d] = fromText({ from: '441134960000', to: '441134960001', messageId: '', notifyUrl: '', content: { text: 'hi', previewUrl: true }, entityId: 'e', applicationId: 'a' }).drafts;
    assert.equal(d.clientMessageId, undefined);
    assert.match(d.messageId, /^[0-9a-f-]{36}$/);
    assert.deepEqual([d.notifyUrl, d.engagementUrl], [null, null]);
    assert.deepEqual([d.entityId, d.applicationId], ['e', 'a']);
    assert.deepEqual(d.options, { previewUrl: true });
    assert.equal(d.linkTracking, null);
  });

  it('a blank text is refused as the spec words it', () => {
    assert.deepEqual(violationsOf(() => fromText({ from: '1', to: '2', content: { text: '   ' } })), [{ property: 'content.text', violation: 'must not be blank' }]);
  });
});

describe('template messages → drafts', () => {
  it('one draft per message, the bulk id kept, template content in options, text rendered from the placeholders', () => {
    const request = fromTemplate({ ...SPEC_TEMPLATE, bulkId: 'bulk-7' });
    assert.equal(request.family, 'whatsapp');
    assert.equal(request.bulkId, 'bulk-7');
    const [d] = request.drafts;
    assert.equal(d.channel, 'WHATSAPP');
    assert.equal(d.text, 'Hi\nAna\norder 77');
    assert.deepEqual([d.notifyUrl, d.engagementUrl, d.notifyUrlPath], [SPEC_TEMPLATE.messages[0].notifyUrl, SPEC_TEMPLATE.messages[0].notifyUrl, 'messages[0].notifyUrl']);
    assert.deepEqual(d.options, { templateName: 'template_name', language: 'en_GB', templateData: SPEC_TEMPLATE.messages[0].content.templateData });
    assert.equal(d.failover, null);
  });

  it('without placeholders the text is the template name; a new bulk id when none is given', () => {
    const request = fromTemplate({ messages: [{ from: '1', to: '441134960001', content: { templateName: 'welcome', templateData: { body: { placeholders: [] } }, language: 'en' } }] });
    assert.equal(request.drafts[0].text, 'welcome');
    assert.match(request.bulkId, /^[0-9a-f-]{36}$/);
    assert.equal(templateText({ templateName: 't', language: 'en', templateData: { body: { placeholders: ['a'] }, header: { type: 'IMAGE', mediaUrl: 'https://x' } } }), 'a');
  });

  it('smsFailover: one SMS step to the same recipient from the failover sender, with its own text (also kept in options)', () => {
    const m = SPEC_TEMPLATE.messages[0];
    const [d] = fromTemplate({ messages: [{ ...m, smsFailover: { from: 'InfoSMS', text: 'Your order ships today' } }] }).drafts;
    assert.deepEqual(d.failover, [{ channel: 'SMS', sender: 'InfoSMS', to: m.to, text: 'Your order ships today' }]);
    assert.deepEqual(d.options?.smsFailover, { from: 'InfoSMS', text: 'Your order ships today' });
    assert.equal(d.failoverReports, false);
  });

  it("each header and button type's required fields, on their own paths", () => {
    const m = SPEC_TEMPLATE.messages[0];
    const withData = (templateData: any) => ({ messages: [m, { ...m, content: { ...m.content, templateData: { body: { placeholders: [] }, ...templateData } } }] });
    const at = 'messages[1].content.templateData';
    assert.deepEqual(violationsOf(() => fromTemplate(withData({ header: { type: 'TEXT' } }))), [{ property: `${at}.header.placeholder`, violation: 'must not be null' }]);
    assert.deepEqual(violationsOf(() => fromTemplate(withData({ header: { type: 'TEXT', placeholder: 'a\tb' } }))), [
      { property: `${at}.header.placeholder`, violation: 'cannot have new-line/tab characters or more than 4 consecutive spaces' },
    ]);
    assert.deepEqual(violationsOf(() => fromTemplate(withData({ header: { type: 'DOCUMENT' } }))), [
      { property: `${at}.header.mediaUrl`, violation: 'must not be null' },
      { property: `${at}.header.filename`, violation: 'must not be null' },
    ]);
    assert.deepEqual(violationsOf(() => fromTemplate(withData({ header: { type: 'VIDEO' } }))), [{ property: `${at}.header.mediaUrl`, violation: 'must not be null' }]);
    assert.deepEqual(violationsOf(() => fromTemplate(withData({ header: { type: 'LOCATION', latitude: 1 } }))), [{ property: `${at}.header.longitude`, violation: 'must not be null' }]);
    assert.deepEqual(violationsOf(() => fromTemplate(withData({ buttons: [{ type: 'QUICK_REPLY' }, { type: 'COPY_CODE', parameter: 'x'.repeat(16) }, { type: 'FLOW' }] }))), [
      { property: `${at}.buttons[0].parameter`, violation: 'must not be null' },
      { property: `${at}.buttons[1].parameter`, violation: 'size must be between 1 and 15' },
    ]);
    // Complete variants pass.
    assert.equal(fromTemplate(withData({ header: { type: 'DOCUMENT', mediaUrl: 'https://x/d.pdf', filename: 'd.pdf' }, buttons: [{ type: 'URL', parameter: 'p' }] })).drafts.length, 2);
  });
});

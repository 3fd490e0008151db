import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/http/errors.ts';
import { fromV2, fromV3, MAX_VALIDITY_MS } from '../../src/messaging/outbound.ts';
import { destinationProblem } from '../../src/messaging/destination.ts';
import { STATUS } from '../../src/messaging/status-catalogue.ts';

const NOW = Date.UTC(2026, 0, 1);

describe('v2 and v3 requests become one draft shape', () => {
  it('maps the v2 fully-featured example', () => {
    const r = fromV2(
      {
        bulkId: 'BULK-ID-123-xyz',
        messages: [
          {
            callbackData: 'DLR callback data',
            destinations: [{ messageId: 'MESSAGE-ID-123-xyz', to: '41793026727' }, { to: '41793026834' }],
            from: 'InfoSMS',
            intermediateReport: true,
            notifyContentType: 'application/xml',
            notifyUrl: 'https://www.example.com/sms/advanced',
            text: 'hello',
            validityPeriod: 720,
            entityId: 'e',
            applicationId: 'a',
            campaignReferenceId: 'summersale',
          },
        ],
      },
      NOW,
    );
    assert.equal(r.family, 'sms-v2');
    assert.equal(r.bulkId, 'BULK-ID-123-xyz');
    assert.equal(r.drafts.length, 2);
    const [a, b] = r.drafts;
    assert.equal(a.messageId, 'MESSAGE-ID-123-xyz');
    assert.ok(b.messageId.length > 10, 'generated id');
    assert.deepEqual(
      [a.sender, a.notifyUrl, a.contentType, a.intermediate, a.notify, a.callbackData, a.validityMs, a.entityId, a.applicationId, a.campaignReferenceId],
      ['InfoSMS', 'https://www.example.com/sms/advanced', 'application/xml', true, true, 'DLR callback data', 720 * 60_000, 'e', 'a', 'summersale'],
    );
  });

  it('maps v3 webhooks, platform, validity units and the schedule', () => {
    const sendAt = '2026-01-02T10:00:00.000+0000';
    const r = fromV3(
      {
        messages: [
          {
            sender: 'S',
            destinations: [{ to: '41793026727' }],
            content: { text: 'x' },
            options: { validityPeriod: { amount: 30, timeUnit: 'SECONDS' }, platform: { entityId: 'e', applicationId: 'a' } },
            webhooks: { delivery: { url: 'http://h/x', intermediateReport: true, notify: false }, contentType: 'application/xml', callbackData: 'cb' },
          },
        ],
        options: { schedule: { bulkId: 'B', sendAt }, includeSmsCountInResponse: true },
      },
      NOW,
    );
    const d = r.drafts[0];
    assert.deepEqual([r.bulkId, r.sendAt, r.includeCount], ['B', Date.UTC(2026, 0, 2, 10), true]);
    assert.deepEqual([d.notifyUrl, d.notify, d.intermediate, d.contentType, d.callbackData, d.validityMs], ['http://h/x', false, true, 'application/xml', 'cb', 30_000]);
    assert.equal(d.notifyUrlPath, 'messages[0].webhooks.delivery.url');
  });

  it('caps validity at 48 hours and defaults to it', () => {
    assert.equal(fromV2({ messages: [{ destinations: [{ to: '41793026727' }], validityPeriod: 99_999 }] }, NOW).drafts[0].validityMs, MAX_VALIDITY_MS);
    assert.equal(fromV3({ messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'x' } }] }, NOW).drafts[0].validityMs, MAX_VALIDITY_MS);
  });

  it('treats a past sendAt as "now" and refuses one beyond 180 days or malformed', () => {
    assert.equal(fromV3({ messages: [{ destinations: [{ to: '1' }], content: { text: 'x' } }], options: { schedule: { sendAt: '2020-01-01T00:00:00.000+0000' } } }, NOW).sendAt, null);
    const far = new Date(NOW + 181 * 86_400_000).toISOString();
    for (const sendAt of [far, 'soon']) {
      assert.throws(
        () => fromV3({ messages: [{ destinations: [{ to: '1' }], content: { text: 'x' } }], options: { schedule: { sendAt } } }, NOW),
        (e: ApiError) => e.kind === 'BAD_REQUEST' && e.options.violations?.[0].property === 'options.schedule.sendAt',
      );
    }
  });

  it('refuses more than 10,000 destinations in one request', () => {
    const destinations = Array.from({ length: 10_001 }, (_, i) => ({ to: `4179${String(i).padStart(7, '0')}` }));
    assert.throws(() => fromV2({ messages: [{ destinations }] }, NOW), (e: ApiError) => e.kind === 'BAD_REQUEST');
  });

  it('maps v2 binary messages (/sms/2/binary/advanced) to hex content, counted in bytes', async () => {
    const { partsOf } = await import('../../src/messaging/intake.ts');
    const r = fromV2({ messages: [{ destinations: [{ to: '41793026727' }], binary: { hex: '54 65 73 74', dataCoding: 0 } }] }, NOW);
    assert.deepEqual([r.drafts[0].binary, r.drafts[0].text, partsOf(r.drafts[0])], [true, '54657374', 1]);
    assert.equal(partsOf({ binary: true, text: 'ab'.repeat(141) }), 2, '141 bytes need two 134-byte parts');
    assert.throws(() => fromV2({ messages: [{ destinations: [{ to: '41793026727' }], binary: { hex: '5' } }] }, NOW), (e: ApiError) => e.kind === 'BAD_REQUEST');
  });

  it('clips client ids to Infobip limits (bulkId 100, messageId 200)', () => {
    const r = fromV2({ bulkId: 'b'.repeat(150), messages: [{ destinations: [{ to: '41793026727', messageId: 'm'.repeat(250) }] }] }, NOW);
    assert.equal(r.bulkId.length, 100);
    assert.equal(r.drafts[0].messageId.length, 200);
  });
});

describe('destinations', () => {
  it('accepts international numbers, with + or 00', () => {
    for (const to of ['41793026727', '+41793026727', '0041793026727', '1 (415) 555-0100']) assert.equal(destinationProblem(to), null, to);
  });
  it('rejects empty and non-international numbers', () => {
    assert.equal(destinationProblem(''), STATUS.MISSING_TO);
    assert.equal(destinationProblem('   '), STATUS.MISSING_TO);
    for (const to of ['0791234567', 'abc', '123', '4179302672712345678']) assert.equal(destinationProblem(to), STATUS.REJECTED_DESTINATION, to);
  });
});

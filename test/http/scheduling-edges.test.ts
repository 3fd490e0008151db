/**
 * Scheduling and validation edges: v2 sendAt per message, reusing a scheduled bulkId, one
 * violation per bad enum value, malformed XML, v2 binary sends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatInfobipTime } from '../../src/lib/infobip-time.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { qs, uniq, waitForFinal } from './support.ts';

describe('scheduling and validation edges', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway();
  });
  after(async () => {
    await g.close();
  });

  it('v2 sendAt applies per message: an unscheduled message in the same request goes at once', async () => {
    const later = formatInfobipTime(Date.now() + 3_600_000);
    const bulkId = uniq('v2-mixed');
    const now = uniq('now');
    const wait = uniq('wait');
    const r = await g.api('POST', '/sms/2/text/advanced', {
      bulkId,
      messages: [
        { destinations: [{ to: '41793026727', messageId: now }], text: 'now' },
        { destinations: [{ to: '41793026728', messageId: wait }], text: 'later', sendAt: later },
      ],
    });
    assert.equal(r.status, 200);
    const logs = await waitForFinal(g, [now]);
    assert.equal(logs.get(now).status.name, 'DELIVERED_TO_HANDSET');
    const waiting = await g.api('GET', '/sms/3/logs' + qs({ messageId: wait }));
    assert.equal(waiting.body.results[0].status.name, 'PENDING_ACCEPTED');
    assert.equal((await g.api('GET', '/sms/1/bulks' + qs({ bulkId }))).body.sendAt, later);
  });

  it('reusing a scheduled bulkId without sendAt keeps the bulk schedule', async () => {
    const sendAt = formatInfobipTime(Date.now() + 3_600_000);
    const bulkId = uniq('reuse');
    const scheduled = { messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'x' } }], options: { schedule: { bulkId, sendAt } } };
    assert.equal((await g.api('POST', '/sms/3/messages', scheduled)).status, 200);
    assert.equal((await g.api('POST', '/sms/3/messages', { ...scheduled, options: { schedule: { bulkId } } })).status, 200);
    const bulk = await g.api('GET', '/sms/1/bulks' + qs({ bulkId }));
    assert.deepEqual([bulk.status, bulk.body.sendAt], [200, sendAt]);
  });

  it('a bad enum value is one violation, not one per allowed value', async () => {
    const r = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'x' }, webhooks: { contentType: 'text/html' } }],
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.violations, [{ property: 'messages[0].webhooks.contentType', violation: 'must be equal to one of the allowed values' }]);
  });

  it('malformed XML is reported as such', async () => {
    const r = await g.api('POST', '/sms/3/messages', '<SmsRequestEnvelope><messages>', { 'content-type': 'application/xml' });
    assert.equal(r.status, 400);
    assert.equal(r.body.description, 'Request body is not well-formed XML');
  });

  it('POST /sms/2/binary/advanced sends hex content and reports it', async () => {
    const id = uniq('bin');
    const r = await g.api('POST', '/sms/2/binary/advanced', {
      messages: [{ from: 'S', destinations: [{ to: '41793026727', messageId: id }], binary: { hex: '54 65 73 74', dataCoding: 0, esmClass: 0 } }],
      includeSmsCountInResponse: true,
    });
    assert.equal(r.status, 200);
    assert.deepEqual([r.body.messages[0].messageId, r.body.messages[0].smsCount, r.body.messages[0].status.id], [id, 1, 26]);
    const logs = await waitForFinal(g, [id]);
    assert.equal(logs.get(id).status.name, 'DELIVERED_TO_HANDSET');
    const bad = await g.api('POST', '/sms/2/binary/advanced', { messages: [{ destinations: [{ to: '41793026727' }], binary: { hex: 'zz' } }] });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.requestError.serviceException.validationErrors['messages[0].binary.hex']);
  });
});

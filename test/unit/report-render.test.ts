import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { routeReport, type RoutableMessage } from '../../src/events/routing.ts';
import { toV2Report, toV3Report, type ReportView } from '../../src/messaging/report-shape.ts';
import { renderDeliveryBody } from '../../src/webhooks/render.ts';

// The spec's example report (receive-outbound-sms-message-reports[-v3]) as Hookline stores it.
const view: ReportView = {
  report_id: 1,
  status_id: 5,
  error_id: 0,
  price_per_message: 0.01,
  currency: 'EUR',
  mcc_mnc: null,
  done_at: Date.UTC(2019, 10, 9, 16, 0, 0),
  message_id: 'MESSAGE-ID-123-xyz',
  bulk_id: 'BULK-ID-123-xyz',
  destination: '41793026727',
  sender: 'InfoSMS',
  parts: 1,
  callback_data: 'callbackData',
  entity_id: 'promotional-traffic-entity',
  application_id: 'marketing-automation-application',
  campaign_reference_id: null,
  sent_at: Date.UTC(2019, 10, 9, 16, 0, 0),
  created_at: Date.UTC(2019, 10, 9, 16, 0, 0),
};

describe('report shapes match the spec examples', () => {
  it('v3 DeliveryReport', () => {
    assert.deepEqual(toV3Report(view), {
      bulkId: 'BULK-ID-123-xyz',
      price: { pricePerMessage: 0.01, currency: 'EUR' },
      status: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' },
      error: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false },
      messageId: 'MESSAGE-ID-123-xyz',
      to: '41793026727',
      sender: 'InfoSMS',
      sentAt: '2019-11-09T16:00:00.000+0000',
      doneAt: '2019-11-09T16:00:00.000+0000',
      messageCount: 1,
      callbackData: 'callbackData',
      platform: { entityId: 'promotional-traffic-entity', applicationId: 'marketing-automation-application' },
    });
  });

  it('v2 SmsReport: from, smsCount, flat ids, "Ok" error group', () => {
    assert.deepEqual(toV2Report({ ...view, mcc_mnc: '22801', campaign_reference_id: 'c' }), {
      bulkId: 'BULK-ID-123-xyz',
      messageId: 'MESSAGE-ID-123-xyz',
      to: '41793026727',
      from: 'InfoSMS',
      sentAt: '2019-11-09T16:00:00.000+0000',
      doneAt: '2019-11-09T16:00:00.000+0000',
      smsCount: 1,
      mccMnc: '22801',
      callbackData: 'callbackData',
      price: { pricePerMessage: 0.01, currency: 'EUR' },
      status: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' },
      error: { groupId: 0, groupName: 'Ok', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false },
      entityId: 'promotional-traffic-entity',
      applicationId: 'marketing-automation-application',
      campaignReferenceId: 'c',
    });
  });

  it('omits what was not given (no callbackData, no platform)', () => {
    const item = toV3Report({ ...view, callback_data: null, entity_id: null, application_id: null });
    assert.ok(!('callbackData' in item) && !('platform' in item));
  });
});

describe('delivery bodies', () => {
  it('JSON bodies hold results[] in order', () => {
    const body = JSON.parse(renderDeliveryBody('sms-v3', 'application/json', [view, { ...view, message_id: 'second' }]));
    assert.deepEqual(body.results.map((r: { messageId: string }) => r.messageId), ['MESSAGE-ID-123-xyz', 'second']);
  });

  it('XML roots: reportResponse for v2, DeliveryReports for v3', () => {
    const parser = new XMLParser();
    const v2 = parser.parse(renderDeliveryBody('sms-v2', 'application/xml', [view]));
    const v3 = parser.parse(renderDeliveryBody('sms-v3', 'application/xml', [view]));
    assert.equal(v2.reportResponse.results.result.smsCount, 1);
    assert.equal(v3.DeliveryReports.results.result.messageCount, 1);
    assert.equal(v3.DeliveryReports.results.result.status.name, 'DELIVERED_TO_HANDSET');
  });
});

describe('routing', () => {
  const message: RoutableMessage = { pk: 1, account_id: 'a', family: 'sms-v3', notify_url: 'http://h/x', notify: 1, intermediate: 0, content_type: 'application/json' };
  it('pushes to the per-message URL', () => assert.equal(routeReport(message, true).kind, 'push'));
  it('pulls when there is no URL or notify is false', () => {
    assert.equal(routeReport({ ...message, notify_url: null }, true).kind, 'pull');
    assert.equal(routeReport({ ...message, notify: 0 }, true).kind, 'pull');
  });
  it('drops intermediate reports the message did not ask for, anywhere', () => {
    assert.equal(routeReport(message, false).kind, 'none');
    assert.equal(routeReport({ ...message, notify_url: null }, false).kind, 'none');
    assert.equal(routeReport({ ...message, intermediate: 1 }, false).kind, 'push');
  });
});

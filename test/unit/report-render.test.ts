import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import type { Kysely } from 'kysely';
import { routeReport, type EventFacts, type RoutableMessage } from '../../src/events/routing.ts';
import type { Database } from '../../src/store/schema.ts';
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
  const message: RoutableMessage = {
    pk: 1, account_id: 'a', family: 'sms-v3', notify_url: 'http://h/x', notify: 1, intermediate: 0, content_type: 'application/json',
    application_id: 'app', entity_id: null, sender: 'Shop', username: 'ops',
  };
  /** A lookup that records what it was asked and answers with one subscriber, or none. */
  const lookup = (answer: boolean) => {
    const asked: EventFacts[] = [];
    return { asked, subscribers: async (_db: unknown, _account: string, facts: EventFacts) => (asked.push(facts), answer ? [{ target: 'profile:a/p', contentType: 'application/json' }] : []) };
  };
  const db = null as unknown as Kysely<Database>;
  const kind = async (m: RoutableMessage, final: boolean, subscribed = false) => (await routeReport(db, m, final, lookup(subscribed))).kind;

  it('pushes to the per-message URL, and only there', async () => {
    const l = lookup(true);
    assert.deepEqual(await routeReport(db, message, true, l), { kind: 'push', targets: [{ target: 'http://h/x', contentType: 'application/json' }], family: 'sms-v3' });
    assert.equal(l.asked.length, 0, 'subscriptions are not even asked');
  });
  it('without a URL, asks the subscriptions with the message facts, and pushes to their profiles', async () => {
    const l = lookup(true);
    const route = await routeReport(db, { ...message, notify_url: null }, true, l);
    assert.deepEqual(route, { kind: 'push', targets: [{ target: 'profile:a/p', contentType: 'application/json' }], family: 'sms-v3' });
    assert.deepEqual(l.asked, [{ channel: 'SMS', event: 'DELIVERY', applicationId: 'app', entityId: null, resource: 'Shop', username: 'ops' }]);
  });
  it('pulls when nothing matches or notify is false', async () => {
    assert.equal(await kind({ ...message, notify_url: null }, true), 'pull');
    assert.equal(await kind({ ...message, notify: 0 }, true, true), 'pull');
    assert.equal(await kind({ ...message, notify: 0, notify_url: null }, true, true), 'pull');
  });
  it('drops intermediate reports the message did not ask for, anywhere', async () => {
    assert.equal(await kind(message, false), 'none');
    assert.equal(await kind({ ...message, notify_url: null }, false, true), 'none');
    assert.equal(await kind({ ...message, intermediate: 1 }, false), 'push');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import type { Kysely } from 'kysely';
import { routeEngagement, routeReport, type EventFacts, type RoutableMessage } from '../../src/events/routing.ts';
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
  channel: 'SMS',
  failover_step: 0,
  family: 'sms-v3',
  options: null,
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
    application_id: 'app', entity_id: null, sender: 'Shop', username: 'ops', channel: 'SMS', engagement_url: null, failover_reports: 0,
  };
  /** A lookup that records what it was asked and answers with one subscriber, or none. */
  const lookup = (answer: boolean) => {
    const asked: EventFacts[] = [];
    return { asked, subscribers: async (_db: unknown, _account: string, facts: EventFacts) => (asked.push(facts), answer ? [{ target: 'profile:a/p', contentType: 'application/json' }] : []) };
  };
  const db = null as unknown as Kysely<Database>;
  const kind = async (m: RoutableMessage, final: boolean, subscribed = false) => (await routeReport(db, m, { final, failoverStep: false }, lookup(subscribed))).kind;

  it('pushes to the per-message URL, and only there', async () => {
    const l = lookup(true);
    assert.deepEqual(await routeReport(db, message, { final: true, failoverStep: false }, l), { kind: 'push', targets: [{ target: 'http://h/x', contentType: 'application/json' }], family: 'sms-v3' });
    assert.equal(l.asked.length, 0, 'subscriptions are not even asked');
  });
  it('without a URL, asks the subscriptions with the message facts, and pushes to their profiles', async () => {
    const l = lookup(true);
    const route = await routeReport(db, { ...message, notify_url: null }, { final: true, failoverStep: false }, l);
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
  it('pushes a failover step only when the message asked for failover reports, and never pulls it', async () => {
    const step = async (m: RoutableMessage, subscribed = false) => (await routeReport(db, m, { final: false, failoverStep: true }, lookup(subscribed))).kind;
    assert.equal(await step(message), 'none');
    assert.equal(await step({ ...message, intermediate: 1 }), 'none', 'intermediateReport does not ask for failover steps');
    assert.equal(await step({ ...message, failover_reports: 1 }), 'push');
    assert.equal(await step({ ...message, failover_reports: 1, notify_url: null }), 'none', 'no subscriber: not pulled either');
    assert.equal(await step({ ...message, failover_reports: 1, notify_url: null }, true), 'push');
  });
  it('asks subscriptions with the channel as the Subscriptions API names it', async () => {
    const l = lookup(true);
    await routeReport(db, { ...message, notify_url: null, channel: 'VIBER_BM', family: 'messages-api' }, { final: true, failoverStep: false }, l);
    assert.equal(l.asked[0].channel, 'VIBER');
  });
});

describe('engagement routing', () => {
  const message: RoutableMessage = {
    pk: 1, account_id: 'a', family: 'messages-api', notify_url: 'http://h/dlr', notify: 1, intermediate: 0, content_type: 'application/json',
    application_id: null, entity_id: null, sender: 'Shop', username: null, channel: 'WHATSAPP', engagement_url: 'http://h/seen', failover_reports: 0,
  };
  const db = null as unknown as Kysely<Database>;
  const asked: EventFacts[] = [];
  const lookup = { subscribers: async (_db: unknown, _a: string, facts: EventFacts) => (asked.push(facts), [{ target: 'profile:a/p', contentType: 'application/json' }]) };

  it('goes to the engagement URL in the sending API family, else to the subscriptions of that event', async () => {
    assert.deepEqual(await routeEngagement(db, message, 'SEEN', lookup), { kind: 'push', targets: [{ target: 'http://h/seen', contentType: 'application/json' }], family: 'messages-api-seen' });
    const route = await routeEngagement(db, { ...message, engagement_url: null, family: 'email', channel: 'EMAIL' }, 'OPEN', lookup);
    assert.equal(route.kind === 'push' && route.family, 'email-tracking');
    assert.deepEqual([asked.at(-1)?.channel, asked.at(-1)?.event], ['EMAIL', 'OPEN']);
  });
  it('e-mail tracking reports are JSON whatever the message asked for (Infobip documents no XML body)', async () => {
    const xml = { ...message, family: 'email' as const, channel: 'EMAIL', content_type: 'application/xml' };
    const direct = await routeEngagement(db, xml, 'OPEN', lookup);
    assert.equal(direct.kind === 'push' && direct.targets[0].contentType, 'application/json');
    const subscribed = await routeEngagement(db, { ...xml, engagement_url: null }, 'CLICK', { subscribers: async () => [{ target: 'profile:a/p', contentType: 'application/xml' }] });
    assert.equal(subscribed.kind === 'push' && subscribed.targets[0].contentType, 'application/json');
    const seen = await routeEngagement(db, { ...message, content_type: 'application/xml' }, 'SEEN', lookup);
    assert.equal(seen.kind === 'push' && seen.targets[0].contentType, 'application/json', 'seen reports are JSON only too');
  });
  it('has nowhere to go from an SMS API message', async () => {
    assert.equal((await routeEngagement(db, { ...message, family: 'sms-v3' }, 'SEEN', lookup)).kind, 'none');
  });
});

/**
 * The email payloads (src/channels/email/shapes.ts), rendered through the payload registry as the
 * dispatcher renders them, against infobip-email-openapi.json: the delivery report webhook
 * (`receive-email-delivery-reports`), the tracking webhook (`receive-email-tracking-reports`) and
 * the pull item (ApiReport of `GET /email/1/reports`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { toEmailPullReport, trackingEventId } from '../../src/channels/email/shapes.ts';
import type { EngagementView } from '../../src/events/engagements.ts';
import type { ReportView } from '../../src/messaging/report-shape.ts';
import { ERROR, STATUS } from '../../src/messaging/status-catalogue.ts';
import { PAYLOADS, renderDeliveryBody } from '../../src/webhooks/render.ts';
import { KNOWN_ITEMS, knownProblems } from '../helpers/known-shapes.ts';
import { loadSpec, schemaProblems, webhookBodySchema } from '../helpers/spec-schema.ts';

const spec = loadSpec('infobip-email-openapi.json');
const CREATED = Date.UTC(2020, 8, 8, 5, 27, 57, 505);
const SENT = CREATED + 123;
const DONE = Date.UTC(2020, 8, 8, 5, 27, 59, 256);

// The spec's webhook example, as Hookline stores it.
const report: ReportView = {
  report_id: 21,
  status_id: 5,
  error_id: 0,
  price_per_message: 0,
  currency: 'EUR',
  mcc_mnc: null,
  done_at: DONE,
  message_id: 'hgtesn8bcmc71pujp92d',
  bulk_id: 'aszzmbhu62l7bxkhmyrj',
  destination: 'john.doe@gmail.com',
  sender: 'jane.smith@somecompany.com',
  parts: 1,
  callback_data: 'something you want back',
  entity_id: 'promotional-traffic-entity',
  application_id: 'marketing-automation-application',
  campaign_reference_id: 'campaign-reference-123',
  sent_at: SENT,
  created_at: CREATED,
  channel: 'EMAIL',
  failover_step: 0,
  family: 'email',
  options: '{"subject":"Hi","emailTracking":{"opens":true,"clicks":true}}',
};

const engagement = (event: string, url: string | null = null): EngagementView =>
  ({
    engagement_id: 31,
    event,
    occurred_at: DONE + 5000,
    url,
    message_id: '14b734recsf69n8zkao5',
    bulk_id: 'ikzzmbhu6223bxkhmyrj',
    family: 'email',
    channel: 'EMAIL',
    destination: 'john.doe@some-domain.com',
    sender: 'noreply@some-domain.com',
    callback_data: 'Callback data',
    entity_id: 'promotional-traffic-entity',
    application_id: 'marketing-automation-application',
    campaign_reference_id: 'campaign-reference-123',
    sent_at: 1704106800000,
    created_at: 1704106799000,
    options: null,
  }) as EngagementView;

const render = (family: 'email' | 'email-tracking', events: unknown[]) => JSON.parse(renderDeliveryBody(family, 'application/json', events));

describe('email payload shapes', () => {
  it('delivery report: the spec example (what Hookline knows of it)', () => {
    assert.deepEqual(render('email', [report]), {
      results: [
        {
          entityId: 'promotional-traffic-entity',
          applicationId: 'marketing-automation-application',
          campaignReferenceId: 'campaign-reference-123',
          bulkId: 'aszzmbhu62l7bxkhmyrj',
          price: { pricePerMessage: 0, currency: 'EUR' },
          status: { id: 5, groupId: 3, groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' },
          error: { id: 0, name: 'NO_ERROR', description: 'No Error', groupId: 0, groupName: 'OK', permanent: false },
          messageId: 'hgtesn8bcmc71pujp92d',
          doneAt: '2020-09-08T05:27:59.256+0000',
          smsCount: 1,
          sentAt: '2020-09-08T05:27:57.628+0000',
          timeToFirstAttempt: 123,
          callbackData: 'something you want back',
          to: 'john.doe@gmail.com',
        },
      ],
    });
  });

  it('a hard bounce carries the email error; a message never sent has no timeToFirstAttempt', () => {
    const [item] = render('email', [{ ...report, status_id: STATUS.UNDELIVERABLE_NOT_DELIVERED, error_id: ERROR.EC_HARD_BOUNCE, sent_at: null, callback_data: null, entity_id: null }]).results;
    assert.deepEqual(item.error, { groupId: 2, groupName: 'USER_ERRORS', id: 6012, name: 'EC_HARD_BOUNCE', description: 'Hard Bounce', permanent: true });
    assert.equal(item.status.name, 'UNDELIVERABLE_NOT_DELIVERED');
    assert.equal(item.sentAt, '2020-09-08T05:27:57.505+0000');
    for (const absent of ['timeToFirstAttempt', 'callbackData', 'entityId']) assert.equal(absent in item, false, absent);
  });

  it('pull item: messageCount, no callbackData, no campaignReferenceId (ApiReport names neither)', () => {
    const item = toEmailPullReport(report);
    assert.equal(item.messageCount, 1);
    for (const absent of ['smsCount', 'callbackData', 'campaignReferenceId']) assert.equal(absent in item, false, absent);
    assert.deepEqual([item.entityId, item.applicationId], [report.entity_id, report.application_id]);
  });

  it('tracking: OPENED, CLICKED (with url), COMPLAINED (with sender), one object per request', () => {
    assert.deepEqual(render('email-tracking', [engagement('OPEN')]), {
      notificationType: 'OPENED',
      eventId: trackingEventId({ engagement_id: 31, message_id: '14b734recsf69n8zkao5' }),
      domain: 'some-domain.com',
      recipient: 'john.doe@some-domain.com',
      sendDateTime: 1704106800000,
      messageId: '14b734recsf69n8zkao5',
      bulkId: 'ikzzmbhu6223bxkhmyrj',
      callbackData: 'Callback data',
      recipientInfo: {},
      campaignReferenceId: 'campaign-reference-123',
      entityId: 'promotional-traffic-entity',
      applicationId: 'marketing-automation-application',
    });
    const click = render('email-tracking', [engagement('CLICK', 'https://www.somelink.com')]);
    assert.equal(click.notificationType, 'CLICKED');
    assert.equal(click.url, 'https://www.somelink.com');
    assert.equal('sender' in click, false);
    const complaint = render('email-tracking', [engagement('COMPLAINT')]);
    assert.equal(complaint.notificationType, 'COMPLAINED');
    assert.equal(complaint.sender, 'noreply@some-domain.com');
    for (const absent of ['url', 'recipientInfo']) assert.equal(absent in complaint, false, absent);
    assert.equal(PAYLOADS['email-tracking'].maxPerDelivery, 1);
    assert.equal(PAYLOADS.email.maxPerDelivery, undefined);
  });

  it('eventId is the same for one event wherever and whenever it is rendered, and differs between events', () => {
    const id = trackingEventId({ engagement_id: 31, message_id: 'm' });
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(trackingEventId({ engagement_id: 31, message_id: 'm' }), id);
    assert.notEqual(trackingEventId({ engagement_id: 32, message_id: 'm' }), id);
  });

  it('XML, should a target ask for it: the schema titles as roots', () => {
    const xml = new XMLParser({ parseTagValue: false });
    assert.equal(xml.parse(renderDeliveryBody('email', 'application/xml', [report])).WebhookDLRPayload.results.result.messageId, report.message_id);
    assert.equal(xml.parse(renderDeliveryBody('email-tracking', 'application/xml', [engagement('OPEN')])).WebhookTrackingPayload.notificationType, 'OPENED');
  });
});

const OUTCOMES = [
  [STATUS.DELIVERED_TO_HANDSET, ERROR.NO_ERROR],
  [STATUS.PENDING_WAITING_DELIVERY, ERROR.EC_MAILBOX_TEMPORARY_UNAVAILABLE],
  [STATUS.UNDELIVERABLE_NOT_DELIVERED, ERROR.EC_HARD_BOUNCE],
  [STATUS.REJECTED_DESTINATION, ERROR.NO_ERROR],
];
const TRACKED = [['OPEN', null], ['CLICK', 'https://www.somelink.com'], ['COMPLAINT', null]] as const;

// Written down from the spec (test/helpers/known-shapes.ts), so these run where the spec is not beside the checkout.
describe('email payloads hold what the spec says (no spec needed)', () => {
  it('delivery reports: every simulated outcome, with and without the optional ids', () => {
    for (const [status_id, error_id] of OUTCOMES) {
      const body = render('email', [{ ...report, status_id, error_id }, { ...report, callback_data: null, entity_id: null, sent_at: null }]);
      assert.deepEqual(knownProblems('receive-email-delivery-reports', body), [], JSON.stringify(body));
    }
  });

  it('pull items (ApiReport): nothing the schema does not name', () => {
    assert.deepEqual(knownProblems('email-pull-reports', { results: [toEmailPullReport(report), toEmailPullReport({ ...report, sent_at: null })] }), []);
  });

  it('tracking: one object per event, nothing the schema does not name', () => {
    for (const [event, url] of TRACKED) assert.deepEqual(knownProblems('receive-email-tracking-reports', render('email-tracking', [engagement(event, url)])), [], event);
  });
});

describe('email payloads validate against the spec', { skip: spec === null ? 'shared/reference is not beside the checkout' : false }, () => {
  const schemaOf = (name: string) => ({ $ref: `#/components/schemas/${Object.keys(spec!.components.schemas).find((k) => k.endsWith(`.${name}`) || k === name)}` });
  const resolve = (s: any): any => (s.$ref ? resolve(s.$ref.replace(/^#\//, '').split('/').reduce((node: any, key: string) => node[key], spec)) : s);

  it('receive-email-delivery-reports: every simulated email outcome', () => {
    for (const [status_id, error_id] of OUTCOMES) {
      const body = render('email', [{ ...report, status_id, error_id }, { ...report, callback_data: null, entity_id: null, sent_at: null }]);
      assert.deepEqual(schemaProblems(spec!, webhookBodySchema(spec!, 'receive-email-delivery-reports'), body), []);
    }
  });

  it('GET /email/1/reports item (ApiReport)', () => {
    assert.deepEqual(schemaProblems(spec!, schemaOf('ApiReport'), toEmailPullReport(report)), []);
  });

  it('receive-email-tracking-reports: OPENED, CLICKED, COMPLAINED', () => {
    const schema = webhookBodySchema(spec!, 'receive-email-tracking-reports');
    for (const [event, url] of TRACKED) {
      const body = render('email-tracking', [engagement(event, url)]);
      // The schema types messageId as a number, yet its own examples (and every Infobip message id)
      // are strings: Hookline sends the string, as the examples do.
      assert.deepEqual(
        schemaProblems(spec!, schema, body).filter((p) => !p.startsWith('$.messageId: must be number')),
        [],
        event,
      );
      // Nothing invented: every field sent is one the schema names.
      const properties = resolve(schema).properties as Record<string, unknown>;
      for (const key of Object.keys(body)) assert.ok(key in properties, `${event}: ${key}`);
    }
  });

  it('the delivery report item names no field the schema does not', () => {
    const item = resolve(resolve(webhookBodySchema(spec!, 'receive-email-delivery-reports')).properties.results.items);
    for (const key of Object.keys(render('email', [report]).results[0])) assert.ok(key in item.properties, key);
  });

  it("the fields written down in known-shapes.ts are the schemas' own", () => {
    const fieldsOf = (schema: any) => Object.keys(resolve(schema).properties);
    assert.deepEqual(KNOWN_ITEMS['receive-email-delivery-reports'].fields, fieldsOf(resolve(webhookBodySchema(spec!, 'receive-email-delivery-reports')).properties.results.items));
    assert.deepEqual(KNOWN_ITEMS['receive-email-tracking-reports'].fields, fieldsOf(webhookBodySchema(spec!, 'receive-email-tracking-reports')));
    assert.deepEqual(KNOWN_ITEMS['email-pull-reports'].fields, fieldsOf(schemaOf('ApiReport')));
  });
});

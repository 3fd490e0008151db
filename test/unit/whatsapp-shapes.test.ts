/**
 * The WhatsApp webhook bodies (src/channels/whatsapp/shapes.ts), rendered through the payload
 * registry as the dispatcher renders them: field by field and against what is known of the spec's
 * items (test/helpers/known-shapes.ts), always; then, where the spec is beside the checkout,
 * against its webhook schemas (`receive-whatsapp-delivery-reports`, `receive-whatsapp-seen-reports`,
 * `receive-inbound-whatsapp-messages`): required fields, types, enums, date-time format.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import type { EngagementView } from '../../src/events/engagements.ts';
import type { InboundView } from '../../src/inbound/mo-shape.ts';
import type { ReportView } from '../../src/messaging/report-shape.ts';
import { ERROR, STATUS } from '../../src/messaging/status-catalogue.ts';
import { PAYLOADS, renderDeliveryBody } from '../../src/webhooks/render.ts';
import { knownProblems } from '../helpers/known-shapes.ts';
import { loadSpec, schemaProblems, webhookBodySchema } from '../helpers/spec-schema.ts';

const spec = loadSpec('infobip-whatsapp-openapi.json');
const SENT = Date.UTC(2019, 3, 9, 19, 0, 58, 647);
const DONE = Date.UTC(2019, 3, 9, 19, 1, 56, 494);

const report: ReportView = {
  report_id: 11,
  status_id: 5,
  error_id: 0,
  price_per_message: 0.21,
  currency: 'BRL',
  mcc_mnc: '22801',
  done_at: DONE,
  message_id: 'fb469d73-d362-463f-b30f-1e959b53badc',
  bulk_id: 'bulk-1',
  destination: '41793026731',
  sender: '385919998888',
  parts: 1,
  callback_data: 'order=77',
  entity_id: null,
  application_id: null,
  campaign_reference_id: null,
  sent_at: SENT,
  created_at: SENT - 5,
  channel: 'WHATSAPP',
  failover_step: 0,
  family: 'whatsapp',
  options: null,
};

const seen: EngagementView = {
  engagement_id: 12,
  event: 'SEEN',
  occurred_at: DONE + 1000,
  url: null,
  message_id: report.message_id,
  bulk_id: 'bulk-1',
  family: 'whatsapp',
  channel: 'WHATSAPP',
  destination: '41793026731',
  sender: '385919998888',
  callback_data: 'order=77',
  entity_id: 'example-entity-id',
  application_id: 'example-application-id',
  campaign_reference_id: null,
  sent_at: SENT,
  created_at: SENT - 5,
  options: null,
};

const inbound: InboundView = {
  id: 13,
  account_id: 'default',
  message_id: 'wamid.HBgLMjc4',
  from_number: '41793026731',
  to_number: '385919998888',
  text: 'Thanks!',
  keyword: null,
  clean_text: 'Thanks!',
  sms_count: 1,
  received_at: DONE + 2000,
  created_at: DONE + 2000,
  price_per_message: 0,
  currency: 'EUR',
  channel: 'WHATSAPP',
  api: 'whatsapp',
  paired_message_id: report.message_id,
  callback_data: null,
  read_at: null,
};

const render = (family: 'whatsapp' | 'whatsapp-seen' | 'whatsapp-mo', events: unknown[]) => JSON.parse(renderDeliveryBody(family, 'application/json', events));

describe('WhatsApp payload shapes', () => {
  it('delivery report: the spec example, plus callbackData', () => {
    assert.deepEqual(render('whatsapp', [report]), {
      results: [
        {
          bulkId: 'bulk-1',
          price: { pricePerMessage: 0.21, currency: 'BRL' },
          status: { id: 5, groupId: 3, groupName: 'DELIVERED', name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' },
          error: { id: 0, name: 'NO_ERROR', description: 'No Error', groupId: 0, groupName: 'OK', permanent: false },
          messageId: 'fb469d73-d362-463f-b30f-1e959b53badc',
          doneAt: '2019-04-09T19:01:56.494+0000',
          messageCount: 1,
          sentAt: '2019-04-09T19:00:58.647+0000',
          to: '41793026731',
          callbackData: 'order=77',
        },
      ],
    });
    // A message never sent yet reports its creation time.
    const [item] = render('whatsapp', [{ ...report, entity_id: 'e', application_id: null, sent_at: null, callback_data: null }]).results;
    assert.equal(item.sentAt, '2019-04-09T19:00:58.642+0000');
    assert.equal('callbackData' in item, false);
    assert.deepEqual(knownProblems('receive-whatsapp-delivery-reports', { results: [render('whatsapp', [report]).results[0], item] }), []);
  });

  it('platform ids come flat, named and ordered as in the seen report (the WhatsApp API has no platform object)', () => {
    const ids = { entity_id: 'example-entity-id', application_id: 'example-application-id' };
    const [delivered] = render('whatsapp', [{ ...report, ...ids }]).results;
    const [seenItem] = render('whatsapp-seen', [{ ...seen, ...ids }]).results;
    assert.equal(delivered.platform, undefined);
    assert.deepEqual(Object.keys(delivered).slice(-2), ['applicationId', 'entityId']);
    assert.deepEqual(Object.keys(seenItem).slice(-2), ['applicationId', 'entityId']);
    assert.deepEqual([delivered.applicationId, delivered.entityId], [seenItem.applicationId, seenItem.entityId]);
    const [one] = render('whatsapp', [{ ...report, entity_id: 'e', application_id: null }]).results;
    assert.deepEqual([one.entityId, 'applicationId' in one], ['e', false]);
  });

  it('seen report: the business number as from, the person as to', () => {
    assert.deepEqual(knownProblems('receive-whatsapp-seen-reports', render('whatsapp-seen', [seen, { ...seen, entity_id: null, application_id: null, sent_at: null }])), []);
    assert.deepEqual(render('whatsapp-seen', [seen]), {
      results: [
        {
          messageId: report.message_id,
          from: '385919998888',
          to: '41793026731',
          sentAt: '2019-04-09T19:00:58.647+0000',
          seenAt: '2019-04-09T19:01:57.494+0000',
          applicationId: 'example-application-id',
          entityId: 'example-entity-id',
        },
      ],
    });
  });

  it('inbound message: MO_OTT_CONTACT with the paired message id, counts, and the contact the schema requires', () => {
    assert.deepEqual(knownProblems('receive-inbound-whatsapp-messages', render('whatsapp-mo', [inbound, { ...inbound, paired_message_id: null, keyword: 'HELP' }])), []);
    assert.deepEqual(render('whatsapp-mo', [inbound, { ...inbound, id: 14, message_id: 'wamid.2', paired_message_id: null, callback_data: 'cb', keyword: 'HELP' }]), {
      results: [
        {
          from: '41793026731',
          to: '385919998888',
          integrationType: 'WHATSAPP',
          receivedAt: '2019-04-09T19:01:58.494+0000',
          messageId: 'wamid.HBgLMjc4',
          pairedMessageId: report.message_id,
          message: { type: 'TEXT', text: 'Thanks!' },
          price: { pricePerMessage: 0, currency: 'EUR' },
          contact: { phoneNumber: '41793026731' },
        },
        {
          from: '41793026731',
          to: '385919998888',
          integrationType: 'WHATSAPP',
          receivedAt: '2019-04-09T19:01:58.494+0000',
          messageId: 'wamid.2',
          callbackData: 'cb',
          keyword: 'HELP',
          message: { type: 'TEXT', text: 'Thanks!' },
          price: { pricePerMessage: 0, currency: 'EUR' },
          contact: { phoneNumber: '41793026731' },
        },
      ],
      messageCount: 2,
      pendingMessageCount: 0,
    });
  });

  it('XML, should a target ask for it: the same objects under the schema titles', () => {
    const xml = new XMLParser({ parseTagValue: false });
    assert.equal(xml.parse(renderDeliveryBody('whatsapp', 'application/xml', [report])).whatsappDlrReportsResponse.results.result.messageId, report.message_id);
    assert.equal(xml.parse(renderDeliveryBody('whatsapp-seen', 'application/xml', [seen])).whatsappDlrSeenReportsResponse.results.result.to, '41793026731');
    assert.equal(xml.parse(renderDeliveryBody('whatsapp-mo', 'application/xml', [inbound])).WhatsAppInboundMessages.results.result.message.type, 'TEXT');
  });

  it('the families are registered, carrying many events per delivery', () => {
    for (const family of ['whatsapp', 'whatsapp-seen', 'whatsapp-mo'] as const) assert.equal(PAYLOADS[family].maxPerDelivery, undefined, family);
  });
});

describe('WhatsApp payloads validate against the spec webhook schemas', { skip: spec === null ? 'shared/reference is not beside the checkout' : false }, () => {
  const valid = (webhook: string, body: unknown) => assert.deepEqual(schemaProblems(spec!, webhookBodySchema(spec!, webhook), body), [], `${webhook}: ${JSON.stringify(body)}`);

  it('the validator itself rejects what the schemas forbid (so a pass means something)', () => {
    const dlr = webhookBodySchema(spec!, 'receive-whatsapp-delivery-reports');
    assert.ok(schemaProblems(spec!, dlr, { results: [{ messageCount: '1' }] }).some((p) => p.includes('messageCount: must be integer')));
    assert.ok(schemaProblems(spec!, dlr, { results: [{ doneAt: '2019-04-09T19:01:56Z' }] }).some((p) => p.includes('not an Infobip date-time')));
    const mo = webhookBodySchema(spec!, 'receive-inbound-whatsapp-messages');
    const problems = schemaProblems(spec!, mo, { results: [{ message: { type: 'TEXT' } }] });
    for (const field of ['contact', 'from', 'integrationType', 'messageId', 'price', 'receivedAt', 'to']) assert.ok(problems.includes(`$.results[0].${field}: required`), field);
    assert.ok(problems.includes('$.results[0].message.text: required'), 'the TEXT variant is followed through the discriminator');
    assert.ok(schemaProblems(spec!, mo, { results: [{ message: { type: 'SMS' } }] }).some((p) => p.includes('message.type: must be one of')));
  });

  it('receive-whatsapp-delivery-reports: every outcome (delivered, undeliverable, expired, rejected), with and without optional fields', () => {
    const outcomes = [
      [STATUS.DELIVERED_TO_HANDSET, ERROR.NO_ERROR],
      [STATUS.DELIVERED_TO_OPERATOR, ERROR.NO_ERROR],
      [STATUS.PENDING_WAITING_DELIVERY, ERROR.EC_ABSENT_SUBSCRIBER],
      [STATUS.UNDELIVERABLE_NOT_DELIVERED, ERROR.EC_UNKNOWN_SUBSCRIBER],
      [STATUS.UNDELIVERABLE_REJECTED_OPERATOR, ERROR.EC_CALL_BARRED],
      [STATUS.EXPIRED_EXPIRED, ERROR.EC_VALIDITY_EXPIRED],
      [STATUS.REJECTED_NETWORK, ERROR.NO_ERROR],
      [STATUS.REJECTED_DESTINATION, ERROR.NO_ERROR],
    ];
    for (const [status_id, error_id] of outcomes) {
      valid('receive-whatsapp-delivery-reports', render('whatsapp', [{ ...report, status_id, error_id }, { ...report, callback_data: null, entity_id: 'e', application_id: 'a', sent_at: null }]));
    }
  });

  it('receive-whatsapp-seen-reports', () => {
    valid('receive-whatsapp-seen-reports', render('whatsapp-seen', [seen, { ...seen, entity_id: null, application_id: null, sent_at: null }]));
  });

  it('receive-inbound-whatsapp-messages', () => {
    valid('receive-inbound-whatsapp-messages', render('whatsapp-mo', [inbound, { ...inbound, paired_message_id: null, callback_data: 'cb', keyword: 'HELP' }]));
  });
});

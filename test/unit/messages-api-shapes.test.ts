/**
 * The Messages API payloads (src/channels/messages-api/shapes.ts), rendered through the webhook
 * render registry: field by field and against what is known of the spec's items (required fields,
 * integers, date-times; test/helpers/known-shapes.ts), always; then, where the spec is beside the
 * checkout, against its own webhook schemas (types, enums, formats) and, stricter than the spec,
 * for fields it does not declare.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import type { MoView } from '../../src/channels/messages-api/mo-views.ts';
import type { EngagementView } from '../../src/events/engagements.ts';
import type { ReportView } from '../../src/messaging/report-shape.ts';
import { PAYLOADS } from '../../src/webhooks/render.ts';
import { knownProblems } from '../helpers/known-shapes.ts';
import { loadSpec, schemaProblems, webhookBodySchema } from '../helpers/spec-schema.ts';

const spec = loadSpec('infobip-messages-api-openapi.json');
const skip = spec === null && 'shared/reference is not beside the checkout';
const PREFIX = '899caf445aab842b03fe1d74e4afd7097f0161dae66538ffa05bba2f153d708f.';
const T0 = Date.UTC(2024, 1, 6, 14, 18, 29, 797);

/** Every problem of a body against a webhook's schema, plus item fields the item schema does not declare. */
function specProblems(webhook: string, itemSchema: string, body: any): string[] {
  const found = schemaProblems(spec!, webhookBodySchema(spec!, webhook), body);
  const item = spec!.components.schemas[PREFIX + itemSchema];
  const declared = new Set([...Object.keys(item.properties ?? {}), ...(item.allOf ?? []).flatMap((p: any) => Object.keys(p.properties ?? (p.$ref ? spec!.components.schemas[p.$ref.split('/').pop()].properties : {})))]);
  for (const [i, result] of body.results.entries()) for (const key of Object.keys(result)) if (!declared.has(key)) found.push(`$.results[${i}].${key}: not in ${itemSchema}`);
  return found;
}

const report = (overrides: Partial<ReportView> = {}): ReportView => ({
  report_id: 1,
  status_id: 5,
  error_id: 0,
  price_per_message: 0.01,
  currency: 'EUR',
  mcc_mnc: '22801',
  done_at: T0 + 1_304,
  message_id: 'm-1',
  bulk_id: 'b-1',
  destination: '41793026727',
  sender: '447860099299',
  parts: 1,
  callback_data: 'user=42',
  entity_id: 'e1',
  application_id: 'a1',
  campaign_reference_id: 'c1',
  sent_at: T0,
  created_at: T0 - 5,
  channel: 'WHATSAPP',
  failover_step: 0,
  family: 'messages-api',
  options: null,
  ...overrides,
});

const seen = (overrides: Partial<EngagementView> = {}): EngagementView => ({
  engagement_id: 7,
  event: 'SEEN',
  occurred_at: T0 + 600_000,
  url: null,
  message_id: 'm-1',
  bulk_id: 'b-1',
  family: 'messages-api',
  channel: 'VIBER_BM',
  destination: '41793026727',
  sender: 'ViberShop',
  callback_data: 'user=42',
  entity_id: 'e1',
  application_id: null,
  campaign_reference_id: 'c1',
  sent_at: T0,
  created_at: T0 - 5,
  options: null,
  ...overrides,
});

const mo = (overrides: Partial<MoView> = {}): MoView =>
  ({
    id: 3,
    account_id: 'acc',
    message_id: 'mo-1',
    from_number: '41790001011',
    to_number: '447860099299',
    text: 'Thanks!',
    keyword: null,
    clean_text: 'Thanks!',
    sms_count: 1,
    received_at: T0 + 900_000,
    created_at: T0 + 900_000,
    price_per_message: 0,
    currency: 'EUR',
    channel: 'WHATSAPP',
    api: 'messages-api',
    paired_message_id: 'm-1',
    // The replied-to message's callbackData, stored with the reply by the network.
    callback_data: 'user=42',
    read_at: null,
    paired: { entity_id: 'e1', application_id: 'a1', campaign_reference_id: 'c1', correlation_data: 'corr-9' },
    ...overrides,
  }) as MoView;

const json = (family: keyof typeof PAYLOADS, events: unknown[]) => JSON.parse(PAYLOADS[family].render('application/json', events));

describe('DELIVERY (receive-messages-api-delivery-reports)', () => {
  it('every field, in the spec’s shape: event, the report’s channel, mccMnc as an integer, no price', () => {
    const body = json('messages-api', [report()]);
    assert.deepEqual(knownProblems('receive-messages-api-delivery-reports', body), []);
    assert.deepEqual(body, {
      results: [
        {
          event: 'DELIVERY',
          channel: 'WHATSAPP',
          sender: '447860099299',
          destination: '41793026727',
          sentAt: '2024-02-06T14:18:29.797+0000',
          doneAt: '2024-02-06T14:18:31.101+0000',
          bulkId: 'b-1',
          messageId: 'm-1',
          callbackData: 'user=42',
          messageCount: 1,
          status: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' },
          error: { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false },
          platform: { entityId: 'e1', applicationId: 'a1' },
          mccMnc: 22801,
          campaignReferenceId: 'c1',
        },
      ],
    });
  });

  it('optional fields are absent when the message has none; a missing sender is the empty string the schema still requires', () => {
    const [item] = json('messages-api', [report({ sender: null, callback_data: null, entity_id: null, application_id: null, campaign_reference_id: null, mcc_mnc: null, sent_at: null })]).results;
    assert.deepEqual(knownProblems('receive-messages-api-delivery-reports', { results: [item] }), []);
    for (const absent of ['callbackData', 'platform', 'mccMnc', 'campaignReferenceId']) assert.equal(item[absent], undefined, absent);
    assert.equal(item.sender, '');
    assert.equal(item.sentAt, '2024-02-06T14:18:29.792+0000', 'sentAt falls back to the time the message was accepted');
  });

  it('every simulated outcome renders valid items (intermediate, undeliverable, expired, rejected)', () => {
    const outcomes = [
      [3, 27],
      [9, 1],
      [15, 27],
      [6, 0],
      [2, 0],
      [4, 13],
      [15, 0],
      [52, 0],
    ];
    const body = json('messages-api', outcomes.map(([status_id, error_id], i) => report({ report_id: i, status_id, error_id })));
    assert.deepEqual(knownProblems('receive-messages-api-delivery-reports', body), []);
    assert.deepEqual(body.results.map((r: any) => [r.status.id, r.error.id]), outcomes);
  });

  it('a failover step’s report names its own channel, sender and destination (the view carries the step’s own)', () => {
    const [whatsapp, sms] = json('messages-api', [
      report({ channel: 'WHATSAPP', status_id: 9, error_id: 1, failover_step: 1, sender: '447860099299', destination: '41790001012' }),
      report({ channel: 'SMS', sender: 'Shop', destination: '41790001012' }),
    ]).results;
    assert.deepEqual([whatsapp.channel, whatsapp.sender, whatsapp.status.name], ['WHATSAPP', '447860099299', 'UNDELIVERABLE_NOT_DELIVERED']);
    assert.deepEqual([sms.channel, sms.sender, sms.status.name], ['SMS', 'Shop', 'DELIVERED_TO_HANDSET']);
  });

  it('XML: <MessagesApiDeliveryReportResponse><results><results>…, as the spec’s example', () => {
    const xml = PAYLOADS['messages-api'].render('application/xml', [report(), report({ report_id: 2, message_id: 'm-2' })]);
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?><MessagesApiDeliveryReportResponse><results><results><event>DELIVERY<\/event><channel>WHATSAPP<\/channel>/);
    const parsed = new XMLParser({ parseTagValue: false }).parse(xml);
    const items = parsed.MessagesApiDeliveryReportResponse.results.results;
    assert.deepEqual(items.map((i: any) => [i.messageId, i.mccMnc, i.error.permanent, i.platform.entityId]), [
      ['m-1', '22801', 'false', 'e1'],
      ['m-2', '22801', 'false', 'e1'],
    ]);
  });
});

describe('SEEN (receive-messages-api-seen-reports)', () => {
  it('every field, in the spec’s shape', () => {
    const body = json('messages-api-seen', [seen()]);
    assert.deepEqual(knownProblems('receive-messages-api-seen-reports', body), []);
    assert.deepEqual(body, {
      results: [
        {
          event: 'SEEN',
          channel: 'VIBER_BM',
          sender: 'ViberShop',
          destination: '41793026727',
          sentAt: '2024-02-06T14:18:29.797+0000',
          seenAt: '2024-02-06T14:28:29.797+0000',
          bulkId: 'b-1',
          messageId: 'm-1',
          callbackData: 'user=42',
          platform: { entityId: 'e1' },
          campaignReferenceId: 'c1',
        },
      ],
    });
  });

  it('optional fields absent when the message has none, on every chat channel', () => {
    const events = ['WHATSAPP', 'VIBER_BM', 'RCS'].map((channel, i) => seen({ engagement_id: i, channel, callback_data: null, entity_id: null, campaign_reference_id: null }));
    const body = json('messages-api-seen', events);
    assert.deepEqual(knownProblems('receive-messages-api-seen-reports', body), []);
    assert.deepEqual(Object.keys(body.results[2]), ['event', 'channel', 'sender', 'destination', 'sentAt', 'seenAt', 'bulkId', 'messageId']);
  });
});

describe('MO (receive-messages-api-incoming-messages)', () => {
  it('a reply: content TEXT with cleanText, pairedMessageId, and the replied-to message’s callbackData, platform, campaign and correlationData', () => {
    const body = json('messages-api-mo', [mo()]);
    assert.deepEqual(knownProblems('receive-messages-api-incoming-messages', body), []);
    assert.deepEqual(body, {
      results: [
        {
          event: 'MO',
          channel: 'WHATSAPP',
          sender: '41790001011',
          destination: '447860099299',
          content: [{ type: 'TEXT', text: 'Thanks!', cleanText: 'Thanks!' }],
          receivedAt: '2024-02-06T14:33:29.797+0000',
          messageId: 'mo-1',
          pairedMessageId: 'm-1',
          callbackData: 'user=42',
          messageCount: 1,
          platform: { entityId: 'e1', applicationId: 'a1' },
          campaignReferenceId: 'c1',
          metadata: { correlationData: 'corr-9' },
        },
      ],
    });
  });

  it('callbackData is the one stored with the reply; platform, campaign and correlationData come with the replied-to message', () => {
    const [stored] = json('messages-api-mo', [mo({ callback_data: 'stored-with-reply' })]).results;
    assert.equal(stored.callbackData, 'stored-with-reply');
    const [none] = json('messages-api-mo', [mo({ callback_data: null })]).results;
    assert.equal(none.callbackData, undefined, 'none stored: none rendered, whatever the replied-to message had');
    assert.deepEqual(none.platform, { entityId: 'e1', applicationId: 'a1' });
    const [gone] = json('messages-api-mo', [mo({ paired: null })]).results;
    assert.deepEqual([gone.pairedMessageId, gone.callbackData, gone.platform, gone.metadata], ['m-1', 'user=42', undefined, undefined], 'the replied-to message is gone');
  });

  it('an unpaired message with a keyword carries only what it has', () => {
    const [item] = json('messages-api-mo', [mo({ channel: 'SMS', paired_message_id: null, paired: null, callback_data: null, text: 'QUIZ Paris', clean_text: 'Paris', keyword: 'QUIZ' })]).results;
    assert.deepEqual(knownProblems('receive-messages-api-incoming-messages', { results: [item] }), []);
    assert.deepEqual(item.content, [{ type: 'TEXT', text: 'QUIZ Paris', cleanText: 'Paris', keyword: 'QUIZ' }]);
    for (const absent of ['pairedMessageId', 'callbackData', 'platform', 'campaignReferenceId', 'metadata']) assert.equal(item[absent], undefined, absent);
  });

  it('the push body is {results} only (the pull adds the counts, see the pull test)', () => {
    assert.deepEqual(Object.keys(json('messages-api-mo', [mo()])), ['results']);
  });
});

describe('what is known of the items is checked (so a pass above means something)', () => {
  it('a missing required field, a string mccMnc, a date-time in another format, an incomplete status', () => {
    const [item] = json('messages-api', [report()]).results;
    const { sender: _sender, ...withoutSender } = item;
    assert.deepEqual(knownProblems('receive-messages-api-delivery-reports', { results: [withoutSender] }), ['$.results[0].sender: required']);
    assert.deepEqual(knownProblems('receive-messages-api-delivery-reports', { results: [{ ...item, mccMnc: '22801' }] }), ['$.results[0].mccMnc: must be integer, is "22801"']);
    assert.deepEqual(knownProblems('receive-messages-api-delivery-reports', { results: [{ ...item, doneAt: '2024-02-06T14:18:31Z' }] }), ['$.results[0].doneAt: not an Infobip date-time: 2024-02-06T14:18:31Z']);
    assert.deepEqual(knownProblems('receive-messages-api-delivery-reports', { results: [{ ...item, status: { id: 5 } }] }), ['groupId', 'groupName', 'name', 'description'].map((f) => `$.results[0].status.${f}: required`));
  });
});

describe("against the spec's webhook schemas", { skip }, () => {
  const outcomes = [[3, 27], [9, 1], [15, 27], [6, 0], [2, 0], [4, 13], [15, 0], [52, 0]];
  const bare = { sender: null, callback_data: null, entity_id: null, application_id: null, campaign_reference_id: null, mcc_mnc: null, sent_at: null };

  it('DELIVERY: every field, none of the optional ones, every simulated outcome, a failover step', () => {
    const body = json('messages-api', [report(), report(bare), ...outcomes.map(([status_id, error_id], i) => report({ report_id: i, status_id, error_id })), report({ failover_step: 1, status_id: 9, error_id: 1 })]);
    assert.deepEqual(specProblems('receive-messages-api-delivery-reports', 'MessagesApiDeliveryResult', body), []);
  });

  it('SEEN: every field, and none of the optional ones on every chat channel', () => {
    const events = ['WHATSAPP', 'VIBER_BM', 'RCS'].map((channel, i) => seen({ engagement_id: i, channel, callback_data: null, entity_id: null, campaign_reference_id: null }));
    assert.deepEqual(specProblems('receive-messages-api-seen-reports', 'MessagesApiSeenResult', json('messages-api-seen', [seen(), ...events])), []);
  });

  it('MO: a reply, and an unpaired message with a keyword', () => {
    const body = json('messages-api-mo', [mo(), mo({ channel: 'SMS', paired_message_id: null, paired: null, callback_data: null, text: 'QUIZ Paris', clean_text: 'Paris', keyword: 'QUIZ' })]);
    assert.deepEqual(specProblems('receive-messages-api-incoming-messages', 'MessagesApiMoEvent', body), []);
  });

  it('the pull bodies: MessagesApiDeliveryReportResponse, and the push MO body with the counts', () => {
    const reports = spec!.paths['/messages-api/1/reports'].get.responses['200'].content['application/json'].schema;
    assert.deepEqual(schemaProblems(spec!, reports, json('messages-api', [report()])), []);
    const inbound = spec!.paths['/messages-api/1/inbound'].get.responses['200'].content['application/json'].schema;
    assert.deepEqual(schemaProblems(spec!, inbound, { ...json('messages-api-mo', [mo()]), messageCount: 1, pendingMessageCount: 0 }), []);
  });
});

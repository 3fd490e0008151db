/**
 * The Messages API's events end to end, each through a per-message URL and through a
 * subscription (security, profile and subscription made with the Subscriptions API):
 *  - SEEN on the chat channels (WHATSAPP, VIBER_BM, RCS) to `webhooks.seen.url`, or to a SEEN
 *    subscription of the channel (VIBER for VIBER_BM); never on SMS, never for …1010;
 *  - DELIVERY to a DELIVERY subscription of the message's channel when it has no delivery URL;
 *  - the person's reply to …1011 (MO, with pairedMessageId) to an INBOUND_MESSAGE subscription,
 *    or else to `GET /messages-api/1/inbound` (pulled once, by channel);
 *  - `GET /messages-api/1/reports`: reports nobody took, each once, filtered as the spec says.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayPerSuite } from '../helpers/hookline.ts';
import { qs, uniq, waitUntil } from '../http/support.ts';
import {
  assertSpecBody,
  assertStatus,
  CHANNELS,
  CHAT_CHANNELS,
  collect,
  DELIVERED,
  INFOBIP_TIME,
  itemsOf,
  NOT_DELIVERED,
  numberEnding,
  send,
  sleep,
  subscribe,
  SUBSCRIPTION_CHANNEL,
  wireMs,
} from './messages-api-support.ts';

const suite = gatewayPerSuite();
const { receivers } = suite;

/** A sender nobody else uses: subscriptions below match on it (`resources`), so tests sharing the gateway stay apart. */
const newSender = () => `44786${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;

describe('SEEN', { concurrency: true }, () => {
  for (const channel of CHAT_CHANNELS) {
    test(`${channel}: DELIVERY to webhooks.delivery.url, then SEEN to webhooks.seen.url, in the spec's seen shape`, async () => {
      const [dlr, seen] = [await receivers.start(), await receivers.start()];
      const sender = newSender();
      const sent = await send(suite.g, { channel, sender, to: numberEnding('2727'), delivery: dlr.url, seen: seen.url, callbackData: 'cb-seen', platform: { applicationId: 'app-seen' }, campaignReferenceId: 'camp-seen' });
      const [report] = await collect(dlr, 'DELIVERY', 1);
      const [item] = await collect(seen, 'SEEN', 1);
      assert.deepEqual(
        { ...item, sentAt: undefined, seenAt: undefined },
        {
          event: 'SEEN',
          channel,
          sender,
          destination: sent.destination,
          sentAt: undefined,
          seenAt: undefined,
          bulkId: sent.bulkId,
          messageId: sent.messageId,
          callbackData: 'cb-seen',
          platform: { applicationId: 'app-seen' },
          campaignReferenceId: 'camp-seen',
        },
      );
      assert.match(item.seenAt, INFOBIP_TIME);
      assert.equal(item.sentAt, report.sentAt);
      assert.ok(wireMs(item.seenAt) >= wireMs(report.doneAt), 'seen after delivery');
    });

    test(`${channel} …1010: delivered, never seen`, async () => {
      const [dlr, seen] = [await receivers.start(), await receivers.start()];
      await send(suite.g, { channel, to: numberEnding('1010'), delivery: dlr.url, seen: seen.url });
      const [report] = await collect(dlr, 'DELIVERY', 1);
      assertStatus(report, DELIVERED, `${channel} 1010`);
      await sleep(500);
      assert.equal(seen.requests.length, 0);
    });

    test(`${channel}: SEEN through a SEEN subscription of ${SUBSCRIPTION_CHANNEL[channel]} (no seen URL on the message)`, async () => {
      const [sub, otherEvent, otherChannel] = [await receivers.start(), await receivers.start(), await receivers.start()];
      const sender = newSender();
      await subscribe(suite.g, sub.url, SUBSCRIPTION_CHANNEL[channel], ['SEEN'], { resources: [sender] });
      await subscribe(suite.g, otherEvent.url, SUBSCRIPTION_CHANNEL[channel], ['CLICK'], { resources: [sender] });
      await subscribe(suite.g, otherChannel.url, channel === 'RCS' ? 'WHATSAPP' : 'RCS', ['SEEN'], { resources: [sender] });
      const dlr = await receivers.start();
      const sent = await send(suite.g, { channel, sender, to: numberEnding('2727'), delivery: dlr.url });
      const [item] = await collect(sub, 'SEEN', 1);
      assert.deepEqual([item.event, item.channel, item.messageId, item.sender], ['SEEN', channel, sent.messageId, sender]);
      assert.equal(sub.requests[0].headers.authorization, 'Basic ' + Buffer.from('hook:hook-secret').toString('base64'), 'the profile’s security');
      await sleep(300);
      assert.deepEqual([otherEvent.requests.length, otherChannel.requests.length], [0, 0], 'other events and channels get nothing');
      assert.equal(itemsOf(dlr, 'DELIVERY').length, 1, 'the delivery report still went to its URL');
    });
  }

  test('SMS has no SEEN: nothing reaches the seen URL or a SEEN subscription', async () => {
    const [dlr, seen] = [await receivers.start(), await receivers.start()];
    await send(suite.g, { channel: 'SMS', to: numberEnding('2727'), delivery: dlr.url, seen: seen.url });
    await collect(dlr, 'DELIVERY', 1);
    await sleep(500);
    assert.equal(seen.requests.length, 0);
  });
});

describe('DELIVERY through a subscription', { concurrency: true }, () => {
  for (const channel of CHANNELS) {
    test(`${channel}: a DELIVERY subscription of ${SUBSCRIPTION_CHANNEL[channel]} receives the Messages API report; other channels' subscriptions do not`, async () => {
      const [sub, other] = [await receivers.start(), await receivers.start()];
      const sender = newSender();
      await subscribe(suite.g, sub.url, SUBSCRIPTION_CHANNEL[channel], ['DELIVERY'], { resources: [sender] });
      await subscribe(suite.g, other.url, channel === 'SMS' ? 'WHATSAPP' : 'SMS', ['DELIVERY'], { resources: [sender] });
      const sent = await send(suite.g, { channel, sender, to: numberEnding('1002'), callbackData: 'via-sub' });
      const [item] = await collect(sub, 'DELIVERY', 1);
      assertStatus(item, NOT_DELIVERED, `${channel} via subscription`);
      assert.deepEqual([item.event, item.channel, item.messageId, item.sender, item.callbackData], ['DELIVERY', channel, sent.messageId, sender, 'via-sub']);
      await sleep(300);
      assert.equal(other.requests.length, 0);
      // Pushed, so not pulled.
      assert.deepEqual((await suite.g.api('GET', '/messages-api/1/reports' + qs({ messageId: sent.messageId }))).body, { results: [] });
    });
  }
});

describe('inbound replies (…1011: delivered, seen, then “Thanks!”)', { concurrency: true }, () => {
  for (const channel of CHAT_CHANNELS) {
    test(`${channel}: the reply reaches an INBOUND_MESSAGE subscription of ${SUBSCRIPTION_CHANNEL[channel]} with pairedMessageId and the message's callbackData`, async () => {
      const [sub, seen] = [await receivers.start(), await receivers.start()];
      const sender = newSender();
      await subscribe(suite.g, sub.url, SUBSCRIPTION_CHANNEL[channel], ['INBOUND_MESSAGE'], { resources: [sender] });
      const sent = await send(suite.g, {
        channel,
        sender,
        to: numberEnding('1011'),
        seen: seen.url,
        callbackData: 'order=77',
        correlationData: 'corr-77',
        platform: { entityId: 'ent-77' },
        campaignReferenceId: 'camp-77',
      });
      const [mo] = await collect(sub, 'MO', 1);
      assert.deepEqual(
        { ...mo, receivedAt: undefined, messageId: undefined },
        {
          event: 'MO',
          channel,
          sender: sent.destination,
          destination: sender,
          content: [{ type: 'TEXT', text: 'Thanks!', cleanText: 'Thanks!' }],
          receivedAt: undefined,
          messageId: undefined,
          pairedMessageId: sent.messageId,
          callbackData: 'order=77',
          messageCount: 1,
          platform: { entityId: 'ent-77' },
          campaignReferenceId: 'camp-77',
          metadata: { correlationData: 'corr-77' },
        },
      );
      assert.match(mo.receivedAt, INFOBIP_TIME);
      assert.equal(typeof mo.messageId, 'string');
      assert.notEqual(mo.messageId, sent.messageId);
      const [seenItem] = await collect(seen, 'SEEN', 1);
      assert.ok(wireMs(mo.receivedAt) >= wireMs(seenItem.seenAt), 'the reply comes after the message was seen');
    });
  }
});

describe('pull endpoints', () => {
  test('GET /messages-api/1/inbound: the replies nobody took, by channel, each once', async () => {
    const sent = { VIBER_BM: await send(suite.g, { channel: 'VIBER_BM', sender: newSender(), to: numberEnding('1011') }), RCS: await send(suite.g, { channel: 'RCS', sender: newSender(), to: numberEnding('1011') }) };
    // Both replies are stored before either channel is pulled, so the channel filter is what keeps them apart.
    await waitUntil(async () => {
      const rows = await suite.g.hookline.store.db.selectFrom('inbound_messages').select('paired_message_id').where('paired_message_id', 'in', [sent.VIBER_BM.messageId, sent.RCS.messageId]).execute();
      return rows.length === 2;
    }, 'both replies');
    const pull = async (channel: string) => {
      const r = await suite.g.api('GET', '/messages-api/1/inbound' + qs({ channel, limit: 1000 }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (r.body.results.length) assertSpecBody('MO', { results: r.body.results });
      assert.equal(r.body.messageCount, r.body.results.length);
      assert.equal(typeof r.body.pendingMessageCount, 'number');
      return r.body;
    };
    const viber = await pull('VIBER_BM');
    assert.ok(viber.results.some((m: any) => m.pairedMessageId === sent.VIBER_BM.messageId), JSON.stringify(viber));
    assert.ok(viber.results.every((m: any) => m.channel === 'VIBER_BM'), 'only VIBER_BM replies');
    const again = await pull('VIBER_BM');
    assert.ok(!again.results.some((m: any) => m.pairedMessageId === sent.VIBER_BM.messageId), 'pulled once');
    const rcs = await pull('RCS');
    const reply = rcs.results.find((m: any) => m.pairedMessageId === sent.RCS.messageId);
    assert.ok(reply, 'the RCS reply was left for the RCS pull');
    assert.deepEqual([reply.event, reply.channel, reply.content[0].text, reply.sender], ['MO', 'RCS', 'Thanks!', sent.RCS.destination]);
  });

  test('GET /messages-api/1/reports: reports nobody took, each once, filtered by channel, bulkId, messageId, platform and campaign', async () => {
    const app = uniq('app');
    const ids: Record<string, string> = {};
    for (const channel of CHANNELS) ids[channel] = (await send(suite.g, { channel, to: numberEnding('2727'), platform: { entityId: 'ent-pull', applicationId: app }, campaignReferenceId: 'camp-pull' })).messageId;
    const bulk = await send(suite.g, { channel: 'SMS', to: numberEnding('2727') }, { options: { schedule: { bulkId: uniq('pull-bulk') } } });
    const pull = async (query: Record<string, string | number>) => {
      const r = await suite.g.api('GET', '/messages-api/1/reports' + qs(query));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body), ['results']);
      if (r.body.results.length) assertSpecBody('DELIVERY', r.body);
      return r.body.results as Array<Record<string, any>>;
    };
    // Wait until every message has its final report (read from the store: no Messages API endpoint shows it without consuming it).
    await waitUntil(async () => {
      const rows = await suite.g.hookline.store.db.selectFrom('messages').select('state').where('message_id', 'in', [...Object.values(ids), bulk.messageId]).execute();
      return rows.length === 5 && rows.every((m) => m.state === 'FINAL');
    }, 'all final');
    // The SMS pull endpoints do not drain Messages API reports.
    assert.ok(!(await suite.g.api('GET', '/sms/3/reports' + qs({ messageId: ids.SMS }))).body.results.length);
    // Filters that match nothing take nothing.
    assert.deepEqual(await pull({ applicationId: app, campaignReferenceId: 'another' }), []);
    assert.deepEqual(await pull({ entityId: 'another', applicationId: app }), []);
    const whatsapp = await pull({ channel: 'WHATSAPP', applicationId: app });
    assert.deepEqual(whatsapp.map((r) => [r.messageId, r.channel, r.event]), [[ids.WHATSAPP, 'WHATSAPP', 'DELIVERY']]);
    assertStatus(whatsapp[0], DELIVERED, 'pulled');
    assert.deepEqual(whatsapp[0].platform, { entityId: 'ent-pull', applicationId: app });
    assert.deepEqual(await pull({ channel: 'WHATSAPP', applicationId: app }), [], 'each report once');
    assert.deepEqual((await pull({ messageId: ids.RCS })).map((r) => r.channel), ['RCS']);
    assert.deepEqual((await pull({ bulkId: bulk.bulkId })).map((r) => r.messageId), [bulk.messageId]);
    const rest = await pull({ applicationId: app, entityId: 'ent-pull', campaignReferenceId: 'camp-pull', limit: 1 });
    assert.equal(rest.length, 1, 'limit');
    const last = await pull({ applicationId: app, limit: 1000 });
    assert.deepEqual([...rest, ...last].map((r) => r.channel).sort(), ['SMS', 'VIBER_BM']);
    assert.deepEqual(await pull({ applicationId: app }), []);
  });
});

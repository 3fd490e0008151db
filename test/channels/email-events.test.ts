/**
 * Email end to end: a real gateway on a ManualClock, real loopback receivers. Every magic address
 * of the simulated network is pushed to the message's `notifyUrl` in the email delivery-report
 * shape; OPEN, then CLICK (or a COMPLAINT) follow delivery, SIMULATOR_SEEN_DELAY_MS apart on the
 * gateway's clock, to `trackingUrl` in the tracking shape, as far as the message tracks them.
 * Without those URLs the events go through EMAIL subscriptions (DELIVERY, OPEN, CLICK, COMPLAINT),
 * only to the events subscribed; with nothing to push to, reports wait for `GET /email/1/reports`
 * (each once) and `GET /email/1/logs` shows every email with its current status. Every pushed
 * body is checked against the spec's webhook schemas.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { trackingEventId } from '../../src/channels/email/shapes.ts';
import { ManualClock } from '../../src/clock.ts';
import { formatInfobipTime } from '../../src/lib/infobip-time.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { receiverPool, type Receiver } from '../helpers/receiver.ts';
import { knownProblems } from '../helpers/known-shapes.ts';
import { loadSpec, schemaProblems, webhookBodySchema } from '../helpers/spec-schema.ts';
import { qs, uniq, waitUntil } from '../http/support.ts';
import { sendEmail, type FormFields } from './email-support.ts';

const SEEN_DELAY_MS = 5_000;
const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);
const LINK = 'https://shop.example.com/orders/77';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const spec = loadSpec('infobip-email-openapi.json');

let g: TestGateway;
let clock: ManualClock;
const receivers = receiverPool();

before(async () => {
  clock = new ManualClock(T0);
  g = await startGateway({ THROTTLES: 'off', SIMULATOR_SEEN_DELAY_MS: String(SEEN_DELAY_MS) }, { clock });
});
after(async () => {
  await g?.close();
  await receivers.closeAll();
});

/** A sending domain of its own per test, so subscriptions (resources = the sender) match one test only. */
let senders = 0;
const newSender = () => `news${++senders}-${process.pid}@shop.example.com`;

async function send(fields: FormFields): Promise<{ bulkId: string; messages: Array<{ to: string; messageId: string }> }> {
  const r = await sendEmail(g, { subject: 'Your order', text: `Your order has shipped: ${LINK}`, callbackData: 'order=77', ...fields });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

const bodies = (r: Receiver) => r.requests.map((q) => JSON.parse(q.body));
const reports = (r: Receiver, messageId?: string) => bodies(r).flatMap((b) => (b.results ?? []) as any[]).filter((x) => !messageId || x.messageId === messageId);
const tracking = (r: Receiver, messageId?: string) => bodies(r).filter((b) => 'notificationType' in b && (!messageId || b.messageId === messageId));
const statusOf = (x: any) => [x.status.groupName, x.status.name, x.error.name];

/** Every body a receiver got holds what the spec says (known-shapes.ts), and satisfies its schema where the spec is at hand. */
function assertSpecShapes(r: Receiver): void {
  for (const body of bodies(r)) {
    const webhook = 'notificationType' in body ? 'receive-email-tracking-reports' : 'receive-email-delivery-reports';
    assert.deepEqual(knownProblems(webhook, body), [], JSON.stringify(body));
  }
  if (!spec) return;
  for (const body of bodies(r)) {
    if ('notificationType' in body) {
      // The schema types messageId as a number; its own examples, like every message id, are strings.
      const problems: string[] = schemaProblems(spec, webhookBodySchema(spec, 'receive-email-tracking-reports'), body).filter((p) => !p.startsWith('$.messageId: must be number'));
      assert.deepEqual(problems, [], JSON.stringify(body));
    } else {
      assert.deepEqual(schemaProblems(spec, webhookBodySchema(spec, 'receive-email-delivery-reports'), body), [], JSON.stringify(body));
    }
  }
}

/**
 * Moves the gateway's clock once every webhook in flight has its answer recorded: a delivery
 * whose lease (10 s) runs out mid-flight is sent again (at-least-once, with the same eventId),
 * which is right but not what these tests count.
 */
async function advance(ms: number): Promise<void> {
  await waitUntil(async () => {
    const open = await g.hookline.store.db.selectFrom('deliveries').select('id').where('state', 'in', ['PENDING', 'RETRYING']).execute();
    const waiting = await g.hookline.store.db.selectFrom('outbox').select('id').where('state', '=', 'READY').execute();
    return open.length === 0 && waiting.length === 0;
  }, 'every webhook delivered');
  clock.advance(ms);
}

/** Waits until the network has given these messages their final status (and planned what follows it). */
async function finalised(messageIds: string[]): Promise<void> {
  await waitUntil(async () => {
    const rows = await g.hookline.store.db.selectFrom('messages').select('state').where('message_id', 'in', messageIds).execute();
    return rows.length === messageIds.length && rows.every((r) => r.state === 'FINAL');
  }, `final status of ${messageIds.join(', ')}`);
}

/** Lets the worker loops run, then checks nothing more arrived. */
async function settle(): Promise<void> {
  await sleep(250);
}

describe('every magic address, pushed to notifyUrl and trackingUrl', { timeout: 60_000 }, () => {
  it('delivered, bounce, deferred → delivered (with intermediateReport), complaint, noopen: reports field by field, then OPEN / CLICK / COMPLAINED on the clock', async () => {
    const dlr = await receivers.start();
    const track = await receivers.start();
    const from = newSender();
    const t0 = clock.now();
    const sent = await send({
      from: `Shop <${from}>`,
      to: ['jane@customer.example', 'bounce@customer.example', 'Deferred@customer.example', 'complaint@customer.example', 'noopen@customer.example'],
      html: `<p>Track it <a href="${LINK}">here</a></p>`,
      intermediateReport: 'true',
      notifyUrl: `${dlr.url}/dlr`,
      trackingUrl: `${track.url}/track`,
      entityId: 'ent-1',
      applicationId: 'app-1',
      campaignReferenceId: 'camp-1',
    });
    const id = Object.fromEntries(sent.messages.map((m) => [m.to.split('@')[0].toLowerCase(), m.messageId]));

    // Reports: one final each, plus the deferred one's intermediate report first.
    await dlr.waitFor(() => reports(dlr).length === 6, 10_000, 'six reports');
    const expected: Record<string, string[][]> = {
      jane: [['DELIVERED', 'DELIVERED_TO_HANDSET', 'NO_ERROR']],
      bounce: [['UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'EC_HARD_BOUNCE']],
      deferred: [
        ['PENDING', 'PENDING_WAITING_DELIVERY', 'EC_MAILBOX_TEMPORARY_UNAVAILABLE'],
        ['DELIVERED', 'DELIVERED_TO_HANDSET', 'NO_ERROR'],
      ],
      complaint: [['DELIVERED', 'DELIVERED_TO_HANDSET', 'NO_ERROR']],
      noopen: [['DELIVERED', 'DELIVERED_TO_HANDSET', 'NO_ERROR']],
    };
    for (const [who, statuses] of Object.entries(expected)) assert.deepEqual(reports(dlr, id[who]).map(statusOf), statuses, who);
    const bounce = reports(dlr, id.bounce)[0];
    assert.deepEqual(bounce.error, { groupId: 2, groupName: 'USER_ERRORS', id: 6012, name: 'EC_HARD_BOUNCE', description: 'Hard Bounce', permanent: true });
    assert.equal(reports(dlr, id.deferred)[0].error.permanent, false);
    const jane = reports(dlr, id.jane)[0];
    assert.deepEqual(
      { to: jane.to, smsCount: jane.smsCount, callbackData: jane.callbackData, entityId: jane.entityId, applicationId: jane.applicationId, campaignReferenceId: jane.campaignReferenceId, bulkId: jane.bulkId, sentAt: jane.sentAt, doneAt: jane.doneAt, price: jane.price },
      { to: 'jane@customer.example', smsCount: 1, callbackData: 'order=77', entityId: 'ent-1', applicationId: 'app-1', campaignReferenceId: 'camp-1', bulkId: sent.bulkId, sentAt: formatInfobipTime(t0), doneAt: formatInfobipTime(t0), price: { pricePerMessage: 0.01, currency: 'EUR' } },
    );
    assert.equal(dlr.requests.every((q) => q.path === '/dlr'), true);

    // Nothing happens to tracking before the clock gets there.
    await settle();
    assert.deepEqual(tracking(track), [], 'no event before the seen delay');
    await advance(SEEN_DELAY_MS - 1);
    await settle();
    assert.deepEqual(tracking(track), [], 'no event 1 ms early');

    // First step after delivery: OPEN for those that open, COMPLAINED for the complaint.
    await advance(1);
    await track.waitFor(() => tracking(track).length === 3, 10_000, 'two opens and a complaint');
    assert.deepEqual(tracking(track, id.jane).map((b) => b.notificationType), ['OPENED']);
    assert.deepEqual(tracking(track, id.deferred).map((b) => b.notificationType), ['OPENED']);
    const complaint = tracking(track, id.complaint)[0];
    assert.deepEqual(
      { ...complaint, eventId: typeof complaint.eventId },
      {
        notificationType: 'COMPLAINED',
        eventId: 'string',
        domain: 'shop.example.com',
        recipient: 'complaint@customer.example',
        sender: from,
        sendDateTime: t0,
        messageId: id.complaint,
        bulkId: sent.bulkId,
        callbackData: 'order=77',
        campaignReferenceId: 'camp-1',
        entityId: 'ent-1',
        applicationId: 'app-1',
      },
    );

    // Second step: CLICK on the first link, for those that opened.
    await advance(SEEN_DELAY_MS);
    await track.waitFor(() => tracking(track).length === 5, 10_000, 'two clicks');
    const click = tracking(track, id.jane)[1];
    assert.equal(click.notificationType, 'CLICKED');
    assert.equal(click.url, LINK);
    assert.equal(click.recipient, 'jane@customer.example');
    assert.equal(click.sendDateTime, t0);
    assert.notEqual(click.eventId, tracking(track, id.jane)[0].eventId, 'each event its own id');
    assert.equal('sender' in click, false);

    // Never: no tracking for the bounce or noopen, however far the clock goes; one event per request.
    await advance(10 * SEEN_DELAY_MS);
    await settle();
    assert.equal(tracking(track).length, 5, JSON.stringify(tracking(track).map((b) => [b.recipient, b.notificationType, b.eventId])));
    assert.deepEqual(tracking(track, id.bounce), []);
    assert.deepEqual(tracking(track, id.noopen), []);
    assert.equal(track.requests.every((q) => q.path === '/track' && !q.body.startsWith('[')), true);
    assert.equal(reports(dlr).length, 6, 'no more reports either');
    assertSpecShapes(dlr);
    assertSpecShapes(track);
  });

  it('what is tracked decides what happens: trackOpens=false clicks only, trackClicks=false opens only, track=false neither, no link no click', async () => {
    const track = await receivers.start();
    const from = newSender();
    const base = { from, to: 'reader@customer.example', trackingUrl: `${track.url}/t` };
    const clicksOnly = (await send({ ...base, trackOpens: 'false' })).messages[0].messageId;
    const opensOnly = (await send({ ...base, trackClicks: 'false' })).messages[0].messageId;
    const neither = (await send({ ...base, track: 'false' })).messages[0].messageId;
    const noLink = (await send({ ...base, text: 'no links here' })).messages[0].messageId;
    await finalised([clicksOnly, opensOnly, neither, noLink]);
    await advance(SEEN_DELAY_MS);
    await track.waitFor(() => tracking(track).length >= 3, 10_000, 'the first events');
    await advance(SEEN_DELAY_MS);
    await settle();
    await advance(SEEN_DELAY_MS);
    await settle();
    assert.deepEqual(tracking(track, clicksOnly).map((b) => b.notificationType), ['CLICKED']);
    assert.deepEqual(tracking(track, opensOnly).map((b) => b.notificationType), ['OPENED']);
    assert.deepEqual(tracking(track, noLink).map((b) => b.notificationType), ['OPENED']);
    assert.equal(tracking(track).length, 3, `nothing for track=false (${neither})`);
    assertSpecShapes(track);
  });
});

describe('through EMAIL subscriptions (no notifyUrl, no trackingUrl)', { timeout: 60_000 }, () => {
  async function subscribe(receiver: Receiver, events: string[], sender: string): Promise<void> {
    const profileId = uniq('email-prof');
    const p = await g.api('POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: `${receiver.url}/email` } });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const s = await g.api('POST', '/subscriptions/1/subscription/EMAIL', { subscriptionId: uniq('email-sub'), events, profile: { profileId }, resources: [sender] });
    assert.equal(s.status, 201, JSON.stringify(s.body));
  }

  it('DELIVERY, OPEN, CLICK and COMPLAINT each reach the subscription of that event, in their payload shapes', async () => {
    const deliveries = await receivers.start();
    const engagements = await receivers.start();
    const from = newSender();
    await subscribe(deliveries, ['DELIVERY'], from);
    await subscribe(engagements, ['OPEN', 'CLICK', 'COMPLAINT'], from);
    const sent = await send({ from, to: ['reader@customer.example', 'complaint@customer.example', 'bounce@customer.example'] });
    const [reader, complainer, bouncer] = sent.messages.map((m) => m.messageId);

    await deliveries.waitFor(() => reports(deliveries).length === 3, 10_000, 'three delivery reports');
    assert.deepEqual(reports(deliveries, bouncer).map(statusOf), [['UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'EC_HARD_BOUNCE']]);
    await advance(SEEN_DELAY_MS);
    await engagements.waitFor(() => tracking(engagements).length === 2, 10_000, 'an open and a complaint');
    await advance(SEEN_DELAY_MS);
    await engagements.waitFor(() => tracking(engagements).length === 3, 10_000, 'a click');
    assert.deepEqual(tracking(engagements, reader).map((b) => [b.notificationType, b.url ?? null]), [['OPENED', null], ['CLICKED', LINK]]);
    assert.deepEqual(tracking(engagements, complainer).map((b) => b.notificationType), ['COMPLAINED']);
    // Each event to its own subscription only: nothing crossed over.
    assert.equal(tracking(deliveries).length, 0);
    assert.equal(reports(engagements).length, 0);
    assertSpecShapes(deliveries);
    assertSpecShapes(engagements);
  });

  it('an OPEN-only subscription gets opens and nothing else; the unsubscribed events are kept, not pulled', async () => {
    const opens = await receivers.start();
    const from = newSender();
    await subscribe(opens, ['OPEN'], from);
    const sent = await send({ from, to: 'reader@customer.example' });
    const messageId = sent.messages[0].messageId;
    await finalised([messageId]);
    await advance(SEEN_DELAY_MS);
    await opens.waitFor(() => tracking(opens).length === 1, 10_000, 'the open');
    await advance(SEEN_DELAY_MS);
    await settle();
    assert.deepEqual(tracking(opens).map((b) => [b.notificationType, b.messageId]), [['OPENED', messageId]]);
    assert.equal(tracking(opens)[0].eventId, trackingEventId({ engagement_id: Number((await engagementIds(messageId))[0]), message_id: messageId }));
    // Its delivery report had no subscription: it waits in the pull queue.
    const pulled = await g.api('GET', '/email/1/reports' + qs({ messageId }));
    assert.deepEqual(pulled.body.results.map((x: any) => x.messageId), [messageId]);
  });
});

async function engagementIds(messageId: string): Promise<number[]> {
  const rows = await g.hookline.store.db
    .selectFrom('engagements as e')
    .innerJoin('messages as m', 'm.pk', 'e.message_pk')
    .select('e.id')
    .where('m.message_id', '=', messageId)
    .orderBy('e.id')
    .execute();
  return rows.map((r) => Number(r.id));
}

describe('GET /email/1/reports and GET /email/1/logs', { timeout: 60_000 }, () => {
  it('reports nothing pushes are pulled once, in the ApiReport shape; SMS pulls never see them', async () => {
    const bulkId = uniq('pull');
    const sent = await send({ from: newSender(), to: ['a@customer.example', 'bounce@customer.example'], bulkId });
    const ids = sent.messages.map((m) => m.messageId);
    let pulled: any[] = [];
    for (let i = 0; i < 100 && pulled.length < 2; i++) {
      const r = await g.api('GET', '/email/1/reports' + qs({ bulkId, limit: 1 }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      pulled = pulled.concat(r.body.results);
      if (r.body.results.length === 0) await sleep(20);
    }
    assert.deepEqual(pulled.map((x) => x.messageId).sort(), [...ids].sort());
    const bounce = pulled.find((x) => x.to === 'bounce@customer.example');
    assert.deepEqual(statusOf(bounce), ['UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'EC_HARD_BOUNCE']);
    assert.equal(bounce.messageCount, 1);
    assert.equal('callbackData' in bounce, false);
    assert.equal('smsCount' in bounce, false);
    assert.deepEqual(knownProblems('email-pull-reports', { results: pulled }), []);
    if (spec) {
      const apiReport = Object.keys(spec.components.schemas).find((k) => k.endsWith('.ApiReport'))!;
      for (const x of pulled) assert.deepEqual(schemaProblems(spec, { $ref: `#/components/schemas/${apiReport}` }, x), []);
    }
    assert.deepEqual((await g.api('GET', '/email/1/reports' + qs({ bulkId }))).body.results, [], 'each report once');
    for (const path of ['/sms/1/reports', '/sms/3/reports']) {
      const sms = await g.api('GET', path + qs({ bulkId }));
      assert.deepEqual(sms.body.results, [], `${path} holds no email report`);
    }
  });

  it('logs: every email with its current status and error, filtered as the spec says; SMS logs do not list them', async () => {
    const from = newSender();
    const bulkId = uniq('logs');
    const sent = await send({ from: `Shop <${from}>`, to: ['a@customer.example', 'bounce@customer.example', 'deferred@customer.example'], bulkId, html: '<p>x</p>' });
    const [a, bounce, deferred] = sent.messages.map((m) => m.messageId);
    let results: any[] = [];
    for (let i = 0; i < 200; i++) {
      results = (await g.api('GET', '/email/1/logs' + qs({ bulkId }))).body.results;
      if (results.length === 3 && results.every((x) => x.status.groupName !== 'PENDING')) break;
      await sleep(20);
    }
    const byId = new Map(results.map((x) => [x.messageId, x]));
    assert.deepEqual([a, bounce, deferred].map((id) => statusOf(byId.get(id))), [
      ['DELIVERED', 'DELIVERED_TO_HANDSET', 'NO_ERROR'],
      ['UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'EC_HARD_BOUNCE'],
      ['DELIVERED', 'DELIVERED_TO_HANDSET', 'NO_ERROR'],
    ]);
    const log = byId.get(bounce);
    assert.deepEqual(
      { bulkId: log.bulkId, to: log.to, from: log.from, text: log.text, messageCount: log.messageCount, sentAt: log.sentAt, currency: log.price.currency },
      { bulkId, to: 'bounce@customer.example', from, text: `Your order has shipped: ${LINK}`, messageCount: 1, sentAt: formatInfobipTime(clock.now()), currency: 'EUR' },
    );
    if (spec) {
      const emailLog = Object.keys(spec.components.schemas).find((k) => k.endsWith('.EmailLog'))!;
      for (const x of results) assert.deepEqual(schemaProblems(spec, { $ref: `#/components/schemas/${emailLog}` }, x), []);
    }

    const filtered = async (params: Record<string, string>) => (await g.api('GET', '/email/1/logs' + qs({ bulkId, ...params }))).body.results.map((x: any) => x.messageId).sort();
    assert.deepEqual(await filtered({ to: 'bounce@customer.example' }), [bounce]);
    assert.deepEqual(await filtered({ messageId: deferred }), [deferred]);
    // The logs' shared filters: ids as a list, repeated or comma-separated, as the SMS logs take them.
    const repeated = (await g.api('GET', `/email/1/logs?bulkId=${bulkId}&messageId=${a}&messageId=${deferred}`)).body.results.map((x: any) => x.messageId).sort();
    assert.deepEqual(repeated, [a, deferred].sort());
    assert.deepEqual(await filtered({ messageId: `${bounce},${deferred}` }), [bounce, deferred].sort());
    assert.deepEqual(await filtered({ generalStatus: 'UNDELIVERABLE' }), [bounce]);
    assert.deepEqual(await filtered({ from }), [a, bounce, deferred].sort());
    assert.deepEqual(await filtered({ from: 'someone-else@example.com' }), []);
    assert.deepEqual(await filtered({ limit: '1' }).then((x) => x.length), 1);
    assert.deepEqual(await filtered({ sentSince: formatInfobipTime(clock.now() + 1) }), []);

    // Reading logs consumes nothing: the reports are still there to pull.
    assert.equal((await g.api('GET', '/email/1/reports' + qs({ bulkId }))).body.results.length, 3);
    assert.deepEqual((await g.api('GET', '/sms/1/logs' + qs({ bulkId }))).body.results, [], 'SMS logs list SMS only');

    const bad = await g.api('GET', '/email/1/logs' + qs({ generalStatus: 'SOMEWHERE' }));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.requestError.serviceException.messageId, 'BAD_REQUEST');
    const badTime = await g.api('GET', '/email/1/logs' + qs({ sentSince: 'yesterday' }));
    assert.equal(badTime.status, 400);
    assert.deepEqual(Object.keys(badTime.body.requestError.serviceException.validationErrors), ['sentSince']);
  });
});

describe('an event that vanished before its delivery was formed', { timeout: 60_000 }, () => {
  it('sends nothing (no empty `{}` body), and the events after it still go, in order', async () => {
    const rx = await receivers.start();
    const trackingUrl = `${rx.url}/t`;
    // noopen: delivered, then nothing of its own, so the only events are the ones written here.
    const sent = await send({ from: newSender(), to: 'noopen@customer.example', trackingUrl });
    const messageId = sent.messages[0].messageId;
    await finalised([messageId]);
    const db = g.hookline.store.db;
    const message = await db.selectFrom('messages').select(['pk', 'account_id', 'bulk_id']).where('message_id', '=', messageId).executeTakeFirstOrThrow();
    await db.transaction().execute(async (trx) => {
      // An OPEN recorded and routed to the trackingUrl, whose row is then gone (as when its message is swept) …
      const row = (event: 'OPEN' | 'COMPLAINT') => ({ account_id: message.account_id, message_pk: message.pk, event, occurred_at: clock.now(), url: null, created_at: clock.now() });
      const outbox = (id: number) => ({ account_id: message.account_id, report_id: id, message_pk: message.pk, target_url: trackingUrl, family: 'email-tracking' as const, content_type: 'application/json', state: 'READY' as const, delivery_id: null, created_at: clock.now(), message_id: messageId, bulk_id: message.bulk_id });
      const open = await trx.insertInto('engagements').values(row('OPEN')).returning('id').executeTakeFirstOrThrow();
      await trx.insertInto('outbox').values(outbox(Number(open.id))).execute();
      await trx.deleteFrom('engagements').where('id', '=', open.id).execute();
      // … then a COMPLAINT of the same message to the same target, which waits for the OPEN's row (per-message order).
      const complaint = await trx.insertInto('engagements').values(row('COMPLAINT')).returning('id').executeTakeFirstOrThrow();
      await trx.insertInto('outbox').values(outbox(Number(complaint.id))).execute();
    });
    g.hookline.loops.dispatcher.wakeup.ring();
    await rx.waitFor(() => rx.requests.length >= 1, 10_000, 'the complaint');
    await settle();
    assert.deepEqual(bodies(rx).map((b) => [b.notificationType, b.messageId]), [['COMPLAINED', messageId]]);
    // The vanished event's outbox row is gone; only the complaint's is left.
    const left = await db.selectFrom('outbox').select('report_id').where('target_url', '=', trackingUrl).execute();
    assert.equal(left.length, 1);
    const formed = await db.selectFrom('deliveries').select('body').where('target_url', '=', trackingUrl).execute();
    assert.equal(formed.length, 1, formed.map((d) => d.body).join(' | '));
  });
});

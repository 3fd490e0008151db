/**
 * URL shortening and click tracking end to end (README "Click tracking"):
 *  - v2 `urlOptions` and v3 `options.tracking` rewrite the text's URLs to `${PUBLIC_BASE_URL}/t/{code}`
 *    at intake; the stored text and the part counts are the rewritten ones; `removeProtocol`;
 *  - codes are unguessable (≥ 96 random bits) and an unknown code is a 404;
 *  - `GET /t/{code}` needs no credentials and answers 302 to the original URL;
 *  - each open is one CLICK event, a single object (not `results[]`), to the message's
 *    `trackingUrl`, else to CLICK subscriptions, else recorded only; `trackClicks: false` redirects
 *    without an event.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordClick } from '../../src/clicks/click-recorder.ts';
import { LINK_CODE_LENGTH, newLinkCode } from '../../src/clicks/tracking.ts';
import { NO_SUBSCRIBERS } from '../../src/events/routing.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';
import { qs, uniq, v3ErrorProperties, V3_NOT_FOUND } from '../http/support.ts';

let g: TestGateway;
const receivers: Receiver[] = [];
const newReceiver = async () => {
  const r = await Receiver.start();
  receivers.push(r);
  return r;
};

before(async () => {
  g = await startGateway({ THROTTLES: 'off' });
});
after(async () => {
  await g?.close();
  for (const r of receivers) await r.close();
});

const UA = {
  iPhone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 12_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.0 Mobile/15E148 Safari/604.1',
  android: 'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Mobile Safari/537.36',
  desktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  iPad: 'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
};

const CODE = `[0-9A-Za-z]{${LINK_CODE_LENGTH}}`;
const codesIn = (text: string): string[] => [...text.matchAll(new RegExp(`/t/(${CODE})`, 'g'))].map((m) => m[1]);
const shortLink = (code: string) => `${g.baseUrl}/t/${code}`;

async function ok(method: string, path: string, body?: unknown) {
  const r = await g.api(method, path, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Opens a short link as a phone would: no credentials, redirects not followed. */
async function open(url: string, userAgent: string = UA.iPhone, method = 'GET') {
  const response = await fetch(url, { method, redirect: 'manual', headers: { 'user-agent': userAgent } });
  await response.text();
  return response;
}

async function v2Log(messageId: string) {
  const r = await ok('GET', '/sms/1/logs' + qs({ messageId }));
  assert.equal(r.results.length, 1, `one log entry for ${messageId}`);
  return r.results[0];
}

async function v3Log(messageId: string) {
  const r = await ok('GET', '/sms/3/logs' + qs({ messageId }));
  assert.equal(r.results.length, 1, `one log entry for ${messageId}`);
  return r.results[0];
}

/** A tracked v3 message to one destination; returns its id and the codes in its stored text. */
async function sendTrackedV3(tracking: Record<string, unknown>, message: Record<string, unknown> = {}, text = 'Your order: https://shop.example/o/1') {
  const messageId = uniq('m');
  await ok('POST', '/sms/3/messages', {
    messages: [{ sender: 'ShopCo', destinations: [{ to: '41793026727', messageId }], content: { text }, ...message }],
    options: { tracking },
  });
  return { messageId, codes: codesIn((await v3Log(messageId)).content.text) };
}

const clicksOf = (code: string) => g.hookline.store.db.selectFrom('clicks').selectAll().where('code', '=', code).execute();
const clickOutboxOf = (clickIds: number[]) =>
  clickIds.length === 0 ? Promise.resolve([]) : g.hookline.store.db.selectFrom('outbox').selectAll().where('family', '=', 'sms-click').where('report_id', 'in', clickIds).execute();
const bodies = (r: Receiver) => r.requests.map((q) => JSON.parse(q.body));

describe('rewriting at intake', () => {
  it('v2 urlOptions: every URL becomes a short link in the stored text; smsCount is counted on the rewritten text', async () => {
    const messageId = uniq('m');
    // 143 GSM-7 characters as written (one part); the short link is longer than https://x.io, so two parts as sent.
    const original = 'A'.repeat(130) + ' https://x.io';
    assert.ok(original.length <= 160);
    const sent = await ok('POST', '/sms/2/text/advanced', {
      messages: [{ from: 'ShopCo', destinations: [{ to: '41793026727', messageId }], text: original }],
      urlOptions: { shortenUrl: true },
      includeSmsCountInResponse: true,
    });
    const log = await v2Log(messageId);
    const [code] = codesIn(log.text);
    assert.equal(log.text, 'A'.repeat(130) + ' ' + shortLink(code));
    assert.ok(log.text.length > 160);
    assert.equal(sent.messages[0].smsCount, 2, 'smsCount of the rewritten text');
    assert.equal(log.smsCount, 2);
    const links = await g.hookline.store.db.selectFrom('short_links').selectAll().where('code', '=', code).execute();
    assert.equal(links.length, 1);
    assert.equal(links[0].url, 'https://x.io');
    assert.equal(links[0].tracking_url, null);
    assert.equal(links[0].track_clicks, 1, 'trackClicks defaults to true');
  });

  it('keeps sentence punctuation outside the link, gives a repeated URL one code, and each recipient its own codes', async () => {
    const [a, b] = [uniq('m'), uniq('m')];
    const text = 'Track (https://shop.example/t/77?x=1&y=2), or https://shop.example/help. Again: https://shop.example/t/77?x=1&y=2! Not: ftp://x.example';
    await ok('POST', '/sms/2/text/advanced', {
      messages: [{ from: 'ShopCo', destinations: [{ to: '41793026727', messageId: a }, { to: '41793026728', messageId: b }], text }],
      urlOptions: {},
    });
    const textA = (await v2Log(a)).text;
    const [c1, c2, c3] = codesIn(textA);
    assert.equal(textA, `Track (${shortLink(c1)}), or ${shortLink(c2)}. Again: ${shortLink(c1)}! Not: ftp://x.example`);
    assert.equal(c3, c1, 'the same URL twice shares its code');
    assert.notEqual(c1, c2);
    const codesB = codesIn((await v2Log(b)).text);
    assert.equal(codesB.length, 3);
    assert.ok(!codesB.includes(c1) && !codesB.includes(c2), 'another recipient gets other codes');
    assert.equal((await open(shortLink(c1))).headers.get('location'), 'https://shop.example/t/77?x=1&y=2');
    assert.equal((await open(shortLink(c2))).headers.get('location'), 'https://shop.example/help');
  });

  it('v3 options.tracking: the rewritten text is stored and messageCount is counted on it (a long URL shrinks to one part)', async () => {
    const longUrl = 'https://shop.example/campaign/' + 'x'.repeat(200);
    const text = `Sale today ${longUrl}`;
    const messageId = uniq('m');
    const sent = await ok('POST', '/sms/3/messages', {
      messages: [{ sender: 'ShopCo', destinations: [{ to: '41793026727', messageId }], content: { text } }],
      options: { tracking: { shortenUrl: true, trackClicks: true }, includeSmsCountInResponse: true },
    });
    const log = await v3Log(messageId);
    const [code] = codesIn(log.content.text);
    assert.equal(log.content.text, `Sale today ${shortLink(code)}`);
    assert.equal(sent.messages[0].details.messageCount, 1, 'one part once shortened (the original needs two)');
    assert.equal(log.messageCount, 1);
    assert.equal((await open(shortLink(code))).headers.get('location'), longUrl);
  });

  it('removeProtocol writes the short link without http://, and it still opens', async () => {
    const { messageId, codes } = await sendTrackedV3({ removeProtocol: true });
    const text = (await v3Log(messageId)).content.text;
    const withoutScheme = g.baseUrl.replace(/^http:\/\//, '');
    assert.equal(text, `Your order: ${withoutScheme}/t/${codes[0]}`);
    assert.ok(!text.includes('http://') && !text.includes('https://'));
    const r = await open(`http://${withoutScheme}/t/${codes[0]}`);
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), 'https://shop.example/o/1');
  });

  it('without urlOptions, or with shortenUrl: false, the text is sent as written', async () => {
    const text = 'See https://shop.example/plain';
    const [plainV2, offV2] = [uniq('m'), uniq('m')];
    await ok('POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to: '41793026727', messageId: plainV2 }], text }] });
    await ok('POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to: '41793026727', messageId: offV2 }], text }], urlOptions: { shortenUrl: false, trackClicks: true } });
    assert.equal((await v2Log(plainV2)).text, text);
    assert.equal((await v2Log(offV2)).text, text);
    const { messageId, codes } = await sendTrackedV3({ shortenUrl: false }, {}, text);
    assert.equal((await v3Log(messageId)).content.text, text);
    assert.deepEqual(codes, []);
  });

  it('a trackingUrl that may not be used as a webhook refuses the request (400 naming the field)', async () => {
    const v2 = await g.api('POST', '/sms/2/text/advanced', {
      messages: [{ destinations: [{ to: '41793026727' }], text: 'https://shop.example' }],
      urlOptions: { trackingUrl: 'http://169.254.169.254/latest' },
    });
    assert.equal(v2.status, 400);
    assert.ok(v2.body.requestError.serviceException.validationErrors['urlOptions.trackingUrl'], JSON.stringify(v2.body));
    const v3 = await g.api('POST', '/sms/3/messages', {
      messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'https://shop.example' } }],
      options: { tracking: { trackingUrl: 'http://169.254.169.254/latest' } },
    });
    assert.equal(v3.status, 400);
    assert.deepEqual(v3ErrorProperties(v3.body), ['options.tracking.trackingUrl']);
  });
});

describe('short links', () => {
  it('codes are unguessable: 17 base62 characters (≥ 96 bits) from a uniform CSPRNG, never repeated', async () => {
    assert.ok(LINK_CODE_LENGTH * Math.log2(62) >= 96, `${LINK_CODE_LENGTH} base62 characters carry ${(LINK_CODE_LENGTH * Math.log2(62)).toFixed(1)} bits`);
    const destinations = Array.from({ length: 200 }, (_, i) => ({ to: `4179302${String(7000 + i)}` }));
    const bulkId = uniq('bulk');
    await ok('POST', '/sms/3/messages', { messages: [{ destinations, content: { text: 'https://shop.example/a' } }], options: { schedule: { bulkId }, tracking: {} } });
    const rows = await g.hookline.store.db.selectFrom('short_links as l').innerJoin('messages as m', 'm.pk', 'l.message_pk').select('l.code').where('m.bulk_id', '=', bulkId).execute();
    const codes = rows.map((r) => r.code);
    assert.equal(codes.length, 200);
    assert.equal(new Set(codes).size, 200, 'no code repeats');
    for (const code of codes) assert.match(code, new RegExp(`^${CODE}$`));
    // Uniform: in 10,000 fresh codes every character of the alphabet shows up near its share.
    const counts = new Map<string, number>();
    const many = Array.from({ length: 10_000 }, () => newLinkCode());
    assert.equal(new Set(many).size, many.length);
    for (const code of many) for (const c of code) counts.set(c, (counts.get(c) ?? 0) + 1);
    assert.equal(counts.size, 62);
    const expected = (10_000 * LINK_CODE_LENGTH) / 62;
    for (const [c, n] of counts) assert.ok(Math.abs(n - expected) < expected * 0.15, `${c}: ${n} vs ${expected.toFixed(0)}`);
  });

  it('an unknown or malformed code is a 404 in the v3 envelope, with or without credentials', async () => {
    for (const code of [newLinkCode(), 'short', 'A'.repeat(LINK_CODE_LENGTH + 1), 'ABCDEFGHIJKLMNOP~']) {
      const anonymous = await fetch(`${g.baseUrl}/t/${code}`, { redirect: 'manual' });
      assert.equal(anonymous.status, 404, code);
      assert.deepEqual(await anonymous.json(), V3_NOT_FOUND);
      const withKey = await g.api('GET', `/t/${code}`);
      assert.equal(withKey.status, 404);
    }
  });

  it('GET /t/{code} needs no credentials (and ignores junk ones): 302 to the original URL, never cached', async () => {
    const { codes } = await sendTrackedV3({}, {}, 'Hi https://shop.example/o/ü?q=a b');
    const anonymous = await open(shortLink(codes[0]));
    assert.equal(anonymous.status, 302);
    // The URL ends at the space; non-ASCII is percent-encoded for the Location header.
    assert.equal(anonymous.headers.get('location'), 'https://shop.example/o/%C3%BC?q=a');
    assert.equal(anonymous.headers.get('cache-control'), 'no-store');
    const junk = await fetch(shortLink(codes[0]), { redirect: 'manual', headers: { authorization: 'App wrong-key' } });
    assert.equal(junk.status, 302);
  });

  it('HEAD answers the redirect and records no click', async () => {
    const { codes } = await sendTrackedV3({});
    const r = await open(shortLink(codes[0]), UA.iPhone, 'HEAD');
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), 'https://shop.example/o/1');
    assert.deepEqual(await clicksOf(codes[0]), []);
  });
});

describe('CLICK events', () => {
  it('go to the trackingUrl as ONE object per request, with the message facts and the device from the User-Agent', async () => {
    const r = await newReceiver();
    const messageId = uniq('m');
    const bulkId = uniq('bulk');
    await ok('POST', '/sms/2/text/advanced', {
      bulkId,
      messages: [
        {
          from: 'ShopCo',
          destinations: [{ to: '41793026727', messageId }],
          text: 'Your parcel ships today: https://shop.example/t/77',
          callbackData: 'order=77',
          applicationId: 'shop-app',
          entityId: 'shop-entity',
        },
      ],
      urlOptions: { shortenUrl: true, trackClicks: true, trackingUrl: `${r.url}/click` },
    });
    const [code] = codesIn((await v2Log(messageId)).text);
    const expected = (recipientInfo: object) => ({
      notificationType: 'CLICKED',
      recipient: '41793026727',
      url: 'https://shop.example/t/77',
      messageId,
      bulkId,
      callbackData: 'order=77',
      recipientInfo,
      applicationId: 'shop-app',
      entityId: 'shop-entity',
    });
    const devices: Array<[string, object]> = [
      [UA.iPhone, { deviceType: 'Phone', os: 'iOS 12', deviceName: 'Apple' }],
      [UA.android, { deviceType: 'Phone', os: 'Android 13', deviceName: 'Samsung' }],
      [UA.desktop, { deviceType: 'Desktop', os: 'Windows 10' }],
      [UA.iPad, { deviceType: 'Tablet', os: 'iOS 16', deviceName: 'Apple' }],
    ];
    for (const [i, [userAgent, recipientInfo]] of devices.entries()) {
      const before = Date.now();
      const opened = await open(shortLink(code), userAgent);
      const afterOpen = Date.now();
      assert.equal(opened.status, 302);
      assert.equal(opened.headers.get('location'), 'https://shop.example/t/77');
      await r.waitForRequests(i + 1);
      const request = r.requests[i];
      assert.equal(request.path, '/click');
      assert.match(String(request.headers['content-type']), /^application\/json/);
      const body = JSON.parse(request.body);
      assert.ok(!('results' in body), 'a single object, not wrapped in results[]');
      assert.ok(!('geoLocationInfo' in body), 'no geolocation data, so no geoLocationInfo');
      const { sendDateTime, ...rest } = body;
      assert.equal(typeof sendDateTime, 'number', 'epoch milliseconds, not a formatted time');
      assert.ok(sendDateTime >= before && sendDateTime <= afterOpen, `sendDateTime ${sendDateTime} is the click's time`);
      assert.deepEqual(rest, expected(recipientInfo));
    }
    const clicks = await clicksOf(code);
    assert.equal(clicks.length, devices.length);
    assert.equal(clicks[0].user_agent, UA.iPhone);
  });

  it('one event per open: two opens of one link are two events', async () => {
    const r = await newReceiver();
    const { messageId, codes } = await sendTrackedV3({ trackingUrl: r.url }, { options: { platform: { applicationId: 'v3-app', entityId: 'v3-ent' } }, webhooks: { callbackData: 'cb-3' } });
    await open(shortLink(codes[0]));
    await r.waitForRequests(1);
    await open(shortLink(codes[0]), UA.android);
    await r.waitForRequests(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(r.requests.length, 2);
    const [first, second] = bodies(r);
    for (const body of [first, second]) {
      assert.equal(body.messageId, messageId);
      assert.equal(body.callbackData, 'cb-3');
      assert.equal(body.applicationId, 'v3-app', 'v3 platform ids are flat in the CLICK event');
      assert.equal(body.entityId, 'v3-ent');
      assert.equal(body.url, 'https://shop.example/o/1');
    }
    assert.deepEqual([first.recipientInfo.os, second.recipientInfo.os], ['iOS 12', 'Android 13']);
    assert.equal((await clicksOf(codes[0])).length, 2);
  });

  it('many opens at once: each is its own request (one click per delivery, never a batch)', async () => {
    const r = await newReceiver();
    const { codes } = await sendTrackedV3({ trackingUrl: r.url });
    await Promise.all(Array.from({ length: 6 }, () => open(shortLink(codes[0]))));
    await r.waitForRequests(6, 5_000);
    for (const body of bodies(r)) assert.equal(body.notificationType, 'CLICKED');
  });

  it('clicks waiting together in the outbox still go one per delivery (the formation honours maxPerDelivery: 1)', async () => {
    const r = await newReceiver();
    const { codes } = await sendTrackedV3({ trackingUrl: r.url });
    // Recorded without ringing the dispatcher, so all three are READY when its next pass forms deliveries.
    const { db, profile } = g.hookline.store;
    for (const ua of [UA.iPhone, UA.android, UA.desktop]) await recordClick(db, profile, NO_SUBSCRIBERS, codes[0], ua, Date.now());
    g.hookline.loops.dispatcher.wakeup.ring();
    await r.waitForRequests(3, 3_000);
    assert.deepEqual(bodies(r).map((b) => b.recipientInfo.deviceType).sort(), ['Desktop', 'Phone', 'Phone']);
  });

  it('are pushed even when the message said notify: false (that is about delivery reports)', async () => {
    const r = await newReceiver();
    const { messageId, codes } = await sendTrackedV3({ trackingUrl: r.url }, { webhooks: { delivery: { notify: false } } });
    await open(shortLink(codes[0]));
    await r.waitForRequests(1);
    assert.equal(bodies(r)[0].messageId, messageId);
  });

  it('without a trackingUrl, go to the CLICK subscriptions that match (not to DELIVERY ones, and not the delivery report)', async () => {
    const app = uniq('app');
    const [clicks, deliveries, otherApp] = [await newReceiver(), await newReceiver(), await newReceiver()];
    const profile = async (url: string, extra: Record<string, unknown> = {}) => {
      const profileId = uniq('prof');
      await ok('POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: url }, ...extra });
      return profileId;
    };
    const subscribe = async (profileId: string, events: string[], criteria: object[], extra: Record<string, unknown> = {}) =>
      ok('POST', '/subscriptions/1/subscription/SMS', { subscriptionId: uniq('sub'), events, profile: { profileId }, criteria, ...extra });
    await subscribe(await profile(clicks.url), ['CLICK'], [{ applicationId: app }], { resources: ['ShopCo'] });
    await subscribe(await profile(deliveries.url), ['DELIVERY'], [{ applicationId: app }]);
    await subscribe(await profile(otherApp.url), ['CLICK'], [{ applicationId: uniq('other-app') }]);

    const { messageId, codes } = await sendTrackedV3({}, { options: { platform: { applicationId: app } } });
    await deliveries.waitFor(() => deliveries.results().some((x) => x.messageId === messageId), 10_000, 'the delivery report');
    const opened = await open(shortLink(codes[0]), UA.android);
    assert.equal(opened.status, 302);
    await clicks.waitForRequests(1);
    const body = bodies(clicks)[0];
    assert.equal(body.notificationType, 'CLICKED');
    assert.equal(body.messageId, messageId);
    assert.equal(body.applicationId, app);
    assert.deepEqual(body.recipientInfo, { deviceType: 'Phone', os: 'Android 13', deviceName: 'Samsung' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(clicks.requests.length, 1, 'the CLICK profile got the click and no delivery report');
    assert.ok(deliveries.requests.every((q) => JSON.parse(q.body).results), 'the DELIVERY profile got reports only');
    assert.equal(otherApp.requests.length, 0, 'a CLICK subscription for another application got nothing');
  });

  it('a profile asking for XML gets the click as <UrlTrackingWebhook>', async () => {
    const app = uniq('app');
    const r = await newReceiver();
    const profileId = uniq('prof');
    await ok('POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: r.url, contentType: 'application/xml' } });
    await ok('POST', '/subscriptions/1/subscription/SMS', { subscriptionId: uniq('sub'), events: ['CLICK'], profile: { profileId }, criteria: [{ applicationId: app }] });
    const { messageId, codes } = await sendTrackedV3({}, { options: { platform: { applicationId: app } } });
    await open(shortLink(codes[0]));
    await r.waitForRequests(1);
    assert.match(String(r.requests[0].headers['content-type']), /application\/xml/);
    assert.match(r.requests[0].body, new RegExp(`^<\\?xml[^>]*\\?><UrlTrackingWebhook><notificationType>CLICKED</notificationType>.*<messageId>${messageId}</messageId>.*<recipientInfo><deviceType>Phone</deviceType><os>iOS 12</os><deviceName>Apple</deviceName></recipientInfo>.*</UrlTrackingWebhook>$`));
  });

  it('with neither a trackingUrl nor a matching subscription, the click is recorded and not pushed', async () => {
    const { codes } = await sendTrackedV3({}, { options: { platform: { applicationId: uniq('lonely-app') } } });
    assert.equal((await open(shortLink(codes[0]), UA.desktop)).status, 302);
    const clicks = await clicksOf(codes[0]);
    assert.equal(clicks.length, 1);
    assert.equal(clicks[0].user_agent, UA.desktop);
    assert.deepEqual(await clickOutboxOf(clicks.map((c) => Number(c.id))), []);
  });

  it('trackClicks: false shortens and redirects, but records and sends nothing', async () => {
    const r = await newReceiver();
    const { codes } = await sendTrackedV3({ trackClicks: false, trackingUrl: r.url });
    assert.equal(codes.length, 1, 'still shortened');
    const opened = await open(shortLink(codes[0]));
    assert.equal(opened.status, 302);
    assert.equal(opened.headers.get('location'), 'https://shop.example/o/1');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(r.requests.length, 0);
    assert.deepEqual(await clicksOf(codes[0]), []);
  });
});

/**
 * Routing through subscriptions, with real receivers (README "Where reports go"):
 *  1. notify: false → never pushed (still pullable);
 *  2. a webhook URL on the message → there, and only there;
 *  3. otherwise every matching subscription's profile, once per profile, in the family of the
 *     API that sent the message (separate deliveries per family);
 *  4. nothing matches → the pull queue.
 * And delivery through a profile: its headers, content type and bucket size, and its security
 * (BASIC, HMAC per Standard Webhooks, OAUTH with a token endpoint and one refresh on 401).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startGateway, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import { receiverPool, type Receiver } from '../helpers/receiver.ts';
import { uniq, waitUntil } from '../http/support.ts';

let g: TestGateway;
const receivers = receiverPool();
const newReceiver = receivers.start;

before(async () => {
  g = await startGateway({ THROTTLES: 'off' });
});
after(async () => {
  await g?.close();
  await receivers.closeAll();
});

async function ok(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  const r = await g.api(method, path, body, headers);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function profile(url: string, extra: Record<string, unknown> = {}): Promise<string> {
  const profileId = uniq('prof');
  await ok('POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: url }, ...extra });
  return profileId;
}

async function subscribe(profileId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const subscriptionId = uniq('sub');
  await ok('POST', '/subscriptions/1/subscription/SMS', { subscriptionId, events: ['DELIVERY'], profile: { profileId }, ...extra });
  return subscriptionId;
}

/** A v3 message with its own application id (so each test matches only its own subscriptions). */
async function sendV3(applicationId: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>): Promise<string> {
  const messageId = uniq('m');
  await ok(
    'POST',
    '/sms/3/messages',
    { messages: [{ sender: 'Shop', destinations: [{ to: '41793026727', messageId }], content: { text: 'hi' }, options: { platform: { applicationId } }, ...extra }] },
    headers,
  );
  return messageId;
}

const idsIn = (r: Receiver) => r.results().map((x) => x.messageId);

describe('routing rules', () => {
  it('2: a webhook URL on the message gets the report, and no subscription does', async () => {
    const app = uniq('app');
    const sub = await newReceiver();
    const direct = await newReceiver();
    await subscribe(await profile(sub.url), { criteria: [{ applicationId: app }] });
    const id = await sendV3(app, { webhooks: { delivery: { url: direct.url } } });
    await direct.waitFor(() => idsIn(direct).includes(id), 10_000, 'the per-message webhook');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(idsIn(sub), [], 'the subscription got nothing');
  });

  it('1: notify: false pushes nothing even when a subscription matches; the report is pullable', async () => {
    const app = uniq('app');
    const sub = await newReceiver();
    await subscribe(await profile(sub.url), { criteria: [{ applicationId: app }] });
    const id = await sendV3(app, { webhooks: { delivery: { notify: false } } });
    const pulled = await waitUntil(async () => {
      const r = await g.api('GET', `/sms/3/reports?messageId=${id}`);
      return r.body.results?.length ? r.body.results : null;
    }, 'the report in the pull queue');
    assert.equal(pulled[0].messageId, id);
    assert.deepEqual(idsIn(sub), []);
  });

  it('3: every matching subscription’s profile receives, once per profile; non-matching ones do not', async () => {
    const app = uniq('app');
    const [shared, other, wrongApp, wrongSender, wrongEvent] = [await newReceiver(), await newReceiver(), await newReceiver(), await newReceiver(), await newReceiver()];
    const sharedProfile = await profile(shared.url);
    // Two subscriptions on one profile: one delivery, not two.
    await subscribe(sharedProfile, { criteria: [{ applicationId: app }] });
    await subscribe(sharedProfile, { resources: ['Shop'], criteria: [{ applicationId: app, entityId: undefined }] });
    await subscribe(await profile(other.url), { criteria: [{ applicationId: app }], resources: ['Shop', 'Other'] });
    await subscribe(await profile(wrongApp.url), { criteria: [{ applicationId: uniq('another-app') }] });
    await subscribe(await profile(wrongSender.url), { criteria: [{ applicationId: app }], resources: ['NotShop'] });
    const wrongEventProfile = await profile(wrongEvent.url);
    await ok('POST', '/subscriptions/1/subscription/SMS', { subscriptionId: uniq('sub'), events: ['INBOUND_MESSAGE'], profile: { profileId: wrongEventProfile }, criteria: [{ applicationId: app }] });

    const id = await sendV3(app);
    await shared.waitFor(() => idsIn(shared).includes(id), 10_000, 'the shared profile');
    await other.waitFor(() => idsIn(other).includes(id), 10_000, 'the other profile');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(idsIn(shared), [id], 'once, though two subscriptions on the profile match');
    for (const [name, r] of [['another application', wrongApp], ['another sender', wrongSender], ['another event', wrongEvent]] as const) {
      assert.deepEqual(idsIn(r), [], name);
    }
    // Pushed, so not pulled.
    assert.deepEqual((await g.api('GET', `/sms/3/reports?messageId=${id}`)).body.results, []);
  });

  it('3: `users` matches the sending user (the API key owner)', async () => {
    const app = uniq('app');
    const mine = await newReceiver();
    const others = await newReceiver();
    const basic = 'Basic ' + Buffer.from(`${TEST_ADMIN.username}:${TEST_ADMIN.password}`).toString('base64');
    const key = await ok('POST', '/settings/2/api-keys', { name: uniq('owner-key') }, { authorization: basic });
    await subscribe(await profile(mine.url), { criteria: [{ applicationId: app }], users: [TEST_ADMIN.username] });
    await subscribe(await profile(others.url), { criteria: [{ applicationId: app }], users: ['somebody-else'] });
    const viaOwnedKey = await sendV3(app, {}, { authorization: `App ${key.apiKeySecret}` });
    const viaBasic = await sendV3(app, {}, { authorization: basic });
    const viaBootstrapKey = await sendV3(app); // API_KEY has no owner: matches only subscriptions without users
    await mine.waitFor(() => idsIn(mine).length >= 2, 10_000, 'the owner’s reports');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(idsIn(mine).sort(), [viaOwnedKey, viaBasic].sort());
    assert.deepEqual(idsIn(others), []);
    assert.equal((await g.api('GET', `/sms/3/reports?messageId=${viaBootstrapKey}`)).body.results.length, 1, 'unmatched: pulled');
  });

  it('3: the body is in the family of the sending API — v2 and v3 to one profile arrive as separate deliveries', async () => {
    const app = uniq('app');
    const r = await newReceiver();
    await subscribe(await profile(r.url), { criteria: [{ applicationId: app }] });
    const v3 = await sendV3(app);
    const v2 = uniq('m');
    await ok('POST', '/sms/2/text/advanced', { messages: [{ from: 'Shop', destinations: [{ to: '41793026727', messageId: v2 }], text: 'hi', applicationId: app }] });
    await r.waitFor(() => idsIn(r).includes(v2) && idsIn(r).includes(v3), 10_000, 'both families');
    for (const request of r.requests) {
      const results = JSON.parse(request.body).results;
      const families = new Set(results.map((x: any) => ('smsCount' in x ? 'v2' : 'v3')));
      assert.equal(families.size, 1, 'one family per request');
    }
    const v2Report = r.results().find((x) => x.messageId === v2)!;
    const v3Report = r.results().find((x) => x.messageId === v3)!;
    assert.ok('smsCount' in v2Report && !('messageCount' in v2Report), 'v2 shape');
    assert.ok('messageCount' in v3Report && !('smsCount' in v3Report), 'v3 shape');
  });

  it('4: nothing matches → the pull queue', async () => {
    const id = await sendV3(uniq('app-without-subscriptions'));
    const pulled = await waitUntil(async () => {
      const r = await g.api('GET', `/sms/3/reports?messageId=${id}`);
      return r.body.results?.length ? r.body.results : null;
    }, 'the report in the pull queue');
    assert.equal(pulled.length, 1);
  });
});

describe('delivery through a profile', () => {
  it('sends the profile’s headers and content type, in buckets of maxBucketSize', async () => {
    const app = uniq('app');
    const r = await newReceiver();
    await subscribe(await profile(r.url, { webhook: { notifyUrl: r.url, contentType: 'application/xml' }, headers: { 'X-Tenant': 'acme' }, maxBucketSize: 2 }), { criteria: [{ applicationId: app }] });
    const destinations = Array.from({ length: 5 }, (_, i) => ({ to: `4179302${String(6000 + i)}` }));
    await ok('POST', '/sms/3/messages', { messages: [{ sender: 'Shop', destinations, content: { text: 'hi' }, options: { platform: { applicationId: app } } }] });
    await r.waitFor(() => r.requests.reduce((n, q) => n + (q.body.match(/<messageId>/g)?.length ?? 0), 0) >= 5, 10_000, 'five reports');
    for (const q of r.requests) {
      assert.equal(q.headers['x-tenant'], 'acme');
      assert.match(String(q.headers['content-type']), /application\/xml/);
      assert.ok((q.body.match(/<messageId>/g)?.length ?? 0) <= 2, 'at most maxBucketSize reports per request');
      assert.ok(q.headers['webhook-id'] && q.headers['webhook-timestamp'], 'the webhook-* headers are still ours');
    }
  });

  it('BASIC: sends Authorization: Basic with the security setting’s credentials', async () => {
    const app = uniq('app');
    const r = await newReceiver();
    const authId = uniq('auth');
    await ok('POST', '/subscriptions/1/security', { authId, type: 'BASIC', credentials: { username: 'hook', password: 'hook-secret' } });
    await subscribe(await profile(r.url, { security: { authId } }), { criteria: [{ applicationId: app }] });
    const id = await sendV3(app);
    await r.waitFor(() => idsIn(r).includes(id), 10_000, 'the report');
    assert.equal(r.requests[0].headers.authorization, 'Basic ' + Buffer.from('hook:hook-secret').toString('base64'));
  });

  for (const [algorithm, digest, label] of [
    ['HMAC_SHA_256', 'sha256', 'v1'],
    ['HMAC_SHA_512', 'sha512', 'HMAC_SHA_512'],
  ] as const) {
    it(`HMAC (${algorithm}): webhook-signature verifies per Standard Webhooks over id.timestamp.body`, async () => {
      const app = uniq('app');
      const r = await newReceiver();
      const authId = uniq('auth');
      const secret = 'whsec_' + Buffer.from('a very secret signing key').toString('base64');
      await ok('POST', '/subscriptions/1/security', { authId, type: 'HMAC', credentials: { secretKey: secret, algorithm } });
      await subscribe(await profile(r.url, { security: { authId } }), { criteria: [{ applicationId: app }] });
      const id = await sendV3(app);
      await r.waitFor(() => idsIn(r).includes(id), 10_000, 'the report');
      const q = r.requests[0];
      // The verifier, written from the Standard Webhooks spec: HMAC over `${id}.${timestamp}.${body}`, key = base64 after whsec_.
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const expected = createHmac(digest, key).update(`${q.headers['webhook-id']}.${q.headers['webhook-timestamp']}.${q.body}`).digest('base64');
      assert.equal(q.headers['webhook-signature'], `${label},${expected}`);
    });
  }

  it('OAUTH: fetches a token once, sends it as Bearer, and on a 401 refreshes and retries within the same attempt', async () => {
    const app = uniq('app');
    const issued: string[] = [];
    const tokenServer: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        assert.equal(form.get('grant_type'), 'client_credentials');
        assert.equal(form.get('client_id'), 'hookline');
        const token = `tok-${issued.length + 1}`;
        issued.push(token);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, expires_in: 3600, token_type: 'Bearer' }));
      });
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    try {
      const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
      const r = await newReceiver();
      // The receiver accepts one token at a time; tok-1 is "revoked" after the first report.
      let accepted = 'Bearer tok-1';
      r.respond = (q) => ({ status: q.headers.authorization === accepted ? 200 : 401 });
      const authId = uniq('auth');
      await ok('POST', '/subscriptions/1/security', { authId, type: 'OAUTH', credentials: { tokenUrl, grantType: 'client_credentials', clientId: 'hookline', clientSecret: 'oauth-secret' } });
      await subscribe(await profile(r.url, { security: { authId } }), { criteria: [{ applicationId: app }] });

      const first = await sendV3(app);
      await r.waitFor(() => r.requests.length >= 1, 10_000, 'the first report');
      assert.equal(r.requests[0].headers.authorization, 'Bearer tok-1');
      assert.equal(issued.length, 1);
      accepted = 'Bearer tok-2';

      const second = await sendV3(app);
      // tok-1 is now refused: one 401, a fresh token, the same delivery again — all one attempt.
      await r.waitFor(() => r.requests.length >= 3, 10_000, 'the refused and the retried request');
      assert.deepEqual(r.requests.slice(1).map((q) => q.headers.authorization), ['Bearer tok-1', 'Bearer tok-2']);
      assert.equal(r.requests[1].headers['webhook-id'], r.requests[2].headers['webhook-id'], 'the same delivery');
      assert.deepEqual([JSON.parse(r.requests[0].body).results[0].messageId, JSON.parse(r.requests[2].body).results[0].messageId], [first, second]);
      const deliveryId = String(r.requests[2].headers['webhook-id']);
      const attempts = await waitUntil(async () => {
        const rows = await g.hookline.store.db.selectFrom('attempts').select(['attempt', 'status_code']).where('delivery_id', '=', deliveryId).execute();
        return rows.length > 0 ? rows : null;
      }, 'the attempt recorded');
      assert.deepEqual(attempts, [{ attempt: 1, status_code: 200 }], 'one attempt, recorded as its final outcome');
    } finally {
      tokenServer.close();
    }
  });
});

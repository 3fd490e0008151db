/**
 * The operations profile end to end: once set with `PUT /hookline/1/operations-profile`, the
 * dispatcher's operational events about the account's failing targets go to that profile's real
 * receiver; before it is set, and after it is cleared, they go nowhere. Each round makes a real
 * receiver answer 410 Gone, which disables its URL and drops the delivery (webhook.target.failing
 * and webhook.delivery.dropped). The directory caches each account's routing data, and the first
 * round loads it, so events arriving after the PUT show that the setting reached the cache.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { receiverPool, type Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../http/support.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('operational events go to the operations profile, once set', () => {
  const receivers = receiverPool();
  let g: TestGateway;
  let ops: Receiver;
  let gone: Receiver;

  before(async () => {
    g = await startGateway({ THROTTLES: 'off', SIMULATOR_DELAY_MS: '0' });
    ops = await receivers.start();
    gone = await receivers.start();
    gone.respond = () => ({ status: 410 });
    const profile = await g.api('POST', '/subscriptions/1/profiles', { profileId: 'ops', webhook: { notifyUrl: `${ops.url}/events` } });
    assert.equal(profile.status, 201, JSON.stringify(profile.body));
  });
  after(async () => {
    await g?.close();
    await receivers.closeAll();
  });

  /** One message to a URL of the 410 receiver; resolves once that URL is disabled. */
  async function goneRound(path: string): Promise<string> {
    const url = `${gone.url}${path}`;
    const sent = await g.api('POST', '/sms/3/messages', { messages: [{ destinations: [{ to: '41793026727' }], content: { text: path }, webhooks: { delivery: { url } } }] });
    assert.equal(sent.status, 200);
    await waitUntil(async () => (await g.api('GET', '/hookline/1/targets?state=DISABLED')).body.results.some((t: any) => t.target.url === url), `${url} disabled`);
    return url;
  }

  const events = () => ops.requests.map((r) => JSON.parse(r.body));

  it('none before it is set', async () => {
    await goneRound('/first');
    await sleep(500);
    assert.equal(ops.requests.length, 0);
  });

  it('after the PUT: webhook.target.failing and webhook.delivery.dropped about the gone URL', async () => {
    assert.equal((await g.api('PUT', '/hookline/1/operations-profile', { profileId: 'ops' })).status, 200);
    const url = await goneRound('/second');
    await ops.waitFor(() => new Set(events().map((e) => e.type)).size >= 2, 10_000, 'two kinds of event');
    for (const event of events()) {
      assert.deepEqual(Object.keys(event).sort(), ['data', 'timestamp', 'type']);
      assert.deepEqual(event.data.target, { url }, JSON.stringify(event));
    }
    assert.deepEqual([...new Set(events().map((e) => e.type))].sort(), ['webhook.delivery.dropped', 'webhook.target.failing']);
    assert.equal(ops.requests[0].path, '/events');
    assert.ok(ops.requests.every((r) => typeof r.headers['webhook-id'] === 'string'));
    const refused = await g.api('DELETE', '/subscriptions/1/profiles/ops');
    assert.equal(refused.status, 409, 'the operations profile cannot be deleted while set');
  });

  it('after clearing it: none again', async () => {
    assert.equal((await g.api('PUT', '/hookline/1/operations-profile', { profileId: null })).status, 200);
    const before = ops.requests.length;
    await goneRound('/third');
    await sleep(500);
    assert.equal(ops.requests.length, before);
    assert.equal((await g.api('DELETE', '/subscriptions/1/profiles/ops')).status, 200, 'and now it can be deleted');
  });
});

/**
 * HMAC signing-key rotation end to end (README "Security settings"): a real receiver on loopback
 * behind a notification profile with HMAC security and a subscription; SMS sent through the API
 * produce delivery reports pushed there. Before the rotation one signature; right after
 * `POST /hookline/1/security/{authId}/rotate` (no waiting: the directory's cache is dropped on
 * commit) two, the new key's first, each verifying with exactly one of the keys; once the
 * overlap is over (the injected ManualClock moved past it) only the new key's.
 *
 * The verifier is written here from the Standard Webhooks spec and shares no code with Hookline.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { Receiver, type Received } from '../helpers/receiver.ts';
import { uniq } from '../http/support.ts';

const OLD_KEY = 'whsec_' + Buffer.from('the key every receiver has today').toString('base64');
const OVERLAP_SECONDS = 3600;

/** Does `signature` (`v1,<base64>`) verify `request` with `secretKey`? */
function verifies(secretKey: string, request: Received, signature: string): boolean {
  const [label, given] = signature.split(',');
  if (label !== 'v1' || given === undefined) return false;
  const key = Buffer.from(secretKey.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${request.headers['webhook-id']}.${request.headers['webhook-timestamp']}.${request.body}`).digest();
  const bytes = Buffer.from(given, 'base64');
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

const signaturesOf = (request: Received): string[] => String(request.headers['webhook-signature'] ?? '').split(' ');

describe('HMAC key rotation: both signatures during the overlap, then only the new one', () => {
  const clock = new ManualClock();
  let g: TestGateway;
  let receiver: Receiver;
  const applicationId = uniq('app');
  const authId = uniq('auth');

  before(async () => {
    receiver = await Receiver.start();
    g = await startGateway({ THROTTLES: 'off' }, { clock });
    const setUp = async (path: string, body: unknown) => {
      const r = await g.api('POST', path, body);
      assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    };
    const profileId = uniq('prof');
    await setUp('/subscriptions/1/security', { authId, type: 'HMAC', credentials: { secretKey: OLD_KEY, algorithm: 'HMAC_SHA_256' } });
    await setUp('/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: receiver.url }, security: { authId } });
    await setUp('/subscriptions/1/subscription/SMS', { subscriptionId: uniq('sub'), events: ['DELIVERY'], profile: { profileId }, criteria: [{ applicationId }] });
  });
  after(async () => {
    await g?.close();
    await receiver?.close();
  });

  /** Sends one SMS and returns the webhook request that carried its delivery report. */
  async function reportOf(): Promise<Received> {
    const messageId = uniq('m');
    const r = await g.api('POST', '/sms/3/messages', {
      messages: [{ sender: 'Shop', destinations: [{ to: '41793026727', messageId }], content: { text: 'rotation' }, options: { platform: { applicationId } } }],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const carries = (q: Received) => q.body.includes(`"${messageId}"`);
    await receiver.waitFor(() => receiver.requests.some(carries), 10_000, `the report of ${messageId}`);
    return receiver.requests.find(carries)!;
  }

  let newKey = '';

  it('before any rotation: one signature, by the key the receiver has', async () => {
    const request = await reportOf();
    const signatures = signaturesOf(request);
    assert.equal(signatures.length, 1, String(request.headers['webhook-signature']));
    assert.ok(verifies(OLD_KEY, request, signatures[0]));
  });

  it('right after a rotation: the new key signature, then the old key signature', async () => {
    const rotated = await g.api('POST', `/hookline/1/security/${authId}/rotate`, { overlapSeconds: OVERLAP_SECONDS });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    newKey = rotated.body.secretKey;
    assert.equal(rotated.body.previousKeyExpiresAt, new Date(clock.now() + OVERLAP_SECONDS * 1000).toISOString().replace('Z', '+0000'));

    for (const request of [await reportOf(), await reportOf()]) {
      const signatures = signaturesOf(request);
      assert.equal(signatures.length, 2, String(request.headers['webhook-signature']));
      assert.ok(verifies(newKey, request, signatures[0]), 'the first signature is the new key');
      assert.ok(!verifies(OLD_KEY, request, signatures[0]));
      assert.ok(verifies(OLD_KEY, request, signatures[1]), 'the second signature is the old key');
      assert.ok(!verifies(newKey, request, signatures[1]));
    }
  });

  it('one millisecond before the overlap ends: still both; at its end: only the new key', async () => {
    clock.advance(OVERLAP_SECONDS * 1000 - 1);
    const last = await reportOf();
    assert.deepEqual(signaturesOf(last).map((s) => [verifies(newKey, last, s), verifies(OLD_KEY, last, s)]), [[true, false], [false, true]]);

    clock.advance(1);
    const after = await reportOf();
    const signatures = signaturesOf(after);
    assert.equal(signatures.length, 1, String(after.headers['webhook-signature']));
    assert.ok(verifies(newKey, after, signatures[0]));
    assert.ok(!verifies(OLD_KEY, after, signatures[0]));
  });
});

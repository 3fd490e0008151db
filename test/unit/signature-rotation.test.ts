/**
 * `signatureHeader` (src/webhooks/security.ts) during and after an HMAC key rotation, checked
 * against an HMAC computed here from the Standard Webhooks spec (no code shared with security.ts),
 * and the stored-credentials rules of src/subscriptions/key-rotation.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signatureHeader, type HmacSettings } from '../../src/webhooks/security.ts';
import { credentialsForPut, credentialsForView, generateSecretKey, rotatedCredentials } from '../../src/subscriptions/key-rotation.ts';

const OLD = 'whsec_' + Buffer.from('the old signing key, 32 bytes...').toString('base64');
const NEW = 'whsec_' + Buffer.from('the new signing key, 32 bytes!!!').toString('base64');
const ID = 'msg_2Yx';
const TIMESTAMP = '1767225600';
const BODY = '{"results":[{"messageId":"m-1","status":{"name":"DELIVERED_TO_HANDSET"}}]}';
const EXPIRES = Date.UTC(2026, 0, 2);

/** `label,base64(HMAC(key, id.timestamp.body))`, the key being the base64 after whsec_. */
function expected(secret: string, digest: string, label: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `${label},${createHmac(digest, key).update(`${ID}.${TIMESTAMP}.${BODY}`).digest('base64')}`;
}

const rotating = (extra: Partial<HmacSettings> = {}): HmacSettings => ({
  type: 'HMAC',
  secretKey: NEW,
  algorithm: 'HMAC_SHA_256',
  previousSecretKey: OLD,
  previousKeyExpiresAt: EXPIRES,
  ...extra,
});

describe('signatureHeader', () => {
  it('during the overlap: the new key signature, then the old one, space-separated', () => {
    const header = signatureHeader(rotating(), ID, TIMESTAMP, BODY, EXPIRES - 1);
    assert.deepEqual(header.split(' '), [expected(NEW, 'sha256', 'v1'), expected(OLD, 'sha256', 'v1')]);
    assert.notEqual(expected(NEW, 'sha256', 'v1'), expected(OLD, 'sha256', 'v1'), 'the two keys really sign differently');
  });

  it('at and after previousKeyExpiresAt: only the new key signature', () => {
    for (const now of [EXPIRES, EXPIRES + 1, EXPIRES + 86_400_000]) {
      assert.equal(signatureHeader(rotating(), ID, TIMESTAMP, BODY, now), expected(NEW, 'sha256', 'v1'), `now = expiry + ${now - EXPIRES} ms`);
    }
  });

  it('without a rotation: exactly the single signature, as before', () => {
    const plain: HmacSettings = { type: 'HMAC', secretKey: OLD, algorithm: 'HMAC_SHA_256' };
    assert.equal(signatureHeader(plain, ID, TIMESTAMP, BODY, 0), expected(OLD, 'sha256', 'v1'));
    // A previous key without an expiry (or the reverse) is not an overlap.
    assert.equal(signatureHeader(rotating({ previousKeyExpiresAt: undefined }), ID, TIMESTAMP, BODY, 0), expected(NEW, 'sha256', 'v1'));
    assert.equal(signatureHeader(rotating({ previousSecretKey: undefined }), ID, TIMESTAMP, BODY, 0), expected(NEW, 'sha256', 'v1'));
  });

  it('both signatures use the setting algorithm and its label', () => {
    const header = signatureHeader(rotating({ algorithm: 'HMAC_SHA_512' }), ID, TIMESTAMP, BODY, EXPIRES - 1);
    assert.deepEqual(header.split(' '), [expected(NEW, 'sha512', 'HMAC_SHA_512'), expected(OLD, 'sha512', 'HMAC_SHA_512')]);
  });

  it('plain (non-whsec_) keys are used as UTF-8 bytes for both', () => {
    const header = signatureHeader(rotating({ secretKey: 'new plain key', previousSecretKey: 'old plain key' }), ID, TIMESTAMP, BODY, 0);
    const plain = (key: string) => `v1,${createHmac('sha256', Buffer.from(key, 'utf8')).update(`${ID}.${TIMESTAMP}.${BODY}`).digest('base64')}`;
    assert.deepEqual(header.split(' '), [plain('new plain key'), plain('old plain key')]);
  });
});

describe('stored rotation state (key-rotation.ts)', () => {
  const NOW = Date.UTC(2026, 0, 1);

  it('a generated key is whsec_ + base64 of 32 random bytes, different each time', () => {
    const a = generateSecretKey();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(a.slice(6), 'base64').length, 32);
    assert.notEqual(a, generateSecretKey());
  });

  it('rotation makes the new key current and keeps the replaced one until the expiry; a second rotation drops the oldest', () => {
    const first = rotatedCredentials({ secretKey: OLD, algorithm: 'HMAC_SHA_256' }, NEW, NOW + 1000, NOW);
    assert.deepEqual(first, { secretKey: NEW, algorithm: 'HMAC_SHA_256', previousSecretKey: OLD, previousKeyExpiresAt: NOW + 1000 });
    const second = rotatedCredentials(first, 'third-key', NOW + 5000, NOW + 10);
    assert.deepEqual(second, { secretKey: 'third-key', algorithm: 'HMAC_SHA_256', previousSecretKey: NEW, previousKeyExpiresAt: NOW + 5000 });
  });

  it('a rotation without overlap keeps nothing previous (and clears an earlier overlap)', () => {
    const during = { secretKey: NEW, algorithm: 'HMAC_SHA_256', previousSecretKey: OLD, previousKeyExpiresAt: NOW + 1000 };
    assert.deepEqual(rotatedCredentials(during, 'third-key', NOW, NOW), { secretKey: 'third-key', algorithm: 'HMAC_SHA_256' });
  });

  it('a PUT keeps the overlap only when it keeps the key and algorithm and the overlap still runs', () => {
    const stored = { type: 'HMAC', credentials: { secretKey: NEW, algorithm: 'HMAC_SHA_256', previousSecretKey: OLD, previousKeyExpiresAt: NOW + 1000 } };
    const put = (secretKey: string, algorithm = 'HMAC_SHA_256', type: 'HMAC' | 'BASIC' = 'HMAC') => ({ type, credentials: { secretKey, algorithm } });
    assert.deepEqual(credentialsForPut(stored, put(NEW), NOW), stored.credentials, 'same key: the rotation goes on');
    assert.deepEqual(credentialsForPut(stored, put('another-key'), NOW), { secretKey: 'another-key', algorithm: 'HMAC_SHA_256' }, 'new key: hard switch');
    assert.deepEqual(credentialsForPut(stored, put(NEW, 'HMAC_SHA_512'), NOW), { secretKey: NEW, algorithm: 'HMAC_SHA_512' }, 'new algorithm: previous dropped');
    assert.deepEqual(credentialsForPut(stored, put(NEW), NOW + 1000), { secretKey: NEW, algorithm: 'HMAC_SHA_256' }, 'overlap over: expired key dropped');
    const basic = { type: 'BASIC' as const, credentials: { username: 'u', password: 'p' } };
    assert.deepEqual(credentialsForPut(stored, basic, NOW), basic.credentials, 'another type: nothing carried over');
  });

  it('the view drops the rotation fields', () => {
    assert.deepEqual(credentialsForView({ secretKey: NEW, algorithm: 'HMAC_SHA_256', previousSecretKey: OLD, previousKeyExpiresAt: 1 }), { secretKey: NEW, algorithm: 'HMAC_SHA_256' });
  });
});

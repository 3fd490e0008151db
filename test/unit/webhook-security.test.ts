import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  HMAC_ALGORITHMS,
  basicAuthorization,
  hmacKey,
  secretKeyProblem,
  signatureFor,
  tokenCacheKey,
  tokenRequestBody,
  tokenUsableMs,
  type HmacAlgorithm,
  type OAuthSettings,
} from '../../src/webhooks/security.ts';

/**
 * An independent receiver-side verifier, written from the Standard Webhooks spec (and the
 * documented `<ALGORITHM>,<base64>` labels for the non-SHA-256 algorithms) — it shares no code
 * with src/webhooks/security.ts.
 *   signed content = `${webhook-id}.${webhook-timestamp}.${body}`
 *   key            = base64-decode(secret minus "whsec_") for whsec_ secrets, else UTF-8 bytes
 *   header         = space-separated `label,base64(HMAC(key, signed content))`
 */
const NODE_DIGEST_FOR_LABEL: Record<string, string> = {
  v1: 'sha256',
  HMAC_MD5: 'md5',
  HMAC_SHA_1: 'sha1',
  HMAC_SHA_224: 'sha224',
  HMAC_SHA_384: 'sha384',
  HMAC_SHA_512: 'sha512',
};

function verify(secret: string, headers: { id: string; timestamp: string; signature: string }, body: string): boolean {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
  const signed = Buffer.from(`${headers.id}.${headers.timestamp}.${body}`, 'utf8');
  for (const candidate of headers.signature.split(' ')) {
    const comma = candidate.indexOf(',');
    if (comma < 0) continue;
    const digest = NODE_DIGEST_FOR_LABEL[candidate.slice(0, comma)];
    if (digest === undefined) continue;
    const expected = createHmac(digest, key).update(signed).digest();
    const given = Buffer.from(candidate.slice(comma + 1), 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
  }
  return false;
}

const DIGEST_BYTES: Record<HmacAlgorithm, number> = {
  HMAC_MD5: 16,
  HMAC_SHA_1: 20,
  HMAC_SHA_224: 28,
  HMAC_SHA_256: 32,
  HMAC_SHA_384: 48,
  HMAC_SHA_512: 64,
};

const EXPECTED_LABEL: Record<HmacAlgorithm, string> = {
  HMAC_MD5: 'HMAC_MD5',
  HMAC_SHA_1: 'HMAC_SHA_1',
  HMAC_SHA_224: 'HMAC_SHA_224',
  HMAC_SHA_256: 'v1',
  HMAC_SHA_384: 'HMAC_SHA_384',
  HMAC_SHA_512: 'HMAC_SHA_512',
};

describe('signatureFor (Standard Webhooks)', () => {
  it('reproduces the published Standard Webhooks test vector', () => {
    // From the Standard Webhooks reference libraries' tests (and Svix's): same secret, id,
    // timestamp and body must give exactly this header value.
    const signature = signatureFor(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'HMAC_SHA_256',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      '1614265330',
      '{"test": 2432232314}',
    );
    assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('covers exactly the six Infobip algorithms', () => {
    assert.deepEqual([...HMAC_ALGORITHMS].sort(), Object.keys(EXPECTED_LABEL).sort());
  });

  const body = JSON.stringify({ results: [{ messageId: 'm-1', to: '41793026727', text: 'Grüße – 你好 🎉' }] });
  const id = 'msg_2bXvYc8aQ1';
  const timestamp = '1754913600';
  const secrets = {
    'whsec_ secret (key = base64 decode)': `whsec_${randomBytes(32).toString('base64')}`,
    'plain secret (key = UTF-8 bytes)': 'k3y-Pässwört-🔑',
    'plain secret that looks like base64 (still UTF-8 bytes)': 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  };

  for (const algorithm of ['HMAC_MD5', 'HMAC_SHA_1', 'HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'] as const) {
    for (const [kind, secret] of Object.entries(secrets)) {
      it(`${algorithm}, ${kind}: label and verification`, () => {
        const signature = signatureFor(secret, algorithm, id, timestamp, body);
        const [label, b64, ...rest] = signature.split(',');
        assert.equal(rest.length, 0, 'exactly one comma');
        assert.equal(label, EXPECTED_LABEL[algorithm]);
        assert.match(b64, /^[A-Za-z0-9+/]+={0,2}$/, 'standard base64');
        assert.equal(Buffer.from(b64, 'base64').length, DIGEST_BYTES[algorithm]);

        assert.ok(verify(secret, { id, timestamp, signature }, body), 'independent verifier accepts it');
        // Among other signatures (rotation form), still found.
        assert.ok(verify(secret, { id, timestamp, signature: `v1,AAAA ${signature}` }, body));
        // Any change to id, timestamp, body or secret breaks it.
        assert.ok(!verify(secret, { id: `${id}x`, timestamp, signature }, body));
        assert.ok(!verify(secret, { id, timestamp: String(Number(timestamp) + 1), signature }, body));
        assert.ok(!verify(secret, { id, timestamp, signature }, `${body} `));
        const otherSecret = secret.startsWith('whsec_') ? `whsec_${randomBytes(32).toString('base64')}` : `${secret}x`;
        assert.ok(!verify(otherSecret, { id, timestamp, signature }, body));
        // Labels are not interchangeable: the same MAC under another label does not verify.
        const other = algorithm === 'HMAC_SHA_256' ? 'HMAC_SHA_512' : 'v1';
        assert.ok(!verify(secret, { id, timestamp, signature: `${other},${b64}` }, body));
      });
    }
  }

  it('a whsec_ key is the decoded bytes, not the text', () => {
    const raw = randomBytes(24);
    const secret = `whsec_${raw.toString('base64')}`;
    const expected = createHmac('sha256', raw).update(`${id}.${timestamp}.${body}`).digest('base64');
    assert.equal(signatureFor(secret, 'HMAC_SHA_256', id, timestamp, body), `v1,${expected}`);
    const asText = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${id}.${timestamp}.${body}`).digest('base64');
    assert.notEqual(expected, asText);
    assert.deepEqual(hmacKey(secret), raw);
  });

  it('a plain key is its UTF-8 bytes, and a string body is signed as UTF-8', () => {
    const secret = 'clé';
    const expected = createHmac('sha512', Buffer.from([0x63, 0x6c, 0xc3, 0xa9])).update(Buffer.from(`a.1.${'é'}`, 'utf8')).digest('base64');
    assert.equal(signatureFor(secret, 'HMAC_SHA_512', 'a', '1', 'é'), `HMAC_SHA_512,${expected}`);
  });

  it('a Buffer body gives the same signature as the equal string', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    assert.equal(
      signatureFor(secret, 'HMAC_SHA_256', id, timestamp, Buffer.from(body, 'utf8')),
      signatureFor(secret, 'HMAC_SHA_256', id, timestamp, body),
    );
  });

  it('unpadded base64 after whsec_ decodes like padded', () => {
    const raw = randomBytes(31); // 31 bytes → base64 ends in '='
    const padded = raw.toString('base64');
    assert.ok(padded.endsWith('='));
    const unpadded = padded.replace(/=+$/, '');
    assert.equal(signatureFor(`whsec_${unpadded}`, 'HMAC_SHA_1', id, timestamp, body), signatureFor(`whsec_${padded}`, 'HMAC_SHA_1', id, timestamp, body));
  });

  it('rejects keys no receiver could reproduce', () => {
    for (const bad of ['', 'whsec_', 'whsec_not base64!', 'whsec_abc=def', 'whsec_A', 'whsec_-_-_']) {
      assert.notEqual(secretKeyProblem(bad), null, `secretKeyProblem(${JSON.stringify(bad)})`);
      assert.throws(() => signatureFor(bad, 'HMAC_SHA_256', id, timestamp, body), TypeError);
    }
    for (const good of ['x', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_AA==', 'whsec_AA', 'WHSEC_not base64 is fine as text']) {
      assert.equal(secretKeyProblem(good), null, `secretKeyProblem(${JSON.stringify(good)})`);
    }
  });

  it('rejects an unknown algorithm', () => {
    assert.throws(() => signatureFor('k', 'HMAC_SHA_3' as HmacAlgorithm, id, timestamp, body), TypeError);
  });
});

describe('basicAuthorization', () => {
  it('matches RFC 7617’s example', () => {
    assert.equal(basicAuthorization('Aladdin', 'open sesame'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });

  it('encodes UTF-8 and keeps colons in the password', () => {
    const header = basicAuthorization('jürgen', 'pa:ss wörd');
    assert.match(header, /^Basic [A-Za-z0-9+/]+=*$/);
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    assert.equal(decoded, 'jürgen:pa:ss wörd');
    const colon = decoded.indexOf(':');
    assert.equal(decoded.slice(0, colon), 'jürgen');
    assert.equal(decoded.slice(colon + 1), 'pa:ss wörd');
  });
});

describe('OAuth helpers', () => {
  const base: OAuthSettings = { type: 'OAUTH', tokenUrl: 'https://idp.example.org/oauth/token', grantType: 'client_credentials', clientId: 'infobip', clientSecret: 'x', scope: 'webhooks' };

  it('form body: grant_type plus only the fields that are set (empty = not set)', () => {
    const form = new URLSearchParams(tokenRequestBody({ ...base, username: '', resource: 'urn:r & s' }));
    assert.deepEqual([...form.entries()], [
      ['grant_type', 'client_credentials'],
      ['client_id', 'infobip'],
      ['client_secret', 'x'],
      ['scope', 'webhooks'],
      ['resource', 'urn:r & s'],
    ]);
  });

  it('cache key: equal settings share it, any credential or header change gives another', () => {
    assert.equal(tokenCacheKey(base), tokenCacheKey({ ...base }));
    assert.equal(tokenCacheKey({ ...base, headers: { A: '1', b: '2' } }), tokenCacheKey({ ...base, headers: { b: '2', a: '1' } }));
    const variants: OAuthSettings[] = [
      { ...base, tokenUrl: 'https://idp.example.org/oauth/token2' },
      { ...base, grantType: 'password' },
      { ...base, clientId: 'other' },
      { ...base, clientSecret: 'y' },
      { ...base, scope: 'webhooks more' },
      { ...base, username: 'u' },
      { ...base, password: 'p' },
      { ...base, resource: 'r' },
      { ...base, refreshToken: 't' },
      { ...base, headers: { 'x-tenant': '1' } },
    ];
    const keys = new Set([tokenCacheKey(base), ...variants.map(tokenCacheKey)]);
    assert.equal(keys.size, variants.length + 1);
    assert.ok(!tokenCacheKey(base).includes('infobip'), 'no readable secrets in the key');
  });

  it('usable lifetime: expires_in minus 10% (at most 30 s); 5 minutes without expires_in', () => {
    assert.equal(tokenUsableMs(3600), 3_570_000);
    assert.equal(tokenUsableMs(60), 54_000);
    assert.equal(tokenUsableMs(0), 0);
    assert.equal(tokenUsableMs(undefined), 300_000);
  });
});

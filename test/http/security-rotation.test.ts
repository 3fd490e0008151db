/**
 * `POST /hookline/1/security/{authId}/rotate` against a real gateway on a ManualClock: the new
 * key answered once (generated or given), what is stored (current and previous key, exact expiry),
 * the Subscriptions API never answering either key nor the rotation fields, the v3 envelope for
 * every refusal (bad body, non-HMAC settings, unknown and other accounts' ids), and what a PUT of
 * the same settings does to a rotation in progress.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { ManualClock } from '../../src/clock.ts';
import { TEST_BACKEND } from '../helpers/database.ts';
import { startGateway, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import { uniq, V3_NOT_FOUND, v3ErrorProperties } from './support.ts';

const SEC = '/subscriptions/1/security';
const rotate = (authId: string) => `/hookline/1/security/${authId}/rotate`;
const MASK = '********';
const DAY_MS = 86_400_000;
const infobipTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
const basic = (username: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` });
const OPERATOR = basic(TEST_ADMIN.username, TEST_ADMIN.password);
const whsec = (text: string) => 'whsec_' + Buffer.from(text).toString('base64');

describe('HMAC key rotation API', () => {
  let g: TestGateway;
  const clock = new ManualClock();

  before(async () => {
    g = await startGateway({ THROTTLES: 'off' }, { clock });
  });
  after(async () => {
    await g?.close();
  });

  async function hmac(secretKey = whsec(uniq('initial key')), algorithm = 'HMAC_SHA_256'): Promise<{ authId: string; secretKey: string }> {
    const authId = uniq('auth');
    const r = await g.api('POST', SEC, { authId, type: 'HMAC', credentials: { secretKey, algorithm } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { authId, secretKey };
  }
  async function stored(authId: string): Promise<Record<string, unknown>> {
    const row = await g.hookline.store.db.selectFrom('security_settings').select('credentials').where('auth_id', '=', authId).executeTakeFirstOrThrow();
    return JSON.parse(row.credentials);
  }
  function v3Error(r: { status: number; body: any }, status: number, properties: string[]): void {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.deepEqual(v3ErrorProperties(r.body), properties, JSON.stringify(r.body));
  }

  it('without a body: a generated whsec_ key of 32 random bytes, the old key kept for one day', async () => {
    const { authId, secretKey: old } = await hmac();
    const now = clock.now();
    const r = await g.api('POST', rotate(authId));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body).sort(), ['authId', 'previousKeyExpiresAt', 'secretKey']);
    assert.equal(r.body.authId, authId);
    assert.match(r.body.secretKey, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(r.body.secretKey.slice(6), 'base64').length, 32);
    assert.equal(r.body.previousKeyExpiresAt, infobipTime(now + DAY_MS));
    assert.deepEqual(await stored(authId), { secretKey: r.body.secretKey, algorithm: 'HMAC_SHA_256', previousSecretKey: old, previousKeyExpiresAt: now + DAY_MS });
  });

  it('a given key and overlap; the key is answered once, then only masked, and the rotation fields never', async () => {
    const { authId, secretKey: old } = await hmac(undefined, 'HMAC_SHA_512');
    const next = whsec(uniq('next key'));
    const now = clock.now();
    const r = await g.api('POST', rotate(authId), { secretKey: next, overlapSeconds: 3600 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { authId, secretKey: next, previousKeyExpiresAt: infobipTime(now + 3_600_000) });
    assert.deepEqual(await stored(authId), { secretKey: next, algorithm: 'HMAC_SHA_512', previousSecretKey: old, previousKeyExpiresAt: now + 3_600_000 });

    const one = await g.api('GET', `${SEC}/${authId}`);
    assert.deepEqual(one.body, { authId, type: 'HMAC', credentials: { secretKey: MASK, algorithm: 'HMAC_SHA_512' } });
    const list = JSON.stringify((await g.api('GET', `${SEC}?size=100`)).body);
    assert.ok(list.includes(authId));
    for (const text of [JSON.stringify(one.body), list]) {
      for (const leak of [next, old, next.slice(6), old.slice(6), 'previous']) assert.ok(!text.includes(leak), `${leak} answered in ${text}`);
    }
  });

  it('overlapSeconds 0 switches at once: nothing previous is kept', async () => {
    const { authId } = await hmac();
    const now = clock.now();
    const r = await g.api('POST', rotate(authId), { overlapSeconds: 0 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.previousKeyExpiresAt, infobipTime(now));
    assert.deepEqual(await stored(authId), { secretKey: r.body.secretKey, algorithm: 'HMAC_SHA_256' });
  });

  it('rotating again during an overlap keeps only the key it replaces', async () => {
    const { authId } = await hmac();
    const first = (await g.api('POST', rotate(authId), { overlapSeconds: 600 })).body.secretKey;
    clock.advance(1000);
    const now = clock.now();
    const second = (await g.api('POST', rotate(authId), { overlapSeconds: 60 })).body.secretKey;
    assert.deepEqual(await stored(authId), { secretKey: second, algorithm: 'HMAC_SHA_256', previousSecretKey: first, previousKeyExpiresAt: now + 60_000 });
  });

  it('refuses a bad body in the v3 envelope, changing nothing', async () => {
    const { authId, secretKey } = await hmac();
    const before = await stored(authId);
    v3Error(await g.api('POST', rotate(authId), { overlapSeconds: 604_801 }), 400, ['overlapSeconds']);
    v3Error(await g.api('POST', rotate(authId), { overlapSeconds: -1 }), 400, ['overlapSeconds']);
    v3Error(await g.api('POST', rotate(authId), { overlapSeconds: 1.5 }), 400, ['overlapSeconds']);
    v3Error(await g.api('POST', rotate(authId), { secretKey: '' }), 400, ['secretKey']);
    v3Error(await g.api('POST', rotate(authId), { secretKey: 'x'.repeat(256) }), 400, ['secretKey']);
    v3Error(await g.api('POST', rotate(authId), { secretKey: 'whsec_not base64!' }), 400, ['secretKey']);
    v3Error(await g.api('POST', rotate(authId), { secretKey }), 400, ['secretKey']);
    assert.deepEqual(await stored(authId), before);
    // The largest overlap is accepted.
    const now = clock.now();
    const r = await g.api('POST', rotate(authId), { overlapSeconds: 604_800 });
    assert.equal(r.body.previousKeyExpiresAt, infobipTime(now + 7 * DAY_MS));
  });

  it('refuses BASIC and OAUTH settings with 400 (v3), and unknown ids with 404 (v3)', async () => {
    const basicId = uniq('auth');
    assert.equal((await g.api('POST', SEC, { authId: basicId, type: 'BASIC', credentials: { username: 'u', password: 'p' } })).status, 201);
    const oauthId = uniq('auth');
    assert.equal((await g.api('POST', SEC, { authId: oauthId, type: 'OAUTH', credentials: { tokenUrl: 'http://127.0.0.1:9/token', grantType: 'client_credentials' } })).status, 201);
    for (const authId of [basicId, oauthId]) {
      const r = await g.api('POST', rotate(authId), {});
      v3Error(r, 400, ['authId']);
      assert.match(r.body.violations[0].violation, /only HMAC/);
    }
    const missing = await g.api('POST', rotate(uniq('missing')), {});
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, V3_NOT_FOUND);
  });

  it("another account's settings answer 404 and stay as they were", async () => {
    const { authId } = await hmac();
    const before = await stored(authId);
    const id = uniq('acct');
    assert.equal((await g.api('POST', '/hookline/1/accounts', { id, name: id }, OPERATOR)).status, 201);
    const admin = { username: `${id}-admin`, password: `${id}-password-123` };
    assert.equal((await g.api('POST', '/hookline/1/users', { ...admin, roles: ['ACCOUNT_ADMIN'], accountId: id }, OPERATOR)).status, 201);
    const r = await g.api('POST', rotate(authId), {}, basic(admin.username, admin.password));
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.deepEqual(r.body, V3_NOT_FOUND);
    assert.deepEqual(await stored(authId), before);
  });

  describe('a PUT of settings being rotated', () => {
    it('GET → PUT with the masked key and the same algorithm: the overlap goes on', async () => {
      const { authId, secretKey: old } = await hmac();
      const now = clock.now();
      const next = (await g.api('POST', rotate(authId), { overlapSeconds: 600 })).body.secretKey;
      const view = (await g.api('GET', `${SEC}/${authId}`)).body;
      assert.equal((await g.api('PUT', `${SEC}/${authId}`, { type: view.type, credentials: view.credentials })).status, 200);
      assert.deepEqual(await stored(authId), { secretKey: next, algorithm: 'HMAC_SHA_256', previousSecretKey: old, previousKeyExpiresAt: now + 600_000 });
    });

    it('PUT with a new key (or a new algorithm, or another type) ends the overlap at once', async () => {
      for (const credentials of [{ secretKey: whsec(uniq('put key')), algorithm: 'HMAC_SHA_256' }, { secretKey: MASK, algorithm: 'HMAC_SHA_512' }]) {
        const { authId } = await hmac();
        const next = (await g.api('POST', rotate(authId), { overlapSeconds: 600 })).body.secretKey;
        assert.equal((await g.api('PUT', `${SEC}/${authId}`, { type: 'HMAC', credentials })).status, 200);
        const expected = { secretKey: credentials.secretKey === MASK ? next : credentials.secretKey, algorithm: credentials.algorithm };
        assert.deepEqual(await stored(authId), expected);
      }
      const { authId } = await hmac();
      await g.api('POST', rotate(authId), { overlapSeconds: 600 });
      assert.equal((await g.api('PUT', `${SEC}/${authId}`, { type: 'BASIC', credentials: { username: 'u', password: 'p' } })).status, 200);
      assert.deepEqual(await stored(authId), { username: 'u', password: 'p' });
    });

    it(
      'a GET → PUT with the masked key racing a rotation answers 409 instead of bringing the replaced key back',
      { skip: TEST_BACKEND !== 'postgres' && 'staged with a row lock held by another connection: PostgreSQL only' },
      async () => {
        const { authId, secretKey: old } = await hmac();
        const db = g.hookline.store.db;
        const rotatedState = JSON.stringify({ secretKey: whsec('rotated in between'), algorithm: 'HMAC_SHA_256', previousSecretKey: old, previousKeyExpiresAt: clock.now() + 60_000 });
        let put: Promise<{ status: number; body: any }> | undefined;
        await db.transaction().execute(async (trx) => {
          // Hold the row as a rotation would, let the PUT read the old state and block on its write, then "rotate".
          await trx.updateTable('security_settings').set({ updated_at: clock.now() }).where('auth_id', '=', authId).execute();
          put = g.api('PUT', `${SEC}/${authId}`, { type: 'HMAC', credentials: { secretKey: MASK, algorithm: 'HMAC_SHA_256' } });
          const deadline = Date.now() + 5_000;
          for (;;) {
            const { rows } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and query like 'update "security_settings"%'`.execute(db);
            if (Number(rows[0].n) > 0) break;
            assert.ok(Date.now() < deadline, 'the PUT never blocked on the row');
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          await trx.updateTable('security_settings').set({ credentials: rotatedState }).where('auth_id', '=', authId).execute();
        });
        const r = await put!;
        assert.equal(r.status, 409, JSON.stringify(r.body));
        assert.equal(r.body.requestError.serviceException.messageId, 'CONFLICT');
        assert.deepEqual(await stored(authId), JSON.parse(rotatedState), 'the rotation stands');
      },
    );

    it('a PUT after the overlap drops the expired previous key', async () => {
      const { authId } = await hmac();
      const next = (await g.api('POST', rotate(authId), { overlapSeconds: 60 })).body.secretKey;
      clock.advance(60_000);
      assert.equal((await g.api('PUT', `${SEC}/${authId}`, { type: 'HMAC', credentials: { secretKey: MASK, algorithm: 'HMAC_SHA_256' } })).status, 200);
      assert.deepEqual(await stored(authId), { secretKey: next, algorithm: 'HMAC_SHA_256' });
    });
  });
});

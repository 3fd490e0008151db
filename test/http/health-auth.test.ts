/**
 * Health endpoints, authentication on every route, and 404s in the right envelope.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, TEST_API_KEY, type TestGateway } from '../helpers/hookline.ts';
import { LEGACY_UNAUTHORIZED, parseXml, rawApi, V3_UNAUTHORIZED, v3ErrorProperties } from './support.ts';

/** Every authenticated endpoint, with a body that would be valid, and its envelope family. */
const ENDPOINTS: Array<{ method: string; path: string; body?: unknown; family: 'v3' | 'legacy' }> = [
  { method: 'POST', path: '/sms/3/messages', body: { messages: [{ destinations: [{ to: '41793026727' }], content: { text: 'x' } }] }, family: 'v3' },
  { method: 'POST', path: '/sms/2/text/advanced', body: { messages: [{ destinations: [{ to: '41793026727' }], text: 'x' }] }, family: 'legacy' },
  { method: 'POST', path: '/sms/1/preview', body: { text: 'x' }, family: 'legacy' },
  { method: 'GET', path: '/sms/1/bulks?bulkId=b', family: 'legacy' },
  { method: 'GET', path: '/sms/1/bulks/?bulkId=b', family: 'legacy' },
  { method: 'PUT', path: '/sms/1/bulks?bulkId=b', body: { sendAt: '2030-01-01T00:00:00.000+0000' }, family: 'legacy' },
  { method: 'GET', path: '/sms/1/bulks/status?bulkId=b', family: 'legacy' },
  { method: 'PUT', path: '/sms/1/bulks/status?bulkId=b', body: { status: 'PAUSED' }, family: 'legacy' },
  { method: 'GET', path: '/sms/1/logs', family: 'legacy' },
  { method: 'GET', path: '/sms/3/logs', family: 'v3' },
  { method: 'GET', path: '/sms/1/reports', family: 'legacy' },
  { method: 'GET', path: '/sms/3/reports', family: 'v3' },
];

const unauthorized = (family: 'v3' | 'legacy') => (family === 'v3' ? V3_UNAUTHORIZED : LEGACY_UNAUTHORIZED);

describe('health and authentication', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway();
  });
  after(async () => {
    await g.close();
  });

  describe('health', () => {
    it('GET /healthz answers 200 without credentials', async () => {
      const r = await rawApi(g, 'GET', '/healthz');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { status: 'ok' });
    });

    it('GET /readyz answers 200 without credentials once the database is reachable', async () => {
      const r = await rawApi(g, 'GET', '/readyz');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { status: 'ready' });
    });

    it('health endpoints ignore bad credentials rather than refusing them', async () => {
      for (const path of ['/healthz', '/readyz']) {
        const r = await rawApi(g, 'GET', path, undefined, { authorization: 'App wrong' });
        assert.equal(r.status, 200, path);
      }
    });
  });

  describe('every authenticated endpoint refuses a missing or wrong key', () => {
    for (const e of ENDPOINTS) {
      it(`${e.method} ${e.path}: 401 in the ${e.family} envelope`, async () => {
        const none = await rawApi(g, e.method, e.path, e.body);
        assert.equal(none.status, 401, `no key: ${JSON.stringify(none.body)}`);
        assert.deepEqual(none.body, unauthorized(e.family));
        const wrong = await rawApi(g, e.method, e.path, e.body, { authorization: `App ${TEST_API_KEY}x` });
        assert.equal(wrong.status, 401);
        assert.deepEqual(wrong.body, unauthorized(e.family));
        const scheme = await rawApi(g, e.method, e.path, e.body, { authorization: `Token ${TEST_API_KEY}` });
        assert.equal(scheme.status, 401);
        assert.deepEqual(scheme.body, unauthorized(e.family));
      });
    }

    it('the same endpoints answer something other than 401 with the key', async () => {
      for (const e of ENDPOINTS) {
        const r = await g.api(e.method, e.path, e.body);
        assert.notEqual(r.status, 401, `${e.method} ${e.path}`);
        assert.ok(r.status < 500, `${e.method} ${e.path} → ${r.status}`);
      }
    });

    it('the scheme name is case-insensitive', async () => {
      const r = await rawApi(g, 'GET', '/sms/3/logs', undefined, { authorization: `app ${TEST_API_KEY}` });
      assert.equal(r.status, 200);
      const upper = await rawApi(g, 'GET', '/sms/3/logs', undefined, { authorization: `APP ${TEST_API_KEY}` });
      assert.equal(upper.status, 200);
    });

    it('401 in XML when the client asks for XML', async () => {
      const v3 = await rawApi(g, 'GET', '/sms/3/logs', undefined, { accept: 'application/xml' });
      assert.equal(v3.status, 401);
      assert.equal(parseXml(v3.body).ApiError.errorCode, 'E401');
      const legacy = await rawApi(g, 'GET', '/sms/1/logs', undefined, { accept: 'application/xml' });
      assert.equal(legacy.status, 401);
      assert.equal(parseXml(legacy.body).ApiException.requestError.serviceException.messageId, 'UNAUTHORIZED');
    });
  });

  describe('unknown paths', () => {
    const V3_NOT_FOUND = { errorCode: 'E404', description: 'Requested resource not found.', action: 'Check the request path and identifiers.', violations: [], resources: [] };
    const LEGACY_NOT_FOUND = { requestError: { serviceException: { messageId: 'NOT_FOUND', text: 'Not found' } } };

    it('an undecodable percent-escape or an over-long path segment: 400 in the family envelope, not Fastify\'s', async () => {
      for (const path of ['/hookline/1/deliveries/%FF', '/hookline/1/deliveries/%E0%A4%A', `/hookline/1/deliveries/${'x'.repeat(600)}`]) {
        const r = await g.api('GET', path);
        assert.equal(r.status, 400, path);
        v3ErrorProperties(r.body);
      }
      const legacy = await g.api('GET', '/sms/1/reports/%FF');
      assert.equal(legacy.status, 400);
      assert.equal(legacy.body.requestError.serviceException.messageId, 'BAD_REQUEST');
      // A 255-character id, as the schemas allow, reaches its route (an unknown delivery: 404).
      const long = await g.api('GET', `/hookline/1/deliveries/${'x'.repeat(255)}`);
      assert.equal(long.status, 404);
    });

    it('404 in the v3 envelope under /sms/3/', async () => {
      const r = await g.api('GET', '/sms/3/nope');
      assert.equal(r.status, 404);
      assert.deepEqual(r.body, V3_NOT_FOUND);
    });

    it('404 in the legacy envelope under /sms/1/ and /sms/2/', async () => {
      for (const path of ['/sms/1/nope', '/sms/2/nope', '/sms/1/reports/extra']) {
        const r = await g.api('GET', path);
        assert.equal(r.status, 404, path);
        assert.deepEqual(r.body, LEGACY_NOT_FOUND, path);
      }
    });

    it('404 for a known path with an unsupported method', async () => {
      const v3 = await g.api('DELETE', '/sms/3/messages');
      assert.equal(v3.status, 404);
      assert.deepEqual(v3.body, V3_NOT_FOUND);
      const legacy = await g.api('GET', '/sms/2/text/advanced');
      assert.equal(legacy.status, 404);
      assert.deepEqual(legacy.body, LEGACY_NOT_FOUND);
    });

    it('404 in the v3 envelope outside the SMS API', async () => {
      const r = await g.api('GET', '/nope');
      assert.equal(r.status, 404);
      assert.deepEqual(r.body, V3_NOT_FOUND);
    });

    it('an unknown path without a key is a 401, not a 404 (paths are not probed anonymously)', async () => {
      const v3 = await rawApi(g, 'GET', '/sms/3/nope');
      assert.equal(v3.status, 401);
      assert.deepEqual(v3.body, V3_UNAUTHORIZED);
      const legacy = await rawApi(g, 'GET', '/sms/1/nope');
      assert.equal(legacy.status, 401);
      assert.deepEqual(legacy.body, LEGACY_UNAUTHORIZED);
    });
  });
});

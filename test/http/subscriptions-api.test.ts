/**
 * The Subscriptions Management API (infobip-subscriptions-api-openapi.json) through HTTP against a
 * real gateway: security settings, notification profiles and per-channel subscriptions — every
 * operation, the response shapes field by field, every error path in the legacy envelope
 * (`requestError.serviceException.validationErrors`, keyed by property path), secrets never
 * answered in clear, one account's ids invisible to another (404 as if absent), and the
 * `subscriptions:manage` scope.
 *
 * Every response body is recorded; the last test checks that no secret sent in ever came back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGateway, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import { LEGACY_FORBIDDEN, LEGACY_UNAUTHORIZED, qs, rawApi, uniq } from './support.ts';

const SEC = '/subscriptions/1/security';
const PROF = '/subscriptions/1/profiles';
const SUB = (channel = 'SMS') => `/subscriptions/1/subscription/${channel}`;
const MASK = '********';
/** A webhook URL that passes the target-safety rules here (the test gateway listens on loopback, so private targets are allowed). */
const HOOK = 'http://127.0.0.1:9/hook';
/** Refused whatever the policy: a cloud metadata endpoint, and a scheme other than http(s). */
const REFUSED_URLS = ['http://169.254.169.254/latest/meta-data', 'ftp://hooks.example.org/x'];

const basic = (username: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` });
const OPERATOR = basic(TEST_ADMIN.username, TEST_ADMIN.password);

/** Secrets sent in; none may ever appear in a response. */
const SECRETS = new Set<string>();
const secret = (label: string) => {
  const s = `${label}-${uniq('secret')}`;
  SECRETS.add(s);
  return s;
};
/** Every response body seen, as text. */
const seen: string[] = [];

type Response = { status: number; body: any; headers: Headers };
type Api = (method: string, path: string, body?: unknown) => Promise<Response>;

/** Asserts the exact legacy envelope and returns its validationErrors (or undefined). */
function legacyError(r: Response, status: number, messageId: string): Record<string, string[]> | undefined {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body), ['requestError']);
  assert.deepEqual(Object.keys(r.body.requestError), ['serviceException']);
  const e = r.body.requestError.serviceException;
  assert.equal(e.messageId, messageId);
  assert.equal(typeof e.text, 'string');
  assert.ok(e.text.length > 0);
  assert.deepEqual(Object.keys(e).filter((k) => !['messageId', 'text', 'validationErrors'].includes(k)), []);
  if (e.validationErrors !== undefined) {
    for (const [property, messages] of Object.entries(e.validationErrors)) {
      assert.ok(Array.isArray(messages) && messages.length > 0 && (messages as unknown[]).every((m) => typeof m === 'string' && m !== ''), `${property}: ${JSON.stringify(messages)}`);
    }
  }
  return e.validationErrors;
}

/** A 400 naming exactly these properties. */
function badRequest(r: Response, properties: string[]): Record<string, string[]> {
  const errors = legacyError(r, 400, 'BAD_REQUEST');
  assert.ok(errors, `no validationErrors: ${JSON.stringify(r.body)}`);
  assert.deepEqual(Object.keys(errors).sort(), [...properties].sort(), JSON.stringify(errors));
  return errors;
}

const notFound = (r: Response) => assert.deepEqual(legacyError(r, 404, 'NOT_FOUND'), undefined);
const conflict = (r: Response) => assert.deepEqual(legacyError(r, 409, 'CONFLICT'), undefined);

function created(r: Response, location: string): any {
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.headers.get('location'), location);
  return r.body;
}
function ok(r: Response): any {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

describe('Subscriptions Management API', () => {
  let g: TestGateway;
  /** The default account, with the test key (every scope). */
  let api: Api;
  /** Accounts made for one test each (lists start empty there). */
  const accounts = new Map<string, Api>();

  const recorder =
    (headers: Record<string, string>): Api =>
    async (method, path, body) => {
      const r = await g.api(method, path, body, headers);
      seen.push(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
      seen.push(r.headers.get('location') ?? '');
      return r;
    };

  /** A new account with an admin and an API key holding every scope; returns a caller with that key. */
  async function newAccount(): Promise<Api> {
    const id = uniq('acct');
    assert.equal((await g.api('POST', '/hookline/1/accounts', { id, name: id }, OPERATOR)).status, 201);
    const admin = { username: `${id}-admin`, password: `${id}-password-123` };
    assert.equal((await g.api('POST', '/hookline/1/users', { ...admin, roles: ['ACCOUNT_ADMIN'], accountId: id }, OPERATOR)).status, 201);
    const key = await g.api('POST', '/settings/2/api-keys', { name: `${id} key` }, basic(admin.username, admin.password));
    assert.equal(key.status, 200, JSON.stringify(key.body));
    const caller = recorder({ authorization: `App ${key.body.apiKeySecret}` });
    accounts.set(id, caller);
    return caller;
  }

  before(async () => {
    g = await startGateway({ THROTTLES: 'off' });
    api = recorder({});
  });
  after(async () => {
    await g?.close();
  });

  // Shared fixtures for the tests below.
  const basicSecurity = (authId = uniq('auth')) => ({ authId, type: 'BASIC', credentials: { username: 'hook-user', password: secret('pw') } });
  async function makeSecurity(call: Api = api): Promise<string> {
    const body = basicSecurity();
    created(await call('POST', SEC, body), `${SEC}/${body.authId}`);
    return body.authId;
  }
  async function makeProfile(call: Api = api, extra: Record<string, unknown> = {}): Promise<string> {
    const profileId = uniq('prof');
    created(await call('POST', PROF, { profileId, webhook: { notifyUrl: HOOK }, ...extra }), `${PROF}/${profileId}`);
    return profileId;
  }

  describe('security settings', () => {
    it('creates BASIC settings: 201, Location, {authId}; GET answers them with the password masked', async () => {
      const password = secret('basic');
      const authId = uniq('basic');
      const body = created(await api('POST', SEC, { authId, type: 'BASIC', credentials: { username: 'ib-user', password } }), `${SEC}/${authId}`);
      assert.deepEqual(body, { authId });
      assert.deepEqual(ok(await api('GET', `${SEC}/${authId}`)), { authId, type: 'BASIC', credentials: { username: 'ib-user', password: MASK } });
    });

    it('creates HMAC settings with every algorithm of the enum; the secretKey is masked', async () => {
      for (const algorithm of ['HMAC_MD5', 'HMAC_SHA_1', 'HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512']) {
        const authId = uniq(algorithm.toLowerCase().replaceAll('_', '-'));
        const secretKey = algorithm === 'HMAC_SHA_256' ? `whsec_${Buffer.from(secret('whsec')).toString('base64')}` : secret('hmac');
        SECRETS.add(secretKey);
        assert.deepEqual(created(await api('POST', SEC, { authId, type: 'HMAC', credentials: { secretKey, algorithm } }), `${SEC}/${authId}`), { authId });
        assert.deepEqual(ok(await api('GET', `${SEC}/${authId}`)), { authId, type: 'HMAC', credentials: { secretKey: MASK, algorithm } });
      }
    });

    it('creates OAUTH settings: secrets and header values masked, the rest as given, unknown credential fields dropped', async () => {
      const authId = uniq('oauth');
      const credentials = {
        tokenUrl: 'http://127.0.0.1:9/oauth/token',
        grantType: 'client_credentials',
        clientId: 'hookline',
        clientSecret: secret('client'),
        scope: 'webhooks',
        username: 'token-user',
        password: secret('oauth-pw'),
        resource: 'https://hooks.example.org',
        refreshToken: secret('refresh'),
        headers: { 'X-Api-Key': secret('header') },
      };
      created(await api('POST', SEC, { authId, type: 'OAUTH', credentials: { ...credentials, notAField: 'dropped' } }), `${SEC}/${authId}`);
      assert.deepEqual(ok(await api('GET', `${SEC}/${authId}`)), {
        authId,
        type: 'OAUTH',
        credentials: { ...credentials, clientSecret: MASK, password: MASK, refreshToken: MASK, headers: { 'X-Api-Key': MASK } },
      });
      // Only the required fields: optional empty secrets are answered as the empty strings they are.
      const minimal = uniq('oauth-min');
      created(await api('POST', SEC, { authId: minimal, type: 'OAUTH', credentials: { tokenUrl: credentials.tokenUrl, grantType: 'client_credentials', clientSecret: '' } }), `${SEC}/${minimal}`);
      assert.deepEqual(ok(await api('GET', `${SEC}/${minimal}`)).credentials, { tokenUrl: credentials.tokenUrl, grantType: 'client_credentials', clientSecret: '' });
    });

    it('refuses what the spec and Hookline do not accept, naming each property', async () => {
      const cases: [unknown, string[]][] = [
        [{ type: 'BASIC', credentials: { username: 'u', password: 'p' } }, ['authId']],
        [{ authId: '', type: 'BASIC', credentials: { username: 'u', password: 'p' } }, ['authId']],
        [{ authId: 'x'.repeat(256), type: 'BASIC', credentials: { username: 'u', password: 'p' } }, ['authId']],
        [{ authId: 'has space', type: 'BASIC', credentials: { username: 'u', password: 'p' } }, ['authId']],
        [{ authId: 'a/b', type: 'BASIC', credentials: { username: 'u', password: 'p' } }, ['authId']],
        [{ authId: 'ünïcode', type: 'BASIC', credentials: { username: 'u', password: 'p' } }, ['authId']],
        [{ authId: '..', type: 'BASIC', credentials: { username: 'u', password: 'p' } }, ['authId']],
        [{ authId: uniq('a'), type: 'CUSTOM', credentials: {} }, ['type']],
        [{ authId: uniq('a'), type: 'DIGEST', credentials: { username: 'u', password: 'p' } }, ['type']],
        [{ authId: uniq('a'), credentials: { username: 'u', password: 'p' } }, ['type']],
        [{ authId: uniq('a'), type: 'BASIC' }, ['credentials']],
        [{ authId: uniq('a'), type: 'BASIC', credentials: { username: 'u' } }, ['credentials.password']],
        [{ authId: uniq('a'), type: 'BASIC', credentials: { username: '', password: 'p' } }, ['credentials.username']],
        [{ authId: uniq('a'), type: 'BASIC', credentials: { username: 'u', password: 'p'.repeat(256) } }, ['credentials.password']],
        [{ authId: uniq('a'), type: 'HMAC', credentials: { secretKey: 'k' } }, ['credentials.algorithm']],
        [{ authId: uniq('a'), type: 'HMAC', credentials: { secretKey: 'k', algorithm: 'HMAC_SHA_3' } }, ['credentials.algorithm']],
        [{ authId: uniq('a'), type: 'HMAC', credentials: { secretKey: 'whsec_***', algorithm: 'HMAC_SHA_256' } }, ['credentials.secretKey']],
        [{ authId: uniq('a'), type: 'OAUTH', credentials: {} }, ['credentials.tokenUrl', 'credentials.grantType']],
        [{ authId: uniq('a'), type: 'OAUTH', credentials: { tokenUrl: HOOK, grantType: 'client_credentials', headers: { Host: 'x', 'Bad Name': 'y' } } }, ['credentials.headers.Host', 'credentials.headers.Bad Name']],
        ...REFUSED_URLS.map((tokenUrl): [unknown, string[]] => [{ authId: uniq('a'), type: 'OAUTH', credentials: { tokenUrl, grantType: 'client_credentials' } }, ['credentials.tokenUrl']]),
      ];
      for (const [body, properties] of cases) badRequest(await api('POST', SEC, body), properties);
      badRequest(await api('POST', SEC), ['body']);
    });

    it('answers 409 for an authId the account already has', async () => {
      const authId = await makeSecurity();
      conflict(await api('POST', SEC, basicSecurity(authId)));
    });

    it('PUT replaces the settings (type included) and answers {authId}; unknown ids 404; the same checks as POST', async () => {
      const authId = await makeSecurity();
      const secretKey = secret('hmac-put');
      assert.deepEqual(ok(await api('PUT', `${SEC}/${authId}`, { type: 'HMAC', credentials: { secretKey, algorithm: 'HMAC_SHA_512' } })), { authId });
      assert.deepEqual(ok(await api('GET', `${SEC}/${authId}`)), { authId, type: 'HMAC', credentials: { secretKey: MASK, algorithm: 'HMAC_SHA_512' } });
      notFound(await api('PUT', `${SEC}/${uniq('missing')}`, { type: 'BASIC', credentials: { username: 'u', password: 'p' } }));
      badRequest(await api('PUT', `${SEC}/${authId}`, { type: 'CUSTOM', credentials: {} }), ['type']);
      badRequest(await api('PUT', `${SEC}/${authId}`, { type: 'BASIC' }), ['credentials']);
      badRequest(await api('PUT', `${SEC}/${authId}`, { type: 'OAUTH', credentials: { tokenUrl: REFUSED_URLS[0], grantType: 'client_credentials' } }), ['credentials.tokenUrl']);
    });

    it('stores secrets in clear; a PUT that sends the mask back keeps the stored secret, a new value replaces it', async () => {
      const authId = uniq('roundtrip');
      const clientSecret = secret('keep-me');
      const headerValue = secret('keep-header');
      const credentials = { tokenUrl: HOOK, grantType: 'client_credentials', clientId: 'c', clientSecret, headers: { 'X-Key': headerValue } };
      created(await api('POST', SEC, { authId, type: 'OAUTH', credentials }), `${SEC}/${authId}`);
      const stored = async () =>
        JSON.parse((await g.hookline.store.db.selectFrom('security_settings').select('credentials').where('auth_id', '=', authId).executeTakeFirstOrThrow()).credentials);
      assert.deepEqual(await stored(), credentials);
      // GET, change one field, PUT back what GET answered.
      const view = ok(await api('GET', `${SEC}/${authId}`));
      ok(await api('PUT', `${SEC}/${authId}`, { type: view.type, credentials: { ...view.credentials, clientId: 'c2' } }));
      assert.deepEqual(await stored(), { ...credentials, clientId: 'c2' });
      const replaced = secret('replaced');
      ok(await api('PUT', `${SEC}/${authId}`, { type: 'OAUTH', credentials: { tokenUrl: HOOK, grantType: 'client_credentials', clientSecret: replaced } }));
      assert.deepEqual(await stored(), { tokenUrl: HOOK, grantType: 'client_credentials', clientSecret: replaced });
    });

    it('DELETE answers 200 {authId}, then the id is gone (404); settings used by a profile are not deleted (409)', async () => {
      const authId = await makeSecurity();
      assert.deepEqual(ok(await api('DELETE', `${SEC}/${authId}`)), { authId });
      notFound(await api('GET', `${SEC}/${authId}`));
      notFound(await api('DELETE', `${SEC}/${authId}`));
      const used = await makeSecurity();
      const profileId = await makeProfile(api, { security: { authId: used } });
      conflict(await api('DELETE', `${SEC}/${used}`));
      ok(await api('GET', `${SEC}/${used}`));
      ok(await api('DELETE', `${PROF}/${profileId}`));
      assert.deepEqual(ok(await api('DELETE', `${SEC}/${used}`)), { authId: used });
    });

    it('lists newest first, paged {results, paging{page,size,totalPages,totalResults}} (default page 0, size 20)', async () => {
      const call = await newAccount();
      assert.deepEqual(ok(await call('GET', SEC)), { results: [], paging: { page: 0, size: 20, totalPages: 0, totalResults: 0 } });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await makeSecurity(call));
      const newestFirst = [...ids].reverse();
      const all = ok(await call('GET', SEC));
      assert.deepEqual(all.paging, { page: 0, size: 20, totalPages: 1, totalResults: 5 });
      assert.deepEqual(all.results.map((r: any) => r.authId), newestFirst);
      for (const r of all.results) assert.deepEqual(r, { authId: r.authId, type: 'BASIC', credentials: { username: 'hook-user', password: MASK } });
      const page1 = ok(await call('GET', SEC + qs({ page: 1, size: 2 })));
      assert.deepEqual(page1.paging, { page: 1, size: 2, totalPages: 3, totalResults: 5 });
      assert.deepEqual(page1.results.map((r: any) => r.authId), newestFirst.slice(2, 4));
      assert.deepEqual(ok(await call('GET', SEC + qs({ page: 9, size: 2 }))), { results: [], paging: { page: 9, size: 2, totalPages: 3, totalResults: 5 } });
      badRequest(await call('GET', SEC + qs({ page: -1 })), ['page']);
      badRequest(await call('GET', SEC + qs({ size: 0 })), ['size']);
      badRequest(await call('GET', SEC + qs({ size: 101, page: 'x' })), ['size', 'page']);
    });
  });

  describe('notification profiles', () => {
    it('creates a profile with new security settings in one go: 201 {profileId, security{authId}}; GET answers every field', async () => {
      const profileId = uniq('prof');
      const authId = uniq('auth');
      const password = secret('prof-pw');
      const fields = {
        webhook: { notifyUrl: HOOK, contentType: 'application/xml' },
        clientCertificateId: 'my-cert',
        maxBucketSize: 50,
        windowSize: 40,
        connectTimeout: 5000,
        readTimeout: 15000,
        enabledSSLProtocols: ['TLSv1.3', 'TLSv1.2'],
        headers: { 'X-Tenant': 'acme', Authorization: 'Bearer replaced-by-security' },
        responseRegex: '2[0-9]{2}',
        responseBodyRegex: '^ok$',
        rateLimit: 200,
      };
      const body = created(await api('POST', PROF, { profileId, security: { authId, type: 'BASIC', credentials: { username: 'u', password } }, ...fields }), `${PROF}/${profileId}`);
      assert.deepEqual(body, { profileId, security: { authId } });
      assert.deepEqual(ok(await api('GET', `${PROF}/${profileId}`)), { profileId, security: { authId }, ...fields });
      assert.deepEqual(ok(await api('GET', `${SEC}/${authId}`)), { authId, type: 'BASIC', credentials: { username: 'u', password: MASK } });
    });

    it('defaults contentType to application/json; a profile without security has none', async () => {
      const profileId = uniq('prof');
      assert.deepEqual(created(await api('POST', PROF, { profileId, webhook: { notifyUrl: HOOK } }), `${PROF}/${profileId}`), { profileId });
      assert.deepEqual(ok(await api('GET', `${PROF}/${profileId}`)), { profileId, webhook: { notifyUrl: HOOK, contentType: 'application/json' } });
    });

    it('references existing settings by {authId}; an unknown authId is a 400 and creates nothing', async () => {
      const authId = await makeSecurity();
      const profileId = uniq('prof');
      assert.deepEqual(created(await api('POST', PROF, { profileId, webhook: { notifyUrl: HOOK }, security: { authId } }), `${PROF}/${profileId}`), { profileId, security: { authId } });
      const orphan = uniq('prof');
      badRequest(await api('POST', PROF, { profileId: orphan, webhook: { notifyUrl: HOOK }, security: { authId: uniq('missing') } }), ['security.authId']);
      notFound(await api('GET', `${PROF}/${orphan}`));
    });

    it('new settings with an authId that exists: 409, and neither the profile nor the settings change', async () => {
      const authId = await makeSecurity();
      const profileId = uniq('prof');
      conflict(await api('POST', PROF, { profileId, webhook: { notifyUrl: HOOK }, security: { authId, type: 'HMAC', credentials: { secretKey: secret('k'), algorithm: 'HMAC_SHA_256' } } }));
      notFound(await api('GET', `${PROF}/${profileId}`));
      assert.equal(ok(await api('GET', `${SEC}/${authId}`)).type, 'BASIC');
    });

    it('accepts the limits of every range and refuses one past them', async () => {
      const ranges: Record<string, [number, number]> = { maxBucketSize: [1, 2000], windowSize: [20, 10000], connectTimeout: [300, 30000], readTimeout: [1000, 90000], rateLimit: [1, 5000] };
      for (const [field, [min, max]] of Object.entries(ranges)) {
        for (const value of [min, max]) {
          const profileId = uniq('range');
          created(await api('POST', PROF, { profileId, webhook: { notifyUrl: HOOK }, [field]: value }), `${PROF}/${profileId}`);
          assert.equal(ok(await api('GET', `${PROF}/${profileId}`))[field], value);
        }
        for (const value of [min - 1, max + 1, 1.5]) badRequest(await api('POST', PROF, { profileId: uniq('range'), webhook: { notifyUrl: HOOK }, [field]: value }), [field]);
      }
    });

    it('refuses bad ids, URLs, content types, headers, regexes and SSL protocols, naming each property', async () => {
      const p = () => ({ profileId: uniq('bad'), webhook: { notifyUrl: HOOK } });
      const cases: [unknown, string[]][] = [
        [{ webhook: { notifyUrl: HOOK } }, ['profileId']],
        [{ ...p(), profileId: 'a b' }, ['profileId']],
        [{ ...p(), profileId: 'é' }, ['profileId']],
        [{ profileId: uniq('bad') }, ['webhook']],
        [{ ...p(), webhook: {} }, ['webhook.notifyUrl']],
        [{ ...p(), webhook: { notifyUrl: '' } }, ['webhook.notifyUrl']],
        [{ ...p(), webhook: { notifyUrl: `http://127.0.0.1/${'x'.repeat(512)}` } }, ['webhook.notifyUrl']],
        ...REFUSED_URLS.map((notifyUrl): [unknown, string[]] => [{ ...p(), webhook: { notifyUrl } }, ['webhook.notifyUrl']]),
        [{ ...p(), webhook: { notifyUrl: HOOK, contentType: 'text/plain' } }, ['webhook.contentType']],
        [{ ...p(), headers: { Host: 'a', 'Content-Length': '1', 'Content-Type': 'text/plain', 'webhook-id': 'x', 'Webhook-Signature': 'y' } }, ['headers.Host', 'headers.Content-Length', 'headers.Content-Type', 'headers.webhook-id', 'headers.Webhook-Signature']],
        [{ ...p(), headers: { 'X Y': 'a', 'X-Ok': 'line\r\nbreak', 'X-Ctl': 'a\u0001b', 'X-Fine': 'tab\tand é' } }, ['headers.X Y', 'headers.X-Ok', 'headers.X-Ctl']],
        [{ ...p(), headers: { 'X-Twice': 'a', 'x-twice': 'b' } }, ['headers.x-twice']],
        [{ ...p(), responseRegex: '(' }, ['responseRegex']],
        [{ ...p(), responseBodyRegex: '[a-' }, ['responseBodyRegex']],
        [{ ...p(), enabledSSLProtocols: ['TLSv1.1'] }, ['enabledSSLProtocols[0]']],
        [{ ...p(), enabledSSLProtocols: ['TLSv1.2', 'TLSv1.2'] }, ['enabledSSLProtocols']],
        [{ ...p(), clientCertificateId: 'c'.repeat(256) }, ['clientCertificateId']],
        [{ ...p(), security: { type: 'BASIC', credentials: { username: 'u', password: 'p' } } }, ['security.authId']],
        [{ ...p(), security: { authId: uniq('a'), type: 'CUSTOM', credentials: {} } }, ['security.type']],
        [{ ...p(), security: { authId: uniq('a'), type: 'BASIC', credentials: { username: 'u' } } }, ['security.credentials.password']],
        [{ ...p(), security: { authId: uniq('a'), type: 'OAUTH', credentials: { tokenUrl: REFUSED_URLS[0], grantType: 'client_credentials' } } }, ['security.credentials.tokenUrl']],
      ];
      for (const [body, properties] of cases) badRequest(await api('POST', PROF, body), properties);
    });

    it('answers 409 for a profileId the account already has', async () => {
      const profileId = await makeProfile();
      conflict(await api('POST', PROF, { profileId, webhook: { notifyUrl: HOOK } }));
    });

    it('PUT replaces the whole profile (omitted fields cleared), security by {authId} only; 404 for unknown ids', async () => {
      const first = await makeSecurity();
      const second = await makeSecurity();
      const profileId = await makeProfile(api, { security: { authId: first }, maxBucketSize: 10, headers: { 'X-A': 'b' }, rateLimit: 7, enabledSSLProtocols: ['TLSv1.3'] });
      assert.deepEqual(ok(await api('PUT', `${PROF}/${profileId}`, { webhook: { notifyUrl: `${HOOK}/v2` }, security: { authId: second }, windowSize: 25 })), { profileId, security: { authId: second } });
      assert.deepEqual(ok(await api('GET', `${PROF}/${profileId}`)), { profileId, webhook: { notifyUrl: `${HOOK}/v2`, contentType: 'application/json' }, security: { authId: second }, windowSize: 25 });
      // Without security: cleared. Inline definitions are not taken on PUT (only the reference).
      assert.deepEqual(ok(await api('PUT', `${PROF}/${profileId}`, { webhook: { notifyUrl: HOOK } })), { profileId });
      assert.deepEqual(ok(await api('GET', `${PROF}/${profileId}`)), { profileId, webhook: { notifyUrl: HOOK, contentType: 'application/json' } });
      badRequest(await api('PUT', `${PROF}/${profileId}`, { webhook: { notifyUrl: HOOK }, security: { authId: uniq('missing') } }), ['security.authId']);
      badRequest(await api('PUT', `${PROF}/${profileId}`, { security: { authId: first } }), ['webhook']);
      badRequest(await api('PUT', `${PROF}/${profileId}`, { webhook: { notifyUrl: REFUSED_URLS[0] }, maxBucketSize: 5 }), ['webhook.notifyUrl']);
      badRequest(await api('PUT', `${PROF}/${profileId}`, { webhook: { notifyUrl: HOOK }, maxBucketSize: 2001 }), ['maxBucketSize']);
      badRequest(await api('PUT', `${PROF}/${profileId}`, { webhook: { notifyUrl: HOOK }, headers: { 'content-type': 'text/plain' } }), ['headers.content-type']);
      assert.deepEqual(ok(await api('GET', `${PROF}/${profileId}`)), { profileId, webhook: { notifyUrl: HOOK, contentType: 'application/json' } }, 'refused PUTs change nothing');
      notFound(await api('PUT', `${PROF}/${uniq('missing')}`, { webhook: { notifyUrl: HOOK } }));
    });

    it('DELETE answers 200 {profileId, security}; a profile used by a subscription is not deleted (409)', async () => {
      const authId = await makeSecurity();
      const profileId = await makeProfile(api, { security: { authId } });
      const subscriptionId = uniq('sub');
      created(await api('POST', SUB('EMAIL'), { subscriptionId, events: ['DELIVERY'], profile: { profileId } }), `${SUB('EMAIL')}/${subscriptionId}`);
      conflict(await api('DELETE', `${PROF}/${profileId}`));
      ok(await api('GET', `${PROF}/${profileId}`));
      ok(await api('DELETE', `${SUB('EMAIL')}/${subscriptionId}`));
      assert.deepEqual(ok(await api('DELETE', `${PROF}/${profileId}`)), { profileId, security: { authId } });
      notFound(await api('GET', `${PROF}/${profileId}`));
      notFound(await api('DELETE', `${PROF}/${profileId}`));
      ok(await api('GET', `${SEC}/${authId}`));
    });

    it('lists newest first, paged', async () => {
      const call = await newAccount();
      assert.deepEqual(ok(await call('GET', PROF)), { results: [], paging: { page: 0, size: 20, totalPages: 0, totalResults: 0 } });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await makeProfile(call, { rateLimit: i + 1 }));
      const all = ok(await call('GET', PROF));
      assert.deepEqual(all.paging, { page: 0, size: 20, totalPages: 1, totalResults: 3 });
      assert.deepEqual(all.results, ids.map((profileId, i) => ({ profileId, webhook: { notifyUrl: HOOK, contentType: 'application/json' }, rateLimit: i + 1 })).reverse());
      const last = ok(await call('GET', PROF + qs({ page: 1, size: 2 })));
      assert.deepEqual(last.paging, { page: 1, size: 2, totalPages: 2, totalResults: 3 });
      assert.deepEqual(last.results.map((r: any) => r.profileId), [ids[0]]);
      badRequest(await call('GET', PROF + qs({ size: 101 })), ['size']);
    });
  });

  describe('subscriptions', () => {
    it('creates a subscription on an existing profile: 201, Location, IdOnly body; GET answers every field', async () => {
      const authId = await makeSecurity();
      const profileId = await makeProfile(api, { security: { authId } });
      const subscriptionId = uniq('sub');
      const fields = {
        name: 'SMS delivery + MO',
        events: ['DELIVERY', { event: 'INBOUND_MESSAGE', format: 'MO_JSON_2' }],
        criteria: [{ applicationId: 'shop' }, { applicationId: 'shop', entityId: 'tenant-42' }, { callsConfigurationId: 'calls-1' }],
        resources: ['InfoSMS', '447860099299'],
        users: ['ops-bot'],
      };
      const body = created(await api('POST', SUB(), { subscriptionId, ...fields, profile: { profileId } }), `${SUB()}/${subscriptionId}`);
      assert.deepEqual(body, { subscriptionId, profile: { profileId, security: { authId } } });
      assert.deepEqual(ok(await api('GET', `${SUB()}/${subscriptionId}`)), { subscriptionId, name: fields.name, profile: { profileId, security: { authId } }, events: fields.events, criteria: fields.criteria, resources: fields.resources, users: fields.users });
    });

    it('optional fields absent: no name, empty lists; a profile without security answers {profileId}', async () => {
      const profileId = await makeProfile();
      const subscriptionId = uniq('sub');
      assert.deepEqual(created(await api('POST', SUB('VIBER'), { subscriptionId, events: [], profile: { profileId } }), `${SUB('VIBER')}/${subscriptionId}`), { subscriptionId, profile: { profileId } });
      assert.deepEqual(ok(await api('GET', `${SUB('VIBER')}/${subscriptionId}`)), { subscriptionId, profile: { profileId }, events: [], criteria: [], resources: [], users: [] });
      // JSON null is an absent field (as in Infobip's Java services), not an empty string or 0.
      const nulls = uniq('sub');
      created(await api('POST', SUB('VIBER'), { subscriptionId: nulls, name: null, events: ['SEEN'], criteria: null, resources: null, users: null, profile: { profileId, rateLimit: null } }), `${SUB('VIBER')}/${nulls}`);
      assert.deepEqual(ok(await api('GET', `${SUB('VIBER')}/${nulls}`)), { subscriptionId: nulls, profile: { profileId }, events: ['SEEN'], criteria: [], resources: [], users: [] });
    });

    it("ignores events the channel does not have; keeps a format only for the channel's format-aware events; lists each event once", async () => {
      const profileId = await makeProfile();
      const sms = uniq('sub');
      const events = ['SEEN', 'DELIVERY', 'NOT_AN_EVENT', { event: 'TEMPLATE_UPDATE', format: 'X' }, 'CLICK', { event: 'CLICK', format: 'CLICK_V2' }, 'DELIVERY', { event: 'INBOUND_MESSAGE', format: 'MO_JSON_2' }];
      created(await api('POST', SUB('SMS'), { subscriptionId: sms, events, profile: { profileId } }), `${SUB('SMS')}/${sms}`);
      assert.deepEqual(ok(await api('GET', `${SUB('SMS')}/${sms}`)).events, ['DELIVERY', { event: 'CLICK', format: 'CLICK_V2' }, { event: 'INBOUND_MESSAGE', format: 'MO_JSON_2' }]);
      // EMAIL's events are all plain: a format given there is dropped, the event kept.
      const email = uniq('sub');
      created(await api('POST', SUB('EMAIL'), { subscriptionId: email, events: [{ event: 'OPEN', format: 'ANY' }, 'INBOUND_MESSAGE'], profile: { profileId } }), `${SUB('EMAIL')}/${email}`);
      assert.deepEqual(ok(await api('GET', `${SUB('EMAIL')}/${email}`)).events, ['OPEN']);
    });

    it('creates a new profile and new security settings inline, in the same transaction', async () => {
      const subscriptionId = uniq('sub');
      const profileId = uniq('prof');
      const authId = uniq('auth');
      const password = secret('inline');
      const body = created(
        await api('POST', SUB(), {
          subscriptionId,
          events: ['DELIVERY'],
          profile: { profileId, webhook: { notifyUrl: HOOK }, maxBucketSize: 3, security: { authId, type: 'BASIC', credentials: { username: 'ib', password } } },
        }),
        `${SUB()}/${subscriptionId}`,
      );
      assert.deepEqual(body, { subscriptionId, profile: { profileId, security: { authId } } });
      assert.deepEqual(ok(await api('GET', `${PROF}/${profileId}`)), { profileId, webhook: { notifyUrl: HOOK, contentType: 'application/json' }, security: { authId }, maxBucketSize: 3 });
      assert.deepEqual(ok(await api('GET', `${SEC}/${authId}`)), { authId, type: 'BASIC', credentials: { username: 'ib', password: MASK } });
      // Inline profile referencing existing settings.
      const other = uniq('sub');
      const profile2 = uniq('prof');
      assert.deepEqual(
        created(await api('POST', SUB(), { subscriptionId: other, events: ['DELIVERY'], profile: { profileId: profile2, webhook: { notifyUrl: HOOK }, security: { authId } } }), `${SUB()}/${other}`),
        { subscriptionId: other, profile: { profileId: profile2, security: { authId } } },
      );
    });

    it('a failed create leaves nothing behind: a duplicate subscriptionId with an inline profile is a 409 and creates no profile or settings', async () => {
      const profileId = await makeProfile();
      const subscriptionId = uniq('sub');
      created(await api('POST', SUB(), { subscriptionId, events: [], profile: { profileId } }), `${SUB()}/${subscriptionId}`);
      const newProfile = uniq('prof');
      const newAuth = uniq('auth');
      conflict(
        await api('POST', SUB(), {
          subscriptionId,
          events: [],
          profile: { profileId: newProfile, webhook: { notifyUrl: HOOK }, security: { authId: newAuth, type: 'BASIC', credentials: { username: 'u', password: secret('lost') } } },
        }),
      );
      notFound(await api('GET', `${PROF}/${newProfile}`));
      notFound(await api('GET', `${SEC}/${newAuth}`));
      // An inline profile referencing unknown settings: 400, and neither profile nor subscription exists.
      const lonely = uniq('sub');
      badRequest(await api('POST', SUB(), { subscriptionId: lonely, events: [], profile: { profileId: newProfile, webhook: { notifyUrl: HOOK }, security: { authId: uniq('missing') } } }), ['profile.security.authId']);
      notFound(await api('GET', `${PROF}/${newProfile}`));
      notFound(await api('GET', `${SUB()}/${lonely}`));
    });

    it("a profileId that exists is a reference: the request's other profile fields are ignored", async () => {
      const profileId = await makeProfile(api, { rateLimit: 9 });
      const subscriptionId = uniq('sub');
      assert.deepEqual(
        created(await api('POST', SUB(), { subscriptionId, events: ['DELIVERY'], profile: { profileId, webhook: { notifyUrl: `${HOOK}/ignored` }, rateLimit: 1, security: { authId: uniq('ignored'), type: 'BASIC', credentials: { username: 'u', password: 'p' } } } }), `${SUB()}/${subscriptionId}`),
        { subscriptionId, profile: { profileId } },
      );
      assert.deepEqual(ok(await api('GET', `${PROF}/${profileId}`)), { profileId, webhook: { notifyUrl: HOOK, contentType: 'application/json' }, rateLimit: 9 });
    });

    it('refuses bad channels, ids, events, lists and profiles, naming each property', async () => {
      const profileId = await makeProfile();
      const s = () => ({ subscriptionId: uniq('sub'), events: ['DELIVERY'], profile: { profileId } });
      for (const channel of ['NOPE', 'sms', 'VOICE', 'KAKAO_CHINGU']) {
        badRequest(await api('GET', SUB(channel)), ['channel']);
        badRequest(await api('POST', SUB(channel), s()), ['channel']);
        badRequest(await api('GET', `${SUB(channel)}/x`), ['channel']);
        badRequest(await api('PUT', `${SUB(channel)}/x`, { events: [], profile: { profileId } }), ['channel']);
        badRequest(await api('DELETE', `${SUB(channel)}/x`), ['channel']);
      }
      const cases: [unknown, string[]][] = [
        [{ events: [], profile: { profileId } }, ['subscriptionId']],
        [{ ...s(), subscriptionId: 'a?b' }, ['subscriptionId']],
        [{ ...s(), subscriptionId: 'x'.repeat(256) }, ['subscriptionId']],
        [{ subscriptionId: uniq('sub'), profile: { profileId } }, ['events']],
        [{ ...s(), events: Array(256).fill('DELIVERY') }, ['events']],
        [{ ...s(), events: [5, null, ['DELIVERY']] }, ['events[0]', 'events[1]', 'events[2]']],
        [{ ...s(), events: [{ event: 'DELIVERY' }, { format: 'F' }, { event: '', format: 'F' }] }, ['events[0].format', 'events[1].event', 'events[2].event']],
        [{ ...s(), name: '' }, ['name']],
        [{ ...s(), criteria: [{ applicationId: 'a'.repeat(256) }] }, ['criteria[0].applicationId']],
        [{ ...s(), criteria: Array(256).fill({ applicationId: 'a' }) }, ['criteria']],
        [{ ...s(), resources: ['r'.repeat(256)] }, ['resources[0]']],
        [{ ...s(), users: Array(256).fill('u') }, ['users']],
        [{ subscriptionId: uniq('sub'), events: [] }, ['profile']],
        [{ ...s(), profile: {} }, ['profile.profileId']],
        [{ ...s(), profile: { profileId: uniq('missing') } }, ['profile.profileId']],
        [{ ...s(), profile: { profileId: uniq('new'), maxBucketSize: 5 } }, ['profile.webhook']],
        [{ ...s(), profile: { profileId: 'bad id', webhook: { notifyUrl: HOOK } } }, ['profile.profileId']],
        [{ ...s(), profile: { profileId: uniq('new'), webhook: { notifyUrl: HOOK }, maxBucketSize: 2001 } }, ['profile.maxBucketSize']],
        [{ ...s(), profile: { profileId: uniq('new'), webhook: { notifyUrl: REFUSED_URLS[0] } } }, ['profile.webhook.notifyUrl']],
        [{ ...s(), profile: { profileId: uniq('new'), webhook: { notifyUrl: HOOK }, headers: { Host: 'h' } } }, ['profile.headers.Host']],
        [{ ...s(), profile: { profileId: uniq('new'), webhook: { notifyUrl: HOOK }, security: { authId: uniq('a'), type: 'CUSTOM', credentials: {} } } }, ['profile.security.type']],
        [{ ...s(), profile: { profileId: uniq('new'), webhook: { notifyUrl: HOOK }, security: { authId: uniq('a'), type: 'BASIC', credentials: { username: 'u' } } } }, ['profile.security.credentials.password']],
      ];
      for (const [body, properties] of cases) badRequest(await api('POST', SUB(), body), properties);
    });

    it('answers 409 for a subscriptionId the channel already has; the same id on another channel is another subscription', async () => {
      const profileId = await makeProfile();
      const subscriptionId = uniq('sub');
      created(await api('POST', SUB('SMS'), { subscriptionId, events: ['DELIVERY'], profile: { profileId } }), `${SUB('SMS')}/${subscriptionId}`);
      conflict(await api('POST', SUB('SMS'), { subscriptionId, events: ['CLICK'], profile: { profileId } }));
      created(await api('POST', SUB('WHATSAPP'), { subscriptionId, events: ['SEEN'], profile: { profileId } }), `${SUB('WHATSAPP')}/${subscriptionId}`);
      assert.deepEqual(ok(await api('GET', `${SUB('SMS')}/${subscriptionId}`)).events, ['DELIVERY']);
      assert.deepEqual(ok(await api('GET', `${SUB('WHATSAPP')}/${subscriptionId}`)).events, ['SEEN']);
      ok(await api('DELETE', `${SUB('WHATSAPP')}/${subscriptionId}`));
      assert.deepEqual(ok(await api('GET', `${SUB('SMS')}/${subscriptionId}`)).events, ['DELIVERY'], 'deleting one channel’s leaves the other’s');
    });

    it('PUT replaces the whole subscription (omitted lists cleared), profile by reference only; answers IdOnly', async () => {
      const firstAuth = await makeSecurity();
      const first = await makeProfile(api, { security: { authId: firstAuth } });
      const secondAuth = await makeSecurity();
      const second = await makeProfile(api, { security: { authId: secondAuth } });
      const subscriptionId = uniq('sub');
      created(
        await api('POST', SUB('MMS'), { subscriptionId, name: 'n', events: ['DELIVERY', 'CLICK'], criteria: [{ applicationId: 'a' }], resources: ['r'], users: ['u'], profile: { profileId: first } }),
        `${SUB('MMS')}/${subscriptionId}`,
      );
      assert.deepEqual(ok(await api('PUT', `${SUB('MMS')}/${subscriptionId}`, { events: [{ event: 'INBOUND_MESSAGE', format: 'MO_MMS_2' }], profile: { profileId: second } })), {
        subscriptionId,
        profile: { profileId: second, security: { authId: secondAuth } },
      });
      assert.deepEqual(ok(await api('GET', `${SUB('MMS')}/${subscriptionId}`)), {
        subscriptionId,
        profile: { profileId: second, security: { authId: secondAuth } },
        events: [{ event: 'INBOUND_MESSAGE', format: 'MO_MMS_2' }],
        criteria: [],
        resources: [],
        users: [],
      });
      ok(await api('PUT', `${SUB('MMS')}/${subscriptionId}`, { name: 'renamed', events: ['CLICK'], criteria: [{ entityId: 'e' }], resources: ['s'], users: ['v'], profile: { profileId: first, webhook: { notifyUrl: `${HOOK}/ignored` } } }));
      assert.deepEqual(ok(await api('GET', `${SUB('MMS')}/${subscriptionId}`)), {
        subscriptionId,
        name: 'renamed',
        profile: { profileId: first, security: { authId: firstAuth } },
        events: ['CLICK'],
        criteria: [{ entityId: 'e' }],
        resources: ['s'],
        users: ['v'],
      });
      badRequest(await api('PUT', `${SUB('MMS')}/${subscriptionId}`, { events: [], profile: { profileId: uniq('missing') } }), ['profile.profileId']);
      badRequest(await api('PUT', `${SUB('MMS')}/${subscriptionId}`, { events: [] }), ['profile']);
      badRequest(await api('PUT', `${SUB('MMS')}/${subscriptionId}`, { profile: { profileId: first } }), ['events']);
      badRequest(await api('PUT', `${SUB('MMS')}/${subscriptionId}`, { events: [7], profile: { profileId: first } }), ['events[0]']);
      notFound(await api('PUT', `${SUB('MMS')}/${uniq('missing')}`, { events: [], profile: { profileId: first } }));
      notFound(await api('PUT', `${SUB('SMS')}/${subscriptionId}`, { events: [], profile: { profileId: first } }));
      assert.equal(ok(await api('GET', `${SUB('MMS')}/${subscriptionId}`)).name, 'renamed', 'refused PUTs change nothing');
      // The profile it left can now be deleted; the one it uses cannot.
      ok(await api('DELETE', `${PROF}/${second}`));
      conflict(await api('DELETE', `${PROF}/${first}`));
    });

    it('DELETE answers 200 IdOnly, then the id is gone (404)', async () => {
      const authId = await makeSecurity();
      const profileId = await makeProfile(api, { security: { authId } });
      const subscriptionId = uniq('sub');
      created(await api('POST', SUB('RCS'), { subscriptionId, events: ['SEEN'], profile: { profileId } }), `${SUB('RCS')}/${subscriptionId}`);
      notFound(await api('DELETE', `${SUB('SMS')}/${subscriptionId}`));
      assert.deepEqual(ok(await api('DELETE', `${SUB('RCS')}/${subscriptionId}`)), { subscriptionId, profile: { profileId, security: { authId } } });
      notFound(await api('GET', `${SUB('RCS')}/${subscriptionId}`));
      notFound(await api('DELETE', `${SUB('RCS')}/${subscriptionId}`));
    });

    it('lists per channel, newest first, paged; filters are repeatable, OR within a parameter, AND across', async () => {
      const call = await newAccount();
      assert.deepEqual(ok(await call('GET', SUB())), { results: [], paging: { page: 0, size: 20, totalPages: 0, totalResults: 0 } });
      const profileId = await makeProfile(call);
      const defs: Record<string, Record<string, unknown>> = {
        s1: { criteria: [{ applicationId: 'app1', entityId: 'e1' }], resources: ['InfoSMS'], users: ['alice'] },
        s2: { criteria: [{ applicationId: 'app2' }], resources: ['InfoSMS', '4410'], users: ['bob'] },
        s3: { criteria: [{ entityId: 'e1', callsConfigurationId: 'cc1' }], users: ['alice'] },
        s4: {},
      };
      for (const [subscriptionId, fields] of Object.entries(defs)) created(await call('POST', SUB(), { subscriptionId, events: ['DELIVERY'], ...fields, profile: { profileId } }), `${SUB()}/${subscriptionId}`);
      created(await call('POST', SUB('EMAIL'), { subscriptionId: 'e1', events: ['OPEN'], profile: { profileId } }), `${SUB('EMAIL')}/e1`);
      const ids = async (query: string, channel = 'SMS') => {
        const page = ok(await call('GET', SUB(channel) + query));
        return page.results.map((r: any) => r.subscriptionId);
      };
      const all = ok(await call('GET', SUB()));
      assert.deepEqual(all.paging, { page: 0, size: 20, totalPages: 1, totalResults: 4 });
      assert.deepEqual(all.results.map((r: any) => r.subscriptionId), ['s4', 's3', 's2', 's1']);
      assert.deepEqual(all.results[3], { subscriptionId: 's1', profile: { profileId }, events: ['DELIVERY'], ...defs.s1 });
      assert.deepEqual(await ids('', 'EMAIL'), ['e1']);
      assert.deepEqual(await ids('?applicationId=app1'), ['s1']);
      assert.deepEqual(await ids('?applicationId=app1&applicationId=app2'), ['s2', 's1']);
      assert.deepEqual(await ids('?entityId=e1'), ['s3', 's1']);
      assert.deepEqual(await ids('?callsConfigurationId=cc1'), ['s3']);
      assert.deepEqual(await ids('?resource=InfoSMS'), ['s2', 's1']);
      assert.deepEqual(await ids('?user=alice'), ['s3', 's1']);
      assert.deepEqual(await ids('?user=alice&entityId=e1&applicationId=app1'), ['s1']);
      assert.deepEqual(await ids('?user=bob&entityId=e1'), []);
      assert.deepEqual(await ids('?resource=4410&resource=nobody&user=bob'), ['s2']);
      const paged = ok(await call('GET', SUB() + '?entityId=e1&size=1&page=1'));
      assert.deepEqual(paged.paging, { page: 1, size: 1, totalPages: 2, totalResults: 2 });
      assert.deepEqual(paged.results.map((r: any) => r.subscriptionId), ['s1']);
      const second = ok(await call('GET', SUB() + qs({ page: 1, size: 3 })));
      assert.deepEqual(second.paging, { page: 1, size: 3, totalPages: 2, totalResults: 4 });
      assert.deepEqual(second.results.map((r: any) => r.subscriptionId), ['s1']);
      badRequest(await call('GET', SUB() + qs({ page: -1, size: 101 })), ['page', 'size']);
      badRequest(await call('GET', SUB() + '?applicationId='), ['applicationId[0]']);
      badRequest(await call('GET', SUB() + qs({ callsConfigurationId: 'c'.repeat(129) })), ['callsConfigurationId[0]']);
    });
  });

  describe('concurrent writes', () => {
    it('one id created by several requests at once: exactly one 201, the others 409', async () => {
      const authId = uniq('race');
      const profileId = uniq('race');
      const subscriptionId = uniq('race');
      const [security, profiles, subscriptions] = await Promise.all([
        Promise.all(Array.from({ length: 6 }, () => api('POST', SEC, basicSecurity(authId)))),
        Promise.all(Array.from({ length: 6 }, () => api('POST', PROF, { profileId, webhook: { notifyUrl: HOOK } }))),
        Promise.all(
          Array.from({ length: 6 }, () => api('POST', SUB(), { subscriptionId, events: ['DELIVERY'], profile: { profileId: `${subscriptionId}-p`, webhook: { notifyUrl: HOOK } } })),
        ),
      ]);
      for (const responses of [security, profiles, subscriptions]) {
        assert.deepEqual(responses.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409], JSON.stringify(responses.map((r) => r.body)));
        responses.filter((r) => r.status === 409).forEach(conflict);
      }
    });

    it('deleting a profile while a subscription to it is created: either the subscription exists on the profile, or neither does', async () => {
      for (let i = 0; i < 8; i++) {
        const profileId = await makeProfile();
        const subscriptionId = uniq('race');
        const [create, remove] = await Promise.all([api('POST', SUB(), { subscriptionId, events: ['DELIVERY'], profile: { profileId } }), api('DELETE', `${PROF}/${profileId}`)]);
        if (create.status === 201) {
          conflict(remove);
          ok(await api('GET', `${PROF}/${profileId}`));
          ok(await api('GET', `${SUB()}/${subscriptionId}`));
        } else {
          badRequest(create, ['profile.profileId']);
          assert.equal(remove.status, 200);
          notFound(await api('GET', `${PROF}/${profileId}`));
          notFound(await api('GET', `${SUB()}/${subscriptionId}`));
        }
      }
    });
  });

  describe('accounts and scope', () => {
    it("another account's ids are 404 there, as if they did not exist; the same ids can be used there", async () => {
      const authId = await makeSecurity();
      const profileId = await makeProfile(api, { security: { authId } });
      const subscriptionId = uniq('sub');
      created(await api('POST', SUB(), { subscriptionId, events: ['DELIVERY'], profile: { profileId } }), `${SUB()}/${subscriptionId}`);

      const other = await newAccount();
      notFound(await other('GET', `${SEC}/${authId}`));
      notFound(await other('PUT', `${SEC}/${authId}`, basicSecurity(authId)));
      notFound(await other('DELETE', `${SEC}/${authId}`));
      notFound(await other('GET', `${PROF}/${profileId}`));
      notFound(await other('PUT', `${PROF}/${profileId}`, { webhook: { notifyUrl: HOOK } }));
      notFound(await other('DELETE', `${PROF}/${profileId}`));
      notFound(await other('GET', `${SUB()}/${subscriptionId}`));
      notFound(await other('PUT', `${SUB()}/${subscriptionId}`, { events: [], profile: { profileId } }));
      notFound(await other('DELETE', `${SUB()}/${subscriptionId}`));
      for (const path of [SEC, PROF, SUB()]) assert.equal(ok(await other('GET', path)).paging.totalResults, 0, path);
      // References across accounts are unknown ids too.
      badRequest(await other('POST', PROF, { profileId: uniq('p'), webhook: { notifyUrl: HOOK }, security: { authId } }), ['security.authId']);
      badRequest(await other('POST', SUB(), { subscriptionId: uniq('s'), events: [], profile: { profileId } }), ['profile.profileId']);
      // The same ids are free in the other account, and creating them there changes nothing here.
      created(await other('POST', SEC, { authId, type: 'HMAC', credentials: { secretKey: secret('other'), algorithm: 'HMAC_SHA_1' } }), `${SEC}/${authId}`);
      created(await other('POST', PROF, { profileId, webhook: { notifyUrl: `${HOOK}/other` }, security: { authId } }), `${PROF}/${profileId}`);
      created(await other('POST', SUB(), { subscriptionId, events: ['CLICK'], profile: { profileId } }), `${SUB()}/${subscriptionId}`);
      assert.equal(ok(await api('GET', `${SEC}/${authId}`)).type, 'BASIC');
      assert.equal(ok(await api('GET', `${PROF}/${profileId}`)).webhook.notifyUrl, HOOK);
      assert.deepEqual(ok(await api('GET', `${SUB()}/${subscriptionId}`)).events, ['DELIVERY']);
      ok(await other('DELETE', `${SUB()}/${subscriptionId}`));
      ok(await api('GET', `${SUB()}/${subscriptionId}`));
    });

    it('a key without subscriptions:manage gets 403 on every operation; no credentials get 401 (legacy envelope)', async () => {
      const key = await g.api('POST', '/settings/2/api-keys', { name: uniq('sms-only'), scopeGuids: ['sms:manage'] }, OPERATOR);
      assert.equal(key.status, 200, JSON.stringify(key.body));
      const routes: [string, string, unknown?][] = [
        ['GET', SUB()],
        ['POST', SUB(), { subscriptionId: 'x', events: [], profile: { profileId: 'p' } }],
        ['GET', `${SUB()}/x`],
        ['PUT', `${SUB()}/x`, { events: [], profile: { profileId: 'p' } }],
        ['DELETE', `${SUB()}/x`],
        ['GET', PROF],
        ['POST', PROF, { profileId: 'p', webhook: { notifyUrl: HOOK } }],
        ['GET', `${PROF}/p`],
        ['PUT', `${PROF}/p`, { webhook: { notifyUrl: HOOK } }],
        ['DELETE', `${PROF}/p`],
        ['GET', SEC],
        ['POST', SEC, basicSecurity('a')],
        ['GET', `${SEC}/a`],
        ['PUT', `${SEC}/a`, { type: 'BASIC', credentials: { username: 'u', password: 'p' } }],
        ['DELETE', `${SEC}/a`],
      ];
      for (const [method, path, body] of routes) {
        const forbidden = await rawApi(g, method, path, body, { authorization: `App ${key.body.apiKeySecret}` });
        assert.equal(forbidden.status, 403, `${method} ${path}`);
        assert.deepEqual(forbidden.body, LEGACY_FORBIDDEN, `${method} ${path}`);
        const anonymous = await rawApi(g, method, path, body);
        assert.equal(anonymous.status, 401, `${method} ${path}`);
        assert.deepEqual(anonymous.body, LEGACY_UNAUTHORIZED, `${method} ${path}`);
      }
    });
  });

  it('no response ever carried a secret in clear', () => {
    assert.ok(SECRETS.size > 10 && seen.length > 100, 'the tests above ran');
    for (const s of SECRETS) {
      const leaked = seen.find((text) => text.includes(s));
      assert.equal(leaked, undefined, `secret ${s} answered in: ${leaked}`);
    }
  });
});

/**
 * OAuthTokenClient against a real token endpoint on loopback (node:http) that records and counts
 * every request: caching, single flight, expiry, invalidation, the exact form sent, failures,
 * redirects, timeouts and target safety for the token URL.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuthTokenClient, TokenFetchError, type OAuthSettings } from '../../src/webhooks/security.ts';
import type { TargetPolicy } from '../../src/webhooks/target-safety.ts';

interface TokenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = { status?: number; json?: unknown; raw?: string; contentType?: string; headers?: Record<string, string>; delayMs?: number; hang?: boolean };

class TokenServer {
  readonly requests: TokenRequest[] = [];
  respond: (req: TokenRequest, index: number) => Answer = (_req, i) => ({ json: { access_token: `tok-${i + 1}`, token_type: 'Bearer', expires_in: 3600 } });
  url = '';
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const recorded: TokenRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        const index = this.requests.push(recorded) - 1;
        const answer = this.respond(recorded, index);
        if (answer.hang) {
          this.hanging.add(res);
          return;
        }
        const send = () => {
          const body = answer.raw ?? JSON.stringify(answer.json ?? {});
          res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json', ...answer.headers }).end(body);
        };
        if (answer.delayMs) setTimeout(send, answer.delayMs);
        else send();
      });
    });
  }

  static async start(): Promise<TokenServer> {
    const s = new TokenServer();
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  reset(): void {
    this.requests.length = 0;
    this.respond = (_req, i) => ({ json: { access_token: `tok-${i + 1}`, token_type: 'Bearer', expires_in: 3600 } });
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const LAX: TargetPolicy = { allowPrivate: true };
const STRICT: TargetPolicy = { allowPrivate: false };

function fetchError(reason?: TokenFetchError['reason']) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof TokenFetchError, `expected TokenFetchError, got ${String(err)}`);
    if (reason !== undefined) assert.equal(err.reason, reason, err.message);
    return true;
  };
}

describe('OAuthTokenClient against a loopback token endpoint', () => {
  let server: TokenServer;
  let clock: number;
  let client: OAuthTokenClient;
  const clients: OAuthTokenClient[] = [];

  const newClient = (policy: TargetPolicy = LAX, timeouts = { connectTimeoutMs: 2_000, readTimeoutMs: 2_000 }) => {
    const c = new OAuthTokenClient({ policy, ...timeouts, now: () => clock });
    clients.push(c);
    return c;
  };

  const settings = (extra: Partial<OAuthSettings> = {}): OAuthSettings => ({
    type: 'OAUTH',
    tokenUrl: `${server.url}/oauth/token`,
    grantType: 'client_credentials',
    clientId: 'hookline',
    clientSecret: 's3cr3t',
    scope: 'webhooks',
    ...extra,
  });

  before(async () => {
    server = await TokenServer.start();
  });
  beforeEach(() => {
    server.reset();
    clock = 1_700_000_000_000;
    client = newClient();
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await server.stop();
  });

  it('fetches once and serves later calls from the cache', async () => {
    assert.equal(await client.token(settings()), 'tok-1');
    assert.equal(await client.token(settings()), 'tok-1');
    assert.equal(await client.token({ ...settings() }), 'tok-1', 'equal settings from another object share the token');
    assert.equal(server.requests.length, 1);
  });

  it('sends exactly the form fields that are set, as x-www-form-urlencoded, with the extra headers and no Basic', async () => {
    await client.token(settings({
      grantType: 'password',
      username: 'jane doe',
      password: 'p&ss=wörd',
      resource: 'https://api.example.org/',
      refreshToken: '',
      headers: { 'X-Tenant': 'acme', 'Content-Type': 'text/plain', Host: 'evil.example' },
    }));
    assert.equal(server.requests.length, 1);
    const [req] = server.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/oauth/token');
    assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(req.headers['x-tenant'], 'acme');
    assert.equal(req.headers.host, `127.0.0.1:${server.port}`, 'settings.headers cannot override Host');
    assert.equal(req.headers.authorization, undefined, 'client credentials go in the body only');
    assert.deepEqual([...new URLSearchParams(req.body).entries()], [
      ['grant_type', 'password'],
      ['client_id', 'hookline'],
      ['client_secret', 's3cr3t'],
      ['scope', 'webhooks'],
      ['username', 'jane doe'],
      ['password', 'p&ss=wörd'],
      ['resource', 'https://api.example.org/'],
    ]);
  });

  it('grant_type alone when nothing else is set; an Authorization header from settings is passed on', async () => {
    await client.token({ type: 'OAUTH', tokenUrl: `${server.url}/t`, grantType: 'client_credentials', headers: { Authorization: 'Basic aG9va2xpbmU6czNjcjN0' } });
    assert.equal(server.requests[0].body, 'grant_type=client_credentials');
    assert.equal(server.requests[0].headers.authorization, 'Basic aG9va2xpbmU6czNjcjN0');
  });

  it('concurrent calls for the same settings share one fetch', async () => {
    server.respond = (_r, i) => ({ json: { access_token: `tok-${i + 1}`, expires_in: 3600 }, delayMs: 100 });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => client.token(settings())));
    assert.deepEqual(new Set(tokens), new Set(['tok-1']));
    assert.equal(server.requests.length, 1);
  });

  it('different settings get different tokens, fetched separately', async () => {
    const [a, b] = await Promise.all([client.token(settings()), client.token(settings({ scope: 'other' }))]);
    assert.notEqual(a, b);
    assert.equal(server.requests.length, 2);
    assert.equal(await client.token(settings({ scope: 'other' })), b);
    assert.equal(server.requests.length, 2);
  });

  it('refetches once the token has expired (expires_in minus the safety margin), by the injected clock', async () => {
    server.respond = (_r, i) => ({ json: { access_token: `tok-${i + 1}`, expires_in: 60 } });
    const start = clock;
    assert.equal(await client.token(settings()), 'tok-1');
    clock = start + 53_999; // usable for 60 s − 6 s margin
    assert.equal(await client.token(settings()), 'tok-1');
    assert.equal(server.requests.length, 1);
    clock = start + 54_000;
    assert.equal(await client.token(settings()), 'tok-2');
    assert.equal(server.requests.length, 2);
    clock += 1_000;
    assert.equal(await client.token(settings()), 'tok-2');
    assert.equal(server.requests.length, 2);
  });

  it('keeps a token without expires_in for 5 minutes; accepts expires_in as a numeric string', async () => {
    server.respond = (_r, i) => ({ json: i === 0 ? { access_token: 'no-expiry' } : { access_token: `tok-${i + 1}`, expires_in: '120' } });
    const start = clock;
    assert.equal(await client.token(settings()), 'no-expiry');
    clock = start + 299_999;
    assert.equal(await client.token(settings()), 'no-expiry');
    clock = start + 300_000;
    assert.equal(await client.token(settings()), 'tok-2');
    clock += 107_999; // 120 s − 12 s
    assert.equal(await client.token(settings()), 'tok-2');
    clock += 1;
    assert.equal(await client.token(settings()), 'tok-3');
    assert.equal(server.requests.length, 3);
  });

  it('expires_in 0: the token is returned but not reused', async () => {
    server.respond = (_r, i) => ({ json: { access_token: `tok-${i + 1}`, expires_in: 0 } });
    assert.equal(await client.token(settings()), 'tok-1');
    assert.equal(await client.token(settings()), 'tok-2');
  });

  it('invalidate() makes the next call refetch; a stale rejected token does not discard a newer one', async () => {
    assert.equal(await client.token(settings()), 'tok-1');
    client.invalidate(settings());
    assert.equal(await client.token(settings()), 'tok-2');
    assert.equal(server.requests.length, 2);

    // Two deliveries both got a 401 for tok-2: the first refreshes, the second's invalidate is stale.
    client.invalidate(settings(), 'tok-2');
    assert.equal(await client.token(settings()), 'tok-3');
    client.invalidate(settings(), 'tok-2');
    assert.equal(await client.token(settings()), 'tok-3');
    assert.equal(server.requests.length, 3);

    client.invalidate(settings({ scope: 'never-fetched' })); // no-op
  });

  it('accepts a form-encoded token response', async () => {
    server.respond = () => ({ raw: 'access_token=form-tok&token_type=bearer&expires_in=3600', contentType: 'application/x-www-form-urlencoded' });
    assert.equal(await client.token(settings()), 'form-tok');
  });

  it('non-2xx → TokenFetchError with the status and OAuth error code, no secrets; failures are not cached', async () => {
    server.respond = () => ({ status: 401, json: { error: 'invalid_client', error_description: 'bad secret s3cr3t' } });
    await assert.rejects(client.token(settings()), (err: unknown) => {
      fetchError('http-status')(err);
      const e = err as TokenFetchError;
      assert.equal(e.statusCode, 401);
      assert.match(e.message, /HTTP 401 \(invalid_client\)/);
      assert.doesNotMatch(e.message, /s3cr3t/);
      return true;
    });
    server.respond = () => ({ status: 503, raw: 'down', contentType: 'text/plain' });
    await assert.rejects(client.token(settings()), fetchError('http-status'));
    assert.equal(server.requests.length, 2, 'each call tried again');
  });

  it('concurrent callers share one failing fetch', async () => {
    server.respond = () => ({ status: 500, json: {}, delayMs: 50 });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => client.token(settings())));
    assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof TokenFetchError));
    assert.equal(server.requests.length, 1);
  });

  it('2xx without a usable access_token → TokenFetchError (invalid-response)', async () => {
    const bodies: Answer[] = [
      { json: { token_type: 'Bearer', expires_in: 3600 } },
      { json: { access_token: '' } },
      { json: { access_token: 42 } },
      { json: { access_token: 'has space' } },
      { json: ['access_token'] },
      { raw: '<html>ok</html>', contentType: 'text/html' },
      { status: 204, raw: '' },
    ];
    for (const answer of bodies) {
      server.respond = () => answer;
      await assert.rejects(client.token(settings()), fetchError('invalid-response'), JSON.stringify(answer));
    }
  });

  it('an oversized token response → TokenFetchError', async () => {
    server.respond = () => ({ json: { access_token: 'x', padding: 'y'.repeat(100_000) } });
    await assert.rejects(client.token(settings()), fetchError('invalid-response'));
  });

  it('redirects are never followed', async () => {
    server.respond = (req) => (req.path === '/moved' ? { json: { access_token: 'via-redirect' } } : { status: 302, headers: { location: `${server.url}/moved` }, raw: '' });
    await assert.rejects(client.token(settings()), (err: unknown) => fetchError('http-status')(err) && (err as TokenFetchError).statusCode === 302);
    assert.deepEqual(server.requests.map((r) => r.path), ['/oauth/token']);
  });

  it('connection refused → TokenFetchError (connect)', async () => {
    const closed = await TokenServer.start();
    const url = `${closed.url}/token`;
    await closed.stop();
    await assert.rejects(client.token(settings({ tokenUrl: url })), fetchError('connect'));
  });

  it('a silent endpoint → TokenFetchError (timeout) within the bounds', async () => {
    const quick = newClient(LAX, { connectTimeoutMs: 500, readTimeoutMs: 300 });
    server.respond = () => ({ hang: true });
    const started = Date.now();
    await assert.rejects(quick.token(settings()), fetchError('timeout'));
    assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
  });

  it('target safety: a private token URL is refused under allowPrivate:false, and never contacted', async () => {
    const strict = newClient(STRICT);
    // IP literal: checked by checkTargetUrl before connecting.
    await assert.rejects(strict.token(settings()), fetchError('blocked'));
    // Host name resolving to loopback: refused by the safeLookup DNS hook.
    await assert.rejects(strict.token(settings({ tokenUrl: `http://localhost:${server.port}/oauth/token` })), fetchError('blocked'));
    assert.equal(server.requests.length, 0);
    // The same URL works when private targets are allowed (the other tests use LAX throughout).
    assert.equal(await newClient(LAX).token(settings()), 'tok-1');
  });

  it('target safety: refused URLs whatever the policy (metadata address, scheme, credentials)', async () => {
    for (const tokenUrl of ['http://169.254.169.254/latest/meta-data/', 'ftp://idp.example.org/token', `http://user:pw@127.0.0.1:${server.port}/t`, 'not a url']) {
      await assert.rejects(client.token(settings({ tokenUrl })), fetchError('blocked'), tokenUrl);
    }
    assert.equal(server.requests.length, 0);
  });

  it('after close(), token() fails with TokenFetchError (closed)', async () => {
    const c = newClient();
    assert.equal(await c.token(settings()), 'tok-1');
    await c.close();
    await assert.rejects(c.token(settings()), fetchError('closed'));
  });
});

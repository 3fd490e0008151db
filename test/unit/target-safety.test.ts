import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import {
  TargetRefused,
  checkAddress,
  checkTargetUrl,
  resolveTarget,
  safeLookup,
  type TargetPolicy,
} from '../../src/webhooks/target-safety.ts';

const STRICT: TargetPolicy = { allowPrivate: false };
const LAX: TargetPolicy = { allowPrivate: true };

function refusedWith(reason?: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof TargetRefused, `expected TargetRefused, got ${String(err)}`);
    if (reason !== undefined) assert.equal(err.reason, reason);
    return true;
  };
}

/** Walks err, err.cause and AggregateError.errors looking for a TargetRefused. */
function findRefusal(err: unknown, seen = new Set<unknown>()): TargetRefused | undefined {
  if (err === null || typeof err !== 'object' || seen.has(err)) return undefined;
  seen.add(err);
  if (err instanceof TargetRefused) return err;
  const e = err as { cause?: unknown; errors?: unknown[] };
  const viaCause = findRefusal(e.cause, seen);
  if (viaCause) return viaCause;
  for (const inner of e.errors ?? []) {
    const found = findRefusal(inner, seen);
    if (found) return found;
  }
  return undefined;
}

describe('always refused, even with allowPrivate', () => {
  const cases: Array<[string, string]> = [
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://169.254.1.1/', 'link-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[::ffff:169.254.169.254]/', 'metadata'],
    ['http://[::ffff:a9fe:101]/', 'link-local'],
    ['http://100.100.100.200/', 'metadata'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://0/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
    ['http://240.0.0.1/', 'reserved'],
    ['http://192.0.2.1/', 'reserved'],
    ['http://[2001:db8::1]/', 'reserved'],
    // alternative IPv4 spellings are normalised by the URL parser
    ['http://2852039166/', 'metadata'], // 169.254.169.254 as a number
    ['http://0xa9.0xfe.0xa9.0xfe/', 'metadata'],
    // IPv4 embedded in IPv6 translation ranges
    ['http://[64:ff9b::a9fe:a9fe]/', 'metadata'], // NAT64
    ['http://[2002:a9fe:a9fe::1]/', 'metadata'], // 6to4
    ['http://[::a9fe:a9fe]/', 'reserved'], // deprecated IPv4-compatible
  ];
  for (const [url, reason] of cases) {
    it(`${url} → ${reason}`, () => {
      assert.throws(() => checkTargetUrl(url, LAX), refusedWith(reason));
      assert.throws(() => checkTargetUrl(url, STRICT), refusedWith());
    });
  }

  it('checkAddress refuses the same classes directly', () => {
    for (const a of ['169.254.169.254', 'fe80::1', '::ffff:169.254.169.254', '100.100.100.200', '0.0.0.0', '::', '224.0.0.1', 'fd00:ec2::254']) {
      assert.throws(() => checkAddress(a, LAX), refusedWith(), a);
    }
  });

  it('checkAddress refuses garbage', () => {
    assert.throws(() => checkAddress('not-an-ip', LAX), refusedWith('address'));
  });
});

describe('private ranges depend on allowPrivate', () => {
  const urls = [
    'http://127.0.0.1/',
    'http://127.1.2.3:8080/x',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[fc00::1]/',
    'http://[fd12:3456::1]/',
    'http://100.64.0.1/',
  ];
  for (const url of urls) {
    it(url, () => {
      assert.throws(() => checkTargetUrl(url, STRICT), refusedWith('private'));
      assert.equal(checkTargetUrl(url, LAX).href, new URL(url).href);
    });
  }

  it('checkAddress agrees', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '192.168.1.1', '::1', '100.64.0.1', 'fc00::1']) {
      assert.throws(() => checkAddress(a, STRICT), refusedWith('private'), a);
      assert.doesNotThrow(() => checkAddress(a, LAX), a);
    }
  });
});

describe('public addresses are allowed', () => {
  it('93.184.216.34', () => {
    assert.doesNotThrow(() => checkAddress('93.184.216.34', STRICT));
    assert.equal(checkTargetUrl('https://93.184.216.34/hook', STRICT).hostname, '93.184.216.34');
  });
  it('public IPv6 and hostnames', () => {
    assert.doesNotThrow(() => checkAddress('2606:2800:220:1:248:1893:25c8:1946', STRICT));
    assert.equal(checkTargetUrl('https://hooks.example.com:8443/p?q=1', STRICT).port, '8443');
  });
});

describe('URL syntax', () => {
  it('refuses other schemes', () => {
    assert.throws(() => checkTargetUrl('ftp://example.com/', LAX), refusedWith('scheme'));
    assert.throws(() => checkTargetUrl('javascript:alert(1)', LAX), refusedWith('scheme'));
    assert.throws(() => checkTargetUrl('file:///etc/passwd', LAX), refusedWith('scheme'));
    assert.throws(() => checkTargetUrl('data:text/plain,hi', LAX), refusedWith('scheme'));
  });
  it('refuses credentials', () => {
    assert.throws(() => checkTargetUrl('https://user:pass@example.com/', LAX), refusedWith('credentials'));
    assert.throws(() => checkTargetUrl('https://user@example.com/', LAX), refusedWith('credentials'));
    assert.throws(() => checkTargetUrl('https://:pass@example.com/', LAX), refusedWith('credentials'));
  });
  it('refuses a missing host and unparsable URLs', () => {
    assert.throws(() => checkTargetUrl('http://', LAX), refusedWith());
    assert.throws(() => checkTargetUrl('http:///', LAX), refusedWith());
    assert.throws(() => checkTargetUrl('/relative/path', LAX), refusedWith('url'));
    assert.throws(() => checkTargetUrl('', LAX), refusedWith('url'));
  });
  it('refuses URLs longer than 2048 characters', () => {
    const base = 'https://example.com/';
    assert.doesNotThrow(() => checkTargetUrl(base + 'a'.repeat(2048 - base.length), STRICT));
    assert.throws(() => checkTargetUrl(base + 'a'.repeat(2049 - base.length), STRICT), refusedWith('length'));
  });
});

describe('resolveTarget', () => {
  it('refuses localhost unless allowPrivate', async () => {
    await assert.rejects(resolveTarget(new URL('http://localhost:1/'), STRICT), refusedWith('private'));
    const addrs = await resolveTarget(new URL('http://localhost:1/'), LAX);
    assert.ok(addrs.length > 0);
    for (const a of addrs) assert.ok(a.family === 4 || a.family === 6);
  });
  it('checks IP literals without DNS', async () => {
    assert.deepEqual(await resolveTarget(new URL('http://93.184.216.34/'), STRICT), [
      { address: '93.184.216.34', family: 4 },
    ]);
    assert.deepEqual(await resolveTarget(new URL('http://[::1]/'), LAX), [{ address: '::1', family: 6 }]);
    await assert.rejects(resolveTarget(new URL('http://169.254.169.254/'), LAX), refusedWith('metadata'));
  });
  it('maps resolution failures to reason dns', async () => {
    await assert.rejects(resolveTarget(new URL('http://does-not-exist.invalid/'), LAX), refusedWith('dns'));
  });
});

describe('safeLookup', () => {
  it('honours options.all and the single-address form', async () => {
    const lookup = safeLookup(LAX);
    const all = await new Promise<unknown>((resolve, reject) =>
      lookup('localhost', { all: true }, (err: unknown, addrs: unknown) => (err ? reject(err) : resolve(addrs))),
    );
    assert.ok(Array.isArray(all) && all.length > 0);
    const single = await new Promise<[string, number]>((resolve, reject) =>
      lookup('localhost', {}, (err: unknown, address: string, family: number) =>
        err ? reject(err) : resolve([address, family]),
      ),
    );
    assert.equal(typeof single[0], 'string');
    assert.ok(single[1] === 4 || single[1] === 6);
  });
  it('calls back with TargetRefused for refused addresses', async () => {
    const lookup = safeLookup(STRICT);
    const err = await new Promise<unknown>((resolve) => lookup('localhost', { all: true }, (e: unknown) => resolve(e)));
    assert.ok(err instanceof TargetRefused);
    assert.equal(err.reason, 'private');
  });
});

describe('real socket through undici with safeLookup', () => {
  it('refuses before connecting with allowPrivate false, succeeds with true', async () => {
    let requestsSeen = 0;
    const server = http.createServer((_req, res) => {
      requestsSeen++;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const url = `http://localhost:${port}/`;

    const strictAgent = new Agent({ connect: { lookup: safeLookup(STRICT) } });
    const laxAgent = new Agent({ connect: { lookup: safeLookup(LAX) } });
    try {
      checkTargetUrl(url, STRICT); // literal check passes: the host is a name
      await assert.rejects(
        request(url, { dispatcher: strictAgent }),
        (err: unknown) => {
          const refusal = findRefusal(err);
          assert.ok(refusal, `expected a TargetRefused in the error chain, got ${String(err)}`);
          assert.equal(refusal.reason, 'private');
          return true;
        },
      );
      assert.equal(requestsSeen, 0, 'server must not see the refused request');

      const res = await request(url, { dispatcher: laxAgent });
      assert.equal(res.statusCode, 200);
      assert.equal(await res.body.text(), 'ok');
      assert.equal(requestsSeen, 1);
    } finally {
      await Promise.all([strictAgent.close(), laxAgent.close()]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

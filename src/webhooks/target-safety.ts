/**
 * SSRF protection for customer-supplied webhook URLs.
 *
 * Layers:
 *  1. `checkTargetUrl` — syntax (scheme, credentials, length, host) and, when the
 *     host is an IP literal, the address check. No DNS. Use it when a webhook URL
 *     is registered AND again right before each delivery.
 *  2. `resolveTarget` — resolves the host and refuses if ANY address is refused
 *     (useful for validating at registration time and for diagnostics).
 *  3. `safeLookup` — a `lookup` for net.connect / undici's `connect.lookup`. The
 *     socket connects to exactly the address that was checked, which closes the
 *     DNS-rebinding gap between "validate" and "connect".
 *
 *     IMPORTANT: net.connect does NOT call `lookup` when the host is an IP literal
 *     (e.g. http://169.254.169.254/ or http://[::1]/), so `safeLookup` alone does
 *     not protect literal hosts. Callers must always run `checkTargetUrl` on the
 *     URL before connecting; it performs the literal-address check.
 *
 * Redirects must not be followed blindly (each hop would need the same checks);
 * the dispatcher should not enable undici's redirect interceptor for webhooks.
 */
import dns from 'node:dns';
import { lookup as lookupAll } from 'node:dns/promises';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

export const MAX_URL_LENGTH = 2048;

export class TargetRefused extends Error {
  readonly reason: string;
  readonly code = 'ERR_TARGET_REFUSED';

  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetRefused';
    this.reason = reason;
  }
}

export interface TargetPolicy {
  allowPrivate: boolean;
}

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** Cloud metadata endpoints, refused regardless of policy. */
const METADATA_ADDRESSES: readonly Addr[] = [
  '169.254.169.254', // AWS / GCP / Azure / OpenStack / DigitalOcean ...
  '169.254.170.2', // AWS ECS task metadata
  'fd00:ec2::254', // AWS IMDS over IPv6
  '100.100.100.200', // Alibaba Cloud
].map((a) => ipaddr.parse(a));

/** ipaddr.js range names that are refused regardless of policy → reason. */
const ALWAYS_REFUSED: ReadonlyMap<string, string> = new Map([
  ['linkLocal', 'link-local'],
  ['unspecified', 'unspecified'],
  ['multicast', 'multicast'],
  ['broadcast', 'broadcast'],
  ['reserved', 'reserved'],
]);

const ALLOWED_SCHEMES = new Set(['http:', 'https:']);

function sameAddress(a: Addr, b: Addr): boolean {
  if (a.kind() !== b.kind()) return false;
  const x = a.toByteArray();
  const y = b.toByteArray();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function ipv4FromWords(hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([(hi >> 8) & 0xff, hi & 0xff, (lo >> 8) & 0xff, lo & 0xff]);
}

/**
 * IPv4 addresses embedded in translation/tunnel IPv6 ranges. With allowPrivate
 * these ranges are otherwise permitted, so e.g. 64:ff9b::a9fe:a9fe (NAT64 for
 * 169.254.169.254) must still be refused via the embedded address.
 */
function embeddedIPv4(addr: ipaddr.IPv6, range: string): ipaddr.IPv4[] {
  const p = addr.parts;
  switch (range) {
    case 'rfc6052': // 64:ff9b::/96 (and local-use 64:ff9b:1::/48, checked the same way)
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return [ipv4FromWords(p[6], p[7])];
    case '6to4': // 2002:AABB:CCDD::/48
      return [ipv4FromWords(p[1], p[2])];
    case 'teredo': // server in words 2-3, client obfuscated (bit-inverted) in words 6-7
      return [ipv4FromWords(p[2], p[3]), ipv4FromWords(~p[6] & 0xffff, ~p[7] & 0xffff)];
    default:
      return [];
  }
}

function checkParsed(addr: Addr, original: string, policy: TargetPolicy): void {
  if (METADATA_ADDRESSES.some((m) => sameAddress(m, addr))) {
    throw new TargetRefused('metadata', `address ${original} is a cloud metadata endpoint`);
  }

  const range = addr.range();
  const always = ALWAYS_REFUSED.get(range);
  if (always !== undefined) {
    throw new TargetRefused(always, `address ${original} is ${range} and may not be contacted`);
  }

  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    // Deprecated IPv4-compatible ::a.b.c.d (ipaddr.js calls these 'unicast').
    if (range === 'unicast' && v6.parts.slice(0, 6).every((w) => w === 0)) {
      throw new TargetRefused('reserved', `address ${original} is a deprecated IPv4-compatible address`);
    }
    for (const inner of embeddedIPv4(v6, range)) {
      try {
        checkParsed(inner, inner.toString(), policy);
      } catch (err) {
        if (err instanceof TargetRefused) {
          throw new TargetRefused(err.reason, `address ${original} embeds ${inner.toString()}: ${err.message}`);
        }
        throw err;
      }
    }
  }

  // loopback, private, uniqueLocal, carrierGradeNat and every other special range.
  if (range !== 'unicast' && !policy.allowPrivate) {
    throw new TargetRefused('private', `address ${original} is ${range} and private targets are not allowed`);
  }
}

/** Throws TargetRefused if this address may not be contacted. */
export function checkAddress(address: string, policy: TargetPolicy): void {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  let addr: Addr;
  try {
    // process(): IPv4-mapped IPv6 (::ffff:a.b.c.d) is classified as IPv4.
    addr = ipaddr.process(bare);
  } catch (cause) {
    throw new TargetRefused('address', `not a valid IP address: ${JSON.stringify(address)}`, { cause });
  }
  checkParsed(addr, bare, policy);
}

/** The URL's hostname without IPv6 brackets. */
function bareHostname(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** Syntax + literal-IP checks, no DNS. Returns the parsed URL or throws TargetRefused. */
export function checkTargetUrl(raw: string, policy: TargetPolicy): URL {
  if (typeof raw !== 'string' || raw.length === 0) {
    throw new TargetRefused('url', 'URL is empty');
  }
  if (raw.length > MAX_URL_LENGTH) {
    throw new TargetRefused('length', `URL is longer than ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new TargetRefused('url', 'URL is not valid', { cause });
  }
  if (!ALLOWED_SCHEMES.has(url.protocol)) {
    throw new TargetRefused('scheme', `scheme ${url.protocol} is not allowed (only http: and https:)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new TargetRefused('credentials', 'URL must not contain credentials');
  }
  if (url.hostname === '') {
    throw new TargetRefused('host', 'URL has no host');
  }
  if (url.href.length > MAX_URL_LENGTH) {
    throw new TargetRefused('length', `URL is longer than ${MAX_URL_LENGTH} characters`);
  }
  // The WHATWG parser normalises IPv4 forms (0x7f.1, 2130706433, ...) to dotted quads.
  const host = bareHostname(url);
  if (net.isIP(host) !== 0) checkAddress(host, policy);
  return url;
}

/**
 * Resolves the host (all addresses), refuses if ANY resolved address is refused,
 * otherwise returns the addresses. IP literals are checked without DNS.
 * The URL itself is re-validated with checkTargetUrl first.
 */
export async function resolveTarget(
  url: URL,
  policy: TargetPolicy,
): Promise<Array<{ address: string; family: 4 | 6 }>> {
  checkTargetUrl(url.href, policy);
  const host = bareHostname(url);
  const literal = net.isIP(host);
  if (literal === 4 || literal === 6) {
    return [{ address: host, family: literal }];
  }

  let results: dns.LookupAddress[];
  try {
    results = await lookupAll(host, { all: true, verbatim: true });
  } catch (cause) {
    throw new TargetRefused('dns', `could not resolve ${host}: ${(cause as Error).message}`, { cause });
  }
  if (results.length === 0) {
    throw new TargetRefused('dns', `${host} resolved to no addresses`);
  }
  for (const r of results) checkAddress(r.address, policy);
  return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
}

/**
 * A `lookup` for net.connect / tls.connect / undici's `Agent({ connect: { lookup } })`.
 * Resolves with node:dns, checks every result and calls back with TargetRefused
 * if any is refused; the socket then connects only to checked addresses.
 * DNS errors (ENOTFOUND, ...) are passed through unchanged.
 *
 * NOTE: net.connect skips `lookup` for IP-literal hosts — always call
 * checkTargetUrl before connecting.
 */
export function safeLookup(
  policy: TargetPolicy,
): (hostname: string, options: any, callback: (...args: any[]) => void) => void {
  return function lookup(hostname: string, options: any, callback?: (...args: any[]) => void): void {
    let opts: dns.LookupOptions;
    if (typeof options === 'function') {
      callback = options;
      opts = {};
    } else if (typeof options === 'number') {
      opts = { family: options };
    } else {
      opts = { ...(options ?? {}) };
    }
    const cb = callback as (...args: any[]) => void;
    const wantAll = opts.all === true;

    dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) {
        cb(err);
        return;
      }
      if (addresses.length === 0) {
        const e = new TargetRefused('dns', `${hostname} resolved to no addresses`);
        wantAll ? cb(e, []) : cb(e, undefined, undefined);
        return;
      }
      try {
        for (const a of addresses) checkAddress(a.address, policy);
      } catch (e) {
        const refused =
          e instanceof TargetRefused
            ? new TargetRefused(e.reason, `${hostname}: ${e.message}`)
            : e;
        wantAll ? cb(refused, []) : cb(refused, undefined, undefined);
        return;
      }
      if (wantAll) {
        cb(null, addresses);
      } else {
        const first = addresses[0];
        cb(null, first.address, first.family);
      }
    });
  };
}

/**
 * `allowedIPs` rules: single addresses and CIDR ranges, IPv4 and IPv6. Addresses are compared
 * after normalising IPv4-mapped IPv6 (`::ffff:127.0.0.2`) to IPv4, so a dual-stack listener
 * cannot slip past an IPv4 rule.
 */
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses one rule; null when it is neither an address nor a CIDR range. */
function parseRule(rule: string): Range | null {
  const text = rule.trim();
  try {
    if (text.includes('/')) {
      const [address, bits] = ipaddr.parseCIDR(text);
      // `::ffff:10.0.0.0/104` is the IPv4 range 10.0.0.0/8 written in IPv6.
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
        return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
      }
      return [address, bits];
    }
    const address = ipaddr.process(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

/** The rules that are not valid addresses or ranges (for a 400 naming them). */
export function invalidIpRules(rules: readonly string[]): string[] {
  return rules.filter((rule) => parseRule(rule) === null);
}

/** A matcher for a rule list; an empty or absent list allows every address. */
export function ipMatcher(rules: readonly string[] | null): (ip: string) => boolean {
  if (!rules || rules.length === 0) return () => true;
  const ranges = rules.map(parseRule).filter((r): r is Range => r !== null);
  return (ip) => {
    const address = normaliseIp(ip);
    if (!address) return false;
    const parsed = ipaddr.parse(address);
    return ranges.some(([base, bits]) => base.kind() === parsed.kind() && parsed.match(base, bits));
  };
}

/** The canonical text of an address (IPv4-mapped IPv6 as IPv4), or null if it is not one. */
export function normaliseIp(ip: string): string | null {
  try {
    return ipaddr.process(ip).toString();
  } catch {
    return null;
  }
}

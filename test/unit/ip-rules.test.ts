import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invalidIpRules, ipMatcher, normaliseIp } from '../../src/auth/ip-rules.ts';

describe('allowedIPs rules', () => {
  it('matches single addresses and CIDR ranges, IPv4 and IPv6', () => {
    const allows = ipMatcher(['203.0.113.7', '10.0.0.0/8', '2001:db8::/32', '::1']);
    assert.equal(allows('203.0.113.7'), true);
    assert.equal(allows('203.0.113.8'), false);
    assert.equal(allows('10.255.1.2'), true);
    assert.equal(allows('11.0.0.1'), false);
    assert.equal(allows('2001:db8:1::5'), true);
    assert.equal(allows('2001:db9::5'), false);
    assert.equal(allows('::1'), true);
    assert.equal(allows('127.0.0.1'), false, 'an IPv6 rule never matches an IPv4 address');
  });

  it('treats IPv4-mapped IPv6 as the IPv4 address, on both sides', () => {
    assert.equal(ipMatcher(['127.0.0.1'])('::ffff:127.0.0.1'), true, 'a dual-stack socket address');
    assert.equal(ipMatcher(['127.0.0.1'])('::ffff:127.0.0.2'), false);
    assert.equal(ipMatcher(['::ffff:192.168.0.0/112'])('192.168.3.4'), true, 'a mapped range is the IPv4 range');
    assert.equal(normaliseIp('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(normaliseIp('not-an-ip'), null);
  });

  it('allows everything with no rules, and nothing that is not an address', () => {
    assert.equal(ipMatcher(null)('198.51.100.1'), true);
    assert.equal(ipMatcher([])('198.51.100.1'), true);
    assert.equal(ipMatcher(['10.0.0.0/8'])('garbage'), false);
  });

  it('names the rules that are neither an address nor a range', () => {
    assert.deepEqual(invalidIpRules(['1.2.3.4', '1.2.3.4/33', 'x', '::1', '10.0.0.0/8', '2001:db8::/129', '']), ['1.2.3.4/33', 'x', '2001:db8::/129', '']);
  });
});

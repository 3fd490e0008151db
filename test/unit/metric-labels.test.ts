/** The `target` label: profiles by name, URLs by host, and no more than a fixed number of hosts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OTHER_HOSTS_LABEL, targetLabel, targetLabeller } from '../../src/metrics/labels.ts';

test('profiles keep their name; URLs fold into host[:port]', () => {
  assert.equal(targetLabel('profile:acme/ops'), 'profile:acme/ops');
  assert.equal(targetLabel('https://Hooks.Example.com/a?x=1'), 'url:hooks.example.com');
  assert.equal(targetLabel('https://hooks.example.com:8443/b'), 'url:hooks.example.com:8443');
  assert.equal(targetLabel('not a url'), 'url:invalid');
});

test('past the cap, new hosts share one label; hosts already seen and profiles keep theirs', () => {
  const label = targetLabeller(3);
  assert.deepEqual(['a', 'b', 'c'].map((h) => label(`https://${h}.example/x`)), ['url:a.example', 'url:b.example', 'url:c.example']);
  assert.equal(label('https://d.example/x'), OTHER_HOSTS_LABEL);
  assert.equal(label('https://a.example/other-path'), 'url:a.example');
  assert.equal(label('profile:acme/ops'), 'profile:acme/ops');
  const fresh = targetLabeller(3);
  assert.equal(fresh('https://d.example/x'), 'url:d.example', 'each labeller counts its own hosts');
});

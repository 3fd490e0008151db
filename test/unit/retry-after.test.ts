/** Retry-After: delay-seconds or an HTTP-date, capped at 6 h, and never earlier than the schedule. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RETRY_AFTER_MS, retryAfterMs, withRetryAfter } from '../../src/webhooks/retry-policy.ts';

const now = Date.UTC(2026, 10, 27, 12, 0, 0);

test('delay-seconds', () => {
  assert.equal(retryAfterMs('120', now), 120_000);
  assert.equal(retryAfterMs(' 0 ', now), 0);
});

test('HTTP-date, relative to now; a date in the past is no wait', () => {
  assert.equal(retryAfterMs(new Date(now + 90_000).toUTCString(), now), 90_000);
  assert.equal(retryAfterMs(new Date(now - 90_000).toUTCString(), now), 0);
});

test('capped at 6 hours', () => {
  assert.equal(MAX_RETRY_AFTER_MS, 6 * 3600 * 1000);
  assert.equal(retryAfterMs(String(7 * 24 * 3600), now), MAX_RETRY_AFTER_MS);
  assert.equal(retryAfterMs(new Date(now + 10 * 3600 * 1000).toUTCString(), now), MAX_RETRY_AFTER_MS);
});

test('absent or unreadable: null', () => {
  for (const header of [undefined, null, '', 'soon', '-5', '1.5']) assert.equal(retryAfterMs(header, now), null, String(header));
});

test('never earlier than the schedule; nothing to move once the delivery is to be dropped', () => {
  assert.equal(withRetryAfter(now + 60_000, now + 10_000), now + 60_000);
  assert.equal(withRetryAfter(now + 60_000, now + 600_000), now + 600_000);
  assert.equal(withRetryAfter(now + 60_000, null), now + 60_000);
  assert.equal(withRetryAfter(null, now + 600_000), null);
});

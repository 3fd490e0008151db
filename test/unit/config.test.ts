import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { CONFIG_ENV_NAMES, ConfigError, DEFAULTS, loadConfig } from '../../src/config.ts';

describe('config', () => {
  it('applies every default from an empty environment', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.databaseUrl, 'sqlite:./data/hookline.db');
    assert.equal(c.apiKey, undefined);
    assert.equal(c.retryMinuteMs, 60_000);
    assert.equal(c.simulatorDelayMs, 1_000);
    assert.equal(c.simulatorPrice, 0.01);
    assert.equal(c.simulatorCurrency, 'EUR');
    assert.equal(c.webhookAllowPrivate, true, 'loopback HOST allows private targets');
    assert.equal(c.webhookBucketSize, DEFAULTS.webhookBucketSize);
    assert.equal(c.webhookWindow, 20);
    assert.equal(c.webhookMaxInFlight, 256);
    assert.equal(c.webhookConnectTimeoutMs, 5_000);
    assert.equal(c.webhookReadTimeoutMs, 10_000);
    assert.equal(c.maxBodyBytes, 1_048_576);
    assert.equal(c.retentionHours, 48);
    assert.equal(c.logLevel, 'info');
    assert.ok(Object.isFrozen(c));
  });

  it('refuses private webhook targets by default on a public HOST, unless told otherwise', () => {
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).webhookAllowPrivate, false);
    assert.equal(loadConfig({ HOST: '0.0.0.0', WEBHOOK_ALLOW_PRIVATE: 'true' }).webhookAllowPrivate, true);
    assert.equal(loadConfig({ HOST: 'localhost', WEBHOOK_ALLOW_PRIVATE: 'false' }).webhookAllowPrivate, false);
  });

  it('parses the contract variables', () => {
    const c = loadConfig({ PORT: '9000', API_KEY: 'k', RETRY_MINUTE_MS: '10', SIMULATOR_PRICE: '0.5', SIMULATOR_CURRENCY: 'USD', WEBHOOK_BUCKET_SIZE: '1', LOG_LEVEL: 'silent' });
    assert.deepEqual([c.port, c.apiKey, c.retryMinuteMs, c.simulatorPrice, c.simulatorCurrency, c.webhookBucketSize, c.logLevel], [9000, 'k', 10, 0.5, 'USD', 1, 'silent']);
  });

  it('parses the auth variables, with their defaults', () => {
    const d = loadConfig({});
    assert.deepEqual([d.adminUsername, d.adminPassword, d.trustProxy, d.authFailureLimit, d.authFailureWindowMs, d.throttles], [undefined, undefined, [], 10, 300_000, true]);
    const c = loadConfig({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'pw', TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1', AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_S: '60', THROTTLES: 'off' });
    assert.deepEqual([c.adminUsername, c.adminPassword, c.trustProxy, c.authFailureLimit, c.authFailureWindowMs, c.throttles], ['root', 'pw', ['10.0.0.1', '192.168.0.0/16', '::1'], 3, 60_000, false]);
    assert.throws(() => loadConfig({ TRUST_PROXY: '10.0.0.1,proxy.local' }), /TRUST_PROXY .*proxy\.local/);
    assert.throws(() => loadConfig({ THROTTLES: 'maybe' }), /THROTTLES must be on or off/);
    assert.throws(() => loadConfig({ AUTH_FAILURE_LIMIT: '0' }), /AUTH_FAILURE_LIMIT/);
  });

  it('rejects invalid values with a message naming the variable', () => {
    for (const env of [{ PORT: 'abc' }, { PORT: '70000' }, { RETRY_MINUTE_MS: '0' }, { WEBHOOK_ALLOW_PRIVATE: 'maybe' }, { SIMULATOR_PRICE: '-1' }, { LOG_LEVEL: 'loud' }, { DATABASE_URL: 'mysql://x' }]) {
      const name = Object.keys(env)[0];
      assert.throws(() => loadConfig(env), (e: Error) => e instanceof ConfigError && e.message.includes(name));
    }
  });

  it('CONFIG_ENV_NAMES lists exactly the variables loadConfig reads', () => {
    const source = readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8');
    const read = new Set([...source.matchAll(/env, '([A-Z_]+)'|env\.([A-Z_]+)|env\[name\]/g)].map((m) => m[1] ?? m[2]).filter(Boolean));
    assert.deepEqual([...read].sort(), [...CONFIG_ENV_NAMES].sort());
  });
});

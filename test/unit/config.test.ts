import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { CONFIG_ENV_NAMES, ConfigError, DEFAULTS, listenUrl, loadConfig } from '../../src/config.ts';

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
    assert.equal(c.webhookLogRetentionDays, 30);
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
    assert.equal(loadConfig({ WEBHOOK_LOG_RETENTION_DAYS: '7' }).webhookLogRetentionDays, 7);
    for (const env of [{ PORT: 'abc' }, { PORT: '70000' }, { RETRY_MINUTE_MS: '0' }, { WEBHOOK_LOG_RETENTION_DAYS: '0' }, { WEBHOOK_ALLOW_PRIVATE: 'maybe' }, { SIMULATOR_PRICE: '-1' }, { LOG_LEVEL: 'loud' }, { DATABASE_URL: 'mysql://x' }]) {
      const name = Object.keys(env)[0];
      assert.throws(() => loadConfig(env), (e: Error) => e instanceof ConfigError && e.message.includes(name));
    }
  });

  it('PUBLIC_BASE_URL: by default the listen address; else an http(s) URL, kept without a trailing slash', () => {
    assert.equal(loadConfig({}).publicBaseUrl, null, 'null: http://HOST:PORT, completed with the bound port at start');
    assert.equal(DEFAULTS.publicBaseUrl, null);
    assert.equal(listenUrl('127.0.0.1', 8080), 'http://127.0.0.1:8080');
    assert.equal(listenUrl('::1', 8080), 'http://[::1]:8080');
    assert.equal(loadConfig({ PUBLIC_BASE_URL: 'https://links.example.com/' }).publicBaseUrl, 'https://links.example.com');
    assert.equal(loadConfig({ PUBLIC_BASE_URL: 'http://Go.Example:8443/hookline//' }).publicBaseUrl, 'http://go.example:8443/hookline');
    assert.equal(loadConfig({ PUBLIC_BASE_URL: 'https://s.example:443' }).publicBaseUrl, 'https://s.example');
    for (const bad of ['links.example.com', 'ftp://links.example.com', 'https://links.example.com/?a=1', 'https://links.example.com/#x', 'https://u:p@links.example.com', 'https://', 'not a url']) {
      assert.throws(() => loadConfig({ PUBLIC_BASE_URL: bad }), (e: Error) => e instanceof ConfigError && e.message.includes('PUBLIC_BASE_URL'), bad);
    }
  });

  it('CONFIG_ENV_NAMES lists exactly the variables loadConfig reads', () => {
    const source = readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8');
    const read = new Set([...source.matchAll(/env, '([A-Z_]+)'|env\.([A-Z_]+)|env\[name\]/g)].map((m) => m[1] ?? m[2]).filter(Boolean));
    assert.deepEqual([...read].sort(), [...CONFIG_ENV_NAMES].sort());
  });
});

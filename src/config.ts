/**
 * Configuration: the environment is parsed once, at start-up, into a frozen object.
 * Every default lives in DEFAULTS; nothing else in the code reads process.env.
 */
import { invalidIpRules } from './auth/ip-rules.ts';

/** What a process does: serve the API, run the background work, or both (the default). */
export type Role = 'api' | 'worker' | 'all';
export const ROLES: readonly Role[] = ['api', 'worker', 'all'];

export interface Config {
  role: Role;
  port: number;
  host: string;
  databaseUrl: string;
  apiKey: string | undefined;
  adminUsername: string | undefined;
  adminPassword: string | undefined;
  /** Proxy addresses or CIDR ranges whose X-Forwarded-For is believed; empty: the socket address. */
  trustProxy: string[];
  authFailureLimit: number;
  authFailureWindowMs: number;
  /** Infobip's published per-endpoint throttles; THROTTLES=off turns them off (a sandbox). */
  throttles: boolean;
  retryMinuteMs: number;
  simulatorDelayMs: number;
  /** From delivery to SEEN / OPEN on the simulated network, and between one engagement and the next. */
  simulatorSeenDelayMs: number;
  simulatorPrice: number;
  simulatorCurrency: string;
  webhookAllowPrivate: boolean;
  webhookBucketSize: number;
  webhookWindow: number;
  webhookMaxInFlight: number;
  webhookConnectTimeoutMs: number;
  webhookReadTimeoutMs: number;
  /** Consecutive failed attempts after which a target's circuit breaker opens. */
  webhookBreakerThreshold: number;
  maxBodyBytes: number;
  retentionHours: number;
  /** WEBHOOK_LOG_RETENTION_DAYS: how long finished deliveries (DELIVERED, DROPPED), their outbox rows and attempts are kept. */
  webhookLogRetentionDays: number;
  logLevel: string;
  /**
   * PUBLIC_BASE_URL: where tracked short links (`/t/{code}`) point, without a trailing slash.
   * null means the API's own listen address, http://HOST:PORT with the port actually bound.
   */
  publicBaseUrl: string | null;
  /** METRICS_TOKEN: when set, GET /metrics wants `Authorization: Bearer <token>`; unset, it is public. */
  metricsToken: string | undefined;
  /**
   * METRICS_PORT: a worker process (`--role worker`, which serves no API) listens here for
   * GET /healthz, /readyz and /metrics, so its dispatcher's counters can be scraped. null: no port.
   */
  metricsPort: number | null;
  /**
   * SMPP_CONFIG_FILE: a JSON file of SMPP connections and routes (README, "SMPP connections"),
   * read once at start-up; the admin API then only reads them. null: they live in the database.
   */
  smppConfigFile: string | null;
}

export const DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  databaseUrl: 'sqlite:./data/hookline.db',
  retryMinuteMs: 60_000,
  simulatorDelayMs: 1_000,
  simulatorSeenDelayMs: 2_000,
  simulatorPrice: 0.01,
  simulatorCurrency: 'EUR',
  webhookBucketSize: 100,
  webhookWindow: 20,
  webhookMaxInFlight: 256,
  webhookConnectTimeoutMs: 5_000,
  webhookReadTimeoutMs: 10_000,
  webhookBreakerThreshold: 5,
  maxBodyBytes: 1_048_576,
  retentionHours: 48,
  webhookLogRetentionDays: 30,
  logLevel: 'info',
  authFailureLimit: 10,
  authFailureWindowS: 300,
  /** null: http://HOST:PORT, the address the API listens on. */
  publicBaseUrl: null,
  /** Unset: GET /metrics is public. */
  metricsToken: undefined,
  metricsPort: null,
  /** Unset: SMPP connections and routes are set through the admin API. */
  smppConfigFile: null,
} as const;

/** Every environment variable loadConfig reads (child processes in tests strip inherited ones). */
export const CONFIG_ENV_NAMES = [
  'ROLE',
  'PORT',
  'HOST',
  'DATABASE_URL',
  'API_KEY',
  'ADMIN_USERNAME',
  'ADMIN_PASSWORD',
  'TRUST_PROXY',
  'AUTH_FAILURE_LIMIT',
  'AUTH_FAILURE_WINDOW_S',
  'THROTTLES',
  'RETRY_MINUTE_MS',
  'SIMULATOR_DELAY_MS',
  'SIMULATOR_SEEN_DELAY_MS',
  'SIMULATOR_PRICE',
  'SIMULATOR_CURRENCY',
  'WEBHOOK_ALLOW_PRIVATE',
  'WEBHOOK_BUCKET_SIZE',
  'WEBHOOK_WINDOW',
  'WEBHOOK_MAX_IN_FLIGHT',
  'WEBHOOK_CONNECT_TIMEOUT_MS',
  'WEBHOOK_READ_TIMEOUT_MS',
  'WEBHOOK_BREAKER_THRESHOLD',
  'MAX_BODY_BYTES',
  'RETENTION_HOURS',
  'WEBHOOK_LOG_RETENTION_DAYS',
  'LOG_LEVEL',
  'PUBLIC_BASE_URL',
  'METRICS_TOKEN',
  'METRICS_PORT',
  'SMPP_CONFIG_FILE',
] as const;

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function decimal(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`);
}

/** TRUST_PROXY: comma-separated proxy addresses or CIDR ranges. */
function proxyList(env: Env): string[] {
  const entries = (env.TRUST_PROXY ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  const invalid = invalidIpRules(entries);
  if (invalid.length > 0) throw new ConfigError(`TRUST_PROXY must list IP addresses or CIDR ranges, got "${invalid.join(', ')}"`);
  return entries;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** PUBLIC_BASE_URL: an absolute http(s) URL, optionally with a path prefix; no query, fragment or credentials. */
function publicBaseUrl(env: Env): string | null {
  const raw = env.PUBLIC_BASE_URL?.trim();
  if (!raw) return DEFAULTS.publicBaseUrl;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`PUBLIC_BASE_URL must be an http(s) URL such as https://links.example.com, got "${raw}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`PUBLIC_BASE_URL must be an http(s) URL without query, fragment or credentials, got "${raw}"`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** METRICS_TOKEN: a bearer token, so no whitespace (it could never match a header). */
function metricsToken(env: Env): string | undefined {
  const raw = env.METRICS_TOKEN;
  if (raw === undefined || raw === '') return DEFAULTS.metricsToken;
  if (/\s/.test(raw)) throw new ConfigError('METRICS_TOKEN must not contain whitespace');
  return raw;
}

/** http://HOST:PORT as a URL (IPv6 addresses in brackets): PUBLIC_BASE_URL's default. */
export const listenUrl = (host: string, port: number): string => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `--role api` / `--role=api` on the command line wins over ROLE in the environment. */
function roleFrom(env: Env, argv: readonly string[]): string {
  const flag = argv.findIndex((a) => a === '--role' || a.startsWith('--role='));
  if (flag >= 0) return argv[flag].includes('=') ? argv[flag].slice('--role='.length) : (argv[flag + 1] ?? '');
  return env.ROLE || 'all';
}

export function loadConfig(env: Env = process.env, argv: readonly string[] = []): Config {
  const host = env.HOST || DEFAULTS.host;
  const databaseUrl = env.DATABASE_URL || DEFAULTS.databaseUrl;
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must be sqlite:<path> or postgres://…, got "${databaseUrl}"`);
  }
  const role = roleFrom(env, argv) as Role;
  if (!ROLES.includes(role)) throw new ConfigError(`ROLE (or --role) must be one of ${ROLES.join(', ')}, got "${role}"`);
  if (role !== 'all' && databaseUrl.startsWith('sqlite:')) {
    throw new ConfigError(`role "${role}" needs PostgreSQL (DATABASE_URL=postgres://…): an SQLite database belongs to one process, so use --role all`);
  }
  const logLevel = env.LOG_LEVEL || DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return Object.freeze({
    role,
    port: integer(env, 'PORT', DEFAULTS.port, 0, 65535),
    host,
    databaseUrl,
    apiKey: env.API_KEY || undefined,
    adminUsername: env.ADMIN_USERNAME || undefined,
    adminPassword: env.ADMIN_PASSWORD || undefined,
    trustProxy: proxyList(env),
    authFailureLimit: integer(env, 'AUTH_FAILURE_LIMIT', DEFAULTS.authFailureLimit, 1),
    authFailureWindowMs: integer(env, 'AUTH_FAILURE_WINDOW_S', DEFAULTS.authFailureWindowS, 1) * 1000,
    throttles: onOff(env, 'THROTTLES', true),
    retryMinuteMs: integer(env, 'RETRY_MINUTE_MS', DEFAULTS.retryMinuteMs, 1),
    simulatorDelayMs: integer(env, 'SIMULATOR_DELAY_MS', DEFAULTS.simulatorDelayMs, 0),
    simulatorSeenDelayMs: integer(env, 'SIMULATOR_SEEN_DELAY_MS', DEFAULTS.simulatorSeenDelayMs, 0),
    simulatorPrice: decimal(env, 'SIMULATOR_PRICE', DEFAULTS.simulatorPrice),
    simulatorCurrency: env.SIMULATOR_CURRENCY || DEFAULTS.simulatorCurrency,
    webhookAllowPrivate: boolean(env, 'WEBHOOK_ALLOW_PRIVATE', isLoopbackHost(host)),
    webhookBucketSize: integer(env, 'WEBHOOK_BUCKET_SIZE', DEFAULTS.webhookBucketSize, 1, 2000),
    webhookWindow: integer(env, 'WEBHOOK_WINDOW', DEFAULTS.webhookWindow, 1),
    webhookMaxInFlight: integer(env, 'WEBHOOK_MAX_IN_FLIGHT', DEFAULTS.webhookMaxInFlight, 1),
    webhookConnectTimeoutMs: integer(env, 'WEBHOOK_CONNECT_TIMEOUT_MS', DEFAULTS.webhookConnectTimeoutMs, 1),
    webhookReadTimeoutMs: integer(env, 'WEBHOOK_READ_TIMEOUT_MS', DEFAULTS.webhookReadTimeoutMs, 1),
    webhookBreakerThreshold: integer(env, 'WEBHOOK_BREAKER_THRESHOLD', DEFAULTS.webhookBreakerThreshold, 1),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', DEFAULTS.maxBodyBytes, 1024),
    retentionHours: integer(env, 'RETENTION_HOURS', DEFAULTS.retentionHours, 1),
    webhookLogRetentionDays: integer(env, 'WEBHOOK_LOG_RETENTION_DAYS', DEFAULTS.webhookLogRetentionDays, 1),
    logLevel,
    publicBaseUrl: publicBaseUrl(env),
    metricsToken: metricsToken(env),
    metricsPort: env.METRICS_PORT ? integer(env, 'METRICS_PORT', 0, 0, 65_535) : DEFAULTS.metricsPort,
    smppConfigFile: env.SMPP_CONFIG_FILE || DEFAULTS.smppConfigFile,
  });
}

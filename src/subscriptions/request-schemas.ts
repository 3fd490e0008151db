/**
 * Request schemas of the Subscriptions API (infobip-subscriptions-api-openapi.json) and the checks
 * a JSON schema cannot say well. Structure, lengths and ranges are TypeBox (answered by the
 * server's validation handler); ids' characters, security credentials (whose shape depends on
 * `type`), events (plain or `{event, format}`, per channel), header names and regexes are checked
 * here, each failure a violation named by its property path (`profile.security.credentials.password`).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Violation } from '../http/errors.ts';
import { Enum } from '../lib/schema-enum.ts';
import { secretKeyProblem } from '../webhooks/security.ts';
import { CHANNEL_EVENTS, CHANNELS, type Channel } from './channels.ts';
import type { Criterion, ProfileSettings, SecurityType, SubscriptionEvent } from './model.ts';

const Str = (minLength: number, maxLength: number) => Type.String({ minLength, maxLength });
const Id = Str(1, 255);
/** Deepest a list query can page (keeps page × size a safe offset), as the other list endpoints. */
const MAX_PAGE = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

/** `type` and `credentials` are checked by `checkSecurityDefinition` (the credentials' shape depends on the type). */
const SecurityDefinition = {
  type: Type.Optional(Type.String()),
  credentials: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};
/** `SecurityRequest`: a new definition (`type` + `credentials`) or just `{authId}` of existing settings. */
export const SecurityRequest = Type.Object({ authId: Id, ...SecurityDefinition });
export const NoIdSecurityRequest = Type.Object(SecurityDefinition);
const IdOnlySecurityRequest = Type.Object({ authId: Id });

const Webhook = Type.Object({ notifyUrl: Str(0, 512), contentType: Type.Optional(Str(0, 255)) });
export const SSL_PROTOCOLS = ['TLSv1.2', 'TLSv1.3'] as const;
const ProfileFields = {
  webhook: Type.Optional(Webhook),
  clientCertificateId: Type.Optional(Str(0, 255)),
  maxBucketSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000 })),
  windowSize: Type.Optional(Type.Integer({ minimum: 20, maximum: 10000 })),
  connectTimeout: Type.Optional(Type.Integer({ minimum: 300, maximum: 30000 })),
  readTimeout: Type.Optional(Type.Integer({ minimum: 1000, maximum: 90000 })),
  enabledSSLProtocols: Type.Optional(Type.Array(Enum(SSL_PROTOCOLS), { uniqueItems: true })),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  responseRegex: Type.Optional(Type.String()),
  responseBodyRegex: Type.Optional(Type.String()),
  rateLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
};
/** `ProfileRequest` (POST, and inline in a subscription): `security` new or referenced. */
export const ProfileRequest = Type.Object({ profileId: Id, security: Type.Optional(SecurityRequest), ...ProfileFields });
/** `NoIdProfileRequest` (PUT): security only by reference. */
export const NoIdProfileRequest = Type.Object({ security: Type.Optional(IdOnlySecurityRequest), ...ProfileFields });
export type ProfileRequest = Static<typeof ProfileRequest>;
export type NoIdProfileRequest = Static<typeof NoIdProfileRequest>;

const Criterion = Type.Object({ applicationId: Type.Optional(Str(0, 255)), entityId: Type.Optional(Str(0, 255)), callsConfigurationId: Type.Optional(Str(0, 255)) });
const SubscriptionFields = {
  name: Type.Optional(Str(1, 255)),
  /** Items are checked by `parseEvents`: a string or `{event, format}`. */
  events: Type.Array(Type.Unknown(), { maxItems: 255 }),
  criteria: Type.Optional(Type.Array(Criterion, { maxItems: 255 })),
  resources: Type.Optional(Type.Array(Str(0, 255), { maxItems: 255 })),
  users: Type.Optional(Type.Array(Str(0, 255), { maxItems: 255 })),
};
export const SubscriptionRequest = Type.Object({ subscriptionId: Id, profile: ProfileRequest, ...SubscriptionFields });
export const NoIdSubscriptionRequest = Type.Object({ profile: Type.Object({ profileId: Id }), ...SubscriptionFields });
export type SubscriptionRequest = Static<typeof SubscriptionRequest>;
export type NoIdSubscriptionRequest = Static<typeof NoIdSubscriptionRequest>;

export const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PAGE, default: 0 })),
  size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});
export type PageQuery = Static<typeof PageQuery>;
/** Repeatable filters (`?applicationId=a&applicationId=b`); a single value is coerced to a list. */
const Filter = (maxLength: number) => Type.Optional(Type.Array(Str(1, maxLength), { maxItems: 255 }));
export const SubscriptionListQuery = Type.Composite([
  PageQuery,
  Type.Object({ applicationId: Filter(255), entityId: Filter(255), callsConfigurationId: Filter(128), resource: Filter(255), user: Filter(255) }),
]);
export type SubscriptionListQuery = Static<typeof SubscriptionListQuery>;

export const ChannelParams = Type.Object({ channel: Enum(CHANNELS) });
export const SubscriptionParams = Type.Object({ channel: Enum(CHANNELS), subscriptionId: Type.String() });

/**
 * Infobip's services are Java: a JSON `null` is an absent field. Removing null-valued object
 * properties before validation gives the same here (and keeps Ajv from coercing null to "" or 0).
 * Nulls inside arrays stay, and are refused as the invalid items they are.
 */
export async function nullMeansAbsent(request: FastifyRequest): Promise<void> {
  const strip = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(strip);
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (record[key] === null) delete record[key];
      else strip(record[key]);
    }
  };
  strip(request.body);
}

// ---------------------------------------------------------------------------------------------
// Checks beyond the schemas
// ---------------------------------------------------------------------------------------------

/**
 * Ids appear in URL paths, so they must not need URL encoding: RFC 3986's unreserved characters
 * (letters, digits, `-`, `_`, `.`, `~`), and not `.` or `..`, which a client would resolve away.
 */
export function checkId(id: string, property: string, violations: Violation[]): void {
  if (!/^[A-Za-z0-9._~-]+$/.test(id) || id === '.' || id === '..') {
    violations.push({ property, violation: "must contain only letters, digits, '-', '_', '.' and '~' (no characters that need URL encoding)" });
  }
}

/**
 * Headers a profile (or an OAuth token request) cannot set: those that frame the request or
 * say what the body is, and the Standard Webhooks signature headers. `Authorization` may be
 * set; the profile's security settings replace it when they apply.
 */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Header names valid tokens, each once and not reserved; values free of line breaks and control characters (no header injection). */
export function checkHeaders(headers: Record<string, unknown>, prefix: string, violations: Violation[]): Record<string, string> {
  const out: Record<string, string> = {};
  const names = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const property = `${prefix}.${name}`;
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) violations.push({ property, violation: 'is not a valid HTTP header name' });
    else if (names.has(lower)) violations.push({ property, violation: 'is given twice (header names are case-insensitive)' });
    else if (RESERVED_HEADERS.has(lower) || lower.startsWith('webhook-')) violations.push({ property, violation: `header ${name} cannot be overridden` });
    else if (typeof value !== 'string') violations.push({ property, violation: 'must be a string' });
    else if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) violations.push({ property, violation: 'must not contain line breaks or other control characters' });
    else out[name] = value;
    names.add(lower);
  }
  return out;
}

function checkRegex(pattern: string | undefined, property: string, violations: Violation[]): void {
  if (pattern === undefined) return;
  try {
    new RegExp(pattern);
  } catch {
    violations.push({ property, violation: 'is not a valid regular expression' });
  }
}

/** A profile's fields (everything but its id and security) as stored; `webhook` is required (see README). */
export interface ProfileDefinition {
  notifyUrl: string;
  contentType: string;
  settings: ProfileSettings;
}

export const CONTENT_TYPES = ['application/json', 'application/xml'];

/**
 * Checks a profile's fields and returns them as stored. `webhook.notifyUrl` is required here
 * although the spec marks `webhook` optional: a profile is where events are pushed, and one without
 * a URL could deliver nothing. The URL's safety is checked separately (it may need DNS).
 */
export function checkProfileFields(body: NoIdProfileRequest, prefix: string, violations: Violation[]): ProfileDefinition {
  const notifyUrl = body.webhook?.notifyUrl ?? '';
  if (!body.webhook) violations.push({ property: `${prefix}webhook`, violation: 'must not be null' });
  else if (notifyUrl === '') violations.push({ property: `${prefix}webhook.notifyUrl`, violation: 'must not be blank' });
  let contentType = (body.webhook?.contentType ?? '').trim().toLowerCase();
  if (contentType === '') contentType = 'application/json';
  else if (!CONTENT_TYPES.includes(contentType)) violations.push({ property: `${prefix}webhook.contentType`, violation: `must be one of ${CONTENT_TYPES.join(', ')}` });
  checkRegex(body.responseRegex, `${prefix}responseRegex`, violations);
  checkRegex(body.responseBodyRegex, `${prefix}responseBodyRegex`, violations);
  const settings: ProfileSettings = {};
  if (body.maxBucketSize !== undefined) settings.maxBucketSize = body.maxBucketSize;
  if (body.windowSize !== undefined) settings.windowSize = body.windowSize;
  if (body.connectTimeout !== undefined) settings.connectTimeout = body.connectTimeout;
  if (body.readTimeout !== undefined) settings.readTimeout = body.readTimeout;
  if (body.rateLimit !== undefined) settings.rateLimit = body.rateLimit;
  if (body.headers !== undefined && Object.keys(body.headers).length > 0) settings.headers = checkHeaders(body.headers, `${prefix}headers`, violations);
  if (body.responseRegex !== undefined) settings.responseRegex = body.responseRegex;
  if (body.responseBodyRegex !== undefined) settings.responseBodyRegex = body.responseBodyRegex;
  if (body.enabledSSLProtocols !== undefined && body.enabledSSLProtocols.length > 0) settings.enabledSSLProtocols = [...body.enabledSSLProtocols];
  if (body.clientCertificateId !== undefined && body.clientCertificateId !== '') settings.clientCertificateId = body.clientCertificateId;
  return { notifyUrl, contentType, settings };
}

export const SECURITY_TYPES: readonly SecurityType[] = ['BASIC', 'HMAC', 'OAUTH'];
export const HMAC_ALGORITHMS = ['HMAC_MD5', 'HMAC_SHA_1', 'HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'];
/** Fields whose values are secrets: stored as given (the dispatcher signs with them), only ever answered masked. */
export const SECRET_FIELDS: Readonly<Record<SecurityType, readonly string[]>> = {
  BASIC: ['password'],
  HMAC: ['secretKey'],
  OAUTH: ['clientSecret', 'password', 'refreshToken'],
};

interface FieldRule {
  required?: boolean;
  min: number;
  max: number;
}
const CREDENTIAL_FIELDS: Readonly<Record<SecurityType, Readonly<Record<string, FieldRule>>>> = {
  BASIC: { username: { required: true, min: 1, max: 255 }, password: { required: true, min: 1, max: 255 } },
  HMAC: { secretKey: { required: true, min: 1, max: 255 }, algorithm: { required: true, min: 1, max: 255 } },
  OAUTH: {
    tokenUrl: { required: true, min: 1, max: 255 },
    grantType: { required: true, min: 1, max: 255 },
    clientId: { min: 0, max: 255 },
    clientSecret: { min: 0, max: 255 },
    scope: { min: 0, max: 255 },
    username: { min: 0, max: 255 },
    password: { min: 0, max: 255 },
    resource: { min: 0, max: 255 },
    refreshToken: { min: 0, max: 255 },
  },
};

export interface SecurityDefinition {
  type: SecurityType;
  credentials: Record<string, unknown>;
}

/**
 * Checks `type` + `credentials` and returns the credentials as stored: the type's fields only
 * (others are dropped); null when the type or the credentials are missing. Use the result only
 * once `violations` is known to be empty. `CUSTOM` has no payload in the spec and is refused. The OAuth `tokenUrl`'s
 * safety is checked separately. `keep(field)` gives the stored value of a secret field answered
 * masked, so that a GET → PUT round trip leaves secrets as they were (see views.ts).
 */
export function checkSecurityDefinition(
  body: { type?: string; credentials?: Record<string, unknown> },
  prefix: string,
  violations: Violation[],
  keep: (type: SecurityType, field: string, value: unknown) => unknown = (_t, _f, value) => value,
): SecurityDefinition | null {
  const before = violations.length;
  if (body.type === undefined) violations.push({ property: `${prefix}type`, violation: 'must not be null' });
  else if (body.type === 'CUSTOM') violations.push({ property: `${prefix}type`, violation: 'CUSTOM security settings are not supported; use BASIC, HMAC or OAUTH' });
  else if (!SECURITY_TYPES.includes(body.type as SecurityType)) violations.push({ property: `${prefix}type`, violation: `must be one of ${SECURITY_TYPES.join(', ')}` });
  if (body.credentials === undefined) violations.push({ property: `${prefix}credentials`, violation: 'must not be null' });
  if (violations.length > before) return null;
  const type = body.type as SecurityType;
  const given = body.credentials!;
  const credentials: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(CREDENTIAL_FIELDS[type])) {
    const property = `${prefix}credentials.${field}`;
    const value = keep(type, field, given[field]);
    if (value === undefined || value === null) {
      if (rule.required) violations.push({ property, violation: 'must not be null' });
      continue;
    }
    if (typeof value !== 'string') violations.push({ property, violation: 'must be a string' });
    else if (value.length < rule.min) violations.push({ property, violation: 'must not be blank' });
    else if (value.length > rule.max) violations.push({ property, violation: `size must be between ${rule.min} and ${rule.max}` });
    else credentials[field] = value;
  }
  if (type === 'HMAC' && typeof credentials.algorithm === 'string' && !HMAC_ALGORITHMS.includes(credentials.algorithm)) {
    violations.push({ property: `${prefix}credentials.algorithm`, violation: `must be one of ${HMAC_ALGORITHMS.join(', ')}` });
  }
  if (type === 'HMAC' && typeof credentials.secretKey === 'string') {
    const problem = secretKeyProblem(credentials.secretKey);
    if (problem) violations.push({ property: `${prefix}credentials.secretKey`, violation: problem });
  }
  const headers = type === 'OAUTH' ? keep(type, 'headers', given.headers) : undefined;
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) violations.push({ property: `${prefix}credentials.headers`, violation: 'must be an object of header names to values' });
    else if (Object.keys(headers).length > 0) credentials.headers = checkHeaders(headers as Record<string, unknown>, `${prefix}credentials.headers`, violations);
  }
  return { type, credentials };
}

/**
 * The `events` of a subscription as stored. Each item is an event name or `{event, format}`.
 * Events the channel does not have are ignored (dropped), as the spec says. A format is kept only
 * for the channel's format-aware events (`FormatAware<Channel>Events`); for any other event of
 * the channel the object form is accepted and stored as the plain event. An event listed twice is
 * stored once, with the first format given for it.
 */
export function parseEvents(channel: Channel, items: readonly unknown[], violations: Violation[]): SubscriptionEvent[] {
  const { events: known, formatAware } = CHANNEL_EVENTS[channel] as { events: readonly string[]; formatAware: readonly string[] };
  const out = new Map<string, SubscriptionEvent>();
  items.forEach((item, i) => {
    const property = `events[${i}]`;
    let event: string;
    let format: string | null = null;
    if (typeof item === 'string') {
      event = item;
    } else if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      const o = item as Record<string, unknown>;
      const bad = (field: string, value: unknown) => {
        if (value === undefined || value === null) violations.push({ property: `${property}.${field}`, violation: 'must not be null' });
        else if (typeof value !== 'string' || value.length === 0 || value.length > 255) violations.push({ property: `${property}.${field}`, violation: 'must be a string of 1 to 255 characters' });
        else return false;
        return true;
      };
      const badEvent = bad('event', o.event);
      const badFormat = bad('format', o.format);
      if (badEvent || badFormat) return;
      event = o.event as string;
      format = o.format as string;
    } else {
      violations.push({ property, violation: 'must be an event name or an object {event, format}' });
      return;
    }
    if (!known.includes(event)) return;
    if (!formatAware.includes(event)) format = null;
    const existing = out.get(event);
    if (!existing) out.set(event, { event, format });
    else if (existing.format === null && format !== null) existing.format = format;
  });
  return [...out.values()];
}

/** Criteria as stored: only the spec's three ids, and only those given. */
export const cleanCriteria = (criteria: readonly Criterion[] | undefined): Criterion[] =>
  (criteria ?? []).map((c) => ({
    ...(c.applicationId !== undefined ? { applicationId: c.applicationId } : {}),
    ...(c.entityId !== undefined ? { entityId: c.entityId } : {}),
    ...(c.callsConfigurationId !== undefined ? { callsConfigurationId: c.callsConfigurationId } : {}),
  }));

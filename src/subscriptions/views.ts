/**
 * Response bodies of the Subscriptions API, field for field as the spec's `SecurityResponse`,
 * `ProfileResponse`, `SubscriptionResponse` and their `IdOnly…` forms. Absent optional fields are
 * left out rather than sent as null.
 */
import type { Selectable } from 'kysely';
import type { NotificationProfilesTable, SecuritySettingsTable, SubscriptionsTable } from '../store/schema.ts';
import { profileFromRow, securityFromRow, subscriptionFromRow } from './model.ts';
import { credentialsForView } from './key-rotation.ts';
import { SECRET_FIELDS } from './request-schemas.ts';

/**
 * What a secret is answered as. Secrets (BASIC `password`, HMAC `secretKey`, OAUTH `clientSecret`,
 * `password`, `refreshToken`) and the values of OAUTH `headers` (which often carry a key for the
 * token endpoint) are stored in clear — the dispatcher needs them to sign — but never answered in
 * clear, not even right after creation (the spec's example answers them in clear; we don't). The
 * mask is a fixed string whatever the secret, so it tells nothing about the secret, not even its
 * length; an empty optional secret is answered as the empty string it is. Sending the mask back
 * unchanged in a PUT of the same type keeps the stored secret (GET → edit → PUT works).
 */
export const MASK = '********';

const mask = (value: unknown): unknown => (typeof value === 'string' && value !== '' ? MASK : value);

export function securityView(row: Selectable<SecuritySettingsTable>): Record<string, unknown> {
  const setting = securityFromRow(row);
  // A rotation's previous key and its expiry are Hookline's, not the spec's: never answered here.
  const credentials: Record<string, unknown> = credentialsForView(setting.credentials);
  for (const field of SECRET_FIELDS[setting.type] ?? []) if (field in credentials) credentials[field] = mask(credentials[field]);
  if (setting.type === 'OAUTH' && credentials.headers && typeof credentials.headers === 'object') {
    credentials.headers = Object.fromEntries(Object.entries(credentials.headers as Record<string, unknown>).map(([name, value]) => [name, mask(value)]));
  }
  return { authId: setting.authId, type: setting.type, credentials };
}

export const idOnlySecurity = (authId: string) => ({ authId });

/** `IdOnlyProfileResponse`: `{profileId, security: {authId}}`, without `security` when the profile has none. */
export const idOnlyProfile = (profileId: string, authId: string | null) => ({ profileId, ...(authId ? { security: { authId } } : {}) });

export function profileView(row: Selectable<NotificationProfilesTable>): Record<string, unknown> {
  const p = profileFromRow(row);
  const s = p.settings;
  const view: Record<string, unknown> = { profileId: p.profileId };
  if (p.notifyUrl !== null) view.webhook = { notifyUrl: p.notifyUrl, contentType: p.contentType ?? 'application/json' };
  if (p.authId) view.security = { authId: p.authId };
  const fields = ['clientCertificateId', 'maxBucketSize', 'windowSize', 'connectTimeout', 'readTimeout', 'enabledSSLProtocols', 'headers', 'responseRegex', 'responseBodyRegex', 'rateLimit'] as const;
  for (const field of fields) if (s[field] !== undefined) view[field] = s[field];
  return view;
}

/** `IdOnlySubscriptionResponse`. */
export const idOnlySubscription = (subscriptionId: string, profileId: string, authId: string | null) => ({ subscriptionId, profile: idOnlyProfile(profileId, authId) });

/** `SubscriptionResponse`; `authId` is that of the subscription's profile. Events without a format are plain strings. */
export function subscriptionView(row: Selectable<SubscriptionsTable>, authId: string | null): Record<string, unknown> {
  const s = subscriptionFromRow(row);
  return {
    subscriptionId: s.subscriptionId,
    ...(s.name !== null ? { name: s.name } : {}),
    profile: idOnlyProfile(s.profileId, authId),
    events: s.events.map((e) => (e.format === null ? e.event : { event: e.event, format: e.format })),
    criteria: s.criteria,
    resources: s.resources,
    users: s.users,
  };
}

export interface Paging {
  page: number;
  size: number;
  totalPages: number;
  totalResults: number;
}

export const paging = (page: number, size: number, totalResults: number): Paging => ({ page, size, totalPages: Math.ceil(totalResults / size), totalResults });

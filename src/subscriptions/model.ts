/** Subscriptions, notification profiles and security settings as the rest of Hookline sees them. */
import type { Selectable } from 'kysely';
import type { NotificationProfilesTable, SecuritySettingsTable, SubscriptionsTable } from '../store/schema.ts';

export interface SubscriptionEvent {
  event: string;
  format: string | null;
}

export interface Criterion {
  applicationId?: string;
  entityId?: string;
  callsConfigurationId?: string;
}

export interface Subscription {
  accountId: string;
  channel: string;
  subscriptionId: string;
  name: string | null;
  events: SubscriptionEvent[];
  criteria: Criterion[];
  resources: string[];
  users: string[];
  profileId: string;
}

/** Delivery settings of a profile (ranges as in the spec; absent means Hookline's defaults). */
export interface ProfileSettings {
  maxBucketSize?: number;
  windowSize?: number;
  connectTimeout?: number;
  readTimeout?: number;
  rateLimit?: number;
  headers?: Record<string, string>;
  /** Accepted and stored, not applied (see README). */
  responseRegex?: string;
  responseBodyRegex?: string;
  enabledSSLProtocols?: string[];
  clientCertificateId?: string;
}

export interface Profile {
  accountId: string;
  profileId: string;
  notifyUrl: string | null;
  contentType: string | null;
  authId: string | null;
  settings: ProfileSettings;
}

export type SecurityType = 'BASIC' | 'HMAC' | 'OAUTH';

export interface SecuritySetting {
  accountId: string;
  authId: string;
  type: SecurityType;
  credentials: Record<string, unknown>;
}

export const subscriptionFromRow = (row: Selectable<SubscriptionsTable>): Subscription => ({
  accountId: row.account_id,
  channel: row.channel,
  subscriptionId: row.subscription_id,
  name: row.name,
  events: JSON.parse(row.events),
  criteria: JSON.parse(row.criteria),
  resources: JSON.parse(row.resources),
  users: JSON.parse(row.users),
  profileId: row.profile_id,
});

export const profileFromRow = (row: Selectable<NotificationProfilesTable>): Profile => ({
  accountId: row.account_id,
  profileId: row.profile_id,
  notifyUrl: row.notify_url,
  contentType: row.content_type,
  authId: row.auth_id,
  settings: JSON.parse(row.settings),
});

export const securityFromRow = (row: Selectable<SecuritySettingsTable>): SecuritySetting => ({
  accountId: row.account_id,
  authId: row.auth_id,
  type: row.type as SecurityType,
  credentials: JSON.parse(row.credentials),
});


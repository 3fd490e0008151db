/**
 * Scope names a key or role may hold: every name in the `x-scopes` of Infobip's product specs,
 * the ones Infobip documents in its role tables, and Hookline's own. A grant outside this list is
 * a typo, so it is refused rather than stored.
 */

/** Every scope at once: the bootstrap key and the account admin role hold it. */
export const ALL_SCOPES = '*';

/** The 129 names found in `x-scopes` across Infobip's product specs. */
const INFOBIP_SPEC_SCOPES = [
  '2fa:manage', '2fa:pin:manage', '2fa:pin:send', 'account-management:manage', 'ai:read', 'answers:manage',
  'answers:testing', 'apple-mfb:logs:read', 'apple-mfb:manage', 'apple-mfb:message:send',
  'application-entity:manage', 'audit-logs:read', 'billing:usage:view', 'biometrics:manage', 'blocklist:manage',
  'calllink:configuration:manage', 'calllink:link:manage', 'calllink:manage', 'callrouting:manage',
  'calls:bulk:manage', 'calls:configuration:manage', 'calls:logs:read', 'calls:manage', 'calls:media:manage',
  'calls:recording:delete', 'calls:recording:read', 'calls:traffic:receive', 'calls:traffic:record',
  'calls:traffic:send', 'catalogs:manage', 'catalogs:read', 'catalogs:use', 'clicktocall:manage',
  'conversations:manage', 'conversations:read', 'email:logs:read', 'email:manage', 'email:message:send',
  'email:templates:manage', 'flow:manage', 'flow:read', 'flow:use', 'forms:manage', 'forms:read', 'forms:use',
  'inbound-message:read', 'instagram:logs:read', 'instagram:manage', 'instagram:message:send',
  'ivr:configuration:manage', 'ivr:manage', 'ivr:message:send', 'kakao:logs:read', 'kakao:manage',
  'kakao:message:send', 'knowledge-base:manage', 'knowledge-base:read', 'line:manage', 'line:message:send',
  'live-chat:manage', 'markuplanguage:manage', 'message:send', 'messages-api:manage', 'messages-api:message:send',
  'messenger:logs:read', 'messenger:manage', 'messenger:message:send', 'metrics:manage', 'mms:inbound-message:read',
  'mms:logs:read', 'mms:manage', 'mms:message:send', 'mobile-app-messaging:inbound-message:read',
  'mobile-app-messaging:logs:read', 'mobile-app-messaging:manage', 'mobile-app-messaging:send',
  'mobile-identity:manage', 'number-activation-state:read', 'number-lookup:logs:read', 'number-lookup:manage',
  'number-lookup:send', 'numbermasking:manage', 'numbers:manage', 'omni-failover:logs:read', 'omni-failover:manage',
  'omni-failover:message:send', 'people:manage', 'people:read', 'people:use', 'rcs:logs:read', 'rcs:manage',
  'rcs:message:send', 'rcs:provision', 'resource-request-hub:manage', 'resource-request-hub:read',
  'sending-strategy:manage', 'signals:manage', 'sms:inbound-message:read', 'sms:logs:read', 'sms:manage',
  'sms:message:send', 'subscriptions:manage', 'tiktok:logs:read', 'tiktok:manage', 'tiktok:message:send',
  'viber-bm:logs:read', 'viber-bm:manage', 'viber-bm:message:send', 'viber-bot:logs:read', 'viber-bot:manage',
  'viber-bot:message:send', 'voice-message:logs:read', 'voice-message:manage', 'voice-message:message:send',
  'voice-reports:read', 'voice:logs:read', 'voice:recording:manage', 'web:sdk', 'webrtc:configuration:manage',
  'webrtc:identity:manage', 'webrtc:manage', 'webrtc:media:manage', 'whatsapp:conversions',
  'whatsapp:inbound-message:read', 'whatsapp:manage', 'whatsapp:message:send', 'zalo:logs:read', 'zalo:manage',
  'zalo:message:send',
] as const;

/** Names Infobip documents in its role and scope tables without any spec operation naming them. */
const INFOBIP_DOCUMENTED_SCOPES = [
  '2fa:sdk', 'ai:agents:manage', 'ai:agents:query', 'ai:agents:view', 'branded-domains:manage', 'calls:read',
  'campaign-tags:manage', 'campaign-tags:view', 'content-messages:manage', 'content-messages:read',
  'error-codes:read', 'flow:control', 'google-bm:logs:read', 'google-bm:manage', 'google-bm:message:send',
  'insights:read', 'mcp:provision', 'mobile-app-messaging:sdk', 'moments:manage', 'moments:people:flow:manage',
  'number-risk-score:manage', 'numbers:recording:manage', 'onboarding:manage', 'rbm-maap:manage',
  'rbm-maap:message:send', 'saas:integrations:manage', 'saas:tiktok-ads:manage', 'voice:recording:delete',
  'voice:recording:read', 'web-push:manage', 'web-push:send', 'web:tracking:sdk', 'whatsapp:logs:read',
  'zalo-follower:manage',
] as const;

export const KNOWN_SCOPES: ReadonlySet<string> = new Set<string>([ALL_SCOPES, ...INFOBIP_SPEC_SCOPES, ...INFOBIP_DOCUMENTED_SCOPES]);

/** Infobip's any-of rule: one accepted scope held is enough. */
export function holdsAnyScope(held: ReadonlySet<string>, accepted: readonly string[]): boolean {
  if (held.has(ALL_SCOPES)) return true;
  return accepted.some((scope) => held.has(scope));
}

/** Whether `held` covers every scope in `wanted` (no one grants what they do not hold). */
export function coversScopes(held: ReadonlySet<string>, wanted: readonly string[]): boolean {
  return held.has(ALL_SCOPES) || wanted.every((scope) => held.has(scope));
}

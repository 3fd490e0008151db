/**
 * Built-in roles, modelled on Infobip's (its full role tables are not published, so the scope
 * sets are ours, documented in the README). Custom roles live in the `roles` table per account.
 */
import { ALL_SCOPES } from './scopes.ts';

export interface RoleDefinition {
  id: string;
  name: string;
  scopes: readonly string[];
}

export const ACCOUNT_ADMIN_ROLE = 'ACCOUNT_ADMIN';

export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
  { id: ACCOUNT_ADMIN_ROLE, name: 'Account admin', scopes: [ALL_SCOPES] },
  {
    id: 'INTEGRATIONS_MANAGER',
    name: 'Integrations manager',
    scopes: ['account-management:manage', 'subscriptions:manage', 'message:send', 'inbound-message:read', 'sms:manage', 'sms:logs:read', 'messages-api:manage', 'whatsapp:manage', 'email:manage'],
  },
  {
    id: 'COMMUNICATION_MANAGER',
    name: 'Communication manager',
    scopes: [
      'message:send', 'inbound-message:read', 'sms:manage', 'sms:logs:read', 'messages-api:manage', 'whatsapp:manage', 'whatsapp:logs:read',
      'email:manage', 'email:logs:read', 'viber-bm:manage', 'viber-bm:logs:read', 'rcs:manage', 'rcs:logs:read',
    ],
  },
  {
    id: 'REPORTING',
    name: 'Reporting (read-only)',
    scopes: ['sms:logs:read', 'whatsapp:logs:read', 'email:logs:read', 'viber-bm:logs:read', 'rcs:logs:read', 'audit-logs:read', 'billing:usage:view'],
  },
];

export const BUILT_IN_ROLE_BY_ID: ReadonlyMap<string, RoleDefinition> = new Map(BUILT_IN_ROLES.map((r) => [r.id, r]));

/**
 * Who may read which messages in Hookline's own views (the message log, the live view, the
 * console): per API family, Infobip's logs scope for the channel or its manage scope. The
 * Messages API publishes no logs endpoint, so its manage scope stands for reading.
 */
import type { ApiFamily } from '../store/schema.ts';
import type { Principal } from './principal.ts';
import { holdsAnyScope } from './scopes.ts';

export const FAMILY_READ_SCOPES: Readonly<Record<ApiFamily, readonly string[]>> = {
  'sms-v2': ['sms:logs:read', 'sms:manage'],
  'sms-v3': ['sms:logs:read', 'sms:manage'],
  'messages-api': ['messages-api:manage'],
  whatsapp: ['whatsapp:logs:read', 'whatsapp:manage'],
  email: ['email:logs:read', 'email:manage'],
};

/** Any one of these lets a caller into a message view; what it then sees is filtered by readableFamilies. */
export const MESSAGE_READ_SCOPES: readonly string[] = [...new Set(Object.values(FAMILY_READ_SCOPES).flat())];

/** The families whose messages and reports the principal may read. */
export function readableFamilies(principal: Principal): ApiFamily[] {
  return (Object.keys(FAMILY_READ_SCOPES) as ApiFamily[]).filter((family) => holdsAnyScope(principal.scopes, FAMILY_READ_SCOPES[family]));
}

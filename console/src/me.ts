/** The signed-in user and what their role's scopes let them see and do in the console. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from './types.ts';

export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in console');
  return me;
}

/** Infobip's any-of rule, as the server applies it (src/auth/scopes.ts). */
export const holdsAny = (me: Me, scopes: readonly string[]): boolean => me.scopes.includes('*') || scopes.some((s) => me.scopes.includes(s));

/** The console's sections and the scopes their APIs accept (src/auth/route-policy.ts), from the server's own lists. */
export { MESSAGE_READ_SCOPES } from '../../src/auth/readable-families.ts';
export const WEBHOOK_SCOPES = ['subscriptions:manage'];
export const ACCOUNT_SCOPES = ['account-management:manage'];

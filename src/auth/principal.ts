import { ALL_SCOPES } from './scopes.ts';

/** Who is calling: the account every row they touch belongs to, and what they may do. */
export type Scheme = 'app' | 'basic' | 'ibsso' | 'bearer';

export interface Principal {
  accountId: string;
  scheme: Scheme;
  /** The credential that authenticated the request: an API key id, or the user's id. */
  credentialId: string;
  /** The user behind the request: the signed-in user, or an API key's owner (null for bootstrap keys). */
  userId: string | null;
  /** That user's name (subscriptions match messages by it). */
  username: string | null;
  scopes: ReadonlySet<string>;
}

/** The operator's account: created at first start; its admins manage the other accounts. */
export const DEFAULT_ACCOUNT_ID = 'default';

/** The operator: a principal of the default account holding every scope (an account admin). */
export const isOperator = (principal: Principal): boolean => principal.accountId === DEFAULT_ACCOUNT_ID && principal.scopes.has(ALL_SCOPES);

/** Whether a principal may see and change an account's data: its own; the operator every one. */
export const canActOnAccount = (principal: Principal, accountId: string): boolean => accountId === principal.accountId || isOperator(principal);

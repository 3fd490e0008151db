/** Which accounts a principal may see in the admin API: its own; the operator every one. */
import { ApiError } from '../http/errors.ts';
import { isOperator, type Principal } from '../auth/principal.ts';

export const canSeeAccount = (principal: Principal, accountId: string): boolean => accountId === principal.accountId || isOperator(principal);

/** The account a request targets: `accountId` if given and visible (else as if it did not exist), or the caller's. */
export function targetAccount(principal: Principal, accountId: string | undefined): string {
  if (accountId === undefined) return principal.accountId;
  if (!canSeeAccount(principal, accountId)) throw new ApiError('NOT_FOUND');
  return accountId;
}

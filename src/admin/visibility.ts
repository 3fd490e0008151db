/** The account an admin request targets (see canActOnAccount). */
import { ApiError } from '../http/errors.ts';
import { canActOnAccount, type Principal } from '../auth/principal.ts';

/** The account a request targets: `accountId` if given and visible (else as if it did not exist), or the caller's. */
export function targetAccount(principal: Principal, accountId: string | undefined): string {
  if (accountId === undefined) return principal.accountId;
  if (!canActOnAccount(principal, accountId)) throw new ApiError('NOT_FOUND');
  return accountId;
}

/** The account an admin request targets (see canActOnAccount). */
import type { Kysely } from 'kysely';
import { ApiError } from '../http/errors.ts';
import type { Database } from '../store/schema.ts';
import { canActOnAccount, type Principal } from '../auth/principal.ts';

/** The account a request targets: `accountId` if given and visible (else as if it did not exist), or the caller's. */
export function targetAccount(principal: Principal, accountId: string | undefined): string {
  if (accountId === undefined) return principal.accountId;
  if (!canActOnAccount(principal, accountId)) throw new ApiError('NOT_FOUND');
  return accountId;
}

export async function accountExists(db: Kysely<Database>, accountId: string): Promise<boolean> {
  return (await db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst()) !== undefined;
}

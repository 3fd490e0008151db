/**
 * Which webhook targets an account may act on (recover, re-enable), named the way operators name
 * them: a per-message URL (`url`) or a notification profile (`profileId`), exactly one of the two.
 *
 * A profile target belongs to the account by construction (`profile:<account>/<id>`). A URL is
 * not owned by anyone — two accounts may use the same notifyUrl — so an account "has" a URL
 * target when it has deliveries to it; that is also what keeps one account from learning about,
 * or acting on, URLs only another account uses.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { ApiError, badRequest } from '../http/errors.ts';
import type { Database } from '../store/schema.ts';
import { PROFILE_TARGET_PREFIX, profileTarget } from '../webhooks/targets.ts';

export const targetFields = {
  url: Type.Optional(
    Type.String({ minLength: 1, maxLength: 4096, description: 'A per-message webhook URL (notifyUrl, webhooks.delivery.url, trackingUrl), exactly as given. Give this or `profileId`, not both.' }),
  ),
  profileId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'A notification profile of the account (its subscriptions\' webhooks). Give this or `url`, not both.' })),
};
export const TargetRequest = Type.Object(targetFields);
export type TargetRequest = Static<typeof TargetRequest>;

/**
 * The stored target `url` or `profileId` names (profiles are per account), or undefined when
 * neither is given (a list without a target filter); 400 when both are.
 */
export function namedTarget(accountId: string, request: TargetRequest): string | undefined {
  const { url, profileId } = request;
  if (url !== undefined && profileId !== undefined) throw badRequest([{ property: 'profileId', violation: 'give url or profileId, not both' }]);
  if (profileId !== undefined) return profileTarget(accountId, profileId);
  // Profile targets are addressed by profileId; a URL spelt like one would only confuse.
  if (url?.startsWith(PROFILE_TARGET_PREFIX)) throw badRequest([{ property: 'url', violation: 'is not a webhook URL (name notification profiles with profileId)' }]);
  return url;
}

/** The stored target a request names: 400 unless exactly one of `url`, `profileId` is given. */
export function requestedTarget(accountId: string, request: TargetRequest): string {
  const target = namedTarget(accountId, request);
  if (target === undefined) throw badRequest([{ property: 'url', violation: 'give exactly one of url and profileId' }]);
  return target;
}

/** Whether the account has deliveries to the target (uses the (target_url, created_at) index). */
export async function hasDeliveriesTo(db: Kysely<Database>, accountId: string, target: string): Promise<boolean> {
  const row = await db.selectFrom('deliveries').select('id').where('target_url', '=', target).where('account_id', '=', accountId).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function profileExists(db: Kysely<Database>, accountId: string, profileId: string): Promise<boolean> {
  const row = await db.selectFrom('notification_profiles').select('profile_id').where('account_id', '=', accountId).where('profile_id', '=', profileId).executeTakeFirst();
  return row !== undefined;
}

/**
 * The target a request names, checked to be the account's: a profile it has, or a URL it has
 * deliveries to; 404 otherwise (another account's targets look the same as none). A profile that
 * was deleted but still has deliveries answers 400 with the reason: nothing can be sent to it.
 */
export async function accountTarget(db: Kysely<Database>, accountId: string, request: TargetRequest): Promise<string> {
  const target = requestedTarget(accountId, request);
  if (request.profileId !== undefined) {
    if (await profileExists(db, accountId, request.profileId)) return target;
    if (await hasDeliveriesTo(db, accountId, target)) {
      throw badRequest(
        [{ property: 'profileId', violation: `notification profile ${request.profileId} was deleted; its deliveries have nowhere to go` }],
        `Notification profile ${request.profileId} no longer exists, so its deliveries cannot be sent. Create the profile again (same profileId) to recover them.`,
      );
    }
    throw new ApiError('NOT_FOUND', { text: `No notification profile ${request.profileId} in this account.` });
  }
  if (!(await hasDeliveriesTo(db, accountId, target))) throw new ApiError('NOT_FOUND', { text: 'This account has no deliveries to that URL.' });
  return target;
}

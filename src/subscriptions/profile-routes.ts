/**
 * Notification profiles: `GET/POST /subscriptions/1/profiles`,
 * `GET/PUT/DELETE /subscriptions/1/profiles/{profileId}`. A new profile may bring new security
 * settings (created in the same transaction) or reference existing ones by `authId`; a PUT only
 * references. A profile still used by a subscription, or that is the account's operations profile
 * (`/hookline/1/operations-profile`), is not deleted (409).
 */
import type { FastifyInstance } from 'fastify';
import { ApiError, type Violation } from '../http/errors.ts';
import { applySecurityPlan, checkUrl, conflict, findProfile, insertProfile, throwIfAny, write, type SecurityPlan, type SubscriptionApiDeps } from './persistence.ts';
import {
  checkId,
  checkProfileFields,
  checkSecurityDefinition,
  NoIdProfileRequest,
  nullMeansAbsent,
  PageQuery,
  ProfileRequest,
  type ProfileDefinition,
} from './request-schemas.ts';
import { checkSecurityUrls, usersText } from './security-routes.ts';
import { idOnlyProfile, paging, profileView } from './views.ts';

type Params = { profileId: string };

/**
 * Checks a new profile (POST, or inline in a new subscription; `prefix` is `''` or `'profile.'`),
 * its URLs included, and says how its security is to be set up: `security` with only `authId`
 * references existing settings; with `type`/`credentials` it defines new ones.
 */
export async function checkNewProfile(
  body: ProfileRequest,
  prefix: string,
  deps: SubscriptionApiDeps,
  violations: Violation[],
): Promise<{ definition: ProfileDefinition; security: SecurityPlan }> {
  checkId(body.profileId, `${prefix}profileId`, violations);
  const definition = checkProfileFields(body, prefix, violations);
  await checkUrl(definition.notifyUrl, `${prefix}webhook.notifyUrl`, deps.targetPolicy, violations);
  let security: SecurityPlan = { kind: 'none' };
  if (body.security) {
    const s = body.security;
    const securityPrefix = `${prefix}security.`;
    checkId(s.authId, `${securityPrefix}authId`, violations);
    if (s.type === undefined && s.credentials === undefined) {
      security = { kind: 'reference', authId: s.authId, property: `${securityPrefix}authId` };
    } else {
      const securityDefinition = checkSecurityDefinition(s, securityPrefix, violations);
      await checkSecurityUrls(securityDefinition, securityPrefix, deps, violations);
      if (securityDefinition) security = { kind: 'new', authId: s.authId, definition: securityDefinition };
    }
  }
  return { definition, security };
}

export function registerProfileRoutes(app: FastifyInstance, deps: SubscriptionApiDeps): void {
  const { db, clock } = deps;

  app.get<{ Querystring: PageQuery }>('/subscriptions/1/profiles', { schema: { querystring: PageQuery } }, async (request) => {
    const accountId = request.principal.accountId;
    const page = request.query.page ?? 0;
    const size = request.query.size ?? 20;
    const [rows, total] = await Promise.all([
      db
        .selectFrom('notification_profiles')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at', 'desc')
        .orderBy('profile_id')
        .limit(size)
        .offset(page * size)
        .execute(),
      db.selectFrom('notification_profiles').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow(),
    ]);
    return { results: rows.map(profileView), paging: paging(page, size, Number(total.n)) };
  });

  app.post<{ Body: ProfileRequest }>('/subscriptions/1/profiles', { schema: { body: ProfileRequest }, preValidation: nullMeansAbsent }, async (request, reply) => {
    const { body } = request;
    const accountId = request.principal.accountId;
    const violations: Violation[] = [];
    const { definition, security } = await checkNewProfile(body, '', deps, violations);
    throwIfAny(violations);
    const authId = await write(deps, (trx) => insertProfile(trx, accountId, body.profileId, definition, security, clock.now()));
    return reply.status(201).header('location', `/subscriptions/1/profiles/${body.profileId}`).send(idOnlyProfile(body.profileId, authId));
  });

  app.get<{ Params: Params }>('/subscriptions/1/profiles/:profileId', async (request) => {
    const row = await findProfile(db, request.principal.accountId, request.params.profileId);
    if (!row) throw new ApiError('NOT_FOUND');
    return profileView(row);
  });

  /** Replaces the whole profile: fields left out are cleared (security included). */
  app.put<{ Params: Params; Body: NoIdProfileRequest }>('/subscriptions/1/profiles/:profileId', { schema: { body: NoIdProfileRequest }, preValidation: nullMeansAbsent }, async (request) => {
    const { body } = request;
    const accountId = request.principal.accountId;
    const { profileId } = request.params;
    if (!(await findProfile(db, accountId, profileId))) throw new ApiError('NOT_FOUND');
    const violations: Violation[] = [];
    const definition = checkProfileFields(body, '', violations);
    await checkUrl(definition.notifyUrl, 'webhook.notifyUrl', deps.targetPolicy, violations);
    if (body.security) checkId(body.security.authId, 'security.authId', violations);
    throwIfAny(violations);
    const security: SecurityPlan = body.security ? { kind: 'reference', authId: body.security.authId, property: 'security.authId' } : { kind: 'none' };
    const authId = await write(deps, async (trx) => {
      const authId = await applySecurityPlan(trx, accountId, security, clock.now());
      const updated = await trx
        .updateTable('notification_profiles')
        .set({ notify_url: definition.notifyUrl, content_type: definition.contentType, auth_id: authId, settings: JSON.stringify(definition.settings), updated_at: clock.now() })
        .where('account_id', '=', accountId)
        .where('profile_id', '=', profileId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw new ApiError('NOT_FOUND');
      return authId;
    });
    return idOnlyProfile(profileId, authId);
  });

  app.delete<{ Params: Params }>('/subscriptions/1/profiles/:profileId', async (request) => {
    const accountId = request.principal.accountId;
    const { profileId } = request.params;
    const authId = await write(deps, async (trx) => {
      // Deleted first, then checked for users: see persistence.ts on why this order.
      const deleted = await trx.deleteFrom('notification_profiles').where('account_id', '=', accountId).where('profile_id', '=', profileId).returning('auth_id').executeTakeFirst();
      if (!deleted) throw new ApiError('NOT_FOUND');
      const users = await trx
        .selectFrom('subscriptions')
        .select(['channel', 'subscription_id'])
        .where('account_id', '=', accountId)
        .where('profile_id', '=', profileId)
        .orderBy('channel')
        .orderBy('subscription_id')
        .limit(11)
        .execute();
      if (users.length > 0) throw conflict(`Notification profile ${profileId} is used by subscriptions: ${usersText(users.map((u) => `${u.channel}/${u.subscription_id}`))}.`);
      // Nor is the operations profile: its events would silently stop (operations-profile-routes.ts).
      const operations = await trx.selectFrom('accounts').select('id').where('id', '=', accountId).where('operations_profile_id', '=', profileId).executeTakeFirst();
      if (operations) throw conflict(`Notification profile ${profileId} receives the account's operational events; set another one (PUT /hookline/1/operations-profile) first.`);
      return deleted.auth_id;
    });
    return idOnlyProfile(profileId, authId);
  });
}

/**
 * Subscriptions per channel: `GET/POST /subscriptions/1/subscription/{channel}`,
 * `GET/PUT/DELETE /subscriptions/1/subscription/{channel}/{subscriptionId}`.
 *
 * A new subscription's `profile` references an existing profile when one with that `profileId`
 * exists in the account (its other fields are then ignored, as the spec says); otherwise it is a
 * new profile, created with its security settings in the subscription's transaction. A `profile`
 * of just an unknown `profileId` is a 400 on `profile.profileId`. A PUT only references.
 *
 * The list's filters (`applicationId`, `entityId`, `callsConfigurationId`, `resource`, `user`,
 * each repeatable) search what the subscriptions list: a value matches a subscription that names
 * it (in one of its criteria, its `resources`, its `users`); repeated values of one parameter are
 * alternatives, different parameters must all match (AND, as the spec says). A subscription with
 * an empty list matches every event but names nothing, so a filter on that list does not find it.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely, Selectable } from 'kysely';
import { ApiError, type Violation } from '../http/errors.ts';
import type { Database, SubscriptionsTable } from '../store/schema.ts';
import type { Channel } from './channels.ts';
import { subscriptionFromRow } from './model.ts';
import { conflict, createdAt, findProfile, insertProfile, lockProfile, throwIfAny, write, type Trx, type SubscriptionApiDeps } from './persistence.ts';
import { checkNewProfile } from './profile-routes.ts';
import {
  ChannelParams,
  checkId,
  cleanCriteria,
  NoIdSubscriptionRequest,
  nullMeansAbsent,
  parseEvents,
  SubscriptionListQuery,
  SubscriptionParams,
  SubscriptionRequest,
} from './request-schemas.ts';
import { idOnlySubscription, paging, subscriptionView } from './views.ts';

type ListParams = { channel: Channel };
type ItemParams = { channel: Channel; subscriptionId: string };

type Row = Selectable<SubscriptionsTable> & { auth_id: string | null };

/** An account's subscriptions with their profile's security id, newest first. */
function selectSubscriptions(db: Kysely<Database> | Trx, accountId: string, channel: string) {
  return db
    .selectFrom('subscriptions as s')
    .leftJoin('notification_profiles as p', (join) => join.onRef('p.account_id', '=', 's.account_id').onRef('p.profile_id', '=', 's.profile_id'))
    .selectAll('s')
    .select('p.auth_id')
    .where('s.account_id', '=', accountId)
    .where('s.channel', '=', channel);
}

const findSubscription = (db: Kysely<Database> | Trx, accountId: string, channel: string, subscriptionId: string): Promise<Row | undefined> =>
  selectSubscriptions(db, accountId, channel).where('s.subscription_id', '=', subscriptionId).executeTakeFirst();

function filterMatches(row: Row, query: SubscriptionListQuery): boolean {
  const s = subscriptionFromRow(row);
  const named = (values: string[] | undefined, listed: readonly (string | undefined)[]) => !values || values.length === 0 || values.some((v) => listed.includes(v));
  return (
    named(query.applicationId, s.criteria.map((c) => c.applicationId)) &&
    named(query.entityId, s.criteria.map((c) => c.entityId)) &&
    named(query.callsConfigurationId, s.criteria.map((c) => c.callsConfigurationId)) &&
    named(query.resource, s.resources) &&
    named(query.user, s.users)
  );
}

/** The stored form of the fields a POST and a PUT share (a PUT replaces them all: omitted lists are cleared). */
function storedFields(channel: Channel, body: SubscriptionRequest | NoIdSubscriptionRequest, violations: Violation[]) {
  return {
    name: body.name ?? null,
    events: JSON.stringify(parseEvents(channel, body.events, violations)),
    criteria: JSON.stringify(cleanCriteria(body.criteria)),
    resources: JSON.stringify(body.resources ?? []),
    users: JSON.stringify(body.users ?? []),
  };
}

export function registerChannelSubscriptionRoutes(app: FastifyInstance, deps: SubscriptionApiDeps): void {
  const { db, clock } = deps;

  app.get<{ Params: ListParams; Querystring: SubscriptionListQuery }>(
    '/subscriptions/1/subscription/:channel',
    { schema: { params: ChannelParams, querystring: SubscriptionListQuery } },
    async (request) => {
      const { query } = request;
      const page = query.page ?? 0;
      const size = query.size ?? 20;
      const rows = await selectSubscriptions(db, request.principal.accountId, request.params.channel).orderBy('s.created_at', 'desc').orderBy('s.subscription_id').execute();
      const matching = rows.filter((row) => filterMatches(row, query));
      return { results: matching.slice(page * size, (page + 1) * size).map((row) => subscriptionView(row, row.auth_id)), paging: paging(page, size, matching.length) };
    },
  );

  app.post<{ Params: ListParams; Body: SubscriptionRequest }>(
    '/subscriptions/1/subscription/:channel',
    { schema: { params: ChannelParams, body: SubscriptionRequest }, preValidation: nullMeansAbsent },
    async (request, reply) => {
      const { body } = request;
      const { channel } = request.params;
      const accountId = request.principal.accountId;
      const violations: Violation[] = [];
      checkId(body.subscriptionId, 'subscriptionId', violations);
      const fields = storedFields(channel, body, violations);
      const { profileId } = body.profile;
      let newProfile: Awaited<ReturnType<typeof checkNewProfile>> | null = null;
      if (!(await findProfile(db, accountId, profileId))) {
        if (Object.keys(body.profile).some((key) => key !== 'profileId')) newProfile = await checkNewProfile(body.profile, 'profile.', deps, violations);
        else violations.push({ property: 'profile.profileId', violation: `no notification profile with id ${profileId} (to create one, give its webhook)` });
      }
      throwIfAny(violations);
      const authId = await write(deps, async (trx) => {
        const now = clock.now();
        if (await findSubscription(trx, accountId, channel, body.subscriptionId)) throw conflict(`Subscription ${body.subscriptionId} already exists for ${channel}.`);
        const authId = newProfile
          ? await insertProfile(trx, accountId, profileId, newProfile.definition, newProfile.security, now)
          : (await lockProfile(trx, accountId, profileId, 'profile.profileId')).authId;
        await trx
          .insertInto('subscriptions')
          .values({ account_id: accountId, channel, subscription_id: body.subscriptionId, ...fields, profile_id: profileId, created_at: await createdAt(trx, 'subscriptions', accountId, now), updated_at: now })
          .execute();
        return authId;
      });
      return reply
        .status(201)
        .header('location', `/subscriptions/1/subscription/${channel}/${body.subscriptionId}`)
        .send(idOnlySubscription(body.subscriptionId, profileId, authId));
    },
  );

  app.get<{ Params: ItemParams }>('/subscriptions/1/subscription/:channel/:subscriptionId', { schema: { params: SubscriptionParams } }, async (request) => {
    const { channel, subscriptionId } = request.params;
    const row = await findSubscription(db, request.principal.accountId, channel, subscriptionId);
    if (!row) throw new ApiError('NOT_FOUND');
    return subscriptionView(row, row.auth_id);
  });

  app.put<{ Params: ItemParams; Body: NoIdSubscriptionRequest }>(
    '/subscriptions/1/subscription/:channel/:subscriptionId',
    { schema: { params: SubscriptionParams, body: NoIdSubscriptionRequest }, preValidation: nullMeansAbsent },
    async (request) => {
      const { body } = request;
      const { channel, subscriptionId } = request.params;
      const accountId = request.principal.accountId;
      if (!(await findSubscription(db, accountId, channel, subscriptionId))) throw new ApiError('NOT_FOUND');
      const violations: Violation[] = [];
      const fields = storedFields(channel, body, violations);
      throwIfAny(violations);
      const { profileId } = body.profile;
      const authId = await write(deps, async (trx) => {
        const { authId } = await lockProfile(trx, accountId, profileId, 'profile.profileId');
        const updated = await trx
          .updateTable('subscriptions')
          .set({ ...fields, profile_id: profileId, updated_at: clock.now() })
          .where('account_id', '=', accountId)
          .where('channel', '=', channel)
          .where('subscription_id', '=', subscriptionId)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) throw new ApiError('NOT_FOUND');
        return authId;
      });
      return idOnlySubscription(subscriptionId, profileId, authId);
    },
  );

  app.delete<{ Params: ItemParams }>('/subscriptions/1/subscription/:channel/:subscriptionId', { schema: { params: SubscriptionParams } }, async (request) => {
    const { channel, subscriptionId } = request.params;
    const accountId = request.principal.accountId;
    const deleted = await write(deps, async (trx) => {
      const row = await findSubscription(trx, accountId, channel, subscriptionId);
      if (!row) throw new ApiError('NOT_FOUND');
      await trx.deleteFrom('subscriptions').where('account_id', '=', accountId).where('channel', '=', channel).where('subscription_id', '=', subscriptionId).execute();
      return row;
    });
    return idOnlySubscription(subscriptionId, deleted.profile_id, deleted.auth_id);
  });
}

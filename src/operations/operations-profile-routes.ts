/**
 * `/hookline/1/operations-profile`: which of the account's notification profiles receives
 * Hookline's own operational events (`webhook.target.failing`, `webhook.delivery.dropped`,
 * `webhook.target.recovered`; written by the dispatcher, see webhooks/operational-events.ts).
 *
 * The setting is routing data like subscriptions, so it is written through the subscriptions
 * module's `write`: after the commit every process's SubscriptionDirectory reloads the account.
 * The profile is row-locked while the setting is written (the same no-op UPDATE the Subscriptions
 * API uses for references), and deleting a profile that is the operations profile is refused
 * (409, profile-routes.ts): the two cannot race into a setting that names nothing.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { lockProfile, write, type SubscriptionApiDeps } from '../subscriptions/persistence.ts';

const OperationsProfile = Type.Object({
  // `nullable` rather than a union with null: Fastify's type coercion would turn "" into null
  // through the union's null branch, and an empty id would silently clear the setting.
  profileId: Type.Unsafe<string | null>({
    type: 'string',
    nullable: true,
    minLength: 1,
    maxLength: 255,
    description: "The notification profile (of this account) that receives Hookline's operational events, or null for none.",
  }),
});
type OperationsProfile = Static<typeof OperationsProfile>;

export function registerOperationsProfileRoutes(app: FastifyInstance, deps: SubscriptionApiDeps): void {
  const { db } = deps;

  app.get('/hookline/1/operations-profile', { schema: { description: "The notification profile that receives the account's operational events (null: none)." } }, async (request) => {
    const row = await db.selectFrom('accounts').select('operations_profile_id').where('id', '=', request.principal.accountId).executeTakeFirst();
    return { profileId: row?.operations_profile_id ?? null };
  });

  app.put<{ Body: OperationsProfile }>(
    '/hookline/1/operations-profile',
    {
      schema: {
        description:
          'Set the notification profile that receives webhook.target.failing, webhook.delivery.dropped and webhook.target.recovered events (null: none). No event is raised about that profile\'s own target.',
        body: OperationsProfile,
      },
    },
    async (request) => {
      const accountId = request.principal.accountId;
      const { profileId } = request.body;
      await write(deps, async (trx) => {
        // Locks the profile until commit, so a concurrent delete sees this setting (and refuses); 400 if unknown.
        if (profileId !== null) await lockProfile(trx, accountId, profileId, 'profileId');
        await trx.updateTable('accounts').set({ operations_profile_id: profileId }).where('id', '=', accountId).execute();
      });
      return { profileId };
    },
  );
}

/**
 * The Subscriptions Management API (infobip-subscriptions-api-openapi.json), per account
 * (`request.principal.accountId`; another account's ids answer 404 as if they did not exist),
 * scope `subscriptions:manage` (route-policy.ts), errors in the legacy envelope with
 * `validationErrors`. Every committed write calls `directory.changed()` (persistence.ts).
 *
 *  - security-routes.ts      `/subscriptions/1/security[/{authId}]`
 *  - rotation-routes.ts      `/hookline/1/security/{authId}/rotate` (Hookline's: HMAC key rotation, v3 envelope)
 *  - profile-routes.ts       `/subscriptions/1/profiles[/{profileId}]`
 *  - subscription-routes.ts  `/subscriptions/1/subscription/{channel}[/{subscriptionId}]`
 *  - request-schemas.ts (what is accepted), views.ts (what is answered), persistence.ts (writes).
 *
 * Certificates (`/subscriptions/1/certificates…`) are not built yet (README, "Not yet modelled");
 * `clientCertificateId` is stored as given.
 */
import type { FastifyInstance } from 'fastify';
import type { SubscriptionApiDeps } from './persistence.ts';
import { registerProfileRoutes } from './profile-routes.ts';
import { registerRotationRoutes } from './rotation-routes.ts';
import { registerSecurityRoutes } from './security-routes.ts';
import { registerChannelSubscriptionRoutes } from './subscription-routes.ts';

export type { SubscriptionApiDeps } from './persistence.ts';

export function registerSubscriptionRoutes(app: FastifyInstance, deps: SubscriptionApiDeps): void {
  registerSecurityRoutes(app, deps);
  registerRotationRoutes(app, deps);
  registerProfileRoutes(app, deps);
  registerChannelSubscriptionRoutes(app, deps);
}

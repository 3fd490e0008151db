/**
 * `POST /hookline/1/security/{authId}/rotate`: a new signing key for HMAC security settings (the
 * same `authId` as `/subscriptions/1/security/{authId}`), with an overlap during which every
 * webhook carries both signatures, so receivers can move to the new key without refusing a
 * request. Hookline's own API, so the v3 error envelope; scope as the Subscriptions API.
 *
 * The new key is answered once, here; afterwards it is only ever answered masked, as every secret
 * of the Subscriptions API (views.ts). The write goes through `write`, so every process's
 * directory drops its cached settings after the commit and the next attempt signs with the new key.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest } from '../http/errors.ts';
import { formatInfobipTime } from '../lib/infobip-time.ts';
import { secretKeyProblem } from '../webhooks/security.ts';
import { DEFAULT_OVERLAP_SECONDS, generateSecretKey, MAX_OVERLAP_SECONDS, rotatedCredentials } from './key-rotation.ts';
import { lockedSecurity, write, type SubscriptionApiDeps } from './persistence.ts';

const RotateParams = Type.Object({ authId: Type.String({ minLength: 1, maxLength: 255 }) });
const RotateRequest = Type.Object({
  /** The new key; a `whsec_` key of 32 random bytes is generated when absent. Same rules as `credentials.secretKey`. */
  secretKey: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  /** How long the replaced key still signs; 0 switches at once. */
  overlapSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OVERLAP_SECONDS, default: DEFAULT_OVERLAP_SECONDS })),
});
type RotateParams = Static<typeof RotateParams>;
type RotateRequest = Static<typeof RotateRequest>;

export function registerRotationRoutes(app: FastifyInstance, deps: SubscriptionApiDeps): void {
  app.post<{ Params: RotateParams; Body: RotateRequest }>(
    '/hookline/1/security/:authId/rotate',
    // Everything in the body is optional, so no body at all means the defaults.
    { schema: { params: RotateParams, body: RotateRequest }, preValidation: async (request) => void (request.body ??= {}) },
    async (request) => {
      const accountId = request.principal.accountId;
      const { authId } = request.params;
      const given = request.body.secretKey;
      const problem = given === undefined ? null : secretKeyProblem(given);
      if (problem) throw badRequest([{ property: 'secretKey', violation: problem }]);
      const secretKey = given ?? generateSecretKey();
      const now = deps.clock.now();
      const expiresAt = now + (request.body.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS) * 1000;

      await write(deps, async (trx) => {
        // Locked, and as last committed: of two rotations at once the second rotates away from the
        // first's new key, not from the key both started with.
        const row = await lockedSecurity(trx, accountId, authId);
        if (!row) throw new ApiError('NOT_FOUND');
        if (row.type !== 'HMAC') throw badRequest([{ property: 'authId', violation: `security settings ${authId} are of type ${row.type}; only HMAC signing keys can be rotated` }]);
        const stored = JSON.parse(row.credentials) as Record<string, unknown>;
        if (stored.secretKey === secretKey) throw badRequest([{ property: 'secretKey', violation: 'is the current key; a rotation needs a new one' }]);
        await trx
          .updateTable('security_settings')
          .set({ credentials: JSON.stringify(rotatedCredentials(stored, secretKey, expiresAt, now)), updated_at: now })
          .where('account_id', '=', accountId)
          .where('auth_id', '=', authId)
          .execute();
      });
      // With overlapSeconds 0 this is now: the old key stopped at once.
      return { authId, secretKey, previousKeyExpiresAt: formatInfobipTime(expiresAt) };
    },
  );
}

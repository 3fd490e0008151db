/**
 * `POST/DELETE /auth/1/session` (IBSSO) and `POST /auth/1/oauth2/token` (OAuth2 client
 * credentials). The token endpoint reads its parameters from the form body or else the query
 * string: the official Node SDK sends them in the query with an empty body.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import { clientIp } from '../http/auth-hook.ts';
import { ApiError, badRequest, type Violation } from '../http/errors.ts';
import { parseAuthorization, type Authenticator, type LoginResult } from './authenticator.ts';
import { MAX_USERNAME_LENGTH } from './users.ts';
import type { OAuthTokens } from './oauth-tokens.ts';
import type { Sessions } from './sessions.ts';

const CreateSessionRequest = Type.Object({
  username: Type.String({ minLength: 1, maxLength: MAX_USERNAME_LENGTH }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
  unsafe: Type.Optional(Type.Boolean()),
});

const TOKEN_FIELDS = ['client_id', 'client_secret', 'grant_type'] as const;

function refusal(result: Exclude<LoginResult, { user: unknown }>): ApiError {
  return result.refused === 'TOO_MANY_REQUESTS' ? new ApiError('TOO_MANY_REQUESTS', { retryAfterSeconds: result.retryAfterSeconds }) : new ApiError('UNAUTHORIZED');
}

/** Token parameters: every field from the form body when it has any, else from the query string. */
function tokenParameters(request: FastifyRequest): Record<string, string | undefined> {
  const fromBody = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
  const source = TOKEN_FIELDS.some((f) => fromBody[f] !== undefined) ? fromBody : (request.query as Record<string, unknown>);
  return Object.fromEntries(TOKEN_FIELDS.map((f) => [f, typeof source[f] === 'string' ? (source[f] as string) : undefined]));
}

export function registerAuthRoutes(app: FastifyInstance, deps: { authenticator: Authenticator; sessions: Sessions; tokens: OAuthTokens; clock: Clock }): void {
  const { authenticator, sessions, tokens, clock } = deps;

  app.post<{ Body: Static<typeof CreateSessionRequest> }>('/auth/1/session', { schema: { body: CreateSessionRequest } }, async (request) => {
    const now = clock.now();
    const ip = clientIp(request);
    const result = await authenticator.login(request.body.username, request.body.password, ip, now);
    if ('refused' in result) throw refusal(result);
    return { token: await sessions.create(result.user, request.body.unsafe ? null : ip, now) };
  });

  app.delete('/auth/1/session', async (request, reply) => {
    // The route policy admits only IBSSO here, so the header holds a session token.
    await sessions.destroy(parseAuthorization(request.headers.authorization)!.credentials);
    authenticator.forget(request.headers.authorization);
    return reply.status(200).send();
  });

  app.post('/auth/1/oauth2/token', async (request) => {
    const params = tokenParameters(request);
    const violations: Violation[] = TOKEN_FIELDS.filter((f) => !params[f]).map((f) => ({ property: f, violation: 'must not be blank' }));
    if (violations.length > 0) throw badRequest(violations);
    if (params.grant_type !== 'client_credentials') throw badRequest([{ property: 'grant_type', violation: 'only client_credentials is supported' }]);
    const now = clock.now();
    const result = await authenticator.login(params.client_id!, params.client_secret!, clientIp(request), now);
    if ('refused' in result) throw refusal(result);
    const issued = await tokens.issue(result.user, now);
    return { access_token: issued.token, expires_in: issued.expiresInSeconds, token_type: 'Bearer' };
  });
}

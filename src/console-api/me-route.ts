/**
 * `GET /hookline/1/me`: who the caller is, as the console needs it to decide what to show — the
 * account, the user (null for a bootstrap API key), the scheme, the scopes held (`*` stands for
 * every scope) and whether the caller is the operator (may look into other accounts).
 */
import type { FastifyInstance } from 'fastify';
import { isOperator } from '../auth/principal.ts';
import { MeResponse } from './response-schemas.ts';

export function registerMeRoute(app: FastifyInstance): void {
  app.get(
    '/hookline/1/me',
    {
      schema: {
        summary: 'The caller',
        description:
          'The principal behind the credentials: `accountId`, `username` (the signed-in user or the API key\'s owner; null for a bootstrap key), `scheme` (app, basic, ibsso, bearer), ' +
          '`scopes` (sorted; `*` is every scope) and `operator` (the default account\'s admin, who may pass `accountId` to look into other accounts).',
        response: { 200: MeResponse },
      },
    },
    async (request) => {
      const principal = request.principal;
      return {
        accountId: principal.accountId,
        username: principal.username,
        scheme: principal.scheme,
        scopes: [...principal.scopes].sort(),
        operator: isOperator(principal),
      };
    },
  );
}

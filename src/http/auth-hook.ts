/**
 * Authentication for every route not marked `config: { public: true }`. Each Infobip scheme
 * (`App`, and later `Basic`, `IBSSO`, `Bearer`) is one verifier in SCHEMES; the hook itself
 * stays the same as schemes are added.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { Principal } from '../auth/principal.ts';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    public?: boolean;
  }
}

type Verifier = (credentials: string, request: FastifyRequest) => Promise<Principal | null>;

export function registerAuth(app: FastifyInstance, apiKeys: ApiKeys): void {
  const SCHEMES: Record<string, Verifier> = {
    app: (secret) => apiKeys.verify(secret),
  };

  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public) return;
    const header = request.headers.authorization ?? '';
    const space = header.indexOf(' ');
    const verifier = space > 0 ? SCHEMES[header.slice(0, space).toLowerCase()] : undefined;
    const credentials = header.slice(space + 1).trim();
    const principal = verifier && credentials ? await verifier(credentials, request) : null;
    if (!principal) throw new ApiError('UNAUTHORIZED');
    request.principal = principal;
  });
}

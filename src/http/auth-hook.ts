/**
 * Authentication, authorization and throttling for every route, driven by ROUTE_POLICIES:
 * public routes skip authentication (and ignore any Authorization header, as the official SDK
 * sends `Authorization: undefined` to them); the others need a principal whose scheme the route
 * accepts and who holds one of its scopes. 401 and 403 never say which part was wrong.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticator.ts';
import { normaliseIp } from '../auth/ip-rules.ts';
import type { Principal } from '../auth/principal.ts';
import { policyKey, ROUTE_POLICIES, type RoutePolicy } from '../auth/route-policy.ts';
import { holdsAnyScope } from '../auth/scopes.ts';
import { retryAfterSeconds, type ThrottleCounters } from '../auth/throttle-counters.ts';
import type { Clock } from '../clock.ts';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** Paths that match no route still need credentials, so a 404 tells strangers nothing. */
const UNMATCHED: RoutePolicy = { access: 'signed-in' };

/** The caller's address: the socket's, or the forwarded one when TRUST_PROXY names the proxy. */
export const clientIp = (request: FastifyRequest): string => normaliseIp(request.ip) ?? request.ip;

export function registerAuth(
  app: FastifyInstance,
  deps: { authenticator: Authenticator; counters: ThrottleCounters; clock: Clock; throttles: boolean },
): void {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD' && !ROUTE_POLICIES[policyKey(method, route.url)]) {
        throw new Error(`route ${policyKey(method, route.url)} has no entry in ROUTE_POLICIES (src/auth/route-policy.ts)`);
      }
    }
  });

  const throttle = async (policy: RoutePolicy, key: string, who: string) => {
    if (!deps.throttles || !policy.throttle) return;
    const now = deps.clock.now();
    const { count, windowEnd } = await deps.counters.hit(`throttle:${key}:${who}`, policy.throttle.windowMs, now);
    if (count > policy.throttle.limit) throw new ApiError('TOO_MANY_REQUESTS', { retryAfterSeconds: retryAfterSeconds(windowEnd, now) });
  };

  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    const url = request.routeOptions.url;
    const key = url === undefined ? '' : policyKey(request.method, url);
    const policy = ROUTE_POLICIES[key] ?? UNMATCHED;
    const ip = clientIp(request);
    if (policy.access === 'public') return throttle(policy, key, `ip:${ip}`);

    const result = await deps.authenticator.authenticate(request.headers.authorization, ip);
    if ('refused' in result) {
      throw result.refused === 'TOO_MANY_REQUESTS' ? new ApiError('TOO_MANY_REQUESTS', { retryAfterSeconds: result.retryAfterSeconds }) : new ApiError('UNAUTHORIZED');
    }
    const { principal } = result;
    const schemeAccepted = !policy.schemes || policy.schemes.includes(principal.scheme);
    const scopeHeld = policy.access === 'signed-in' || holdsAnyScope(principal.scopes, policy.access.anyOf);
    if (!schemeAccepted || !scopeHeld) throw new ApiError('FORBIDDEN');
    request.principal = principal;
    await throttle(policy, key, `account:${principal.accountId}`);
  });
}

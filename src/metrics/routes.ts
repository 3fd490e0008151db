/**
 * `GET /metrics`: the Prometheus text format. Public by default, like /healthz; with METRICS_TOKEN
 * set it wants `Authorization: Bearer <token>`. The route policy lists it as public because this
 * check is not one of the API's credentials (no account, no scope): it is the scraper's own secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../http/errors.ts';
import type { Metrics } from './registry.ts';

/** Compares digests, so neither the token's length nor its content leaks through timing. */
function sameToken(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : null;
}

export function registerMetricsRoutes(app: FastifyInstance, metrics: Metrics, token: string | undefined): void {
  const description = 'Prometheus metrics in the text exposition format (see the README, "Metrics"). Public unless METRICS_TOKEN is set; then send `Authorization: Bearer <METRICS_TOKEN>`.';
  app.get('/metrics', { schema: { description } }, async (request, reply) => {
    if (token !== undefined) {
      const given = bearerToken(request.headers.authorization);
      if (given === null || !sameToken(given, token)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw new ApiError('UNAUTHORIZED');
      }
    }
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
}

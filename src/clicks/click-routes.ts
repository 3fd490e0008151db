/**
 * `GET /t/{code}`: the short links Hookline writes into tracked messages. Public (the
 * recipient's phone has no credentials): 302 to the original URL, and each GET is one click,
 * recorded and routed in one transaction (click-recorder.ts). HEAD answers the same redirect
 * and records nothing. An unknown code is a 404 in the v3 envelope; codes carry ~101 random
 * bits, so they cannot be guessed or walked.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { SubscriberLookup } from '../events/routing.ts';
import { ApiError } from '../http/errors.ts';
import type { DialectProfile } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import { peekLink, recordClick } from './click-recorder.ts';
import { isLinkCode } from './tracking.ts';

export interface ClickRouteDeps {
  db: Kysely<Database>;
  profile: DialectProfile;
  subscribers: SubscriberLookup;
  clock: Clock;
  /** Called after a click's CLICK event was committed to the outbox. */
  onRouted: () => void;
}

/** A header-safe Location: non-ASCII in the written URL is percent-encoded (and the host punycoded). */
function location(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return encodeURI(url);
  }
}

export function registerClickRoutes(app: FastifyInstance, deps: ClickRouteDeps): void {
  app.get<{ Params: { code: string } }>('/t/:code', async (request, reply) => {
    const { code } = request.params;
    if (!isLinkCode(code)) throw new ApiError('NOT_FOUND');
    let url: string | null;
    if (request.method === 'HEAD') {
      url = await peekLink(deps.db, code);
    } else {
      const outcome = await recordClick(deps.db, deps.profile, deps.subscribers, code, request.headers['user-agent'] ?? null, deps.clock.now());
      if (outcome && outcome.pushed > 0) deps.onRouted();
      url = outcome?.url ?? null;
    }
    if (url === null) throw new ApiError('NOT_FOUND');
    // Every open must reach Hookline to be counted: no caching of the redirect anywhere.
    return reply.code(302).header('location', location(url)).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send();
  });
}

/**
 * The web console at /console: the static files `npm install` built into console/dist (the
 * package's `prepare` script runs `vite build`). The pages hold no data; everything they show
 * comes from the documented APIs with the signed-in user's IBSSO token, so the files are public.
 */
import { existsSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';

export const CONSOLE_PREFIX = '/console';
const DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url));

/** Scripts and styles only from the gateway itself; no framing, no plug-ins, no form posting elsewhere. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'";

export async function registerConsole(app: FastifyInstance, log: Logger): Promise<void> {
  if (!existsSync(`${DIST}index.html`)) {
    log.warn({ dist: DIST }, 'the console is not built (run `npm run build:console`); /console answers 503');
    const notBuilt = async (_request: unknown, reply: FastifyReply) =>
      reply.status(503).type('text/plain').send('The Hookline console is not built. Run `npm run build:console` (npm install does it) and restart.');
    app.get(CONSOLE_PREFIX, { schema: { hide: true } }, notBuilt);
    app.get(`${CONSOLE_PREFIX}/*`, { schema: { hide: true } }, notBuilt);
    return;
  }
  await app.register(fastifyStatic, {
    root: DIST,
    prefix: `${CONSOLE_PREFIX}/`,
    // /console and /console/ are answered below: the server ignores trailing slashes, so one route takes both.
    index: false,
    redirect: false,
    schemaHide: true,
    setHeaders: (reply, path) => securityHeaders(reply, relative(DIST, path).startsWith(`assets${sep}`)),
  });
  app.get(CONSOLE_PREFIX, { schema: { hide: true } }, async (request, reply) => {
    // The page's assets are relative to /console/: send /console there first.
    const queryAt = request.url.indexOf('?');
    const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
    if (!path.endsWith('/')) return reply.redirect(`${CONSOLE_PREFIX}/${queryAt === -1 ? '' : request.url.slice(queryAt)}`, 301);
    securityHeaders(reply, false);
    return reply.sendFile('index.html');
  });
}

function securityHeaders(reply: FastifyReply, immutable: boolean): void {
  reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('Referrer-Policy', 'no-referrer');
  // Vite names assets by their content's hash: they never change. The page itself must be re-read.
  reply.header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
}

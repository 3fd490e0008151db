/**
 * The API reference: OpenAPI 3 at `GET /openapi.json` and a browsable Swagger UI at `/docs`.
 *
 * Nothing here describes a route by hand. @fastify/swagger collects every route through an
 * `onRoute` hook and turns the typebox schemas that Fastify validates requests with (body,
 * querystring, params) into the document; path parameters of routes without a params schema come
 * from the URL. What a schema cannot say is derived, per route, from things that already exist:
 * the tag from the path, the security requirement and scopes from the route policy table.
 *
 * The hook only sees routes added after it, so registerOpenApi must be awaited before any feature
 * registers a route (app.ts does it right after the auth hook). The UI is served from the package's
 * own files: no CDN, so /docs works on an offline network.
 */
import { readFileSync } from 'node:fs';
import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import type { Scheme } from '../auth/principal.ts';
import { policyKey, ROUTE_POLICIES } from '../auth/route-policy.ts';

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Infobip's security scheme names (as in its own specs), so a client generated from either matches. */
const SCHEME_NAMES: Record<Scheme, string> = { app: 'APIKeyHeader', basic: 'Basic', ibsso: 'IBSSOTokenHeader', bearer: 'OAuth2' };
const ALL_SCHEMES: readonly Scheme[] = ['app', 'basic', 'ibsso', 'bearer'];

const SECURITY_SCHEMES = {
  APIKeyHeader: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'An API key: `Authorization: App <key>` (enter `App <key>`).' },
  Basic: { type: 'http', scheme: 'basic', description: "A user's username and password." },
  IBSSOTokenHeader: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'A session token from `POST /auth/1/session`: `Authorization: IBSSO <token>` (enter `IBSSO <token>`).' },
  OAuth2: { type: 'http', scheme: 'bearer', description: 'An access token from `POST /auth/1/oauth2/token` (client credentials).' },
} as const;

/**
 * The area a route belongs to, from its path: `/hookline/1/users/:userId` → `hookline users`,
 * `/sms/3/messages` → `sms`, and single-segment paths (`/healthz`, `/metrics`) → `operations`.
 */
export function tagOf(url: string): string {
  const segments = url.split('/').filter(Boolean);
  if (segments[0] === 'hookline' && segments[2]) return `hookline ${segments[2]}`;
  if (segments.length <= 1) return 'operations';
  if (segments[0] === 't') return 'short links';
  return segments[0];
}

/** What the route policy table says about a route, in OpenAPI terms. */
function accessOf(route: RouteOptions): Pick<FastifySchema, 'security'> & { 'x-scopes'?: readonly string[] } {
  // Hookline registers one method per route; a multi-method route would be described by its first.
  const method = Array.isArray(route.method) ? route.method[0] : route.method;
  const policy = ROUTE_POLICIES[policyKey(method, route.url)];
  // auth-hook.ts refuses routes missing from the table, so this only happens to hidden routes.
  if (!policy) return {};
  if (policy.access === 'public') return { security: [] };
  const security = (policy.schemes ?? ALL_SCHEMES).map((scheme) => ({ [SCHEME_NAMES[scheme]]: [] }));
  // Infobip's extension for "any one of these scopes suffices".
  return typeof policy.access === 'object' ? { security, 'x-scopes': policy.access.anyOf } : { security };
}

/** Every path's operations' tags, listed once and sorted, so the UI shows the areas in a stable order. */
const listTags: FastifyDynamicSwaggerOptions['transformObject'] = (document) => {
  const openapi = 'openapiObject' in document ? document.openapiObject : document.swaggerObject;
  const tags = new Set<string>();
  for (const item of Object.values(openapi.paths ?? {})) {
    for (const operation of Object.values(item ?? {})) for (const tag of (operation as { tags?: string[] }).tags ?? []) tags.add(tag);
  }
  return { ...openapi, tags: [...tags].sort().map((name) => ({ name })) };
};

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Hookline',
        version,
        description: 'Self-hostable messaging gateway, wire-compatible with Infobip. Generated from the schemas the routes validate requests with.',
      },
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // A copy: the route's own schema object is what Fastify validates with and stays as it is.
    transform: ({ schema, url, route }) => ({ schema: { ...schema, tags: [tagOf(url)], ...accessOf(route) }, url }),
    transformObject: listTags,
  } satisfies FastifyDynamicSwaggerOptions);
  // Its routes (the page, /docs/json, /docs/yaml, the static files) carry `hide`: not in the spec.
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, theme: { title: 'Hookline API reference' }, uiConfig: { deepLinking: true, showExtensions: true } });
  app.get(OPENAPI_PATH, async () => app.swagger());
}

/**
 * The API reference (src/http/openapi.ts) against a real gateway: `GET /openapi.json` is valid
 * OpenAPI 3 and describes every route the gateway answers, with the request schemas Fastify
 * validates with, each route's security as the route policy table says; `GET /docs` is Swagger UI
 * served from Hookline itself, with no CDN.
 *
 * "Every route" is ROUTE_POLICIES: auth-hook.ts refuses to register a route missing from it, and
 * every entry is confirmed here with `hasRoute` (route-policy.test.ts checks the same both ways).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { policyKey, ROUTE_POLICIES } from '../../src/auth/route-policy.ts';
import { startGateway, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import { rawApi, v3ErrorProperties } from './support.ts';

/** Swagger UI's page, its copies of the document and its files, and the console's files: hidden from the document on purpose. */
const isHiddenAsset = (key: string) => / \/(docs|console)(\/|$)/.test(key);

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
/** `/t/:code` → `/t/{code}`, as OpenAPI writes path templates. */
const toTemplate = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** `METHOD /url` (Fastify pattern) of every operation in the document. */
function documentedRoutes(spec: any): string[] {
  return Object.entries<any>(spec.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
  );
}

/** The table's routes that have no operation in the document. */
const missingFrom = (spec: any, keys: string[]) => keys.filter((key) => !documentedRoutes(spec).includes(key));

const operation = (spec: any, key: string) => {
  const [method, url] = key.split(' ');
  return spec.paths[toTemplate(url)]?.[method.toLowerCase()];
};

const basic = `Basic ${Buffer.from(`${TEST_ADMIN.username}:${TEST_ADMIN.password}`).toString('base64')}`;
const SCHEME_NAMES = { app: 'APIKeyHeader', basic: 'Basic', ibsso: 'IBSSOTokenHeader', bearer: 'OAuth2' } as const;

describe('OpenAPI document and docs page', () => {
  let g: TestGateway;
  let spec: any;
  /** Every route the gateway answers (HEAD twins aside), but Swagger UI's own. */
  let routes: string[];

  before(async () => {
    g = await startGateway();
    // No credentials: the document is public.
    const r = await rawApi(g, 'GET', '/openapi.json');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    spec = r.body;
    routes = Object.keys(ROUTE_POLICIES).filter((key) => !isHiddenAsset(key));
  });
  after(async () => {
    await g.close();
  });

  it('is a valid OpenAPI 3 document (swagger-parser validates schema and spec rules)', async () => {
    assert.match(spec.openapi, /^3\./);
    assert.equal(spec.info.title, 'Hookline');
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(spec));
  });

  it('the table routes are the routes the gateway answers (so checking the table checks every route)', () => {
    assert.ok(routes.length >= 60, `only ${routes.length} routes`);
    for (const key of routes) {
      const [method, url] = key.split(' ') as ['GET' | 'POST' | 'PUT' | 'DELETE', string];
      assert.ok(g.hookline.server.hasRoute({ method, url }), `${key} is in the table but not a route`);
    }
  });

  it('describes every route with its method, and nothing else (Swagger UI files are hidden)', () => {
    assert.deepEqual(missingFrom(spec, routes), [], 'routes missing from /openapi.json');
    assert.deepEqual(documentedRoutes(spec).sort(), [...routes].sort(), 'the document has exactly the routes');
    assert.ok(!Object.keys(spec.paths).some((path) => path.startsWith('/docs')), 'no /docs path in the document');
  });

  it('the route comparison notices a missing route (the check above can fail)', () => {
    const copy = structuredClone(spec);
    delete copy.paths['/hookline/1/users/{userId}'].put;
    assert.deepEqual(missingFrom(copy, routes), ['PUT /hookline/1/users/:userId']);
  });

  it('every path parameter is described, schema or not (e.g. GET /t/{code} has no params schema)', () => {
    for (const key of routes) {
      const names = [...key.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
      const described = (operation(spec, key).parameters ?? []).filter((p: any) => p.in === 'path');
      assert.deepEqual(described.map((p: any) => p.name).sort(), names.sort(), key);
      for (const p of described) assert.equal(p.required, true, `${key} ${p.name}`);
    }
  });

  it("every operation's security is the route policy's: public routes none, the others their schemes, with their scopes", () => {
    for (const key of routes) {
      const policy = ROUTE_POLICIES[policyKey(key.split(' ')[0], key.split(' ')[1])];
      const op = operation(spec, key);
      if (policy.access === 'public') {
        assert.deepEqual(op.security, [], key);
        continue;
      }
      const schemes = (policy.schemes ?? ['app', 'basic', 'ibsso', 'bearer']).map((s) => ({ [SCHEME_NAMES[s]]: [] }));
      assert.deepEqual(op.security, schemes, key);
      if (typeof policy.access === 'object') assert.deepEqual(op['x-scopes'], [...policy.access.anyOf], key);
    }
    // And by name, a public and a private route of each kind.
    assert.deepEqual(operation(spec, 'GET /healthz').security, []);
    assert.deepEqual(operation(spec, 'POST /auth/1/session').security, []);
    assert.deepEqual(operation(spec, 'POST /sms/3/messages').security, [{ APIKeyHeader: [] }, { Basic: [] }, { IBSSOTokenHeader: [] }, { OAuth2: [] }]);
    assert.deepEqual(operation(spec, 'POST /hookline/1/users').security, [{ Basic: [] }, { IBSSOTokenHeader: [] }, { OAuth2: [] }]);
    assert.deepEqual(operation(spec, 'POST /hookline/1/users')['x-scopes'], ['account-management:manage']);
    assert.deepEqual(Object.keys(spec.components.securitySchemes).sort(), ['APIKeyHeader', 'Basic', 'IBSSOTokenHeader', 'OAuth2']);
    assert.deepEqual(spec.components.securitySchemes.APIKeyHeader, { ...spec.components.securitySchemes.APIKeyHeader, type: 'apiKey', in: 'header', name: 'Authorization' });
    assert.deepEqual(spec.components.securitySchemes.OAuth2, { ...spec.components.securitySchemes.OAuth2, type: 'http', scheme: 'bearer' });
  });

  it('every operation is tagged by its area, and the tags are listed', () => {
    for (const key of routes) assert.equal(operation(spec, key).tags?.length, 1, key);
    assert.deepEqual(operation(spec, 'GET /hookline/1/users').tags, ['hookline users']);
    assert.deepEqual(operation(spec, 'POST /sms/3/messages').tags, ['sms']);
    assert.deepEqual(operation(spec, 'GET /healthz').tags, ['operations']);
    const listed = spec.tags.map((t: any) => t.name);
    assert.deepEqual(listed, [...new Set(routes.map((key) => operation(spec, key).tags[0]))].sort());
  });

  it('request schemas are the validating ones: POST /hookline/1/users', async () => {
    const body = operation(spec, 'POST /hookline/1/users').requestBody;
    assert.equal(body.required, true);
    const schema = body.content['application/json'].schema;
    assert.deepEqual([...schema.required].sort(), ['password', 'roles', 'username']);
    assert.deepEqual(Object.keys(schema.properties).sort(), ['accountId', 'enabled', 'password', 'roles', 'username']);
    assert.equal(schema.properties.username.pattern, '^[^:\\s\\u0000]+$');
    assert.equal(schema.properties.password.minLength, 8);

    // The server, asked after the document was built, refuses what the document says it must.
    const empty = await rawApi(g, 'POST', '/hookline/1/users', {}, { authorization: basic });
    assert.equal(empty.status, 400);
    assert.deepEqual(v3ErrorProperties(empty.body).sort(), [...schema.required].sort());
    const badName = await rawApi(g, 'POST', '/hookline/1/users', { username: 'a:b', password: 'long-enough', roles: ['admin'] }, { authorization: basic });
    assert.equal(badName.status, 400);
    assert.deepEqual(v3ErrorProperties(badName.body), ['username']);
  });

  it('request schemas are the validating ones: every v3 body route refuses {} naming exactly its required properties', async () => {
    const checked: string[] = [];
    for (const key of ['POST /hookline/1/accounts', 'POST /hookline/1/roles', 'POST /hookline/1/numbers', 'POST /sms/3/messages']) {
      const schema = operation(spec, key).requestBody.content['application/json'].schema;
      assert.ok(schema.required?.length > 0, `${key} has required properties`);
      const r = await rawApi(g, 'POST', key.split(' ')[1], {}, { authorization: basic });
      assert.equal(r.status, 400, `${key}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(v3ErrorProperties(r.body).sort(), [...schema.required].sort(), key);
      checked.push(key);
    }
    assert.equal(checked.length, 4);
  });

  it('query parameters come from the querystring schemas: GET /sms/3/logs, GET /hookline/1/users', () => {
    const names = (key: string) => operation(spec, key).parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name);
    for (const name of ['messageId', 'bulkId', 'limit', 'useCursor', 'cursor', 'sender', 'destination']) assert.ok(names('GET /sms/3/logs').includes(name), name);
    // A composite schema (the paging query plus accountId) is flattened into its parameters.
    assert.deepEqual(names('GET /hookline/1/users').sort(), ['accountId', 'page', 'size']);
  });

  it('GET /docs is Swagger UI from Hookline itself: no external script or stylesheet, every asset served', async () => {
    const page = await fetch(`${g.baseUrl}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.match(html, /id="swagger-ui"/);
    assert.match(html, /<title>Hookline API reference<\/title>/);
    assert.doesNotMatch(html, /https?:\/\/|\/\/[a-z0-9.-]+\.[a-z]{2,}\//i, 'no absolute or protocol-relative URL in the page');
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.some((a) => a.endsWith('/swagger-ui-bundle.js')), assets.join(', '));
    assert.ok(assets.some((a) => a.endsWith('/swagger-ui.css')), assets.join(', '));
    for (const asset of assets) {
      const r = await fetch(new URL(asset, `${g.baseUrl}/docs`));
      assert.equal(r.status, 200, asset);
      assert.ok((await r.arrayBuffer()).byteLength > 0, asset);
    }
    // The page reads the document from its own /docs/json: the same document as /openapi.json.
    const json = await rawApi(g, 'GET', '/docs/json');
    assert.equal(json.status, 200);
    assert.deepEqual(json.body, spec);
  });
});

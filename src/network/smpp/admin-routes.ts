/**
 * `/hookline/1/smpp/…`: the SMPP connections and the routing table (config-source.ts), and the
 * live state of the connections. They are the gateway's, not an account's: the route policy
 * admits account-management:manage (people only, like the accounts routes) and, as for creating
 * accounts, only the operator (an admin of the default account) gets past it.
 *
 * Bodies are checked by config-parse.ts, the same parser SMPP_CONFIG_FILE goes through, so the
 * API and the file accept exactly the same things and a 400 names each bad field. The JSON
 * Schemas below only describe the bodies in /openapi.json: Fastify's validator would convert types
 * and drop unknown fields silently, where a typo must be refused.
 *
 * Passwords are never returned: views leave `password` out, and a PUT without `password` keeps the
 * stored one, so what GET shows can be edited and sent back.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isOperator } from '../../auth/principal.ts';
import { ApiError, badRequest } from '../../http/errors.ts';
import { CONNECTION_BODY_SCHEMA, parseSmppRoutes, parseSmppConnection, ROUTES_BODY_SCHEMA, SmppConfigError } from './config-parse.ts';
import { SmppConfigConflictError, SmppConfigReadOnlyError, type SmppConfigSource } from './config-source.ts';
import type { SmppConnectionConfig, SmppConnectionStatus } from './smpp-config.ts';

export interface SmppAdminDeps {
  source: SmppConfigSource;
  /** The live state of the connections this process runs. */
  status: () => SmppConnectionStatus[];
}

type Params = { name: string };

const CONNECTIONS = '/hookline/1/smpp/connections';
/** The schema documents the body; the handler's parser validates it (see above). */
const DOCUMENTED_ONLY = { validatorCompiler: () => () => true };

/** A connection as the API shows it: everything but the password. */
const view = ({ password: _password, ...shown }: SmppConnectionConfig) => shown;

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The source's refusals in the API's terms: 400 naming the fields, 409 with the reason. */
function apiError(error: unknown): unknown {
  if (error instanceof SmppConfigError) return badRequest(error.problems.map((p) => ({ property: p.path || 'body', violation: p.message })));
  if (error instanceof SmppConfigReadOnlyError || error instanceof SmppConfigConflictError) return new ApiError('CONFLICT', { text: error.message });
  return error;
}

const FORBIDDEN_TEXT = 'SMPP connections belong to the whole gateway: only the operator (an admin of the default account) manages them.';

/** They are the gateway's: an account-management:manage user of another account may not. */
function operatorOnly(request: FastifyRequest): void {
  if (!isOperator(request.principal)) throw new ApiError('FORBIDDEN', { text: FORBIDDEN_TEXT });
}

/** Runs a handler's work, answering the source's refusals as API errors. */
async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw apiError(error);
  }
}

export function registerSmppAdminRoutes(app: FastifyInstance, { source, status }: SmppAdminDeps): void {
  const findConnection = async (name: string) => {
    const found = (await source.load()).connections.find((c) => c.name === name);
    if (!found) throw new ApiError('NOT_FOUND', { text: `No SMPP connection named ${name}.` });
    return found;
  };

  app.get(CONNECTIONS, async (request) => {
    operatorOnly(request);
    return answer(async () => ({ connections: (await source.load()).connections.map(view) }));
  });

  app.get<{ Params: Params }>(`${CONNECTIONS}/:name`, async (request) => {
    operatorOnly(request);
    return answer(async () => view(await findConnection(request.params.name)));
  });

  app.put<{ Params: Params; Body: unknown }>(`${CONNECTIONS}/:name`, { schema: { body: CONNECTION_BODY_SCHEMA }, ...DOCUMENTED_ONLY }, async (request, reply) => {
    operatorOnly(request);
    return answer(async () => {
      source.assertWritable();
      const { name } = request.params;
      let body = request.body;
      const existing = (await source.load()).connections.find((c) => c.name === name);
      // GET never shows the password: a replacement without one keeps it.
      if (existing && isPlainObject(body) && body.password === undefined) body = { ...body, password: existing.password };
      const config = parseSmppConnection(name, body);
      const { created } = await source.putConnection(config);
      if (created) reply.status(201).header('location', `${CONNECTIONS}/${encodeURIComponent(name)}`);
      return view(config);
    });
  });

  app.delete<{ Params: Params }>(`${CONNECTIONS}/:name`, async (request, reply) => {
    operatorOnly(request);
    return answer(async () => {
      source.assertWritable();
      if (!(await source.deleteConnection(request.params.name))) throw new ApiError('NOT_FOUND', { text: `No SMPP connection named ${request.params.name}.` });
      return reply.status(204).send();
    });
  });

  app.get('/hookline/1/smpp/routes', async (request) => {
    operatorOnly(request);
    return answer(async () => ({ routes: (await source.load()).routes }));
  });

  app.put<{ Body: unknown }>('/hookline/1/smpp/routes', { schema: { body: ROUTES_BODY_SCHEMA }, ...DOCUMENTED_ONLY }, async (request) => {
    operatorOnly(request);
    return answer(async () => {
      source.assertWritable();
      const body = request.body;
      if (!isPlainObject(body)) throw new SmppConfigError([{ path: '', message: 'must be an object {"routes": [{prefix, target}, …]}' }]);
      const unknown = Object.keys(body).filter((key) => key !== 'routes');
      if (unknown.length > 0) throw new SmppConfigError(unknown.map((key) => ({ path: key, message: 'is not a known field' })));
      const names = new Set((await source.load()).connections.map((c) => c.name));
      // Checked here for the answer, and again by putRoutes against the rows it locks.
      return { routes: await source.putRoutes(parseSmppRoutes(body.routes, names)) };
    });
  });

  app.get('/hookline/1/smpp/status', async (request) => {
    operatorOnly(request);
    return { connections: status() };
  });
}

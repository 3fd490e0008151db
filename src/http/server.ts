/**
 * The Fastify instance: body parsers (JSON and Infobip's XML), the error envelopes, 404s.
 * Routes are registered by the features; authentication by auth-hook.ts.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Logger } from 'pino';
import { toXml } from '../lib/xml.ts';
import { isDatabaseUnavailable, isUniqueViolation, isUnstorableText } from '../store/transient.ts';
import { ApiError, envelopeFamily, renderError, type Violation } from './errors.ts';

const NUL_TEXT = 'Request must not contain NUL characters';

const XML_LISTS: Record<string, string> = { messages: 'message', destinations: 'destination', days: 'days' };
const xmlParser = new XMLParser({ parseTagValue: false, ignoreAttributes: true, isArray: (name, jpath) => Object.entries(XML_LISTS).some(([list, item]) => name === item && String(jpath).endsWith(`${list}.${item}`)) });

/** `<messages><message>…</message></messages>` → `messages: […]`, below the root element. */
function unwrapXmlLists(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapXmlLists);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const item = XML_LISTS[key];
    if (item && child && typeof child === 'object' && item in child) out[key] = unwrapXmlLists((child as Record<string, unknown>)[item]);
    else out[key] = unwrapXmlLists(child);
  }
  return out;
}

export function wantsXml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /application\/xml|text\/xml/.test(accept) && !/application\/json/.test(accept);
}

/**
 * Replies in JSON, or in Infobip's XML when the client asks for it. `itemNames`: the item element
 * of arrays whose spec names it otherwise (the Messages API nests `<results><results>`, lib/xml.ts).
 */
export function sendBody(request: FastifyRequest, reply: FastifyReply, xmlRoot: string, body: object, itemNames?: Record<string, string>): FastifyReply {
  if (wantsXml(request)) return reply.type('application/xml').send(toXml(xmlRoot, body, itemNames));
  return reply.type('application/json').send(body);
}

function sendError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  const { root, body } = renderError(error, envelopeFamily(request.url));
  if (error.options.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.options.retryAfterSeconds));
  return sendBody(request, reply.status(error.status), root, body);
}

/** Ajv's `/messages/0/destinations/0/to` → Infobip's `messages[0].destinations[0].to`. */
function toViolations(error: FastifyError): Violation[] {
  return (error.validation ?? []).map((v) => {
    let path = v.instancePath.replace(/^\//, '').replace(/\/(\d+)(?=\/|$)/g, '[$1]').replaceAll('/', '.');
    const missing = (v.params as { missingProperty?: string }).missingProperty;
    if (missing) path = path ? `${path}.${missing}` : missing;
    if (error.validationContext && error.validationContext !== 'body') path = path || error.validationContext;
    return { property: path || 'body', violation: v.message ?? 'invalid value' };
  });
}


export function createServer(options: { logger: Logger; maxBodyBytes: number; trustProxy: string[] }): FastifyInstance {
  const app = Fastify({
    // request.ip is the socket address unless the connection comes from a listed proxy.
    trustProxy: options.trustProxy.length > 0 ? options.trustProxy : false,
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.maxBodyBytes,
    // Per-request access logs would cost more than the request at 10k SMS/s; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // SDKs call `/sms/1/bulks/?bulkId=…`; the trailing slash means the same resource.
    // Path ids are declared up to 255 characters; the router's default limit (100) would refuse some.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
    // Undecodable percent-escapes and over-long path segments never reach a route: answer them in
    // the family's envelope too, not Fastify's own.
    frameworkErrors: (error, request, reply) =>
      sendError(request, reply, new ApiError('BAD_REQUEST', { text: error.code === 'FST_ERR_BAD_URL' ? 'The URL is not validly percent-encoded' : 'A path segment is too long' })),
    ajv: { customOptions: { allErrors: true } },
    // Fastify's default handler logs the raw bytes of a malformed request, Authorization included.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      options.logger.debug({ code: error.code }, 'malformed HTTP request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    },
  });

  // SDKs send `Content-Type: application/json` on bodiless requests (the official one on DELETE
  // /auth/1/session): an empty body is no body, not malformed JSON.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    if ((body as string).includes('\\u0000')) return done(new ApiError('BAD_REQUEST', { text: NUL_TEXT }), undefined);
    parseJson(request, body as string, done);
  });

  // NUL cannot be stored (PostgreSQL refuses it) and is never meaningful: refuse it in the URL up front.
  app.addHook('onRequest', async (request) => {
    if (/%00/.test(request.url)) throw new ApiError('BAD_REQUEST', { text: NUL_TEXT });
  });

  // OAuth2's token endpoint takes application/x-www-form-urlencoded.
  app.register(formbody);
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_request, body, done) => {
    if (XMLValidator.validate(body as string) !== true) {
      return done(new ApiError('BAD_REQUEST', { text: 'Request body is not well-formed XML' }), undefined);
    }
    try {
      const parsed = xmlParser.parse(body as string) as Record<string, unknown>;
      const root = Object.keys(parsed).find((k) => k !== '?xml');
      done(null, root ? unwrapXmlLists(parsed[root]) : {});
    } catch {
      done(new ApiError('BAD_REQUEST', { text: 'Request body is not well-formed XML' }), undefined);
    }
  });

  app.setErrorHandler((error: FastifyError & { code?: string }, request, reply) => {
    if (error instanceof ApiError) return sendError(request, reply, error);
    if (error.validation) return sendError(request, reply, new ApiError('BAD_REQUEST', { violations: toViolations(error) }));
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(request, reply, new ApiError('PAYLOAD_TOO_LARGE'));
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(request, reply, new ApiError('UNSUPPORTED_MEDIA_TYPE'));
    // Two requests raced to create the same id or name: the loser is told so, as a pre-check would.
    if (isUniqueViolation(error)) return sendError(request, reply, new ApiError('CONFLICT'));
    if (isUnstorableText(error)) return sendError(request, reply, new ApiError('BAD_REQUEST', { text: NUL_TEXT }));
    // A full disk or an unreachable database is back-pressure, not a bug: nothing was accepted.
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'storage unavailable; answering 503');
      return sendError(request, reply, new ApiError('SERVICE_UNAVAILABLE', { retryAfterSeconds: 5 }));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      // Malformed JSON, empty bodies and the like: the client's fault, said in the client's envelope.
      return sendError(request, reply, new ApiError('BAD_REQUEST', { text: error.message }));
    }
    // The route pattern, not request.url: query strings may carry secrets (the SDK sends client_secret there).
    request.log.error({ err: error, method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0] }, 'unhandled error');
    return sendError(request, reply, new ApiError('GENERAL_ERROR'));
  });

  // A request still in flight when close() starts would leave its keep-alive connection open, and
  // close() waits for that connection (up to keepAliveTimeout, 72 s): answer it with Connection: close.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  app.setNotFoundHandler((request, reply) => sendError(request, reply, new ApiError('NOT_FOUND')));
  return app;
}

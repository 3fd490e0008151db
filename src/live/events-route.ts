/**
 * GET /hookline/1/events: the account's reports and webhook attempts as server-sent events, live.
 * The route checks the request and hands the connection to the hub (events-hub.ts), which writes
 * the events; it answers errors (a malformed Last-Event-ID) as JSON before the stream starts.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { readableFamilies } from '../auth/readable-families.ts';
import { holdsAnyScope } from '../auth/scopes.ts';
import { ApiError } from '../http/errors.ts';
import type { EventScope } from './event-queries.ts';
import { CURSOR_PATTERN, DEFAULT_HUB_OPTIONS, parseCursor, RETRY_MS, type EventSink, type EventsHub } from './events-hub.ts';

const EventHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      pattern: `(${CURSOR_PATTERN})|^$`,
      description: 'Resume after this event: the `id` of the last event received (`<reportId>.<attemptId>`). Sent by EventSource on reconnecting.',
    }),
  ),
});

const DESCRIPTION = [
  "The account's delivery reports and webhook attempts as they are recorded, as server-sent events (`text/event-stream`), from every Hookline process sharing the database.",
  '',
  `The stream starts with \`retry: ${RETRY_MS}\` and sends the comment \`: keep-alive\` every ${DEFAULT_HUB_OPTIONS.keepAliveMs / 1_000} s. Each event has an \`event\` type, an \`id\` and one line of JSON \`data\`:`,
  '',
  '- `report` (callers who may read the message\'s API family: sms:logs:read or sms:manage for SMS, whatsapp:…, email:…, messages-api:manage): ' +
    '`{ reportId, messageId, bulkId, channel, to, final, status, error, doneAt }` — `status` and `error` as in the v3 reports, `doneAt` a date-time.',
  '- `attempt` (callers holding subscriptions:manage): `{ attemptId, deliveryId, attempt, startedAt, durationMs, target, statusCode, errorClass, error, deliveryState, messageIds }` — ' +
    '`target` is `{ url }` or `{ profileId }`, `statusCode`, `errorClass` and `error` are null when they do not apply, `deliveryState` is the delivery\'s state now ' +
    '(PENDING, RETRYING, DELIVERED, DROPPED), `messageIds` the messages whose events the delivery carried.',
  '- `position` (everyone): `{}` — only its `id` matters, the stream\'s position; sent when the stream opens, with every keep-alive and before the server ends the stream, so a quiet client has a `Last-Event-ID` to resume from.',
  '',
  'Without `Last-Event-ID` the stream starts now: only what is recorded from then on. With it (the `id` of the last event received, `<reportId>.<attemptId>`) the stream ' +
    'first replays everything recorded after that event, then goes on live; a malformed one is answered 400 before the stream starts, one past the newest event starts now. ' +
    `The server ends a stream after ${DEFAULT_HUB_OPTIONS.maxStreamMs / 60_000} minutes, when it shuts down, and when the client does not read fast enough: reconnect with \`Last-Event-ID\` ` +
    '(EventSource does so by itself) and nothing is lost or repeated. Credentials are checked on every connection.',
].join('\n');

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // nginx and the like would otherwise hold the events back in their buffers.
  'x-accel-buffering': 'no',
  // One long response per connection: the connection closes with it (nothing to keep alive after a stream).
  connection: 'close',
};

export function registerEventRoutes(app: FastifyInstance, deps: { hub: EventsHub }): void {
  const { hub } = deps;
  // Open streams keep their connections busy: end them before the server waits for its connections to go.
  app.addHook('preClose', async () => {
    await hub.close();
  });

  app.get<{ Headers: Static<typeof EventHeaders> }>(
    '/hookline/1/events',
    {
      schema: {
        summary: 'Live events (server-sent events)',
        description: DESCRIPTION,
        headers: EventHeaders,
        response: { 200: { description: 'The event stream, open until the client or the server ends it.', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
      },
    },
    async (request, reply) => {
      const given = request.headers['last-event-id'];
      const resumeAt = given ? parseCursor(given) : null;
      if (given && !resumeAt) throw new ApiError('BAD_REQUEST', { violations: [{ property: 'last-event-id', violation: 'must be the id of an event: <reportId>.<attemptId>' }] });
      const now = await hub.now();
      // A position past what exists (another gateway's id, a typo) would wait there forever: start at now.
      const from = resumeAt ? { report: Math.min(resumeAt.report, now.report), attempt: Math.min(resumeAt.attempt, now.attempt) } : now;
      const { principal } = request;
      const scope: EventScope = {
        accountId: principal.accountId,
        families: readableFamilies(principal),
        attempts: holdsAnyScope(principal.scopes, ['subscriptions:manage']),
      };
      // A HEAD response has no body: the headers alone, not a stream that could never send anything.
      if (request.method === 'HEAD') return reply.headers(SSE_HEADERS).send();

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, SSE_HEADERS);
      raw.socket?.setNoDelay(true);
      const sink: EventSink = {
        write: (chunk) => raw.write(chunk),
        buffered: () => raw.writableLength,
        end: () => raw.end(),
        destroy: () => raw.destroy(),
      };
      const stop = hub.open(scope, from, sink);
      // The client may have gone while the handler waited on the database: 'close' has fired already.
      if (request.raw.destroyed || raw.destroyed || !raw.socket || raw.socket.destroyed) stop();
      else raw.on('close', stop);
    },
  );
}

/**
 * The console's message log, under `/hookline/1/`:
 *
 *   GET /messages              the account's messages, filtered, newest first (cursor paging)
 *   GET /messages/{messageId}  one message and its timeline: accepted, reports, engagements
 *
 * What a caller sees is its account's messages (an operator may name another with `accountId`,
 * admin/visibility.ts) of the API families it may read (auth/readable-families.ts): a message of
 * another account or of a family the caller may not read does not exist for it (404).
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { targetAccount } from '../admin/visibility.ts';
import { readableFamilies } from '../auth/readable-families.ts';
import { ApiError } from '../http/errors.ts';
import { decodeCursor, pageOf } from '../operations/cursor.ts';
import { optionalTime } from '../operations/time-param.ts';
import type { Database } from '../store/schema.ts';
import { engagementsOfMessage, findMessage, findMessages, reportsOfMessage, SUMMARY_TEXT_CHARS } from './message-queries.ts';
import { DEFAULT_LIMIT, MessageDetailQuery, MessageParams, MessageQuery } from './message-schemas.ts';
import { messageDetailView, messageSummaryView } from './message-views.ts';
import { MessageDetailResponse, MessageListResponse } from './response-schemas.ts';

export interface MessageRouteDeps {
  db: Kysely<Database>;
}

export function registerMessageRoutes(app: FastifyInstance, deps: MessageRouteDeps): void {
  const { db } = deps;

  app.get<{ Querystring: MessageQuery }>(
    '/hookline/1/messages',
    {
      schema: {
        summary: 'Messages (the console message log)',
        description:
          "The account's messages of every API family the caller may read (the channel's logs or manage scope), newest first, with their current status. " +
          `\`text\` is the first ${SUMMARY_TEXT_CHARS} characters. Filters combine with AND; \`sentSince\` ≤ sent time ≤ \`sentUntil\` (a message not sent yet counts from when it was accepted). ` +
          'Page with `cursor` = the previous page\'s `nextCursor` (null on the last page).',
        querystring: MessageQuery,
        response: { 200: MessageListResponse },
      },
    },
    async (request) => {
      const q = request.query;
      const accountId = targetAccount(request.principal, q.accountId);
      // Parameters are checked whatever the caller may read: a bad request is a 400 for everyone.
      const sentSince = optionalTime(q.sentSince, 'sentSince');
      const sentUntil = optionalTime(q.sentUntil, 'sentUntil');
      const after = q.cursor === undefined ? undefined : decodeCursor<number>(q.cursor, 'number');
      const families = readableFamilies(request.principal);
      if (families.length === 0) return { results: [], nextCursor: null };
      const limit = q.limit ?? DEFAULT_LIMIT;
      const rows = await findMessages(db, {
        accountId,
        families,
        destination: q.destination,
        messageId: q.messageId,
        bulkId: q.bulkId,
        channel: q.channel,
        generalStatus: q.generalStatus,
        sentSince,
        sentUntil,
        after,
        limit,
      });
      const page = pageOf(rows, limit, (r) => ({ at: r.created_at, id: r.pk }));
      return { results: page.rows.map(messageSummaryView), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: MessageParams; Querystring: MessageDetailQuery }>(
    '/hookline/1/messages/:messageId',
    {
      schema: {
        summary: 'One message and its timeline',
        description:
          'The message (as in the list, plus `notifyUrl` and `validityPeriodMs`) and its timeline, oldest first: ACCEPTED, every REPORT (intermediate, ' +
          'failover steps and final, with price), and SEEN, OPEN, CLICK and COMPLAINT events. 404 for an unknown message, another account\'s, or one of an API family the caller may not read.',
        params: MessageParams,
        querystring: MessageDetailQuery,
        response: { 200: MessageDetailResponse },
      },
    },
    async (request) => {
      const accountId = targetAccount(request.principal, request.query.accountId);
      const families = readableFamilies(request.principal);
      const row = families.length === 0 ? undefined : await findMessage(db, accountId, request.params.messageId, families);
      if (!row) throw new ApiError('NOT_FOUND');
      const [reports, engagements] = await Promise.all([reportsOfMessage(db, accountId, row.pk), engagementsOfMessage(db, accountId, row.pk)]);
      return messageDetailView(row, reports, engagements);
    },
  );
}

/**
 * `GET /sms/1/inbox/reports`: inbound messages that were not pushed (no INBOUND_MESSAGE
 * subscription matched), each returned once, oldest first, then gone; entries older than 48 h are
 * skipped and swept. `pendingMessageCount` is how many of the account's messages are still
 * waiting after this pull.
 *
 * Concurrent pulls never return one message twice: on PostgreSQL the rows taken are locked with
 * SKIP LOCKED (a second puller takes the next ones), and only rows this pull really deleted are
 * returned; SQLite runs one write transaction at a time.
 *
 * `applicationId`, `entityId` and `campaignReferenceId` filter as in the spec; simulated inbound
 * messages carry none of them, so a pull naming one returns no messages.
 */
import { Type as T, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { sendBody, wantsXml } from '../http/server.ts';
import type { DialectProfile } from '../store/dialect.ts';
import type { Database, InboundApi } from '../store/schema.ts';
import { removeTaken } from '../store/take-once.ts';
import { loadInboundViews, moBody, moXmlBody, MO_XML_ROOT, type InboundView } from './mo-shape.ts';

export const InboxQuery = T.Object({
  limit: T.Optional(T.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  applicationId: T.Optional(T.String()),
  entityId: T.Optional(T.String()),
  campaignReferenceId: T.Optional(T.String()),
});
export type InboxQuery = Static<typeof InboxQuery>;

/** Drains the account's inbox of inbound messages in one API's shape (each API pulls its own). */
export async function pullInbox(db: Kysely<Database>, profile: DialectProfile, accountId: string, query: InboxQuery & { channel?: string }, now: number, api: InboundApi): Promise<{ messages: InboundView[]; pending: number }> {
  return db.transaction().execute(async (trx) => {
    const filtered = query.applicationId !== undefined || query.entityId !== undefined || query.campaignReferenceId !== undefined;
    let messages: InboundView[] = [];
    if (!filtered) {
      let select = trx
        .selectFrom('inbox_queue as q')
        .innerJoin('inbound_messages as i', 'i.id', 'q.inbound_id')
        .select(['q.id', 'q.inbound_id'])
        .where('q.account_id', '=', accountId)
        .where('q.expires_at', '>', now)
        .where('i.api', '=', api)
        .orderBy('q.id')
        .limit(query.limit ?? 50);
      if (query.channel) select = select.where('i.channel', '=', query.channel);
      if (profile.skipLocked) select = select.forUpdate('q').skipLocked();
      const taken = await removeTaken(trx, 'inbox_queue', await select.execute());
      messages = await loadInboundViews(trx, taken.map((t) => Number(t.inbound_id)));
    }
    let left = trx
      .selectFrom('inbox_queue as q')
      .innerJoin('inbound_messages as i', 'i.id', 'q.inbound_id')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('q.account_id', '=', accountId)
      .where('q.expires_at', '>', now)
      .where('i.api', '=', api);
    if (query.channel) left = left.where('i.channel', '=', query.channel);
    return { messages, pending: Number((await left.executeTakeFirstOrThrow()).n) };
  });
}

export function registerInboxRoutes(app: FastifyInstance, { db, profile, clock }: { db: Kysely<Database>; profile: DialectProfile; clock: Clock }): void {
  app.get<{ Querystring: InboxQuery }>('/sms/1/inbox/reports', { schema: { querystring: InboxQuery } }, async (request, reply) => {
    const { messages, pending } = await pullInbox(db, profile, request.principal.accountId, request.query, clock.now(), 'sms');
    return sendBody(request, reply, MO_XML_ROOT, wantsXml(request) ? moXmlBody(messages, pending) : moBody(messages, pending));
  });
}

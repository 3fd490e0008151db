/**
 * `/hookline/1/accounts`: tenants. Only the operator creates, lists all and deletes accounts;
 * deleting one deletes everything it owns, once nothing of it is still in flight.
 */
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Selectable } from 'kysely';
import { canActOnAccount, DEFAULT_ACCOUNT_ID, isOperator } from '../auth/principal.ts';
import { ApiError } from '../http/errors.ts';
import { formatInfobipTime } from '../lib/infobip-time.ts';
import type { AccountsTable } from '../store/schema.ts';
import type { AdminDeps } from './admin-routes.ts';
import { PageQuery, pageOf } from './paging.ts';

const ACCOUNT_ID = '^[A-Za-z0-9_-]{1,64}$';
const CreateAccount = Type.Object({ id: Type.Optional(Type.String({ pattern: ACCOUNT_ID })), name: Type.String({ minLength: 1, maxLength: 255 }) });
const UpdateAccount = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) });
type Params = { accountId: string };

/** Every table with rows owned by an account, children before parents. */
export const ACCOUNT_TABLES = ['attempts', 'deliveries', 'outbox', 'pull_queue', 'reports', 'engagements', 'network_jobs', 'messages', 'bulks', 'sessions', 'oauth_tokens', 'api_keys', 'users', 'roles', 'subscriptions', 'notification_profiles', 'security_settings', 'inbox_queue', 'inbound_messages', 'numbers', 'clicks', 'short_links', 'recoveries', 'target_health'] as const;

const view = (row: Selectable<AccountsTable>) => ({ id: row.id, name: row.name, createdAt: formatInfobipTime(Number(row.created_at)) });

export function registerAccountRoutes(app: FastifyInstance, { db, authenticator, clock }: AdminDeps): void {
  const find = async (accountId: string) => {
    const row = await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirst();
    if (!row) throw new ApiError('NOT_FOUND');
    return row;
  };
  const operatorOnly = (principal: Parameters<typeof isOperator>[0]) => {
    if (!isOperator(principal)) throw new ApiError('FORBIDDEN');
  };

  app.get<{ Querystring: PageQuery }>('/hookline/1/accounts', { schema: { querystring: PageQuery } }, async (request) => {
    let query = db.selectFrom('accounts').selectAll().orderBy('created_at').orderBy('id');
    if (!isOperator(request.principal)) query = query.where('id', '=', request.principal.accountId);
    return pageOf((await query.execute()).map(view), request.query);
  });

  app.post<{ Body: Static<typeof CreateAccount> }>('/hookline/1/accounts', { schema: { body: CreateAccount } }, async (request, reply) => {
    operatorOnly(request.principal);
    const row = { id: request.body.id ?? randomUUID(), name: request.body.name, created_at: clock.now() };
    const inserted = await db.insertInto('accounts').values(row).onConflict((oc) => oc.column('id').doNothing()).returningAll().executeTakeFirst();
    if (!inserted) throw new ApiError('CONFLICT', { text: `Account ${row.id} already exists.` });
    return reply.status(201).header('location', `/hookline/1/accounts/${encodeURIComponent(row.id)}`).send(view(inserted));
  });

  app.get<{ Params: Params }>('/hookline/1/accounts/:accountId', async (request) => {
    if (!canActOnAccount(request.principal, request.params.accountId)) throw new ApiError('NOT_FOUND');
    return view(await find(request.params.accountId));
  });

  app.put<{ Params: Params; Body: Static<typeof UpdateAccount> }>('/hookline/1/accounts/:accountId', { schema: { body: UpdateAccount } }, async (request) => {
    if (!canActOnAccount(request.principal, request.params.accountId)) throw new ApiError('NOT_FOUND');
    await find(request.params.accountId);
    const row = await db.updateTable('accounts').set({ name: request.body.name }).where('id', '=', request.params.accountId).returningAll().executeTakeFirstOrThrow();
    return view(row);
  });

  app.delete<{ Params: Params }>('/hookline/1/accounts/:accountId', async (request) => {
    const { accountId } = request.params;
    if (!canActOnAccount(request.principal, accountId)) throw new ApiError('NOT_FOUND');
    operatorOnly(request.principal);
    await find(accountId);
    if (accountId === DEFAULT_ACCOUNT_ID) throw new ApiError('CONFLICT', { text: 'The operator account cannot be deleted.' });
    // Deleting an account deletes everything it owns — but never reports still on their way.
    const deleted = await db.transaction().execute(async (trx) => {
      const inFlight = await trx
        .selectFrom('messages')
        .select('account_id')
        .where('account_id', '=', accountId)
        .where('state', 'in', ['SCHEDULED', 'SUBMITTED'])
        .unionAll(trx.selectFrom('outbox').select('account_id').where('account_id', '=', accountId).where('state', 'in', ['READY', 'BATCHED']))
        .unionAll(trx.selectFrom('deliveries').select('account_id').where('account_id', '=', accountId).where('state', 'in', ['PENDING', 'RETRYING']))
        .limit(1)
        .executeTakeFirst();
      if (inFlight) throw new ApiError('CONFLICT', { text: `Account ${accountId} still has messages or webhooks in flight; cancel or let them finish first.` });
      // SMPP parts belong to the account through their messages (no account_id of their own).
      await trx.deleteFrom('smpp_parts').where('message_pk', 'in', trx.selectFrom('messages').select('pk').where('account_id', '=', accountId)).execute();
      for (const table of ACCOUNT_TABLES) await trx.deleteFrom(table).where('account_id', '=', accountId).execute();
      await trx.deleteFrom('accounts').where('id', '=', accountId).execute();
      return { id: accountId };
    });
    authenticator.forgetWhere((p) => p.accountId === accountId);
    return deleted;
  });
}

/**
 * `/hookline/1/users`: people who sign in (Basic, IBSSO, OAuth2). Passwords are write-only;
 * nobody gives a user roles with scopes they do not hold themselves, and nobody disables or
 * deletes themselves (an account must not lock itself out by accident).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { canActOnAccount, type Principal } from '../auth/principal.ts';
import { coversScopes } from '../auth/scopes.ts';
import { MAX_USERNAME_LENGTH, type UserRow } from '../auth/users.ts';
import { ApiError, badRequest } from '../http/errors.ts';
import { formatInfobipTime } from '../lib/infobip-time.ts';
import type { AdminDeps } from './admin-routes.ts';
import { PageQuery, pageOf } from './paging.ts';
import { accountExists, targetAccount } from './visibility.ts';

const Password = Type.String({ minLength: 8, maxLength: 1024 });
const Roles = Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 50, uniqueItems: true });
const CreateUser = Type.Object({
  username: Type.String({ minLength: 1, maxLength: MAX_USERNAME_LENGTH, pattern: '^[^:\\s\\u0000]+$' }),
  password: Password,
  roles: Roles,
  accountId: Type.Optional(Type.String({ minLength: 1 })),
  enabled: Type.Optional(Type.Boolean()),
});
const UpdateUser = Type.Object({ password: Type.Optional(Password), roles: Type.Optional(Roles), enabled: Type.Optional(Type.Boolean()) });
const ListUsers = Type.Composite([PageQuery, Type.Object({ accountId: Type.Optional(Type.String()) })]);
type Params = { userId: string };

const view = (row: UserRow) => ({
  id: row.id,
  accountId: row.account_id,
  username: row.username,
  roles: JSON.parse(row.roles) as string[],
  enabled: row.enabled === 1,
  createdAt: formatInfobipTime(Number(row.created_at)),
  updatedAt: formatInfobipTime(Number(row.updated_at)),
});

export function registerUserRoutes(app: FastifyInstance, { users, authenticator, db, clock }: AdminDeps): void {
  const findVisible = async (principal: Principal, userId: string) => {
    const row = await users.byId(userId);
    if (!row || !canActOnAccount(principal, row.account_id)) throw new ApiError('NOT_FOUND');
    return row;
  };
  /** Changing a user is as powerful as being them: only someone holding all their scopes may. */
  const findChangeable = async (principal: Principal, userId: string) => {
    const row = await findVisible(principal, userId);
    if (!coversScopes(principal.scopes, [...(await users.scopesOf(row))])) throw new ApiError('FORBIDDEN', { text: 'You cannot change a user who holds scopes you do not hold.' });
    return row;
  };
  /** Every role must exist in the account, and the caller must hold every scope they grant. */
  const checkRoles = async (principal: Principal, accountId: string, roles: string[]) => {
    const { scopes, unknown } = await users.resolveRoles(accountId, roles);
    if (unknown.length > 0) throw badRequest([{ property: 'roles', violation: `unknown roles: ${unknown.join(', ')}` }]);
    if (!coversScopes(principal.scopes, [...scopes])) throw new ApiError('FORBIDDEN', { text: 'A user cannot be given scopes the caller does not hold.' });
  };

  app.get<{ Querystring: Static<typeof ListUsers> }>('/hookline/1/users', { schema: { querystring: ListUsers } }, async (request) => {
    const accountId = targetAccount(request.principal, request.query.accountId);
    const rows = await db.selectFrom('users').selectAll().where('account_id', '=', accountId).orderBy('username').execute();
    return pageOf(rows.map(view), request.query);
  });

  app.post<{ Body: Static<typeof CreateUser> }>('/hookline/1/users', { schema: { body: CreateUser } }, async (request, reply) => {
    const { body, principal } = request;
    const accountId = targetAccount(principal, body.accountId);
    if (!(await accountExists(db, accountId))) throw badRequest([{ property: 'accountId', violation: 'unknown account' }]);
    await checkRoles(principal, accountId, body.roles);
    const taken = await db.selectFrom('users').select('id').where('username', '=', body.username).executeTakeFirst();
    if (taken) throw new ApiError('CONFLICT', { text: 'This username is not available.' }); // usernames are global: name no other account's user
    const row = await users.insert(accountId, body.username, body.password, body.roles, clock.now(), body.enabled ?? true);
    return reply.status(201).header('location', `/hookline/1/users/${row.id}`).send(view(row));
  });

  app.get<{ Params: Params }>('/hookline/1/users/:userId', async (request) => view(await findVisible(request.principal, request.params.userId)));

  app.put<{ Params: Params; Body: Static<typeof UpdateUser> }>('/hookline/1/users/:userId', { schema: { body: UpdateUser } }, async (request) => {
    const { body, principal } = request;
    const existing = await findChangeable(principal, request.params.userId);
    if (existing.id === principal.userId && body.enabled === false) throw badRequest([{ property: 'enabled', violation: 'you cannot disable yourself' }]);
    if (body.roles) await checkRoles(principal, existing.account_id, body.roles);
    const updated = await users.update(existing.id, body, clock.now());
    authenticator.forgetWhere((p) => p.userId === existing.id);
    return view(updated!);
  });

  app.delete<{ Params: Params }>('/hookline/1/users/:userId', async (request) => {
    const existing = await findChangeable(request.principal, request.params.userId);
    if (existing.id === request.principal.userId) throw badRequest([{ property: 'userId', violation: 'you cannot delete yourself' }]);
    await users.remove(existing.id);
    authenticator.forgetWhere((p) => p.userId === existing.id);
    return { id: existing.id };
  });
}

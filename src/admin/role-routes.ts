/**
 * `/hookline/1/roles`: the built-in roles (read-only, listed for every account) and the
 * account's custom roles, each a named set of scopes. A role still given to a user is not deleted.
 */
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Selectable } from 'kysely';
import type { Principal } from '../auth/principal.ts';
import { BUILT_IN_ROLE_BY_ID, BUILT_IN_ROLES } from '../auth/roles.ts';
import { coversScopes, KNOWN_SCOPES } from '../auth/scopes.ts';
import { ApiError, badRequest } from '../http/errors.ts';
import type { RolesTable } from '../store/schema.ts';
import type { AdminDeps } from './admin-routes.ts';
import { PageQuery, pageOf } from './paging.ts';
import { accountExists, targetAccount } from './visibility.ts';

const Scopes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { uniqueItems: true, maxItems: 200 });
const CreateRole = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }), scopes: Scopes, accountId: Type.Optional(Type.String({ minLength: 1 })) });
const UpdateRole = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })), scopes: Type.Optional(Scopes) });
const ListRoles = Type.Composite([PageQuery, Type.Object({ accountId: Type.Optional(Type.String()) })]);
type Params = { roleId: string };

const builtInViews = BUILT_IN_ROLES.map((r) => ({ id: r.id, name: r.name, scopes: [...r.scopes], builtIn: true }));
const view = (row: Selectable<RolesTable>) => ({ id: row.id, accountId: row.account_id, name: row.name, scopes: JSON.parse(row.scopes) as string[], builtIn: false });

function checkScopes(principal: Principal, scopes: readonly string[]): void {
  const unknown = scopes.filter((s) => !KNOWN_SCOPES.has(s));
  if (unknown.length > 0) throw badRequest([{ property: 'scopes', violation: `unknown scopes: ${unknown.join(', ')}` }]);
  if (!coversScopes(principal.scopes, scopes)) throw new ApiError('FORBIDDEN', { text: 'A role cannot hold scopes the caller does not hold.' });
}

export function registerRoleRoutes(app: FastifyInstance, { db, authenticator, clock }: AdminDeps): void {
  /** Users' scopes come from their roles: a changed role applies at once in this process. */
  const rolesChanged = (accountId: string) => authenticator.forgetWhere((p) => p.accountId === accountId && p.scheme !== 'app');
  /** A custom role of an account the caller may see; built-in roles are refused as read-only. */
  const findCustom = async (principal: Principal, roleId: string) => {
    if (BUILT_IN_ROLE_BY_ID.has(roleId)) throw badRequest([{ property: 'roleId', violation: 'built-in roles cannot be changed' }]);
    const row = await db.selectFrom('roles').selectAll().where('id', '=', roleId).executeTakeFirst();
    if (!row) throw new ApiError('NOT_FOUND');
    targetAccount(principal, row.account_id);
    return row;
  };
  /** Changing a role changes what its holders may do: only someone holding all its scopes may. */
  const findChangeable = async (principal: Principal, roleId: string) => {
    const row = await findCustom(principal, roleId);
    if (!coversScopes(principal.scopes, JSON.parse(row.scopes) as string[])) throw new ApiError('FORBIDDEN', { text: 'You cannot change a role that holds scopes you do not hold.' });
    return row;
  };
  const nameTaken = async (accountId: string, name: string, exceptId?: string) => {
    const row = await db.selectFrom('roles').select('id').where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
    return row !== undefined && row.id !== exceptId;
  };

  app.get<{ Querystring: Static<typeof ListRoles> }>('/hookline/1/roles', { schema: { querystring: ListRoles } }, async (request) => {
    const accountId = targetAccount(request.principal, request.query.accountId);
    const custom = await db.selectFrom('roles').selectAll().where('account_id', '=', accountId).orderBy('name').execute();
    return pageOf([...builtInViews, ...custom.map(view)], request.query);
  });

  app.post<{ Body: Static<typeof CreateRole> }>('/hookline/1/roles', { schema: { body: CreateRole } }, async (request, reply) => {
    const { body, principal } = request;
    const accountId = targetAccount(principal, body.accountId);
    if (!(await accountExists(db, accountId))) throw badRequest([{ property: 'accountId', violation: 'unknown account' }]);
    checkScopes(principal, body.scopes);
    if (await nameTaken(accountId, body.name)) throw new ApiError('CONFLICT', { text: `A role named ${body.name} already exists.` });
    const row = { id: randomUUID(), account_id: accountId, name: body.name, scopes: JSON.stringify(body.scopes), created_at: clock.now() };
    await db.insertInto('roles').values(row).execute();
    return reply.status(201).header('location', `/hookline/1/roles/${row.id}`).send(view(row));
  });

  app.get<{ Params: Params }>('/hookline/1/roles/:roleId', async (request) => {
    const builtIn = builtInViews.find((r) => r.id === request.params.roleId);
    return builtIn ?? view(await findCustom(request.principal, request.params.roleId));
  });

  app.put<{ Params: Params; Body: Static<typeof UpdateRole> }>('/hookline/1/roles/:roleId', { schema: { body: UpdateRole } }, async (request) => {
    const { body, principal } = request;
    const existing = await findChangeable(principal, request.params.roleId);
    if (body.scopes) checkScopes(principal, body.scopes);
    if (body.name && (await nameTaken(existing.account_id, body.name, existing.id))) throw new ApiError('CONFLICT', { text: `A role named ${body.name} already exists.` });
    const set = { ...(body.name ? { name: body.name } : {}), ...(body.scopes ? { scopes: JSON.stringify(body.scopes) } : {}) };
    if (Object.keys(set).length === 0) return view(existing);
    const updated = await db.updateTable('roles').set(set).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow();
    rolesChanged(existing.account_id);
    return view(updated);
  });

  app.delete<{ Params: Params }>('/hookline/1/roles/:roleId', async (request) => {
    const existing = await findChangeable(request.principal, request.params.roleId);
    const holders = await db.selectFrom('users').select('roles').where('account_id', '=', existing.account_id).execute();
    if (holders.some((u) => (JSON.parse(u.roles) as string[]).includes(existing.id))) {
      throw new ApiError('CONFLICT', { text: 'The role is still given to users.' });
    }
    await db.deleteFrom('roles').where('id', '=', existing.id).execute();
    rolesChanged(existing.account_id);
    return { id: existing.id };
  });
}

/**
 * API key management, as in Infobip's account-management spec: `GET/POST /settings/2/api-keys`
 * and `GET/PUT /settings/2/api-keys/{apiKeyId}`. Callers are users (the route policy refuses API
 * keys). A principal sees its own account's keys; the operator account also every other's.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { ApiError, badRequest, type Violation } from '../http/errors.ts';
import { formatInfobipTime, parseInfobipTime } from '../lib/infobip-time.ts';
import { Enum } from '../lib/schema-enum.ts';
import type { Database } from '../store/schema.ts';
import { MAX_PAGE_SIZE } from './paging.ts';
import { accountExists } from './visibility.ts';
import type { ApiKeyChanges, ApiKeyFilter, ApiKeyRow, ApiKeys } from '../auth/api-keys.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import { invalidIpRules } from '../auth/ip-rules.ts';
import { canActOnAccount, type Principal } from '../auth/principal.ts';
import { coversScopes, KNOWN_SCOPES } from '../auth/scopes.ts';

/** Infobip's default validity: one calendar year from creation. */
const oneYearAfter = (ms: number): number => {
  const date = new Date(ms);
  date.setUTCFullYear(date.getUTCFullYear() + 1);
  return date.getTime();
};
const PERMISSIONS = ['PUBLIC_API', '2FA_CLIENT', 'WEB_SDK'] as const;
/** The spec's limits: pages 0–100 of at most 100 keys. */
const MAX_PAGE = 100;
const ORDER_BY = { id: 'id', name: 'name', validFrom: 'valid_from', validTo: 'valid_to', createdAt: 'created_at' } as const;

const Platform = Type.Array(Type.Object({ applicationId: Type.String() }, { additionalProperties: true }));
const KeyFields = {
  accountId: Type.Optional(Type.String({ minLength: 1 })),
  allowedIPs: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
  validFrom: Type.Optional(Type.String()),
  validTo: Type.Optional(Type.String()),
  permissions: Type.Optional(Type.Array(Enum(PERMISSIONS), { uniqueItems: true })),
  platform: Type.Optional(Platform),
  scopeGuids: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { uniqueItems: true, maxItems: 200 })),
};
const CreateApiKeyRequest = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }), ...KeyFields });
const UpdateApiKeyRequest = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })), enabled: Type.Optional(Type.Boolean()), ...KeyFields });
type CreateApiKeyRequest = Static<typeof CreateApiKeyRequest>;
type UpdateApiKeyRequest = Static<typeof UpdateApiKeyRequest>;

const ListQuery = Type.Object({
  accountId: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PAGE })),
  size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
  orderBy: Type.Optional(Enum(Object.keys(ORDER_BY) as (keyof typeof ORDER_BY)[])),
  orderDirection: Type.Optional(Enum(['asc', 'desc', 'ASC', 'DESC'])),
  enabled: Type.Optional(Type.Boolean()),
  apiKeySecret: Type.Optional(Type.String()),
});
type ListQuery = Static<typeof ListQuery>;

export function toApiKeyView(row: ApiKeyRow, secret?: string): Record<string, unknown> {
  return {
    id: row.id,
    ...(secret === undefined ? {} : { apiKeySecret: secret }),
    accountId: row.account_id,
    name: row.name,
    allowedIPs: row.allowed_ips ? JSON.parse(row.allowed_ips) : [],
    validFrom: formatInfobipTime(Number(row.valid_from || row.created_at)),
    ...(row.valid_to === null ? {} : { validTo: formatInfobipTime(Number(row.valid_to)) }),
    enabled: row.enabled === 1,
    permissions: row.permissions ? JSON.parse(row.permissions) : ['PUBLIC_API'],
    scopeGuids: JSON.parse(row.scopes),
  };
}


/** Checks the fields shared by create and update; returns the stored form of those present. */
async function validateFields(
  body: CreateApiKeyRequest | UpdateApiKeyRequest,
  principal: Principal,
  accountExists: (id: string) => Promise<boolean>,
  defaults: { validFrom: number; validTo: number | null },
  now: number,
): Promise<ApiKeyChanges & { account_id?: string }> {
  const violations: Violation[] = [];
  const changes: ApiKeyChanges & { account_id?: string } = {};
  if (body.accountId !== undefined) {
    if (!canActOnAccount(principal, body.accountId) || !(await accountExists(body.accountId))) violations.push({ property: 'accountId', violation: 'unknown account' });
    else changes.account_id = body.accountId;
  }
  if (body.allowedIPs !== undefined) {
    const invalid = invalidIpRules(body.allowedIPs);
    if (invalid.length > 0) violations.push({ property: 'allowedIPs', violation: `not an IP address or CIDR range: ${invalid.join(', ')}` });
    changes.allowed_ips = body.allowedIPs.length > 0 ? JSON.stringify(body.allowedIPs.map((ip) => ip.trim())) : null;
  }
  const time = (field: 'validFrom' | 'validTo') => {
    const text = body[field];
    if (text === undefined) return undefined;
    const ms = parseInfobipTime(text);
    if (Number.isNaN(ms)) violations.push({ property: field, violation: 'must be a date-time such as 2027-01-01T00:00:00.000+0000' });
    return ms;
  };
  const validFrom = time('validFrom');
  const validTo = time('validTo');
  if (validFrom !== undefined) changes.valid_from = validFrom;
  if (validTo !== undefined) changes.valid_to = validTo;
  const from = validFrom ?? defaults.validFrom;
  const to = validTo ?? defaults.validTo;
  const windowChanged = validFrom !== undefined || validTo !== undefined;
  if (windowChanged && to !== null && !Number.isNaN(to) && !Number.isNaN(from) && to <= Math.max(from, now)) {
    violations.push({ property: 'validTo', violation: 'must be later than validFrom and than now' });
  }
  if (body.permissions !== undefined) {
    if (body.permissions.includes('PUBLIC_API') && body.permissions.includes('WEB_SDK')) {
      violations.push({ property: 'permissions', violation: 'PUBLIC_API and WEB_SDK cannot be combined' });
    }
    changes.permissions = body.permissions.length > 0 ? JSON.stringify(body.permissions) : null;
  }
  if (body.platform !== undefined && body.platform.length > 0) {
    violations.push({ property: 'platform', violation: 'CPaaS X applications and entities are not supported by Hookline' });
  }
  if (body.scopeGuids !== undefined) {
    const unknown = body.scopeGuids.filter((s) => !KNOWN_SCOPES.has(s));
    if (unknown.length > 0) violations.push({ property: 'scopeGuids', violation: `unknown scopes: ${unknown.join(', ')}` });
    changes.scopes = JSON.stringify(body.scopeGuids);
  }
  if (violations.length > 0) throw badRequest(violations);
  // Nobody grants a key more than they hold themselves.
  if (body.scopeGuids !== undefined && !coversScopes(principal.scopes, body.scopeGuids)) {
    throw new ApiError('FORBIDDEN', { text: 'A key cannot be given scopes its creator does not hold.' });
  }
  return changes;
}

export function registerApiKeyRoutes(app: FastifyInstance, deps: { apiKeys: ApiKeys; authenticator: Authenticator; db: Kysely<Database>; clock: Clock }): void {
  const { apiKeys, authenticator, db, clock } = deps;
  const exists = (id: string) => accountExists(db, id);
  const findVisible = async (principal: Principal, id: string) => {
    const row = await apiKeys.byId(id);
    if (!row || !canActOnAccount(principal, row.account_id)) throw new ApiError('NOT_FOUND');
    return row;
  };

  app.get<{ Querystring: ListQuery }>('/settings/2/api-keys', { schema: { querystring: ListQuery } }, async (request) => {
    const q = request.query;
    const principal = request.principal;
    const page = q.page ?? 0;
    const size = q.size ?? MAX_PAGE_SIZE;
    const orderBy = q.orderBy ?? 'id';
    const direction = (q.orderDirection?.toLowerCase() ?? 'asc') as 'asc' | 'desc';
    // Another account's id answers as if it had no keys.
    const accountIds: ApiKeyFilter['accountIds'] = q.accountId !== undefined ? (canActOnAccount(principal, q.accountId) ? [q.accountId] : []) : [principal.accountId];
    const { rows, total } = await apiKeys.list({ accountIds, name: q.name, enabled: q.enabled, secret: q.apiKeySecret, orderBy: ORDER_BY[orderBy], direction, offset: page * size, limit: size });
    return {
      apiKeys: rows.map((row) => toApiKeyView(row)),
      paging: { page, pageSize: size, orderDirection: direction, orderBy, totalCount: total, totalPages: Math.ceil(total / size) },
    };
  });

  app.post<{ Body: CreateApiKeyRequest }>('/settings/2/api-keys', { schema: { body: CreateApiKeyRequest } }, async (request) => {
    const now = clock.now();
    const principal = request.principal;
    const defaults = { validFrom: now, validTo: oneYearAfter(now) };
    const fields = await validateFields(request.body, principal, exists, defaults, now);
    if (fields.valid_from !== undefined && fields.valid_from < now - 60_000) throw badRequest([{ property: 'validFrom', violation: 'must not be earlier than the creation time' }]);
    const { row, secret } = await apiKeys.create(
      {
        accountId: fields.account_id ?? principal.accountId,
        userId: principal.userId,
        name: request.body.name,
        // A key created without scopes gets its creator's role scopes, as Infobip does.
        scopes: request.body.scopeGuids ?? [...principal.scopes],
        permissions: fields.permissions ? (JSON.parse(fields.permissions) as string[]) : null,
        allowedIps: fields.allowed_ips ? (JSON.parse(fields.allowed_ips) as string[]) : null,
        validFrom: fields.valid_from ?? defaults.validFrom,
        validTo: fields.valid_to ?? defaults.validTo,
      },
      now,
    );
    return toApiKeyView(row, secret);
  });

  app.get<{ Params: { apiKeyId: string } }>('/settings/2/api-keys/:apiKeyId', async (request) => toApiKeyView(await findVisible(request.principal, request.params.apiKeyId)));

  app.put<{ Params: { apiKeyId: string }; Body: UpdateApiKeyRequest }>('/settings/2/api-keys/:apiKeyId', { schema: { body: UpdateApiKeyRequest } }, async (request) => {
    const existing = await findVisible(request.principal, request.params.apiKeyId);
    // Changing a key is as powerful as holding it (re-enable, widen its IPs): only someone holding all its scopes may.
    if (!coversScopes(request.principal.scopes, JSON.parse(existing.scopes) as string[])) {
      throw new ApiError('FORBIDDEN', { text: 'You cannot change a key that holds scopes you do not hold.' });
    }
    const body = request.body;
    const defaults = { validFrom: Number(existing.valid_from), validTo: existing.valid_to === null ? null : Number(existing.valid_to) };
    const { account_id: accountId, ...changes } = await validateFields(body, request.principal, exists, defaults, clock.now());
    if (accountId !== undefined && accountId !== existing.account_id) throw badRequest([{ property: 'accountId', violation: 'a key cannot move to another account' }]);
    if (body.name !== undefined) changes.name = body.name;
    if (body.enabled !== undefined) changes.enabled = body.enabled ? 1 : 0;
    const updated = await apiKeys.update(existing.id, changes);
    authenticator.forgetWhere((p) => p.scheme === 'app' && p.credentialId === existing.id);
    return toApiKeyView(updated!);
  });
}

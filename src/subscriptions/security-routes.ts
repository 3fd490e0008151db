/**
 * Security settings ("authentication settings"): `GET/POST /subscriptions/1/security`,
 * `GET/PUT/DELETE /subscriptions/1/security/{authId}`. Types BASIC, HMAC and OAUTH; CUSTOM is
 * refused. Secrets are stored as given and answered masked (views.ts). Settings still used by a
 * notification profile are not deleted (409). A PUT ends an HMAC key rotation's overlap unless it
 * keeps the key (key-rotation.ts); rotation itself is Hookline's (rotation-routes.ts).
 */
import type { FastifyInstance } from 'fastify';
import { ApiError, type Violation } from '../http/errors.ts';
import { securityFromRow, type SecurityType } from './model.ts';
import { checkUrl, conflict, findSecurity, insertSecurity, throwIfAny, write, type SubscriptionApiDeps } from './persistence.ts';
import { checkId, checkSecurityDefinition, NoIdSecurityRequest, nullMeansAbsent, PageQuery, SECRET_FIELDS, SecurityRequest, type SecurityDefinition } from './request-schemas.ts';
import { idOnlySecurity, MASK, paging, securityView } from './views.ts';
import { credentialsForPut } from './key-rotation.ts';

type Params = { authId: string };
type SecurityBody = { authId?: string; type?: string; credentials?: Record<string, unknown> };

/** Refuses an OAuth token URL that may not be contacted (the same rules as webhook URLs). */
export async function checkSecurityUrls(definition: SecurityDefinition | null, prefix: string, deps: SubscriptionApiDeps, violations: Violation[]): Promise<void> {
  const tokenUrl = definition?.type === 'OAUTH' ? definition.credentials.tokenUrl : undefined;
  if (typeof tokenUrl === 'string') await checkUrl(tokenUrl, `${prefix}credentials.tokenUrl`, deps.targetPolicy, violations);
}

/**
 * For a PUT: a secret sent back exactly as it was answered (the mask) keeps the stored secret,
 * when the type stays the same and that secret was set. OAuth header values likewise.
 */
function keepMasked(stored: { type: SecurityType; credentials: Record<string, unknown> }) {
  return (type: SecurityType, field: string, value: unknown): unknown => {
    if (type !== stored.type) return value;
    if (field === 'headers' && value && typeof value === 'object' && !Array.isArray(value)) {
      const storedHeaders = (stored.credentials.headers ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([name, v]) => [name, v === MASK && typeof storedHeaders[name] === 'string' ? storedHeaders[name] : v]));
    }
    if (value === MASK && SECRET_FIELDS[type].includes(field) && typeof stored.credentials[field] === 'string') return stored.credentials[field];
    return value;
  };
}

export function registerSecurityRoutes(app: FastifyInstance, deps: SubscriptionApiDeps): void {
  const { db, clock } = deps;

  app.get<{ Querystring: PageQuery }>('/subscriptions/1/security', { schema: { querystring: PageQuery } }, async (request) => {
    const accountId = request.principal.accountId;
    const page = request.query.page ?? 0;
    const size = request.query.size ?? 20;
    const [rows, total] = await Promise.all([
      db
        .selectFrom('security_settings')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at', 'desc')
        .orderBy('auth_id')
        .limit(size)
        .offset(page * size)
        .execute(),
      db.selectFrom('security_settings').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow(),
    ]);
    return { results: rows.map(securityView), paging: paging(page, size, Number(total.n)) };
  });

  app.post<{ Body: SecurityBody & { authId: string } }>('/subscriptions/1/security', { schema: { body: SecurityRequest }, preValidation: nullMeansAbsent }, async (request, reply) => {
    const { body } = request;
    const accountId = request.principal.accountId;
    const violations: Violation[] = [];
    checkId(body.authId, 'authId', violations);
    const definition = checkSecurityDefinition(body, '', violations);
    await checkSecurityUrls(definition, '', deps, violations);
    throwIfAny(violations);
    await write(deps, (trx) => insertSecurity(trx, accountId, body.authId, definition!, clock.now()));
    return reply.status(201).header('location', `/subscriptions/1/security/${body.authId}`).send(idOnlySecurity(body.authId));
  });

  app.get<{ Params: Params }>('/subscriptions/1/security/:authId', async (request) => {
    const row = await findSecurity(db, request.principal.accountId, request.params.authId);
    if (!row) throw new ApiError('NOT_FOUND');
    return securityView(row);
  });

  app.put<{ Params: Params; Body: SecurityBody }>('/subscriptions/1/security/:authId', { schema: { body: NoIdSecurityRequest }, preValidation: nullMeansAbsent }, async (request) => {
    const accountId = request.principal.accountId;
    const { authId } = request.params;
    const existing = await findSecurity(db, accountId, authId);
    if (!existing) throw new ApiError('NOT_FOUND');
    const violations: Violation[] = [];
    const stored = securityFromRow(existing);
    const keep = keepMasked(stored);
    let keptStored = false;
    const definition = checkSecurityDefinition(request.body, '', violations, (type, field, value) => {
      const kept = keep(type, field, value);
      if (JSON.stringify(kept) !== JSON.stringify(value)) keptStored = true;
      return kept;
    });
    await checkSecurityUrls(definition, '', deps, violations);
    throwIfAny(violations);
    const now = clock.now();
    const credentials = credentialsForPut(stored, definition!, now);
    // What this PUT stores partly comes from what was read (masked secrets, a rotation in progress):
    // then it is written only over that same state, or a concurrent change (a key rotated in
    // between) would be silently undone. A PUT giving every value itself simply wins, as before.
    const readState = keptStored || credentials !== definition!.credentials ? existing.credentials : null;
    await write(deps, async (trx) => {
      let update = trx
        .updateTable('security_settings')
        .set({ type: definition!.type, credentials: JSON.stringify(credentials), updated_at: now })
        .where('account_id', '=', accountId)
        .where('auth_id', '=', authId);
      if (readState !== null) update = update.where('credentials', '=', readState);
      const updated = await update.executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) return;
      if (readState !== null && (await findSecurity(trx, accountId, authId))) throw conflict(`Security settings ${authId} changed while this update was made; read them again and repeat it.`);
      throw new ApiError('NOT_FOUND');
    });
    return idOnlySecurity(authId);
  });

  app.delete<{ Params: Params }>('/subscriptions/1/security/:authId', async (request) => {
    const accountId = request.principal.accountId;
    const { authId } = request.params;
    await write(deps, async (trx) => {
      // Deleted first, then checked for users: see persistence.ts on why this order.
      const deleted = await trx.deleteFrom('security_settings').where('account_id', '=', accountId).where('auth_id', '=', authId).returning('auth_id').executeTakeFirst();
      if (!deleted) throw new ApiError('NOT_FOUND');
      const users = await trx.selectFrom('notification_profiles').select('profile_id').where('account_id', '=', accountId).where('auth_id', '=', authId).orderBy('profile_id').limit(11).execute();
      if (users.length > 0) throw conflict(`Security settings ${authId} are used by notification profiles: ${usersText(users.map((u) => u.profile_id))}.`);
    });
    return idOnlySecurity(authId);
  });
}

/** Up to ten ids, then an ellipsis. */
export const usersText = (ids: string[]): string => (ids.length > 10 ? `${ids.slice(0, 10).join(', ')}, …` : ids.join(', '));

/**
 * `/hookline/1/numbers`: which account owns a number the simulated network delivers inbound
 * messages to, and the number's keywords. Numbers are global (one owner each): registering one
 * another account owns answers 409, while reading or deleting it answers 404 as if it did not
 * exist. Keywords are case-insensitive: stored upper case, each once per number.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Kysely, Selectable } from 'kysely';
import { PageQuery, MAX_PAGE_SIZE } from '../admin/paging.ts';
import type { Clock } from '../clock.ts';
import { ApiError, badRequest } from '../http/errors.ts';
import { formatInfobipTime } from '../lib/infobip-time.ts';
import type { Database, NumbersTable } from '../store/schema.ts';

/** International format without + or 00: country code first, 3 to 15 digits (short codes included). */
export const NUMBER_PATTERN = '^[1-9][0-9]{2,14}$';
/** A keyword is matched against the first word of a message, so it is one word. */
const KEYWORD_PATTERN = '^\\S+$';
export const MAX_KEYWORDS = 100;

const Keywords = Type.Array(Type.String({ minLength: 1, maxLength: 50, pattern: KEYWORD_PATTERN }), { maxItems: MAX_KEYWORDS });
const CreateNumber = Type.Object({ number: Type.String({ pattern: NUMBER_PATTERN }), keywords: Type.Optional(Keywords) });
type Params = { number: string };

export const keywordsOf = (row: Pick<Selectable<NumbersTable>, 'keywords'>): string[] => JSON.parse(row.keywords) as string[];

const view = (row: Selectable<NumbersTable>) => ({
  number: row.number,
  accountId: row.account_id,
  keywords: keywordsOf(row),
  createdAt: formatInfobipTime(Number(row.created_at)),
});

/** Upper case, each once; a keyword given twice (in any case) is refused rather than merged. */
function normalizeKeywords(given: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const keyword of given) {
    const upper = keyword.toUpperCase();
    if (seen.has(upper)) throw badRequest([{ property: 'keywords', violation: `keyword ${upper} is given more than once (keywords are case-insensitive)` }]);
    seen.add(upper);
  }
  return [...seen];
}

/** The caller's own number, or 404 (another account's numbers look unregistered). */
async function ownNumber(db: Kysely<Database>, accountId: string, number: string): Promise<Selectable<NumbersTable>> {
  const row = await db.selectFrom('numbers').selectAll().where('number', '=', number).where('account_id', '=', accountId).executeTakeFirst();
  if (!row) throw new ApiError('NOT_FOUND', { text: 'Number not registered.' });
  return row;
}

export function registerNumberRoutes(app: FastifyInstance, { db, clock }: { db: Kysely<Database>; clock: Clock }): void {
  app.get<{ Querystring: PageQuery }>('/hookline/1/numbers', { schema: { querystring: PageQuery } }, async (request) => {
    const accountId = request.principal.accountId;
    const page = request.query.page ?? 0;
    const size = request.query.size ?? MAX_PAGE_SIZE;
    const [rows, total] = await Promise.all([
      db.selectFrom('numbers').selectAll().where('account_id', '=', accountId).orderBy('number').limit(size).offset(page * size).execute(),
      db.selectFrom('numbers').select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow(),
    ]);
    const totalResults = Number(total.n);
    return { results: rows.map(view), paging: { page, size, totalPages: Math.ceil(totalResults / size), totalResults } };
  });

  app.post<{ Body: Static<typeof CreateNumber> }>('/hookline/1/numbers', { schema: { body: CreateNumber } }, async (request, reply) => {
    const { body, principal } = request;
    const row = { number: body.number, account_id: principal.accountId, keywords: JSON.stringify(normalizeKeywords(body.keywords ?? [])), created_at: clock.now() };
    // Numbers are global: the primary key refuses one registered by any account, this one included.
    const inserted = await db.insertInto('numbers').values(row).onConflict((oc) => oc.column('number').doNothing()).returningAll().executeTakeFirst();
    if (!inserted) throw new ApiError('CONFLICT', { text: `Number ${row.number} is already registered.` });
    return reply.status(201).header('location', `/hookline/1/numbers/${row.number}`).send(view(inserted));
  });

  app.get<{ Params: Params }>('/hookline/1/numbers/:number', async (request) => view(await ownNumber(db, request.principal.accountId, request.params.number)));

  app.delete<{ Params: Params }>('/hookline/1/numbers/:number', async (request) => {
    const row = await ownNumber(db, request.principal.accountId, request.params.number);
    // Messages already received stay (pushed or waiting in the inbox); new ones to it answer 404.
    await db.deleteFrom('numbers').where('number', '=', row.number).where('account_id', '=', row.account_id).execute();
    return { number: row.number };
  });
}

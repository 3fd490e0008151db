/** Paging for Hookline's own list endpoints: `?page` (from 0) and `?size`, answered as `{results, paging}`. */
import { Type, type Static } from '@sinclair/typebox';

export const MAX_PAGE_SIZE = 100;

export const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Page number, from 0.' })),
  size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: `Results per page (default and most: ${MAX_PAGE_SIZE}).` })),
});
export type PageQuery = Static<typeof PageQuery>;

export function pageOf<T>(all: readonly T[], query: PageQuery): { results: T[]; paging: { page: number; size: number; totalPages: number; totalResults: number } } {
  const page = query.page ?? 0;
  const size = query.size ?? MAX_PAGE_SIZE;
  return { results: all.slice(page * size, (page + 1) * size), paging: { page, size, totalPages: Math.ceil(all.length / size), totalResults: all.length } };
}

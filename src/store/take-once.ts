/**
 * "Each entry returned once" for the pull queues: a pull deletes the entries it took and keeps
 * only those its own delete removed, so two pulls racing for the same entries never both return one.
 */
import type { Transaction } from 'kysely';
import type { Database } from './schema.ts';

export async function removeTaken<T extends { id: number }>(trx: Transaction<Database>, table: 'pull_queue' | 'inbox_queue', taken: T[]): Promise<T[]> {
  if (taken.length === 0) return [];
  const deleted = await trx.deleteFrom(table).where('id', 'in', taken.map((t) => t.id)).returning('id').execute();
  const mine = new Set(deleted.map((d) => Number(d.id)));
  return taken.filter((t) => mine.has(Number(t.id)));
}

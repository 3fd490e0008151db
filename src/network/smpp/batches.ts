/**
 * Lists cut for SQL statements and grouped by a key: the SMPP recorder and network send many rows
 * per statement. 500 rows of at most six parameters stay far below SQLite's and PostgreSQL's
 * parameter limits (store/database.ts chunkRows sizes rows of objects by the dialect; these lists
 * are often plain ids).
 */
const CHUNK = 500;

export function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

export function groupBy<T, K, V = T>(items: readonly T[], key: (item: T) => K, value: (item: T) => V = (item) => item as unknown as V): Map<K, V[]> {
  const map = new Map<K, V[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(value(item));
    else map.set(k, [value(item)]);
  }
  return map;
}

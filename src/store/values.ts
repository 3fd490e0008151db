/**
 * A typed `VALUES (…), (…)` list for `UPDATE … FROM (VALUES …) AS v` — one statement for many
 * rows, on SQLite and PostgreSQL alike. Both name the columns column1, column2, …; the casts
 * give PostgreSQL the types it cannot infer from bare parameters.
 *
 * Only the first row is cast: PostgreSQL types a VALUES column from all its rows, so one typed
 * row types the rest. Casting every row made SQLite plan the join the wrong way round —
 * scanning the whole updated table for each statement instead of one primary-key lookup per row.
 */
import { sql, type RawBuilder } from 'kysely';

export type SqlType = 'bigint' | 'integer' | 'text';

export function typedValues(rows: ReadonlyArray<readonly unknown[]>, types: readonly SqlType[]): RawBuilder<unknown> {
  return sql.join(rows.map((row, r) => sql`(${sql.join(row.map((value, i) => (r === 0 ? sql`cast(${value} as ${sql.raw(types[i])})` : sql`${value}`)))})`));
}

/**
 * A typed `VALUES (…), (…)` list for `UPDATE … FROM (VALUES …) AS v` — one statement for many
 * rows, on SQLite and PostgreSQL alike. Both name the columns column1, column2, …; the casts
 * give PostgreSQL the types it cannot infer from bare parameters.
 */
import { sql, type RawBuilder } from 'kysely';

export type SqlType = 'bigint' | 'integer' | 'text';

export function typedValues(rows: ReadonlyArray<readonly unknown[]>, types: readonly SqlType[]): RawBuilder<unknown> {
  return sql.join(rows.map((row) => sql`(${sql.join(row.map((value, i) => sql`cast(${value} as ${sql.raw(types[i])})`))})`));
}

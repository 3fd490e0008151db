/**
 * How many statements this process has sent to its database through Kysely (BEGIN and COMMIT
 * included): each is a round trip on PostgreSQL, an in-process call on SQLite. Benchmarks read
 * it to report round trips per report. Installed as Kysely's `log` option, it is one integer
 * increment per statement and nothing else — cheap enough to stay on in production.
 */
let statements = 0;

/** Kysely's `log` callback (called once per executed or failed statement). */
export function countQuery(): void {
  statements++;
}

export function queryCount(): number {
  return statements;
}

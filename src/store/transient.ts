/**
 * Which database errors are passing conditions rather than bugs, in one place: a full or
 * locked SQLite file, a PostgreSQL that is restarting, unreachable, or resolving a conflict.
 * Intake answers these with 503 + Retry-After; workers retry them with jittered backoff.
 */
const SQLITE_UNAVAILABLE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY)/;
/** PostgreSQL SQLSTATEs: connection exceptions (08…), shutdown/restart (57P0x), too many connections. */
const PG_UNAVAILABLE = new Set(['08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300', '53100']);
/** Retrying the same transaction is the documented answer to these. */
const PG_RETRY_TRANSACTION = new Set(['40001', '40P01']);
const NODE_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** The database cannot take work right now; the same request may succeed shortly. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  if (SQLITE_UNAVAILABLE.test(code) || PG_UNAVAILABLE.has(code) || NODE_NETWORK.has(code) || PG_RETRY_TRANSACTION.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  // pg reports pool and socket trouble without a code.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message);
}

/** Runs `work` again (up to `attempts` times, with jitter) when it fails with a serialization failure or deadlock. */
export async function retryTransaction<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !PG_RETRY_TRANSACTION.has(codeOf(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}

/** A unique constraint refused a row: two requests raced to create the same thing. */
export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** PostgreSQL refused text it cannot store (a NUL byte, 22021): the client's input, not a bug. */
export function isUnstorableText(error: unknown): boolean {
  return codeOf(error) === '22021';
}

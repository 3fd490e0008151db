/**
 * Copies a whole Hookline database into another, empty one — the tool for moving a SQLite
 * installation to PostgreSQL (drain, copy, switch; see README "Moving from SQLite to PostgreSQL").
 *
 * Both sides are opened with openStore, so the target gets the schema by the same migrations
 * and a source migrated by a newer Hookline is refused. The copy preserves every id, so all
 * references (message_pk, report_id, delivery_id, …) stay valid; it runs in one transaction on
 * the target, reading one snapshot of the source, so it either lands whole or not at all.
 * Deliveries keep their state, attempt count and next_attempt_at; their leases are cleared (the
 * source gateway is stopped, so nothing is in flight). Serial id sequences are moved past the
 * copied ids, and row counts are verified before and after the commit.
 */
import { existsSync } from 'node:fs';
import { sql, type Kysely, type Transaction } from 'kysely';
import { openStore, chunkRows, type DialectProfile, type Store } from './database.ts';
import type { Database } from './schema.ts';

type Table = keyof Database;

interface TableSpec {
  table: Table;
  /** The primary key, in order: the source is read in pages by it (keyset paging). */
  key: readonly string[];
  /** The serial id column (a bigserial on PostgreSQL), whose sequence is reset after the copy. */
  serial?: string;
  /** Rows read per page; deliveries carry whole webhook bodies, so they go in smaller pages. */
  page?: number;
}

/** Every table, parents before children. */
export const TABLES: readonly TableSpec[] = [
  { table: 'accounts', key: ['id'] },
  { table: 'api_keys', key: ['id'] },
  { table: 'roles', key: ['id'] },
  { table: 'users', key: ['id'] },
  { table: 'sessions', key: ['token_hash'] },
  { table: 'oauth_tokens', key: ['token_hash'] },
  { table: 'throttle_counters', key: ['key'] },
  { table: 'security_settings', key: ['account_id', 'auth_id'] },
  { table: 'notification_profiles', key: ['account_id', 'profile_id'] },
  { table: 'subscriptions', key: ['account_id', 'channel', 'subscription_id'] },
  { table: 'numbers', key: ['number'] },
  { table: 'inbound_messages', key: ['id'], serial: 'id' },
  { table: 'inbox_queue', key: ['id'], serial: 'id' },
  { table: 'short_links', key: ['code'] },
  { table: 'clicks', key: ['id'], serial: 'id' },
  { table: 'bulks', key: ['account_id', 'bulk_id'] },
  { table: 'messages', key: ['pk'], serial: 'pk' },
  { table: 'network_jobs', key: ['id'], serial: 'id' },
  { table: 'reports', key: ['id'], serial: 'id' },
  { table: 'engagements', key: ['id'], serial: 'id' },
  { table: 'pull_queue', key: ['id'], serial: 'id' },
  { table: 'outbox', key: ['id'], serial: 'id' },
  { table: 'deliveries', key: ['id'], page: 500 },
  { table: 'attempts', key: ['id'], serial: 'id' },
  { table: 'target_health', key: ['account_id', 'target'] },
  { table: 'recoveries', key: ['id'] },
  { table: 'smpp_parts', key: ['id'], serial: 'id' },
  { table: 'smpp_pending_receipts', key: ['id'], serial: 'id' },
  { table: 'smpp_inbound_parts', key: ['id'], serial: 'id' },
  { table: 'smpp_connections', key: ['name'] },
  { table: 'smpp_routes', key: ['prefix'] },
];

export const DEFAULT_BATCH_SIZE = 5_000;

export interface CopyOptions {
  /** Receives one human-readable line per step (the CLI prints them). */
  log?: (line: string) => void;
  /** Rows read from the source per page (default 5,000). */
  batchSize?: number;
}

export interface CopyResult {
  tables: Array<{ table: Table; rows: number }>;
  totalRows: number;
  /** Deliveries whose lease was cleared in the copy (left by a crashed source process). */
  leasesCleared: number;
  /** Serial sequences moved past the copied ids: the next id each table will hand out. */
  sequences: Array<{ table: Table; column: string; nextId: number }>;
  ms: number;
}

/** The target already holds data: refused, nothing was written. */
export class TargetNotEmptyError extends Error {}
/** Row counts differ after the copy: the transaction was rolled back. */
export class CopyVerificationError extends Error {}

/** Database URLs may carry a password; logs must not. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

export async function copyDatabase(fromUrl: string, toUrl: string, options: CopyOptions = {}): Promise<CopyResult> {
  const log = options.log ?? (() => {});
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (fromUrl === toUrl) throw new Error('--from and --to name the same database');
  // openStore would create a missing SQLite file: a mistyped path must not "copy" an empty database.
  if (fromUrl.startsWith('sqlite:') && !existsSync(fromUrl.slice('sqlite:'.length))) {
    throw new Error(`the source database ${fromUrl} does not exist`);
  }
  const started = performance.now();

  const source = await openStore(fromUrl);
  let target: Store;
  try {
    target = await openStore(toUrl);
  } catch (error) {
    await source.close();
    throw error;
  }
  log(`copying ${redactUrl(fromUrl)} (${source.profile.name}) → ${redactUrl(toUrl)} (${target.profile.name})`);

  try {
    // A cheap refusal before any lock is taken; checked again inside the transaction.
    await assertEmpty(target.db);
    const copied = await readSnapshot(source, (src) =>
      target.db.transaction().execute(async (dst) => {
        if (target.profile.name === 'postgres') {
          // Nobody else writes (a gateway started too early, a second migrate-db) while we copy.
          await sql`lock table ${sql.join(TABLES.map((t) => sql.table(t.table)))} in exclusive mode`.execute(dst);
        }
        await assertEmpty(dst);

        const tables: CopyResult['tables'] = [];
        let leasesCleared = 0;
        for (const spec of TABLES) {
          const tableStarted = performance.now();
          const expected = await count(src, spec.table);
          const rows = await copyTable(src, dst, target.profile, spec, Math.min(batchSize, spec.page ?? batchSize), (row) => {
            if (spec.table === 'deliveries' && (row.lease_owner != null || row.lease_until != null)) {
              leasesCleared++;
              return { ...row, lease_owner: null, lease_until: null };
            }
            return row;
          });
          const landed = await count(dst, spec.table);
          if (rows !== expected || landed !== expected) {
            throw new CopyVerificationError(`${spec.table}: the source has ${expected} rows, ${rows} were read and ${landed} are in the target; nothing was committed`);
          }
          log(`  ${spec.table.padEnd(13)} ${String(rows).padStart(9)} rows  (${((performance.now() - tableStarted) / 1000).toFixed(1)} s)`);
          tables.push({ table: spec.table, rows });
        }

        const sequences: CopyResult['sequences'] = [];
        if (target.profile.serialIds) {
          for (const { table, serial } of TABLES) {
            if (!serial) continue;
            // Next id = max + 1 (1 for an empty table), so new rows never collide with copied ones.
            const { rows } = await sql<{ next: number }>`
              select setval(pg_get_serial_sequence(${table}, ${serial}), coalesce(max(${sql.ref(serial)}), 0) + 1, false) as next
              from ${sql.table(table)}`.execute(dst);
            sequences.push({ table, column: serial, nextId: Number(rows[0].next) });
          }
          log(`  sequences reset: ${sequences.map((s) => `${s.table}.${s.column} → ${s.nextId}`).join(', ')}`);
        }
        // SQLite's AUTOINCREMENT follows explicitly inserted ids by itself (sqlite_sequence).
        return { tables, leasesCleared, sequences };
      }),
    );

    // Committed: count once more, as a fresh reader of the target would see it.
    for (const { table, rows } of copied.tables) {
      const landed = await count(target.db, table);
      if (landed !== rows) throw new CopyVerificationError(`${table}: ${rows} rows were copied but the target now has ${landed}`);
    }
    const totalRows = copied.tables.reduce((sum, t) => sum + t.rows, 0);
    const ms = Math.round(performance.now() - started);
    if (copied.leasesCleared) log(`  cleared ${copied.leasesCleared} webhook lease(s) left by the source process`);
    log(`verified: row counts match in every table (${totalRows} rows in ${(ms / 1000).toFixed(1)} s)`);
    return { ...copied, totalRows, ms };
  } finally {
    await Promise.allSettled([source.close(), target.close()]);
  }
}

/**
 * Runs `read` on one consistent snapshot of the source: a read transaction (SQLite in WAL mode
 * reads one snapshot per transaction; PostgreSQL needs repeatable read for that).
 */
function readSnapshot<T>(source: Store, read: (src: Kysely<Database>) => Promise<T>): Promise<T> {
  let transaction = source.db.transaction();
  if (source.profile.name === 'postgres') transaction = transaction.setIsolationLevel('repeatable read').setAccessMode('read only');
  return transaction.execute(read);
}

async function count(db: Kysely<Database>, table: Table): Promise<number> {
  const row = await (db as Kysely<any>).selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function assertEmpty(db: Kysely<Database>): Promise<void> {
  const filled: string[] = [];
  for (const { table } of TABLES) {
    const row = await (db as Kysely<any>).selectFrom(table).select(sql.lit(1).as('one')).limit(1).executeTakeFirst();
    if (!row) continue;
    const rows = await count(db, table);
    filled.push(`${table}: ${rows} row${rows === 1 ? '' : 's'}`);
  }
  if (filled.length) {
    throw new TargetNotEmptyError(
      `refusing to copy: the target database is not empty (${filled.join(', ')}). ` +
        'migrate-db only copies into an empty database: create a new one, and do not start a gateway on it before the copy.',
    );
  }
}

/** Copies one table page by page (keyset paging on its primary key); returns the rows copied. */
async function copyTable(
  src: Kysely<Database>,
  dst: Transaction<Database>,
  profile: DialectProfile,
  spec: TableSpec,
  pageSize: number,
  transform: (row: Record<string, unknown>) => Record<string, unknown>,
): Promise<number> {
  const from = src as Kysely<any>;
  const to = dst as Transaction<any>;
  let copied = 0;
  let last: Record<string, unknown> | null = null;
  for (;;) {
    let query = from.selectFrom(spec.table).selectAll();
    for (const column of spec.key) query = query.orderBy(column);
    if (last) {
      const after = last;
      // (k1, k2, …) > (v1, v2, …) spelled out, so it works on any SQL dialect.
      query = query.where((eb) =>
        eb.or(spec.key.map((column, i) => eb.and([...spec.key.slice(0, i).map((k) => eb(k, '=', after[k])), eb(column, '>', after[column])]))),
      );
    }
    const page: Record<string, unknown>[] = await query.limit(pageSize).execute();
    if (page.length === 0) return copied;
    const rows = page.map(transform);
    // PostgreSQL: the page as one JSON parameter (a multi-row VALUES of tens of thousands of
    // parameters spends most of its time being parsed); elsewhere, multi-row inserts.
    const chunks = profile.name === 'postgres' ? [rows] : chunkRows(rows, profile);
    for (const chunk of chunks) {
      try {
        if (profile.name === 'postgres') {
          await sql`insert into ${sql.table(spec.table)} select * from json_populate_recordset(null::${sql.table(spec.table)}, ${JSON.stringify(chunk)}::json)`.execute(to);
        } else {
          await to.insertInto(spec.table).values(chunk).execute();
        }
      } catch (error) {
        const first = spec.key.map((k) => chunk[0][k]).join('/');
        const end = spec.key.map((k) => chunk[chunk.length - 1][k]).join('/');
        throw new Error(`copying ${spec.table} (rows ${first} … ${end}) failed: ${(error as Error).message}; nothing was committed`, { cause: error });
      }
    }
    copied += page.length;
    last = page[page.length - 1];
    if (page.length < pageSize) return copied;
  }
}

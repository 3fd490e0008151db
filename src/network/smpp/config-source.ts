/**
 * Where the SMPP connections and the routing table come from: SMPP_CONFIG_FILE when set (read and
 * checked once, at start-up; read-only), else the smpp_connections and smpp_routes tables the
 * admin API writes. Every write says so on the notifier's `smpp` channel, so every process (this
 * one too) reloads.
 */
import { readFile } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Notifier } from '../../store/notifier.ts';
import type { Database } from '../../store/schema.ts';
import { parseSmppConfig, parseSmppConnection, parseSmppRoutes, SmppConfigError } from './config-parse.ts';
import type { SmppConfig, SmppConnectionConfig, SmppRoute } from './smpp-config.ts';

/** A write refused because SMPP_CONFIG_FILE holds the configuration. */
export class SmppConfigReadOnlyError extends Error {
  constructor(file: string) {
    super(`SMPP connections and routes come from SMPP_CONFIG_FILE (${file}) and are read-only here; edit the file and restart`);
    this.name = 'SmppConfigReadOnlyError';
  }
}

/** A connection still named by routes cannot be deleted. */
export class SmppConfigConflictError extends Error {
  constructor(
    readonly connection: string,
    readonly prefixes: readonly string[],
  ) {
    super(`Connection ${connection} is the target of the route${prefixes.length > 1 ? 's' : ''} for ${prefixes.map((p) => `"${p}"`).join(', ')}; change the routes first`);
    this.name = 'SmppConfigConflictError';
  }
}

export interface SmppConfigSourceDeps {
  db: Kysely<Database>;
  /** SMPP_CONFIG_FILE, or null: the tables. */
  file: string | null;
  notifier: Notifier;
  now: () => number;
}

export class SmppConfigSource {
  readonly readOnly: boolean;
  private fromFile: Promise<SmppConfig> | null = null;

  constructor(private readonly deps: SmppConfigSourceDeps) {
    this.readOnly = deps.file !== null;
  }

  /** The current configuration. From the file: read once, the same answer afterwards. */
  load(): Promise<SmppConfig> {
    const { file } = this.deps;
    if (file === null) return this.loadTables();
    this.fromFile ??= readConfigFile(file);
    return this.fromFile;
  }

  /** Called after any change, made by this process or another. */
  onChange(listener: () => void): void {
    this.deps.notifier.listen('smpp', listener);
  }

  /** Creates or replaces a connection (`created`: it did not exist). */
  async putConnection(config: SmppConnectionConfig): Promise<{ created: boolean }> {
    this.assertWritable();
    const { db, now } = this.deps;
    const row = { name: config.name, config: JSON.stringify(config), updated_at: now() };
    const created = await db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('smpp_connections').select('name').where('name', '=', config.name).executeTakeFirst();
      await trx
        .insertInto('smpp_connections')
        .values(row)
        .onConflict((oc) => oc.column('name').doUpdateSet({ config: row.config, updated_at: row.updated_at }))
        .execute();
      return existing === undefined;
    });
    this.deps.notifier.notify('smpp');
    return { created };
  }

  /** Deletes a connection; false when there is none of that name. Refused while a route targets it. */
  async deleteConnection(name: string): Promise<boolean> {
    this.assertWritable();
    const deleted = await this.deps.db.transaction().execute(async (trx) => {
      // Deleting first locks the row (PostgreSQL): a concurrent putRoutes naming this connection
      // waits for us and then finds it gone, or went first and its route is seen below.
      const result = await trx.deleteFrom('smpp_connections').where('name', '=', name).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      const routes = await trx.selectFrom('smpp_routes').select('prefix').where('target', '=', name).orderBy('prefix').execute();
      if (routes.length > 0) throw new SmppConfigConflictError(name, routes.map((r) => r.prefix));
      return true;
    });
    if (deleted) this.deps.notifier.notify('smpp');
    return deleted;
  }

  /** Replaces the whole routing table, in one transaction; answers the stored table. */
  async putRoutes(routes: readonly SmppRoute[]): Promise<SmppRoute[]> {
    this.assertWritable();
    const { db, now } = this.deps;
    const stored = await db.transaction().execute(async (trx) => {
      const targets = [...new Set(routes.map((r) => r.target))];
      // Touching the target rows locks them (PostgreSQL), so a concurrent delete of one of them
      // either finishes first (and the row is not found here) or waits and then sees our routes.
      const names =
        targets.length === 0
          ? []
          : await trx.updateTable('smpp_connections').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('name', 'in', targets).returning('name').execute();
      const checked = parseSmppRoutes(routes, new Set(names.map((n) => n.name)));
      await trx.deleteFrom('smpp_routes').execute();
      const at = now();
      if (checked.length > 0) await trx.insertInto('smpp_routes').values(checked.map((r) => ({ prefix: r.prefix, target: r.target, updated_at: at }))).execute();
      return checked;
    });
    this.deps.notifier.notify('smpp');
    return sortRoutes(stored);
  }

  /** Throws SmppConfigReadOnlyError when the configuration comes from SMPP_CONFIG_FILE. */
  assertWritable(): void {
    if (this.deps.file !== null) throw new SmppConfigReadOnlyError(this.deps.file);
  }

  private async loadTables(): Promise<SmppConfig> {
    const { db } = this.deps;
    const connectionRows = await db.selectFrom('smpp_connections').select(['name', 'config']).orderBy('name').execute();
    const routeRows = await db.selectFrom('smpp_routes').select(['prefix', 'target']).orderBy('prefix').execute();
    // Stored configs are parsed again, so a field added since they were written gets its default.
    const connections = connectionRows.map((row) => {
      try {
        return parseSmppConnection(row.name, JSON.parse(row.config));
      } catch (error) {
        if (error instanceof SmppConfigError) throw new SmppConfigError(error.problems, `smpp_connections row ${row.name}`);
        throw new SmppConfigError([{ path: '', message: `stored config is not JSON (${(error as Error).message})` }], `smpp_connections row ${row.name}`);
      }
    });
    try {
      const routes = parseSmppRoutes(routeRows, new Set(connections.map((c) => c.name)));
      return { connections, routes };
    } catch (error) {
      if (error instanceof SmppConfigError) throw new SmppConfigError(error.problems, 'smpp_routes');
      throw error;
    }
  }
}

/** Routes in a stable order: by prefix. */
const sortRoutes = (routes: SmppRoute[]): SmppRoute[] => [...routes].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));

async function readConfigFile(file: string): Promise<SmppConfig> {
  const context = `SMPP_CONFIG_FILE ${file}`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SmppConfigError([{ path: '', message: `cannot be read (${(error as Error).message})` }], context);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SmppConfigError([{ path: '', message: `is not valid JSON (${(error as Error).message})` }], context);
  }
  try {
    return parseSmppConfig(json);
  } catch (error) {
    if (error instanceof SmppConfigError) throw new SmppConfigError(error.problems, context);
    throw error;
  }
}

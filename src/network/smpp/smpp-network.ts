/**
 * Hookline's SMPP side, as the network worker and the admin API see it: the configured
 * connections (started, replaced and stopped as the configuration changes), the hand-over of
 * messages the router sends to them, and the upkeep that makes sending survive a crash — each
 * queued part is leased to the process holding it, the lease renewed while it is held, and a part
 * whose lease ran out is sent again by whichever process runs its connection (at-least-once; under
 * at-most-once it is abandoned instead, and its message expires).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { ReportObserver } from '../../events/recorder.ts';
import type { SubscriberLookup } from '../../events/routing.ts';
import type { DialectProfile } from '../../store/database.ts';
import type { Database } from '../../store/schema.ts';
import { typedValues } from '../../store/values.ts';
import type { ExternalNetwork } from '../connector.ts';
import { chunks, groupBy } from './batches.ts';
import { SmppConnection, type OutboundPart } from './connection.ts';
import { EMPTY_SMPP_CONFIG, type SmppConfig, type SmppConnectionConfig, type SmppConnectionStatus } from './smpp-config.ts';
import { SmppRecorder } from './smpp-recorder.ts';
import { submitFields } from './submit-fields.ts';

/** How long a queued part belongs to its process without renewal; a crashed process's parts are resent after it. */
export const SMPP_LEASE_MS = 30_000;
/** lease_until of a part handed back at a graceful stop: free at once, its attempts stored. */
const RELEASED = 0;
const RENEW_MS = SMPP_LEASE_MS / 3;
/** How often leases that ran out are looked for, and waiting receipts matched again. */
const UPKEEP_MS = 5_000;
const RECOVER_BATCH = 1_000;

export interface SmppConfigProvider {
  load(): Promise<SmppConfig>;
  onChange(listener: () => void): void;
}

export interface SmppNetworkDeps {
  db: Kysely<Database>;
  profile: DialectProfile;
  subscribers: SubscriberLookup;
  clock: Clock;
  log: Logger;
  currency: string;
  config: SmppConfigProvider;
  onReports(): void;
  onNetworkWork(): void;
  /** Told after commit how many reports each batch recorded (metrics). */
  reports?: ReportObserver;
}

type MessageFacts = { pk: number; destination: string; sender: string | null; text: string; validity_ms: number; sent_at: number | null; intermediate: number };

export class SmppNetwork implements ExternalNetwork {
  private config: SmppConfig = EMPTY_SMPP_CONFIG;
  private connectionNames: ReadonlySet<string> = new Set();
  private readonly connections = new Map<string, SmppConnection>();
  readonly recorder: SmppRecorder;
  private timers: NodeJS.Timeout[] = [];
  private reloading: Promise<void> = Promise.resolve();
  private running = false;

  constructor(private readonly deps: SmppNetworkDeps) {
    this.recorder = new SmppRecorder({
      db: deps.db,
      profile: deps.profile,
      subscribers: deps.subscribers,
      now: () => deps.clock.now(),
      log: deps.log,
      currency: deps.currency,
      configOf: (name) => this.connections.get(name)?.config,
      onReports: deps.onReports,
      onNetworkWork: deps.onNetworkWork,
      reports: deps.reports,
    });
    deps.config.onChange(() => {
      if (this.running) this.reloading = this.reloading.then(() => this.reload()).catch((error) => deps.log.error({ err: error }, 'smpp configuration not applied'));
    });
  }

  /** Routes and connection names, for the router (read on every submit: kept in memory). */
  table(): { routes: SmppConfig['routes']; connections: ReadonlySet<string> } {
    return { routes: this.config.routes, connections: this.connectionNames };
  }

  private setConfig(config: SmppConfig): void {
    this.config = config;
    this.connectionNames = new Set(config.connections.map((c) => c.name));
  }

  async start(): Promise<void> {
    this.running = true;
    await this.reload();
    this.timers.push(setInterval(() => void this.renewLeases().catch((error) => this.deps.log.error({ err: error }, 'smpp lease renewal failed')), RENEW_MS));
    this.timers.push(setInterval(() => void this.upkeep(), UPKEEP_MS));
    await this.upkeep();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.reloading;
    const left = (await Promise.all([...this.connections.values()].map((c) => c.stop()))).flat();
    this.connections.clear();
    await this.recorder.settled();
    // Their leases run out by themselves if this fails: the rest of the shutdown goes on.
    await this.release(left).catch((error) => this.deps.log.error({ err: error }, 'smpp leases not given up at stop'));
  }

  /**
   * Parts this process still held at a graceful stop: their lease is given up at once (so the next
   * process sends them without waiting for it to run out) and their attempts are stored, so it
   * knows which of them the SMSC may already have.
   */
  private async release(parts: OutboundPart[]): Promise<void> {
    for (const chunk of chunks(parts)) {
      const values = typedValues(chunk.map((p) => [p.id, p.attempts]), ['bigint', 'integer']);
      await sql`
        update smpp_parts set lease_until = ${RELEASED}, attempts = v.column2
        from (values ${values}) as v
        where smpp_parts.id = v.column1 and smpp_parts.state = 'queued'`.execute(this.deps.db);
    }
  }

  status(): SmppConnectionStatus[] {
    return [...this.connections.values()].map((connection) => {
      const status = connection.status();
      return { ...status, counters: { ...status.counters, ...this.recorder.countsOf(status.name) } };
    });
  }

  /**
   * Starts new connections, replaces changed ones, stops removed ones. A replacement is open before
   * the old connection stops, so hand-overs and receipts always find one; the old one's unanswered
   * parts move to it. A removed connection's parts are given back (sent if it comes back, else
   * they expire).
   */
  private async reload(): Promise<void> {
    const config = await this.deps.config.load();
    this.setConfig(config);
    const wanted = new Map(config.connections.map((c) => [c.name, c]));
    for (const [name, old] of [...this.connections]) {
      const next = wanted.get(name);
      if (next && JSON.stringify(next) === JSON.stringify(old.config)) continue;
      const replacement = next ? this.open(next) : null;
      const left = await old.stop();
      if (replacement) replacement.enqueue(left);
      else {
        this.connections.delete(name);
        await this.release(left);
      }
    }
    for (const [name, connection] of wanted) if (!this.connections.has(name)) this.open(connection);
  }

  private open(config: SmppConnectionConfig): SmppConnection {
    const connection = new SmppConnection(config, this.recorder, this.deps.log.child({ smpp: config.name }), () => this.deps.clock.now());
    this.connections.set(config.name, connection);
    connection.start();
    return connection;
  }

  async handOver(trx: Transaction<Database>, messages: Array<{ pk: number; connection: string }>, now: number): Promise<() => void> {
    const facts = await messageFacts(trx, messages.map((m) => m.pk));
    const parts: OutboundPart[] = [];
    const rows: Array<{ message_pk: number; connection: string; part: number; parts: number; state: 'queued'; attempts: number; lease_until: number; created_at: number; updated_at: number }> = [];
    const fieldsByKey = new Map<string, Record<string, unknown>>();
    const configs = new Map(this.config.connections.map((c) => [c.name, c]));
    for (const { pk, connection } of messages) {
      const message = facts.get(pk);
      const config = configs.get(connection);
      // A connection removed since the router chose it: the message expires at its validity end.
      if (!message || !config) continue;
      // Not running here (a worker that does not bind it yet): queued as given back, for whoever runs it.
      const lease = this.connections.has(connection) ? now + SMPP_LEASE_MS : RELEASED;
      const fields = submitFields(toSubmitted(message), config);
      fields.forEach((f, part) => {
        fieldsByKey.set(`${pk}:${part}`, f);
        rows.push({ message_pk: pk, connection, part, parts: fields.length, state: 'queued', attempts: 0, lease_until: lease, created_at: now, updated_at: now });
      });
    }
    for (const chunk of chunks(rows)) {
      const inserted = await trx.insertInto('smpp_parts').values(chunk).returning(['id', 'message_pk', 'part', 'parts', 'connection']).execute();
      for (const row of inserted) {
        const pk = Number(row.message_pk);
        parts.push({ id: Number(row.id), connection: row.connection, messagePk: pk, part: row.part, parts: row.parts, fields: fieldsByKey.get(`${pk}:${row.part}`)!, expiresAt: now + Number(facts.get(pk)!.validity_ms), attempts: 0 });
      }
    }
    return () => {
      for (const [name, list] of byConnection(parts)) {
        const connection = this.connections.get(name);
        if (connection) connection.enqueue(list);
        else void this.release(list).catch((error) => this.deps.log.error({ err: error }, 'smpp parts not given back'));
      }
    };
  }

  private async renewLeases(): Promise<void> {
    const now = this.deps.clock.now();
    const ids = [...this.connections.values()].flatMap((c) => c.heldIds());
    for (const chunk of chunks(ids)) {
      await this.deps.db.updateTable('smpp_parts').set({ lease_until: now + SMPP_LEASE_MS }).where('id', 'in', chunk).where('state', '=', 'queued').execute();
    }
  }

  private async upkeep(): Promise<void> {
    try {
      while ((await this.recoverExpiredLeases()) === RECOVER_BATCH);
      this.recorder.matchWaitingReceipts();
    } catch (error) {
      this.deps.log.error({ err: error }, 'smpp upkeep failed');
    }
  }

  /**
   * Parts whose holder is gone: released at a graceful stop (their attempts are known), or left by
   * a crash (a lease that ran out: each may have reached the SMSC). Taken over and sent again, or
   * under at-most-once abandoned when the SMSC may have them.
   */
  private async recoverExpiredLeases(): Promise<number> {
    const names = [...this.connections.keys()];
    if (names.length === 0) return 0;
    const now = this.deps.clock.now();
    const claimed = await this.deps.db.transaction().execute(async (trx) => {
      const due = await trx.selectFrom('smpp_parts').select(['id', 'lease_until']).where('state', '=', 'queued').where('lease_until', '<=', now).where('connection', 'in', names).limit(RECOVER_BATCH).execute();
      if (due.length === 0) return null;
      // Parts this process still holds (a renewal the database missed) are renewed here, not sent again.
      const held = new Set([...this.connections.values()].flatMap((c) => c.heldIds()));
      const released = new Set(due.filter((r) => Number(r.lease_until) === RELEASED).map((r) => Number(r.id)));
      const rows = await trx
        .updateTable('smpp_parts')
        .set({ lease_until: now + SMPP_LEASE_MS })
        .where('id', 'in', due.map((r) => r.id))
        .where('lease_until', '<=', now)
        .returning(['id', 'message_pk', 'part', 'parts', 'connection', 'attempts'])
        .execute();
      const taken = rows.filter((r) => !held.has(Number(r.id)));
      return { claimed: rows.length, rows: taken, released, facts: await messageFacts(trx, taken.map((r) => Number(r.message_pk))) };
    });
    if (!claimed) return 0;
    if (claimed.rows.length === 0) return claimed.claimed;
    this.deps.log.warn({ parts: claimed.rows.length }, 'smpp parts left by a stopped or crashed process taken over');
    const send: OutboundPart[] = [];
    const abandon: OutboundPart[] = [];
    for (const row of claimed.rows) {
      const connection = this.connections.get(row.connection);
      const message = claimed.facts.get(Number(row.message_pk));
      if (!connection || !message) continue;
      const split = submitFields(toSubmitted(message), connection.config);
      const fields = split[row.part];
      // The connection's data coding or long-message mode changed since: this part no longer fits
      // the parts already sent (the handset would get a garbled message), so it is given up.
      if (!fields || split.length !== row.parts) {
        this.deps.log.warn({ part: row.id, connection: row.connection }, 'smpp part no longer matches its message split (configuration changed): abandoned');
        connection.counters.abandoned++;
        this.recorder.abandoned({ id: Number(row.id), connection: row.connection, messagePk: Number(row.message_pk), part: row.part, parts: row.parts, fields: {}, expiresAt: now, attempts: row.attempts });
        continue;
      }
      // A crashed holder may have sent it without storing that: counted as sent once already.
      const attempts = claimed.released.has(Number(row.id)) ? row.attempts : Math.max(1, row.attempts);
      const part = { id: Number(row.id), connection: row.connection, messagePk: Number(row.message_pk), part: row.part, parts: row.parts, fields, expiresAt: (message.sent_at ?? now) + Number(message.validity_ms), attempts };
      (connection.config.delivery === 'at-most-once' && attempts > 0 ? abandon : send).push(part);
    }
    for (const part of abandon) {
      // Counted like the parts a disconnect abandons, so the status shows them.
      this.connections.get(part.connection)!.counters.abandoned++;
      this.recorder.abandoned(part);
    }
    for (const [name, list] of byConnection(send)) this.connections.get(name)!.enqueue(list);
    return claimed.claimed;
  }
}

async function messageFacts(trx: Kysely<Database>, pks: number[]): Promise<Map<number, MessageFacts>> {
  const facts = new Map<number, MessageFacts>();
  for (const chunk of chunks(pks)) {
    const rows = await trx.selectFrom('messages').select(['pk', 'destination', 'sender', 'text', 'validity_ms', 'sent_at', 'intermediate']).where('pk', 'in', chunk).execute();
    for (const row of rows) facts.set(Number(row.pk), row);
  }
  return facts;
}

const byConnection = (parts: OutboundPart[]) => groupBy(parts, (p) => p.connection);

const toSubmitted = (m: MessageFacts) => ({ pk: Number(m.pk), destination: m.destination, sender: m.sender, text: m.text, validityMs: Number(m.validity_ms), intermediate: m.intermediate === 1 });

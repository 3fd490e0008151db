/**
 * Stores what the SMPP connections report, in batches: one transaction records every SMSC id,
 * refusal, receipt and inbound message that arrived since the last, then the receipts and
 * inbound messages are answered (deliver_sm_resp) — only once they are committed, so the SMSC
 * keeps and resends anything Hookline did not store. A failed transaction answers them with
 * ESME_RX_T_APPN (try again later) and keeps the rest for the next.
 *
 * A message has one status however many parts it was sent in: delivered when every part is,
 * else the first failure's status and error; a part still unanswered at the message's validity
 * end makes it EXPIRED (the network worker's `validity` step).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Pdu } from 'smpp';
import { recordEvents, type ReportObserver, type StatusCounts } from '../../events/recorder.ts';
import type { SubscriberLookup } from '../../events/routing.ts';
import type { StatusEvent } from '../../events/status-event.ts';
import { receiveNetworkSms } from '../../inbound/inbound.ts';
import { CHANNEL } from '../../messaging/channels.ts';
import { ERROR, STATUS, statusById } from '../../messaging/status-catalogue.ts';
import type { DialectProfile } from '../../store/database.ts';
import type { Database, SmppPartState } from '../../store/schema.ts';
import { typedValues } from '../../store/values.ts';
import { failoverStepsOf, moveToNextChannel } from '../message-moves.ts';
import type { ConnectionSink, OutboundPart } from './connection.ts';
import { chunks, groupBy } from './batches.ts';
import { alreadyCompleted, completedElsewhere, takeWhole } from './inbound-parts.ts';
import { inboundText, type InboundText } from './pdu-text.ts';
import { isReceipt, isSmeAck, parseReceipt, type Receipt } from './receipts.ts';
import type { SmppConnectionConfig } from './smpp-config.ts';
import { COMMAND_STATUS } from './submit-errors.ts';

const RETRY_MS = 1_000;

export interface SmppRecorderDeps {
  db: Kysely<Database>;
  profile: DialectProfile;
  subscribers: SubscriberLookup;
  now: () => number;
  log: Logger;
  currency: string;
  configOf(connection: string): SmppConnectionConfig | undefined;
  /** After a commit that put pushes in the outbox. */
  onReports(): void;
  /** After a commit that moved messages to their next failover channel (network jobs due now). */
  onNetworkWork(): void;
  reports?: ReportObserver;
}

interface PartUpdate {
  id: number;
  /** A refusal is the part's last word, like a final receipt. */
  result?: PartResult;
  /** Set on acknowledgements: a receipt in the same batch is matched here, without a read. */
  acked?: { connection: string; messagePk: number; part: number; parts: number };
  state: SmppPartState;
  smscId: string | null;
  statusId: number | null;
  errorId: number | null;
  attempts: number | null;
}

interface IncomingReceipt {
  connection: string;
  receipt: Receipt;
  respond: (commandStatus: number) => void;
}

interface IncomingMessage extends InboundText {
  connection: string;
  from: string;
  to: string;
  receivedAt: number;
  respond: (commandStatus: number) => void;
}

interface Batch {
  updates: PartUpdate[];
  receipts: IncomingReceipt[];
  inbound: IncomingMessage[];
  /** Look again at every waiting receipt (one whose part another process acknowledged in the meantime). */
  matchWaiting: boolean;
}

const emptyBatch = (): Batch => ({ updates: [], receipts: [], inbound: [], matchWaiting: false });

const WAITING_BATCH = 1_000;

/** One part's last word, for the message's status. */
interface PartResult {
  messagePk: number;
  part: number;
  parts: number;
  statusId: number;
  errorId: number;
}

export class SmppRecorder implements ConnectionSink {
  private batch = emptyBatch();
  private scheduled = false;
  private running: Promise<void> = Promise.resolve();
  /** Receipts and inbound messages taken in (first arrival, not re-applications), per connection. */
  private readonly perConnection = new Map<string, { receipts: number; inbound: number }>();
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: SmppRecorderDeps) {}

  countsOf(connection: string): { receipts: number; inbound: number } {
    let counts = this.perConnection.get(connection);
    if (!counts) this.perConnection.set(connection, (counts = { receipts: 0, inbound: 0 }));
    return counts;
  }

  acknowledged(part: OutboundPart, smscId: string): void {
    const acked = { connection: part.connection, messagePk: part.messagePk, part: part.part, parts: part.parts };
    this.batch.updates.push({ id: part.id, acked, state: 'acked', smscId, statusId: null, errorId: null, attempts: part.attempts });
    this.schedule();
  }

  rejected(part: OutboundPart, statusId: number, errorId: number): void {
    const result = { messagePk: part.messagePk, part: part.part, parts: part.parts, statusId, errorId };
    this.batch.updates.push({ id: part.id, result, state: 'rejected', smscId: null, statusId, errorId, attempts: part.attempts });
    this.schedule();
  }

  abandoned(part: OutboundPart): void {
    this.batch.updates.push({ id: part.id, state: 'abandoned', smscId: null, statusId: null, errorId: null, attempts: part.attempts });
    this.schedule();
  }

  delivered(connection: string, pdu: Pdu, respond: (commandStatus: number) => void): void {
    const config = this.deps.configOf(connection);
    // Not ours to judge now (a connection being replaced): the SMSC sends it again.
    if (!config) return respond(COMMAND_STATUS.ESME_RX_T_APPN);
    const esmClass = Number(pdu.esm_class ?? 0);
    if (isSmeAck(esmClass)) return respond(COMMAND_STATUS.ESME_ROK);
    if (isReceipt(esmClass)) {
      const receipt = parseReceipt(pdu, config);
      if (!receipt) {
        this.deps.log.warn({ connection }, 'smpp receipt without a message id: acknowledged and dropped');
        return respond(COMMAND_STATUS.ESME_ROK);
      }
      this.countsOf(connection).receipts++;
      this.batch.receipts.push({ connection, receipt, respond });
    } else {
      this.countsOf(connection).inbound++;
      this.batch.inbound.push({ connection, from: String(pdu.source_addr ?? ''), to: String(pdu.destination_addr ?? ''), receivedAt: this.deps.now(), respond, ...inboundText(pdu) });
    }
    this.schedule();
  }

  matchWaitingReceipts(): void {
    this.batch.matchWaiting = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the current flush: what arrives meanwhile goes into one transaction.
    this.running = this.running.then(() => new Promise<void>((resolve) => setImmediate(() => void this.flush().finally(resolve))));
  }

  /** Resolves when everything handed in so far is stored, or failed once more (tests, shutdown). */
  async settled(): Promise<void> {
    let retried = false;
    for (;;) {
      await this.running;
      // A batch waiting to be retried is tried once more now, not left to its timer.
      if (this.retryTimer && !retried) {
        retried = true;
        this.retryNow();
      } else if (!this.scheduled) return;
    }
  }

  private retryNow(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.schedule();
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    // A failed batch waits for its retry; what arrives meanwhile waits with it (its acks come first).
    if (this.retryTimer) return;
    const batch = this.batch;
    this.batch = emptyBatch();
    if (batch.updates.length + batch.receipts.length + batch.inbound.length === 0 && !batch.matchWaiting) return;
    const now = this.deps.now();
    try {
      const { pushed, failovers, byStatusId } = await this.deps.db.transaction().execute((trx) => this.store(trx, batch, now));
      this.deps.reports?.reportsRecorded(byStatusId);
      for (const item of [...batch.receipts, ...batch.inbound]) item.respond(COMMAND_STATUS.ESME_ROK);
      if (pushed > 0) this.deps.onReports();
      if (failovers > 0) this.deps.onNetworkWork();
    } catch (error) {
      this.deps.log.error({ err: error }, 'smpp results not stored: receipts refused for redelivery, the rest retried');
      for (const item of [...batch.receipts, ...batch.inbound]) item.respond(COMMAND_STATUS.ESME_RX_T_APPN);
      this.batch.updates = batch.updates.concat(this.batch.updates);
      this.retryTimer ??= setTimeout(() => this.retryNow(), RETRY_MS);
    }
  }

  private async store(trx: Transaction<Database>, batch: Batch, now: number): Promise<{ pushed: number; failovers: number; byStatusId: StatusCounts }> {
    // The batch stays as it came, for a retry if this transaction fails: it works on copies.
    const writes = batch.updates.map((u) => ({ ...u }));
    const acked = writes.filter((u) => u.acked);
    const waiting = batch.matchWaiting ? await matchedWaitingReceipts(trx) : [];
    const receipts = [...waiting, ...(await waitingFor(trx, acked)), ...batch.receipts.map((r) => ({ connection: r.connection, ...r.receipt }))];
    const matched = await this.applyReceipts(trx, receipts, acked, now);
    const closing = [...writes, ...matched.updates].filter((u) => u.result);
    await lockMessages(trx, this.deps.profile, [...closing.map((u) => u.result!.messagePk), ...matched.intermediate.map((e) => e.messagePk)]);
    // Only parts this transaction closed count: another process may have closed one first.
    const closed = await updateParts(trx, [...writes, ...matched.updates], now);
    const results = closing.filter((u) => closed.has(u.id)).map((u) => u.result!);
    const events = [...matched.intermediate, ...(await messageResults(trx, results)).map((r) => this.event(r, now))];
    const { open, failovers } = await this.forOpenMessages(trx, events, now);
    const recorded = await recordEvents(trx, this.deps.profile, open, now, this.deps.subscribers);
    await closeValidity(trx, open);
    const inboundPushed = await this.storeInbound(trx, batch.inbound, batch.matchWaiting, now);
    return { pushed: recorded.pushed + inboundPushed, failovers, byStatusId: recorded.byStatusId };
  }

  private event(result: Omit<PartResult, 'part' | 'parts'> & { final?: boolean }, now: number): StatusEvent {
    return { messagePk: result.messagePk, statusId: result.statusId, errorId: result.errorId, final: result.final ?? true, doneAt: now, pricePerMessage: 0, currency: this.deps.currency, mccMnc: null };
  }

  /**
   * Matches receipts to parts: first to parts acknowledged in this batch (the usual case: the
   * receipt follows its submit_sm_resp within milliseconds), then to stored parts. A final receipt
   * closes its part; an intermediate one becomes an intermediate report at once; one whose part is
   * not known yet waits in smpp_pending_receipts.
   */
  private async applyReceipts(
    trx: Transaction<Database>,
    receipts: Array<Receipt & { connection: string }>,
    acked: PartUpdate[],
    now: number,
  ): Promise<{ updates: PartUpdate[]; intermediate: StatusEvent[] }> {
    if (receipts.length === 0) return { updates: [], intermediate: [] };
    type Known = { message_pk: number; part: number; parts: number; state: SmppPartState; update: PartUpdate };
    const parts = new Map<string, Known>();
    const key = (connection: string, smscId: string) => `${connection}\u0000${smscId}`;
    for (const update of acked) {
      const a = update.acked!;
      parts.set(key(a.connection, update.smscId!), { message_pk: a.messagePk, part: a.part, parts: a.parts, state: 'acked', update });
    }
    const unknown = receipts.filter((r) => !parts.has(key(r.connection, r.smscId)));
    for (const [connection, ids] of groupBy(unknown, (r) => r.connection, (r) => r.smscId)) {
      for (const chunk of chunks([...new Set(ids)])) {
        const rows = await trx.selectFrom('smpp_parts').select(['id', 'message_pk', 'part', 'parts', 'state', 'smsc_id']).where('connection', '=', connection).where('smsc_id', 'in', chunk).orderBy('id').execute();
        // An id an SMSC reuses (counters wrap) belongs to its latest part.
        for (const row of rows) {
          const update: PartUpdate = { id: Number(row.id), state: row.state, smscId: null, statusId: null, errorId: null, attempts: null };
          parts.set(key(connection, row.smsc_id!), { message_pk: Number(row.message_pk), part: row.part, parts: row.parts, state: row.state, update });
        }
      }
    }
    const stored: PartUpdate[] = [];
    const intermediate = new Map<string, StatusEvent>();
    const waiting: Array<{ connection: string; smsc_id: string; status_id: number; error_id: number; final: number; received_at: number }> = [];
    for (const receipt of receipts) {
      const part = parts.get(key(receipt.connection, receipt.smscId));
      if (!part) {
        waiting.push({ connection: receipt.connection, smsc_id: receipt.smscId, status_id: receipt.statusId, error_id: receipt.errorId, final: receipt.final ? 1 : 0, received_at: now });
        continue;
      }
      if (part.state === 'done' || part.state === 'rejected') continue; // the SMSC sent it twice
      if (!receipt.final) {
        // One intermediate report per message and status, however many parts say it.
        intermediate.set(`${part.message_pk}:${receipt.statusId}`, this.event({ messagePk: part.message_pk, statusId: receipt.statusId, errorId: receipt.errorId, final: false }, now));
        continue;
      }
      part.state = 'done';
      const result = { messagePk: part.message_pk, part: part.part, parts: part.parts, statusId: receipt.statusId, errorId: receipt.errorId };
      Object.assign(part.update, { state: 'done', statusId: receipt.statusId, errorId: receipt.errorId, result });
      if (!part.update.acked) stored.push(part.update);
    }
    for (const chunk of chunks(waiting)) await trx.insertInto('smpp_pending_receipts').values(chunk).execute();
    return { updates: stored, intermediate: [...intermediate.values()] };
  }

  /**
   * Keeps the events of messages still open on SMS (a late receipt after the validity end reported
   * EXPIRED changes nothing) and gives them the message's MCC/MNC. A final report that did not
   * deliver, on a message with failover channels left, becomes a failover step: the message moves
   * to its next channel, whose network job is due now.
   */
  private async forOpenMessages(trx: Transaction<Database>, events: StatusEvent[], now: number): Promise<{ open: StatusEvent[]; failovers: number }> {
    const messages = new Map<number, { pk: number; account_id: string; bulk_id: string; state: string; channel: string; failover: string | null; mcc_mnc: string | null }>();
    for (const chunk of chunks([...new Set(events.map((e) => e.messagePk))])) {
      const rows = await trx.selectFrom('messages').select(['pk', 'account_id', 'bulk_id', 'state', 'channel', 'failover', 'mcc_mnc']).where('pk', 'in', chunk).execute();
      for (const row of rows) messages.set(Number(row.pk), row);
    }
    const open: StatusEvent[] = [];
    let failovers = 0;
    for (const event of events) {
      const message = messages.get(event.messagePk);
      // A message that moved on to another failover channel is no longer this SMS's to report on.
      if (!message || message.state === 'FINAL' || message.state === 'CANCELED' || message.channel !== CHANNEL.SMS) continue;
      event.mccMnc = message.mcc_mnc;
      open.push(event);
      if (!event.final || statusById(event.statusId).groupName === 'DELIVERED' || failoverStepsOf(message.failover).length === 0) continue;
      event.final = false;
      event.failoverStep = true;
      await moveToNextChannel(trx, message.pk, message.failover);
      await trx.insertInto('network_jobs').values({ account_id: message.account_id, message_pk: message.pk, bulk_id: message.bulk_id, step: 'failover', due_at: now }).execute();
      // Closed for this channel: later receipts of its parts are not the next channel's.
      message.state = 'FINAL';
      failovers++;
    }
    return { open, failovers };
  }

  /** Inbound SMS: a whole one is recorded now; a part waits in smpp_inbound_parts until its message is whole. */
  private async storeInbound(trx: Transaction<Database>, inbound: IncomingMessage[], matchWaiting: boolean, now: number): Promise<number> {
    const whole: Array<{ connection: string; from: string; to: string; text: string; parts: number; receivedAt: number }> = [];
    for (const message of inbound) {
      if (!message.concat) {
        whole.push({ ...message, parts: 1 });
        continue;
      }
      const key = { connection: message.connection, source: message.from, destination: message.to, reference: message.concat.reference, total: message.concat.total };
      if (await alreadyCompleted(trx, key, message.concat.seq, message.text, now)) continue;
      await trx.insertInto('smpp_inbound_parts').values({ ...key, seq: message.concat.seq, text: message.text, received_at: now }).execute();
      const text = await takeWhole(trx, key, now);
      if (text !== null) whole.push({ connection: key.connection, from: key.source, to: key.destination, text, parts: key.total, receivedAt: message.receivedAt });
    }
    // Parts of one message stored by two processes at once each missed the other's: completed here.
    if (matchWaiting) whole.push(...(await completedElsewhere(trx, now)));
    let pushed = 0;
    for (const message of whole) {
      const recorded = await receiveNetworkSms(trx, { from: message.from, to: message.to, text: message.text, smsCount: message.parts, receivedAt: message.receivedAt, currency: this.deps.currency }, now, this.deps.subscribers);
      if (!recorded) {
        this.deps.log.warn({ connection: message.connection, to: message.to }, 'smpp inbound message to a number no account has: acknowledged and dropped');
      } else if (recorded.route === 'push') pushed++;
    }
    return pushed;
  }
}

/** Receipts that came before the submit_sm_resp of parts acknowledged now: taken from the waiting table. */
async function waitingFor(trx: Transaction<Database>, acked: PartUpdate[]): Promise<Array<Receipt & { connection: string }>> {
  const found: Array<Receipt & { connection: string }> = [];
  for (const [connection, ids] of groupBy(acked, (u) => u.acked!.connection, (u) => u.smscId!)) {
    for (const chunk of chunks(ids)) {
      const rows = await trx.deleteFrom('smpp_pending_receipts').where('connection', '=', connection).where('smsc_id', 'in', chunk).returningAll().execute();
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      for (const row of rows) found.push({ connection, smscId: row.smsc_id, stat: '', statusId: row.status_id, errorId: row.error_id, final: row.final === 1 });
    }
  }
  return found;
}

/**
 * Waiting receipts whose part has its SMSC id by now, taken (deleted and returned in one statement,
 * so two processes never both apply one). Those that never match go with retention (store/sweeper.ts).
 */
async function matchedWaitingReceipts(trx: Transaction<Database>): Promise<Array<Receipt & { connection: string }>> {
  const matching = trx
    .selectFrom('smpp_pending_receipts as r')
    .innerJoin('smpp_parts as p', (join) => join.onRef('p.connection', '=', 'r.connection').onRef('p.smsc_id', '=', 'r.smsc_id'))
    .select('r.id')
    .orderBy('r.id')
    .limit(WAITING_BATCH);
  const rows = await trx.deleteFrom('smpp_pending_receipts').where('id', 'in', matching).returningAll().execute();
  rows.sort((a, b) => Number(a.id) - Number(b.id));
  return rows.map((r) => ({ connection: r.connection, smscId: r.smsc_id, stat: '', statusId: r.status_id, errorId: r.error_id, final: r.final === 1 }));
}

/** A message with its final report needs no validity step any more: its job goes now rather than at the validity end. */
async function closeValidity(trx: Transaction<Database>, events: StatusEvent[]): Promise<void> {
  const closed = events.filter((e) => e.final || e.failoverStep).map((e) => e.messagePk);
  for (const chunk of chunks(closed)) await trx.deleteFrom('network_jobs').where('message_pk', 'in', chunk).where('step', '=', 'validity').execute();
}

/**
 * The message-level status of messages whose parts got their last word now: a single part's is
 * the message's; several parts wait until each has one, then delivered if all are, else the
 * first failure. A message the flush did not finish is left for later receipts or its validity end.
 */
async function messageResults(trx: Transaction<Database>, results: PartResult[]): Promise<PartResult[]> {
  const whole: PartResult[] = results.filter((r) => r.parts === 1);
  const multi = [...new Set(results.filter((r) => r.parts > 1).map((r) => r.messagePk))];
  for (const chunk of chunks(multi)) {
    const rows = await trx.selectFrom('smpp_parts').select(['message_pk', 'part', 'parts', 'state', 'status_id', 'error_id', 'updated_at', 'id']).where('message_pk', 'in', chunk).orderBy('updated_at').orderBy('id').execute();
    for (const [pk, parts] of groupBy(rows, (r) => Number(r.message_pk), (r) => r)) {
      const closed = parts.filter((p) => p.state === 'done' || p.state === 'rejected');
      if (closed.length < parts[0]!.parts) continue;
      const failed = closed.filter((p) => p.status_id !== STATUS.DELIVERED_TO_HANDSET).sort((a, b) => Number(a.updated_at) - Number(b.updated_at) || a.part - b.part)[0];
      whole.push(
        failed
          ? { messagePk: pk, part: 0, parts: parts[0]!.parts, statusId: failed.status_id!, errorId: failed.error_id! }
          : { messagePk: pk, part: 0, parts: parts[0]!.parts, statusId: STATUS.DELIVERED_TO_HANDSET, errorId: ERROR.NO_ERROR },
      );
    }
  }
  return whole;
}

/**
 * One statement per chunk: every row's new state, and the SMSC id, status, error and attempts it
 * brings (null: unchanged). A part already closed (done, rejected) is left alone; returns the ids
 * of the rows changed.
 */
async function updateParts(trx: Transaction<Database>, updates: PartUpdate[], now: number): Promise<Set<number>> {
  const changed = new Set<number>();
  for (const chunk of chunks(updates)) {
    const values = typedValues(
      chunk.map((u) => [u.id, u.state, u.smscId, u.statusId, u.errorId, u.attempts]),
      ['bigint', 'text', 'text', 'integer', 'integer', 'integer'],
    );
    const { rows } = await sql<{ id: number }>`
      update smpp_parts set
        state = v.column2,
        smsc_id = coalesce(v.column3, smpp_parts.smsc_id),
        status_id = coalesce(v.column4, smpp_parts.status_id),
        error_id = coalesce(v.column5, smpp_parts.error_id),
        attempts = coalesce(v.column6, smpp_parts.attempts),
        updated_at = ${now}
      from (values ${values}) as v
      where smpp_parts.id = v.column1 and smpp_parts.state not in ('done', 'rejected')
      returning smpp_parts.id`.execute(trx);
    for (const row of rows) changed.add(Number(row.id));
  }
  return changed;
}

/**
 * On PostgreSQL, two processes may close the last two parts of one message at once, each seeing
 * the other's part still open: locking the messages first (in pk order, so never a deadlock) makes
 * the second wait and then see the first's commit.
 */
async function lockMessages(trx: Transaction<Database>, profile: DialectProfile, pks: number[]): Promise<void> {
  if (!profile.skipLocked || pks.length === 0) return;
  const sorted = [...new Set(pks)].sort((a, b) => a - b);
  for (const chunk of chunks(sorted)) await trx.selectFrom('messages').select('pk').where('pk', 'in', chunk).orderBy('pk').forUpdate().execute();
}

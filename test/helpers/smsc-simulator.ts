/**
 * An SMSC simulator for the SMPP connector's tests and benchmark, written with the same `smpp`
 * library the gateway uses. It binds ESMEs, answers submit_sm at once with a message id (decimal
 * or hex), sends delivery receipts as deliver_sm (esm_class 0x04, the standard receipt text, the
 * receipted_message_id and message_state TLVs), sends inbound messages (single or concatenated
 * by UDH or SAR TLVs), and can misbehave on demand: throttle, reject, hold responses, drop the
 * connection mid-window, send a receipt before its submit_sm_resp, redeliver deliver_sm that
 * were never acknowledged.
 *
 * The fast path has no timers and no logging: a submit is answered and its receipts written in
 * the same tick, and each session's writes of one tick go out as one write (cork / uncork on
 * the next tick), so the benchmark measures the gateway rather than this simulator.
 */
import type { AddressInfo } from 'node:net';
import smpp, { type Pdu, type Server, type Session } from 'smpp';

export type BindCommand = 'bind_transceiver' | 'bind_transmitter' | 'bind_receiver';
export type ReceiptStat = 'ENROUTE' | 'DELIVRD' | 'EXPIRED' | 'DELETED' | 'UNDELIV' | 'ACCEPTD' | 'UNKNOWN' | 'REJECTD';
export interface SmscReceipt {
  stat: ReceiptStat | string;
  /** Three digits, written as is after `err:`. */
  err: string;
}
/** What the SMSC does with one part: reject the submit_sm with a command_status, or accept it and send these receipts (none: `[]`). */
export type SmscOutcome = { reject: number } | { receipts: SmscReceipt[] };

export interface SmscOptions {
  host: string;
  /** 0: any free port (start() returns it). */
  port: number;
  /** The SMSC's own system_id, sent in bind responses. */
  systemId: string;
  /** When set, binds with another system_id get ESME_RINVSYSID, with another password ESME_RINVPASWD. */
  credentials?: { systemId: string; password: string };
  idFormat: 'decimal' | 'hex';
  /** First message id (as a number); large so decimal ids have 10 digits and hex ids have letters. */
  firstId: number;
  /** Delay before each receipt; a list of receipts is spaced by the same delay. 0: in the same tick as the response. */
  receiptDelayMs: number;
  /** false: receipts carry the text only (no receipted_message_id / message_state TLVs). */
  receiptTlvs: boolean;
  /** 'decimal': the text's `id:` is the decimal value of a hex id, zero-padded to 10 digits. */
  receiptIdInText: 'same' | 'decimal';
  /** Write the (first) receipt before the submit_sm_resp. */
  receiptBeforeResponse: boolean;
  /** The outcome of a part (partIndex 0-based, from its concatenation info). Default: SMSC_OUTCOMES by the destination's last 4 digits. */
  outcomeFor: (submit: SubmitRecord, partIndex: number) => SmscOutcome;
  /** Keep a SubmitRecord per submit_sm in `submits` (the benchmark turns this off; counters still count). */
  record: boolean;
  /** A deliver_sm answered with an error status is sent again after this delay. */
  nackRetryMs: number;
}

export interface SubmitRecord {
  /** The system_id of the bind that sent it. */
  systemId: string;
  sequence: number;
  source: string;
  sourceTon: number;
  sourceNpi: number;
  destination: string;
  destinationTon: number;
  destinationNpi: number;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  /** The whole UDH, its length byte included, when esm_class has 0x40. */
  udh: Buffer | null;
  /** From a UDH IEI 0x00 / 0x08, or from the SAR TLVs. */
  concat: { reference: number; total: number; seq: number } | null;
  /** Decoded as the library decodes: 0/1 GSM-7 (one septet per octet), 3 latin1, 8 UTF-16BE. */
  text: string;
  messageId: string | null;
  commandStatus: number;
  answered: boolean;
  /** As the library decodes it (relative times are resolved against now); null when absent. */
  validityPeriod: Date | null;
  /** Epoch ms when the submit_sm arrived (the receipt's `submit date`). */
  receivedAt: number;
}

export interface BindRecord {
  command: BindCommand;
  systemId: string;
  systemType: string;
  password: string;
  /** command_status of the bind response. */
  status: number;
}

/** A deliver_sm sent to the ESME and not yet answered with deliver_sm_resp (or queued for a bind). */
export interface DeliveryInfo {
  kind: 'receipt' | 'inbound';
  from: string;
  to: string;
  text: string;
  /** The receipted message id (receipts only). */
  messageId: string | null;
  /** How many times it has been sent. */
  attempts: number;
}

export interface InboundMessage {
  from: string;
  to: string;
  text: string;
  /** How a text longer than one SMS is split (default 'udh'). */
  concat?: 'udh' | 'sar';
  /** Default: 0 (GSM-7) when every character is in GSM 03.38, else 8 (UCS-2). */
  dataCoding?: 0 | 8;
  /** Deliver only to binds with this system_id (default: any receiving bind). */
  systemId?: string;
}

const { errors } = smpp;
const RECEIPT = 0x04;
const UDHI = 0x40;

/** message_state TLV values (SMPP 3.4, 5.3.2.35) by receipt stat. */
export const MESSAGE_STATE: Record<string, number> = {
  ENROUTE: 1, DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8,
};

/** An outcome that differs between the first part of a message and the others. */
export interface PerPartOutcome {
  firstPart: SmscOutcome;
  otherParts: SmscOutcome;
}

const receipts = (...list: Array<[string, string]>): SmscOutcome => ({ receipts: list.map(([stat, err]) => ({ stat, err })) });

/**
 * The default outcomes, by the last 4 digits of the destination:
 *
 *   (anything else) DELIVRD 000                 2008  DELETED 000
 *   2002  UNDELIV 001                           2009  accepted, no receipt at all
 *   2003  EXPIRED 000                           2010  submit rejected: ESME_RINVDSTADR (0x0B)
 *   2004  REJECTD 000                           2011  submit rejected: ESME_RSUBMITFAIL (0x45)
 *   2005  ACCEPTD 000, then DELIVRD 000         2012  UNDELIV 027
 *   2006  ENROUTE 000, then DELIVRD 000         2013  part 1 DELIVRD 000, other parts UNDELIV 001
 *   2007  UNKNOWN 000                           2014  part 1 DELIVRD 000, other parts no receipt
 *
 * Receipts are sent only when the submit_sm asked for one (registered_delivery & 0x03).
 */
export const DEFAULT_OUTCOME: SmscOutcome = receipts(['DELIVRD', '000']);
export const SMSC_OUTCOMES: Record<string, SmscOutcome | PerPartOutcome> = {
  '2002': receipts(['UNDELIV', '001']),
  '2003': receipts(['EXPIRED', '000']),
  '2004': receipts(['REJECTD', '000']),
  '2005': receipts(['ACCEPTD', '000'], ['DELIVRD', '000']),
  '2006': receipts(['ENROUTE', '000'], ['DELIVRD', '000']),
  '2007': receipts(['UNKNOWN', '000']),
  '2008': receipts(['DELETED', '000']),
  '2009': { receipts: [] },
  '2010': { reject: errors.ESME_RINVDSTADR },
  '2011': { reject: errors.ESME_RSUBMITFAIL },
  '2012': receipts(['UNDELIV', '027']),
  '2013': { firstPart: DEFAULT_OUTCOME, otherParts: receipts(['UNDELIV', '001']) },
  '2014': { firstPart: DEFAULT_OUTCOME, otherParts: { receipts: [] } },
};

/** SMSC_OUTCOMES applied: the default `outcomeFor`. */
export function defaultOutcomeFor(submit: SubmitRecord, partIndex: number): SmscOutcome {
  const rule = SMSC_OUTCOMES[submit.destination.slice(-4)] ?? DEFAULT_OUTCOME;
  if ('firstPart' in rule) return partIndex === 0 ? rule.firstPart : rule.otherParts;
  return rule;
}

const DEFAULTS: SmscOptions = {
  host: '127.0.0.1',
  port: 0,
  systemId: 'HooklineSMSC',
  idFormat: 'decimal',
  firstId: 0x3b9aca01,
  receiptDelayMs: 0,
  receiptTlvs: true,
  receiptIdInText: 'same',
  receiptBeforeResponse: false,
  outcomeFor: defaultOutcomeFor,
  record: true,
  nackRetryMs: 100,
};

interface Conn {
  session: Session;
  mode: BindCommand | null;
  systemId: string;
  /** Destroyed by us or closed by the peer: nothing more is answered on it. */
  closed: boolean;
  /** deliver_sm sent on this session awaiting deliver_sm_resp, by sequence number (insertion-ordered). */
  unacked: Map<number, Delivery>;
  corked: boolean;
}

interface Delivery {
  info: DeliveryInfo;
  /** Deliver only to binds with this system_id; null: any. */
  systemId: string | null;
  /** deliver_sm parameters; a fresh PDU is built from them for every attempt. */
  params: Record<string, unknown>;
  onAck?: () => void;
}

interface Held {
  conn: Conn;
  pdu: Pdu;
  record: SubmitRecord;
}

const receives = (mode: BindCommand | null) => mode === 'bind_transceiver' || mode === 'bind_receiver';
const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
/** YYMMDDhhmm, UTC. */
function receiptDate(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}`;
}

/** GSM 03.38 extension-table characters: two septets each (escape + code). */
const GSM_EXTENDED = new Set(['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€']);
const isGsm = (text: string) => smpp.encodings.ASCII.match(text);
const SAME_IN_GSM_AND_ASCII = /^[A-Za-z0-9 !"#%&'()*+,\-./:;<=>?\n\r]*$/;

/** Splits a long text into parts of at most `max` units, never inside an escape pair or a surrogate pair. */
function split(text: string, gsm: boolean): string[] {
  const single = gsm ? 160 : 70;
  const max = gsm ? 153 : 67;
  const chars = Array.from(text);
  const width = (c: string) => (gsm ? (GSM_EXTENDED.has(c) ? 2 : 1) : c.length);
  if (chars.reduce((n, c) => n + width(c), 0) <= single) return [text];
  const parts: string[] = [];
  let part = '';
  let used = 0;
  for (const c of chars) {
    if (used + width(c) > max) {
      parts.push(part);
      part = '';
      used = 0;
    }
    part += c;
    used += width(c);
  }
  if (part) parts.push(part);
  return parts;
}

export class SmscSimulator {
  readonly options: SmscOptions;
  readonly submits: SubmitRecord[] = [];
  readonly binds: BindRecord[] = [];
  enquireLinks = 0;
  /** deliver_sm_resp with status 0 received. */
  deliveredAcks = 0;
  /** deliver_sm_resp with an error status received (the deliver_sm is sent again after nackRetryMs). */
  deliveryNacks = 0;
  /** submit_sm received (also when `record` is off). */
  submitCount = 0;
  /** Receipt deliver_sm written (redeliveries included). */
  receiptsSent = 0;
  port = 0;

  private server: Server | null = null;
  private conns = new Set<Conn>();
  /** Bound transceiver / receiver sessions, for round-robin delivery. */
  private receivers: Conn[] = [];
  private nextReceiver = 0;
  /** deliver_sm waiting for a receiving bind. */
  private queue: Delivery[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private nextId: number;
  private concatRef = 0;
  private throttleLeft = 0;
  private throttleStatus: number = errors.ESME_RTHROTTLED;
  /** Submits still to answer before the drop; null: no drop armed. */
  private dropCountdown: number | null = null;
  private holding = false;
  private held: Held[] = [];

  constructor(options?: Partial<SmscOptions>) {
    this.options = { ...DEFAULTS, ...options };
    this.nextId = this.options.firstId;
  }

  start(): Promise<number> {
    const server = smpp.createServer((session: Session) => this.accept(session));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        this.port = (server.address() as AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  async stop(): Promise<void> {
    this.dropAll();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next `count` submit_sm are answered with `status` (no message id, no receipt). */
  throttleNext(count: number, status: number = errors.ESME_RTHROTTLED): void {
    this.throttleLeft = count;
    this.throttleStatus = status;
  }

  /** After `count` more submit_sm are answered, the next one is not answered and its socket is destroyed (once). */
  dropAfter(count: number): void {
    this.dropCountdown = count;
  }

  /** Destroys every socket now. */
  dropAll(): void {
    for (const conn of [...this.conns]) this.destroy(conn);
  }

  /** While on, submit_sm are recorded but not answered; turning it off answers them all, in order. */
  holdResponses(on: boolean): void {
    this.holding = on;
    if (on) return;
    const held = this.held;
    this.held = [];
    for (const { conn, pdu, record } of held) this.answer(conn, pdu, record);
  }

  /** deliver_sm sent and not yet answered, plus those queued for a receiving bind. */
  unacknowledgedDeliveries(): DeliveryInfo[] {
    const sent = [...this.conns].flatMap((conn) => [...conn.unacked.values()]);
    return [...sent, ...this.queue].map((d) => ({ ...d.info }));
  }

  /** The sessions bound now. */
  boundSessions(): Array<{ command: BindCommand; systemId: string }> {
    return [...this.conns].filter((c) => c.mode && !c.closed).map((c) => ({ command: c.mode!, systemId: c.systemId }));
  }

  /** Forgets what was recorded and counted (not the sessions, the queue or armed misbehaviour). */
  reset(): void {
    this.submits.length = 0;
    this.binds.length = 0;
    this.enquireLinks = this.deliveredAcks = this.deliveryNacks = this.submitCount = this.receiptsSent = 0;
  }

  /** Sends an inbound message (split into parts when longer than one SMS); resolves when every part is acknowledged. */
  sendInbound(message: InboundMessage): Promise<void> {
    const dataCoding = message.dataCoding ?? (isGsm(message.text) ? 0 : 8);
    const parts = split(message.text, dataCoding === 0);
    const reference = this.concatRef++;
    const common = {
      source_addr_ton: 1, source_addr_npi: 1, source_addr: message.from,
      dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: message.to,
      data_coding: dataCoding,
    };
    // Never rejects (a test that does not await it must not see an unhandled rejection); after stop() it stays pending.
    return new Promise<void>((resolve) => {
      let left = parts.length;
      const onAck = () => {
        if (--left === 0) resolve();
      };
      parts.forEach((text, i) => {
        let params: Record<string, unknown>;
        if (parts.length === 1) params = { ...common, esm_class: 0, short_message: text };
        else if (message.concat === 'sar')
          params = { ...common, esm_class: 0, short_message: text, sar_msg_ref_num: reference & 0xffff, sar_total_segments: parts.length, sar_segment_seqnum: i + 1 };
        else params = { ...common, esm_class: UDHI, short_message: { udh: Buffer.from([5, 0x00, 3, reference & 0xff, parts.length, i + 1]), message: text } };
        const info: DeliveryInfo = { kind: 'inbound', from: message.from, to: message.to, text, messageId: null, attempts: 0 };
        this.deliver({ info, systemId: message.systemId ?? null, params, onAck });
      });
    });
  }

  /** Polls `predicate` until it holds; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (predicate()) return resolve();
        if (Date.now() > deadline) return reject(new Error(`waitFor: condition not met within ${timeoutMs} ms`));
        setTimeout(check, 5);
      };
      check();
    });
  }

  // --- sessions -------------------------------------------------------------------------------

  private accept(session: Session): void {
    session.socket.setNoDelay(true);
    const conn: Conn = { session, mode: null, systemId: '', closed: false, unacked: new Map(), corked: false };
    this.conns.add(conn);
    session.on('pdu', (pdu: Pdu) => this.onPdu(conn, pdu));
    session.on('error', () => {}); // resets by the peer are part of the game; 'close' follows
    session.on('close', () => this.onClose(conn));
  }

  private onPdu(conn: Conn, pdu: Pdu): void {
    switch (pdu.command) {
      case 'submit_sm':
        return this.onSubmit(conn, pdu);
      case 'deliver_sm_resp':
      case 'enquire_link_resp':
      case 'generic_nack':
        return; // deliver_sm_resp is handled by the send callback
      case 'enquire_link':
        this.enquireLinks++;
        this.send(conn, pdu.response());
        return;
      case 'bind_transceiver':
      case 'bind_transmitter':
      case 'bind_receiver':
        return this.onBind(conn, pdu, pdu.command);
      case 'unbind':
        // No more deliver_sm on it; what it left unacknowledged is redelivered when it closes.
        conn.mode = null;
        this.receivers = this.receivers.filter((c) => c !== conn);
        this.send(conn, pdu.response(), () => conn.session.close());
        return;
      default:
        if (!pdu.isResponse()) this.send(conn, pdu.response({ command_status: errors.ESME_RINVCMDID }));
    }
  }

  private onBind(conn: Conn, pdu: Pdu, command: BindCommand): void {
    const { credentials } = this.options;
    let status = 0;
    if (conn.mode) status = errors.ESME_RALYBND;
    else if (credentials && pdu.system_id !== credentials.systemId) status = errors.ESME_RINVSYSID;
    else if (credentials && pdu.password !== credentials.password) status = errors.ESME_RINVPASWD;
    this.binds.push({ command, systemId: pdu.system_id, systemType: pdu.system_type, password: pdu.password, status });
    this.send(conn, pdu.response(status ? { command_status: status } : { system_id: this.options.systemId }));
    if (status) return;
    conn.mode = command;
    conn.systemId = pdu.system_id;
    if (receives(command)) {
      this.receivers.push(conn);
      this.flushQueue();
    }
  }

  private onClose(conn: Conn): void {
    conn.closed = true;
    this.conns.delete(conn);
    this.receivers = this.receivers.filter((c) => c !== conn);
    if (conn.unacked.size === 0) return;
    // As real SMSCs do: what the ESME never acknowledged is delivered again on another bind.
    this.queue.unshift(...conn.unacked.values());
    conn.unacked.clear();
    this.flushQueue();
  }

  private destroy(conn: Conn): void {
    conn.closed = true;
    this.receivers = this.receivers.filter((c) => c !== conn);
    // After this tick's corked writes leave: answers written before the drop reach the ESME.
    if (conn.corked) process.nextTick(() => process.nextTick(() => conn.session.destroy()));
    else conn.session.destroy();
  }

  /** Writes a PDU; a tick's writes on one session leave as one write. */
  private send(conn: Conn, pdu: Pdu, onResponse?: (pdu: Pdu) => void): boolean {
    if (!conn.corked) {
      conn.corked = true;
      conn.session.socket.cork();
      process.nextTick(() => {
        conn.corked = false;
        conn.session.socket.uncork();
      });
    }
    return conn.session.send(pdu, onResponse);
  }

  // --- submit_sm ------------------------------------------------------------------------------

  private onSubmit(conn: Conn, pdu: Pdu): void {
    if (conn.mode !== 'bind_transceiver' && conn.mode !== 'bind_transmitter') {
      this.send(conn, pdu.response({ command_status: errors.ESME_RINVBNDSTS }));
      return;
    }
    this.submitCount++;
    const record = this.describe(conn, pdu);
    if (this.options.record) this.submits.push(record);
    if (conn.closed) return; // arrived behind a drop: never answered
    if (this.dropCountdown !== null) {
      if (this.dropCountdown === 0) {
        this.dropCountdown = null;
        this.destroy(conn);
        return;
      }
      this.dropCountdown--;
    }
    if (this.throttleLeft > 0) {
      this.throttleLeft--;
      record.commandStatus = this.throttleStatus;
      record.answered = true;
      this.send(conn, pdu.response({ command_status: this.throttleStatus }));
      return;
    }
    if (this.holding) {
      this.held.push({ conn, pdu, record });
      return;
    }
    this.answer(conn, pdu, record);
  }

  private answer(conn: Conn, pdu: Pdu, record: SubmitRecord): void {
    if (conn.closed) return;
    const outcome = this.options.outcomeFor(record, record.concat ? record.concat.seq - 1 : 0);
    if ('reject' in outcome) {
      record.commandStatus = outcome.reject;
      record.answered = true;
      this.send(conn, pdu.response({ command_status: outcome.reject }));
      return;
    }
    const id = this.options.idFormat === 'hex' ? this.nextId.toString(16) : String(this.nextId);
    this.nextId++;
    record.messageId = id;
    record.answered = true;
    const list = record.registeredDelivery & 0x03 ? outcome.receipts : [];
    let first = 0;
    if (this.options.receiptBeforeResponse && list.length > 0) {
      this.deliver(this.receipt(record, list[0]));
      first = 1;
    }
    this.send(conn, pdu.response({ message_id: id }));
    const delay = this.options.receiptDelayMs;
    for (let i = first; i < list.length; i++) {
      const receipt = list[i];
      if (delay <= 0) {
        this.deliver(this.receipt(record, receipt));
        continue;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.deliver(this.receipt(record, receipt));
      }, delay * (i + 1 - first));
      this.timers.add(timer);
    }
  }

  /** The SubmitRecord of a submit_sm, decoded as the library decodes it. */
  private describe(conn: Conn, pdu: Pdu): SubmitRecord {
    type Decoded = { message: string | Buffer; udh?: Buffer[] };
    let body = pdu.short_message as Decoded | undefined;
    // A long text may come in message_payload with an empty short_message.
    if ((!body || !body.message || body.message.length === 0) && pdu.message_payload) body = pdu.message_payload as Decoded;
    const message = body?.message ?? '';
    let udh: Buffer | null = null;
    let concat: SubmitRecord['concat'] = null;
    if (body?.udh && pdu.esm_class & UDHI) {
      const length = body.udh.reduce((n, ie) => n + ie.length, 0);
      udh = Buffer.concat([Buffer.from([length]), ...body.udh]);
      for (const ie of body.udh) {
        if (ie[0] === 0x00 && ie.length >= 5) concat = { reference: ie[2], total: ie[3], seq: ie[4] };
        else if (ie[0] === 0x08 && ie.length >= 6) concat = { reference: ie.readUInt16BE(2), total: ie[4], seq: ie[5] };
      }
    }
    if (!concat && pdu.sar_msg_ref_num !== undefined)
      concat = { reference: pdu.sar_msg_ref_num, total: pdu.sar_total_segments, seq: pdu.sar_segment_seqnum };
    return {
      systemId: conn.systemId,
      sequence: pdu.sequence_number,
      source: pdu.source_addr,
      sourceTon: pdu.source_addr_ton,
      sourceNpi: pdu.source_addr_npi,
      destination: pdu.destination_addr,
      destinationTon: pdu.dest_addr_ton,
      destinationNpi: pdu.dest_addr_npi,
      esmClass: pdu.esm_class,
      dataCoding: pdu.data_coding,
      registeredDelivery: pdu.registered_delivery,
      udh,
      concat,
      // data codings the library does not decode (binary, …) stay bytes: shown as latin1
      text: typeof message === 'string' ? message : message.toString('latin1'),
      messageId: null,
      commandStatus: 0,
      answered: false,
      validityPeriod: pdu.validity_period instanceof Date ? pdu.validity_period : null,
      receivedAt: Date.now(),
    };
  }

  // --- deliver_sm -----------------------------------------------------------------------------

  private receipt(submit: SubmitRecord, { stat, err }: SmscReceipt): Delivery {
    const id = submit.messageId!;
    const idInText = this.options.receiptIdInText === 'decimal' && this.options.idFormat === 'hex' ? String(parseInt(id, 16)).padStart(10, '0') : id;
    // The receipt is GSM-7: characters outside GSM 03.38 in the quoted text become '?'.
    const first20 = Array.from(submit.text).slice(0, 20);
    const quoted = isGsm(first20.join('')) ? first20.join('') : first20.map((c) => (isGsm(c) ? c : '?')).join('');
    const text =
      `id:${idInText} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${receiptDate(submit.receivedAt)} ` +
      `done date:${receiptDate(Date.now())} stat:${stat} err:${err.padStart(3, '0')} text:${quoted}`;
    const params: Record<string, unknown> = {
      source_addr_ton: submit.destinationTon, source_addr_npi: submit.destinationNpi, source_addr: submit.destination,
      dest_addr_ton: submit.sourceTon, dest_addr_npi: submit.sourceNpi, destination_addr: submit.source,
      // Characters whose GSM 03.38 code is their ASCII code go out as bytes: the library's GSM
      // encoder lists its table's keys and builds a RegExp on every call (a large share of the CPU per receipt).
      esm_class: RECEIPT, data_coding: 0, short_message: SAME_IN_GSM_AND_ASCII.test(text) ? Buffer.from(text, 'latin1') : text,
    };
    if (this.options.receiptTlvs) {
      params.receipted_message_id = id;
      params.message_state = MESSAGE_STATE[stat] ?? MESSAGE_STATE.UNKNOWN;
    }
    return { info: { kind: 'receipt', from: submit.destination, to: submit.source, text, messageId: id, attempts: 0 }, systemId: submit.systemId, params };
  }

  /** A receiving bind for `d`, round-robin; undefined when none is bound. */
  private pickReceiver(d: Delivery): Conn | undefined {
    const n = this.receivers.length;
    for (let k = 0; k < n; k++) {
      const conn = this.receivers[(this.nextReceiver + k) % n];
      if (!conn.closed && (d.systemId === null || conn.systemId === d.systemId)) {
        this.nextReceiver = (this.nextReceiver + k + 1) % n;
        return conn;
      }
    }
    return undefined;
  }

  private deliver(d: Delivery): void {
    const conn = this.pickReceiver(d);
    if (!conn) {
      this.queue.push(d);
      return;
    }
    const pdu = new smpp.PDU('deliver_sm', d.params);
    const sent = this.send(conn, pdu, (resp) => {
      conn.unacked.delete(pdu.sequence_number);
      if (resp.command_status === 0) {
        this.deliveredAcks++;
        d.onAck?.();
        return;
      }
      this.deliveryNacks++;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.deliver(d);
      }, this.options.nackRetryMs);
      this.timers.add(timer);
    });
    if (!sent) {
      this.queue.push(d);
      return;
    }
    d.info.attempts++;
    if (d.info.kind === 'receipt') this.receiptsSent++;
    conn.unacked.set(pdu.sequence_number, d);
  }

  private flushQueue(): void {
    if (this.queue.length === 0 || this.receivers.length === 0) return;
    const waiting = this.queue;
    this.queue = [];
    for (const d of waiting) this.deliver(d);
  }
}

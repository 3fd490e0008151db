/**
 * One SMPP session to an SMSC: connect, bind, keep alive with enquire_link, and reconnect with
 * backoff when the socket drops, a bind fails, or the SMSC stops answering. It counts the
 * submit_sm waiting for their response (the window) and, when the session ends, hands the
 * unanswered ones back to its connection, which decides whether they are sent again.
 */
import smpp, { type Pdu, type Session } from 'smpp';
import type { Logger } from 'pino';
import type { SmppConnectionConfig } from './smpp-config.ts';

export type LinkRole = 'transceiver' | 'transmitter' | 'receiver';
export type LinkState = 'connecting' | 'bound' | 'backoff' | 'closed';

/** SMPP 3.4, so SMSCs send receipts with TLVs. */
const INTERFACE_VERSION = 0x34;

/** The library's command definitions: which commands have a `_resp` (alert_notification and outbind have none). */
const COMMANDS = smpp.commands as Record<string, unknown>;

export interface LinkHandlers<P> {
  /** Bound: it can take submits (if its role sends). */
  bound(link: SmppLink<P>): void;
  /** The session ended: the submits it sent and never got an answer for, oldest first; `lost`: a bound session dropped (not a failed connect, not a stop). */
  down(link: SmppLink<P>, unanswered: P[], lost: boolean): void;
  /**
   * A deliver_sm or data_sm: the handler calls `respond` once it is safely stored. The answer goes
   * out only on the session that delivered the PDU; if that session is gone it is dropped (the SMSC
   * sends the PDU again).
   */
  deliver(link: SmppLink<P>, pdu: Pdu, respond: (commandStatus: number) => void): void;
}

interface InFlight<P> {
  item: P;
  sentAt: number;
}

export class SmppLink<P> {
  /**
   * A bind must stay up this long before the reconnect backoff starts again from its minimum: a
   * link that binds and fails at once (a PDU the library cannot parse, every time) keeps backing
   * off instead of reconnecting every `reconnect.minMs`. Tests shorten it.
   */
  static stableBindMs = 30_000;

  state: LinkState = 'closed';
  private session: Session | null = null;
  private readonly inFlight = new Map<number, InFlight<P>>();
  private reconnectDelay: number;
  /** Timeouts and intervals of the current session; cleared when it closes. */
  private timers: NodeJS.Timeout[] = [];
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private lastHeard = 0;
  private corked = false;
  /** When the current session's bind succeeded; null: not bound (yet). */
  private boundAt: number | null = null;

  constructor(
    private readonly config: SmppConnectionConfig,
    readonly role: LinkRole,
    readonly index: number,
    private readonly handlers: LinkHandlers<P>,
    private readonly log: Logger,
  ) {
    this.reconnectDelay = config.reconnect.minMs;
  }

  get sends(): boolean {
    return this.role !== 'receiver';
  }

  /** Submits it can take now. */
  get free(): number {
    return this.state === 'bound' && this.sends ? this.config.window - this.inFlight.size : 0;
  }

  get outstanding(): number {
    return this.inFlight.size;
  }

  pendingItems(): P[] {
    return [...this.inFlight.values()].map((f) => f.item);
  }

  start(): void {
    this.stopping = false;
    this.connect();
  }

  private connect(): void {
    this.reconnectTimer = null;
    this.state = 'connecting';
    const session = smpp.connect({ host: this.config.host, port: this.config.port });
    this.session = session;
    session.socket.setNoDelay(true);
    // A connect that neither succeeds nor fails (a firewall dropping SYNs) must not hold the link.
    const connected = this.deadline(session, 'connect');
    session.on('connect', () => {
      connected();
      this.bind(session);
    });
    session.on('error', (error: Error) => {
      this.log.warn({ err: error.message, link: this.index, role: this.role }, 'smpp session error');
      session.destroy();
    });
    session.on('close', () => this.closed(session));
    session.on('pdu', (pdu: Pdu) => this.guarded(session, `smpp ${pdu.command} handling failed`, () => this.received(session, pdu)));
  }

  /**
   * Destroys the session unless the returned function is called within responseTimeoutMs: a
   * connect or bind nobody answers (a load balancer in front of a hung SMSC, an SMSC ignoring binds
   * beyond its limit) would otherwise leave the link waiting forever instead of reconnecting.
   */
  private deadline(session: Session, what: string): () => void {
    const timer = setTimeout(() => {
      this.log.warn({ link: this.index, role: this.role, timeoutMs: this.config.responseTimeoutMs }, `smpp ${what} timed out: reconnecting`);
      session.destroy();
    }, this.config.responseTimeoutMs);
    this.timers.push(timer);
    return () => clearTimeout(timer);
  }

  /**
   * Runs `body` for a PDU the library hands over. The library calls its listeners and response
   * callbacks outside any try, from the socket's 'readable' event: an exception would be uncaught
   * and end the process. Here it ends only this session, which reconnects.
   */
  private guarded(session: Session, message: string, body: () => void): void {
    try {
      body();
    } catch (error) {
      this.log.error({ err: error, link: this.index, role: this.role }, `${message}: reconnecting`);
      session.destroy();
    }
  }

  private bind(session: Session): void {
    const command = `bind_${this.role}`;
    const answered = this.deadline(session, command);
    session.send(
      new smpp.PDU(command, { system_id: this.config.systemId, password: this.config.password, system_type: this.config.systemType, interface_version: INTERFACE_VERSION }),
      (response: Pdu) =>
        this.guarded(session, 'smpp bind_resp handling failed', () => {
          answered();
          if (response.command_status !== 0) {
            this.log.error({ link: this.index, role: this.role, commandStatus: response.command_status }, 'smpp bind refused');
            session.destroy();
            return;
          }
          this.state = 'bound';
          this.boundAt = this.lastHeard = Date.now();
          this.timers.push(setInterval(() => this.keepAlive(session), this.config.enquireLinkMs));
          this.timers.push(setInterval(() => this.checkResponses(session), Math.min(1_000, this.config.responseTimeoutMs)));
          this.log.info({ link: this.index, role: this.role }, 'smpp bound');
          this.handlers.bound(this);
        }),
    );
  }

  private received(session: Session, pdu: Pdu): void {
    this.lastHeard = Date.now();
    if (pdu.isResponse()) return; // answered through the callback given to send
    switch (pdu.command) {
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'unbind':
        // Not bound from now on, so the connection stops choosing this link while it closes.
        if (this.state === 'bound') this.state = 'backoff';
        session.send(pdu.response(), undefined, () => session.close());
        // An SMSC that keeps its half of the socket open would leave the link closing forever.
        this.deadline(session, 'close after unbind');
        return;
      case 'deliver_sm':
      case 'data_sm':
        if (this.role === 'transmitter') session.send(pdu.response({ command_status: smpp.errors.ESME_RINVBNDSTS }));
        else this.handlers.deliver(this, pdu, (status) => this.respond(session, pdu, status));
        return;
      case 'alert_notification':
      case 'outbind':
        // SMPP 3.4 defines no response to these; Hookline has no use for them (no set_dpf, binds itself).
        this.log.info({ link: this.index, role: this.role, command: pdu.command }, 'smpp pdu ignored');
        return;
      default:
        // Commands an ESME does not take (submit_sm, bind_*, …) are refused; an unknown command id gets a generic_nack.
        if (pdu.command === 'unknown' || COMMANDS[`${pdu.command}_resp`]) session.send(pdu.response({ command_status: smpp.errors.ESME_RINVCMDID }));
        else this.log.warn({ link: this.index, role: this.role, command: pdu.command }, 'smpp pdu without a response ignored');
    }
  }

  /** Sends a submit_sm; `onResponse` gets its submit_sm_resp (or generic_nack). False when not bound or the socket no longer writes. */
  submit(item: P, fields: Record<string, unknown>, onResponse: (pdu: Pdu) => void): boolean {
    const session = this.session;
    if (!session || this.state !== 'bound') return false;
    const pdu = new smpp.PDU('submit_sm', fields);
    this.corkForThisTick(session);
    const sent = session.send(pdu, (response: Pdu) => {
      if (this.session !== session) return;
      this.inFlight.delete(pdu.sequence_number);
      this.guarded(session, 'smpp submit_sm_resp handling failed', () => onResponse(response));
    });
    if (sent) this.inFlight.set(pdu.sequence_number, { item, sentAt: Date.now() });
    return sent;
  }

  /** Answers a deliver_sm / data_sm on the session it came on; sequence numbers are per session, so never on a later one. */
  private respond(session: Session, pdu: Pdu, commandStatus: number): void {
    if (this.session !== session) return;
    this.corkForThisTick(session);
    session.send(pdu.response({ command_status: commandStatus }));
  }

  /** PDUs written in one tick leave in one write: a system call per PDU was most of a submit's cost. */
  private corkForThisTick(session: Session): void {
    if (this.corked) return;
    this.corked = true;
    session.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      session.socket.uncork();
    });
  }

  private keepAlive(session: Session): void {
    // An SMSC that stopped answering even enquire_link is gone: start again.
    if (Date.now() - this.lastHeard > this.config.enquireLinkMs + this.config.responseTimeoutMs) {
      this.log.warn({ link: this.index, role: this.role }, 'smpp link silent: reconnecting');
      session.destroy();
      return;
    }
    session.send(new smpp.PDU('enquire_link', {}));
  }

  /** The oldest submit waited too long for its response: the session is broken. */
  private checkResponses(session: Session): void {
    const oldest = this.inFlight.values().next().value;
    if (oldest && Date.now() - oldest.sentAt > this.config.responseTimeoutMs) {
      this.log.warn({ link: this.index, role: this.role, outstanding: this.inFlight.size }, 'smpp submit_sm_resp timed out: reconnecting');
      session.destroy();
    }
  }

  /** Drops the session now (the connection reconnects it); used when the SMSC says the bind is not valid. */
  restart(): void {
    this.session?.destroy();
  }

  private closed(session: Session): void {
    if (this.session !== session) return;
    for (const timer of this.timers) clearTimeout(timer); // clears intervals too
    this.timers = [];
    this.session = null;
    const unanswered = [...this.inFlight.values()].map((f) => f.item);
    this.inFlight.clear();
    const boundFor = this.boundAt === null ? null : Date.now() - this.boundAt;
    this.boundAt = null;
    const lost = boundFor !== null && !this.stopping;
    this.state = this.stopping ? 'closed' : 'backoff';
    this.handlers.down(this, unanswered, lost);
    if (this.stopping) return;
    // Only a bind that lasted starts the backoff over; one that failed at once counts as a failed attempt.
    if (boundFor !== null && boundFor >= SmppLink.stableBindMs) this.reconnectDelay = this.config.reconnect.minMs;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, this.config.reconnect.maxMs);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** Unbinds (waiting a moment for the SMSC's answer), then closes; nothing reconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const session = this.session;
    if (!session) {
      this.state = 'closed';
      return;
    }
    await new Promise<void>((resolve) => {
      const done = setTimeout(() => session.destroy(), 1_000);
      session.socket.once('close', () => {
        clearTimeout(done);
        resolve();
      });
      if (this.state !== 'bound' || !session.send(new smpp.PDU('unbind', {}), () => session.close())) session.destroy();
    });
  }
}

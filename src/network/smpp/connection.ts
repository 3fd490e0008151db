/**
 * One configured SMPP connection: its binds (a transceiver each, or a transmitter and a receiver),
 * the queue of parts waiting for a window slot, the throughput limit, and backoff while the SMSC
 * answers ESME_RTHROTTLED / ESME_RMSGQFUL. What becomes of each part (acknowledged with an SMSC
 * id, refused for good, abandoned) and every deliver_sm go to the connection's sink, which stores
 * them (smpp-recorder.ts).
 */
import type { Pdu } from 'smpp';
import type { Logger } from 'pino';
import { SmppLink, type LinkHandlers } from './link.ts';
import { canonicalId } from './message-ids.ts';
import type { SmppConnectionConfig, SmppConnectionStatus } from './smpp-config.ts';
import { submitVerdict } from './submit-errors.ts';
import { relativeValidity } from './submit-fields.ts';

/**
 * A part sent this many times in a row without an answer (the session dropped or timed out each
 * time) is given up: a part that makes the SMSC drop the bind would otherwise be resent, and the
 * bind dropped, until the message's validity ends.
 */
export const MAX_UNANSWERED_SENDS = 5;

/** A part ready to go: its smpp_parts row, and the submit_sm fields built from its message. */
export interface OutboundPart {
  id: number;
  connection: string;
  messagePk: number;
  /** 0-based, of `parts`. */
  part: number;
  parts: number;
  fields: Record<string, unknown>;
  /** The message's validity end: a part still queued then is not sent. */
  expiresAt: number;
  /** Times handed to a bind; above one, the SMSC may have it more than once. */
  attempts: number;
  /** Sends in a row that got no answer before their session ended (absent: none); see MAX_UNANSWERED_SENDS. */
  unanswered?: number;
}

export interface ConnectionSink {
  acknowledged(part: OutboundPart, smscId: string): void;
  rejected(part: OutboundPart, statusId: number, errorId: number): void;
  /** Not sent again: unanswered at a disconnect under at-most-once (at-least-once: MAX_UNANSWERED_SENDS times), or its validity ended while queued. */
  abandoned(part: OutboundPart): void;
  /** A deliver_sm / data_sm; answer with `respond(commandStatus)` once it is stored. */
  delivered(connection: string, pdu: Pdu, respond: (commandStatus: number) => void): void;
}

/** What the connection counts itself; receipts and inbound messages are the recorder's to count. */
type Counters = Omit<SmppConnectionStatus['counters'], 'receipts' | 'inbound'>;

export class SmppConnection {
  private readonly links: SmppLink<OutboundPart>[] = [];
  /** FIFO with a moving head: shift() on a long array is linear. */
  private queue: OutboundPart[] = [];
  private head = 0;
  private nextLink = 0;
  private tokens: number;
  private refilledAt = Date.now();
  private pausedUntil = 0;
  /** The pause the next push-back gets (doubles per push-back, back to min on an accepted submit). */
  private throttleDelay: number;
  /** The pause of the push-back in progress: refusals that arrive during it extend it by as much. */
  private pauseMs: number;
  /** Refused parts put back at the head since the last send: the next refused one goes behind them, so a refused window is resent in its order. */
  private refusedAhead = 0;
  private wakeTimer: NodeJS.Timeout | null = null;
  private pumping = false;
  readonly counters: Counters = { submitted: 0, acknowledged: 0, rejected: 0, throttled: 0, resubmitted: 0, abandoned: 0, reconnects: 0 };

  constructor(
    readonly config: SmppConnectionConfig,
    private readonly sink: ConnectionSink,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    this.tokens = this.burst;
    this.throttleDelay = this.pauseMs = config.throttleBackoff.minMs;
    const handlers: LinkHandlers<OutboundPart> = {
      bound: () => this.pump(),
      down: (_link, unanswered, lost) => this.linkDown(unanswered, lost),
      deliver: (_link, pdu, respond) => sink.delivered(config.name, pdu, respond),
    };
    for (let i = 0; i < config.binds; i++) {
      if (config.bindMode === 'transceiver') {
        this.links.push(new SmppLink(config, 'transceiver', i, handlers, log));
      } else {
        this.links.push(new SmppLink(config, 'transmitter', i, handlers, log), new SmppLink(config, 'receiver', i, handlers, log));
      }
    }
  }

  /** A 50 ms burst at the configured rate, so a limit is kept without a timer per submit. */
  private get burst(): number {
    return Math.max(1, Math.ceil(this.config.throughput / 20));
  }

  start(): void {
    for (const link of this.links) link.start();
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Every part this connection holds (queued or awaiting a response): their leases are renewed. */
  heldIds(): number[] {
    const ids = this.queue.slice(this.head).map((p) => p.id);
    for (const link of this.links) ids.push(...link.pendingItems().map((p) => p.id));
    return ids;
  }

  enqueue(parts: OutboundPart[]): void {
    for (const part of parts) this.queue.push(part);
    this.pump();
  }

  status(): Omit<SmppConnectionStatus, 'counters'> & { counters: Counters } {
    return {
      name: this.config.name,
      binds: this.links.map((link) => ({ index: link.index, state: link.state, inFlight: link.outstanding })),
      queued: this.queued,
      counters: { ...this.counters },
    };
  }

  private schedule(delayMs: number): void {
    // Infinity: stopped (pausedUntil). setTimeout would take it as 1 ms and pump again, forever.
    if (this.wakeTimer || !Number.isFinite(delayMs)) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.pump();
    }, Math.max(1, delayMs));
  }

  private takeToken(now: number): boolean {
    if (this.config.throughput === 0) return true;
    const rate = this.config.throughput / 1_000;
    this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledAt) * rate);
    this.refilledAt = now;
    if (this.tokens < 1) {
      this.schedule((1 - this.tokens) / rate);
      return false;
    }
    this.tokens -= 1;
    return true;
  }

  /** Submits `part` on the next link (round-robin) with room that takes it; false when none did. */
  private submitOnALink(part: OutboundPart, fields: Record<string, unknown>): boolean {
    for (let i = 0; i < this.links.length; i++) {
      const link = this.links[(this.nextLink + i) % this.links.length]!;
      // A link can look bound with room and still refuse (its socket ended, 'close' not yet emitted): try the next.
      if (link.free > 0 && link.submit(part, fields, (response) => this.answered(link, part, response))) {
        this.nextLink = (this.nextLink + i + 1) % this.links.length;
        return true;
      }
    }
    return false;
  }

  /** Sends queued parts while a bind has room, the rate allows and the SMSC is not pushing back. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.head < this.queue.length) {
        const now = Date.now();
        if (now < this.pausedUntil) return this.schedule(this.pausedUntil - now);
        const part = this.queue[this.head]!;
        if (part.expiresAt <= this.now()) {
          this.head++;
          this.counters.abandoned++;
          this.sink.abandoned(part);
          continue;
        }
        if (!this.links.some((link) => link.free > 0) || !this.takeToken(now)) return;
        // The validity left now, not the message's whole validity: a part that waited in the queue
        // must not stay at the SMSC past the validity end Hookline reports. A copy: the part's
        // fields are reused when it is sent again.
        const fields = { ...part.fields, validity_period: relativeValidity(part.expiresAt - this.now()) };
        if (!this.submitOnALink(part, fields)) return;
        this.head++;
        this.refusedAhead = 0;
        part.attempts++;
        if (part.attempts > 1) this.counters.resubmitted++;
        this.counters.submitted++;
      }
    } finally {
      this.pumping = false;
      if (this.head > 1_024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
  }

  /** Puts parts back in front of the queue, in their order: into the slots already consumed when there are enough (no copy of a long queue per refused submit). */
  private requeueFront(parts: OutboundPart[]): void {
    if (this.head >= parts.length) {
      this.head -= parts.length;
      parts.forEach((part, i) => (this.queue[this.head + i] = part));
      return;
    }
    this.queue = [...parts, ...this.queue.slice(this.head)];
    this.head = 0;
  }

  private answered(link: SmppLink<OutboundPart>, part: OutboundPart, response: Pdu): void {
    part.unanswered = 0;
    const verdict = submitVerdict(response.command_status);
    switch (verdict.kind) {
      case 'accepted':
        this.counters.acknowledged++;
        this.throttleDelay = this.config.throttleBackoff.minMs;
        this.sink.acknowledged(part, canonicalId(String(response.message_id ?? ''), this.config.messageIds.response));
        break;
      case 'retry':
        // Refused, not taken: sending it again is no duplicate.
        this.counters.throttled++;
        part.attempts--;
        if (this.refusedAhead === 0) this.requeueFront([part]);
        else this.queue.splice(this.head + this.refusedAhead, 0, part);
        this.refusedAhead++;
        this.throttled();
        break;
      case 'rebind':
        part.attempts--;
        this.requeueFront([part]);
        link.restart();
        break;
      case 'rejected':
        this.counters.rejected++;
        this.sink.rejected(part, verdict.statusId, verdict.errorId);
        break;
    }
    this.pump();
  }

  /**
   * Pauses sending after ESME_RTHROTTLED / ESME_RMSGQFUL. A window of submits sent together comes
   * back refused together: that is one push-back, so the backoff grows only when the SMSC still
   * refuses after the previous pause has ended, not with every refused submit.
   */
  private throttled(): void {
    const now = Date.now();
    if (now >= this.pausedUntil) {
      this.pauseMs = this.throttleDelay;
      this.throttleDelay = Math.min(this.throttleDelay * 2, this.config.throttleBackoff.maxMs);
    }
    this.pausedUntil = Math.max(this.pausedUntil, now + this.pauseMs);
  }

  private linkDown(unanswered: OutboundPart[], lost: boolean): void {
    if (lost) this.counters.reconnects++;
    if (unanswered.length === 0) return;
    const resend: OutboundPart[] = [];
    for (const part of unanswered) {
      // A stop is no failure of the part's; a dropped or timed-out session may be.
      if (lost) part.unanswered = (part.unanswered ?? 0) + 1;
      if (this.config.delivery === 'at-least-once' && (part.unanswered ?? 0) < MAX_UNANSWERED_SENDS) {
        resend.push(part);
        continue;
      }
      if (this.config.delivery === 'at-least-once') this.log.warn({ part: part.id, message: part.messagePk, sends: part.attempts }, 'smpp part never answered: given up');
      this.counters.abandoned++;
      this.sink.abandoned(part);
    }
    if (resend.length === 0) return;
    this.requeueFront(resend);
    this.pump();
  }

  /** Stops every bind; returns the parts not yet answered (queued, or unanswered under at-least-once) for whoever takes over. */
  async stop(): Promise<OutboundPart[]> {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    this.pausedUntil = Number.POSITIVE_INFINITY;
    await Promise.all(this.links.map((link) => link.stop()));
    const left = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return left;
  }
}

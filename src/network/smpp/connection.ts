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
}

export interface ConnectionSink {
  acknowledged(part: OutboundPart, smscId: string): void;
  rejected(part: OutboundPart, statusId: number, errorId: number): void;
  /** Not sent again: unanswered at a disconnect under at-most-once, or its validity ended while queued. */
  abandoned(part: OutboundPart): void;
  /** A deliver_sm / data_sm; answer with `respond(commandStatus)` once it is stored. */
  delivered(connection: string, pdu: Pdu, respond: (commandStatus: number) => void): void;
}

type Counters = SmppConnectionStatus['counters'];

export class SmppConnection {
  private readonly links: SmppLink<OutboundPart>[] = [];
  /** FIFO with a moving head: shift() on a long array is linear. */
  private queue: OutboundPart[] = [];
  private head = 0;
  private nextLink = 0;
  private tokens: number;
  private refilledAt = Date.now();
  private pausedUntil = 0;
  private throttleDelay: number;
  private wakeTimer: NodeJS.Timeout | null = null;
  private pumping = false;
  readonly counters: Counters = { submitted: 0, acknowledged: 0, rejected: 0, throttled: 0, resubmitted: 0, abandoned: 0, receipts: 0, inbound: 0, reconnects: 0 };

  constructor(
    readonly config: SmppConnectionConfig,
    private readonly sink: ConnectionSink,
    log: Logger,
    private readonly now: () => number,
  ) {
    this.tokens = this.burst;
    this.throttleDelay = config.throttleBackoff.minMs;
    const handlers: LinkHandlers<OutboundPart> = {
      bound: () => this.pump(),
      down: (_link, unanswered, lost) => this.linkDown(unanswered, lost),
      deliver: (link, pdu) => sink.delivered(config.name, pdu, (status) => link.respond(pdu, status)),
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

  status(): SmppConnectionStatus {
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

  private pickLink(): SmppLink<OutboundPart> | undefined {
    for (let i = 0; i < this.links.length; i++) {
      const link = this.links[(this.nextLink + i) % this.links.length]!;
      if (link.free > 0) {
        this.nextLink = (this.nextLink + i + 1) % this.links.length;
        return link;
      }
    }
    return undefined;
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
        const link = this.pickLink();
        if (!link || !this.takeToken(now)) return;
        if (!link.submit(part, part.fields, (response) => this.answered(link, part, response))) return;
        this.head++;
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

  private requeueFront(parts: OutboundPart[]): void {
    this.queue = [...parts, ...this.queue.slice(this.head)];
    this.head = 0;
  }

  private answered(link: SmppLink<OutboundPart>, part: OutboundPart, response: Pdu): void {
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
        this.requeueFront([part]);
        this.pausedUntil = Date.now() + this.throttleDelay;
        this.throttleDelay = Math.min(this.throttleDelay * 2, this.config.throttleBackoff.maxMs);
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

  private linkDown(unanswered: OutboundPart[], lost: boolean): void {
    if (lost) this.counters.reconnects++;
    if (unanswered.length === 0) return;
    if (this.config.delivery === 'at-most-once') {
      for (const part of unanswered) {
        this.counters.abandoned++;
        this.sink.abandoned(part);
      }
      return;
    }
    this.requeueFront(unanswered);
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

/**
 * The live event streams of one process (GET /hookline/1/events). Nothing is pushed into a stream
 * from memory: every event is read from the database, after the stream's position, so a wake-up
 * that is lost, a process that recorded the event elsewhere, or a client that reconnects with its
 * Last-Event-ID all come to the same thing — the next read finds what was committed.
 *
 * A pass reads, for every open stream, the reports and attempts after its position up to what was
 * committed when the pass began, in bounded batches. Passes run on an `activity` wake-up (any
 * process that committed reports or attempts says so; NOTIFY on PostgreSQL), at most one every
 * COALESCE_MS, and every POLL_MS while streams are open (the fall-back, as for the worker loops).
 *
 * A stream's position is its cursor, sent as each event's SSE `id`: `<reportId>.<attemptId>`,
 * the last report and attempt ids it has passed. Ids are the tables' serial ids, global across
 * accounts, so a caller's stream can pass ids it may not see without telling it anything.
 */
import type { Logger } from 'pino';
import { EVENT_KINDS, type EventKind, type EventScope, type EventSource, type LiveEvent, type Positions } from './event-queries.ts';

/** What the client waits before reconnecting (the first line of every stream). */
export const RETRY_MS = 2_000;

export interface HubOptions {
  /** Least time between the starts of two passes, however many wake-ups come. */
  coalesceMs: number;
  /** The fall-back pass interval while streams are open. */
  pollMs: number;
  /** A comment line this often keeps proxies and clients from timing the stream out. */
  keepAliveMs: number;
  /**
   * A stream ends after this long and the client reconnects with its Last-Event-ID: credentials
   * are checked per connection, so a revoked key or an ended session stops receiving within this.
   */
  maxStreamMs: number;
  /** Rows read per query. */
  batch: number;
  /** Batches per stream per pass, so one stream replaying a long backlog cannot hold up the others. */
  batchesPerPass: number;
  /** A stream whose connection holds more than this unsent is closed rather than buffered without bound. */
  maxBufferedBytes: number;
  /** Ids can commit out of order (PostgreSQL's sequences): track the ones missing (see GapTracker). */
  outOfOrderIds: boolean;
  /** How long a missing id is waited for before it is taken as rolled back. */
  gapTtlMs: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = {
  coalesceMs: 200,
  pollMs: 2_000,
  keepAliveMs: 15_000,
  maxStreamMs: 5 * 60_000,
  batch: 500,
  batchesPerPass: 10,
  maxBufferedBytes: 1024 * 1024,
  outOfOrderIds: false,
  gapTtlMs: 60_000,
};

/** Most ids of a range scanned for gaps in one pass; most gaps waited for at once. */
const MAX_GAP_SCAN = 100_000;
const MAX_GAPS = 10_000;

/** Where a connection's bytes go (the route wraps the HTTP response; the unit test a buffer). */
export interface EventSink {
  /** False when the connection is backed up (the chunk is still queued). */
  write(chunk: string): boolean;
  /** Bytes queued on the connection, not yet sent. */
  buffered(): number;
  /** Ends the response cleanly. */
  end(): void;
  /** Cuts the connection: the client reconnects with the last id it fully received. */
  destroy(): void;
}

export const formatCursor = (p: Positions): string => `${p.report}.${p.attempt}`;
/** Two ids; 15 digits keeps them safe integers. */
export const CURSOR_PATTERN = '^[0-9]{1,15}\\.[0-9]{1,15}$';
const CURSOR = new RegExp(CURSOR_PATTERN);

export function parseCursor(text: string): Positions | null {
  if (!CURSOR.test(text)) return null;
  const [report, attempt] = text.split('.').map(Number);
  return { report, attempt };
}

/** An event with no data but the stream's position as its id (clients keep it as their Last-Event-ID). */
const positionEvent = (stream: { position: Positions }): string => `event: position\nid: ${formatCursor(stream.position)}\ndata: {}\n\n`;

const visible = (scope: EventScope, kind: EventKind): boolean => (kind === 'report' ? scope.families.length > 0 : scope.attempts);

class Stream {
  closed = false;
  /** Ids that were missing (not yet committed) when the hub scanned them, that this stream has sent since. */
  readonly sentGaps: Record<EventKind, Set<number>> = { report: new Set(), attempt: new Set() };
  keepAlive: NodeJS.Timeout | null = null;
  lifetime: NodeJS.Timeout | null = null;

  constructor(
    readonly scope: EventScope,
    readonly position: Positions,
    readonly sink: EventSink,
  ) {}
}

/**
 * Out-of-order commits (PostgreSQL). A serial id is taken when a row is inserted, not when its
 * transaction commits: report 41 may commit after report 42, and a stream that read 42 has moved
 * past 41 for good. So each pass scans the ids committed since the last one (all accounts: an
 * index-only walk of the primary key) and remembers the ids missing from that range. The next
 * passes check those few ids; one that appears has committed late, and every stream that moved
 * past it without sending it gets it now (sentGaps tells the streams that did send it).
 *
 * Why not the suggested re-read of the last few seconds by created_at/started_at: attempts have
 * no insert time (started_at is when the HTTP request began, so a slow attempt is inserted long
 * after it and would fall outside the window); created_at is another process's clock; a re-read
 * costs every stream its account's last seconds of rows on every pass; and a resumed stream
 * would have to guess which rows of that window its client already had. Tracking gaps costs a
 * scan of new ids once per pass for all streams, and a stream re-sends nothing.
 *
 * Limits: an id that stays missing longer than gapTtlMs (a rolled-back insert, or a transaction
 * open that long) is given up; tracking starts when the first stream opens, so a row committed
 * late around that moment may be missed by a stream that resumes from an older cursor.
 */
class GapTracker {
  /** Highest id scanned; null until the first pass after the hub had no streams. */
  private scanned: number | null = null;
  /** Missing ids → when first seen missing (ascending: the scan adds them in order). */
  readonly missing = new Map<number, number>();

  constructor(
    private readonly kind: EventKind,
    private readonly source: EventSource,
    private readonly ttlMs: number,
  ) {}

  /** Updates the gaps up to `upTo`; returns the ids that have committed since the last pass. */
  async pass(upTo: number, now: number): Promise<number[]> {
    if (this.scanned === null) {
      this.scanned = upTo;
      return [];
    }
    const found = this.missing.size ? await this.source.existing(this.kind, [...this.missing.keys()]) : [];
    for (const id of found) this.missing.delete(id);
    if (upTo > this.scanned) {
      const from = Math.max(this.scanned, upTo - MAX_GAP_SCAN);
      let expected = from + 1;
      for (const id of await this.source.committedIds(this.kind, from, upTo)) {
        for (; expected < id; expected++) this.missing.set(expected, now);
        expected = id + 1;
      }
      for (; expected <= upTo; expected++) this.missing.set(expected, now);
      this.scanned = upTo;
    }
    for (const [id, since] of this.missing) {
      if (now - since <= this.ttlMs && this.missing.size <= MAX_GAPS) break;
      this.missing.delete(id);
    }
    return found.sort((a, b) => a - b);
  }

  reset(): void {
    this.scanned = null;
    this.missing.clear();
  }
}

export class EventsHub {
  private readonly options: HubOptions;
  private readonly streams = new Set<Stream>();
  private readonly gaps: Record<EventKind, GapTracker>;
  private closed = false;
  private running: Promise<void> | null = null;
  /** A wake-up came while a pass ran (or a pass stopped at its batch limit): run another. */
  private again = false;
  private scheduled: NodeJS.Timeout | null = null;
  private poller: NodeJS.Timeout | null = null;
  private lastPassAt = 0;

  constructor(
    private readonly source: EventSource,
    private readonly log: Logger,
    options: Partial<HubOptions> = {},
  ) {
    this.options = { ...DEFAULT_HUB_OPTIONS, ...options };
    this.gaps = { report: new GapTracker('report', source, this.options.gapTtlMs), attempt: new GapTracker('attempt', source, this.options.gapTtlMs) };
  }

  /** Open streams (for tests and metrics). */
  get size(): number {
    return this.streams.size;
  }

  /** Where a stream without a Last-Event-ID starts: after everything committed now. */
  now(): Promise<Positions> {
    return this.source.positions();
  }

  /**
   * Starts serving a stream from `from` (its events come after that position). Returns the
   * function to call when the client goes away.
   */
  open(scope: EventScope, from: Positions, sink: EventSink): () => void {
    const stream = new Stream(scope, { ...from }, sink);
    if (this.closed) {
      sink.end();
      return () => {};
    }
    this.streams.add(stream);
    // The position from the start, with every keep-alive and at the end: a quiet stream's client
    // still has an id to resume from, so what is recorded while it reconnects is not lost.
    this.write(stream, `retry: ${RETRY_MS}\n\n${positionEvent(stream)}`);
    stream.keepAlive = setInterval(() => this.write(stream, `: keep-alive\n\n${positionEvent(stream)}`), this.options.keepAliveMs).unref();
    stream.lifetime = setTimeout(() => {
      this.write(stream, positionEvent(stream));
      this.drop(stream, 'end');
    }, this.options.maxStreamMs).unref();
    this.poller ??= setInterval(() => this.wake(), this.options.pollMs).unref();
    this.wake();
    return () => this.drop(stream, 'end');
  }

  /** Something was committed (here or, through the notifier, in another process): look soon. */
  wake(): void {
    if (this.closed || this.streams.size === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    const wait = Math.max(0, this.lastPassAt + this.options.coalesceMs - Date.now());
    this.scheduled = setTimeout(() => {
      this.scheduled = null;
      this.running = this.pass().finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
    }, wait).unref();
  }

  /** Ends every stream (cleanly: the clients reconnect elsewhere or later) and stops. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.scheduled) clearTimeout(this.scheduled);
    this.scheduled = null;
    for (const stream of [...this.streams]) this.drop(stream, 'end');
    await this.running;
  }

  private drop(stream: Stream, how: 'end' | 'destroy'): void {
    if (stream.closed) return;
    stream.closed = true;
    if (stream.keepAlive) clearInterval(stream.keepAlive);
    if (stream.lifetime) clearTimeout(stream.lifetime);
    this.streams.delete(stream);
    try {
      if (how === 'end') stream.sink.end();
      else stream.sink.destroy();
    } catch (error) {
      this.log.debug({ err: error }, 'closing a live event stream failed');
    }
    if (this.streams.size === 0) {
      if (this.poller) clearInterval(this.poller);
      this.poller = null;
      // Idle: nothing to track gaps for. The next stream starts tracking afresh.
      for (const kind of EVENT_KINDS) this.gaps[kind].reset();
    }
  }

  /** Writes to a stream; a stream that cannot keep up is cut. False once the stream is closed. */
  private write(stream: Stream, chunk: string): boolean {
    if (stream.closed) return false;
    const flowing = stream.sink.write(chunk);
    if (!flowing && stream.sink.buffered() > this.options.maxBufferedBytes) {
      this.log.info({ accountId: stream.scope.accountId, buffered: stream.sink.buffered() }, 'live event stream not draining; closed (the client resumes from its Last-Event-ID)');
      this.drop(stream, 'destroy');
      return false;
    }
    return true;
  }

  private async pass(): Promise<void> {
    this.lastPassAt = Date.now();
    try {
      const upTo = await this.source.positions();
      const late: Record<EventKind, number[]> = { report: [], attempt: [] };
      if (this.options.outOfOrderIds) for (const kind of EVENT_KINDS) late[kind] = await this.gaps[kind].pass(upTo[kind], Date.now());
      for (const stream of [...this.streams]) {
        if (!stream.closed && (await this.serve(stream, upTo, late))) this.again = true;
      }
    } catch (error) {
      // Positions only move past what was sent: the next pass (a wake-up or the poll) takes it from there.
      this.log.warn({ err: error }, 'live events pass failed; the next one catches up');
    }
  }

  /** Sends a stream what it has not had, up to `upTo`. True when it has more than one pass may send. */
  private async serve(stream: Stream, upTo: Positions, late: Record<EventKind, number[]>): Promise<boolean> {
    const { scope, position } = stream;
    let more = false;
    // What the stream may not see it passes at once, so the ids it is sent carry it.
    for (const kind of EVENT_KINDS) if (!visible(scope, kind)) position[kind] = Math.max(position[kind], upTo[kind]);
    for (const kind of EVENT_KINDS) {
      if (!visible(scope, kind)) continue;
      const sentGaps = stream.sentGaps[kind];
      // Committed late, below where this stream's reads have already been, and not sent by them.
      const missed = late[kind].filter((id) => id <= position[kind] && !sentGaps.has(id));
      for (const id of late[kind]) sentGaps.delete(id);
      if (missed.length) {
        for (const event of await this.source.events(kind, scope, { ids: missed }, missed.length)) {
          if (!this.emit(stream, kind, event, false)) return false;
        }
      }
      for (let batch = 0; ; batch++) {
        // Half the connection's allowance queued: leave the rest for the next pass, so the socket
        // drains in between (on SQLite a whole pass runs without yielding to it).
        if (batch === this.options.batchesPerPass || stream.sink.buffered() > this.options.maxBufferedBytes / 2) {
          more = true;
          break;
        }
        const events = await this.source.events(kind, scope, { after: position[kind], upTo: upTo[kind] }, this.options.batch);
        for (const event of events) if (!this.emit(stream, kind, event, true)) return false;
        if (events.length < this.options.batch) {
          position[kind] = Math.max(position[kind], upTo[kind]);
          break;
        }
      }
      for (const id of sentGaps) if (!this.gaps[kind].missing.has(id)) sentGaps.delete(id);
    }
    return more;
  }

  /** One SSE event; `advance`: it is the stream's next row in id order (a late one is not). */
  private emit(stream: Stream, kind: EventKind, event: LiveEvent, advance: boolean): boolean {
    if (advance) {
      stream.position[kind] = event.id;
      if (this.gaps[kind].missing.has(event.id)) stream.sentGaps[kind].add(event.id);
    }
    return this.write(stream, `event: ${kind}\nid: ${formatCursor(stream.position)}\ndata: ${JSON.stringify(event.data)}\n\n`);
  }
}

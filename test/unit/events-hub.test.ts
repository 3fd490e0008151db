/**
 * The live events hub (src/live/events-hub.ts) against a database of its own making: rows that
 * commit when the test says, out of id order when it says, so what PostgreSQL does only under
 * load (a smaller id committing after a bigger one was read) happens here on purpose. Short
 * intervals (keep-alive, poll, lifetime) are injected; every wait is bounded.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { EventKind, EventScope, EventSource, IdSelection, LiveEvent, Positions } from '../../src/live/event-queries.ts';
import { EventsHub, formatCursor, parseCursor, type EventSink, type HubOptions } from '../../src/live/events-hub.ts';

const silent = pino({ level: 'silent' });

interface Row {
  account: string;
  committed: boolean;
}

/** Two tables of rows by id; a row is visible to reads once committed. */
class FakeSource implements EventSource {
  readonly rows: Record<EventKind, Map<number, Row>> = { report: new Map(), attempt: new Map() };
  /** Runs before every range read of events (to commit something "between" two queries). */
  beforeRangeRead: (() => void) | null = null;
  reads = 0;

  /** Inserts rows with the next ids; committed unless said otherwise. Returns their ids. */
  insert(kind: EventKind, account: string, count = 1, committed = true): number[] {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = Math.max(0, ...this.rows[kind].keys()) + 1;
      this.rows[kind].set(id, { account, committed });
      ids.push(id);
    }
    return ids;
  }

  commit(kind: EventKind, id: number): void {
    this.rows[kind].get(id)!.committed = true;
  }

  private committed(kind: EventKind): number[] {
    return [...this.rows[kind]].filter(([, r]) => r.committed).map(([id]) => id).sort((a, b) => a - b);
  }

  async positions(): Promise<Positions> {
    return { report: Math.max(0, ...this.committed('report')), attempt: Math.max(0, ...this.committed('attempt')) };
  }

  async committedIds(kind: EventKind, after: number, upTo: number): Promise<number[]> {
    return this.committed(kind).filter((id) => id > after && id <= upTo);
  }

  async existing(kind: EventKind, ids: readonly number[]): Promise<number[]> {
    return this.committed(kind).filter((id) => ids.includes(id));
  }

  async events(kind: EventKind, scope: EventScope, selection: IdSelection, limit: number): Promise<LiveEvent[]> {
    this.reads++;
    if ((kind === 'report' && scope.families.length === 0) || (kind === 'attempt' && !scope.attempts)) return [];
    if (!('ids' in selection)) this.beforeRangeRead?.();
    const wanted = (id: number) => ('ids' in selection ? selection.ids.includes(id) : id > selection.after && id <= selection.upTo);
    return this.committed(kind)
      .filter((id) => wanted(id) && this.rows[kind].get(id)!.account === scope.accountId)
      .slice(0, limit)
      .map((id) => ({ id, data: { kind, id } }));
  }
}

/** A connection that records what it is sent; `flowing` false plays a client that does not read. */
class FakeSink implements EventSink {
  text = '';
  ended = false;
  destroyed = false;
  flowing = true;
  queued = 0;

  write(chunk: string): boolean {
    this.text += chunk;
    if (!this.flowing) this.queued += Buffer.byteLength(chunk);
    return this.flowing;
  }
  buffered(): number {
    return this.queued;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }

  /** The events received (not the position-only ones): type, id and data, in order. */
  events(): Array<{ event: string; id: string; data: any }> {
    return this.text
      .split('\n\n')
      .filter((block) => block.startsWith('event:') && !block.startsWith('event: position'))
      .map((block) => {
        const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))!.slice(name.length + 2);
        return { event: field('event'), id: field('id'), data: JSON.parse(field('data')) };
      });
  }
  ids(kind: EventKind): number[] {
    return this.events().filter((e) => e.event === kind).map((e) => e.data.id);
  }
}

const FAST: Partial<HubOptions> = { coalesceMs: 5, pollMs: 20, keepAliveMs: 60_000 };
const ALL: EventScope = { accountId: 'a', families: ['sms-v2', 'sms-v3'], attempts: true };
const START: Positions = { report: 0, attempt: 0 };

async function until(check: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('live events hub', () => {
  test('cursor: two ids, and nothing else', () => {
    assert.equal(formatCursor({ report: 12, attempt: 3 }), '12.3');
    assert.deepEqual(parseCursor('12.3'), { report: 12, attempt: 3 });
    for (const bad of ['', '12', '12.', '.3', '1.2.3', '-1.2', 'a.b', '1.2 ', '1234567890123456.1']) assert.equal(parseCursor(bad), null, bad);
  });

  test('a stream starts with retry, sends a keep-alive comment every interval, and ends after its lifetime', async () => {
    const hub = new EventsHub(new FakeSource(), silent, { ...FAST, keepAliveMs: 30, maxStreamMs: 200 });
    const sink = new FakeSink();
    const opened = Date.now();
    hub.open(ALL, START, sink);
    assert.ok(sink.text.startsWith('retry: 2000\n\n'), JSON.stringify(sink.text));
    await until(() => sink.text.split(': keep-alive\n\n').length - 1 >= 3, 'three keep-alives');
    // Three intervals of 30 ms: not sooner than 90 ms (and not absurdly later).
    const took = Date.now() - opened;
    assert.ok(took >= 85 && took < 1_000, `three keep-alives after ${took} ms`);
    await until(() => sink.ended, 'the stream to end after its lifetime');
    assert.ok(Date.now() - opened >= 195);
    assert.equal(hub.size, 0);
    assert.equal(sink.destroyed, false, 'ended cleanly, not cut');
    await hub.close();
  });

  test("events come in id order with the stream's position as id; a stream resumed from an id gets exactly what came after", async () => {
    const source = new FakeSource();
    const hub = new EventsHub(source, silent, FAST);
    source.insert('report', 'a', 2);
    source.insert('attempt', 'a', 1);
    const first = new FakeSink();
    const closeFirst = hub.open(ALL, await hub.now(), first); // starts now: the rows above are history
    // Before any event, the stream says where it stands: a quiet client still has an id to resume from.
    assert.equal(first.text, 'retry: 2000\n\nevent: position\nid: 2.1\ndata: {}\n\n');
    source.insert('report', 'a', 1); // 3
    hub.wake();
    await until(() => first.events().length === 1, 'report 3');
    assert.deepEqual(first.events(), [{ event: 'report', id: '3.1', data: { kind: 'report', id: 3 } }]);
    closeFirst();
    assert.ok(first.ended);

    // Missed while disconnected: an attempt and two reports.
    source.insert('attempt', 'a', 1); // 2
    source.insert('report', 'a', 2); // 4, 5
    const resumed = new FakeSink();
    hub.open(ALL, parseCursor('3.1')!, resumed);
    await until(() => resumed.events().length === 3, 'the missed events');
    assert.deepEqual(resumed.events(), [
      { event: 'report', id: '4.1', data: { kind: 'report', id: 4 } },
      { event: 'report', id: '5.1', data: { kind: 'report', id: 5 } },
      { event: 'attempt', id: '5.2', data: { kind: 'attempt', id: 2 } },
    ]);
    // Polls go on: nothing is sent twice.
    await sleep(80);
    assert.equal(resumed.events().length, 3);
    await hub.close();
    assert.ok(resumed.ended);
  });

  test("another account's rows are passed over, and attempts are not sent to a scope without them (its position still moves)", async () => {
    const source = new FakeSource();
    const hub = new EventsHub(source, silent, FAST);
    const reportsOnly = new FakeSink();
    hub.open({ accountId: 'a', families: ['sms-v2'], attempts: false }, START, reportsOnly);
    source.insert('report', 'b', 1); // 1
    source.insert('attempt', 'a', 1); // 1
    source.insert('report', 'a', 1); // 2
    hub.wake();
    await until(() => reportsOnly.events().length === 1, 'report 2');
    await sleep(60);
    assert.deepEqual(reportsOnly.events(), [{ event: 'report', id: '2.1', data: { kind: 'report', id: 2 } }]);
    await hub.close();
  });

  test('a row that commits after a bigger id was read is sent once it commits, once (PostgreSQL serial ids)', async () => {
    const source = new FakeSource();
    const hub = new EventsHub(source, silent, { ...FAST, outOfOrderIds: true });
    const sink = new FakeSink();
    hub.open(ALL, START, sink);
    await until(() => source.reads > 0, 'the first pass');
    const [early] = source.insert('report', 'a', 1, false); // 1: inserted, not committed yet
    source.insert('report', 'a', 1); // 2: committed
    hub.wake();
    await until(() => sink.ids('report').includes(2), 'report 2');
    assert.deepEqual(sink.ids('report'), [2]);
    source.commit('report', early);
    hub.wake();
    await until(() => sink.ids('report').length === 2, 'report 1, late');
    // Sent with the stream's position (it is past 2), so a resume from it does not repeat 1 or 2.
    assert.deepEqual(sink.events().at(-1), { event: 'report', id: '2.0', data: { kind: 'report', id: 1 } });
    await sleep(80);
    assert.deepEqual(sink.ids('report'), [2, 1]);

    // A row missing when the hub scanned, committed before this stream's read: read in order, and not again as late.
    const [racing] = source.insert('report', 'a', 1, false); // 3
    source.insert('report', 'a', 1); // 4
    source.beforeRangeRead = () => {
      source.commit('report', racing);
      source.beforeRangeRead = null;
    };
    hub.wake();
    await until(() => sink.ids('report').length === 4, 'reports 3 and 4');
    await sleep(80);
    assert.deepEqual(sink.ids('report'), [2, 1, 3, 4]);
    await hub.close();
  });

  test('a stream opened after a late row committed does not get it (it is history), and one opened before does', async () => {
    const source = new FakeSource();
    const hub = new EventsHub(source, silent, { ...FAST, outOfOrderIds: true });
    const watcher = new FakeSink();
    hub.open({ ...ALL, accountId: 'x' }, START, watcher); // keeps the hub tracking
    await until(() => source.reads > 0, 'the first pass');
    const [slow] = source.insert('report', 'a', 1, false); // 1
    source.insert('report', 'a', 1); // 2
    hub.wake();
    await sleep(40); // the hub has seen 1 missing
    const before = new FakeSink();
    hub.open(ALL, await hub.now(), before); // starts after 2
    await sleep(40);
    source.commit('report', slow);
    hub.wake();
    await until(() => before.ids('report').length === 1, 'the late row on the stream that was open');
    assert.deepEqual(before.ids('report'), [1]);
    const after = new FakeSink();
    hub.open(ALL, await hub.now(), after);
    await sleep(80);
    assert.deepEqual(after.ids('report'), []);
    await hub.close();
  });

  test('a long backlog comes in bounded batches, in order, every row once', async () => {
    const source = new FakeSource();
    const hub = new EventsHub(source, silent, { ...FAST, batch: 3, batchesPerPass: 2 });
    source.insert('report', 'a', 20);
    source.insert('attempt', 'a', 7);
    const sink = new FakeSink();
    hub.open(ALL, START, sink);
    await until(() => sink.events().length === 27, 'the backlog');
    assert.deepEqual(sink.ids('report'), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.deepEqual(sink.ids('attempt'), Array.from({ length: 7 }, (_, i) => i + 1));
    await hub.close();
  });

  test('a client that does not read is cut once its connection holds more than the limit; the others go on', async () => {
    const source = new FakeSource();
    const hub = new EventsHub(source, silent, { ...FAST, maxBufferedBytes: 200 });
    const stuck = new FakeSink();
    const reading = new FakeSink();
    hub.open(ALL, START, stuck);
    hub.open(ALL, START, reading);
    stuck.flowing = false;
    source.insert('report', 'a', 10); // ~40 bytes of SSE each
    hub.wake();
    await until(() => reading.events().length === 10, 'every event on the reading stream');
    await until(() => stuck.destroyed, 'the stuck stream cut');
    assert.equal(stuck.ended, false);
    assert.ok(stuck.buffered() > 200 && stuck.buffered() < 400, `cut at ${stuck.buffered()} bytes`);
    assert.equal(hub.size, 1);
    await hub.close();
  });

  test('close ends every stream and refuses new ones; nothing is written afterwards', async () => {
    const source = new FakeSource();
    const hub = new EventsHub(source, silent, { ...FAST, keepAliveMs: 10 });
    const a = new FakeSink();
    const b = new FakeSink();
    hub.open(ALL, START, a);
    hub.open(ALL, START, b);
    await hub.close();
    assert.ok(a.ended && b.ended);
    const length = a.text.length;
    source.insert('report', 'a', 1);
    hub.wake();
    await sleep(50);
    assert.equal(a.text.length, length);
    const late = new FakeSink();
    hub.open(ALL, START, late);
    assert.ok(late.ended);
    assert.equal(late.text, '');
  });
});

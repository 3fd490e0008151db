/**
 * GET /hookline/1/events end to end: a real gateway (SQLite or PostgreSQL), real SMS through the
 * simulator, real webhook receivers, and the stream read over HTTP and parsed as a browser's
 * EventSource would. What each event says is checked against the database and the attempt log;
 * who sees what against other accounts and narrower keys; resuming against a stream that never
 * closed. On PostgreSQL, two gateway processes on one database: a stream on one sees what the
 * other records. Every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatInfobipTime } from '../../src/lib/infobip-time.ts';
import { createTestDatabase, TEST_BACKEND, type TestDatabase } from '../helpers/database.ts';
import { freePort, killAllGatewayProcesses, spawnGateway } from '../helpers/gateway-process.ts';
import { startGateway, TEST_ADMIN, TEST_API_KEY, tempDir, type TestGateway } from '../helpers/hookline.ts';
import { receiverPool } from '../helpers/receiver.ts';
import { uniq, v3ErrorProperties, waitUntil } from '../http/support.ts';

const TO = '41793026727';
const APP = `App ${TEST_API_KEY}`;
const basic = (u: { username: string; password: string }) => `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;
const DELIVERED_TO_HANDSET = { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' };
const REJECTED_DESTINATION = { groupId: 5, groupName: 'REJECTED', id: 52, name: 'REJECTED_DESTINATION', description: 'Invalid destination address' };
const NO_ERROR_V3 = { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SseEvent {
  event: string;
  id: string;
  data: any;
  /** When it arrived (Date.now()). */
  at: number;
}

/**
 * One event stream, read as EventSource does: `field: value` lines, a blank line dispatches,
 * `:` starts a comment, the `id` carries over to the events after it.
 */
class EventStream {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | null = null;
  /** The body ended (the server closed the stream); `failed` if it broke instead. */
  ended = false;
  failed: unknown = null;
  private lastId = '';
  private readonly controller = new AbortController();
  private reading: Promise<void> = Promise.resolve();

  private constructor(readonly url: string) {}

  static async open(baseUrl: string, authorization: string, lastEventId?: string): Promise<EventStream> {
    const stream = new EventStream(baseUrl);
    const headers: Record<string, string> = { authorization, accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const response = await fetch(`${baseUrl}/hookline/1/events`, { headers, signal: stream.controller.signal });
    assert.equal(response.status, 200, await (response.status === 200 ? '' : response.text()));
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('x-accel-buffering'), 'no');
    stream.reading = stream.read(response.body!);
    return stream;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    let event = '';
    let data: string[] = [];
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line === '') {
            // `position` events only carry the id (kept above as lastId), not an event.
            if (data.length && event !== 'position') this.events.push({ event: event || 'message', id: this.lastId, data: JSON.parse(data.join('\n')), at: Date.now() });
            event = '';
            data = [];
          } else if (line.startsWith(':')) {
            this.comments.push(line.slice(1).trim());
          } else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
            else if (field === 'id') this.lastId = value;
            else if (field === 'retry') this.retry = Number(value);
          }
        }
      }
      this.ended = true;
    } catch (error) {
      if (!this.controller.signal.aborted) this.failed = error;
    }
  }

  reports(): any[] {
    return this.events.filter((e) => e.event === 'report').map((e) => e.data);
  }
  attempts(): any[] {
    return this.events.filter((e) => e.event === 'attempt').map((e) => e.data);
  }

  /** The first event that matches, waiting for it at most `timeoutMs`. */
  async waitFor(match: (e: SseEvent) => boolean, what: string, timeoutMs = 10_000): Promise<SseEvent> {
    return waitUntil(async () => {
      if (this.failed) throw new Error(`the stream broke while waiting for ${what}: ${String(this.failed)}`);
      return this.events.find(match);
    }, `${what} on the event stream (got ${JSON.stringify(this.events.map((e) => [e.event, e.id]))})`, timeoutMs);
  }

  /** Waits until the server has ended the stream. */
  async waitEnded(timeoutMs = 5_000): Promise<void> {
    await waitUntil(async () => this.ended || this.failed !== null, 'the stream to end', timeoutMs);
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.reading;
  }
}

/** `report` events of a message, and `attempt` events that carried it. */
const isReportOf = (messageId: string) => (e: SseEvent) => e.event === 'report' && e.data.messageId === messageId;
const isAttemptFor = (messageId: string, more: (d: any) => boolean = () => true) => (e: SseEvent) => e.event === 'attempt' && e.data.messageIds.includes(messageId) && more(e.data);
/** One key per event: what it is about, not how it was sent. */
const keyOf = (e: SseEvent) => (e.event === 'report' ? `report ${e.data.reportId}` : `attempt ${e.data.attemptId}`);

describe('live events (GET /hookline/1/events)', () => {
  let g: TestGateway;
  const receivers = receiverPool();
  const streams: EventStream[] = [];
  const open = async (authorization = APP, lastEventId?: string) => {
    const stream = await EventStream.open(g.baseUrl, authorization, lastEventId);
    streams.push(stream);
    return stream;
  };
  const OTHER = { id: uniq('live-other'), username: uniq('live-other-admin'), password: 'other-password-123' };

  async function sendSms(options: { messageId: string; bulkId?: string; notifyUrl?: string; authorization?: string }): Promise<void> {
    const message = { destinations: [{ to: TO, messageId: options.messageId }], text: 'live', ...(options.notifyUrl ? { notifyUrl: options.notifyUrl } : {}) };
    const r = await g.api('POST', '/sms/2/text/advanced', { bulkId: options.bulkId ?? uniq('live-bulk'), messages: [message] }, options.authorization ? { authorization: options.authorization } : {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }

  async function reportRow(messageId: string) {
    return g.hookline.store.db
      .selectFrom('reports as r')
      .innerJoin('messages as m', 'm.pk', 'r.message_pk')
      .select(['r.id', 'r.done_at', 'm.bulk_id'])
      .where('m.message_id', '=', messageId)
      .executeTakeFirstOrThrow();
  }

  before(async () => {
    g = await startGateway({ THROTTLES: 'off' });
    const admin = { authorization: basic(TEST_ADMIN) };
    assert.equal((await g.api('POST', '/hookline/1/accounts', { id: OTHER.id, name: 'Other' }, admin)).status, 201);
    const user = await g.api('POST', '/hookline/1/users', { username: OTHER.username, password: OTHER.password, roles: ['ACCOUNT_ADMIN'], accountId: OTHER.id }, admin);
    assert.equal(user.status, 201, JSON.stringify(user.body));
  });
  after(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await receivers.closeAll();
    await g?.close();
  });

  test('a report event follows an SMS: exact fields, its id the stream position, sent once', async () => {
    const stream = await open();
    const messageId = uniq('live-report');
    const bulkId = uniq('live-bulk');
    await sendSms({ messageId, bulkId });
    const event = await stream.waitFor(isReportOf(messageId), 'the report');
    const row = await reportRow(messageId);
    assert.deepEqual(event.data, {
      reportId: Number(row.id),
      messageId,
      bulkId,
      channel: 'SMS',
      to: TO,
      final: true,
      status: DELIVERED_TO_HANDSET,
      error: NO_ERROR_V3,
      doneAt: formatInfobipTime(Number(row.done_at)),
    });
    assert.match(event.id, /^\d+\.\d+$/);
    assert.equal(event.id.split('.')[0], String(row.id));
    assert.equal(stream.retry, 2000);
    // The log agrees on when it was done.
    const log = await g.api('GET', `/sms/3/logs?messageId=${messageId}`);
    assert.equal(log.body.results[0].doneAt, event.data.doneAt);
    // A later message's report comes after it; the first is not sent again.
    const next = uniq('live-report');
    await sendSms({ messageId: next });
    await stream.waitFor(isReportOf(next), 'the next report');
    assert.equal(stream.events.filter(isReportOf(messageId)).length, 1);
    assert.equal(new Set(stream.events.map(keyOf)).size, stream.events.length, 'no event twice');
  });

  test('a destination rejected at intake is a report event too (recorded by the API, not the network)', async () => {
    const stream = await open();
    const messageId = uniq('live-rejected');
    const r = await g.api('POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to: '12345', messageId }], text: 'live' }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const event = (await stream.waitFor(isReportOf(messageId), 'the rejection')).data;
    assert.deepEqual([event.reportId, event.to, event.final, event.status], [Number((await reportRow(messageId)).id), '12345', true, REJECTED_DESTINATION]);
  });

  test('attempt events: a 500 from a failing receiver, then after a replay a 200 with the delivery DELIVERED', async () => {
    const stream = await open();
    const rx = await receivers.start();
    rx.respond = () => ({ status: 500, body: 'down' });
    const messageId = uniq('live-attempt');
    await sendSms({ messageId, notifyUrl: rx.url });
    const failed = (await stream.waitFor(isAttemptFor(messageId), 'the failed attempt')).data;
    const logOf = async (deliveryId: string) => {
      const r = await g.api('GET', `/hookline/1/deliveries/${deliveryId}/attempts`);
      assert.equal(r.status, 200);
      return r.body.results as any[];
    };
    const [logged] = await logOf(failed.deliveryId);
    assert.deepEqual(failed, {
      attemptId: logged.id,
      deliveryId: logged.deliveryId,
      attempt: 1,
      startedAt: logged.startedAt,
      durationMs: logged.durationMs,
      target: { url: rx.url },
      statusCode: 500,
      errorClass: logged.errorClass,
      error: logged.error,
      deliveryState: 'RETRYING',
      messageIds: [messageId],
    });
    assert.equal(typeof failed.errorClass, 'string');

    // The receiver is fixed; the delivery replayed now (its next retry is a minute away).
    rx.respond = () => ({ status: 200 });
    const replay = await g.api('POST', `/hookline/1/deliveries/${failed.deliveryId}/replay`);
    assert.equal(replay.status, 202, JSON.stringify(replay.body));
    const delivered = (await stream.waitFor(isAttemptFor(messageId, (d) => d.attempt === 2), 'the replayed attempt')).data;
    const second = (await logOf(failed.deliveryId)).find((a) => a.attempt === 2);
    assert.deepEqual(delivered, {
      attemptId: second.id,
      deliveryId: failed.deliveryId,
      attempt: 2,
      startedAt: second.startedAt,
      durationMs: second.durationMs,
      target: { url: rx.url },
      statusCode: 200,
      errorClass: null,
      error: null,
      deliveryState: 'DELIVERED',
      messageIds: [messageId],
    });
    assert.ok(delivered.attemptId > failed.attemptId);
    assert.equal(stream.events.filter(isAttemptFor(messageId)).length, 2);
  });

  test('resuming with Last-Event-ID replays exactly what was missed, nothing twice', async () => {
    const oracle = await open(); // never closes: what a stream that stayed open saw
    const first = await open();
    const seen = uniq('live-seen');
    await sendSms({ messageId: seen });
    const lastSeen = await first.waitFor(isReportOf(seen), 'the report seen before disconnecting');
    await first.close();

    const missed = [uniq('live-missed'), uniq('live-missed')];
    for (const messageId of missed) await sendSms({ messageId });
    for (const messageId of missed) await oracle.waitFor(isReportOf(messageId), 'a missed report (oracle)');

    const resumed = await open(APP, lastSeen.id);
    for (const messageId of missed) await resumed.waitFor(isReportOf(messageId), 'a missed report, replayed');
    // Live again: one more, seen by both.
    const marker = uniq('live-marker');
    await sendSms({ messageId: marker });
    await resumed.waitFor(isReportOf(marker), 'the marker');
    await oracle.waitFor(isReportOf(marker), 'the marker (oracle)');

    const [reportAt, attemptAt] = lastSeen.id.split('.').map(Number);
    const after = (e: SseEvent) => (e.event === 'report' ? e.data.reportId > reportAt : e.data.attemptId > attemptAt);
    const upToMarker = (list: SseEvent[]) => list.slice(0, list.findIndex(isReportOf(marker)) + 1);
    const expected = upToMarker(oracle.events).filter(after).map(keyOf).sort();
    const got = upToMarker(resumed.events).map(keyOf);
    assert.equal(new Set(got).size, got.length, `an event replayed twice: ${got}`);
    assert.deepEqual([...got].sort(), expected);
    assert.ok(!resumed.events.some(isReportOf(seen)), 'the event before Last-Event-ID is not replayed');
    assert.deepEqual(resumed.reports().filter((r) => [seen, ...missed, marker].includes(r.messageId)).map((r) => r.messageId), [...missed, marker]);
  });

  test("another account's events never appear; a key with only sms:logs:read gets report events and no attempt events", async () => {
    const session = await g.api('POST', '/auth/1/session', { username: OTHER.username, password: OTHER.password });
    assert.equal(session.status, 200, JSON.stringify(session.body));
    const asOther = `IBSSO ${session.body.token}`;
    const key = await g.api('POST', '/settings/2/api-keys', { name: uniq('live-logs'), scopeGuids: ['sms:logs:read'] }, { authorization: basic(TEST_ADMIN) });
    assert.equal(key.status, 200, JSON.stringify(key.body));

    const mine = await open();
    const theirs = await open(asOther);
    const logsOnly = await open(`App ${key.body.apiKeySecret}`);
    const rx = await receivers.start();

    // Ours: a report and an attempt. Then theirs: a report and an attempt in the other account.
    const ours = uniq('live-ours');
    await sendSms({ messageId: ours, notifyUrl: rx.url });
    await mine.waitFor(isAttemptFor(ours), 'our attempt');
    const other = uniq('live-theirs');
    await sendSms({ messageId: other, notifyUrl: rx.url, authorization: asOther });
    await theirs.waitFor(isReportOf(other), 'their report');
    await theirs.waitFor(isAttemptFor(other), 'their attempt');
    // A last one of ours, after everything above was recorded: once it is on a stream, that stream has been offered all of the above.
    const marker = uniq('live-ours-marker');
    await sendSms({ messageId: marker });
    await mine.waitFor(isReportOf(marker), 'our marker');
    await logsOnly.waitFor(isReportOf(marker), 'our marker (logs key)');
    const theirMarker = uniq('live-theirs-marker');
    await sendSms({ messageId: theirMarker, authorization: asOther });
    await theirs.waitFor(isReportOf(theirMarker), 'their marker');

    const messagesOf = (s: EventStream) => new Set(s.events.flatMap((e) => (e.event === 'report' ? [e.data.messageId] : e.data.messageIds)));
    assert.deepEqual([...messagesOf(theirs)].sort(), [other, theirMarker].sort(), 'the other account sees only its own');
    assert.ok(!messagesOf(mine).has(other) && !messagesOf(mine).has(theirMarker), 'we do not see theirs');
    assert.deepEqual(theirs.attempts().length, 1);
    assert.ok(mine.reports().some((r) => r.messageId === ours));

    assert.deepEqual(logsOnly.attempts(), [], 'no attempt events without subscriptions:manage');
    assert.deepEqual(logsOnly.reports().map((r) => r.messageId), [ours, marker]);
    assert.deepEqual(logsOnly.reports(), mine.reports().filter((r) => [ours, marker].includes(r.messageId)));
  });

  test('a malformed Last-Event-ID is answered 400 in the v3 envelope before any stream; HEAD answers the headers only', async () => {
    for (const bad of ['abc', '1', '1.2.3', '-1.2', '1.x', '1234567890123456.1', '1. 2']) {
      const r = await g.api('GET', '/hookline/1/events', undefined, { 'last-event-id': bad });
      assert.equal(r.status, 400, `${bad}: ${JSON.stringify(r.body)}`);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(v3ErrorProperties(r.body), ['last-event-id'], bad);
    }
    const head = await fetch(`${g.baseUrl}/hookline/1/events`, { method: 'HEAD', headers: { authorization: APP }, signal: AbortSignal.timeout(5_000) });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    // Without credentials: refused as JSON, no stream.
    const anonymous = await fetch(`${g.baseUrl}/hookline/1/events`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(anonymous.status, 401);
    assert.equal((await anonymous.json()).errorCode, 'E401');
  });

  test('closing the server with streams open ends them and does not hang', async () => {
    const own = await startGateway();
    const opened = await Promise.all([
      EventStream.open(own.baseUrl, APP),
      EventStream.open(own.baseUrl, APP, '0.0'),
      EventStream.open(own.baseUrl, basic(TEST_ADMIN)),
    ]);
    const messageId = uniq('live-closing');
    const r = await own.api('POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to: TO, messageId }], text: 'closing' }] });
    assert.equal(r.status, 200);
    await opened[0].waitFor(isReportOf(messageId), 'a report before closing');
    const started = Date.now();
    const closing = own.close();
    const outcome = await Promise.race([closing.then(() => 'closed'), sleep(5_000).then(() => 'hung')]);
    if (outcome === 'hung') {
      // Let the server go (the clients hang up), then fail.
      await Promise.all(opened.map((s) => s.close()));
      await closing;
    }
    const took = Date.now() - started;
    assert.equal(outcome, 'closed', `the server took ${took} ms to close with streams open`);
    for (const stream of opened) {
      await stream.waitEnded();
      assert.equal(stream.failed, null, 'ended cleanly');
      assert.equal(stream.ended, true);
    }
  });
});

describe('live events across processes (PostgreSQL)', { skip: TEST_BACKEND !== 'postgres' ? 'needs PostgreSQL: processes share the database' : false, timeout: 120_000 }, () => {
  const API_KEY = 'live-events-key-0123456789abcdef';
  let database: TestDatabase | null = null;
  const streams: EventStream[] = [];
  after(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await killAllGatewayProcesses();
    await database?.drop();
  });

  test('a stream on an API process sees the reports another process records, woken at once (NOTIFY), not at its next poll', async (t) => {
    database = await createTestDatabase(tempDir());
    const env = { API_KEY, DATABASE_URL: database.url, LOG_LEVEL: 'warn', SIMULATOR_DELAY_MS: '0' };
    // A: API only (no network worker: it records nothing itself). B: everything.
    const a = await spawnGateway({ ...env, PORT: String(await freePort()) }, { args: ['--role', 'api'] });
    const b = await spawnGateway({ ...env, PORT: String(await freePort()) });
    const stream = await EventStream.open(a.baseUrl, `App ${API_KEY}`);
    streams.push(stream);
    const send = async (messageId: string) => {
      const r = await fetch(`${b.baseUrl}/sms/2/text/advanced`, {
        method: 'POST',
        headers: { authorization: `App ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ destinations: [{ to: TO, messageId }], text: 'cross-process' }] }),
      });
      assert.equal(r.status, 200, await r.text());
      return Date.now();
    };
    // The first one warms both processes up.
    const warmUp = uniq('live-warm');
    await send(warmUp);
    await stream.waitFor(isReportOf(warmUp), 'the warm-up report from process B', 15_000);

    // Polling alone (every 2 s) would take 1 s on average and up to 2 s; the NOTIFY takes a few hundred ms at most.
    const latencies: number[] = [];
    for (let i = 0; i < 8; i++) {
      const messageId = uniq('live-cross');
      const sentAt = await send(messageId);
      const event = await stream.waitFor(isReportOf(messageId), `report ${i} from process B`, 5_000);
      latencies.push(event.at - sentAt);
      await sleep(Math.random() * 300); // not in step with the poll
    }
    t.diagnostic(`send → event on the other process: ${latencies.join(', ')} ms`);
    const sorted = [...latencies].sort((x, y) => x - y);
    assert.ok(sorted[sorted.length - 1] <= 1_500, `slowest ${sorted.at(-1)} ms: ${latencies}`);
    assert.ok(sorted[Math.floor(sorted.length / 2)] <= 600, `median ${sorted[Math.floor(sorted.length / 2)]} ms: ${latencies}`);
    assert.equal(new Set(stream.events.map(keyOf)).size, stream.events.length, 'no event twice');
    assert.equal(stream.reports().length, 9);
  });
});

/**
 * The attempt log, replay and log retention end to end: a real gateway on a ManualClock, real
 * receivers on loopback (one answering 10 KB, one failing then succeeding, one hanging past the
 * read timeout, one answering 410, a notification profile's), and a URL nobody listens on.
 *
 * The steps share one gateway and run in order: what a step asserts about times and states
 * follows from what the earlier steps sent and how far they moved the clock.
 * Query filters are checked against an oracle: every combination of filters is answered by the
 * API and compared with the same filters applied, in the test, to the unfiltered log.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { parseInfobipTime } from '../../src/lib/infobip-time.ts';
import { createSweepPass } from '../../src/store/sweeper.ts';
import { MAX_ATTEMPTS } from '../../src/webhooks/retry-policy.ts';
import { startGateway, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import { Receiver } from '../helpers/receiver.ts';
import { dispatchSettled, V3_NOT_FOUND, v3ErrorProperties, waitUntil } from '../http/support.ts';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const EXCERPT_BYTES = 4096;
/** A 10 KB answer whose every position is recognisable, so a cut at the wrong place shows. */
const BIG = Array.from({ length: 10_240 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
/** Nothing listens on the discard port: connections are refused. */
const REFUSED_URL = 'http://127.0.0.1:9/refused';
const PROFILE_ID = 'attempt-log-profile';
const OTHER = { id: 'attempt-log-other', username: 'attempt-log-other-admin', password: 'other-password-123' };
const basic = (u: { username: string; password: string }) => `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;

type Params = Record<string, string | number | readonly string[] | undefined>;
/** `base?k=v&…`, repeating keys whose value is a list. */
function path(base: string, params: Params = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) for (const v of [value].flat()) search.append(key, String(v));
  const text = search.toString();
  return text ? `${base}?${text}` : base;
}

describe('attempt log, replay and log retention', () => {
  const clock = new ManualClock(T0);
  let g: TestGateway;
  const rx: Record<'ok' | 'flaky' | 'hang' | 'profile' | 'page' | 'gone' | 'inbound' | 'click', Receiver> = {} as never;
  /** Clock times at which the steps sent their messages. */
  const at: Record<string, number> = {};
  /** Delivery ids by the message that made them. */
  const ids: Record<string, string> = {};

  const ok = async (reply: Promise<{ status: number; body: any }>, status = 200): Promise<any> => {
    const r = await reply;
    assert.equal(r.status, status, JSON.stringify(r.body));
    return r.body;
  };
  const get = (base: string, params?: Params, authorization?: string) => ok(g.api('GET', path(base, params), undefined, authorization ? { authorization } : {}));
  const asOther = (method: string, p: string, body?: unknown) => g.api(method, p, body, { authorization: basic(OTHER) });

  /** One v2 request; every message gets its own notifyUrl (or none: the subscription's profile). */
  async function send(bulkId: string, messages: Array<{ id: string; url?: string }>, authorization?: string) {
    const body = { bulkId, messages: messages.map((m) => ({ destinations: [{ to: '41793026727', messageId: m.id }], text: 'attempt log', ...(m.url ? { notifyUrl: m.url } : {}) })) };
    return ok(g.api('POST', '/sms/2/text/advanced', body, authorization ? { authorization } : {}));
  }
  /** The delivery that carried the message's report, once `check` holds for it. */
  const deliveryOf = (messageId: string, check: (d: any) => boolean = () => true, what = 'a delivery') =>
    waitUntil(async () => (await get('/hookline/1/deliveries', { messageId })).results.find(check), `${what} of ${messageId}`);
  const attemptsOf = async (deliveryId: string) => (await get(`/hookline/1/deliveries/${deliveryId}/attempts`, { limit: 1000 })).results;

  const settled = () => dispatchSettled(g, clock);

  /** Every page of a list (from `params.cursor`, if given), following nextCursor; fails on a page over the limit. */
  async function allPages(base: string, params: Params, limit: number, authorization?: string): Promise<{ items: any[]; pages: number }> {
    const items: any[] = [];
    let cursor = typeof params.cursor === 'string' ? params.cursor : undefined;
    let pages = 0;
    do {
      const page = await get(base, { ...params, limit, cursor }, authorization);
      assert.ok(page.results.length <= limit, `a page of ${page.results.length} over the limit ${limit}`);
      if (page.nextCursor !== null) assert.equal(page.results.length, limit, 'only the last page may be short');
      items.push(...page.results);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor !== undefined);
    return { items, pages };
  }

  before(async () => {
    for (const name of Object.keys({ ok: 0, flaky: 0, hang: 0, profile: 0, page: 0, gone: 0, inbound: 0, click: 0 }) as Array<keyof typeof rx>) rx[name] = await Receiver.start();
    rx.ok.respond = () => ({ status: 200, body: BIG, delayMs: 20 });
    rx.flaky.respond = (_req, index) => (index === 0 ? { status: 500, body: 'boom' } : { status: 200, body: 'thanks' });
    rx.hang.respond = () => ({ hang: true });
    rx.gone.respond = () => ({ status: 410, body: 'gone for good' });
    g = await startGateway({ SIMULATOR_DELAY_MS: '0', THROTTLES: 'off', WEBHOOK_READ_TIMEOUT_MS: '1000' }, { clock });
    await ok(g.api('POST', '/subscriptions/1/profiles', { profileId: PROFILE_ID, webhook: { notifyUrl: rx.profile.url } }), 201);
    await ok(g.api('POST', '/subscriptions/1/subscription/SMS', { subscriptionId: 'attempt-log-sub', events: ['DELIVERY'], profile: { profileId: PROFILE_ID } }), 201);
    const admin = { authorization: basic(TEST_ADMIN) };
    await ok(g.api('POST', '/hookline/1/accounts', { id: OTHER.id, name: 'Other' }, admin), 201);
    await ok(g.api('POST', '/hookline/1/users', { username: OTHER.username, password: OTHER.password, roles: ['ACCOUNT_ADMIN'], accountId: OTHER.id }, admin), 201);
  });
  after(async () => {
    await g?.close();
    await Promise.all(Object.values(rx).map((r) => r.close()));
  });

  it('records every attempt: status code, error class, latency, the first 4 KB of the answer, the reports carried', async () => {
    // t0: a bulk of two messages to a receiver that answers 10 KB after 20 ms.
    at.ok = clock.now();
    await send('bulk-ok', [{ id: 'm-ok-1', url: rx.ok.url }, { id: 'm-ok-2', url: rx.ok.url }]);
    await rx.ok.waitForResults(2);
    const okDeliveries = await waitUntil(async () => {
      const list = (await get('/hookline/1/deliveries', { bulkId: 'bulk-ok' })).results;
      return list.length > 0 && list.every((d: any) => d.state === 'DELIVERED') && list.flatMap((d: any) => d.reports).length === 2 ? list : undefined;
    }, 'the bulk delivered');
    ids['m-ok-1'] = okDeliveries.find((d: any) => d.reports.some((r: any) => r.messageId === 'm-ok-1')).id;
    ids['m-ok-2'] = okDeliveries.find((d: any) => d.reports.some((r: any) => r.messageId === 'm-ok-2')).id;
    assert.deepEqual(okDeliveries.flatMap((d: any) => d.reports.map((r: any) => [r.messageId, r.bulkId])).sort(), [['m-ok-1', 'bulk-ok'], ['m-ok-2', 'bulk-ok']]);
    for (const d of okDeliveries) {
      assert.deepEqual(d.target, { url: rx.ok.url });
      assert.equal(d.reportCount, d.reports.length);
      assert.deepEqual([d.attempts, d.attemptsInCycle, d.remainingAttempts, d.nextAttemptAt, d.lastStatusCode, d.lastError, d.dropReason], [1, 1, 0, null, 200, null, null]);
      assert.equal(d.createdAt, '2026-01-01T00:00:00.000+0000');
      assert.equal(d.body, undefined, 'lists leave the payload out');
      const [attempt] = await attemptsOf(d.id);
      assert.equal(attempt.statusCode, 200);
      assert.equal(attempt.errorClass, null);
      assert.equal(attempt.error, null);
      assert.equal(attempt.attempt, 1);
      assert.equal(attempt.startedAt, '2026-01-01T00:00:00.000+0000');
      assert.ok(attempt.durationMs >= 15, `latency ${attempt.durationMs} ms for an answer that took 20 ms`);
      assert.equal(attempt.responseExcerpt, BIG.slice(0, EXCERPT_BYTES), 'the first 4 KB of the 10 KB answer, exactly');
      assert.deepEqual(attempt.reports, d.reports);
      assert.deepEqual(attempt.target, { url: rx.ok.url });
    }
    // The reports each receiver request carried are the ones the log says it carried.
    const sent = rx.ok.requests.map((r) => ({ id: r.headers['webhook-id'], messages: JSON.parse(r.body).results.map((x: any) => x.messageId).sort() }));
    for (const d of okDeliveries) assert.deepEqual(sent.find((s) => s.id === d.id)?.messages, d.reports.map((r: any) => r.messageId).sort());

    // t0 + 1 h: a receiver that fails once (500), then succeeds.
    clock.advance(HOUR);
    at.flaky = clock.now();
    await send('bulk-flaky', [{ id: 'm-flaky', url: rx.flaky.url }]);
    const retrying = await deliveryOf('m-flaky', (d) => d.state === 'RETRYING', 'the failed first attempt');
    ids['m-flaky'] = retrying.id;
    assert.deepEqual([retrying.attempts, retrying.attemptsInCycle, retrying.remainingAttempts, retrying.lastStatusCode, retrying.lastError], [1, 1, MAX_ATTEMPTS - 1, 500, 'HTTP 500']);
    assert.equal(retrying.nextAttemptAt, '2026-01-01T01:01:00.000+0000', 'the next attempt one minute after the first');
    // The single view's retry schedule: attempts 2…21 if every one fails, 1 + (n−1)² minutes after attempt n.
    const schedule = (await ok(g.api('GET', `/hookline/1/deliveries/${retrying.id}`))).retrySchedule;
    assert.equal(schedule.length, MAX_ATTEMPTS - 1);
    assert.deepEqual(schedule.slice(0, 3), [
      { attempt: 2, at: '2026-01-01T01:01:00.000+0000' },
      { attempt: 3, at: '2026-01-01T01:03:00.000+0000' },
      { attempt: 4, at: '2026-01-01T01:08:00.000+0000' },
    ]);
    assert.deepEqual(schedule.at(-1), { attempt: MAX_ATTEMPTS, at: '2026-01-02T18:30:00.000+0000' }, 'the 21st attempt 41 h 30 min after the first');
    clock.advance(MINUTE);
    const delivered = await deliveryOf('m-flaky', (d) => d.state === 'DELIVERED', 'the second attempt');
    assert.deepEqual([delivered.attempts, delivered.remainingAttempts, delivered.lastStatusCode, delivered.doneAt], [2, 0, 200, '2026-01-01T01:01:00.000+0000']);
    const flakyAttempts = await attemptsOf(ids['m-flaky']);
    assert.deepEqual(
      flakyAttempts.map((a: any) => [a.attempt, a.startedAt, a.statusCode, a.errorClass, a.error, a.responseExcerpt]),
      [
        [2, '2026-01-01T01:01:00.000+0000', 200, null, null, 'thanks'],
        [1, '2026-01-01T01:00:00.000+0000', 500, 'http-status', 'HTTP 500', 'boom'],
      ],
      'newest first',
    );
    assert.deepEqual(flakyAttempts[0].reports, [{ messageId: 'm-flaky', bulkId: 'bulk-flaky', reportId: flakyAttempts[0].reports[0].reportId }]);
    assert.equal(rx.flaky.requests.length, 2);
    assert.ok(rx.flaky.requests.every((r) => r.headers['webhook-id'] === ids['m-flaky']), 'the delivery id is the webhook-id of every attempt');

    // t0 + 2 h: nobody listens → connect.
    clock.advance(HOUR);
    at.refused = clock.now();
    await send('bulk-refused', [{ id: 'm-refused', url: REFUSED_URL }]);
    const refused = await deliveryOf('m-refused', (d) => d.state === 'RETRYING', 'the refused attempt');
    ids['m-refused'] = refused.id;
    assert.deepEqual([refused.attempts, refused.attemptsInCycle, refused.remainingAttempts, refused.lastStatusCode], [1, 1, MAX_ATTEMPTS - 1, null]);
    const [refusal] = await attemptsOf(refused.id);
    assert.deepEqual([refusal.statusCode, refusal.errorClass, refusal.responseExcerpt], [null, 'connect', null]);
    assert.ok(typeof refusal.error === 'string' && refusal.error.length > 0, 'a refusal says what happened');
    assert.ok(refusal.durationMs >= 0);

    // t0 + 3 h: a receiver that never answers (read timeout 1 s). While the attempt runs, a replay does nothing.
    clock.advance(HOUR);
    at.hang = clock.now();
    await send('bulk-hang', [{ id: 'm-hang', url: rx.hang.url }]);
    await rx.hang.waitForRequests(1);
    const running = await deliveryOf('m-hang');
    ids['m-hang'] = running.id;
    const replayWhileRunning = await g.api('POST', `/hookline/1/deliveries/${running.id}/replay`);
    assert.equal(replayWhileRunning.status, 200, `an attempt in flight: nothing to do ${JSON.stringify(replayWhileRunning.body)}`);
    assert.equal(replayWhileRunning.body.id, running.id);
    assert.equal(replayWhileRunning.body.attempts, 1);
    const timedOut = await deliveryOf('m-hang', (d) => d.state === 'RETRYING', 'the timed-out attempt');
    assert.equal(timedOut.attempts, 1, 'the replay during the attempt added none');
    const [timeout] = await attemptsOf(running.id);
    assert.deepEqual([timeout.statusCode, timeout.errorClass], [null, 'timeout']);
    assert.ok(timeout.durationMs >= 900, `a 1 s read timeout took ${timeout.durationMs} ms`);
    assert.equal(rx.hang.requests.length, 1);
    rx.hang.respond = () => ({ status: 200 });

    // t0 + 4 h: no notifyUrl → the subscription's notification profile.
    clock.advance(HOUR);
    at.profile = clock.now();
    await send('bulk-profile', [{ id: 'm-profile' }]);
    const viaProfile = await deliveryOf('m-profile', (d) => d.state === 'DELIVERED', 'the profile delivery');
    ids['m-profile'] = viaProfile.id;
    assert.deepEqual(viaProfile.target, { profileId: PROFILE_ID });
    const [profileAttempt] = await attemptsOf(viaProfile.id);
    assert.deepEqual([profileAttempt.statusCode, profileAttempt.target], [200, { profileId: PROFILE_ID }]);
    assert.equal(rx.profile.requests[0].headers['webhook-id'], viaProfile.id);
    // Moving the clock made the earlier retries due: the hanging receiver now answers 200.
    await settled();
    assert.equal((await get(`/hookline/1/deliveries/${ids['m-hang']}`)).state, 'DELIVERED');
  });

  it('one delivery: its payload exactly as sent, 404 for an unknown id', async () => {
    const one = await get(`/hookline/1/deliveries/${ids['m-flaky']}`);
    assert.equal(one.body, rx.flaky.requests[0].body, 'the body is the bytes the receiver got');
    assert.equal(one.family, 'sms-v2');
    assert.equal(one.contentType, 'application/json');
    assert.equal(one.reports[0].messageId, 'm-flaky');
    const unknown = await g.api('GET', '/hookline/1/deliveries/whd_00000000000000000000000000000000');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, V3_NOT_FOUND);
    assert.equal((await g.api('GET', '/hookline/1/deliveries/whd_00000000000000000000000000000000/attempts')).status, 404);
    assert.equal((await g.api('POST', '/hookline/1/deliveries/whd_00000000000000000000000000000000/replay')).status, 404);
  });

  it('every delivery filter and combination answers what the same filters pick from the whole log', async () => {
    const all = (await get('/hookline/1/deliveries', { limit: 1000 })).results;
    assert.equal(all.length, new Set(Object.values(ids)).size, 'one delivery per step (the bulk may share one)');
    const carries = (d: any, key: 'messageId' | 'bulkId', value: string) => d.reports.some((r: any) => r[key] === value);
    const messageIds = [undefined, 'm-flaky', 'm-ok-1', 'm-profile', 'nothing'];
    const bulkIds = [undefined, 'bulk-ok', 'bulk-refused'];
    const targets: Array<{ url?: string; profileId?: string } | undefined> = [undefined, { url: rx.ok.url }, { url: REFUSED_URL }, { profileId: PROFILE_ID }, { profileId: 'no-such-profile' }];
    const stateSets: Array<string[] | undefined> = [undefined, ['DELIVERED'], ['RETRYING'], ['RETRYING', 'PENDING'], ['DROPPED']];
    const ranges: Array<{ from?: number; to?: number } | undefined> = [undefined, { from: at.flaky }, { to: at.refused }, { from: at.flaky, to: at.hang }, { from: at.profile + 1 }];
    let nonEmpty = 0;
    let checked = 0;
    for (const messageId of messageIds) for (const bulkId of bulkIds) for (const target of targets) for (const states of stateSets) for (const range of ranges) {
      const expected = all.filter((d: any) => {
        const created = parseInfobipTime(d.createdAt);
        return (
          (messageId === undefined || carries(d, 'messageId', messageId)) &&
          (bulkId === undefined || carries(d, 'bulkId', bulkId)) &&
          (target === undefined || JSON.stringify(d.target) === JSON.stringify(target)) &&
          (states === undefined || states.includes(d.state)) &&
          (range?.from === undefined || created >= range.from) &&
          (range?.to === undefined || created < range.to)
        );
      });
      const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
      // States as a comma list and as repeated parameters, alternately.
      const state = states === undefined ? undefined : checked % 2 ? states.join(',') : states;
      const params = { messageId, bulkId, ...target, state, from: iso(range?.from), to: iso(range?.to), limit: 1000 };
      const answer = await get('/hookline/1/deliveries', params);
      assert.deepEqual(answer.results, expected, JSON.stringify(params));
      assert.equal(answer.nextCursor, null);
      if (expected.length > 0) nonEmpty++;
      checked++;
    }
    assert.ok(nonEmpty > 50, `the oracle must pick something often enough to mean anything (${nonEmpty} of ${checked})`);

    // And by hand, the cases that matter most.
    const idsOf = (r: any) => r.results.map((d: any) => d.id).sort();
    assert.deepEqual(idsOf(await get('/hookline/1/deliveries', { messageId: 'm-flaky' })), [ids['m-flaky']]);
    assert.deepEqual(idsOf(await get('/hookline/1/deliveries', { bulkId: 'bulk-ok' })), [...new Set([ids['m-ok-1'], ids['m-ok-2']])].sort());
    assert.deepEqual(idsOf(await get('/hookline/1/deliveries', { url: rx.flaky.url })), [ids['m-flaky']]);
    assert.deepEqual(idsOf(await get('/hookline/1/deliveries', { profileId: PROFILE_ID })), [ids['m-profile']]);
    assert.deepEqual(idsOf(await get('/hookline/1/deliveries', { state: 'RETRYING' })), [ids['m-refused']]);
    assert.deepEqual(idsOf(await get('/hookline/1/deliveries', { state: ['RETRYING', 'DELIVERED'] })), all.map((d: any) => d.id).sort());
    assert.deepEqual(idsOf(await get('/hookline/1/deliveries', { from: '2026-01-01T02:00:00.000+0000', to: '2026-01-01T03:00:00Z' })), [ids['m-refused']]);
    assert.deepEqual(idsOf(await get('/hookline/1/deliveries', { messageId: 'm-flaky', state: 'RETRYING' })), []);
    assert.deepEqual(idsOf(await get('/hookline/1/deliveries', { messageId: 'm-flaky', url: rx.ok.url })), []);
  });

  it('every attempt filter and combination answers what the same filters pick from the whole log', async () => {
    const all = (await get('/hookline/1/attempts', { limit: 1000 })).results;
    const deliveries = (await get('/hookline/1/deliveries', { limit: 1000 })).results;
    assert.equal(all.length, deliveries.reduce((n: number, d: any) => n + d.attempts, 0), 'every attempt of every delivery is in the log');
    assert.ok(all.length >= 9, 'ok, flaky ×2, refused ×3 (the clock moved twice since), hang ×2, profile');
    const carries = (a: any, key: 'messageId' | 'bulkId', value: string) => a.reports.some((r: any) => r[key] === value);
    const carried: Array<{ messageId?: string; bulkId?: string }> = [{}, { messageId: 'm-flaky' }, { messageId: 'm-ok-2' }, { bulkId: 'bulk-ok' }, { bulkId: 'bulk-hang' }];
    const deliveryIds = [undefined, ids['m-flaky'], ids['m-refused']];
    const targets: Array<{ url?: string; profileId?: string } | undefined> = [undefined, { url: rx.flaky.url }, { url: REFUSED_URL }, { profileId: PROFILE_ID }];
    const outcomes = [undefined, 'delivered', 'http-status', 'connect', 'timeout', 'dns'];
    const ranges: Array<{ from?: number; to?: number } | undefined> = [undefined, { from: at.flaky + MINUTE }, { from: at.flaky, to: at.hang }];
    let nonEmpty = 0;
    let checked = 0;
    for (const c of carried) for (const deliveryId of deliveryIds) for (const target of targets) for (const outcome of outcomes) for (const range of ranges) {
      const expected = all.filter((a: any) => {
        const started = parseInfobipTime(a.startedAt);
        return (
          (c.messageId === undefined || carries(a, 'messageId', c.messageId)) &&
          (c.bulkId === undefined || carries(a, 'bulkId', c.bulkId)) &&
          (deliveryId === undefined || a.deliveryId === deliveryId) &&
          (target === undefined || JSON.stringify(a.target) === JSON.stringify(target)) &&
          (outcome === undefined || (outcome === 'delivered' ? a.errorClass === null : a.errorClass === outcome)) &&
          (range?.from === undefined || started >= range.from) &&
          (range?.to === undefined || started < range.to)
        );
      });
      const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
      const params = { ...c, deliveryId, ...target, outcome, from: iso(range?.from), to: iso(range?.to), limit: 1000 };
      const answer = await get('/hookline/1/attempts', params);
      assert.deepEqual(answer.results, expected, JSON.stringify(params));
      if (expected.length > 0) nonEmpty++;
      checked++;
    }
    assert.ok(nonEmpty > 50, `the oracle must pick something often enough to mean anything (${nonEmpty} of ${checked})`);

    const outcomesOf = async (params: Params) => (await get('/hookline/1/attempts', params)).results.map((a: any) => [a.deliveryId, a.attempt, a.errorClass]);
    assert.deepEqual(await outcomesOf({ messageId: 'm-flaky', outcome: 'http-status' }), [[ids['m-flaky'], 1, 'http-status']]);
    const refusals = await outcomesOf({ outcome: 'connect' });
    assert.ok(refusals.length >= 3);
    assert.deepEqual(refusals, refusals.map((_: unknown, i: number) => [ids['m-refused'], refusals.length - i, 'connect']), 'newest first');
    assert.deepEqual(await outcomesOf({ outcome: 'connect', from: new Date(at.refused + MINUTE).toISOString() }), refusals.slice(0, -1));
    assert.deepEqual(await outcomesOf({ outcome: 'timeout', url: rx.hang.url }), [[ids['m-hang'], 1, 'timeout']]);
    assert.deepEqual(await outcomesOf({ deliveryId: ids['m-flaky'], outcome: 'delivered' }), [[ids['m-flaky'], 2, null]]);
    // The per-delivery route takes the same outcome and time filters.
    const perDelivery = await get(`/hookline/1/deliveries/${ids['m-flaky']}/attempts`, { outcome: 'http-status' });
    assert.deepEqual(perDelivery.results.map((a: any) => a.attempt), [1]);
  });

  it('refuses malformed filters with 400 and names the parameter', async () => {
    const cases: Array<[string, Params, string]> = [
      ['/hookline/1/deliveries', { state: 'LOST' }, 'state'],
      ['/hookline/1/deliveries', { state: 'DELIVERED,LOST' }, 'state'],
      ['/hookline/1/deliveries', { from: 'yesterday' }, 'from'],
      ['/hookline/1/deliveries', { to: '2026-13-01T00:00:00Z' }, 'to'],
      ['/hookline/1/deliveries', { limit: 1001 }, 'limit'],
      ['/hookline/1/deliveries', { limit: 0 }, 'limit'],
      ['/hookline/1/deliveries', { cursor: 'not-a-cursor' }, 'cursor'],
      ['/hookline/1/deliveries', { url: rx.ok.url, profileId: PROFILE_ID }, 'profileId'],
      ['/hookline/1/attempts', { outcome: 'lost' }, 'outcome'],
      ['/hookline/1/attempts', { cursor: Buffer.from('["x","y"]').toString('base64url') }, 'cursor'],
      // Attempt ids are bigints: a fraction or a number past 2^53 is no position (PostgreSQL would fail on it).
      ['/hookline/1/attempts', { cursor: Buffer.from('[1700000000000,1.5]').toString('base64url') }, 'cursor'],
      ['/hookline/1/attempts', { cursor: Buffer.from('[1700000000000,99999999999999999999]').toString('base64url') }, 'cursor'],
      [`/hookline/1/deliveries/${ids['m-flaky']}/attempts`, { cursor: Buffer.from('[1700000000000,1.5]').toString('base64url') }, 'cursor'],
      ['/hookline/1/attempts', { from: 'soon' }, 'from'],
    ];
    for (const [base, params, property] of cases) {
      const r = await g.api('GET', path(base, params));
      assert.equal(r.status, 400, `${path(base, params)}: ${JSON.stringify(r.body)}`);
      assert.ok(v3ErrorProperties(r.body).some((p) => p.startsWith(property)), `${path(base, params)} names ${property}: ${JSON.stringify(r.body)}`);
    }
  });

  it('pages newest first with a cursor: every row once, in order, even while new rows arrive', async () => {
    clock.advance(HOUR);
    at.page = clock.now();
    // 23 deliveries made at the same instant: the page boundaries fall inside equal created_at.
    await send('bulk-page', Array.from({ length: 23 }, (_, i) => ({ id: `m-page-${i}`, url: `${rx.page.url}/p${i}` })));
    await waitUntil(async () => {
      const list = (await get('/hookline/1/deliveries', { bulkId: 'bulk-page', state: 'DELIVERED', limit: 1000 })).results;
      return list.length === 23;
    }, '23 page deliveries delivered');
    await settled();

    const whole = (await get('/hookline/1/deliveries', { limit: 1000 })).results.map((d: any) => d.id);
    for (const limit of [1, 5, 7, 23, 50]) {
      const { items, pages } = await allPages('/hookline/1/deliveries', {}, limit);
      assert.deepEqual(items.map((d) => d.id), whole, `limit ${limit}: the pages joined are the whole list, in order`);
      assert.equal(pages, Math.ceil(whole.length / limit));
    }
    const filtered = await allPages('/hookline/1/deliveries', { bulkId: 'bulk-page', state: 'DELIVERED' }, 4);
    assert.deepEqual(filtered.items.map((d) => d.reports[0].messageId).sort(), Array.from({ length: 23 }, (_, i) => `m-page-${i}`).sort());
    assert.equal(filtered.pages, 6);

    const wholeAttempts = (await get('/hookline/1/attempts', { limit: 1000 })).results.map((a: any) => a.id);
    assert.equal(new Set(wholeAttempts).size, wholeAttempts.length);
    const attemptPages = await allPages('/hookline/1/attempts', {}, 3);
    assert.deepEqual(attemptPages.items.map((a) => a.id), wholeAttempts);

    // New deliveries arriving between pages come before the first page, never inside the rest.
    const first = await get('/hookline/1/deliveries', { limit: 10 });
    clock.advance(MINUTE);
    await send('bulk-late', [{ id: 'm-late', url: `${rx.page.url}/late` }]);
    await deliveryOf('m-late', (d) => d.state === 'DELIVERED');
    const rest = await allPages('/hookline/1/deliveries', { cursor: first.nextCursor }, 10);
    assert.deepEqual([...first.results, ...rest.items].map((d: any) => d.id), whole, 'no row repeated, none skipped');
  });

  it('keeps accounts apart: another account sees none of it, and 404 on its ids', async () => {
    const mine = [ids['m-flaky'], ids['m-refused']];
    for (const list of ['/hookline/1/deliveries', '/hookline/1/attempts']) {
      for (const params of [{}, { messageId: 'm-flaky' }, { bulkId: 'bulk-ok' }, { url: rx.flaky.url }, { profileId: PROFILE_ID }]) {
        const r = await asOther('GET', path(list, params));
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(r.body, { results: [], nextCursor: null }, `${list} ${JSON.stringify(params)}`);
      }
      // Naming another account is for operators only: as if it did not exist.
      const named = await asOther('GET', path(list, { accountId: 'default' }));
      assert.equal(named.status, 404);
      assert.deepEqual(named.body, V3_NOT_FOUND);
    }
    for (const id of mine) {
      for (const [method, p] of [['GET', `/hookline/1/deliveries/${id}`], ['GET', `/hookline/1/deliveries/${id}/attempts`], ['POST', `/hookline/1/deliveries/${id}/replay`]] as const) {
        const r = await asOther(method, p);
        assert.equal(r.status, 404, `${method} ${p}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(r.body, V3_NOT_FOUND);
      }
    }
    const flaky = await get(`/hookline/1/deliveries/${ids['m-flaky']}`);
    assert.equal(flaky.state, 'DELIVERED', "another account's replay did nothing");

    // The other account sends a message with the same message id, to the same URL: each sees only its own.
    await send('bulk-ok', [{ id: 'm-ok-1', url: rx.ok.url }], basic(OTHER));
    const theirs = await waitUntil(async () => {
      const r = await asOther('GET', path('/hookline/1/deliveries', { messageId: 'm-ok-1' }));
      return r.body.results?.[0]?.state === 'DELIVERED' ? r.body.results : undefined;
    }, "the other account's delivery");
    assert.equal(theirs.length, 1);
    assert.notEqual(theirs[0].id, ids['m-ok-1']);
    assert.deepEqual((await get('/hookline/1/deliveries', { messageId: 'm-ok-1' })).results.map((d: any) => d.id), [ids['m-ok-1']]);
    assert.deepEqual((await get('/hookline/1/deliveries', { url: rx.ok.url, bulkId: 'bulk-ok' })).results.every((d: any) => d.id !== theirs[0].id), true);
    const theirAttempts = (await asOther('GET', path('/hookline/1/attempts', { url: rx.ok.url }))).body.results;
    assert.deepEqual(theirAttempts.map((a: any) => a.deliveryId), [theirs[0].id]);

    // The operator (the default account's key holds every scope) may look at the other account.
    const asOperator = await get('/hookline/1/deliveries', { accountId: OTHER.id });
    assert.deepEqual(asOperator.results.map((d: any) => d.id), [theirs[0].id]);
    assert.equal((await get(`/hookline/1/deliveries/${theirs[0].id}`)).id, theirs[0].id);
    assert.deepEqual((await get('/hookline/1/deliveries', { accountId: 'no-such-account' })).results, []);
  });

  it('replay sends the recorded bytes with the same webhook-id, once, in a new cycle', async () => {
    clock.advance(HOUR);
    await settled();
    const id = ids['m-flaky'];
    const before = rx.flaky.requests.length;
    rx.flaky.respond = () => ({ status: 200, delayMs: 300 });
    const replayed = await g.api('POST', `/hookline/1/deliveries/${id}/replay`);
    assert.equal(replayed.status, 202, JSON.stringify(replayed.body));
    assert.equal(replayed.body.id, id);
    assert.equal(replayed.body.state, 'RETRYING');
    assert.deepEqual([replayed.body.attempts, replayed.body.attemptsInCycle, replayed.body.remainingAttempts], [2, 0, MAX_ATTEMPTS]);
    assert.equal(parseInfobipTime(replayed.body.nextAttemptAt), clock.now(), 'due now');
    assert.equal(replayed.body.retrySchedule.length, MAX_ATTEMPTS, 'a new cycle: every attempt ahead');
    assert.deepEqual(replayed.body.retrySchedule[0], { attempt: 1, at: replayed.body.nextAttemptAt }, 'the schedule starts at the next attempt');
    assert.equal(replayed.body.doneAt, null);
    assert.equal(replayed.body.body, rx.flaky.requests[0].body);
    // Asked again while it is due or in flight (the receiver takes 300 ms): nothing more.
    const again = await g.api('POST', `/hookline/1/deliveries/${id}/replay`);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.id, id);
    const done = await deliveryOf('m-flaky', (d) => d.state === 'DELIVERED' && d.attempts === 3, 'the replayed attempt');
    assert.deepEqual([done.attemptsInCycle, done.remainingAttempts, done.lastStatusCode], [1, 0, 200]);
    assert.deepEqual((await get(`/hookline/1/deliveries/${id}`)).retrySchedule, [], 'DELIVERED: no attempt ahead');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(rx.flaky.requests.length, before + 1, 'one request for two replays');
    const request = rx.flaky.requests[before];
    assert.equal(request.body, rx.flaky.requests[0].body, 'the same bytes as the first attempt');
    assert.equal(request.headers['webhook-id'], id);
    const attempts = await attemptsOf(id);
    assert.deepEqual(attempts.map((a: any) => [a.attempt, a.statusCode]), [[3, 200], [2, 200], [1, 500]]);
    assert.equal(parseInfobipTime(attempts[0].startedAt), clock.now());
  });

  it('replay brings a retrying delivery forward; a dropped one gets a new cycle of 21 attempts', async () => {
    const id = ids['m-refused'];
    const waiting = await get(`/hookline/1/deliveries/${id}`);
    assert.equal(waiting.state, 'RETRYING');
    assert.ok(parseInfobipTime(waiting.nextAttemptAt) > clock.now(), 'its next attempt is not due yet');
    const made = waiting.attempts;
    const forward = await g.api('POST', `/hookline/1/deliveries/${id}/replay`);
    assert.equal(forward.status, 202, JSON.stringify(forward.body));
    assert.deepEqual([forward.body.attempts, forward.body.attemptsInCycle, forward.body.remainingAttempts], [made, 0, MAX_ATTEMPTS]);
    assert.equal(parseInfobipTime(forward.body.nextAttemptAt), clock.now());
    assert.deepEqual(forward.body.retrySchedule[0], { attempt: 1, at: forward.body.nextAttemptAt }, 'the schedule starts at the brought-forward attempt');
    await deliveryOf('m-refused', (d) => d.attempts === made + 1 && d.state === 'RETRYING', 'the brought-forward attempt');
    await settled();
    const first = await get(`/hookline/1/deliveries/${id}`);
    assert.deepEqual([first.attemptsInCycle, first.remainingAttempts], [1, MAX_ATTEMPTS - 1]);
    assert.equal(parseInfobipTime((await attemptsOf(id))[0].startedAt), clock.now(), 'attempted at once, not at its old time');

    // Run the new cycle out by the schedule read after its first attempt: the dispatcher starts
    // attempts 2…21 exactly at its times (nothing delays a refused connection), then drops it.
    const schedule = first.retrySchedule;
    assert.deepEqual([schedule.length, schedule[0]], [MAX_ATTEMPTS - 1, { attempt: 2, at: first.nextAttemptAt }]);
    for (const { attempt, at: due } of schedule) {
      const d = await get(`/hookline/1/deliveries/${id}`);
      assert.deepEqual([d.state, d.attemptsInCycle + 1, d.nextAttemptAt], ['RETRYING', attempt, due], `attempt ${attempt} is due at the scheduled time`);
      clock.set(parseInfobipTime(due));
      await deliveryOf('m-refused', (x) => x.attempts > d.attempts, `attempt ${attempt}`);
      await settled();
      const [latest] = await attemptsOf(id);
      assert.deepEqual([latest.attempt, latest.startedAt], [made + attempt, due], `attempt ${attempt} started at the scheduled time`);
    }
    const dropped = await get(`/hookline/1/deliveries/${id}`);
    assert.deepEqual([dropped.state, dropped.retrySchedule], ['DROPPED', []], 'DROPPED: no attempt ahead');
    assert.deepEqual([dropped.attempts, dropped.attemptsInCycle, dropped.remainingAttempts, dropped.dropReason, dropped.nextAttemptAt], [made + MAX_ATTEMPTS, MAX_ATTEMPTS, 0, 'ATTEMPTS_EXHAUSTED', null]);
    assert.equal((await attemptsOf(id)).length, made + MAX_ATTEMPTS);

    const revived = await g.api('POST', `/hookline/1/deliveries/${id}/replay`);
    assert.equal(revived.status, 202, JSON.stringify(revived.body));
    assert.deepEqual([revived.body.state, revived.body.dropReason, revived.body.attemptsInCycle, revived.body.remainingAttempts], ['RETRYING', null, 0, MAX_ATTEMPTS]);
    const next = await deliveryOf('m-refused', (d) => d.attempts === made + MAX_ATTEMPTS + 1, 'the first attempt of the new cycle');
    assert.deepEqual([next.attemptsInCycle, next.remainingAttempts], [1, MAX_ATTEMPTS - 1]);
    // The claim counts the attempt; its log row is written when it ends.
    await settled();
    const [latest] = await attemptsOf(id);
    assert.deepEqual([latest.attempt, latest.errorClass], [made + MAX_ATTEMPTS + 1, 'connect']);
  });

  it('replay to a target a 410 disabled answers 409 until the target is re-enabled', async () => {
    await send('bulk-gone', [{ id: 'm-gone', url: rx.gone.url }]);
    const gone = await deliveryOf('m-gone', (d) => d.state === 'DROPPED', 'the 410');
    ids['m-gone'] = gone.id;
    assert.equal(gone.dropReason, 'TARGET_GONE');
    const refused = await g.api('POST', `/hookline/1/deliveries/${gone.id}/replay`);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.errorCode, 'E409');
    assert.match(refused.body.description, /410/);
    assert.match(refused.body.description, /POST \/hookline\/1\/targets\/enable/);
    assert.equal((await get(`/hookline/1/deliveries/${gone.id}`)).state, 'DROPPED', 'a refused replay changes nothing');
    assert.equal(rx.gone.requests.length, 1);

    rx.gone.respond = () => ({ status: 200 });
    await ok(g.api('POST', '/hookline/1/targets/enable', { url: rx.gone.url }));
    const replayed = await g.api('POST', `/hookline/1/deliveries/${gone.id}/replay`);
    assert.equal(replayed.status, 202, JSON.stringify(replayed.body));
    await deliveryOf('m-gone', (d) => d.state === 'DELIVERED', 'the replay after re-enabling');
    assert.equal(rx.gone.requests.length, 2);
    assert.equal(rx.gone.requests[1].body, rx.gone.requests[0].body);
    assert.equal(rx.gone.requests[1].headers['webhook-id'], gone.id);
  });

  it('inbound messages and clicks are in the log by their message ids', async () => {
    // An inbound message, pushed to an INBOUND_MESSAGE subscription: found by its messageId, no bulk.
    const number = '41799000123';
    await ok(g.api('POST', '/hookline/1/numbers', { number }), 201);
    await ok(g.api('POST', '/subscriptions/1/profiles', { profileId: 'attempt-log-inbound', webhook: { notifyUrl: rx.inbound.url } }), 201);
    await ok(g.api('POST', '/subscriptions/1/subscription/SMS', { subscriptionId: 'attempt-log-mo', events: ['INBOUND_MESSAGE'], resources: [number], profile: { profileId: 'attempt-log-inbound' } }), 201);
    const inbound = await ok(g.api('POST', '/hookline/1/simulator/inbound', { from: '41790000000', to: number, text: 'hello' }));
    const mo = await deliveryOf(inbound.messageId, (d) => d.state === 'DELIVERED', 'the inbound push');
    assert.deepEqual([mo.family, mo.target, mo.reports.map((r: any) => [r.messageId, r.bulkId])], ['sms-mo', { profileId: 'attempt-log-inbound' }, [[inbound.messageId, null]]]);
    assert.equal(rx.inbound.requests[0].headers['webhook-id'], mo.id);

    // A click on a tracked link: found by the clicked message's ids, beside that message's report.
    const sent = await ok(
      g.api('POST', '/sms/3/messages', {
        messages: [{ destinations: [{ to: '41793026727', messageId: 'm-click' }], content: { text: 'See https://shop.example/o/1' }, webhooks: { delivery: { url: rx.ok.url } } }],
        options: { tracking: { trackingUrl: rx.click.url } },
      }),
    );
    const bulkId = sent.bulkId;
    const log = await waitUntil(async () => (await get('/sms/3/logs', { messageId: 'm-click' })).results[0], 'the tracked message');
    const code = /\/t\/([A-Za-z0-9_-]+)/.exec(log.content.text)![1];
    const opened = await fetch(`${g.baseUrl}/t/${code}`, { redirect: 'manual' });
    assert.equal(opened.status, 302);
    await rx.click.waitForRequests(1);
    const both = await waitUntil(async () => {
      const list = (await get('/hookline/1/deliveries', { messageId: 'm-click', state: 'DELIVERED' })).results;
      return list.length === 2 ? list : undefined;
    }, 'the report and the click delivered');
    assert.deepEqual(both.map((d: any) => d.family).sort(), ['sms-click', 'sms-v3']);
    for (const d of both) assert.deepEqual(d.reports.map((r: any) => [r.messageId, r.bulkId]), [['m-click', bulkId]]);
    const click = both.find((d: any) => d.family === 'sms-click');
    assert.deepEqual(click.target, { url: rx.click.url });
    assert.deepEqual((await get('/hookline/1/deliveries', { bulkId })).results.map((d: any) => d.id).sort(), both.map((d: any) => d.id).sort());
    assert.deepEqual((await get('/hookline/1/attempts', { bulkId, outcome: 'delivered' })).results.map((a: any) => a.deliveryId).sort(), both.map((d: any) => d.id).sort());
  });

  it('retention: finished deliveries and their attempts stay WEBHOOK_LOG_RETENTION_DAYS (30), after the messages are gone', async () => {
    const db = g.hookline.store.db;
    const waitingId = ids['m-refused']; // replayed after it was dropped, so it still waits (RETRYING)
    const count = async (table: 'messages' | 'deliveries' | 'attempts' | 'outbox') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    await settled();
    const before = { deliveries: await count('deliveries'), outbox: await count('outbox') };
    assert.ok(before.deliveries > 25);

    // Past RETENTION_HOURS (48): the messages go (but the one still waiting for its webhook), the
    // attempt log stays and still answers by message id.
    clock.advance(3 * DAY);
    await waitUntil(async () => (await count('messages')) === 1, 'the messages swept');
    assert.deepEqual(await db.selectFrom('messages').select('message_id').execute(), [{ message_id: 'm-refused' }]);
    assert.deepEqual((await get('/hookline/1/deliveries', { messageId: 'm-flaky' })).results.map((d: any) => d.id), [ids['m-flaky']]);
    assert.deepEqual((await get('/hookline/1/attempts', { bulkId: 'bulk-flaky' })).results.map((a: any) => a.attempt), [3, 2, 1]);
    assert.equal(await count('deliveries'), before.deliveries);
    assert.equal(await count('outbox'), before.outbox);
    await settled();

    // The boundary, with a sweep pass of its own: a delivery goes once it finished more than 30 days ago.
    const finished = await db.selectFrom('deliveries').select(['id', 'done_at']).where('state', 'in', ['DELIVERED', 'DROPPED']).execute();
    const firstDone = Math.min(...finished.map((d) => Number(d.done_at)));
    const lastDone = Math.max(...finished.map((d) => Number(d.done_at)));
    const firstOnes = finished.filter((d) => Number(d.done_at) === firstDone).map((d) => d.id);
    const sweep = createSweepPass(db, g.hookline.store.profile, 48 * HOUR, 30 * DAY);
    await sweep(firstDone + 30 * DAY);
    assert.equal(await count('deliveries'), before.deliveries, 'exactly 30 days: kept');
    await waitUntil(async () => {
      await sweep(firstDone + 30 * DAY + 1);
      return (await count('deliveries')) === before.deliveries - firstOnes.length;
    }, 'the first finished deliveries swept');
    for (const id of firstOnes) assert.equal((await g.api('GET', `/hookline/1/deliveries/${id}`)).status, 404);

    // Past it for all: the gateway's own sweeper removes every finished delivery with its outbox
    // rows and attempts, and the waiting delivery's attempts older than 30 days; that delivery stays.
    const oldAttempts = await db.selectFrom('attempts').select('id').where('delivery_id', '=', waitingId).execute();
    assert.ok(oldAttempts.length > MAX_ATTEMPTS);
    clock.set(lastDone + 30 * DAY + MINUTE);
    const cutoff = clock.now() - 30 * DAY;
    await waitUntil(async () => (await count('deliveries')) === 1, 'the finished deliveries swept', 15_000);
    assert.deepEqual(await db.selectFrom('deliveries').select(['id', 'state']).execute(), [{ id: waitingId, state: 'RETRYING' }]);
    await settled();
    await waitUntil(async () => (await db.selectFrom('attempts').select('id').where('started_at', '<', cutoff).execute()).length === 0, 'the old attempts swept');
    const attempts = await db.selectFrom('attempts').select(['delivery_id', 'started_at']).execute();
    assert.ok(attempts.length >= 1, 'the attempt made at the new time is kept');
    assert.ok(attempts.every((a) => a.delivery_id === waitingId && Number(a.started_at) >= cutoff));
    assert.deepEqual((await db.selectFrom('outbox').select('delivery_id').execute()).map((o) => o.delivery_id), [waitingId], "only the waiting delivery's outbox row is left");
    assert.deepEqual((await get('/hookline/1/deliveries', { limit: 1000 })).results.map((d: any) => d.id), [waitingId]);
    assert.deepEqual((await asOther('GET', '/hookline/1/deliveries')).body.results, [], "the other account's delivery is gone too");
    const log = (await get('/hookline/1/attempts', { limit: 1000 })).results;
    assert.deepEqual(log.map((a: any) => a.deliveryId), attempts.map(() => waitingId));
  });
});

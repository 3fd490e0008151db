/**
 * The SMPP connector when the SMSC or the gateway misbehaves, against the SMSC simulator on
 * loopback: throttling (ESME_RTHROTTLED, ESME_RMSGQFUL) backs off and retries; a connection that
 * drops with submits in flight is re-bound and the unanswered submits resent (at-least-once, the
 * duplicates the SMSC saw counted as `resubmitted`) or given up (at-most-once: the message expires);
 * enquire_link keeps the bind alive; reconnects back off; transmitter+receiver binds; the
 * throughput limit; receipts kept by the SMSC while no gateway is bound, and parts left queued by a
 * stopped gateway, both taken over by the next gateway on the same database; permanent submit
 * errors; the routing table; connections and routes set through the admin API.
 *
 * Most scenarios share one gateway, each with a connection to an SMSC simulator of its own (an SMSC
 * misbehaves for everyone bound to it) and run concurrently; the restarts take turns on one SMSC
 * and one database; the admin API has a gateway without SMPP_CONFIG_FILE. Timings are read at the
 * SMSC (its receivedAt, when its bind records are pushed), not from the test's wall clock.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { SMPP_LEASE_MS } from '../../src/network/smpp/smpp-network.ts';
import { openStore } from '../../src/store/database.ts';
import { startGateway, type TestGateway } from '../helpers/hookline.ts';
import { waitUntil } from '../http/support.ts';
import { receiverPool, type Receiver } from '../helpers/receiver.ts';
import { SmscSimulator } from '../helpers/smsc-simulator.ts';
import { keptDatabase, OPERATOR, PASSWORD, sendMany, sendSms, smppStatus, startSmppGateway, startSmppMany, statusOf, SYSTEM_ID, uniqueTo, type SentSms, type SmppScenario } from './smpp-support.ts';

const receivers = receiverPool();
after(() => receivers.closeAll());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DELIVERED = ['DELIVERED_TO_HANDSET', 'NO_ERROR'];
const ESME_RTHROTTLED = 0x58;
const ESME_RMSGQFUL = 0x14;
const ESME_RINVPASWD = 0x0e;

const destinations = (count: number) => Array.from({ length: count }, () => uniqueTo('0001'));

/** How many submit_sm the SMSC saw for each destination. */
const seenPer = (smsc: SmscSimulator, tos: string[]) => tos.map((to) => smsc.submits.filter((x) => x.destination === to).length);

/**
 * The one final report of each message: waits for all of them, then a moment more, so that a
 * second report of any would show.
 */
async function reportedOnce(rx: Receiver, sent: SentSms[], timeoutMs = 10_000): Promise<Map<string, Record<string, any>>> {
  const ids = new Set(sent.map((s) => s.messageId));
  const mine = () => rx.results().filter((r) => ids.has(r.messageId));
  await rx.waitFor(() => new Set(mine().map((r) => r.messageId)).size === ids.size, timeoutMs, `reports of ${ids.size} messages`);
  await sleep(300);
  const byId = new Map<string, Record<string, any>>();
  for (const report of mine()) {
    assert.ok(!byId.has(report.messageId), `a second report for ${report.messageId}: ${JSON.stringify(mine().filter((r) => r.messageId === report.messageId).map(statusOf))}`);
    byId.set(report.messageId, report);
  }
  return byId;
}

async function allDelivered(rx: Receiver, sent: SentSms[], timeoutMs?: number): Promise<void> {
  const reports = await reportedOnce(rx, sent, timeoutMs);
  for (const s of sent) assert.deepEqual(statusOf(reports.get(s.messageId)!), DELIVERED, s.to);
}

/**
 * A graceful stop gives up the leases of the parts it held and stores their attempts; a crash
 * does neither. This puts the parts back as a crash leaves them: a lease that ran out (not the
 * given-up 0), no attempts stored.
 */
async function asIfCrashed(databaseUrl: string): Promise<void> {
  const store = await openStore(databaseUrl);
  try {
    await store.db.updateTable('smpp_parts').set({ lease_until: 1, attempts: 0 }).where('state', '=', 'queued').execute();
  } finally {
    await store.close();
  }
}

/** An SMSC of its own and a database that outlives the gateways started on it (stop-and-restart scenarios). */
async function restartable() {
  const smsc = new SmscSimulator({ credentials: { systemId: SYSTEM_ID, password: PASSWORD } });
  await smsc.start();
  const database = await keptDatabase();
  const gateways: TestGateway[] = [];
  return {
    smsc,
    database,
    async gateway(options: Parameters<typeof startSmppGateway>[2] = {}) {
      const g = await startSmppGateway(smsc, database, options);
      gateways.push(g);
      return g;
    },
    async close() {
      for (const g of gateways) await g.close();
      await smsc.stop();
      await database.drop();
      rmSync(database.dir, { recursive: true, force: true });
    },
  };
}

/** When each bind of the `refused` connection reached its SMSC: taken as the record is pushed, exact even while the gateway starts. */
const refusedBinds: number[] = [];
function watchBinds(smsc: SmscSimulator): void {
  const record = smsc.binds.push.bind(smsc.binds);
  smsc.binds.push = (...items) => {
    refusedBinds.push(Date.now());
    return record(...items);
  };
}

/** One gateway, a connection (and SMSC) per scenario: `prefix` routes to it. */
const SCENARIOS = {
  main: { prefix: '4179' },
  throttle: { prefix: '4170' },
  held: { prefix: '4171', connection: { window: 20 } },
  dropAfter: { prefix: '4172', connection: { window: 10 } },
  atMostOnce: { prefix: '4173', connection: { window: 20, delivery: 'at-most-once' } },
  dropped: { prefix: '4174' },
  pair: { prefix: '4175', connection: { bindMode: 'transmitter+receiver', binds: 2 } },
  throughput: { prefix: '4176', connection: { throughput: 50, window: 100 } },
  silent: { prefix: '4168', connection: { window: 20, responseTimeoutMs: 1_000 } },
  refused: { prefix: '4169', connection: { password: 'wrong1', reconnect: { minMs: 200, maxMs: 800 } }, waitForBinds: false, prepare: watchBinds },
} satisfies Record<string, SmppScenario>;
type Name = keyof typeof SCENARIOS;

describe('SMPP resilience', { concurrency: true }, () => {
  describe('one gateway, a connection per scenario', () => {
    let g: TestGateway;
    let smscs: Record<Name, SmscSimulator>;
    let close: () => Promise<void>;
    before(async () => {
      // 41789… is under 4178 (simulated) but longer: the main SMSC's. 4177… matches no route.
      ({ g, smsc: smscs, close } = await startSmppMany(SCENARIOS, { routes: [{ prefix: '4178', target: 'simulator' }, { prefix: '41789', target: 'main' }] }));
    });
    after(() => close());
    const to = (name: Name, digits = '0001') => uniqueTo(digits, SCENARIOS[name].prefix);
    const many = (name: Name, count: number) => Array.from({ length: count }, () => to(name));

    test('enquire_link every enquireLinkMs (1 s) while bound', async () => {
      const smsc = smscs.main;
      const start = smsc.enquireLinks;
      // Counted as they arrive, so one sent just before `start` may be counted after it: a count
      // over a window, not the spacing of two, is what stays true on a busy machine.
      await sleep(2_500);
      const seen = smsc.enquireLinks - start;
      assert.ok(seen >= 2 && seen <= 4, `${seen} enquire_links in 2.5 s`);
      assert.equal(smsc.boundSessions().length, 1, 'still the one bind');
      assert.equal(smsc.binds.length, 1, 'never re-bound');
    });

    test('ESME_RINVDSTADR → REJECTED_DESTINATION, ESME_RSUBMITFAIL → UNDELIVERABLE_NOT_SENT, both EC_NOTSUBMITTEDTOSMPPCHANNEL', async () => {
      const rx = await receivers.start();
      const [invalid, failed] = (await sendMany(g, rx.url, [to('main', '2010'), to('main', '2011')])) as [SentSms, SentSms];
      const reports = await reportedOnce(rx, [invalid, failed]);
      assert.deepEqual(statusOf(reports.get(invalid.messageId)!), ['REJECTED_DESTINATION', 'EC_NOTSUBMITTEDTOSMPPCHANNEL']);
      assert.deepEqual(statusOf(reports.get(failed.messageId)!), ['UNDELIVERABLE_NOT_SENT', 'EC_NOTSUBMITTEDTOSMPPCHANNEL']);
      // Refused for good: not sent again.
      assert.deepEqual(seenPer(smscs.main, [invalid.to, failed.to]), [1, 1]);
      assert.ok((await smppStatus(g, 'main')).counters.rejected >= 2);
    });

    test('routes: the longest prefix wins; a route to the simulator is simulated; no matching route → REJECTED_ROUTE_NOT_AVAILABLE', async () => {
      const rx = await receivers.start();
      const sent = await sendMany(g, rx.url, [uniqueTo('0001', '4179'), uniqueTo('0001', '41789'), uniqueTo('0001', '41780'), uniqueTo('0001', '4177')]);
      const [smsc, longest, simulated, unrouted] = sent as [SentSms, SentSms, SentSms, SentSms];
      const reports = await reportedOnce(rx, sent);
      assert.deepEqual(statusOf(reports.get(smsc.messageId)!), DELIVERED);
      assert.deepEqual(statusOf(reports.get(longest.messageId)!), DELIVERED);
      assert.deepEqual(statusOf(reports.get(simulated.messageId)!), DELIVERED);
      assert.deepEqual(statusOf(reports.get(unrouted.messageId)!), ['REJECTED_ROUTE_NOT_AVAILABLE', 'NO_ERROR']);
      const everywhere = (x: SentSms) => Object.values<SmscSimulator>(smscs).reduce((n, smsc) => n + seenPer(smsc, [x.to])[0]!, 0);
      assert.deepEqual(seenPer(smscs.main, sent.map((x) => x.to)), [1, 1, 0, 0], '4179 and 41789 over SMPP');
      assert.deepEqual([everywhere(simulated), everywhere(unrouted)], [0, 0], '41780 simulated, 4177 nowhere');
    });

    // One after the other: throttleNext arms the SMSC for whoever submits next.
    describe('throttling: refused submits back off and are sent again (no duplicate)', { concurrency: false }, () => {
      for (const [name, commandStatus] of [['ESME_RTHROTTLED', ESME_RTHROTTLED], ['ESME_RMSGQFUL', ESME_RMSGQFUL]] as const) {
        test(`${name}: the next 5 submits refused → all 8 messages delivered, counted as throttled, none as resubmitted`, async () => {
          const smsc = smscs.throttle;
          const rx = await receivers.start();
          const before = (await smppStatus(g, 'throttle')).counters;
          smsc.throttleNext(5, commandStatus);
          const sent = await sendMany(g, rx.url, many('throttle', 8));
          await allDelivered(rx, sent);
          const tos = sent.map((x) => x.to);
          const mine = smsc.submits.filter((x) => tos.includes(x.destination));
          const refused = mine.filter((x) => x.commandStatus === commandStatus);
          assert.equal(refused.length, 5, JSON.stringify(mine.map((x) => [x.destination, x.commandStatus])));
          // Each refused one came again, and was taken.
          for (const r of refused) assert.ok(mine.some((x) => x.destination === r.destination && x.commandStatus === 0 && x.receivedAt >= r.receivedAt), r.destination);
          assert.equal(mine.filter((x) => x.commandStatus === 0).length, 8);
          const counters = (await smppStatus(g, 'throttle')).counters;
          assert.ok(counters.throttled - before.throttled >= 5, JSON.stringify(counters));
          assert.equal(counters.resubmitted, 0);
        });
      }
    });

    test('connection drop mid-window (at-least-once): re-bound, unanswered submits resent; each message delivered once; resubmitted = the duplicates the SMSC saw', async () => {
      const smsc = smscs.held;
      const rx = await receivers.start();
      smsc.holdResponses(true);
      const sent = await sendMany(g, rx.url, many('held', 8));
      const tos = sent.map((x) => x.to);
      await smsc.waitFor(() => seenPer(smsc, tos).every((n) => n === 1));
      assert.equal((await smppStatus(g, 'held')).binds[0]!.inFlight, 8, 'all eight in the window');
      const binds = smsc.binds.length;
      smsc.dropAll();
      // The held submits were on the dropped socket: they are never answered.
      smsc.holdResponses(false);
      await allDelivered(rx, sent);
      assert.ok(smsc.binds.length > binds, 'bound again');
      const seen = seenPer(smsc, tos);
      const duplicates = seen.reduce((sum, n) => sum + n - 1, 0);
      assert.deepEqual(seen, tos.map(() => 2), 'each sent twice: the documented at-least-once duplicate');
      const counters = (await smppStatus(g, 'held')).counters;
      assert.equal(counters.resubmitted, duplicates);
      assert.equal(counters.abandoned, 0);
      assert.ok(counters.reconnects >= 1);
    });

    test('connection dropped by the SMSC after 3 answers, window 10, 8 messages: all delivered once; resubmitted ≥ the duplicates the SMSC saw ≥ 1', async () => {
      const smsc = smscs.dropAfter;
      const rx = await receivers.start();
      smsc.dropAfter(3);
      const sent = await sendMany(g, rx.url, many('dropAfter', 8));
      await allDelivered(rx, sent);
      assert.equal(smsc.binds.length, 2, 'bound again, once');
      const seen = seenPer(smsc, sent.map((x) => x.to));
      const duplicates = seen.reduce((sum, n) => sum + n - 1, 0);
      assert.ok(seen.every((n) => n === 1 || n === 2), JSON.stringify(seen));
      // The three answered are not sent again; the submit that met the drop reached the SMSC and is;
      // those written behind it may not have reached it (Hookline cannot tell, so it counts them).
      assert.ok(seen.filter((n) => n === 1).length >= 3, JSON.stringify(seen));
      assert.ok(duplicates >= 1, JSON.stringify(seen));
      const { resubmitted } = (await smppStatus(g, 'dropAfter')).counters;
      assert.ok(resubmitted >= duplicates && resubmitted <= 8, `resubmitted ${resubmitted}, duplicates ${duplicates}`);
    });

    test('connection drop mid-window (at-most-once): nothing is sent twice; the unanswered are abandoned and their messages end EXPIRED_EXPIRED', async () => {
      const smsc = smscs.atMostOnce;
      const rx = await receivers.start();
      smsc.holdResponses(true);
      const sent = await sendMany(g, rx.url, many('atMostOnce', 5), { validitySeconds: 2 });
      const tos = sent.map((x) => x.to);
      await smsc.waitFor(() => seenPer(smsc, tos).every((n) => n === 1));
      smsc.dropAll();
      smsc.holdResponses(false);
      const reports = await reportedOnce(rx, sent, 6_000);
      for (const x of sent) assert.deepEqual(statusOf(reports.get(x.messageId)!), ['EXPIRED_EXPIRED', 'EC_VALIDITY_EXPIRED'], x.to);
      await smsc.waitFor(() => smsc.boundSessions().length === 1);
      assert.deepEqual(seenPer(smsc, tos), tos.map(() => 1), 'never sent again');
      const counters = (await smppStatus(g, 'atMostOnce')).counters;
      assert.equal(counters.abandoned, 5);
      assert.equal(counters.resubmitted, 0);
    });

    test('an SMSC that stops answering submits: after responseTimeoutMs the gateway re-binds and resends', async () => {
      const smsc = smscs.silent;
      const rx = await receivers.start();
      smsc.holdResponses(true);
      const sent = await sendMany(g, rx.url, many('silent', 3));
      const tos = sent.map((x) => x.to);
      await smsc.waitFor(() => seenPer(smsc, tos).every((n) => n === 1));
      // Found by the once-a-second check: 1 to 2 s after the submits.
      await smsc.waitFor(() => smsc.binds.length === 2, 4_000);
      smsc.holdResponses(false);
      await allDelivered(rx, sent);
      assert.deepEqual(seenPer(smsc, tos), [2, 2, 2]);
      assert.equal((await smppStatus(g, 'silent')).counters.resubmitted, 3);
    });

    test('every socket dropped: the gateway binds again, and messages sent afterwards are delivered', async () => {
      const smsc = smscs.dropped;
      const rx = await receivers.start();
      assert.equal(smsc.binds.length, 1);
      smsc.dropAll();
      await smsc.waitFor(() => smsc.boundSessions().length === 1, 3_000);
      assert.equal(smsc.binds.length, 2);
      const sent = await sendMany(g, rx.url, many('dropped', 3));
      await allDelivered(rx, sent);
      const status = await smppStatus(g, 'dropped');
      assert.deepEqual(status.binds.map((b) => b.state), ['bound']);
      assert.equal(status.counters.reconnects, 1);
    });

    test('a refused bind (wrong password): never bound, attempts spaced by a doubling backoff, status not bound', async () => {
      const smsc = smscs.refused;
      await smsc.waitFor(() => smsc.binds.length >= 4, 4_000);
      const times = refusedBinds;
      assert.deepEqual(smsc.boundSessions(), []);
      assert.ok(smsc.binds.every((b) => b.status === ESME_RINVPASWD && b.password === 'wrong1'), JSON.stringify(smsc.binds));
      const gaps = times.slice(1, 4).map((t, i) => t - times[i]!);
      // At least 200, 400, 800 ms after each refusal (a busy event loop only lengthens them): doubling, where a
      // fixed delay would leave the third gap at 200 ms.
      gaps.forEach((gap, i) => assert.ok(gap >= 200 * 2 ** i - 20, `gaps ${gaps.join(', ')} ms: not backing off`));
      const status = await smppStatus(g, 'refused');
      assert.ok(status.binds.every((b) => b.state !== 'bound'), JSON.stringify(status.binds));
      assert.equal(status.counters.submitted, 0);
    });

    test('transmitter+receiver with binds: 2 → 2 bind_transmitter and 2 bind_receiver sessions; receipts come through the receivers', async () => {
      const smsc = smscs.pair;
      const commands = smsc.boundSessions().map((b) => b.command).sort();
      assert.deepEqual(commands, ['bind_receiver', 'bind_receiver', 'bind_transmitter', 'bind_transmitter']);
      const status = await smppStatus(g, 'pair');
      assert.deepEqual(status.binds.map((b) => b.state), ['bound', 'bound', 'bound', 'bound']);
      const rx = await receivers.start();
      const sent = await sendMany(g, rx.url, many('pair', 6));
      await allDelivered(rx, sent);
      // The simulator writes deliver_sm only to receiving binds; none was refused (a transmitter would).
      assert.equal(smsc.deliveredAcks, 6);
      assert.equal(smsc.deliveryNacks, 0);
      assert.equal(smsc.submits.length, 6);
    });

    test('throughput 50/s: 100 messages reach the SMSC over ≥ 1.8 s', async () => {
      const smsc = smscs.throughput;
      const rx = await receivers.start();
      const sent = await sendMany(g, rx.url, many('throughput', 100));
      await smsc.waitFor(() => smsc.submits.length >= 100, 8_000);
      const at = smsc.submits.map((x) => x.receivedAt);
      const spread = Math.max(...at) - Math.min(...at);
      // 3 at once (a 50 ms burst), then one every 20 ms: 1.94 s. The upper bound only says it was not stalled.
      assert.ok(spread >= 1_800 && spread <= 6_000, `100 submits over ${spread} ms`);
      await allDelivered(rx, sent);
    });
  });

  // One after the other on one SMSC and one database: each scenario stops a gateway and starts the next.
  describe('restarts on the same database', { concurrency: false }, () => {
    let r: Awaited<ReturnType<typeof restartable>>;
    before(async () => {
      r = await restartable();
    });
    after(() => r.close());
    /** The smpp_parts rows of these destinations' messages. */
    const partsOf = (g: TestGateway, tos: string[]) =>
      g.hookline.store.db.selectFrom('smpp_parts').innerJoin('messages', 'messages.pk', 'smpp_parts.message_pk').select(['smpp_parts.state', 'smpp_parts.attempts']).where('messages.destination', 'in', tos).execute();

    test('receipts the SMSC keeps while no gateway is bound go to the next gateway; none lost', async () => {
      r.smsc.options.receiptDelayMs = 1_500;
      try {
        const rx = await receivers.start();
        const first = await r.gateway();
        const sent = await sendMany(first, rx.url, destinations(3));
        const tos = sent.map((x) => x.to);
        await r.smsc.waitFor(() => r.smsc.submits.filter((x) => tos.includes(x.destination) && x.answered).length === 3);
        const acks = r.smsc.deliveredAcks;
        // A graceful stop: acknowledgements stored, unbound before the receipts come.
        await first.close();
        assert.deepEqual(r.smsc.boundSessions(), []);
        await r.smsc.waitFor(() => r.smsc.unacknowledgedDeliveries().filter((d) => d.kind === 'receipt').length === 3, 3_000);
        assert.equal(r.smsc.deliveredAcks, acks, 'no receipt reached the first gateway');
        assert.equal(rx.results().length, 0);
        const second = await r.gateway();
        await allDelivered(rx, sent);
        await r.smsc.waitFor(() => r.smsc.unacknowledgedDeliveries().length === 0);
        assert.equal(r.smsc.deliveredAcks, acks + 3);
        assert.equal(r.smsc.deliveryNacks, 0);
        assert.equal((await smppStatus(second)).counters.receipts, 3);
        await second.close();
      } finally {
        r.smsc.options.receiptDelayMs = 0;
      }
    });

    test('parts left unanswered by a crashed gateway are resent by the next one once their lease ran out', async () => {
      const rx = await receivers.start();
      const first = await r.gateway();
      r.smsc.holdResponses(true);
      const sent = await sendMany(first, rx.url, destinations(3));
      const tos = sent.map((x) => x.to);
      await r.smsc.waitFor(() => seenPer(r.smsc, tos).every((n) => n === 1));
      await first.close();
      await asIfCrashed(r.database.url);
      // The held submits were on the closed session: never answered.
      r.smsc.holdResponses(false);
      // A clock past the lease: the new gateway takes the parts over at its first upkeep (at start).
      const second = await r.gateway({ clock: new ManualClock(Date.now() + SMPP_LEASE_MS + 1_000) });
      await allDelivered(rx, sent);
      assert.deepEqual(seenPer(r.smsc, tos), [2, 2, 2]);
      assert.equal((await smppStatus(second)).counters.resubmitted, 3);
      assert.deepEqual((await partsOf(second, tos)).map((p) => [p.state, p.attempts]), [['done', 2], ['done', 2], ['done', 2]]);
      await second.close();
    });

    test('at-most-once: parts a crashed gateway left queued are abandoned by the next one, never sent twice; their messages expire', async () => {
      const connection = { delivery: 'at-most-once', window: 1 };
      const rx = await receivers.start();
      const first = await r.gateway({ connection });
      r.smsc.holdResponses(true);
      // Window 1: the first part is in flight (abandoned at the disconnect), the other two wait in the queue.
      const sent = await sendMany(first, rx.url, destinations(3), { validitySeconds: 60 });
      const tos = sent.map((x) => x.to);
      await r.smsc.waitFor(() => seenPer(r.smsc, tos).reduce((a, b) => a + b) === 1);
      await first.close();
      await asIfCrashed(r.database.url);
      r.smsc.holdResponses(false);
      const clock = new ManualClock(Date.now() + SMPP_LEASE_MS + 1_000);
      const second = await r.gateway({ connection, clock });
      await waitUntil(async () => (await partsOf(second, tos)).every((p) => p.state === 'abandoned'), 'every part abandoned', 5_000);
      assert.equal((await smppStatus(second)).counters.abandoned, 2, 'the two taken over and given up');
      // The validity end (60 s after sending) on the new gateway's clock: every message expires.
      clock.advance(30_000);
      const reports = await reportedOnce(rx, sent);
      for (const x of sent) assert.deepEqual(statusOf(reports.get(x.messageId)!), ['EXPIRED_EXPIRED', 'EC_VALIDITY_EXPIRED'], x.to);
      assert.deepEqual(seenPer(r.smsc, tos).sort(), [0, 0, 1], 'never sent twice');
      await second.close();
    });

    // Last: it leaves parts queued under a lease, which a later gateway with a clock past it would take over.
    test(
      'a graceful stop with parts still queued: the next gateway sends them without waiting for the lease and counts only those the SMSC may have had as resubmitted',
      async () => {
        const rx = await receivers.start();
        const first = await r.gateway({ connection: { window: 1 } });
        r.smsc.holdResponses(true);
        const sent = await sendMany(first, rx.url, destinations(3));
        const tos = sent.map((x) => x.to);
        await r.smsc.waitFor(() => seenPer(r.smsc, tos).reduce((a, b) => a + b) === 1);
        await first.close();
        r.smsc.holdResponses(false);
        // Real time: no lease has run out.
        const second = await r.gateway({ connection: { window: 1 } });
        // Well before the 30 s lease runs out.
        await allDelivered(rx, sent, 2_000);
        const duplicates = seenPer(r.smsc, tos).reduce((sum, n) => sum + Math.max(0, n - 1), 0);
        assert.equal(duplicates, 1, 'only the part that was in flight reached the SMSC twice');
        assert.equal((await smppStatus(second)).counters.resubmitted, duplicates);
      },
    );
  });

  test('admin API (no file): a connection and a route PUT at run time bind and carry messages; removing them unbinds', async () => {
    const smsc = new SmscSimulator({ credentials: { systemId: SYSTEM_ID, password: PASSWORD } });
    const port = await smsc.start();
    const g = await startGateway();
    const admin = (method: string, path: string, body?: unknown) => g.api(method, path, body, OPERATOR);
    try {
      const rx = await receivers.start();
      const connection = { host: '127.0.0.1', port, systemId: SYSTEM_ID, password: PASSWORD, enquireLinkMs: 1_000, reconnect: { minMs: 100, maxMs: 400 } };
      assert.equal((await admin('PUT', '/hookline/1/smpp/connections/carrier', connection)).status, 201);
      const routes = await admin('PUT', '/hookline/1/smpp/routes', { routes: [{ prefix: '4179', target: 'carrier' }] });
      assert.equal(routes.status, 200, JSON.stringify(routes.body));
      await smsc.waitFor(() => smsc.boundSessions().length === 1, 5_000);
      assert.equal((await smppStatus(g, 'carrier')).binds[0]!.state, 'bound');
      // The route reaches the running network by the same notification, right after the connection's.
      await sleep(200);
      const over = await sendSms(g, rx.url, uniqueTo('0001'));
      await allDelivered(rx, [over]);
      assert.deepEqual(seenPer(smsc, [over.to]), [1], 'sent over SMPP');

      assert.equal((await admin('PUT', '/hookline/1/smpp/routes', { routes: [] })).status, 200);
      assert.equal((await admin('DELETE', '/hookline/1/smpp/connections/carrier')).status, 204);
      await smsc.waitFor(() => smsc.boundSessions().length === 0, 5_000);
      // Listed until its unbind has been answered and its parts given back.
      await waitUntil(async () => (await admin('GET', '/hookline/1/smpp/status')).body.connections.length === 0, 'the connection gone from the status', 5_000);
      // No routes any more: simulated.
      const simulated = await sendSms(g, rx.url, uniqueTo('0001'));
      await allDelivered(rx, [simulated]);
      assert.deepEqual(seenPer(smsc, [simulated.to]), [0]);
    } finally {
      await g.close();
      await smsc.stop();
    }
  });
});

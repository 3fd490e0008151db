/**
 * SmppLink and SmppConnection against a bare SMSC on loopback (no gateway, no database), for what
 * an SMSC does that the simulator does not: PDUs without a response (alert_notification,
 * outbind), a bind never answered, a PDU the library cannot parse after every bind, an unbind
 * with the socket left half open, a part that makes the SMSC drop the bind. Also the answer to a
 * deliver_sm after its session dropped, the throttle backoff for a refused window, the validity
 * period left when a part is sent, and a link whose socket is gone before 'close'.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import pino from 'pino';
import smpp, { type Pdu, type Session } from 'smpp';
import { MAX_UNANSWERED_SENDS, SmppConnection, type ConnectionSink, type OutboundPart } from '../../src/network/smpp/connection.ts';
import { SmppLink } from '../../src/network/smpp/link.ts';
import type { SmppConnectionConfig } from '../../src/network/smpp/smpp-config.ts';
import { relativeValidity } from '../../src/network/smpp/submit-fields.ts';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ESME_RTHROTTLED = 0x58;
const ESME_RINVCMDID = 0x03;

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(5);
  }
}

interface BareSmsc {
  port: number;
  /** Server-side sessions, in the order they connected. */
  sessions: Session[];
  /** Date.now() of every bind received. */
  binds: number[];
  /** Every PDU received, with the index of its session in `sessions` and when it came. */
  received: Array<{ session: number; pdu: Pdu; at: number }>;
  close(): Promise<void>;
}

/**
 * A bare SMSC: binds and enquire_link answered OK, submit_sm accepted with a message id, unless
 * `handle` takes the PDU (returns true). `allowHalfOpen`: it does not close its side of a socket
 * when the ESME closes its own.
 */
async function bareSmsc(handle: (session: Session, pdu: Pdu, smsc: BareSmsc) => boolean = () => false, allowHalfOpen = false): Promise<BareSmsc> {
  let nextId = 1;
  const server = smpp.createServer({ allowHalfOpen }, (session: Session) => {
    const index = smsc.sessions.push(session) - 1;
    session.on('error', () => {}); // resets are part of these tests
    session.on('pdu', (pdu: Pdu) => {
      smsc.received.push({ session: index, pdu, at: Date.now() });
      if (pdu.command.startsWith('bind_')) smsc.binds.push(Date.now());
      if (handle(session, pdu, smsc)) return;
      if (pdu.command.startsWith('bind_') || pdu.command === 'enquire_link' || pdu.command === 'unbind') session.send(pdu.response());
      else if (pdu.command === 'submit_sm') session.send(pdu.response({ message_id: String(nextId++) }));
    });
  });
  const smsc: BareSmsc = {
    port: 0,
    sessions: [],
    binds: [],
    received: [],
    async close() {
      for (const session of smsc.sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  smsc.port = (server.address() as AddressInfo).port;
  return smsc;
}

function configFor(port: number, overrides: Partial<SmppConnectionConfig> = {}): SmppConnectionConfig {
  return {
    name: 'test', host: '127.0.0.1', port, systemId: 'hookline', password: 'secret', systemType: '',
    bindMode: 'transceiver', binds: 1, window: 10, throughput: 0,
    source: { ton: null, npi: null, defaultSender: 'Hookline' }, destination: { ton: 1, npi: 1 },
    dataCoding: 'auto', longMessages: 'udh', delivery: 'at-least-once', messageIds: { response: 'string', receipt: 'string' },
    enquireLinkMs: 5_000, reconnect: { minMs: 50, maxMs: 400 }, throttleBackoff: { minMs: 50, maxMs: 5_000 }, responseTimeoutMs: 1_000,
    ...overrides,
  };
}

/** Records what the connection hands its sink; deliver_sm are kept unanswered with their `respond`. */
class RecordingSink implements ConnectionSink {
  readonly acked: Array<{ part: OutboundPart; smscId: string }> = [];
  readonly abandonedParts: OutboundPart[] = [];
  readonly deliveries: Array<{ pdu: Pdu; respond: (status: number) => void }> = [];
  onDelivered: (pdu: Pdu) => void = () => {};
  acknowledged(part: OutboundPart, smscId: string): void {
    this.acked.push({ part, smscId });
  }
  rejected(): void {}
  abandoned(part: OutboundPart): void {
    this.abandonedParts.push(part);
  }
  delivered(_connection: string, pdu: Pdu, respond: (status: number) => void): void {
    this.deliveries.push({ pdu, respond });
    this.onDelivered(pdu);
  }
}

let nextPart = 1;
function outboundPart(expiresAt = Date.now() + 3_600_000, destination?: string): OutboundPart {
  const id = nextPart++;
  const fields = { source_addr: 'Hookline', destination_addr: destination ?? `4179${String(id).padStart(7, '0')}`, short_message: `part ${id}`, validity_period: relativeValidity(3_600_000) };
  return { id, connection: 'test', messagePk: id, part: 0, parts: 1, fields, expiresAt, attempts: 0 };
}

const deliverSm = () => new smpp.PDU('deliver_sm', { source_addr: '41790000001', destination_addr: 'Hookline', short_message: 'hello' });
const submitsOf = (smsc: BareSmsc) => smsc.received.filter((r) => r.pdu.command === 'submit_sm');
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

/** Started in a test, stopped after it whatever happened. */
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(handle?: Parameters<typeof bareSmsc>[0], overrides: Partial<SmppConnectionConfig> = {}, now: () => number = Date.now, allowHalfOpen = false) {
  const smsc = await bareSmsc(handle, allowHalfOpen);
  cleanups.push(() => smsc.close());
  const sink = new RecordingSink();
  const connection = new SmppConnection(configFor(smsc.port, overrides), sink, log, now);
  cleanups.push(() => connection.stop());
  connection.start();
  return { smsc, sink, connection };
}

const bound = (connection: SmppConnection) => connection.status().binds.filter((b) => b.state === 'bound').length;

describe('PDUs from the SMSC', () => {
  test('alert_notification and outbind are ignored (they have no response); the link stays bound and keeps answering', async () => {
    const { smsc, connection } = await setUp((session, pdu) => {
      if (pdu.command !== 'bind_transceiver') return false;
      session.send(pdu.response());
      session.send(new smpp.PDU('alert_notification', { source_addr: '41790000001', esme_addr: 'Hookline' }));
      session.send(new smpp.PDU('outbind', { system_id: 'smsc', password: 'x' }));
      session.send(new smpp.PDU('enquire_link', {}));
      return true;
    });
    await waitFor(() => smsc.received.some((r) => r.pdu.command === 'enquire_link_resp'), 2_000, 'the enquire_link sent after them answered');
    assert.deepEqual(smsc.received.map((r) => r.pdu.command), ['bind_transceiver', 'enquire_link_resp']);
    assert.equal(bound(connection), 1);
    assert.equal(smsc.binds.length, 1);
  });

  test('an unknown command id gets a generic_nack with ESME_RINVCMDID and its sequence number', async () => {
    const { smsc } = await setUp((session, pdu) => {
      if (pdu.command !== 'bind_transceiver') return false;
      session.send(pdu.response());
      const unknown = Buffer.alloc(16);
      unknown.writeUInt32BE(16, 0);
      unknown.writeUInt32BE(0x00000777, 4);
      unknown.writeUInt32BE(42, 12);
      session.socket.write(unknown);
      return true;
    });
    await waitFor(() => smsc.received.some((r) => r.pdu.command === 'generic_nack'), 2_000, 'generic_nack');
    const nack = smsc.received.find((r) => r.pdu.command === 'generic_nack')!.pdu;
    assert.equal(nack.command_status, ESME_RINVCMDID);
    assert.equal(nack.sequence_number, 42);
  });

  test('a deliver handler that throws ends that session (it reconnects), not the process', async () => {
    const { smsc, sink } = await setUp((session, pdu) => {
      if (pdu.command !== 'bind_transceiver') return false;
      session.send(pdu.response());
      if (smsc.binds.length === 1) session.send(deliverSm());
      return true;
    });
    sink.onDelivered = () => {
      throw new Error('a bug in the sink');
    };
    await waitFor(() => smsc.binds.length >= 2, 2_000, 'a second bind');
  });
});

describe('binds', () => {
  test('a bind never answered times out after responseTimeoutMs and is tried again', async () => {
    const { smsc, connection } = await setUp((_session, pdu) => pdu.command === 'bind_transceiver', { responseTimeoutMs: 150, reconnect: { minMs: 50, maxMs: 400 } });
    await waitFor(() => smsc.binds.length >= 3, 3_000, 'three binds');
    assert.ok(gaps(smsc.binds).every((gap) => gap >= 150), `binds spaced by at least the timeout: ${gaps(smsc.binds)}`);
    assert.notEqual(connection.status().binds[0]!.state, 'bound');
  });

  test('a link that fails right after each bind (a PDU the library cannot parse) backs off instead of reconnecting at the minimum delay', async () => {
    const { smsc } = await setUp(
      (session, pdu) => {
        if (pdu.command !== 'bind_transceiver') return false;
        session.send(pdu.response());
        // A deliver_sm ending with a message_state TLV of length 0: the library throws while reading it.
        const valid = deliverSm().toBuffer();
        const broken = Buffer.concat([valid, Buffer.from([0x04, 0x27, 0x00, 0x00])]);
        broken.writeUInt32BE(broken.length, 0);
        session.socket.write(broken);
        return true;
      },
      { reconnect: { minMs: 50, maxMs: 800 } },
    );
    await waitFor(() => smsc.binds.length >= 5, 3_000, 'five binds');
    const spacing = gaps(smsc.binds);
    // 50, 100, 200, 400 ms: doubling, as for a bind that fails.
    assert.ok(spacing[2]! >= 180 && spacing[3]! >= 360, `backoff doubles: ${spacing}`);
  });

  test('a bind that stayed up long enough starts the reconnect backoff over', async () => {
    const stable = SmppLink.stableBindMs;
    SmppLink.stableBindMs = 200;
    cleanups.push(async () => (SmppLink.stableBindMs = stable));
    let droppedAt = 0;
    const { smsc } = await setUp(
      (session, pdu) => {
        if (pdu.command !== 'bind_transceiver') return false;
        session.send(pdu.response());
        // Binds 1-3 drop at once (the backoff grows to 400 ms); bind 4 stays 300 ms; bind 5 stays.
        const n = smsc.binds.length;
        const drop = () => {
          droppedAt = Date.now();
          session.destroy();
        };
        if (n <= 3) setTimeout(drop, 5);
        else if (n === 4) setTimeout(drop, 300);
        return true;
      },
      { reconnect: { minMs: 50, maxMs: 400 } },
    );
    await waitFor(() => smsc.binds.length >= 5, 3_000, 'five binds');
    const afterStable = smsc.binds[4]! - droppedAt;
    assert.ok(afterStable < 200, `reconnected after ${afterStable} ms, expected about reconnect.minMs`);
  });
});

describe('deliver_sm answers', () => {
  test('an answer given after its session dropped is not sent on the next session (same sequence number there)', async () => {
    const { smsc, sink } = await setUp((session, pdu) => {
      if (pdu.command !== 'bind_transceiver') return false;
      session.send(pdu.response());
      session.send(deliverSm()); // sequence number 1 on every session
      return true;
    });
    await waitFor(() => sink.deliveries.length === 1, 2_000, 'the first deliver_sm');
    smsc.sessions[0]!.destroy();
    await waitFor(() => sink.deliveries.length === 2, 2_000, 'the deliver_sm of the second session');
    assert.equal(sink.deliveries[1]!.pdu.sequence_number, sink.deliveries[0]!.pdu.sequence_number);
    const answersOnSecond = () => smsc.received.filter((r) => r.session === 1 && r.pdu.command === 'deliver_sm_resp');

    sink.deliveries[0]!.respond(0); // the first session's: stored late, its session gone
    await sleep(150);
    assert.equal(answersOnSecond().length, 0, 'the first session’s answer must not acknowledge the second’s deliver_sm');

    sink.deliveries[1]!.respond(0);
    await waitFor(() => answersOnSecond().length === 1, 2_000, 'the second session’s own answer');
  });
});

describe('submits', () => {
  test('a window refused together (ESME_RTHROTTLED) pauses once per push-back: min, then twice min, not doubled per refused submit', async () => {
    let refuse = 20;
    const { smsc, sink, connection } = await setUp(
      (session, pdu) => {
        if (pdu.command !== 'submit_sm' || refuse === 0) return false;
        refuse--;
        session.send(pdu.response({ command_status: ESME_RTHROTTLED }));
        return true;
      },
      { window: 10, throttleBackoff: { minMs: 100, maxMs: 10_000 } },
    );
    await waitFor(() => bound(connection) === 1, 2_000, 'bound');
    const parts = Array.from({ length: 10 }, () => outboundPart());
    connection.enqueue(parts);
    await waitFor(() => sink.acked.length === 10, 3_000, 'all 10 accepted (a 10 s pause would miss this)');
    const times = submitsOf(smsc).map((r) => r.at);
    assert.equal(times.length, 30);
    const firstPause = times[10]! - times[9]!;
    const secondPause = times[20]! - times[19]!;
    assert.ok(firstPause >= 90 && firstPause < 1_000, `first pause ${firstPause} ms`);
    assert.ok(secondPause >= 190 && secondPause < 1_000, `second pause ${secondPause} ms`);
    assert.equal(connection.counters.throttled, 20);
    assert.deepEqual(parts.map((p) => p.attempts), parts.map(() => 1), 'a refused submit is not counted as sent');
    const order = (from: number) => submitsOf(smsc).slice(from, from + 10).map((r) => r.pdu.destination_addr);
    assert.deepEqual(order(10), order(0), 'the refused window is resent in its order');
    assert.deepEqual(order(20), order(0), 'and again');
  });

  test(`a part never answered ${MAX_UNANSWERED_SENDS} times in a row (the SMSC drops the bind on it) is given up, not resent forever`, async () => {
    const poison = '41799999999';
    const { smsc, sink, connection } = await setUp(
      (session, pdu) => {
        if (pdu.command !== 'submit_sm' || pdu.destination_addr !== poison) return false;
        session.destroy();
        return true;
      },
      { reconnect: { minMs: 20, maxMs: 40 } },
    );
    await waitFor(() => bound(connection) === 1, 2_000, 'bound');
    const part = outboundPart(undefined, poison);
    connection.enqueue([part]);
    await waitFor(() => sink.abandonedParts.length === 1, 3_000, 'the part given up');
    assert.equal(sink.abandonedParts[0], part);
    assert.equal(part.attempts, MAX_UNANSWERED_SENDS);
    assert.equal(connection.counters.abandoned, 1);
    await sleep(200);
    assert.equal(submitsOf(smsc).length, MAX_UNANSWERED_SENDS, 'not sent again');

    // The link itself is fine: the next part goes through.
    await waitFor(() => bound(connection) === 1, 2_000, 'bound again');
    connection.enqueue([outboundPart()]);
    await waitFor(() => sink.acked.length === 1, 2_000, 'the next part accepted');
  });

  test('validity_period is what is left of the part’s validity when it is sent, and the part’s fields stay as they were', async () => {
    let now = Date.UTC(2026, 0, 1);
    const { smsc, sink, connection } = await setUp(undefined, {}, () => now);
    await waitFor(() => bound(connection) === 1, 2_000, 'bound');
    const part = outboundPart(now + 3_600_000);
    now += 50 * 60_000; // 50 minutes in the queue
    connection.enqueue([part]);
    await waitFor(() => sink.acked.length === 1, 2_000, 'accepted');
    // The library resolves a relative time against the wall clock.
    const validity = submitsOf(smsc)[0]!.pdu.validity_period as Date;
    const left = validity.getTime() - Date.now();
    assert.ok(Math.abs(left - 10 * 60_000) < 5_000, `validity left at the SMSC: ${left} ms, expected 10 minutes`);
    assert.equal(part.fields.validity_period, relativeValidity(3_600_000));
  });
});

describe('choosing a link', () => {
  test('a link the SMSC unbinds (its socket left half open) is not chosen; the other link carries the traffic', async () => {
    let unbound = false;
    const { smsc, sink, connection } = await setUp(
      (session, pdu) => {
        // The gateway's own unbind (at the end of the test) is answered and closed.
        if (pdu.command !== 'unbind') return false;
        session.send(pdu.response(), undefined, () => session.close());
        return true;
      },
      { binds: 2, reconnect: { minMs: 5_000, maxMs: 5_000 } },
      Date.now,
      true,
    );
    await waitFor(() => bound(connection) === 2, 2_000, 'two binds');
    smsc.sessions[0]!.send(new smpp.PDU('unbind', {}), () => (unbound = true));
    await waitFor(() => unbound, 2_000, 'unbind answered');
    assert.equal(bound(connection), 1);
    connection.enqueue(Array.from({ length: 6 }, () => outboundPart()));
    await waitFor(() => sink.acked.length === 6, 700, 'all 6 accepted on the other link');
    assert.ok(submitsOf(smsc).every((r) => r.session === 1));
  });

  test('a link that looks bound but whose socket is gone (before its close event) is skipped for the next', async () => {
    const { smsc, sink, connection } = await setUp(undefined, { binds: 2, reconnect: { minMs: 5_000, maxMs: 5_000 } });
    await waitFor(() => bound(connection) === 2, 2_000, 'two binds');
    // White box: the socket of link 0 destroyed, its 'close' not yet emitted, so it still says bound.
    const links = (connection as unknown as { links: Array<SmppLink<OutboundPart>> }).links;
    (links[0] as unknown as { session: Session }).session.socket.destroy();
    assert.equal(links[0]!.state, 'bound');
    connection.enqueue(Array.from({ length: 4 }, () => outboundPart()));
    await waitFor(() => sink.acked.length === 4, 700, 'all 4 accepted on the other link');
    assert.equal(submitsOf(smsc).length, 4);
  });
});

/**
 * The simulated network per channel, and failover around it, as pure connectors: each step's
 * events and the step it schedules next. End-to-end behaviour (webhooks) is tested per channel
 * in test/channels/.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NetworkMessage, StepOutcome } from '../../src/network/connector.ts';
import { FailoverConnector } from '../../src/network/failover.ts';
import { SIMULATED_REPLY, Simulator } from '../../src/network/simulator.ts';
import { ERROR, STATUS } from '../../src/messaging/status-catalogue.ts';
import type { NetworkStep } from '../../src/store/schema.ts';

const simulator = new Simulator({ delayMs: 100, seenDelayMs: 1_000, price: 0.01, currency: 'EUR' });
const message = (destination: string, channel: string, extra: Partial<NetworkMessage> = {}): NetworkMessage => ({
  pk: 1,
  destination,
  parts: 1,
  validityMs: 60_000,
  sentAt: 0,
  mccMnc: null,
  channel,
  failoverLeft: 0,
  emailTracking: null,
  ...extra,
});

/** Runs a message through the connector from submit until no step is left; what happened, in order. */
function play(connector: { handle(step: NetworkStep, m: NetworkMessage, now: number): StepOutcome }, m: NetworkMessage) {
  const seen: Array<{ step: NetworkStep; at: number; outcome: StepOutcome }> = [];
  let next: StepOutcome['next'] = { step: 'submit', dueAt: 0 };
  while (next && seen.length < 20) {
    const outcome = connector.handle(next.step, m, next.dueAt);
    seen.push({ step: next.step, at: next.dueAt, outcome });
    next = outcome.failover ? null : outcome.next;
  }
  return seen;
}

const statuses = (run: ReturnType<typeof play>) => run.flatMap((s) => s.outcome.events.map((e) => [e.statusId, e.errorId, e.final]));
const engagements = (run: ReturnType<typeof play>) => run.flatMap((s) => (s.outcome.engagements ?? []).map((e) => [e.event, s.at, e.url]));

describe('simulated chat channels', () => {
  for (const channel of ['WHATSAPP', 'VIBER_BM', 'RCS']) {
    it(`${channel}: delivered, then SEEN after the seen delay`, () => {
      const run = play(simulator, message('41790002000', channel));
      assert.deepEqual(statuses(run), [[STATUS.DELIVERED_TO_HANDSET, ERROR.NO_ERROR, true]]);
      assert.deepEqual(engagements(run), [['SEEN', 1_100, null]]);
    });
  }
  it('…1010 is delivered and never seen; …1011 is seen and answered; …1012 is not a user of the channel', () => {
    assert.deepEqual(engagements(play(simulator, message('41790001010', 'WHATSAPP'))), []);
    const answered = play(simulator, message('41790001011', 'WHATSAPP'));
    assert.deepEqual(engagements(answered), [['SEEN', 1_100, null]]);
    assert.deepEqual(answered.at(-1)?.outcome.reply, { text: SIMULATED_REPLY, currency: 'EUR' });
    assert.equal(answered.at(-1)?.at, 2_100);
    assert.deepEqual(statuses(play(simulator, message('41790001012', 'RCS'))), [[STATUS.UNDELIVERABLE_NOT_DELIVERED, ERROR.EC_UNKNOWN_SUBSCRIBER, true]]);
  });
  it('the phone outcomes hold on chat channels, with no SEEN when not delivered', () => {
    const absent = play(simulator, message('41790001001', 'VIBER_BM'));
    assert.deepEqual(statuses(absent), [
      [STATUS.PENDING_WAITING_DELIVERY, ERROR.EC_ABSENT_SUBSCRIBER, false],
      [STATUS.DELIVERED_TO_HANDSET, ERROR.NO_ERROR, true],
    ]);
    assert.deepEqual(engagements(play(simulator, message('41790001002', 'WHATSAPP'))), []);
  });
  it('SMS has no engagements, and the chat-only numbers are plain deliveries there', () => {
    for (const digits of ['1010', '1011', '1012', '2000']) {
      const run = play(simulator, message(`4179000${digits}`, 'SMS'));
      assert.deepEqual(statuses(run), [[STATUS.DELIVERED_TO_HANDSET, ERROR.NO_ERROR, true]]);
      assert.equal(run.length, 2, 'submit and final, nothing after');
    }
  });
});

describe('simulated e-mail', () => {
  const tracked = { opens: true, clicks: true, link: 'https://shop.example/p/1' };
  it('a delivered e-mail is opened, then its link clicked, when both are tracked', () => {
    const run = play(simulator, message('ann@example.com', 'EMAIL', { emailTracking: tracked }));
    assert.deepEqual(statuses(run), [[STATUS.DELIVERED_TO_HANDSET, ERROR.NO_ERROR, true]]);
    assert.deepEqual(engagements(run), [
      ['OPEN', 1_100, null],
      ['CLICK', 2_100, 'https://shop.example/p/1'],
    ]);
  });
  it('only what is tracked happens: no opens, no clicks, no link', () => {
    assert.deepEqual(engagements(play(simulator, message('a@example.com', 'EMAIL', { emailTracking: { ...tracked, opens: false } }))).map((e) => e[0]), ['CLICK']);
    assert.deepEqual(engagements(play(simulator, message('a@example.com', 'EMAIL', { emailTracking: { ...tracked, link: null } }))).map((e) => e[0]), ['OPEN']);
    assert.deepEqual(engagements(play(simulator, message('a@example.com', 'EMAIL'))), []);
  });
  it('the magic local parts: bounce, deferred, complaint, noopen (any case)', () => {
    assert.deepEqual(statuses(play(simulator, message('Bounce@example.com', 'EMAIL', { emailTracking: tracked }))), [[STATUS.UNDELIVERABLE_NOT_DELIVERED, ERROR.EC_HARD_BOUNCE, true]]);
    assert.deepEqual(statuses(play(simulator, message('deferred@example.com', 'EMAIL'))), [
      [STATUS.PENDING_WAITING_DELIVERY, ERROR.EC_MAILBOX_TEMPORARY_UNAVAILABLE, false],
      [STATUS.DELIVERED_TO_HANDSET, ERROR.NO_ERROR, true],
    ]);
    assert.deepEqual(engagements(play(simulator, message('complaint@example.com', 'EMAIL', { emailTracking: tracked }))), [['COMPLAINT', 1_100, null]]);
    assert.deepEqual(engagements(play(simulator, message('noopen@example.com', 'EMAIL', { emailTracking: tracked }))), []);
  });
});

describe('failover connector', () => {
  const failover = new FailoverConnector(simulator);
  it('turns a channel that did not deliver into a failover step and submits the next channel at once', () => {
    const run = play(failover, message('41790001012', 'WHATSAPP', { failoverLeft: 1 }));
    const last = run.at(-1)!;
    assert.equal(last.outcome.failover, true);
    assert.deepEqual(last.outcome.next, { step: 'failover', dueAt: 100 });
    assert.deepEqual(
      last.outcome.events.map((e) => [e.statusId, e.final, e.failoverStep]),
      [[STATUS.UNDELIVERABLE_NOT_DELIVERED, false, true]],
    );
  });
  it('expiry fails over too; intermediate reports and deliveries pass through untouched', () => {
    const expired = play(failover, message('41790001003', 'WHATSAPP', { failoverLeft: 1 }));
    assert.equal(expired.at(-1)?.outcome.failover, true);
    assert.equal(expired[0].outcome.events[0].failoverStep, undefined, 'the intermediate report is not a step');
    const delivered = play(failover, message('41790002000', 'WHATSAPP', { failoverLeft: 1 }));
    assert.ok(delivered.every((s) => !s.outcome.failover));
    assert.deepEqual(engagements(delivered).map((e) => e[0]), ['SEEN']);
    const operator = play(failover, message('41790001005', 'WHATSAPP', { failoverLeft: 1 }));
    assert.ok(operator.every((s) => !s.outcome.failover), 'DELIVERED_TO_OPERATOR is delivered: no failover');
  });
  it('on the last channel a failure is the final report', () => {
    const run = play(failover, message('41790001002', 'SMS', { failoverLeft: 0 }));
    assert.deepEqual(statuses(run), [[STATUS.UNDELIVERABLE_NOT_DELIVERED, ERROR.EC_UNKNOWN_SUBSCRIBER, true]]);
  });
});

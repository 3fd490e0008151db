/**
 * Failover between channels, as a connector around another: when the channel being tried ends
 * without delivering and the message has failover channels left, that last report becomes a
 * failover step (recorded, pushed only to those who asked for failover reports) and the message
 * is submitted again on the next channel. The message's final report is the last channel's.
 */
import { statusById } from '../messaging/status-catalogue.ts';
import type { NetworkStep } from '../store/schema.ts';
import type { Connector, NetworkMessage, StepOutcome } from './connector.ts';

export class FailoverConnector implements Connector {
  constructor(private readonly inner: Connector) {}

  handle(step: NetworkStep, message: NetworkMessage, now: number): StepOutcome {
    const outcome = this.inner.handle(step, message, now);
    if (message.failoverLeft === 0) return outcome;
    const last = outcome.events.find((e) => e.final);
    if (!last || statusById(last.statusId).groupName === 'DELIVERED') return outcome;
    return {
      events: outcome.events.map((e) => (e === last ? { ...e, final: false, failoverStep: true } : e)),
      next: { step: 'failover', dueAt: now },
      failover: true,
    };
  }
}

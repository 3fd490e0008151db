/**
 * The simulated network: deterministic outcomes chosen by the last four digits of the
 * destination (the table is in the README). Intermediate reports happen at submit; the final
 * one after SIMULATOR_DELAY_MS, or at the end of the validity period for the expiring numbers.
 */
import { ERROR, STATUS } from '../messaging/status-catalogue.ts';
import type { NetworkStep } from '../store/schema.ts';
import type { Connector, ConnectorEvent, NetworkMessage, StepOutcome } from './connector.ts';

export interface SimulatorOptions {
  delayMs: number;
  price: number;
  currency: string;
}

interface Outcome {
  /** Reported at submit time (only pushed to messages that asked for intermediate reports). */
  intermediate?: [statusId: number, errorId: number];
  /** The last report; `atExpiry` means it comes when the validity period ends. */
  last: [statusId: number, errorId: number];
  atExpiry?: boolean;
}

const ABSENT: [number, number] = [STATUS.PENDING_WAITING_DELIVERY, ERROR.EC_ABSENT_SUBSCRIBER];
const DELIVERED: [number, number] = [STATUS.DELIVERED_TO_HANDSET, ERROR.NO_ERROR];

export const SIMULATED_OUTCOMES: Record<string, Outcome> = {
  '1001': { intermediate: ABSENT, last: DELIVERED },
  '1002': { last: [STATUS.UNDELIVERABLE_NOT_DELIVERED, ERROR.EC_UNKNOWN_SUBSCRIBER] },
  '1003': { intermediate: ABSENT, last: [STATUS.EXPIRED_EXPIRED, ERROR.EC_ABSENT_SUBSCRIBER], atExpiry: true },
  '1004': { last: [STATUS.REJECTED_NETWORK, ERROR.NO_ERROR] },
  '1005': { last: [STATUS.DELIVERED_TO_OPERATOR, ERROR.NO_ERROR] },
  '1006': { last: [STATUS.UNDELIVERABLE_REJECTED_OPERATOR, ERROR.EC_CALL_BARRED] },
  '1007': { last: [STATUS.EXPIRED_EXPIRED, ERROR.NO_ERROR], atExpiry: true },
};
const DEFAULT_OUTCOME: Outcome = { last: DELIVERED };

export function outcomeFor(destination: string): Outcome {
  return SIMULATED_OUTCOMES[destination.slice(-4)] ?? DEFAULT_OUTCOME;
}

export class Simulator implements Connector {
  constructor(private readonly options: SimulatorOptions) {}

  handle(step: NetworkStep, message: NetworkMessage, now: number): StepOutcome {
    const outcome = outcomeFor(message.destination);
    const event = ([statusId, errorId]: [number, number], final: boolean): ConnectorEvent => ({
      statusId,
      errorId,
      final,
      pricePerMessage: this.options.price,
      currency: this.options.currency,
    });
    if (step === 'submit') {
      const dueAt = outcome.atExpiry ? now + message.validityMs : now + this.options.delayMs;
      return {
        events: outcome.intermediate ? [event(outcome.intermediate, false)] : [],
        next: { step: outcome.atExpiry ? 'expire' : 'final', dueAt },
      };
    }
    return { events: [event(outcome.last, true)], next: null };
  }
}

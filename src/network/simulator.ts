/**
 * The simulated network: deterministic outcomes, documented in the README. Phone channels are
 * chosen by the last four digits of the destination, e-mail by the address's local part.
 * Intermediate reports happen at submit; the final one after SIMULATOR_DELAY_MS, or at the end of
 * the validity period for the expiring numbers. After delivery the channel's engagements follow,
 * each SIMULATOR_SEEN_DELAY_MS after the one before: SEEN on chat channels (and a reply for
 * one number), OPEN then CLICK (or a COMPLAINT) on e-mail, as far as the message tracks them.
 */
import { CHANNEL, CHAT_CHANNELS } from '../messaging/channels.ts';
import { ERROR, STATUS } from '../messaging/status-catalogue.ts';
import type { NetworkStep } from '../store/schema.ts';
import type { Connector, ConnectorEvent, NetworkMessage, StepOutcome } from './connector.ts';

export interface SimulatorOptions {
  delayMs: number;
  /** From delivery to SEEN / OPEN, and between one engagement and the next. */
  seenDelayMs: number;
  price: number;
  currency: string;
}

/** What happens after delivery, step by step (each after the simulator's seen delay). */
type AfterDelivery = NetworkStep[];

interface Outcome {
  /** Reported at submit time (only pushed to messages that asked for intermediate reports). */
  intermediate?: [statusId: number, errorId: number];
  /** The last report; `atExpiry` means it comes when the validity period ends. */
  last: [statusId: number, errorId: number];
  atExpiry?: boolean;
  /** Engagements after delivery; the channel's default when absent. */
  after?: AfterDelivery;
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

/** Chat channels (WhatsApp, Viber, RCS) only; on SMS these numbers are plain deliveries. */
export const CHAT_OUTCOMES: Record<string, Outcome> = {
  '1010': { last: DELIVERED, after: [] },
  '1011': { last: DELIVERED, after: ['seen', 'reply'] },
  '1012': { last: [STATUS.UNDELIVERABLE_NOT_DELIVERED, ERROR.EC_UNKNOWN_SUBSCRIBER] },
};

/** E-mail, by the recipient's local part (case-insensitive). */
export const EMAIL_OUTCOMES: Record<string, Outcome> = {
  bounce: { last: [STATUS.UNDELIVERABLE_NOT_DELIVERED, ERROR.EC_HARD_BOUNCE] },
  deferred: { intermediate: [STATUS.PENDING_WAITING_DELIVERY, ERROR.EC_MAILBOX_TEMPORARY_UNAVAILABLE], last: DELIVERED },
  complaint: { last: DELIVERED, after: ['complaint'] },
  noopen: { last: DELIVERED, after: [] },
};

export const SIMULATED_REPLY = 'Thanks!';

const DEFAULT_OUTCOME: Outcome = { last: DELIVERED };

export function outcomeFor(destination: string, channel: string = CHANNEL.SMS): Outcome {
  if (channel === CHANNEL.EMAIL) return EMAIL_OUTCOMES[destination.slice(0, destination.lastIndexOf('@')).toLowerCase()] ?? DEFAULT_OUTCOME;
  const digits = destination.slice(-4);
  return (CHAT_CHANNELS.has(channel) ? CHAT_OUTCOMES[digits] : undefined) ?? SIMULATED_OUTCOMES[digits] ?? DEFAULT_OUTCOME;
}

/** The engagements a delivered message goes through, given what its channel has and what it tracks. */
function afterDelivery(outcome: Outcome, message: NetworkMessage): AfterDelivery {
  if (message.channel === CHANNEL.EMAIL) {
    const tracking = message.emailTracking;
    const steps = outcome.after ?? ['open', 'click'];
    return steps.filter((s) => (s === 'open' ? tracking?.opens : s === 'click' ? tracking?.clicks && tracking.link : true));
  }
  if (CHAT_CHANNELS.has(message.channel)) return outcome.after ?? ['seen'];
  return [];
}

export class Simulator implements Connector {
  constructor(private readonly options: SimulatorOptions) {}

  handle(step: NetworkStep, message: NetworkMessage, now: number): StepOutcome {
    const outcome = outcomeFor(message.destination, message.channel);
    const event = ([statusId, errorId]: [number, number], final: boolean): ConnectorEvent => ({
      statusId,
      errorId,
      final,
      pricePerMessage: this.options.price,
      currency: this.options.currency,
    });
    if (step === 'submit' || step === 'failover') {
      const dueAt = outcome.atExpiry ? now + message.validityMs : now + this.options.delayMs;
      return {
        events: outcome.intermediate ? [event(outcome.intermediate, false)] : [],
        next: { step: outcome.atExpiry ? 'expire' : 'final', dueAt },
      };
    }
    const after = outcome.last[0] === STATUS.DELIVERED_TO_HANDSET ? afterDelivery(outcome, message) : [];
    const following = (current: NetworkStep | null): StepOutcome['next'] => {
      // A step not in the sequence (an older table, another connector's job) ends it rather than restarting it.
      const index = current === null ? 0 : after.includes(current) ? after.indexOf(current) + 1 : after.length;
      const nextStep = after[index];
      return nextStep ? { step: nextStep, dueAt: now + this.options.seenDelayMs } : null;
    };
    switch (step) {
      case 'final':
      case 'expire':
        return { events: [event(outcome.last, true)], next: following(null) };
      case 'seen':
        return { events: [], engagements: [{ event: 'SEEN', url: null }], next: following(step) };
      case 'open':
        return { events: [], engagements: [{ event: 'OPEN', url: null }], next: following(step) };
      case 'click':
        return { events: [], engagements: [{ event: 'CLICK', url: message.emailTracking?.link ?? null }], next: following(step) };
      case 'complaint':
        return { events: [], engagements: [{ event: 'COMPLAINT', url: null }], next: following(step) };
      case 'reply':
        return { events: [], reply: { text: SIMULATED_REPLY, currency: this.options.currency }, next: following(step) };
      case 'validity':
        // An external network's step (the SMPP router answers it); nothing the simulator promised.
        return { events: [], next: null };
    }
  }
}

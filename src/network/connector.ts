/**
 * The network behind Hookline. A connector is told about due work for a message (submit it;
 * a report it promised is due; its validity ran out; something it promised to happen after
 * delivery) and answers with what happened and the next step it wants scheduled. The network
 * worker keeps those steps in the database, so a restart loses none of them. The simulator is
 * the default connector; failover wraps a connector; the SMPP router sends what its routing table
 * says to an SMPP connection, whose receipts arrive later, out of band (network/smpp/).
 */
import type { Transaction } from 'kysely';
import type { Database, EngagementEvent, NetworkStep } from '../store/schema.ts';

export interface NetworkMessage {
  pk: number;
  destination: string;
  parts: number;
  validityMs: number;
  /** When the message was submitted to the network (null before its submit step). */
  sentAt: number | null;
  mccMnc: string | null;
  /** The channel being tried (SMS, WHATSAPP, VIBER_BM, RCS, EMAIL). */
  channel: string;
  /** How many failover channels are left after this one. */
  failoverLeft: number;
  /** Email only: whether opens and clicks are tracked, and the link a click would open. */
  emailTracking: EmailTracking | null;
}

/**
 * What an e-mail's stored options say is tracked (`options.emailTracking`): written by the e-mail
 * API (channels/email/outbound.ts), read by the network (email-tracking.ts). Here, with the
 * network, so that the network needs no channel module.
 */
export interface EmailTrackingOptions {
  opens: boolean;
  clicks: boolean;
}

export interface EmailTracking extends EmailTrackingOptions {
  link: string | null;
}

export interface ConnectorEvent {
  statusId: number;
  errorId: number;
  final: boolean;
  pricePerMessage: number;
  currency: string;
  /** This channel's last word when another channel is tried next: recorded, not the message's final report. */
  failoverStep?: boolean;
}

export interface StepOutcome {
  events: ConnectorEvent[];
  /** What the person did with the delivered message. */
  engagements?: { event: EngagementEvent; url: string | null }[];
  /** The person answered: an inbound message on the same channel, paired with this one. */
  reply?: { text: string; currency: string };
  next: { step: NetworkStep; dueAt: number } | null;
  /** The channel did not deliver: move the message to its next failover channel (`next`, a failover step, sends it there). */
  failover?: boolean;
  /** Sent on through an external network (an SMPP connection, by name): its reports arrive out of band. */
  handover?: { connection: string };
}

/**
 * Where handed-over messages go. Called in the network pass's transaction, so the hand-over is
 * committed with the step; returns what to do once it is (start sending).
 */
export interface ExternalNetwork {
  handOver(trx: Transaction<Database>, messages: Array<{ pk: number; connection: string }>, now: number): Promise<() => void>;
}

export interface Connector {
  handle(step: NetworkStep, message: NetworkMessage, now: number): StepOutcome;
}

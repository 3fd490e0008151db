/**
 * The network behind Hookline. A connector is told about due work for a message (submit it;
 * a report it promised is due; its validity ran out) and answers with the status events that
 * happened and the next step it wants scheduled. The network worker keeps those steps in the
 * database, so a restart loses none of them. The simulator is the default connector; SMPP
 * will implement the same interface per route.
 */
import type { NetworkStep } from '../store/schema.ts';

export interface NetworkMessage {
  pk: number;
  destination: string;
  parts: number;
  validityMs: number;
  /** When the message was submitted to the network (null before its submit step). */
  sentAt: number | null;
  mccMnc: string | null;
}

export interface ConnectorEvent {
  statusId: number;
  errorId: number;
  final: boolean;
  pricePerMessage: number;
  currency: string;
}

export interface StepOutcome {
  events: ConnectorEvent[];
  next: { step: NetworkStep; dueAt: number } | null;
}

export interface Connector {
  handle(step: NetworkStep, message: NetworkMessage, now: number): StepOutcome;
}

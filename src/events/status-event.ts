import type { EngagementEvent } from '../store/schema.ts';

/** What the network says about a message: one status change. Becomes one immutable report row. */
export interface StatusEvent {
  messagePk: number;
  statusId: number;
  errorId: number;
  /** The message's last report (final statuses, and DELIVERED_TO_OPERATOR when nothing follows). */
  final: boolean;
  doneAt: number;
  pricePerMessage: number;
  currency: string;
  mccMnc: string | null;
  /** The channel that produced it (SMS unless said otherwise). */
  channel?: string;
  /** It closed a failover step: the channel did not deliver and the next one is tried. */
  failoverStep?: boolean;
}

/** What a person did with a delivered message. Becomes one immutable engagement row. */
export interface EngagementEventInput {
  messagePk: number;
  event: EngagementEvent;
  occurredAt: number;
  url: string | null;
}

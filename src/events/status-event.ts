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
}

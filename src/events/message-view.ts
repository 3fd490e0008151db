import type { ApiFamily } from '../store/schema.ts';

/**
 * What every event's payload says about its message, whatever the event (a report, a SEEN, an
 * e-mail open): the columns of `messages as m` that report and engagement views both select.
 */
export const MESSAGE_VIEW_COLUMNS = [
  'm.message_id',
  'm.bulk_id',
  'm.family',
  'm.callback_data',
  'm.entity_id',
  'm.application_id',
  'm.campaign_reference_id',
  'm.sent_at',
  'm.created_at',
  'm.options',
] as const;

/** Those columns as a view has them; each event view adds its own, and the channel, sender and destination it names. */
export interface MessageView {
  message_id: string;
  bulk_id: string;
  family: ApiFamily;
  channel: string;
  destination: string;
  sender: string | null;
  callback_data: string | null;
  entity_id: string | null;
  application_id: string | null;
  campaign_reference_id: string | null;
  sent_at: number | null;
  created_at: number;
  /** The message's stored request options (JSON): channel content such as an e-mail's subject. */
  options: string | null;
}

/** Rows in the order of the ids asked for; ids whose row no longer exists are left out. */
export function inIdOrder<V>(ids: number[], rows: V[], idOf: (row: V) => number): V[] {
  const byId = new Map(rows.map((r) => [idOf(r), r]));
  return ids.map((id) => byId.get(id)).filter((r): r is V => r !== undefined);
}

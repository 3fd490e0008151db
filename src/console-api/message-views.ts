/**
 * Response bodies of the console's message routes. Times are Infobip's date-time format, statuses
 * and errors come from the one catalogue (errors in the v3 flavour, as in the Hookline API's
 * envelopes); fields without a value are null rather than absent, so every item has one shape.
 */
import { formatInfobipTime } from '../lib/infobip-time.ts';
import { errorObject, STATUS, statusObject, type ErrorObject, type StatusObject } from '../messaging/status-catalogue.ts';
import type { EngagementEntry, MessageDetailRow, MessageRow, ReportEntry } from './message-queries.ts';

const time = (ms: number | null): string | null => (ms === null ? null : formatInfobipTime(ms));

export function messageSummaryView(row: MessageRow) {
  return {
    messageId: row.message_id,
    bulkId: row.bulk_id,
    channel: row.channel,
    api: row.family,
    from: row.sender,
    to: row.destination,
    text: row.text,
    messageCount: row.parts,
    status: statusObject(row.status_id),
    error: errorObject(row.error_id, 'v3'),
    createdAt: time(row.created_at),
    sentAt: time(row.sent_at),
    doneAt: time(row.done_at),
    callbackData: row.callback_data,
  };
}

export type TimelineKind = 'ACCEPTED' | 'REPORT' | EngagementEntry['event'];

export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  final: boolean;
  channel: string;
  status: StatusObject | null;
  error: ErrorObject | null;
  price: { pricePerMessage: number; currency: string } | null;
  failoverStep: boolean;
  url: string | null;
}

/**
 * What happened to a message, in time order: accepted (its created_at, PENDING_ACCEPTED, on the
 * channel it was first sent on — the first report's, since a failover moves the message on), its
 * reports, and what people did with it. At one instant a report comes before an engagement (a
 * message is delivered before it is seen), and each kind keeps its recorded (id) order.
 */
export function timelineView(message: MessageRow, reports: readonly ReportEntry[], engagements: readonly EngagementEntry[]): TimelineEntry[] {
  const accepted = {
    at: message.created_at,
    rank: 0,
    id: 0,
    entry: {
      kind: 'ACCEPTED' as const,
      final: false,
      channel: reports[0]?.channel ?? message.channel,
      status: statusObject(STATUS.PENDING_ACCEPTED),
      error: null,
      price: null,
      failoverStep: false,
      url: null,
    },
  };
  const fromReports = reports.map((r) => ({
    at: r.done_at,
    rank: 1,
    id: r.id,
    entry: {
      kind: 'REPORT' as const,
      final: r.final === 1,
      channel: r.channel,
      status: statusObject(r.status_id),
      error: errorObject(r.error_id, 'v3'),
      price: { pricePerMessage: r.price_per_message, currency: r.currency },
      failoverStep: r.failover_step === 1,
      url: null,
    },
  }));
  const fromEngagements = engagements.map((e) => ({
    at: e.occurred_at,
    rank: 2,
    id: e.id,
    entry: { kind: e.event, final: false, channel: message.channel, status: null, error: null, price: null, failoverStep: false, url: e.url },
  }));
  return [accepted, ...fromReports, ...fromEngagements]
    .sort((a, b) => a.at - b.at || a.rank - b.rank || a.id - b.id)
    .map(({ at, entry }) => ({ at: formatInfobipTime(at), ...entry }));
}

export function messageDetailView(row: MessageDetailRow, reports: readonly ReportEntry[], engagements: readonly EngagementEntry[]) {
  return {
    message: { ...messageSummaryView(row), notifyUrl: row.notify_url, validityPeriodMs: row.validity_ms },
    timeline: timelineView(row, reports, engagements),
  };
}

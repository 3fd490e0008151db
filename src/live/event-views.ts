/**
 * The `data` of the live stream's events. Times are Infobip date-time strings, statuses and errors
 * come from the one catalogue (errors in the v3 flavour, as in the Hookline API), targets as the
 * attempt log shows them; fields without a value are null rather than absent.
 */
import { formatInfobipTime } from '../lib/infobip-time.ts';
import { errorObject, statusObject } from '../messaging/status-catalogue.ts';
import type { DeliveryState } from '../store/schema.ts';
import { targetView } from '../webhooks/targets.ts';

export interface ReportEventRow {
  id: number | string;
  message_id: string;
  bulk_id: string;
  channel: string;
  destination: string;
  final: number;
  status_id: number;
  error_id: number;
  done_at: number | string;
}

export interface AttemptEventRow {
  id: number | string;
  delivery_id: string;
  attempt: number | string;
  started_at: number | string;
  duration_ms: number | string;
  target_url: string;
  status_code: number | null;
  error_class: string | null;
  error: string | null;
  delivery_state: DeliveryState;
}

/** `event: report`: one report recorded for one of the account's messages. */
export function reportEventData(r: ReportEventRow) {
  return {
    reportId: Number(r.id),
    messageId: r.message_id,
    bulkId: r.bulk_id,
    channel: r.channel,
    to: r.destination,
    final: Number(r.final) === 1,
    status: statusObject(Number(r.status_id)),
    error: errorObject(Number(r.error_id), 'v3'),
    doneAt: formatInfobipTime(Number(r.done_at)),
  };
}

/** `event: attempt`: one webhook attempt, with its delivery's state now and the messages whose events it carried. */
export function attemptEventData(a: AttemptEventRow, messageIds: readonly string[]) {
  return {
    attemptId: Number(a.id),
    deliveryId: a.delivery_id,
    attempt: Number(a.attempt),
    startedAt: formatInfobipTime(Number(a.started_at)),
    durationMs: Number(a.duration_ms),
    target: targetView(a.target_url),
    statusCode: a.status_code ?? null,
    errorClass: a.error_class ?? null,
    error: a.error ?? null,
    deliveryState: a.delivery_state,
    messageIds: [...messageIds],
  };
}

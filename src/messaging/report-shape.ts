/**
 * The SMS report item in Infobip's two shapes. One function per shape, used by webhook
 * bodies, the pull endpoints and logs alike, so a field is named in exactly one place.
 *  v2 (SmsReport): from, smsCount, flat entityId/applicationId, error group "Ok".
 *  v3 (DeliveryReport): sender, messageCount, platform{entityId, applicationId}.
 */
import { sql, type Kysely } from 'kysely';
import { inIdOrder, MESSAGE_VIEW_COLUMNS, type MessageView } from '../events/message-view.ts';
import { formatInfobipTime } from '../lib/infobip-time.ts';
import { optional, platformOf, sentAtOf, viewsById } from '../lib/payload.ts';
import type { Database } from '../store/schema.ts';
import { errorObject, statusObject } from './status-catalogue.ts';

/** A report joined with the message it is about. */
export interface ReportView extends MessageView {
  report_id: number;
  status_id: number;
  error_id: number;
  price_per_message: number;
  currency: string;
  mcc_mnc: string | null;
  done_at: number;
  parts: number;
  /** The channel that produced the report (`channel`), and whether it closed a failover step. */
  failover_step: number;
}

export type ReportShape = 'v2' | 'v3';

export function toV2Report(r: ReportView): Record<string, unknown> {
  return {
    bulkId: r.bulk_id,
    messageId: r.message_id,
    to: r.destination,
    ...optional('from', r.sender),
    sentAt: sentAtOf(r),
    doneAt: formatInfobipTime(Number(r.done_at)),
    smsCount: r.parts,
    ...optional('mccMnc', r.mcc_mnc),
    ...optional('callbackData', r.callback_data),
    price: { pricePerMessage: r.price_per_message, currency: r.currency },
    status: statusObject(r.status_id),
    error: errorObject(r.error_id, 'v2'),
    ...optional('entityId', r.entity_id),
    ...optional('applicationId', r.application_id),
    ...optional('campaignReferenceId', r.campaign_reference_id),
  };
}

/** A report's price, status and error as every v3-style report has them (SMS v3, WhatsApp, Email). */
export function v3Outcome(r: ReportView) {
  return {
    price: { pricePerMessage: Number(r.price_per_message), currency: r.currency },
    status: statusObject(r.status_id),
    error: errorObject(r.error_id, 'v3'),
  };
}

export function toV3Report(r: ReportView): Record<string, unknown> {
  return {
    bulkId: r.bulk_id,
    ...v3Outcome(r),
    messageId: r.message_id,
    to: r.destination,
    ...optional('sender', r.sender),
    sentAt: sentAtOf(r),
    doneAt: formatInfobipTime(Number(r.done_at)),
    messageCount: r.parts,
    ...optional('mccMnc', r.mcc_mnc),
    ...optional('callbackData', r.callback_data),
    ...platformOf(r),
    ...optional('campaignReferenceId', r.campaign_reference_id),
  };
}

export const renderReport = (shape: ReportShape, r: ReportView) => (shape === 'v2' ? toV2Report(r) : toV3Report(r));

/** XML roots: v2 reports are wrapped in <reportResponse>, v3 in <DeliveryReports>. */
export const REPORT_XML_ROOT: Record<ReportShape, string> = { v2: 'reportResponse', v3: 'DeliveryReports' };

/** Loads report views by report id, in the order given. */
export async function loadReportViews(db: Kysely<Database>, reportIds: number[]): Promise<ReportView[]> {
  if (reportIds.length === 0) return [];
  const rows = await db
    .selectFrom('reports as r')
    .innerJoin('messages as m', 'm.pk', 'r.message_pk')
    .select([
      'r.id as report_id',
      'r.status_id',
      'r.error_id',
      'r.price_per_message',
      'r.currency',
      'r.mcc_mnc',
      'r.done_at',
      'r.channel',
      'r.failover_step',
      // A failover step's report names its own channel's sender, destination and count.
      sql<string>`coalesce(r.destination, m.destination)`.as('destination'),
      sql<string | null>`coalesce(r.sender, m.sender)`.as('sender'),
      sql<number>`coalesce(r.parts, m.parts)`.as('parts'),
      ...MESSAGE_VIEW_COLUMNS,
    ])
    .where('r.id', 'in', reportIds)
    .execute();
  return inIdOrder(reportIds, rows as ReportView[], (r) => Number(r.report_id));
}

/** Report views by report id: the `load` of every delivery report payload family. */
export const loadReportsById = viewsById(loadReportViews, (v) => v.report_id);

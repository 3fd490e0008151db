/**
 * The SMS report item in Infobip's two shapes. One function per shape, used by webhook
 * bodies, the pull endpoints and logs alike, so a field is named in exactly one place.
 *  v2 (SmsReport): from, smsCount, flat entityId/applicationId, error group "Ok".
 *  v3 (DeliveryReport): sender, messageCount, platform{entityId, applicationId}.
 */
import { sql, type Kysely } from 'kysely';
import { formatInfobipTime } from '../lib/infobip-time.ts';
import type { ApiFamily, Database } from '../store/schema.ts';
import { errorObject, statusObject } from './status-catalogue.ts';

/** A report joined with the message it is about. */
export interface ReportView {
  report_id: number;
  status_id: number;
  error_id: number;
  price_per_message: number;
  currency: string;
  mcc_mnc: string | null;
  done_at: number;
  message_id: string;
  bulk_id: string;
  destination: string;
  sender: string | null;
  parts: number;
  callback_data: string | null;
  entity_id: string | null;
  application_id: string | null;
  campaign_reference_id: string | null;
  sent_at: number | null;
  created_at: number;
  /** The channel that produced the report, and whether it closed a failover step. */
  channel: string;
  failover_step: number;
  family: ApiFamily;
  /** The message's stored request options (JSON): channel content such as an email's subject. */
  options: string | null;
}

export type ReportShape = 'v2' | 'v3';

const optional = <T>(key: string, value: T | null | undefined) => (value === null || value === undefined ? {} : { [key]: value });

export function toV2Report(r: ReportView): Record<string, unknown> {
  return {
    bulkId: r.bulk_id,
    messageId: r.message_id,
    to: r.destination,
    ...optional('from', r.sender),
    sentAt: formatInfobipTime(Number(r.sent_at ?? r.created_at)),
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

export function toV3Report(r: ReportView): Record<string, unknown> {
  const platform = r.entity_id || r.application_id ? { platform: { ...optional('entityId', r.entity_id), ...optional('applicationId', r.application_id) } } : {};
  return {
    bulkId: r.bulk_id,
    price: { pricePerMessage: r.price_per_message, currency: r.currency },
    status: statusObject(r.status_id),
    error: errorObject(r.error_id, 'v3'),
    messageId: r.message_id,
    to: r.destination,
    ...optional('sender', r.sender),
    sentAt: formatInfobipTime(Number(r.sent_at ?? r.created_at)),
    doneAt: formatInfobipTime(Number(r.done_at)),
    messageCount: r.parts,
    ...optional('mccMnc', r.mcc_mnc),
    ...optional('callbackData', r.callback_data),
    ...platform,
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
      'm.message_id',
      'm.bulk_id',
      // A failover step's report names its own channel's sender, destination and count.
      sql<string>`coalesce(r.destination, m.destination)`.as('destination'),
      sql<string | null>`coalesce(r.sender, m.sender)`.as('sender'),
      sql<number>`coalesce(r.parts, m.parts)`.as('parts'),
      'm.callback_data',
      'm.entity_id',
      'm.application_id',
      'm.campaign_reference_id',
      'm.sent_at',
      'm.created_at',
      'r.channel',
      'r.failover_step',
      'm.family',
      'm.options',
    ])
    .where('r.id', 'in', reportIds)
    .execute();
  const byId = new Map(rows.map((r) => [Number(r.report_id), r as ReportView]));
  return reportIds.map((id) => byId.get(id)).filter((r): r is ReportView => r !== undefined);
}

/**
 * A delivery's body: the reports it carries, in order, in the shape of the API family that
 * sent the messages and the content type the message asked for. Rendered once, when the
 * delivery is formed, then frozen: every retry and replay sends these exact bytes.
 */
import { toXml } from '../lib/xml.ts';
import { REPORT_XML_ROOT, renderReport, type ReportShape, type ReportView } from '../messaging/report-shape.ts';
import type { ApiFamily } from '../store/schema.ts';

const SHAPE: Record<ApiFamily, ReportShape> = { 'sms-v2': 'v2', 'sms-v3': 'v3' };

export function renderDeliveryBody(family: ApiFamily, contentType: string, reports: ReportView[]): string {
  const shape = SHAPE[family];
  const results = reports.map((r) => renderReport(shape, r));
  return contentType === 'application/xml' ? toXml(REPORT_XML_ROOT[shape], { results }) : JSON.stringify({ results });
}

/**
 * A delivery's body: the events it carries, in order, in the payload shape of their family and
 * the content type asked for. Rendered once, when the delivery is formed, then frozen: every
 * retry and replay sends these exact bytes.
 *
 * Each payload family says how to load its events by id and render a list of them: delivery
 * reports in the shape of the API that sent the message (v2/v3), and more kinds as they come
 * (inbound messages, clicks). The outbox's `report_id` is the event's id within its family.
 */
import type { Kysely } from 'kysely';
import { CLICK_PAYLOAD } from '../clicks/click-shape.ts';
import { EMAIL_REPORT_PAYLOAD, EMAIL_TRACKING_PAYLOAD } from '../channels/email/shapes.ts';
import { MESSAGES_API_DELIVERY_PAYLOAD, MESSAGES_API_MO_PAYLOAD, MESSAGES_API_SEEN_PAYLOAD } from '../channels/messages-api/shapes.ts';
import { WHATSAPP_MO_PAYLOAD, WHATSAPP_REPORT_PAYLOAD, WHATSAPP_SEEN_PAYLOAD } from '../channels/whatsapp/shapes.ts';
import { MO_PAYLOAD } from '../inbound/mo-shape.ts';
import { resultsPayload } from '../lib/payload.ts';
import { loadReportsById, REPORT_XML_ROOT, renderReport, type ReportShape, type ReportView } from '../messaging/report-shape.ts';
import type { Database, PayloadFamily } from '../store/schema.ts';

export interface PayloadKind {
  /** The events with these ids, by id (ids that no longer exist are simply absent). */
  load(db: Kysely<Database>, ids: number[]): Promise<Map<number, unknown>>;
  render(contentType: string, events: unknown[]): string;
  /** Most events one delivery may carry, whatever the bucket size (1 for single-object payloads such as CLICK). */
  maxPerDelivery?: number;
}

const reportPayload = (shape: ReportShape): PayloadKind => resultsPayload(loadReportsById, REPORT_XML_ROOT[shape], (r: ReportView) => renderReport(shape, r));

export const PAYLOADS: Record<PayloadFamily, PayloadKind> = {
  'sms-v2': reportPayload('v2'),
  'sms-v3': reportPayload('v3'),
  'sms-mo': MO_PAYLOAD,
  'sms-click': CLICK_PAYLOAD,
  email: EMAIL_REPORT_PAYLOAD,
  'email-tracking': EMAIL_TRACKING_PAYLOAD,
  whatsapp: WHATSAPP_REPORT_PAYLOAD,
  'whatsapp-seen': WHATSAPP_SEEN_PAYLOAD,
  'whatsapp-mo': WHATSAPP_MO_PAYLOAD,
  'messages-api': MESSAGES_API_DELIVERY_PAYLOAD,
  'messages-api-seen': MESSAGES_API_SEEN_PAYLOAD,
  'messages-api-mo': MESSAGES_API_MO_PAYLOAD,
};

export const renderDeliveryBody = (family: PayloadFamily, contentType: string, events: unknown[]): string => PAYLOADS[family].render(contentType, events);

/**
 * The CLICK event (Infobip's `UrlTrackingWebhook`, webhook `receive-sms-tracking-notification`):
 * ONE object per request, not wrapped in `results[]`, whichever API sent the message.
 *
 *   { notificationType: "CLICKED", recipient, url, sendDateTime (epoch ms of the click),
 *     messageId, bulkId, callbackData?, recipientInfo{deviceType?, os?, deviceName?},
 *     applicationId?, entityId? }
 *
 * `geoLocationInfo` is left out: Hookline has no geolocation data (no GeoIP database), and a
 * missing field is better than an invented country or city.
 */
import { inIdOrder } from '../events/message-view.ts';
import type { Kysely } from 'kysely';
import { optional, serialize, viewsById } from '../lib/payload.ts';
import type { Database } from '../store/schema.ts';
import type { PayloadKind } from '../webhooks/render.ts';
import { recipientInfoOf } from './device.ts';

/** A click joined with its link and message. */
export interface ClickView {
  click_id: number;
  clicked_at: number;
  user_agent: string | null;
  url: string;
  destination: string;
  message_id: string;
  bulk_id: string;
  callback_data: string | null;
  application_id: string | null;
  entity_id: string | null;
}

/** Root element when a profile asks for XML (the spec's schema title; Infobip documents JSON only). */
export const CLICK_XML_ROOT = 'UrlTrackingWebhook';

export function toClickEvent(c: ClickView): Record<string, unknown> {
  return {
    notificationType: 'CLICKED',
    recipient: c.destination,
    url: c.url,
    sendDateTime: Number(c.clicked_at),
    messageId: c.message_id,
    bulkId: c.bulk_id,
    ...optional('callbackData', c.callback_data),
    recipientInfo: recipientInfoOf(c.user_agent),
    // geoLocationInfo: omitted on purpose, see the file comment.
    ...optional('applicationId', c.application_id),
    ...optional('entityId', c.entity_id),
  };
}

export function renderClick(contentType: string, c: ClickView): string {
  return serialize(contentType, CLICK_XML_ROOT, toClickEvent(c));
}

/** Loads click views by click id, in the order given (clicks whose message is gone are absent). */
export async function loadClickViews(db: Kysely<Database>, clickIds: number[]): Promise<ClickView[]> {
  if (clickIds.length === 0) return [];
  const rows = await db
    .selectFrom('clicks as c')
    .innerJoin('short_links as l', 'l.code', 'c.code')
    .innerJoin('messages as m', 'm.pk', 'c.message_pk')
    .select([
      'c.id as click_id',
      'c.clicked_at',
      'c.user_agent',
      'l.url',
      'm.destination',
      'm.message_id',
      'm.bulk_id',
      'm.callback_data',
      'm.application_id',
      'm.entity_id',
    ])
    .where('c.id', 'in', clickIds)
    .execute();
  return inIdOrder(clickIds, rows as ClickView[], (c) => Number(c.click_id));
}

/**
 * The `sms-click` payload family. A CLICK request carries exactly one click, so at most one
 * event may be put in a delivery (`maxPerDelivery`); render() renders the first it is given.
 */
export const CLICK_PAYLOAD: PayloadKind = {
  maxPerDelivery: 1,
  load: viewsById(loadClickViews, (c) => c.click_id),
  render(contentType, events) {
    // Never called without an event: the outbox forms no delivery for events that vanished.
    const [click] = events as ClickView[];
    return renderClick(contentType, click);
  },
};

import { randomUUID } from 'node:crypto';

/** Message ids and bulk ids, in the shape Infobip generates (UUID-like strings). */
export const newMessageId = (): string => randomUUID();
export const newBulkId = (): string => randomUUID();
/** Delivery ids double as the `webhook-id` header: stable across retries and replays. */
export const newDeliveryId = (): string => `whd_${randomUUID().replaceAll('-', '')}`;

/**
 * What the network needs to know about an e-mail to play its engagements: whether opens and
 * clicks are tracked (the request's `track`, `trackOpens`, `trackClicks`, stored in its options
 * by the e-mail intake) and the link a click opens (the first http(s) link of its HTML, else text).
 */
import type { Kysely } from 'kysely';
import { chunkRows, type DialectProfile } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import type { EmailTracking, EmailTrackingOptions } from './connector.ts';

const LINK = /https?:\/\/[^\s"'<>]+/;

export async function emailTrackingOf(db: Kysely<Database>, profile: DialectProfile, pks: number[]): Promise<Map<number, EmailTracking>> {
  const found = new Map<number, EmailTracking>();
  for (const chunk of chunkRows(pks.map((pk) => ({ pk })), profile)) {
    const rows = await db.selectFrom('messages').select(['pk', 'text', 'options']).where('pk', 'in', chunk.map((c) => c.pk)).execute();
    for (const row of rows) {
      const options = (row.options ? JSON.parse(row.options) : {}) as { emailTracking?: Partial<EmailTrackingOptions>; html?: string };
      const link = LINK.exec(options.html ?? '')?.[0] ?? LINK.exec(row.text)?.[0] ?? null;
      found.set(row.pk, { opens: options.emailTracking?.opens === true, clicks: options.emailTracking?.clicks === true, link });
    }
  }
  return found;
}

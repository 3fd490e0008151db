/**
 * Concatenated inbound SMS put back together: each part is stored (smpp_inbound_parts) until all
 * of its message's parts are there, then the message's text is returned once.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../../store/schema.ts';

/** Messages put together per call of completedElsewhere. */
const COMPLETED_BATCH = 1_000;

/**
 * How long the parts of one concatenated inbound message may take to arrive, and how long a
 * complete message's parts are remembered. Handsets reuse their 8-bit references, so an older
 * part must not complete a later message with the same reference, and a part the SMSC sends again
 * after its message was complete (its deliver_sm_resp lost) must not start a new one.
 */
const CONCAT_WINDOW_MS = 10 * 60_000;

export type InboundKey = { connection: string; source: string; destination: string; reference: number; total: number };

const partsOf = (trx: Transaction<Database>, key: InboundKey) =>
  trx
    .selectFrom('smpp_inbound_parts')
    .where('connection', '=', key.connection)
    .where('source', '=', key.source)
    .where('destination', '=', key.destination)
    .where('reference', '=', key.reference)
    .where('total', '=', key.total);

/** The same part of a message completed lately: the SMSC sending it again. */
export async function alreadyCompleted(trx: Transaction<Database>, key: InboundKey, seq: number, text: string, now: number): Promise<boolean> {
  const row = await partsOf(trx, key).select('id').where('seq', '=', seq).where('text', '=', text).where('completed_at', '>=', now - CONCAT_WINDOW_MS).executeTakeFirst();
  return row !== undefined;
}

/** The whole text once every part of the message is stored (its parts then marked completed), else null. Stale parts are dropped. */
export async function takeWhole(trx: Transaction<Database>, key: InboundKey, now: number): Promise<string | null> {
  const rows = await partsOf(trx, key).select(['id', 'seq', 'text', 'received_at']).where('completed_at', 'is', null).orderBy('id').execute();
  const stale = new Set(rows.filter((r) => Number(r.received_at) < now - CONCAT_WINDOW_MS).map((r) => r.id));
  if (stale.size) await trx.deleteFrom('smpp_inbound_parts').where('id', 'in', [...stale]).execute();
  const fresh = rows.filter((r) => !stale.has(r.id));
  const bySeq = new Map<number, string>();
  for (const row of fresh) if (!bySeq.has(row.seq)) bySeq.set(row.seq, row.text); // a part sent twice counts once
  if (bySeq.size < key.total) return null;
  await trx.updateTable('smpp_inbound_parts').set({ completed_at: now }).where('id', 'in', fresh.map((r) => r.id)).execute();
  return [...bySeq.entries()].sort(([a], [b]) => a - b).map(([, text]) => text).join('');
}

/** Concatenated messages whose parts are all stored but were never put together (see storeInbound). */
export async function completedElsewhere(trx: Transaction<Database>, now: number): Promise<Array<{ connection: string; from: string; to: string; text: string; parts: number; receivedAt: number }>> {
  const groups = await trx
    .selectFrom('smpp_inbound_parts')
    .select(['connection', 'source', 'destination', 'reference', 'total', (eb) => eb.fn.max('received_at').as('last')])
    .where('received_at', '>=', now - CONCAT_WINDOW_MS)
    .where('completed_at', 'is', null)
    .groupBy(['connection', 'source', 'destination', 'reference', 'total'])
    .having(sql`count(distinct seq)`, '>=', sql.ref('total'))
    .limit(COMPLETED_BATCH)
    .execute();
  const whole = [];
  for (const group of groups) {
    const text = await takeWhole(trx, group, now);
    if (text !== null) whole.push({ connection: group.connection, from: group.source, to: group.destination, text, parts: group.total, receivedAt: Number(group.last) });
  }
  return whole;
}

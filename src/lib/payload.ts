/**
 * What every Infobip-shaped body is built with, whichever API or channel it belongs to: fields
 * left out when they have no value, the report times and the CPaaS X `platform` object as all
 * v3-style payloads carry them, a body as JSON or Infobip's XML, and a payload family's events
 * loaded by id. One copy each, so a wire rule (e.g. "absent, never null") changes in one place.
 *
 * Only leaf imports here (time format, XML, types): reports, engagements, inbound messages and
 * requests all build on this module, so it may depend on none of them.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { formatInfobipTime } from './infobip-time.ts';
import { toXml } from './xml.ts';

/** `{[key]: value}` to spread into a body, or nothing: Infobip leaves out fields it has no value for, never sends null. */
export const optional = <T>(key: string, value: T | null | undefined): Record<string, T> => (value === null || value === undefined ? {} : { [key]: value });

/** The entries that were given, or null when none was: a draft's stored options keep only what the request said. */
export function compact(fields: Record<string, unknown>): Record<string, unknown> | null {
  const kept = Object.entries(fields).filter(([, v]) => v !== undefined);
  return kept.length ? Object.fromEntries(kept) : null;
}

/** A report's `sentAt`: when the message was sent or, not sent yet (expired, rejected), when it was accepted. */
export const sentAtOf = (v: { sent_at: number | null; created_at: number }): string => formatInfobipTime(Number(v.sent_at ?? v.created_at));

/** The message's ids as the CPaaS X `platform {entityId, applicationId}` object, or nothing when it has neither. */
export const platformOf = (v: { entity_id: string | null; application_id: string | null }): { platform?: Record<string, string> } =>
  v.entity_id || v.application_id ? { platform: { ...optional('entityId', v.entity_id), ...optional('applicationId', v.application_id) } } : {};

/** A body as JSON, or as Infobip's XML under `root` (`itemNames`: the item element of some arrays, see lib/xml.ts). */
export function serialize(contentType: string, root: string, body: object, itemNames?: Record<string, string>): string {
  return contentType === 'application/xml' ? toXml(root, body, itemNames) : JSON.stringify(body);
}

/** Loads views by id, in the order given, leaving out ids that no longer exist. */
export type ViewLoader<V> = (db: Kysely<Database>, ids: number[]) => Promise<V[]>;
/** The same views keyed by their event id: a webhooks/render.ts PayloadKind's `load`. */
export type ViewsById<V> = (db: Kysely<Database>, ids: number[]) => Promise<Map<number, V>>;

export function viewsById<V>(load: ViewLoader<V>, idOf: (view: V) => number | string): ViewsById<V> {
  return async (db, ids) => new Map((await load(db, ids)).map((v) => [Number(idOf(v)), v]));
}

/**
 * A payload family whose body is `{results: [one item per event]}`, the shape of most of Infobip's
 * webhooks; structurally a webhooks/render.ts PayloadKind (lib/ imports nothing of webhooks/).
 */
export function resultsPayload<V>(load: ViewsById<V>, xmlRoot: string, toItem: (view: V) => object, itemNames?: Record<string, string>) {
  return {
    load,
    render: (contentType: string, events: unknown[]): string => serialize(contentType, xmlRoot, { results: (events as V[]).map(toItem) }, itemNames),
  };
}

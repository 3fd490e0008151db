/**
 * Infobip's XML shape: the root element is named after the schema, and every array is a
 * wrapper element holding one child per item (results → result, messages → message).
 */
import { XMLBuilder } from 'fast-xml-parser';

const ITEM_NAMES: Record<string, string> = {
  results: 'result',
  messages: 'message',
  violations: 'violation',
  resources: 'resource',
  destinations: 'destination',
  previews: 'previews', // sic: Infobip's preview example nests <previews><previews>
};

const builder = new XMLBuilder({ suppressEmptyNode: true, processEntities: true });

function wrapArrays(value: unknown, names: Record<string, string>, key?: string): unknown {
  if (Array.isArray(value)) {
    const item = names[key ?? ''] ?? 'item';
    return { [item]: value.map((v) => wrapArrays(v, names, item)) };
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = wrapArrays(v, names, k);
    return out;
  }
  return value;
}

/** `itemNames` overrides the item element of some arrays (the Messages API nests `<results><results>`). */
export function toXml(root: string, value: object, itemNames: Record<string, string> = {}): string {
  return '<?xml version="1.0" encoding="UTF-8"?>' + builder.build({ [root]: wrapArrays(value, { ...ITEM_NAMES, ...itemNames }) });
}

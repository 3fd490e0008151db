/** How values are shown: one place, so every screen says a time or a target the same way. */
import type { TargetRef } from './types.ts';

/** Infobip's date-time (`2026-11-27T18:14:28.000+0000`) as milliseconds; NaN when unreadable. */
export const parseInfobipTime = (value: string): number => Date.parse(value.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));

/** Infobip's date-time in the browser's local time. */
export function formatTime(value: string | null | undefined): string {
  if (!value) return '—';
  const ms = parseInfobipTime(value);
  return Number.isNaN(ms) ? value : new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** Infobip's date-time format, for query parameters. */
export function toInfobipTime(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

/** A datetime-local input's value (local time) as Infobip's date-time; '' stays ''. */
export function localInputToInfobip(value: string): string {
  return value ? toInfobipTime(new Date(value)) : '';
}

export const targetLabel = (target: TargetRef): string => ('url' in target ? target.url : `profile ${target.profileId}`);

/** The CSS tone of a status group: green for delivered, red for failures, grey for the rest. */
export function statusTone(groupName: string | undefined): 'ok' | 'bad' | 'wait' {
  if (groupName === 'DELIVERED') return 'ok';
  if (groupName === 'UNDELIVERABLE' || groupName === 'EXPIRED' || groupName === 'REJECTED') return 'bad';
  return 'wait';
}


export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

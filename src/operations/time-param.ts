/**
 * Date-times in the operations API's requests (the attempt log's `from`/`to`, a recovery's range):
 * one schema description and one parser, so every route accepts, documents and refuses them alike.
 */
import { Type } from '@sinclair/typebox';
import { badRequest } from '../http/errors.ts';
import { parseInfobipTime } from '../lib/infobip-time.ts';

const TIME_FORMAT = 'An ISO 8601 date-time with an offset, e.g. 2026-01-01T00:00:00.000+0000 or 2026-01-01T00:00:00Z.';

/** The schema of a date-time parameter; `what` says what it selects. */
export const timeField = (what: string) => Type.String({ minLength: 1, maxLength: 64, description: `${what} ${TIME_FORMAT}` });

/** Epoch ms of a date-time parameter; 400 naming `property` if it is not one. */
export function parseTimeParam(text: string, property: string): number {
  const ms = parseInfobipTime(text);
  if (Number.isNaN(ms)) throw badRequest([{ property, violation: `is not a date-time (${TIME_FORMAT})` }]);
  return ms;
}

/** As parseTimeParam, for an optional parameter: undefined stays undefined. */
export const optionalTime = (text: string | undefined, property: string): number | undefined => (text === undefined ? undefined : parseTimeParam(text, property));

/**
 * What Infobip accepts as a destination: an international number (country code first),
 * optionally written with a leading + or 00. Anything else is REJECTED_DESTINATION.
 */
import { STATUS } from './status-catalogue.ts';

const INTERNATIONAL = /^[1-9]\d{5,14}$/;

export function normalizeDestination(to: string): string {
  return to.trim().replace(/^\+|^00/, '').replace(/[\s()-]/g, '');
}

/** The rejection status for a destination, or null when it is a valid international number. */
export function destinationProblem(to: string): number | null {
  if (to.trim() === '') return STATUS.MISSING_TO;
  return INTERNATIONAL.test(normalizeDestination(to)) ? null : STATUS.REJECTED_DESTINATION;
}

/**
 * What Infobip accepts as a destination: on phone channels an international number (country code
 * first), optionally written with a leading + or 00; on e-mail an address. Anything else is
 * REJECTED_DESTINATION.
 */
import { STATUS } from './status-catalogue.ts';

const INTERNATIONAL = /^[1-9]\d{5,14}$/;
/** One @, no spaces, a dot in the domain: what a mail server would take as an address. */
const EMAIL_ADDRESS = /^[^\s@<>]{1,64}@[^\s@<>]+\.[^\s@<>.]+$/;

const isEmail = (channel: string) => channel === 'EMAIL';

/** An e-mail address a mail server would take (at most 254 characters, RFC 5321's path limit). */
export const isEmailAddress = (address: string): boolean => address.length <= 254 && EMAIL_ADDRESS.test(address);

export function normalizeDestination(to: string, channel = 'SMS'): string {
  if (isEmail(channel)) return to.trim();
  return to.trim().replace(/^\+|^00/, '').replace(/[\s()-]/g, '');
}

/** The rejection status for a destination, or null when it is valid on the channel. */
export function destinationProblem(to: string, channel = 'SMS'): number | null {
  if (to.trim() === '') return STATUS.MISSING_TO;
  const valid = isEmail(channel) ? isEmailAddress(to.trim()) : INTERNATIONAL.test(normalizeDestination(to));
  return valid ? null : STATUS.REJECTED_DESTINATION;
}

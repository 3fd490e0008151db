/**
 * HMAC signing-key rotation, as stored: the HMAC `credentials` JSON of a security setting may
 * carry, next to `secretKey` and `algorithm`, the key a rotation replaced (`previousSecretKey`)
 * and when it stops being signed with (`previousKeyExpiresAt`, epoch ms). The dispatcher signs
 * with both until then (`signatureHeader` in webhooks/security.ts). Only one previous key is
 * kept: rotating again during an overlap ends the older key at once.
 *
 * These fields never come from the Infobip API (checkSecurityDefinition keeps only the spec's
 * fields) and are never answered by it (views.ts drops them).
 */
import { randomBytes } from 'node:crypto';
import { WHSEC_PREFIX } from '../webhooks/security.ts';
import type { SecurityDefinition } from './request-schemas.ts';

export const ROTATION_FIELDS = ['previousSecretKey', 'previousKeyExpiresAt'] as const;

/** Default and largest overlap, in seconds (one day, one week). */
export const DEFAULT_OVERLAP_SECONDS = 86_400;
export const MAX_OVERLAP_SECONDS = 604_800;

/** A new key as Standard Webhooks libraries expect one: `whsec_` + base64 of 32 random bytes. */
export const generateSecretKey = (): string => WHSEC_PREFIX + randomBytes(32).toString('base64');

/** The spec's fields only: what the credentials are without any rotation in progress. */
function withoutRotation(credentials: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...credentials };
  for (const field of ROTATION_FIELDS) delete rest[field];
  return rest;
}

/**
 * Stored HMAC credentials after a rotation to `newKey`: the current key becomes the previous one
 * until `expiresAt`. With no overlap (`expiresAt <= now`) nothing previous is kept.
 */
export function rotatedCredentials(stored: Record<string, unknown>, newKey: string, expiresAt: number, now: number): Record<string, unknown> {
  const next = { ...withoutRotation(stored), secretKey: newKey };
  if (expiresAt > now) Object.assign(next, { previousSecretKey: stored.secretKey, previousKeyExpiresAt: expiresAt });
  return next;
}

/**
 * The credentials a PUT stores. A PUT replaces the setting, so it normally ends a rotation's
 * overlap; it keeps one only when it leaves the signing key as it was: still HMAC, the same
 * `secretKey` (typically sent back as the mask) and the same `algorithm` (the previous key is
 * signed with the current algorithm), and the overlap not over yet. A PUT with a new key is a
 * hard switch (e.g. after a leak): neither the replaced key nor an older previous one signs again.
 */
export function credentialsForPut(stored: { type: string; credentials: Record<string, unknown> }, next: SecurityDefinition, now: number): Record<string, unknown> {
  const { previousSecretKey, previousKeyExpiresAt } = stored.credentials;
  const keepsKey =
    stored.type === 'HMAC' &&
    next.type === 'HMAC' &&
    next.credentials.secretKey === stored.credentials.secretKey &&
    next.credentials.algorithm === stored.credentials.algorithm;
  if (!keepsKey || typeof previousSecretKey !== 'string' || typeof previousKeyExpiresAt !== 'number' || previousKeyExpiresAt <= now) return next.credentials;
  return { ...next.credentials, previousSecretKey, previousKeyExpiresAt };
}

export const credentialsForView = withoutRotation;

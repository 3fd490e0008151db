/** Secrets handed to clients (API keys, session and OAuth tokens) and how they are stored. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Secrets are 128+ random bits, so a fast hash is enough: a slow KDF would buy nothing. */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Infobip-style API key secret: 32 hex chars, a dash, a UUID. */
export const generateApiKeySecret = (): string => `${randomBytes(16).toString('hex')}-${randomUUID()}`;

/** Session and access tokens: 256 random bits, URL-safe. */
export const generateToken = (): string => randomBytes(32).toString('base64url');

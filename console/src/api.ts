/**
 * The one way the console talks to Hookline: its documented HTTP APIs, with the session's IBSSO
 * token. Errors come back in Infobip's envelopes (several shapes across the APIs); `errorText`
 * turns any of them into a sentence a person can act on.
 */
import { session } from './session.ts';


type Query = Record<string, string | number | undefined | null>;

/** Called when the API answers 401: the session is gone (expired, or signed out elsewhere). */
let onSignedOut: () => void = () => {};
export const whenSignedOut = (handler: () => void): void => {
  onSignedOut = handler;
};
export const signedOut = (): void => onSignedOut();

export function withQuery(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export function authHeaders(): Record<string, string> {
  const token = session.token();
  return token ? { Authorization: `IBSSO ${token}` } : {};
}

export async function api<T>(method: string, path: string, options: { query?: Query; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers, ...authHeaders() };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(withQuery(path, options.query), {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const body: unknown = text ? safeJson(text) : null;
  if (!response.ok) {
    if (response.status === 401 && session.token()) {
      session.clear();
      onSignedOut();
    }
    throw new Error(errorText(body, response.status));
  }
  return body as T;
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** The human part of any of Infobip's error envelopes. */
export function errorText(body: unknown, status: number): string {
  const b = body as Record<string, any> | null;
  const exception = b?.requestError?.serviceException;
  const candidates = [
    exception?.text,
    b?.errorMessage,
    b?.description,
    b?.message,
    b?.error_description,
    typeof body === 'string' ? body : undefined,
  ];
  const main = candidates.find((c) => typeof c === 'string' && c.length > 0) ?? `Request failed (HTTP ${status})`;
  const violations = (exception?.validationErrors ?? b?.violations ?? b?.errors) as unknown;
  const details = describeViolations(violations);
  return details ? `${main} ${details}` : main;
}

function describeViolations(violations: unknown): string {
  if (Array.isArray(violations)) {
    return violations
      .map((v) => (typeof v === 'string' ? v : [v?.property ?? v?.field, v?.violation ?? v?.message].filter(Boolean).join(': ')))
      .filter(Boolean)
      .join('; ');
  }
  if (violations && typeof violations === 'object') {
    return Object.entries(violations as Record<string, unknown>)
      .map(([field, messages]) => `${field}: ${Array.isArray(messages) ? messages.join(', ') : String(messages)}`)
      .join('; ');
  }
  return '';
}

/**
 * The one error catalogue. Each kind has an HTTP status and its wording in both of Infobip's
 * envelopes: the v3 `ApiError` (errorCode/description/action/violations/resources) and the
 * legacy `ApiException` (requestError.serviceException{messageId,text,validationErrors}).
 */
export interface Violation {
  property: string;
  violation: string;
}

interface ErrorKindDef {
  status: number;
  v3: { errorCode: string; description: string; action: string; resources?: { name: string; url: string }[] };
  legacy: { messageId: string; text: string };
}

export const ERROR_KINDS = {
  BAD_REQUEST: {
    status: 400,
    v3: { errorCode: 'E400', description: 'Request cannot be processed.', action: 'Check the syntax, violations and adjust the request.' },
    legacy: { messageId: 'BAD_REQUEST', text: 'Bad request' },
  },
  UNAUTHORIZED: {
    status: 401,
    v3: {
      errorCode: 'E401',
      description: 'The request lacks valid authentication credentials for the requested resource.',
      action: 'Check the resources and adjust authentication credentials.',
      resources: [{ name: 'API Authentication', url: 'https://www.infobip.com/docs/essentials/api-authentication' }],
    },
    legacy: { messageId: 'UNAUTHORIZED', text: 'Invalid login details' },
  },
  FORBIDDEN: {
    status: 403,
    v3: {
      errorCode: 'E403',
      description: 'Insufficient permissions to access the requested resource.',
      action: 'Repeat the request with new or different credentials.',
      resources: [{ name: 'API Scopes', url: 'https://www.infobip.com/docs/essentials/api-essentials/api-authorization#api-scopes' }],
    },
    legacy: { messageId: 'FORBIDDEN', text: 'Forbidden' },
  },
  NOT_FOUND: {
    status: 404,
    v3: { errorCode: 'E404', description: 'Requested resource not found.', action: 'Check the request path and identifiers.' },
    legacy: { messageId: 'NOT_FOUND', text: 'Not found' },
  },
  CONFLICT: {
    status: 409,
    v3: { errorCode: 'E409', description: 'Request cannot be processed due to conflicts with existing resources.', action: 'Check the identifiers and the resources that use this one.' },
    legacy: { messageId: 'CONFLICT', text: 'Conflict' },
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    v3: { errorCode: 'E413', description: 'Request body is too large.', action: 'Split the request into smaller ones.' },
    legacy: { messageId: 'PAYLOAD_TOO_LARGE', text: 'Request body is too large' },
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    v3: { errorCode: 'E415', description: 'Unsupported content type.', action: 'Send the body as application/json or application/xml.' },
    legacy: { messageId: 'UNSUPPORTED_MEDIA_TYPE', text: 'Unsupported content type' },
  },
  TOO_MANY_REQUESTS: {
    status: 429,
    v3: { errorCode: 'E429', description: 'Too many requests sent.', action: 'Check request rate limit specified in the API endpoint documentation resource.' },
    legacy: { messageId: 'TOO_MANY_REQUESTS', text: 'Too many requests' },
  },
  GENERAL_ERROR: {
    status: 500,
    v3: { errorCode: 'E500', description: 'Something went wrong.', action: 'Contact the support.' },
    legacy: { messageId: 'GENERAL_ERROR', text: 'Something went wrong. Please contact support.' },
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    v3: { errorCode: 'E503', description: 'Service temporarily unavailable.', action: 'Retry the request after the time given in Retry-After.' },
    legacy: { messageId: 'SERVICE_UNAVAILABLE', text: 'Service temporarily unavailable' },
  },
} as const satisfies Record<string, ErrorKindDef>;

export type ErrorKind = keyof typeof ERROR_KINDS;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly kind: ErrorKind,
    readonly options: { text?: string; violations?: Violation[]; retryAfterSeconds?: number } = {},
  ) {
    super(options.text ?? ERROR_KINDS[kind].legacy.text);
    this.status = ERROR_KINDS[kind].status;
  }
}

export const badRequest = (violations: Violation[], text?: string) => new ApiError('BAD_REQUEST', { violations, text });

/** `oauth` is the legacy envelope plus the deprecated top-level `error` text of `OAuthApiException`. */
export type EnvelopeFamily = 'v3' | 'legacy' | 'oauth';

/**
 * Which envelope a path answers in, as Infobip's specs declare: SMS v1/v2, sessions, the
 * Subscriptions API, WhatsApp v1 and Email v1/v3 use the legacy one; SMS v3, API keys v2 and Hookline's own APIs use ApiError.
 */
export function envelopeFamily(url: string): EnvelopeFamily {
  if (url.startsWith('/auth/1/oauth2/')) return 'oauth';
  return /^\/(sms\/[12]|auth\/1|subscriptions\/1|whatsapp\/1|email\/[13])\//.test(url) ? 'legacy' : 'v3';
}

export function renderError(error: ApiError, family: EnvelopeFamily): { root: string; body: object } {
  const def: ErrorKindDef = ERROR_KINDS[error.kind];
  const violations = error.options.violations ?? [];
  if (family === 'v3') {
    return {
      root: 'ApiError',
      body: {
        errorCode: def.v3.errorCode,
        description: error.options.text ?? def.v3.description,
        action: def.v3.action,
        violations,
        resources: def.v3.resources ?? [],
      },
    };
  }
  const serviceException: Record<string, unknown> = { messageId: def.legacy.messageId, text: error.options.text ?? def.legacy.text };
  if (violations.length > 0) {
    const validationErrors: Record<string, string[]> = {};
    for (const v of violations) (validationErrors[v.property] ??= []).push(v.violation);
    serviceException.validationErrors = validationErrors;
  }
  const requestError = { serviceException };
  return { root: 'ApiException', body: family === 'oauth' ? { error: serviceException.text, requestError } : { requestError } };
}

/**
 * The one table of who may call what: for every route, the scopes it accepts (Infobip's
 * `x-scopes`, any one suffices), the schemes it accepts (the spec's `security`), and the
 * published throttle (`x-throttling-info`). A route missing from this table cannot be registered
 * (auth-hook.ts refuses it at start-up), so no endpoint is left open by accident.
 */
import type { Scheme } from './principal.ts';
import { MESSAGE_READ_SCOPES } from './readable-families.ts';

export interface Throttle {
  limit: number;
  windowMs: number;
}

export interface RoutePolicy {
  /** 'public': no authentication (any Authorization header is ignored); 'signed-in': any principal; else any-of scopes. */
  access: 'public' | 'signed-in' | { anyOf: readonly string[] };
  /** Schemes accepted; all four when absent. */
  schemes?: readonly Scheme[];
  /** Counted per account, or per client address on public routes. */
  throttle?: Throttle;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

const PUBLIC: RoutePolicy = { access: 'public' };
/** Account management is for people: Basic, IBSSO and OAuth2, never an API key. */
const USER_SCHEMES: readonly Scheme[] = ['basic', 'ibsso', 'bearer'];
const ACCOUNT_MANAGEMENT = { anyOf: ['account-management:manage'] };

const SUBSCRIPTIONS: RoutePolicy = { access: { anyOf: ['subscriptions:manage'] } };
const SMS_SEND = { anyOf: ['message:send', 'sms:message:send', 'sms:manage'] };
const MESSAGES_API_SEND = { anyOf: ['message:send', 'messages-api:message:send', 'messages-api:manage'] };
const NUMBERS: RoutePolicy = { access: { anyOf: ['numbers:manage'] } };
const SMS_LOGS: RoutePolicy = { access: { anyOf: ['sms:manage', 'sms:logs:read'] }, throttle: { limit: 120, windowMs: MINUTE } };
const EMAIL_SEND = { anyOf: ['message:send', 'email:message:send', 'email:manage'] };
const WHATSAPP_SEND = { anyOf: ['message:send', 'whatsapp:message:send', 'whatsapp:manage'] };
/** The console's reads cost like the SMS logs' (searches over an account's history): SMS_LOGS's published throttle. */
const CONSOLE_READ_THROTTLE: Throttle = { limit: 120, windowMs: MINUTE };
const MESSAGE_LOG: RoutePolicy = { access: { anyOf: MESSAGE_READ_SCOPES }, throttle: CONSOLE_READ_THROTTLE };

export const ROUTE_POLICIES: Readonly<Record<string, RoutePolicy>> = {
  'GET /healthz': PUBLIC,
  'GET /readyz': PUBLIC,
  // Prometheus scrapes hold no account credentials. Public unless METRICS_TOKEN is set; then the
  // route checks `Authorization: Bearer <METRICS_TOKEN>` itself (src/metrics/routes.ts), since that
  // token is the scraper's secret, not an API credential with an account and scopes.
  'GET /metrics': PUBLIC,
  // Short links in tracked messages: opened by recipients' phones, which hold no credentials.
  // Codes carry ~101 random bits, so there is nothing to enumerate (src/clicks/click-routes.ts).
  'GET /t/:code': PUBLIC,
  // The API reference (src/http/openapi.ts): the document and Swagger UI's page, its copies of
  // the document and its static files. They describe the API; they hold no account's data.
  'GET /openapi.json': PUBLIC,
  'GET /docs': PUBLIC,
  'GET /docs/json': PUBLIC,
  'GET /docs/yaml': PUBLIC,
  'GET /docs/static/index.html': PUBLIC,
  'GET /docs/static/swagger-initializer.js': PUBLIC,
  'GET /docs/static/*': PUBLIC,
  // The web console's static files (src/http/console.ts): pages and scripts, no data; what they
  // show comes from the APIs below, called with the signed-in user's IBSSO token.
  'GET /console': PUBLIC,
  'GET /console/*': PUBLIC,

  // Authentication (infobip-account-management-openapi.json)
  'POST /auth/1/session': { access: 'public', throttle: { limit: 10, windowMs: SECOND } },
  'DELETE /auth/1/session': { access: 'signed-in', schemes: ['ibsso'], throttle: { limit: 10, windowMs: SECOND } },
  'POST /auth/1/oauth2/token': { access: 'public', throttle: { limit: 10, windowMs: SECOND } },
  'GET /settings/2/api-keys': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES, throttle: { limit: 10, windowMs: SECOND } },
  'POST /settings/2/api-keys': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES, throttle: { limit: 40, windowMs: DAY } },
  'GET /settings/2/api-keys/:apiKeyId': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES, throttle: { limit: 10, windowMs: SECOND } },
  'PUT /settings/2/api-keys/:apiKeyId': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES, throttle: { limit: 40, windowMs: DAY } },

  // SMS (infobip-sms-openapi.json)
  'POST /sms/2/text/advanced': { access: SMS_SEND },
  'POST /sms/2/binary/advanced': { access: SMS_SEND },
  'POST /sms/3/messages': { access: SMS_SEND },
  'POST /sms/1/preview': { access: { anyOf: ['sms:manage'] } },
  'GET /sms/1/bulks': { access: { anyOf: ['sms:message:send', 'sms:manage'] } },
  'PUT /sms/1/bulks': { access: { anyOf: ['sms:manage'] } },
  'GET /sms/1/bulks/status': { access: { anyOf: ['sms:message:send', 'sms:manage'] } },
  'PUT /sms/1/bulks/status': { access: { anyOf: ['sms:manage'] } },
  'GET /sms/1/logs': SMS_LOGS,
  'GET /sms/3/logs': SMS_LOGS,
  'GET /sms/1/reports': { access: SMS_SEND },
  'GET /sms/3/reports': { access: SMS_SEND },
  'GET /sms/1/inbox/reports': { access: { anyOf: ['inbound-message:read', 'sms:inbound-message:read', 'sms:manage'] } },

  // Messages API (infobip-messages-api-openapi.json)
  'POST /messages-api/1/messages': { access: MESSAGES_API_SEND },
  'GET /messages-api/1/reports': { access: MESSAGES_API_SEND },
  'GET /messages-api/1/inbound': { access: { anyOf: ['inbound-message:read', 'messages-api:manage'] } },

  // WhatsApp (infobip-whatsapp-openapi.json)
  'POST /whatsapp/1/message/text': { access: WHATSAPP_SEND },
  'POST /whatsapp/1/message/template': { access: WHATSAPP_SEND },
  'POST /whatsapp/1/senders/:sender/message/:messageId/read': { access: { anyOf: ['whatsapp:manage'] }, throttle: { limit: 10, windowMs: SECOND } },

  // Email (infobip-email-openapi.json)
  'POST /email/3/send': { access: EMAIL_SEND },
  'GET /email/1/reports': { access: EMAIL_SEND, throttle: { limit: 60, windowMs: MINUTE } },
  'GET /email/1/logs': { access: { anyOf: ['email:logs:read', 'email:manage'] }, throttle: { limit: 60, windowMs: MINUTE } },

  // Subscriptions API (infobip-subscriptions-api-openapi.json): every operation takes subscriptions:manage.
  'GET /subscriptions/1/subscription/:channel': SUBSCRIPTIONS,
  'POST /subscriptions/1/subscription/:channel': SUBSCRIPTIONS,
  'GET /subscriptions/1/subscription/:channel/:subscriptionId': SUBSCRIPTIONS,
  'PUT /subscriptions/1/subscription/:channel/:subscriptionId': SUBSCRIPTIONS,
  'DELETE /subscriptions/1/subscription/:channel/:subscriptionId': SUBSCRIPTIONS,
  'GET /subscriptions/1/profiles': SUBSCRIPTIONS,
  'POST /subscriptions/1/profiles': SUBSCRIPTIONS,
  'GET /subscriptions/1/profiles/:profileId': SUBSCRIPTIONS,
  'PUT /subscriptions/1/profiles/:profileId': SUBSCRIPTIONS,
  'DELETE /subscriptions/1/profiles/:profileId': SUBSCRIPTIONS,
  'GET /subscriptions/1/security': SUBSCRIPTIONS,
  'POST /subscriptions/1/security': SUBSCRIPTIONS,
  'GET /subscriptions/1/security/:authId': SUBSCRIPTIONS,
  'PUT /subscriptions/1/security/:authId': SUBSCRIPTIONS,
  'DELETE /subscriptions/1/security/:authId': SUBSCRIPTIONS,
  // Hookline's HMAC key rotation for the same security settings: the same scope.
  'POST /hookline/1/security/:authId/rotate': SUBSCRIPTIONS,

  // Hookline's administration API: accounts, users, roles, SMPP connections.
  'GET /hookline/1/accounts': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'POST /hookline/1/accounts': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'GET /hookline/1/accounts/:accountId': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'PUT /hookline/1/accounts/:accountId': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'DELETE /hookline/1/accounts/:accountId': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'GET /hookline/1/users': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'POST /hookline/1/users': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'GET /hookline/1/users/:userId': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'PUT /hookline/1/users/:userId': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'DELETE /hookline/1/users/:userId': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'GET /hookline/1/roles': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'POST /hookline/1/roles': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'GET /hookline/1/roles/:roleId': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'PUT /hookline/1/roles/:roleId': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'DELETE /hookline/1/roles/:roleId': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  // SMPP connections and routes are the gateway's: administered like accounts, and only by the
  // operator (src/network/smpp/admin-routes.ts checks that).
  'GET /hookline/1/smpp/connections': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'GET /hookline/1/smpp/connections/:name': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'PUT /hookline/1/smpp/connections/:name': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'DELETE /hookline/1/smpp/connections/:name': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'GET /hookline/1/smpp/routes': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'PUT /hookline/1/smpp/routes': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },
  'GET /hookline/1/smpp/status': { access: ACCOUNT_MANAGEMENT, schemes: USER_SCHEMES },

  // Numbers (which account owns a number, its keywords) take numbers:manage, the Infobip scope
  // named for numbers, with every scheme (people and integrations alike). The simulator's inbound
  // endpoint plays the network delivering to one of the account's numbers: what it injects reaches
  // the account's webhooks and inbox as a customer's message. A sending scope (message:send) must
  // not be able to forge replies, and a reading scope (inbound-message:read) is for consuming them;
  // whoever manages the numbers already decides where their traffic goes, so numbers:manage is
  // the scope that may simulate it.
  'GET /hookline/1/numbers': NUMBERS,
  'POST /hookline/1/numbers': NUMBERS,
  'GET /hookline/1/numbers/:number': NUMBERS,
  'DELETE /hookline/1/numbers/:number': NUMBERS,
  'POST /hookline/1/simulator/inbound': NUMBERS,

  // Webhook operations (Hookline): the attempt log and replay are about the webhooks the
  // Subscriptions API sets up, so they take its scope.
  'GET /hookline/1/deliveries': SUBSCRIPTIONS,
  'GET /hookline/1/deliveries/:deliveryId': SUBSCRIPTIONS,
  'GET /hookline/1/deliveries/:deliveryId/attempts': SUBSCRIPTIONS,
  'POST /hookline/1/deliveries/:deliveryId/replay': SUBSCRIPTIONS,
  'GET /hookline/1/attempts': SUBSCRIPTIONS,
  // Recoveries, target health (re-enabling a 410-disabled target) and the operations profile: the same scope.
  'POST /hookline/1/recoveries': SUBSCRIPTIONS,
  'GET /hookline/1/recoveries': SUBSCRIPTIONS,
  'GET /hookline/1/recoveries/:recoveryId': SUBSCRIPTIONS,
  'DELETE /hookline/1/recoveries/:recoveryId': SUBSCRIPTIONS,
  'GET /hookline/1/targets': SUBSCRIPTIONS,
  'POST /hookline/1/targets/enable': SUBSCRIPTIONS,
  'GET /hookline/1/operations-profile': SUBSCRIPTIONS,
  'PUT /hookline/1/operations-profile': SUBSCRIPTIONS,
  // Live events (src/live/): reports for readers of their API family, attempts for subscriptions:manage.
  'GET /hookline/1/events': { access: { anyOf: ['subscriptions:manage', ...MESSAGE_READ_SCOPES] } },

  // The console's APIs (src/console-api/). Who the caller is: anyone signed in, every scheme.
  'GET /hookline/1/me': { access: 'signed-in' },
  // The message log: any channel's logs or manage scope lets a caller in; what it then lists is
  // limited to the families it may read (auth/readable-families.ts).
  'GET /hookline/1/messages': MESSAGE_LOG,
  'GET /hookline/1/messages/:messageId': MESSAGE_LOG,
  // Dashboard numbers: reports for message readers, webhook targets for the attempt log's scope.
  'GET /hookline/1/stats': { access: { anyOf: ['subscriptions:manage', ...MESSAGE_READ_SCOPES] }, throttle: CONSOLE_READ_THROTTLE },
};

/** The table key of a route: its method and Fastify path pattern (HEAD is answered as GET). */
export const policyKey = (method: string, url: string): string => `${method === 'HEAD' ? 'GET' : method} ${url}`;

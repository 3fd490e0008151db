/**
 * The issue's table-driven test: every authenticated endpoint in ROUTE_POLICIES × every credential
 * type (App, Basic, IBSSO, Bearer) × {valid, wrong secret, expired, revoked, wrong IP, missing
 * scope}, each cell a named test asserting the exact status, and for refusals the exact envelope
 * of the endpoint's API family. Also: malformed Authorization headers on every endpoint, and
 * Infobip's any-of rule (one accepted scope alone is enough, any other scope is not).
 *
 * The endpoint list is ROUTE_POLICIES itself, so a new route is covered as soon as it has a
 * fixture (a minimal request that succeeds), and the matrix fails loudly until it has one.
 * Expected outcomes follow from the route's policy: the table itself is checked against intent in
 * route-policy.test.ts; this file proves the gateway enforces it.
 *
 * One gateway with a ManualClock: credentials that must expire are made first, the clock moves
 * 61 minutes (past a key's validTo, the 60-minute session idle limit and the 3600 s token life),
 * then the valid credentials are made, the revoked ones are revoked, and the clock moves past the
 * one-second credential cache. It stays still while the matrix's cells run (the any-of section
 * moves it a second per scope, the last test an hour and more). THROTTLES=off: the matrix sends
 * far more requests than the published throttles allow (they are tested elsewhere).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Selectable } from 'kysely';
import { Agent, fetch, FormData } from 'undici';
import { CREDENTIAL_CACHE_MS } from '../../src/auth/authenticator.ts';
import { ACCESS_TOKEN_TTL_S } from '../../src/auth/oauth-tokens.ts';
import { ROUTE_POLICIES, type RoutePolicy } from '../../src/auth/route-policy.ts';
import { SESSION_IDLE_MS } from '../../src/auth/sessions.ts';
import { ManualClock } from '../../src/clock.ts';
import type { UsersTable } from '../../src/store/schema.ts';
import { startGateway, TEST_ADMIN, type TestGateway } from '../helpers/hookline.ts';
import { LEGACY_FORBIDDEN, LEGACY_UNAUTHORIZED, qs, uniq, V3_FORBIDDEN, V3_UNAUTHORIZED } from './support.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const PASSWORD = 'matrix-password';
const TO = '41793026727';


/** The envelope family of an endpoint, as Infobip's specs have it: SMS v1/v2, /auth/1, the Subscriptions API, WhatsApp v1 and Email v1/v3 legacy, the rest v3. */
type Family = 'legacy' | 'v3';
const familyOf = (url: string): Family => (/^\/(sms\/[12]|auth\/1|subscriptions\/1|whatsapp\/1|email\/[13])\//.test(url) ? 'legacy' : 'v3');
const REFUSALS = { 401: { legacy: LEGACY_UNAUTHORIZED, v3: V3_UNAUTHORIZED }, 403: { legacy: LEGACY_FORBIDDEN, v3: V3_FORBIDDEN } } as const;

const infobipTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
/** The same secret with its last character changed: well-formed, unknown. */
const tampered = (secret: string) => secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');

// ---------------------------------------------------------------------------------------------
// The gateway, two client addresses, and the resources the fixtures point at.

type From = '127.0.0.1' | '127.0.0.2';
let g: TestGateway;
let clock: ManualClock;
let agents: Record<From, Agent>;
const adminAuth = basic(TEST_ADMIN.username, TEST_ADMIN.password);

interface Reply {
  status: number;
  body: any;
}

/** One request with exactly the given Authorization (none when undefined), from the given loopback address. */
async function send(method: string, path: string, body: unknown, authorization: string | undefined, from: From = '127.0.0.1'): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  // A form (the email send route's multipart body) sets its own content type with its boundary.
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers['content-type'] = 'application/json';
  const response = await fetch(g.baseUrl + path, { method, headers, body: body === undefined ? undefined : form ? body : JSON.stringify(body), dispatcher: agents[from] });
  const text = response.headers.get('content-type')?.startsWith('text/event-stream') ? await streamStart(response) : await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: response.status, body: parsed };
}

/**
 * A server-sent event stream does not end by itself: its body here is what it sends first (up to
 * the first blank line, a bounded read), and then the client closes it.
 */
async function streamStart(response: Awaited<ReturnType<typeof fetch>>): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (let reads = 0; reads < 100 && !text.includes('\n\n'); reads++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel();
  }
  return text;
}

/** The wrong-IP cells mean something only if the second client really connects from 127.0.0.2. */
async function assertSourceAddresses(): Promise<void> {
  const echo = createServer((request, response) => response.end(request.socket.remoteAddress));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = echo.address() as AddressInfo;
    for (const from of ['127.0.0.1', '127.0.0.2'] as const) {
      const seen = await (await fetch(`http://127.0.0.1:${port}/`, { dispatcher: agents[from] })).text();
      assert.equal(seen, from, `a client meant to connect from ${from} connects from ${seen}`);
    }
  } finally {
    echo.close();
  }
}

/** A set-up call as the bootstrap admin (Basic, never expires); anything but `status` is a broken setup. */
async function asAdmin(method: string, path: string, body: unknown, status: number): Promise<any> {
  const r = await send(method, path, body, adminAuth);
  assert.equal(r.status, status, `setup ${method} ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}

const newAccount = async (): Promise<string> => (await asAdmin('POST', '/hookline/1/accounts', { name: 'matrix account' }, 201)).id;
const newRole = async (scopes: string[]): Promise<string> => (await asAdmin('POST', '/hookline/1/roles', { name: uniq('matrix-role'), scopes }, 201)).id;
const newUser = async (roles: string[]): Promise<{ id: string; username: string }> =>
  asAdmin('POST', '/hookline/1/users', { username: uniq('matrix-user'), password: PASSWORD, roles }, 201);

/**
 * A user that only needs to exist (a target of PUT or DELETE): a copy of an API-made user's row,
 * read once, under a new id and name. Making each through the API would cost a scrypt hash
 * (~0.25 s here) for nothing.
 */
let userTemplate: Selectable<UsersTable>;
async function copyUser(): Promise<string> {
  const id = randomUUID();
  await g.hookline.store.db.insertInto('users').values({ ...userTemplate, id, username: uniq('matrix-copy') }).execute();
  return id;
}

const newKey = async (fields: Record<string, unknown> = {}): Promise<{ id: string; apiKeySecret: string }> =>
  asAdmin('POST', '/settings/2/api-keys', { name: uniq('matrix-key'), ...fields }, 200);

async function newSession(username: string, password: string): Promise<string> {
  // Bound to 127.0.0.1, the address every "valid" cell uses (unsafe sessions have no IP rule).
  const r = await send('POST', '/auth/1/session', { username, password }, undefined, '127.0.0.1');
  assert.equal(r.status, 200, `session for ${username}: ${JSON.stringify(r.body)}`);
  return r.body.token;
}

async function newToken(username: string, password: string): Promise<string> {
  const r = await send('POST', '/auth/1/oauth2/token' + qs({ client_id: username, client_secret: password, grant_type: 'client_credentials' }), undefined, undefined);
  assert.equal(r.status, 200, `token for ${username}: ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

/** The role of the any-of section's user, given one scope at a time. */
let singleScopeRole = '';
/** Ids the fixtures use: `target*` for requests that leave them usable, `spare*` for refused destructive ones. */
const ids = {
  bulkId: '',
  bulkSendAt: 0,
  targetKey: '',
  targetAccount: '',
  spareAccount: '',
  targetUser: '',
  spareUser: '',
  targetRole: '',
  spareRole: '',
  managerRole: '',
  targetAuth: '',
  spareAuth: '',
  targetProfile: '',
  spareProfile: '',
  targetSubscription: '',
  spareSubscription: '',
  targetNumber: '',
  spareNumber: '',
  targetSmpp: '',
  spareSmpp: '',
};

/** Subscriptions API set-up (every principal here is in the default account). */
const WEBHOOK = 'http://127.0.0.1:9/matrix';
async function newSecurity(): Promise<string> {
  const authId = uniq('matrix-auth');
  await asAdmin('POST', '/subscriptions/1/security', { authId, type: 'BASIC', credentials: { username: 'u', password: 'p' } }, 201);
  return authId;
}
/** HMAC settings for the rotation route, made once (a rotation leaves them rotatable). */
let rotatableAuth: Promise<string> | undefined;
function hmacSecurity(): Promise<string> {
  rotatableAuth ??= (async () => {
    const authId = uniq('matrix-hmac');
    await asAdmin('POST', '/subscriptions/1/security', { authId, type: 'HMAC', credentials: { secretKey: 'matrix-signing-key', algorithm: 'HMAC_SHA_256' } }, 201);
    return authId;
  })();
  return rotatableAuth;
}
async function newProfile(authId?: string): Promise<string> {
  const profileId = uniq('matrix-profile');
  await asAdmin('POST', '/subscriptions/1/profiles', { profileId, webhook: { notifyUrl: WEBHOOK }, ...(authId ? { security: { authId } } : {}) }, 201);
  return profileId;
}
async function newSubscription(): Promise<string> {
  const subscriptionId = uniq('matrix-sub');
  await asAdmin('POST', '/subscriptions/1/subscription/SMS', { subscriptionId, events: ['DELIVERY'], profile: { profileId: ids.targetProfile } }, 201);
  return subscriptionId;
}

/**
 * A recovery of the target profile over a time range before anything existed: it has nothing to
 * re-send (the profile's real deliveries are left alone), so it is COMPLETED as it starts.
 */
const EMPTY_RECOVERY = () => ({ profileId: ids.targetProfile, from: '2020-01-01T00:00:00.000+0000', to: '2020-01-01T00:00:01.000+0000' });
/** One such recovery, made once for the routes that read or cancel one (a finished one stays answerable). */
let matrixRecoveryId: Promise<string> | undefined;
function matrixRecovery(): Promise<string> {
  matrixRecoveryId ??= asAdmin('POST', '/hookline/1/recoveries', EMPTY_RECOVERY(), 201).then((body) => body.id);
  return matrixRecoveryId;
}

/**
 * A finished webhook delivery of the default account, for the attempt log and replay routes: a row
 * written straight into the store (no message needs to go through the network for it). A replay
 * re-queues it; its target refuses connections, so it then just waits for its next attempt.
 */
async function newDelivery(): Promise<string> {
  const id = `whd_${randomUUID().replaceAll('-', '')}`;
  const now = clock.now();
  await g.hookline.store.db
    .insertInto('deliveries')
    .values({ id, account_id: 'default', target_url: WEBHOOK, family: 'sms-v3', content_type: 'application/json', body: '{"results":[]}', report_count: 0, state: 'DELIVERED', attempts: 1, next_attempt_at: null, lease_owner: null, lease_until: null, last_status_code: 200, last_error: null, created_at: now, done_at: now, drop_reason: null, first_event_at: now })
    .execute();
  return id;
}
/** One delivery for the read routes, made once. */
let readableDelivery: Promise<string> | undefined;
const matrixDelivery = (): Promise<string> => (readableDelivery ??= newDelivery());

/**
 * A WhatsApp message a person sent to a default-account number, for the read route: a row written
 * straight into the store, once (marking it read again is still a success).
 */
const WHATSAPP_SENDER = '447860099299';
let readableInbound: Promise<string> | undefined;
function matrixInbound(): Promise<string> {
  readableInbound ??= (async () => {
    const messageId = `wamid.${randomUUID()}`;
    const now = clock.now();
    await g.hookline.store.db
      .insertInto('inbound_messages')
      .values({ account_id: 'default', message_id: messageId, from_number: TO, to_number: WHATSAPP_SENDER, text: 'matrix', keyword: null, clean_text: 'matrix', sms_count: 1, received_at: now, created_at: now, price_per_message: 0, currency: 'EUR', channel: 'WHATSAPP', api: 'whatsapp' })
      .execute();
    return messageId;
  })();
  return readableInbound;
}

/** An SMS of the default account for the console's message route, sent once (reading it changes nothing). */
let readableMessage: Promise<string> | undefined;
function matrixMessage(): Promise<string> {
  readableMessage ??= (async () => {
    const messageId = uniq('matrix-message');
    await asAdmin('POST', '/sms/2/text/advanced', { messages: [{ destinations: [{ to: TO, messageId }], text: 'matrix' }] }, 200);
    return messageId;
  })();
  return readableMessage;
}

/** Numbers are global: each registration needs a number nobody holds yet. */
const freshNumber = () => `4179${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
async function newNumber(): Promise<string> {
  const number = freshNumber();
  await asAdmin('POST', '/hookline/1/numbers', { number, keywords: ['MATRIX'] }, 201);
  return number;
}

/** SMPP connections are the gateway's (names are global): each needs a name of its own. */
const SMPP_CONNECTION = { host: '127.0.0.1', port: 2775, systemId: 'matrix', password: 'matrix' };
async function newSmppConnection(): Promise<string> {
  const name = uniq('matrix-smpp');
  await asAdmin('PUT', `/hookline/1/smpp/connections/${name}`, SMPP_CONNECTION, 201);
  return name;
}

// ---------------------------------------------------------------------------------------------
// Fixtures: per route key, a minimal request that succeeds for a principal with the route's scope.

interface Request {
  path: string;
  body?: unknown;
  /** Checks a success body beyond its status. */
  check?: (body: any) => void;
}

interface Fixture {
  /** The exact success status. */
  status: number;
  /** `fresh`: the request will succeed, so whatever it uses up must be new. */
  request: (fresh: boolean) => Request | Promise<Request>;
  /** The request ends the credential it is sent with: a succeeding cell needs its own. */
  endsCredential?: true;
}

const hasList = (field: string) => (body: any) => assert.ok(Array.isArray(body[field]), `no ${field} list in ${JSON.stringify(body)}`);
const SEND_V2 = { messages: [{ destinations: [{ to: TO }], text: 'matrix' }] };

const FIXTURES: Record<string, Fixture> = {
  'DELETE /auth/1/session': { status: 200, endsCredential: true, request: () => ({ path: '/auth/1/session', check: (body) => assert.equal(body, '') }) },

  'GET /settings/2/api-keys': { status: 200, request: () => ({ path: '/settings/2/api-keys', check: hasList('apiKeys') }) },
  'POST /settings/2/api-keys': {
    status: 200,
    request: () => ({ path: '/settings/2/api-keys', body: { name: 'matrix created key' }, check: (body) => assert.equal(typeof body.apiKeySecret, 'string') }),
  },
  'GET /settings/2/api-keys/:apiKeyId': { status: 200, request: () => ({ path: `/settings/2/api-keys/${ids.targetKey}`, check: (body) => assert.equal(body.id, ids.targetKey) }) },
  'PUT /settings/2/api-keys/:apiKeyId': {
    status: 200,
    request: () => ({ path: `/settings/2/api-keys/${ids.targetKey}`, body: { name: 'matrix target key' }, check: (body) => assert.equal(body.name, 'matrix target key') }),
  },

  'POST /sms/2/text/advanced': { status: 200, request: () => ({ path: '/sms/2/text/advanced', body: SEND_V2, check: hasList('messages') }) },
  'POST /sms/2/binary/advanced': {
    status: 200,
    request: () => ({ path: '/sms/2/binary/advanced', body: { messages: [{ destinations: [{ to: TO }], binary: { hex: '54 65 73 74' } }] }, check: hasList('messages') }),
  },
  'POST /sms/3/messages': {
    status: 200,
    request: () => ({ path: '/sms/3/messages', body: { messages: [{ destinations: [{ to: TO }], content: { text: 'matrix' } }] }, check: hasList('messages') }),
  },
  'POST /sms/1/preview': { status: 200, request: () => ({ path: '/sms/1/preview', body: { text: 'matrix' }, check: hasList('previews') }) },
  'GET /sms/1/bulks': { status: 200, request: () => ({ path: '/sms/1/bulks' + qs({ bulkId: ids.bulkId }), check: (body) => assert.equal(body.bulkId, ids.bulkId) }) },
  // Rescheduling and pausing leave the bulk reschedulable and pausable, so these repeat.
  'PUT /sms/1/bulks': {
    status: 200,
    request: () => ({ path: '/sms/1/bulks' + qs({ bulkId: ids.bulkId }), body: { sendAt: infobipTime(ids.bulkSendAt) }, check: (body) => assert.equal(body.bulkId, ids.bulkId) }),
  },
  'GET /sms/1/bulks/status': { status: 200, request: () => ({ path: '/sms/1/bulks/status' + qs({ bulkId: ids.bulkId }), check: (body) => assert.equal(body.bulkId, ids.bulkId) }) },
  'PUT /sms/1/bulks/status': {
    status: 200,
    request: () => ({ path: '/sms/1/bulks/status' + qs({ bulkId: ids.bulkId }), body: { status: 'PAUSED' }, check: (body) => assert.deepEqual(body, { bulkId: ids.bulkId, status: 'PAUSED' }) }),
  },
  'GET /sms/1/logs': { status: 200, request: () => ({ path: '/sms/1/logs', check: hasList('results') }) },
  'GET /sms/3/logs': { status: 200, request: () => ({ path: '/sms/3/logs', check: hasList('results') }) },
  'GET /sms/1/reports': { status: 200, request: () => ({ path: '/sms/1/reports', check: hasList('results') }) },
  'GET /sms/3/reports': { status: 200, request: () => ({ path: '/sms/3/reports', check: hasList('results') }) },

  'POST /messages-api/1/messages': {
    status: 200,
    request: () => ({
      path: '/messages-api/1/messages',
      body: { messages: [{ channel: 'SMS', destinations: [{ to: TO }], content: { body: { type: 'TEXT', text: 'matrix' } } }] },
      check: hasList('messages'),
    }),
  },
  'GET /messages-api/1/reports': { status: 200, request: () => ({ path: '/messages-api/1/reports', check: hasList('results') }) },
  'GET /messages-api/1/inbound': {
    status: 200,
    request: () => ({ path: '/messages-api/1/inbound' + qs({ channel: 'WHATSAPP' }), check: (body) => assert.deepEqual([Array.isArray(body.results), typeof body.pendingMessageCount], [true, 'number']) }),
  },

  'POST /whatsapp/1/message/text': {
    status: 200,
    request: () => ({ path: '/whatsapp/1/message/text', body: { from: WHATSAPP_SENDER, to: TO, content: { text: 'matrix' } }, check: (body) => assert.equal(typeof body.messageId, 'string') }),
  },
  'POST /whatsapp/1/message/template': {
    status: 200,
    request: () => ({
      path: '/whatsapp/1/message/template',
      body: { messages: [{ from: WHATSAPP_SENDER, to: TO, content: { templateName: 'matrix', templateData: { body: { placeholders: ['a'] } }, language: 'en' } }] },
      check: hasList('messages'),
    }),
  },
  'POST /whatsapp/1/senders/:sender/message/:messageId/read': {
    status: 204,
    request: async () => ({ path: `/whatsapp/1/senders/${WHATSAPP_SENDER}/message/${await matrixInbound()}/read`, body: {}, check: (body) => assert.equal(body, '') }),
  },

  'POST /email/3/send': {
    status: 200,
    request: () => {
      const form = new FormData();
      for (const [name, value] of [['from', 'Matrix <matrix@example.com>'], ['to', 'someone@example.com'], ['subject', 'matrix'], ['text', 'matrix']]) form.append(name, value);
      return { path: '/email/3/send', body: form, check: hasList('messages') };
    },
  },
  'GET /email/1/reports': { status: 200, request: () => ({ path: '/email/1/reports', check: hasList('results') }) },
  'GET /email/1/logs': { status: 200, request: () => ({ path: '/email/1/logs', check: hasList('results') }) },

  'GET /hookline/1/accounts': { status: 200, request: () => ({ path: '/hookline/1/accounts', check: hasList('results') }) },
  'POST /hookline/1/accounts': { status: 201, request: () => ({ path: '/hookline/1/accounts', body: { name: 'matrix created account' }, check: (body) => assert.equal(typeof body.id, 'string') }) },
  'GET /hookline/1/accounts/:accountId': { status: 200, request: () => ({ path: `/hookline/1/accounts/${ids.targetAccount}`, check: (body) => assert.equal(body.id, ids.targetAccount) }) },
  'PUT /hookline/1/accounts/:accountId': {
    status: 200,
    request: () => ({ path: `/hookline/1/accounts/${ids.targetAccount}`, body: { name: 'matrix target account' }, check: (body) => assert.equal(body.name, 'matrix target account') }),
  },
  'DELETE /hookline/1/accounts/:accountId': {
    status: 200,
    request: async (fresh) => {
      const id = fresh ? await newAccount() : ids.spareAccount;
      return { path: `/hookline/1/accounts/${id}`, check: (body) => assert.deepEqual(body, { id }) };
    },
  },
  // Users and roles are given the manager role (account-management:manage only), which every
  // principal these routes admit may grant; REPORTING or a wider role would be refused to some.
  'GET /hookline/1/users': { status: 200, request: () => ({ path: '/hookline/1/users', check: hasList('results') }) },
  'POST /hookline/1/users': {
    status: 201,
    request: () => ({ path: '/hookline/1/users', body: { username: uniq('matrix-created'), password: PASSWORD, roles: [ids.managerRole] }, check: (body) => assert.equal(typeof body.id, 'string') }),
  },
  'GET /hookline/1/users/:userId': { status: 200, request: () => ({ path: `/hookline/1/users/${ids.targetUser}`, check: (body) => assert.equal(body.id, ids.targetUser) }) },
  'PUT /hookline/1/users/:userId': {
    status: 200,
    request: () => ({ path: `/hookline/1/users/${ids.targetUser}`, body: { roles: [ids.managerRole] }, check: (body) => assert.deepEqual(body.roles, [ids.managerRole]) }),
  },
  'DELETE /hookline/1/users/:userId': {
    status: 200,
    request: async (fresh) => {
      const id = fresh ? await copyUser() : ids.spareUser;
      return { path: `/hookline/1/users/${id}`, check: (body) => assert.deepEqual(body, { id }) };
    },
  },
  'GET /hookline/1/roles': { status: 200, request: () => ({ path: '/hookline/1/roles', check: hasList('results') }) },
  'POST /hookline/1/roles': {
    status: 201,
    request: () => ({ path: '/hookline/1/roles', body: { name: uniq('matrix-created'), scopes: ['account-management:manage'] }, check: (body) => assert.equal(typeof body.id, 'string') }),
  },
  'GET /hookline/1/roles/:roleId': { status: 200, request: () => ({ path: `/hookline/1/roles/${ids.targetRole}`, check: (body) => assert.equal(body.id, ids.targetRole) }) },
  'PUT /hookline/1/roles/:roleId': {
    status: 200,
    request: () => ({ path: `/hookline/1/roles/${ids.targetRole}`, body: { scopes: ['account-management:manage'] }, check: (body) => assert.deepEqual(body.scopes, ['account-management:manage']) }),
  },
  'DELETE /hookline/1/roles/:roleId': {
    status: 200,
    request: async (fresh) => {
      const id = fresh ? await newRole(['account-management:manage']) : ids.spareRole;
      return { path: `/hookline/1/roles/${id}`, check: (body) => assert.deepEqual(body, { id }) };
    },
  },

  'GET /subscriptions/1/security': { status: 200, request: () => ({ path: '/subscriptions/1/security', check: hasList('results') }) },
  'POST /subscriptions/1/security': {
    status: 201,
    request: () => {
      const authId = uniq('matrix-created');
      return { path: '/subscriptions/1/security', body: { authId, type: 'BASIC', credentials: { username: 'u', password: 'p' } }, check: (body) => assert.deepEqual(body, { authId }) };
    },
  },
  'GET /subscriptions/1/security/:authId': { status: 200, request: () => ({ path: `/subscriptions/1/security/${ids.targetAuth}`, check: (body) => assert.equal(body.authId, ids.targetAuth) }) },
  'PUT /subscriptions/1/security/:authId': {
    status: 200,
    request: () => ({
      path: `/subscriptions/1/security/${ids.targetAuth}`,
      body: { type: 'BASIC', credentials: { username: 'u2', password: 'p2' } },
      check: (body) => assert.deepEqual(body, { authId: ids.targetAuth }),
    }),
  },
  'DELETE /subscriptions/1/security/:authId': {
    status: 200,
    request: async (fresh) => {
      const authId = fresh ? await newSecurity() : ids.spareAuth;
      return { path: `/subscriptions/1/security/${authId}`, check: (body) => assert.deepEqual(body, { authId }) };
    },
  },
  'POST /hookline/1/security/:authId/rotate': {
    status: 200,
    request: async () => {
      const authId = await hmacSecurity();
      return { path: `/hookline/1/security/${authId}/rotate`, body: { overlapSeconds: 60 }, check: (body) => assert.match(body.secretKey, /^whsec_/) };
    },
  },
  'GET /subscriptions/1/profiles': { status: 200, request: () => ({ path: '/subscriptions/1/profiles', check: hasList('results') }) },
  'POST /subscriptions/1/profiles': {
    status: 201,
    request: () => {
      const profileId = uniq('matrix-created');
      return { path: '/subscriptions/1/profiles', body: { profileId, webhook: { notifyUrl: WEBHOOK } }, check: (body) => assert.deepEqual(body, { profileId }) };
    },
  },
  'GET /subscriptions/1/profiles/:profileId': {
    status: 200,
    request: () => ({ path: `/subscriptions/1/profiles/${ids.targetProfile}`, check: (body) => assert.equal(body.profileId, ids.targetProfile) }),
  },
  'PUT /subscriptions/1/profiles/:profileId': {
    status: 200,
    request: () => ({
      path: `/subscriptions/1/profiles/${ids.targetProfile}`,
      body: { webhook: { notifyUrl: WEBHOOK }, security: { authId: ids.targetAuth } },
      check: (body) => assert.deepEqual(body, { profileId: ids.targetProfile, security: { authId: ids.targetAuth } }),
    }),
  },
  'DELETE /subscriptions/1/profiles/:profileId': {
    status: 200,
    request: async (fresh) => {
      const profileId = fresh ? await newProfile() : ids.spareProfile;
      return { path: `/subscriptions/1/profiles/${profileId}`, check: (body) => assert.deepEqual(body, { profileId }) };
    },
  },
  'GET /subscriptions/1/subscription/:channel': { status: 200, request: () => ({ path: '/subscriptions/1/subscription/SMS', check: hasList('results') }) },
  'POST /subscriptions/1/subscription/:channel': {
    status: 201,
    request: () => {
      const subscriptionId = uniq('matrix-created');
      return {
        path: '/subscriptions/1/subscription/SMS',
        body: { subscriptionId, events: ['DELIVERY'], profile: { profileId: ids.targetProfile } },
        check: (body) => assert.equal(body.subscriptionId, subscriptionId),
      };
    },
  },
  'GET /subscriptions/1/subscription/:channel/:subscriptionId': {
    status: 200,
    request: () => ({ path: `/subscriptions/1/subscription/SMS/${ids.targetSubscription}`, check: (body) => assert.equal(body.subscriptionId, ids.targetSubscription) }),
  },
  'PUT /subscriptions/1/subscription/:channel/:subscriptionId': {
    status: 200,
    request: () => ({
      path: `/subscriptions/1/subscription/SMS/${ids.targetSubscription}`,
      body: { events: ['DELIVERY', 'CLICK'], profile: { profileId: ids.targetProfile } },
      check: (body) => assert.equal(body.subscriptionId, ids.targetSubscription),
    }),
  },
  'DELETE /subscriptions/1/subscription/:channel/:subscriptionId': {
    status: 200,
    request: async (fresh) => {
      const subscriptionId = fresh ? await newSubscription() : ids.spareSubscription;
      return { path: `/subscriptions/1/subscription/SMS/${subscriptionId}`, check: (body) => assert.equal(body.subscriptionId, subscriptionId) };
    },
  },

  'GET /hookline/1/numbers': { status: 200, request: () => ({ path: '/hookline/1/numbers', check: hasList('results') }) },
  'POST /hookline/1/numbers': {
    status: 201,
    request: () => {
      const number = freshNumber();
      return { path: '/hookline/1/numbers', body: { number, keywords: ['matrix'] }, check: (body) => assert.deepEqual([body.number, body.keywords], [number, ['MATRIX']]) };
    },
  },
  'GET /hookline/1/numbers/:number': { status: 200, request: () => ({ path: `/hookline/1/numbers/${ids.targetNumber}`, check: (body) => assert.equal(body.number, ids.targetNumber) }) },
  'DELETE /hookline/1/numbers/:number': {
    status: 200,
    request: async (fresh) => {
      const number = fresh ? await newNumber() : ids.spareNumber;
      return { path: `/hookline/1/numbers/${number}`, check: (body) => assert.deepEqual(body, { number }) };
    },
  },
  // Every principal here is in the default account, which owns targetNumber: each success adds one inbound message.
  'POST /hookline/1/simulator/inbound': {
    status: 200,
    request: () => ({
      path: '/hookline/1/simulator/inbound',
      body: { from: TO, to: ids.targetNumber, text: 'matrix hello' },
      check: (body) => assert.deepEqual([typeof body.messageId, body.keyword, body.cleanText], ['string', 'MATRIX', 'hello']),
    }),
  },
  'GET /sms/1/inbox/reports': {
    status: 200,
    request: () => ({ path: '/sms/1/inbox/reports', check: (body) => assert.deepEqual([Array.isArray(body.results), typeof body.pendingMessageCount], [true, 'number']) }),
  },

  // The attempt log and replay (a replay answers 202 only for a delivery not already waiting: each success replays a new one).
  'GET /hookline/1/deliveries': { status: 200, request: () => ({ path: '/hookline/1/deliveries', check: hasList('results') }) },
  'GET /hookline/1/deliveries/:deliveryId': {
    status: 200,
    request: async () => {
      const id = await matrixDelivery();
      return { path: `/hookline/1/deliveries/${id}`, check: (body) => assert.equal(body.id, id) };
    },
  },
  'GET /hookline/1/deliveries/:deliveryId/attempts': {
    status: 200,
    request: async () => ({ path: `/hookline/1/deliveries/${await matrixDelivery()}/attempts`, check: hasList('results') }),
  },
  'GET /hookline/1/attempts': { status: 200, request: () => ({ path: '/hookline/1/attempts', check: hasList('results') }) },
  'POST /hookline/1/deliveries/:deliveryId/replay': {
    status: 202,
    request: async (fresh) => {
      const id = fresh ? await newDelivery() : await matrixDelivery();
      return { path: `/hookline/1/deliveries/${id}/replay`, check: (body) => assert.deepEqual([body.id, body.state], [id, 'RETRYING']) };
    },
  },

  // Recoveries (see EMPTY_RECOVERY), target health, the operations profile.
  'POST /hookline/1/recoveries': {
    status: 201,
    request: () => ({
      path: '/hookline/1/recoveries',
      body: EMPTY_RECOVERY(),
      check: (body) => assert.deepEqual([body.target, body.state, body.total], [{ profileId: ids.targetProfile }, 'COMPLETED', 0]),
    }),
  },
  'GET /hookline/1/recoveries': { status: 200, request: () => ({ path: '/hookline/1/recoveries', check: hasList('results') }) },
  'GET /hookline/1/recoveries/:recoveryId': {
    status: 200,
    request: async () => {
      const id = await matrixRecovery();
      return { path: `/hookline/1/recoveries/${id}`, check: (body) => assert.equal(body.id, id) };
    },
  },
  'DELETE /hookline/1/recoveries/:recoveryId': {
    status: 200,
    request: async () => {
      const id = await matrixRecovery();
      return { path: `/hookline/1/recoveries/${id}`, check: (body) => assert.deepEqual([body.id, body.state], [id, 'COMPLETED']) };
    },
  },
  'GET /hookline/1/targets': { status: 200, request: () => ({ path: '/hookline/1/targets', check: hasList('results') }) },
  'POST /hookline/1/targets/enable': {
    status: 200,
    request: () => ({
      path: '/hookline/1/targets/enable',
      body: { profileId: ids.targetProfile },
      // Its webhook URL answers nothing, so its breaker may well be open: enable is answered whatever the state.
      check: (body) => assert.deepEqual([body.target, ['HEALTHY', 'OPEN'].includes(body.state)], [{ profileId: ids.targetProfile }, true]),
    }),
  },
  // SMPP connections and routes (only the operator: see BEYOND_ROUTE_SCOPE). Replacing the target
  // connection or the routing table leaves them as they were, so these repeat.
  'GET /hookline/1/smpp/connections': { status: 200, request: () => ({ path: '/hookline/1/smpp/connections', check: hasList('connections') }) },
  'GET /hookline/1/smpp/connections/:name': {
    status: 200,
    request: () => ({ path: `/hookline/1/smpp/connections/${ids.targetSmpp}`, check: (body) => assert.deepEqual([body.name, 'password' in body], [ids.targetSmpp, false]) }),
  },
  'PUT /hookline/1/smpp/connections/:name': {
    status: 200,
    request: () => ({ path: `/hookline/1/smpp/connections/${ids.targetSmpp}`, body: SMPP_CONNECTION, check: (body) => assert.deepEqual([body.name, body.window], [ids.targetSmpp, 10]) }),
  },
  'DELETE /hookline/1/smpp/connections/:name': {
    status: 204,
    request: async (fresh) => ({ path: `/hookline/1/smpp/connections/${fresh ? await newSmppConnection() : ids.spareSmpp}`, check: (body) => assert.equal(body, '') }),
  },
  'GET /hookline/1/smpp/routes': { status: 200, request: () => ({ path: '/hookline/1/smpp/routes', check: hasList('routes') }) },
  'PUT /hookline/1/smpp/routes': {
    status: 200,
    request: () => {
      const routes = [
        { prefix: '', target: 'simulator' },
        { prefix: '4179', target: ids.targetSmpp },
      ];
      return { path: '/hookline/1/smpp/routes', body: { routes }, check: (body) => assert.deepEqual(body, { routes }) };
    },
  },
  'GET /hookline/1/smpp/status': { status: 200, request: () => ({ path: '/hookline/1/smpp/status', check: hasList('connections') }) },
  'GET /hookline/1/operations-profile': { status: 200, request: () => ({ path: '/hookline/1/operations-profile', check: (body) => assert.ok('profileId' in body) }) },
  'PUT /hookline/1/operations-profile': {
    status: 200,
    request: () => ({ path: '/hookline/1/operations-profile', body: { profileId: null }, check: (body) => assert.deepEqual(body, { profileId: null }) }),
  },
  // Live events: a 200 with an event stream, whose first line is the reconnection delay (the matrix reads that far, then closes it).
  'GET /hookline/1/events': { status: 200, request: () => ({ path: '/hookline/1/events', check: (body) => assert.match(body, /^retry: 2000\n\n/) }) },

  // The console's APIs (src/console-api/; console-api.test.ts tests what each answers).
  'GET /hookline/1/me': { status: 200, request: () => ({ path: '/hookline/1/me', check: (body) => assert.deepEqual([body.accountId, Array.isArray(body.scopes)], ['default', true]) }) },
  'GET /hookline/1/messages': { status: 200, request: () => ({ path: '/hookline/1/messages', check: hasList('results') }) },
  'GET /hookline/1/messages/:messageId': {
    status: 200,
    request: async () => {
      const messageId = await matrixMessage();
      return { path: `/hookline/1/messages/${messageId}`, check: (body) => assert.deepEqual([body.message.messageId, Array.isArray(body.timeline)], [messageId, true]) };
    },
  },
  'GET /hookline/1/stats': {
    status: 200,
    request: () => ({ path: '/hookline/1/stats', check: (body) => assert.deepEqual([typeof body.bucketMs, Array.isArray(body.reports), Array.isArray(body.targets)], ['number', true, true]) }),
  },
};

// ---------------------------------------------------------------------------------------------
// Credentials and the outcome each (policy, scheme, condition) must have.

const SCHEMES = ['App', 'Basic', 'IBSSO', 'Bearer'] as const;
type SchemeName = (typeof SCHEMES)[number];
const SCHEME_ID = { App: 'app', Basic: 'basic', IBSSO: 'ibsso', Bearer: 'bearer' } as const;
const CONDITIONS = ['valid', 'wrong secret', 'expired', 'revoked', 'wrong IP', 'missing scope'] as const;
type Condition = (typeof CONDITIONS)[number];

interface Credential {
  /** Undefined: no Authorization header at all. */
  authorization: string | undefined;
  from: From;
  /** A new credential for the same principal, for requests that end the one they use. */
  renew?: () => Promise<string>;
}
const credentials = new Map<string, Credential>();
const credential = (scheme: SchemeName, condition: string): Credential => {
  const found = credentials.get(`${scheme} ${condition}`);
  if (!found) throw new Error(`no credential for ${scheme} ${condition}`);
  return found;
};

/**
 * The status a cell must answer: 401 when the credential does not authenticate; 403 when the
 * route refuses the scheme or the principal holds none of its scopes; else success.
 * Basic carries neither a validity window nor an IP rule, and Bearer no IP rule: for them "expired"
 * (Basic) and "wrong IP" (both) must behave exactly like "valid", and these cells assert just that.
 */
function outcome(policy: RoutePolicy, scheme: SchemeName, condition: Condition): 401 | 403 | 'success' {
  const authenticates =
    condition === 'valid' ||
    condition === 'missing scope' ||
    (condition === 'expired' && scheme === 'Basic') ||
    (condition === 'wrong IP' && (scheme === 'Basic' || scheme === 'Bearer'));
  if (!authenticates) return 401;
  if (policy.schemes && !policy.schemes.includes(SCHEME_ID[scheme])) return 403;
  if (condition === 'missing scope' && policy.access !== 'signed-in') return 403;
  return 'success';
}

const urlOf = (key: string) => key.slice(key.indexOf(' ') + 1);
const methodOf = (key: string) => key.slice(0, key.indexOf(' '));
/** The route pattern as a regular expression, so a fixture cannot quietly aim at another route. */
const patternOf = (url: string) => new RegExp(`^${url.replace(/:[A-Za-z]+/g, '[^/?]+')}/?(\\?.*)?$`);

const authenticated = Object.entries(ROUTE_POLICIES).filter(([, policy]) => policy.access !== 'public');
/** Every scope some route accepts: the any-of section tries each alone against every route. */
const SINGLE_SCOPES = [...new Set(authenticated.flatMap(([, p]) => (typeof p.access === 'object' ? p.access.anyOf : [])))].sort();
/** The scope the "missing scope" credentials hold: real, and accepted by no route here. */
const UNRELATED_SCOPE = 'tiktok:manage';

/**
 * Runs one cell: builds the request (fresh resources when it will succeed), sends it with the
 * credential, and asserts the exact status plus the exact refusal envelope or the success shape.
 */
async function runCell(key: string, expected: 401 | 403 | 'success', cred: Credential): Promise<void> {
  const fixture = FIXTURES[key];
  const willSucceed = expected === 'success';
  let authorization = cred.authorization;
  if (willSucceed && fixture.endsCredential) {
    assert.ok(cred.renew, `${key} ends the credential it uses: give this credential a renew()`);
    authorization = `IBSSO ${await cred.renew()}`;
  }
  const request = await fixture.request(willSucceed);
  assert.match(request.path, patternOf(urlOf(key)), 'the fixture aims at its own route');
  const r = await send(methodOf(key), request.path, request.body, authorization, cred.from);
  if (willSucceed) {
    assert.equal(r.status, fixture.status, JSON.stringify(r.body));
    const isError = r.body !== null && typeof r.body === 'object' && ('errorCode' in r.body || 'requestError' in r.body);
    assert.ok(!isError, `an error body with a success status: ${JSON.stringify(r.body)}`);
    request.check?.(r.body);
  } else {
    assert.equal(r.status, expected, JSON.stringify(r.body));
    assert.deepEqual(r.body, REFUSALS[expected][familyOf(urlOf(key))]);
  }
}

const label = (key: string, expected: 401 | 403 | 'success') =>
  expected === 'success' ? String(FIXTURES[key]?.status ?? '2xx') : `${expected} ${familyOf(urlOf(key))}`;

// ---------------------------------------------------------------------------------------------

describe('authentication matrix', () => {
  before(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    g = await startGateway({ THROTTLES: 'off' }, { clock });
    // undici takes `localAddress` at the top level of the Agent options (inside `connect` it is ignored).
    agents = { '127.0.0.1': new Agent({ localAddress: '127.0.0.1' }), '127.0.0.2': new Agent({ localAddress: '127.0.0.2' }) };
    await assertSourceAddresses();
    const t0 = clock.now();

    // People. Users that get revoked hold every scope, so nothing but the revocation can refuse them.
    // Passwords cost a scrypt per hash and per first login, so users are few.
    const unrelatedRole = await newRole([UNRELATED_SCOPE]);
    ids.managerRole = await newRole(['account-management:manage']);
    singleScopeRole = await newRole([SINGLE_SCOPES[0]]);
    const [revokedBasic, revokedIbsso, revokedBearer, unrelated, spare, singleScope] = await Promise.all([
      newUser(['ACCOUNT_ADMIN']),
      newUser(['ACCOUNT_ADMIN']),
      newUser(['ACCOUNT_ADMIN']),
      newUser([unrelatedRole]),
      newUser([ids.managerRole]),
      newUser([singleScopeRole]),
    ]);
    userTemplate = await g.hookline.store.db.selectFrom('users').selectAll().where('id', '=', spare.id).executeTakeFirstOrThrow();
    ids.spareUser = spare.id;
    ids.targetUser = await copyUser();
    ids.targetRole = await newRole(['account-management:manage']);
    ids.spareRole = await newRole(['account-management:manage']);
    ids.targetAccount = await newAccount();
    ids.spareAccount = await newAccount();

    // Keys. Without scopeGuids a key gets its creator's scopes: the admin's '*'.
    const [appValid, appExpiring, appRevoked, appLocal, appUnrelated, targetKey, ...singleScopeKeys] = await Promise.all([
      newKey(),
      newKey({ validTo: infobipTime(t0 + 30 * MINUTE) }),
      newKey(),
      newKey({ allowedIPs: ['127.0.0.1'] }),
      newKey({ scopeGuids: [UNRELATED_SCOPE] }),
      newKey({ scopeGuids: ['sms:logs:read'] }),
      ...SINGLE_SCOPES.map((scope) => newKey({ scopeGuids: [scope] })),
    ]);
    ids.targetKey = targetKey.id;

    // What must expire is made now and shown to work now, so only time can explain a later 401.
    const expiringSession = await newSession(TEST_ADMIN.username, TEST_ADMIN.password);
    const expiringToken = await newToken(TEST_ADMIN.username, TEST_ADMIN.password);
    const worksNow = async (authorization: string, from: From = '127.0.0.1') => {
      const r = await send('GET', '/sms/3/logs', undefined, authorization, from);
      assert.equal(r.status, 200, `${authorization} from ${from} should work before its state changes: ${JSON.stringify(r.body)}`);
    };
    for (const auth of [`App ${appExpiring.apiKeySecret}`, `IBSSO ${expiringSession}`, `Bearer ${expiringToken}`]) await worksNow(auth);
    // And the IP-bound key works from its own address.
    await worksNow(`App ${appLocal.apiKeySecret}`, '127.0.0.1');

    clock.advance(Math.max(30 * MINUTE, SESSION_IDLE_MS, ACCESS_TOKEN_TTL_S * 1_000) + MINUTE);

    // Valid credentials, made after the clock moved.
    const adminSession = await newSession(TEST_ADMIN.username, TEST_ADMIN.password);
    const adminToken = await newToken(TEST_ADMIN.username, TEST_ADMIN.password);
    const unrelatedSession = await newSession(unrelated.username, PASSWORD);
    const unrelatedToken = await newToken(unrelated.username, PASSWORD);
    const singleScopeToken = await newToken(singleScope.username, PASSWORD);

    // What gets revoked works (and is cached) right before the revocation.
    const revokedSession = await newSession(revokedIbsso.username, PASSWORD);
    const revokedToken = await newToken(revokedBearer.username, PASSWORD);
    for (const auth of [`App ${appRevoked.apiKeySecret}`, basic(revokedBasic.username, PASSWORD), `IBSSO ${revokedSession}`, `Bearer ${revokedToken}`]) await worksNow(auth);
    await asAdmin('PUT', `/settings/2/api-keys/${appRevoked.id}`, { enabled: false }, 200);
    for (const user of [revokedBasic, revokedIbsso, revokedBearer]) await asAdmin('PUT', `/hookline/1/users/${user.id}`, { enabled: false }, 200);

    // A scheduled bulk for the bulk routes (every principal here is in the default account).
    ids.bulkId = uniq('matrix-bulk');
    ids.bulkSendAt = clock.now() + 8 * DAY;
    const schedule = { bulkId: ids.bulkId, sendAt: infobipTime(clock.now() + 7 * DAY) };
    await asAdmin('POST', '/sms/3/messages', { messages: [{ destinations: [{ to: TO }], content: { text: 'later' } }], options: { schedule } }, 200);

    // Security settings, a profile using them and a subscription on it, for the Subscriptions API routes.
    ids.targetAuth = await newSecurity();
    ids.spareAuth = await newSecurity();
    ids.targetProfile = await newProfile(ids.targetAuth);
    ids.spareProfile = await newProfile();
    ids.targetSubscription = await newSubscription();
    ids.spareSubscription = await newSubscription();

    // Numbers of the default account for the number and simulator routes.
    ids.targetNumber = await newNumber();
    ids.spareNumber = await newNumber();

    // SMPP connections for the SMPP routes.
    ids.targetSmpp = await newSmppConnection();
    ids.spareSmpp = await newSmppConnection();

    // Past the credential cache: revocations must show from here on.
    clock.advance(CREDENTIAL_CACHE_MS + 1);

    const set = (scheme: SchemeName, condition: string, authorization: string, from: From = '127.0.0.1', renew?: () => Promise<string>) =>
      credentials.set(`${scheme} ${condition}`, { authorization, from, renew });
    set('App', 'valid', `App ${appValid.apiKeySecret}`);
    set('App', 'wrong secret', `App ${tampered(appValid.apiKeySecret)}`);
    set('App', 'expired', `App ${appExpiring.apiKeySecret}`);
    set('App', 'revoked', `App ${appRevoked.apiKeySecret}`);
    set('App', 'wrong IP', `App ${appLocal.apiKeySecret}`, '127.0.0.2');
    set('App', 'missing scope', `App ${appUnrelated.apiKeySecret}`);
    set('Basic', 'valid', adminAuth);
    set('Basic', 'wrong secret', basic(TEST_ADMIN.username, `${TEST_ADMIN.password}x`));
    set('Basic', 'expired', adminAuth); // no validity window: after the clock moved, still valid
    set('Basic', 'revoked', basic(revokedBasic.username, PASSWORD));
    set('Basic', 'wrong IP', adminAuth, '127.0.0.2'); // no IP rule: valid from anywhere
    set('Basic', 'missing scope', basic(unrelated.username, PASSWORD));
    set('IBSSO', 'valid', `IBSSO ${adminSession}`, '127.0.0.1', () => newSession(TEST_ADMIN.username, TEST_ADMIN.password));
    set('IBSSO', 'wrong secret', `IBSSO ${tampered(adminSession)}`);
    set('IBSSO', 'expired', `IBSSO ${expiringSession}`);
    set('IBSSO', 'revoked', `IBSSO ${revokedSession}`);
    set('IBSSO', 'wrong IP', `IBSSO ${adminSession}`, '127.0.0.2'); // the valid session, bound to 127.0.0.1
    set('IBSSO', 'missing scope', `IBSSO ${unrelatedSession}`, '127.0.0.1', () => newSession(unrelated.username, PASSWORD));
    set('Bearer', 'valid', `Bearer ${adminToken}`);
    set('Bearer', 'wrong secret', `Bearer ${tampered(adminToken)}`);
    set('Bearer', 'expired', `Bearer ${expiringToken}`);
    set('Bearer', 'revoked', `Bearer ${revokedToken}`);
    set('Bearer', 'wrong IP', `Bearer ${adminToken}`, '127.0.0.2'); // no IP rule: valid from anywhere
    set('Bearer', 'missing scope', `Bearer ${unrelatedToken}`);
    SINGLE_SCOPES.forEach((scope, i) => set('App', `only ${scope}`, `App ${singleScopeKeys[i].apiKeySecret}`));
    // One user whose one role is given each scope in turn (see the any-of section).
    set('Bearer', "only the role's scope", `Bearer ${singleScopeToken}`);
  });

  after(async () => {
    await g?.close();
    await Promise.all(Object.values(agents ?? {}).map((agent) => agent.close()));
  });

  describe('fixtures', () => {
    test('every authenticated route has a fixture', () => {
      const missing = authenticated.map(([key]) => key).filter((key) => !FIXTURES[key]);
      assert.deepEqual(missing, [], 'add a fixture (a minimal succeeding request) for these routes to FIXTURES');
    });

    test('every fixture is for an authenticated route (no stale fixtures)', () => {
      const stale = Object.keys(FIXTURES).filter((key) => !ROUTE_POLICIES[key] || ROUTE_POLICIES[key].access === 'public');
      assert.deepEqual(stale, []);
    });

    test(`no route accepts ${UNRELATED_SCOPE}, the scope of the "missing scope" credentials`, () => {
      assert.ok(!SINGLE_SCOPES.includes(UNRELATED_SCOPE), `pick another UNRELATED_SCOPE: some route accepts ${UNRELATED_SCOPE}`);
      assert.ok(!SINGLE_SCOPES.includes('*'));
    });
  });

  // Endpoints a few at a time, each endpoint's cells a few at a time: the clock stands still and
  // every cell that changes state has resources of its own, so cells are independent.
  describe('endpoint × credential type × condition', { concurrency: 4 }, () => {
    for (const [key, policy] of authenticated) {
      if (!FIXTURES[key]) continue; // reported by 'every authenticated route has a fixture'
      describe(key, { concurrency: 8 }, () => {
        for (const scheme of SCHEMES) {
          for (const condition of CONDITIONS) {
            const expected = outcome(policy, scheme, condition);
            test(`${key} · ${scheme} · ${condition} → ${label(key, expected)}`, () => runCell(key, expected, credential(scheme, condition)));
          }
        }
      });
    }
  });

  describe('missing or malformed Authorization header → 401', { concurrency: 4 }, () => {
    const MALFORMED: Array<[string, () => string | undefined]> = [
      ['no Authorization header', () => undefined],
      ['Authorization: undefined (what the SDK sends to public routes)', () => 'undefined'],
      ['App without a secret', () => 'App'],
      ['Bearer junk', () => 'Bearer junk'],
      ['Basic not base64', () => 'Basic %%%not-base64%%%'],
      ['Basic without a colon', () => `Basic ${Buffer.from(TEST_ADMIN.username).toString('base64')}`],
      // A real secret under a scheme nobody speaks is still no credential.
      ['unknown scheme with a real secret', () => credential('App', 'valid').authorization!.replace(/^App /, 'Token ')],
    ];
    for (const [key] of authenticated) {
      if (!FIXTURES[key]) continue;
      describe(key, { concurrency: 8 }, () => {
        for (const [name, header] of MALFORMED) {
          test(`${key} · ${name} → 401 ${familyOf(urlOf(key))}`, () => runCell(key, 401, { authorization: header(), from: '127.0.0.1' }));
        }
      });
    }
  });

  // The matrix's valid credentials hold '*'; this proves the any-of rule with one scope at a time:
  // each scope the route accepts is enough alone, every other scope is not. App keys hold one scope
  // each; the Bearer user has one custom role whose scopes are changed per scope (a new role takes
  // effect within the credential cache's second, so the clock moves past it first).
  // Where success needs more than the route's scope, the single-scope success cells are left out:
  // operator actions on other accounts need every scope ('*'), and changing a key needs its scopes.
  // admin-api.test.ts and api-keys.test.ts test those rules.
  const BEYOND_ROUTE_SCOPE = new Set([
    'POST /hookline/1/accounts',
    'GET /hookline/1/accounts/:accountId',
    'PUT /hookline/1/accounts/:accountId',
    'DELETE /hookline/1/accounts/:accountId',
    'PUT /settings/2/api-keys/:apiKeyId',
    // SMPP connections belong to the whole gateway: the operator only.
    'GET /hookline/1/smpp/connections',
    'GET /hookline/1/smpp/connections/:name',
    'PUT /hookline/1/smpp/connections/:name',
    'DELETE /hookline/1/smpp/connections/:name',
    'GET /hookline/1/smpp/routes',
    'PUT /hookline/1/smpp/routes',
    'GET /hookline/1/smpp/status',
    // A message is readable with its own API family's scopes only: the matrix's one SMS is 404 to
    // a WhatsApp, e-mail or Messages API scope (console-api.test.ts tests that rule).
    'GET /hookline/1/messages/:messageId',
  ]);
  describe('one scope alone (Infobip any-of)', () => {
    for (const scope of SINGLE_SCOPES) {
      describe(`holding only ${scope}`, { concurrency: 8 }, () => {
        before(async () => {
          await asAdmin('PUT', `/hookline/1/roles/${singleScopeRole}`, { scopes: [scope] }, 200);
          clock.advance(CREDENTIAL_CACHE_MS + 1);
        });
        for (const [key, policy] of authenticated) {
          if (!FIXTURES[key] || typeof policy.access !== 'object') continue;
          for (const scheme of ['App', 'Bearer'] as const) {
            const schemeOk = !policy.schemes || policy.schemes.includes(SCHEME_ID[scheme]);
            const expected = schemeOk && policy.access.anyOf.includes(scope) ? 'success' : 403;
            if (expected === 'success' && BEYOND_ROUTE_SCOPE.has(key)) continue;
            const name = scheme === 'App' ? `only ${scope}` : "only the role's scope";
            test(`${key} · ${scheme} · only ${scope} → ${label(key, expected)}`, () => runCell(key, expected, credential(scheme, name)));
          }
        }
      });
    }
  });

  describe('afterwards', () => {
    test('a session ended by DELETE /auth/1/session is refused at once, not a cache lifetime later', async () => {
      const token = await newSession(TEST_ADMIN.username, TEST_ADMIN.password);
      assert.equal((await send('GET', '/sms/3/logs', undefined, `IBSSO ${token}`)).status, 200);
      assert.equal((await send('DELETE', '/auth/1/session', undefined, `IBSSO ${token}`)).status, 200);
      const again = await send('DELETE', '/auth/1/session', undefined, `IBSSO ${token}`);
      assert.equal(again.status, 401);
      assert.deepEqual(again.body, LEGACY_UNAUTHORIZED);
      const used = await send('GET', '/sms/3/logs', undefined, `IBSSO ${token}`);
      assert.equal(used.status, 401);
      assert.deepEqual(used.body, V3_UNAUTHORIZED);
    });

    test("no cell used up another cell's credential: every valid credential still works", async () => {
      for (const scheme of SCHEMES) {
        const { authorization, from } = credential(scheme, 'valid');
        const r = await send('GET', '/sms/3/logs', undefined, authorization, from);
        assert.equal(r.status, 200, `${scheme}: ${JSON.stringify(r.body)}`);
      }
    });

    // Last, because it moves the clock by more than an hour (past the matrix's sessions and tokens).
    test('a request refused for its address does not count as activity that keeps a bound session alive', async () => {
      const token = await newSession(TEST_ADMIN.username, TEST_ADMIN.password);
      clock.advance(50 * MINUTE);
      const wrong = await send('GET', '/sms/3/logs', undefined, `IBSSO ${token}`, '127.0.0.2');
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.body, V3_UNAUTHORIZED);
      // 70 minutes after its last accepted use (20 after the refused one): idle too long.
      clock.advance(20 * MINUTE);
      const owner = await send('GET', '/sms/3/logs', undefined, `IBSSO ${token}`, '127.0.0.1');
      assert.equal(owner.status, 401, 'the refused request from 127.0.0.2 extended the session');
      assert.deepEqual(owner.body, V3_UNAUTHORIZED);
    });
  });
});

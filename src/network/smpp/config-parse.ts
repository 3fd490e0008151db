/**
 * Validation of SMPP connections and the routing table, in one place for SMPP_CONFIG_FILE, the admin
 * API and the rows the admin API stored. Every field is described once, in CONNECTION_FIELDS: its
 * type, bounds and default. The parser reads that table, and so does the JSON Schema the admin
 * API publishes in /openapi.json (connectionBodySchema), so the two cannot disagree.
 *
 * Unknown fields are errors, never ignored: a typo (`windwo`) must not leave a default in place
 * silently. Every problem is collected, each with the path of its field, so the API can answer
 * 400 naming the fields and start-up can stop with one message listing them all.
 */
import { SIMULATOR_TARGET, type SmppConfig, type SmppConnectionConfig, type SmppRoute } from './smpp-config.ts';

export interface SmppConfigProblem {
  /** The field, as `reconnect.maxMs` or `connections[2].port`; '' for the whole input. */
  path: string;
  message: string;
}

/** Invalid SMPP configuration: every problem found, each naming its field. */
export class SmppConfigError extends Error {
  constructor(
    readonly problems: readonly SmppConfigProblem[],
    /** What was being read, for the message: `SMPP_CONFIG_FILE /etc/hookline/smpp.json`. */
    context = 'invalid SMPP configuration',
  ) {
    super(`${context}: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}`);
    this.name = 'SmppConfigError';
  }
}

type Field =
  | { type: 'integer'; min: number; max: number; default?: number | null; nullable?: true; description: string }
  | { type: 'string'; min: number; max: number; pattern: RegExp; patternText: string; default?: string; description: string }
  | { type: 'enum'; values: readonly string[]; default: string; description: string }
  | { type: 'object'; fields: Record<string, Field>; description: string };

/** SMPP's C-octet strings are ASCII and limited in octets: printable ASCII keeps characters = octets. */
const ASCII = /^[\x20-\x7E]*$/;
const ASCII_TEXT = 'printable ASCII';
/** Timers longer than this would be pointless (and past 2^31 ms, setTimeout fires at once). */
const HOUR_MS = 3_600_000;

const int = (min: number, max: number, defaultValue: number | undefined, description: string): Field => ({ type: 'integer', min, max, default: defaultValue, description });
const ascii = (min: number, max: number, defaultValue: string | undefined, description: string): Field => ({ type: 'string', min, max, pattern: ASCII, patternText: ASCII_TEXT, default: defaultValue, description });
const oneOf = (values: readonly string[], defaultValue: string, description: string): Field => ({ type: 'enum', values, default: defaultValue, description });
const object = (fields: Record<string, Field>, description: string): Field => ({ type: 'object', fields, description });
const backoff = (minFloor: number, minDefault: number, maxDefault: number, description: string): Field =>
  object({ minMs: int(minFloor, HOUR_MS, minDefault, 'first delay, doubled after each failure'), maxMs: int(minFloor, HOUR_MS, maxDefault, 'largest delay; at least minMs') }, description);
const MESSAGE_ID_FORMATS = ['string', 'hex', 'decimal'] as const;

/** Every field of a connection but its name, in the order they are shown. No default: required. */
export const CONNECTION_FIELDS: Record<string, Field> = {
  host: { type: 'string', min: 1, max: 255, pattern: /^\S+$/, patternText: 'no spaces', description: "the SMSC's host name or address" },
  port: int(1, 65_535, undefined, "the SMSC's TCP port"),
  // SMPP 3.4: system_id is a C-octet string of at most 16 octets with its NUL, password 9, system_type 13.
  systemId: ascii(1, 15, undefined, 'system_id of the bind'),
  password: ascii(0, 8, undefined, 'password of the bind (never shown by the API)'),
  systemType: ascii(0, 12, '', 'system_type of the bind'),
  bindMode: oneOf(['transceiver', 'transmitter+receiver'], 'transceiver', 'one transceiver socket per bind, or a transmitter and a receiver'),
  binds: int(1, 32, 1, 'binds (sessions) kept open at once'),
  window: int(1, 1_000, 10, 'most submit_sm awaiting their submit_sm_resp, per bind'),
  throughput: int(0, 100_000, 0, 'most submit_sm per second over the connection; 0: unlimited'),
  source: object(
    {
      ton: { type: 'integer', min: 0, max: 6, default: null, nullable: true, description: "source TON; null: from the sender's form (international, national, alphanumeric)" },
      npi: { type: 'integer', min: 0, max: 18, default: null, nullable: true, description: "source NPI; null: from the sender's form" },
      defaultSender: ascii(0, 20, '', 'source address of messages that name no sender'),
    },
    'source address rules',
  ),
  destination: object({ ton: int(0, 6, 1, 'destination TON (1: international)'), npi: int(0, 18, 1, 'destination NPI (1: ISDN/E.164)') }, 'destination address TON/NPI'),
  dataCoding: oneOf(['auto', 'gsm7', 'latin1', 'ucs2'], 'auto', 'auto: GSM-7 when every character is in its alphabet, else UCS-2'),
  longMessages: oneOf(['udh', 'sar'], 'udh', 'long messages split with a UDH concatenation header or the SAR TLVs'),
  delivery: oneOf(['at-least-once', 'at-most-once'], 'at-least-once', 'submits the SMSC never acknowledged before a bind dropped: sent again, or given up'),
  messageIds: object(
    { response: oneOf(MESSAGE_ID_FORMATS, 'string', 'form of the ids in submit_sm_resp'), receipt: oneOf(MESSAGE_ID_FORMATS, 'string', 'form of the ids in receipts') },
    'how the SMSC writes its message ids: hex and decimal ids are compared by value',
  ),
  enquireLinkMs: int(1_000, 300_000, 30_000, 'enquire_link keep-alive interval'),
  reconnect: backoff(100, 1_000, 60_000, 'backoff between failed connects or binds'),
  throttleBackoff: backoff(1, 100, 10_000, 'backoff while the SMSC answers ESME_RTHROTTLED or ESME_RMSGQFUL'),
  responseTimeoutMs: int(100, 120_000, 10_000, 'how long a submit_sm_resp may take before the bind is treated as broken'),
};

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const PREFIX = /^[0-9]{0,15}$/;

const at = (path: string, key: string) => (path ? `${path}.${key}` : key);
const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks one value against its field, pushing problems; returns the value with defaults filled in. */
function check(field: Field, value: unknown, path: string, problems: SmppConfigProblem[]): unknown {
  if (value === undefined && field.type !== 'object') {
    if (field.default !== undefined) return field.default;
    problems.push({ path, message: 'is required' });
    return undefined;
  }
  switch (field.type) {
    case 'integer':
      if (value === null && field.nullable) return null;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < field.min || value > field.max) {
        problems.push({ path, message: `must be an integer from ${field.min} to ${field.max}${field.nullable ? ', or null' : ''}` });
      }
      return value;
    case 'string':
      if (typeof value !== 'string') problems.push({ path, message: 'must be a string' });
      else if (value.length < field.min || value.length > field.max) problems.push({ path, message: field.min > 0 ? `must have ${field.min} to ${field.max} characters` : `must have at most ${field.max} characters` });
      else if (!field.pattern.test(value)) problems.push({ path, message: `must be ${field.patternText}` });
      return value;
    case 'enum':
      if (typeof value !== 'string' || !field.values.includes(value)) problems.push({ path, message: `must be one of ${field.values.map((v) => `"${v}"`).join(', ')}` });
      return value;
    case 'object':
      return checkObject(field.fields, value === undefined ? {} : value, path, problems);
  }
}

/** An object of exactly these fields (plus `extra` keys the caller checks itself). */
function checkObject(fields: Record<string, Field>, value: unknown, path: string, problems: SmppConfigProblem[], extra: readonly string[] = []): Record<string, unknown> {
  if (!isPlainObject(value)) {
    problems.push({ path, message: 'must be an object' });
    return {};
  }
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(fields, key) && !extra.includes(key)) problems.push({ path: at(path, key), message: 'is not a known field' });
  }
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fields)) out[key] = check(field, value[key], at(path, key), problems);
  return out;
}

/** Problems of a connection name (in the URL, or a file's `name`). */
function checkName(name: unknown, path: string, problems: SmppConfigProblem[]): void {
  if (name === undefined) problems.push({ path, message: 'is required' });
  else if (typeof name !== 'string' || !NAME.test(name)) problems.push({ path, message: 'must be 1 to 64 letters, digits, "_", "." or "-"' });
  else if (name.toLowerCase() === SIMULATOR_TARGET) problems.push({ path, message: `"${SIMULATOR_TARGET}" is reserved for the simulator in routes` });
}

function connectionProblems(name: unknown, input: unknown, path: string, problems: SmppConfigProblem[]): SmppConnectionConfig {
  checkName(name, at(path, 'name'), problems);
  const fields = checkObject(CONNECTION_FIELDS, input, path, problems, ['name']);
  if (isPlainObject(input) && input.name !== undefined && input.name !== name) problems.push({ path: at(path, 'name'), message: `must be "${String(name)}", the connection's name, or absent` });
  for (const key of ['reconnect', 'throttleBackoff'] as const) {
    // Compared only when both ends are valid on their own (one problem per field is enough).
    const [minPath, maxPath] = [at(path, `${key}.minMs`), at(path, `${key}.maxMs`)];
    if (problems.some((p) => p.path === minPath || p.path === maxPath)) continue;
    const range = fields[key] as { minMs?: unknown; maxMs?: unknown } | undefined;
    if (typeof range?.minMs === 'number' && typeof range.maxMs === 'number' && range.maxMs < range.minMs) problems.push({ path: maxPath, message: `must be at least ${key}.minMs (${range.minMs})` });
  }
  return { name, ...fields } as SmppConnectionConfig;
}

/**
 * A connection from what an operator wrote (the admin API's body, a file's entry, a stored row),
 * with every default filled in. `input.name`, when given, must equal `name`.
 */
export function parseSmppConnection(name: string, input: unknown): SmppConnectionConfig {
  const problems: SmppConfigProblem[] = [];
  const connection = connectionProblems(name, input, '', problems);
  if (problems.length > 0) throw new SmppConfigError(problems);
  return connection;
}

const ROUTE_FIELDS: Record<string, Field> = {
  prefix: { type: 'string', min: 0, max: 15, pattern: PREFIX, patternText: 'digits ("" matches every destination)', description: 'destination digits; "" matches every destination' },
  target: { type: 'string', min: 1, max: 64, pattern: NAME, patternText: `a connection's name or "${SIMULATOR_TARGET}"`, description: `a connection's name, or "${SIMULATOR_TARGET}"` },
};

function routesProblems(input: unknown, connectionNames: ReadonlySet<string>, path: string, problems: SmppConfigProblem[]): SmppRoute[] {
  if (!Array.isArray(input)) {
    problems.push({ path, message: 'must be an array of {prefix, target}' });
    return [];
  }
  const seen = new Map<string, number>();
  return input.map((entry, i) => {
    const here = `${path}[${i}]`;
    const before = problems.length;
    const route = checkObject(ROUTE_FIELDS, entry, here, problems) as unknown as SmppRoute;
    if (problems.length > before) return route;
    const first = seen.get(route.prefix);
    if (first !== undefined) problems.push({ path: `${here}.prefix`, message: `"${route.prefix}" is already routed by ${path}[${first}]` });
    seen.set(route.prefix, first ?? i);
    if (route.target !== SIMULATOR_TARGET && !connectionNames.has(route.target)) {
      problems.push({ path: `${here}.target`, message: `must be a connection's name or "${SIMULATOR_TARGET}"; there is no connection "${route.target}"` });
    }
    return route;
  });
}

/**
 * The routing table: destinations (international digits) starting with `prefix` go to `target`, a
 * connection of `connectionNames` or the simulator. Prefixes are digits ('' matches all), unique.
 */
export function parseSmppRoutes(input: unknown, connectionNames: ReadonlySet<string>): SmppRoute[] {
  const problems: SmppConfigProblem[] = [];
  const routes = routesProblems(input, connectionNames, 'routes', problems);
  if (problems.length > 0) throw new SmppConfigError(problems);
  return routes;
}

/** SMPP_CONFIG_FILE's content: `{ "connections": [{name, …}, …], "routes": [{prefix, target}, …] }`, both optional. */
export function parseSmppConfig(input: unknown): SmppConfig {
  const problems: SmppConfigProblem[] = [];
  if (!isPlainObject(input)) throw new SmppConfigError([{ path: '', message: 'must be an object {"connections": […], "routes": […]}' }]);
  for (const key of Object.keys(input)) if (key !== 'connections' && key !== 'routes') problems.push({ path: key, message: 'is not a known field (connections, routes)' });
  const connections: SmppConnectionConfig[] = [];
  const rawConnections = input.connections === undefined ? [] : input.connections;
  if (!Array.isArray(rawConnections)) problems.push({ path: 'connections', message: 'must be an array' });
  else {
    const seen = new Map<string, number>();
    rawConnections.forEach((entry, i) => {
      const path = `connections[${i}]`;
      if (!isPlainObject(entry)) {
        problems.push({ path, message: 'must be an object' });
        return;
      }
      const name = entry.name;
      connections.push(connectionProblems(name, entry, path, problems));
      if (typeof name !== 'string') return;
      const first = seen.get(name);
      if (first !== undefined) problems.push({ path: `${path}.name`, message: `"${name}" is already the name of connections[${first}]` });
      else seen.set(name, i);
    });
  }
  const names = new Set(connections.map((c) => c.name));
  const routes = routesProblems(input.routes === undefined ? [] : input.routes, names, 'routes', problems);
  if (problems.length > 0) throw new SmppConfigError(problems);
  return { connections, routes };
}

// ---------------------------------------------------------------------------------------------
// The same fields as JSON Schema (OpenAPI 3.0), for the admin API's document.

function schemaOf(field: Field): Record<string, unknown> {
  const common = { description: field.description, ...(field.type !== 'object' && field.default !== undefined ? { default: field.default } : {}) };
  switch (field.type) {
    case 'integer':
      return { type: 'integer', minimum: field.min, maximum: field.max, ...(field.nullable ? { nullable: true } : {}), ...common };
    case 'string':
      return { type: 'string', minLength: field.min, maxLength: field.max, pattern: field.pattern.source, ...common };
    case 'enum':
      return { type: 'string', enum: [...field.values], ...common };
    case 'object':
      return objectSchema(field.fields, common);
  }
}

function objectSchema(fields: Record<string, Field>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const required = Object.entries(fields)
    .filter(([, f]) => f.type !== 'object' && f.default === undefined)
    .map(([key]) => key);
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(fields).map(([key, f]) => [key, schemaOf(f)])),
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
    ...extra,
  };
}

const CONNECTION_SCHEMA = objectSchema(CONNECTION_FIELDS);

/** The body of PUT /hookline/1/smpp/connections/{name}: the fields, and optionally the name. */
export const CONNECTION_BODY_SCHEMA = {
  ...CONNECTION_SCHEMA,
  properties: { name: { type: 'string', pattern: NAME.source, description: 'the name in the path, or absent' }, ...(CONNECTION_SCHEMA.properties as object) },
};

/** The body of PUT /hookline/1/smpp/routes: the whole table. */
export const ROUTES_BODY_SCHEMA = {
  type: 'object',
  required: ['routes'],
  additionalProperties: false,
  properties: { routes: { type: 'array', description: 'the whole routing table; the longest matching prefix wins', items: objectSchema(ROUTE_FIELDS) } },
};

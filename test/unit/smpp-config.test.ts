/**
 * SMPP configuration parsing (src/network/smpp/config-parse.ts): defaults, every bound on both
 * sides, unknown fields, the routing table, the file form, and the JSON Schema the admin API
 * publishes agreeing with the parser. Also SMPP_CONFIG_FILE in loadConfig, and the README's example.
 */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { CONNECTION_BODY_SCHEMA, CONNECTION_FIELDS, parseSmppConfig, parseSmppConnection, parseSmppRoutes, ROUTES_BODY_SCHEMA, SmppConfigError } from '../../src/network/smpp/config-parse.ts';
import { SMPP_CONNECTION_DEFAULTS } from '../helpers/smpp-defaults.ts';

const REQUIRED = { host: '127.0.0.1', port: 2775, systemId: 'hookline', password: 'secret' };
const DEFAULTS = SMPP_CONNECTION_DEFAULTS;

/** REQUIRED with `path` (dotted) set to `value`, plus any other fields. */
function withValue(path: string, value: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const input: Record<string, any> = structuredClone({ ...REQUIRED, ...extra });
  const keys = path.split('.');
  let at = input;
  for (const key of keys.slice(0, -1)) at = at[key] ??= {};
  at[keys.at(-1)!] = value;
  return input;
}

/** The paths of the problems parseSmppConnection reports ([] when it accepts). */
function problemPaths(input: unknown, name = 'carrier'): string[] {
  try {
    parseSmppConnection(name, input);
    return [];
  } catch (error) {
    assert.ok(error instanceof SmppConfigError, String(error));
    return error.problems.map((p) => p.path);
  }
}

const HOUR = 3_600_000;

describe('parseSmppConnection', () => {
  it('fills in every default, in a fixed field order, name first', () => {
    const parsed = parseSmppConnection('carrier', REQUIRED);
    assert.deepEqual(parsed, { name: 'carrier', ...REQUIRED, ...DEFAULTS });
    assert.deepEqual(Object.keys(parsed), ['name', ...Object.keys(CONNECTION_FIELDS)]);
    // Given values are kept; a partial nested object gets the rest of its defaults.
    assert.deepEqual(parseSmppConnection('carrier', { ...REQUIRED, source: { ton: 5 }, reconnect: { maxMs: 5_000 } }).source, { ton: 5, npi: null, defaultSender: '' });
    assert.deepEqual(parseSmppConnection('carrier', { ...REQUIRED, reconnect: { maxMs: 5_000 } }).reconnect, { minMs: 1_000, maxMs: 5_000 });
    // The input is not changed.
    const input = structuredClone(REQUIRED);
    parseSmppConnection('carrier', input);
    assert.deepEqual(input, REQUIRED);
  });

  it('host, port, systemId and password are required; everything else has a default', () => {
    assert.deepEqual(problemPaths({}).sort(), ['host', 'password', 'port', 'systemId']);
    const error = (() => {
      try {
        parseSmppConnection('carrier', { host: 'h', port: 1, systemId: 's' });
      } catch (e) {
        return e as SmppConfigError;
      }
    })();
    assert.deepEqual(error?.problems, [{ path: 'password', message: 'is required' }]);
    assert.equal(error?.message, 'invalid SMPP configuration: password: is required');
  });

  const INTEGERS: Array<[string, number, number, Record<string, unknown>?]> = [
    ['port', 1, 65_535],
    ['binds', 1, 32],
    ['window', 1, 1_000],
    ['throughput', 0, 100_000],
    ['source.ton', 0, 6],
    ['source.npi', 0, 18],
    ['destination.ton', 0, 6],
    ['destination.npi', 0, 18],
    ['enquireLinkMs', 1_000, 300_000],
    ['responseTimeoutMs', 100, 120_000],
    // Backoff ranges: the other end set so that max ≥ min holds at every tested value.
    ['reconnect.minMs', 100, HOUR, { reconnect: { maxMs: HOUR } }],
    ['reconnect.maxMs', 100, HOUR, { reconnect: { minMs: 100 } }],
    ['throttleBackoff.minMs', 1, HOUR, { throttleBackoff: { maxMs: HOUR } }],
    ['throttleBackoff.maxMs', 1, HOUR, { throttleBackoff: { minMs: 1 } }],
  ];
  for (const [path, min, max, extra] of INTEGERS) {
    it(`${path}: an integer from ${min} to ${max}`, () => {
      for (const ok of [min, max, Math.floor((min + max) / 2)]) assert.deepEqual(problemPaths(withValue(path, ok, extra)), [], `${path} = ${ok}`);
      for (const bad of [min - 1, max + 1, min + 0.5, String(min), true, Number.NaN, Infinity]) assert.deepEqual(problemPaths(withValue(path, bad, extra)), [path], `${path} = ${String(bad)}`);
      const nullable = path === 'source.ton' || path === 'source.npi';
      assert.deepEqual(problemPaths(withValue(path, null, extra)), nullable ? [] : [path], `${path} = null`);
    });
  }

  it('the message says the range', () => {
    assert.throws(() => parseSmppConnection('carrier', withValue('source.npi', 19)), { message: 'invalid SMPP configuration: source.npi: must be an integer from 0 to 18, or null' });
    assert.throws(() => parseSmppConnection('carrier', withValue('window', 0)), { message: 'invalid SMPP configuration: window: must be an integer from 1 to 1000' });
  });

  const STRINGS: Array<[string, number, number]> = [
    ['host', 1, 255],
    ['systemId', 1, 15],
    ['password', 0, 8],
    ['systemType', 0, 12],
    ['source.defaultSender', 0, 20],
  ];
  for (const [path, min, max] of STRINGS) {
    it(`${path}: ${min} to ${max} characters`, () => {
      for (const ok of [min, max]) assert.deepEqual(problemPaths(withValue(path, 'x'.repeat(ok))), [], `${path} of ${ok}`);
      if (min > 0) assert.deepEqual(problemPaths(withValue(path, 'x'.repeat(min - 1))), [path]);
      assert.deepEqual(problemPaths(withValue(path, 'x'.repeat(max + 1))), [path]);
      for (const bad of [42, null, ['x']]) assert.deepEqual(problemPaths(withValue(path, bad)), [path], `${path} = ${JSON.stringify(bad)}`);
    });
  }

  it('SMPP strings are printable ASCII (their limits are octets); a host has no spaces', () => {
    for (const path of ['systemId', 'password', 'systemType', 'source.defaultSender']) {
      assert.deepEqual(problemPaths(withValue(path, 'é')), [path], path);
      assert.deepEqual(problemPaths(withValue(path, 'a\u0000')), [path], path);
      assert.deepEqual(problemPaths(withValue(path, 'A z~!')), [], path);
    }
    assert.deepEqual(problemPaths(withValue('host', 'smsc example')), ['host']);
    assert.deepEqual(problemPaths(withValue('host', '::1')), []);
  });

  const ENUMS: Array<[string, string[]]> = [
    ['bindMode', ['transceiver', 'transmitter+receiver']],
    ['dataCoding', ['auto', 'gsm7', 'latin1', 'ucs2']],
    ['longMessages', ['udh', 'sar']],
    ['delivery', ['at-least-once', 'at-most-once']],
    ['messageIds.response', ['string', 'hex', 'decimal']],
    ['messageIds.receipt', ['string', 'hex', 'decimal']],
  ];
  for (const [path, values] of ENUMS) {
    it(`${path}: one of ${values.join(', ')}`, () => {
      for (const ok of values) assert.deepEqual(problemPaths(withValue(path, ok)), [], ok);
      for (const bad of [values[0].toUpperCase(), '', 'other', 1, null]) assert.deepEqual(problemPaths(withValue(path, bad)), [path], JSON.stringify(bad));
    });
  }

  it('backoff: maxMs must not be below minMs', () => {
    assert.deepEqual(problemPaths(withValue('reconnect', { minMs: 5_000, maxMs: 4_999 })), ['reconnect.maxMs']);
    assert.deepEqual(problemPaths(withValue('reconnect', { minMs: 5_000, maxMs: 5_000 })), []);
    // A minMs above the default maxMs needs a maxMs too.
    assert.deepEqual(problemPaths(withValue('throttleBackoff', { minMs: 20_000 })), ['throttleBackoff.maxMs']);
    assert.throws(() => parseSmppConnection('carrier', withValue('reconnect', { minMs: 5_000, maxMs: 100 })), { message: 'invalid SMPP configuration: reconnect.maxMs: must be at least reconnect.minMs (5000)' });
  });

  it('unknown fields are errors, at every level (typos must not leave a default in place)', () => {
    assert.deepEqual(problemPaths({ ...REQUIRED, windwo: 20 }), ['windwo']);
    // Names an object has by inheritance are not fields either.
    assert.deepEqual(problemPaths(JSON.parse(JSON.stringify(REQUIRED).replace('{', '{"constructor":1,"toString":2,"__proto__":{},'))).sort(), ['__proto__', 'constructor', 'toString']);
    assert.deepEqual(problemPaths({ ...REQUIRED, source: { tom: 1 }, destination: { ton: 1, extra: 1 }, messageIds: { receipts: 'hex' }, reconnect: { min: 1 } }).sort(), [
      'destination.extra',
      'messageIds.receipts',
      'reconnect.min',
      'source.tom',
    ]);
    assert.throws(() => parseSmppConnection('carrier', { ...REQUIRED, windwo: 20 }), { message: 'invalid SMPP configuration: windwo: is not a known field' });
  });

  it('the input and its nested groups must be objects', () => {
    for (const bad of [null, [], 'x', 3]) assert.deepEqual(problemPaths(bad), [''], JSON.stringify(bad));
    for (const group of ['source', 'destination', 'messageIds', 'reconnect', 'throttleBackoff']) {
      for (const bad of [null, [], 'x']) assert.deepEqual(problemPaths(withValue(group, bad)), [group], `${group} = ${JSON.stringify(bad)}`);
    }
  });

  it('every problem is reported at once', () => {
    assert.deepEqual(problemPaths({ host: '', port: 0, systemId: '', password: 'x'.repeat(9), window: 0, extra: 1 }).sort(), ['extra', 'host', 'password', 'port', 'systemId', 'window']);
  });

  it('name: 1 to 64 of letters, digits, _ . -; not "simulator" in any case; the input may repeat it, not contradict it', () => {
    for (const ok of ['a', 'Carrier_1.eu-west', 'n'.repeat(64)]) assert.deepEqual(problemPaths(REQUIRED, ok), [], ok);
    for (const bad of ['', 'n'.repeat(65), 'a b', 'a/b', 'é', 'simulator', 'Simulator']) assert.deepEqual(problemPaths(REQUIRED, bad), ['name'], bad);
    assert.deepEqual(problemPaths({ ...REQUIRED, name: 'carrier' }, 'carrier'), []);
    assert.deepEqual(problemPaths({ ...REQUIRED, name: 'other' }, 'carrier'), ['name']);
    assert.deepEqual(problemPaths({ ...REQUIRED, name: 7 }, 'carrier'), ['name']);
    assert.equal(parseSmppConnection('carrier', { ...REQUIRED, name: 'carrier' }).name, 'carrier');
  });
});

describe('parseSmppRoutes', () => {
  const names = new Set(['a', 'b']);
  const paths = (input: unknown): string[] => {
    try {
      parseSmppRoutes(input, names);
      return [];
    } catch (error) {
      assert.ok(error instanceof SmppConfigError);
      return error.problems.map((p) => p.path);
    }
  };

  it('accepts digit prefixes up to 15 and "" (everything), to a connection or the simulator, in the order given', () => {
    const table = [
      { prefix: '4179', target: 'a' },
      { prefix: '', target: 'simulator' },
      { prefix: '1'.repeat(15), target: 'b' },
    ];
    assert.deepEqual(parseSmppRoutes(table, names), table);
    assert.deepEqual(parseSmppRoutes([], names), []);
    assert.deepEqual(parseSmppRoutes([{ prefix: '', target: 'simulator' }], new Set()), [{ prefix: '', target: 'simulator' }]);
  });

  it('refuses bad prefixes, unknown targets, duplicates, unknown fields, naming the entry', () => {
    assert.deepEqual(paths([{ prefix: '1'.repeat(16), target: 'a' }]), ['routes[0].prefix']);
    for (const bad of ['+41', '41 79', 'x', 41, null]) assert.deepEqual(paths([{ prefix: bad, target: 'a' }]), ['routes[0].prefix'], JSON.stringify(bad));
    assert.deepEqual(paths([{ prefix: '1', target: 'c' }]), ['routes[0].target']);
    assert.deepEqual(paths([{ prefix: '1', target: '' }]), ['routes[0].target']);
    assert.deepEqual(paths([{ prefix: '1', target: 'Simulator' }]), ['routes[0].target']);
    assert.deepEqual(paths([{ prefix: '1', target: 'a' }, { prefix: '2', target: 'b' }, { prefix: '1', target: 'b' }]), ['routes[2].prefix']);
    assert.deepEqual(paths([{ prefix: '', target: 'a' }, { prefix: '', target: 'simulator' }]), ['routes[1].prefix']);
    assert.deepEqual(paths([{ prefix: '1', target: 'a', weight: 2 }]), ['routes[0].weight']);
    assert.deepEqual(paths([{ target: 'a' }, { prefix: '2' }]), ['routes[0].prefix', 'routes[1].target']);
    assert.deepEqual(paths(['41:a']), ['routes[0]']);
    for (const bad of [null, {}, '41']) assert.deepEqual(paths(bad), ['routes'], JSON.stringify(bad));
    assert.throws(() => parseSmppRoutes([{ prefix: '1', target: 'c' }], names), { message: 'invalid SMPP configuration: routes[0].target: must be a connection\'s name or "simulator"; there is no connection "c"' });
    assert.throws(() => parseSmppRoutes([{ prefix: '1', target: 'a' }, { prefix: '1', target: 'a' }], names), { message: 'invalid SMPP configuration: routes[1].prefix: "1" is already routed by routes[0]' });
  });
});

describe('parseSmppConfig (SMPP_CONFIG_FILE)', () => {
  const paths = (input: unknown): string[] => {
    try {
      parseSmppConfig(input);
      return [];
    } catch (error) {
      assert.ok(error instanceof SmppConfigError);
      return error.problems.map((p) => p.path);
    }
  };

  it('connections with their names inside, defaults filled in; routes to them or the simulator; both lists optional', () => {
    const parsed = parseSmppConfig({
      connections: [
        { name: 'a', ...REQUIRED },
        { name: 'b', ...REQUIRED, binds: 4 },
      ],
      routes: [
        { prefix: '41', target: 'a' },
        { prefix: '', target: 'b' },
      ],
    });
    assert.deepEqual(parsed.connections, [
      { name: 'a', ...REQUIRED, ...DEFAULTS },
      { name: 'b', ...REQUIRED, ...DEFAULTS, binds: 4 },
    ]);
    assert.deepEqual(parsed.routes, [
      { prefix: '41', target: 'a' },
      { prefix: '', target: 'b' },
    ]);
    assert.deepEqual(parseSmppConfig({}), { connections: [], routes: [] });
    assert.deepEqual(parseSmppConfig({ routes: [{ prefix: '', target: 'simulator' }] }), { connections: [], routes: [{ prefix: '', target: 'simulator' }] });
  });

  it("problems are named by their place in the file, every one at once", () => {
    assert.deepEqual(
      paths({
        connections: [{ ...REQUIRED }, { name: 'a', ...REQUIRED, port: 0 }, { name: 'a', ...REQUIRED }, 'b', { name: 'simulator', ...REQUIRED }],
        routes: [{ prefix: '1', target: 'nowhere' }],
        connection: [],
      }),
      ['connection', 'connections[0].name', 'connections[1].port', 'connections[2].name', 'connections[3]', 'connections[4].name', 'routes[0].target'],
    );
    assert.throws(() => parseSmppConfig({ connections: [{ name: 'a', ...REQUIRED }, { name: 'a', ...REQUIRED }] }), {
      message: 'invalid SMPP configuration: connections[1].name: "a" is already the name of connections[0]',
    });
  });

  it('the file must be an object with list fields', () => {
    for (const bad of [null, [], 'x']) assert.deepEqual(paths(bad), [''], JSON.stringify(bad));
    assert.deepEqual(paths({ connections: {}, routes: 'x' }), ['connections', 'routes']);
    assert.deepEqual(paths({ connections: null, routes: null }), ['connections', 'routes']);
  });

  it("the README's example file is valid, and shows every field", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## SMPP connections'));
    const example = /```json\n([\s\S]*?)\n```/.exec(section);
    assert.ok(example, 'a ```json block in the README section "SMPP connections"');
    const parsed = parseSmppConfig(JSON.parse(example[1]));
    assert.ok(parsed.connections.length > 0 && parsed.routes.length > 0);
    const written = JSON.parse(example[1]).connections[0];
    assert.deepEqual(Object.keys(written).sort(), ['name', ...Object.keys(CONNECTION_FIELDS)].sort(), 'the first connection of the example writes every field');
  });
});

describe('the JSON Schema published for the admin API is the parser table', () => {
  it('PUT connection body: the fields, with the required ones, no others, and the defaults the parser fills in', () => {
    const schema = CONNECTION_BODY_SCHEMA as any;
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(Object.keys(schema.properties), ['name', ...Object.keys(CONNECTION_FIELDS)]);
    assert.deepEqual([...schema.required].sort(), ['host', 'password', 'port', 'systemId']);
    assert.deepEqual([schema.properties.port.minimum, schema.properties.port.maximum], [1, 65_535]);
    assert.deepEqual(schema.properties.bindMode.enum, ['transceiver', 'transmitter+receiver']);
    assert.equal(schema.properties.source.properties.ton.nullable, true);
    assert.equal(schema.properties.source.additionalProperties, false);
    // Every documented default is what the parser fills in.
    const parsed: any = parseSmppConnection('carrier', REQUIRED);
    for (const [key, property] of Object.entries<any>(schema.properties)) {
      if (property.type === 'object') {
        for (const [inner, p] of Object.entries<any>(property.properties)) assert.deepEqual(parsed[key][inner], p.default, `${key}.${inner}`);
      } else if ('default' in property) assert.deepEqual(parsed[key], property.default, key);
    }
  });

  it('PUT routes body: {routes: [{prefix, target}]}', () => {
    const schema = ROUTES_BODY_SCHEMA as any;
    assert.deepEqual(schema.required, ['routes']);
    assert.deepEqual(schema.properties.routes.items.required, ['prefix', 'target']);
    assert.equal(schema.properties.routes.items.additionalProperties, false);
  });
});

describe('SMPP_CONFIG_FILE', () => {
  it('unset: null (connections and routes live in the database); set: the path', () => {
    assert.equal(loadConfig({}).smppConfigFile, null);
    assert.equal(loadConfig({ SMPP_CONFIG_FILE: '' }).smppConfigFile, null);
    assert.equal(loadConfig({ SMPP_CONFIG_FILE: '/etc/hookline/smpp.json' }).smppConfigFile, '/etc/hookline/smpp.json');
  });
});

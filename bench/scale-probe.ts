/**
 * Loaded with `--import` into each gateway child of the scale-out benchmark, in front of the
 * unchanged src/main.ts. Answers the parent's IPC `sample` with this process's CPU time
 * (process.cpuUsage), the gateway's own statement counter (src/store/query-count.ts) and a
 * per-statement tally, taken by wrapping pg's Client#query and better-sqlite3's Statement
 * methods (bench only: the gateway itself only increments its integer).
 *
 * IPC: parent → child {type: 'sample'}; child → parent {type: 'sample', …ProbeSample}.
 * If the parent goes away, the child shuts down as on SIGTERM.
 */
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { queryCount } from '../src/store/query-count.ts';
import { StatementTally, type TallyEntry } from './scale-statements.ts';

export interface ProbeSample {
  pid: number;
  /** user + system CPU time since the process started, in microseconds. */
  cpuMicros: number;
  /** Of which system (kernel) time: mostly socket reads and writes. */
  systemMicros: number;
  /** The gateway's counter: statements sent through Kysely. */
  statements: number;
  /** Statements seen at the driver (includes LISTEN on the notifier's own connection). */
  driverStatements: number;
  tally: TallyEntry[];
}

const tally = new StatementTally();

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

const clientPrototype = pg.Client.prototype as unknown as Record<string, AnyFunction>;
const pgQuery = clientPrototype.query;
clientPrototype.query = function (this: unknown, ...args: unknown[]) {
  const first = args[0] as string | { text?: unknown } | undefined;
  const text = typeof first === 'string' ? first : first?.text;
  const entry = typeof text === 'string' ? tally.record(this as object, text) : null;
  const started = performance.now();
  const result = pgQuery.apply(this, args);
  if (entry && result instanceof Promise) {
    const done = () => void (entry.ms += performance.now() - started);
    result.then(done, done);
  }
  return result;
};

// Every Statement shares one prototype; Kysely's SQLite driver calls all() or run().
const scratch = new SQLite(':memory:');
const statementPrototype = Object.getPrototypeOf(scratch.prepare('select 1')) as Record<string, AnyFunction>;
scratch.close();
const SQLITE_CONNECTION = {};
for (const method of ['all', 'run', 'get', 'iterate']) {
  const original = statementPrototype[method];
  statementPrototype[method] = function (this: unknown, ...args: unknown[]) {
    const entry = tally.record(SQLITE_CONNECTION, (this as { source: string }).source);
    const started = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      entry.ms += performance.now() - started;
    }
  };
}

process.on('message', (message: { type?: string }) => {
  if (message?.type !== 'sample') return;
  const cpu = process.cpuUsage();
  const sample: ProbeSample = { pid: process.pid, cpuMicros: cpu.user + cpu.system, systemMicros: cpu.system, statements: queryCount(), driverStatements: tally.total, tally: tally.entries() };
  process.send!({ type: 'sample', ...sample });
});
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));

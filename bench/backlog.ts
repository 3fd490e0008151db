/**
 * Retry backlogs: deliveries RETRYING with next_attempt_at in the future, written straight
 * into SQLite in big transactions (generated data lives in temp dirs only), plus the same few
 * due ones in each database. Two gateway processes (bench/backlog-child.ts), one per
 * database, run dispatcher passes in alternation — small, large, large, small, … — so a
 * change in the machine's load hits both alike. Each reports its pass times and peak RSS.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { openStore } from '../src/store/database.ts';
import type { BacklogChildReport } from './backlog-child.ts';
import { tempDir, v3Body } from './fixtures.ts';

export interface BacklogSide extends BacklogChildReport {
  pending: number;
  populateSeconds: number;
  dbMb: number;
  openMs: number;
  releaseMs: number;
  passMs: number[];
  passCpuMs: number[];
  medianPassMs: number;
  medianPassCpuMs: number;
}

const BATCH = 50_000;

function populate(path: string, opts: { future: number; due: number; targets: number; receiverUrl: string }): void {
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // generated data: durability is not the point while loading
  db.pragma('cache_size = -262144');
  // first_event_at as formation sets it (the report's time); cycle_base and drop_reason keep their defaults (0, null).
  const insert = db.prepare(`insert into deliveries (id, account_id, target_url, family, content_type, body, report_count, state, attempts, next_attempt_at,
      lease_owner, lease_until, last_status_code, last_error, created_at, done_at, first_event_at)
    values (?, 'default', ?, 'sms-v3', 'application/json', ?, 1, 'RETRYING', ?, ?, null, null, ?, ?, ?, null, ?)`);
  const body = v3Body(1);
  const now = Date.now();
  const targets = Array.from({ length: opts.targets }, (_, i) => `${opts.receiverUrl}/t/${i}`);
  const insertMany = db.transaction((from: number, to: number, due: boolean) => {
    for (let i = from; i < to; i++) {
      const id = `whd_${randomUUID().replaceAll('-', '')}`;
      // Future rows are spread over the next ~41 hours, like a real retry schedule.
      const next = due ? now - 1_000 - i : now + 60_000 + ((i * 7_919) % 149_400_000);
      insert.run(id, targets[i % targets.length], body, due ? 2 : 1 + (i % 20), next, due ? 503 : null, due ? 'HTTP 503' : 'connect ECONNREFUSED', now - 3_600_000, now - 3_600_000);
    }
  });
  for (let from = 0; from < opts.future; from += BATCH) insertMany(from, Math.min(opts.future, from + BATCH), false);
  insertMany(0, opts.due, true);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

class Child {
  private constructor(
    private readonly child: ChildProcess,
    readonly ready: { openMs: number; releaseMs: number },
  ) {}

  static async start(dbPath: string): Promise<Child> {
    const child = fork(fileURLToPath(new URL('./backlog-child.ts', import.meta.url)), [dbPath], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<{ openMs: number; releaseMs: number }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`backlog child exited early (${code})`)));
      child.once('message', ({ openMs, releaseMs }: { openMs: number; releaseMs: number }) => resolve({ openMs, releaseMs }));
    });
    child.removeAllListeners('exit');
    return new Child(child, ready);
  }

  ask<T>(type: string): Promise<T> {
    return new Promise((resolve) => {
      this.child.once('message', resolve);
      this.child.send({ type });
    });
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function backlogScenario(opts: { pending: number[]; due: number; targets: number; receiverUrl: string; passes: number }): Promise<BacklogSide[]> {
  const temps = opts.pending.map(() => tempDir());
  const children: Child[] = [];
  try {
    const sides = [];
    for (const [i, pending] of opts.pending.entries()) {
      const dbPath = join(temps[i].dir, 'backlog.db');
      await (await openStore(`sqlite:${dbPath}`)).close(); // the gateway's schema and indexes
      const started = performance.now();
      populate(dbPath, { future: pending, due: opts.due, targets: opts.targets, receiverUrl: opts.receiverUrl });
      sides.push({ dbPath, pending, populateSeconds: (performance.now() - started) / 1_000, dbMb: statSync(dbPath).size / 1_048_576 });
    }
    for (const side of sides) children.push(await Child.start(side.dbPath));
    const passes = sides.map(() => ({ ms: [] as number[], cpuMs: [] as number[] }));
    for (let round = 0; round < opts.passes; round++) {
      const order = round % 2 === 0 ? children.keys() : [...children.keys()].reverse();
      for (const i of order) {
        const { ms, cpuMs } = await children[i].ask<{ ms: number; cpuMs: number }>('pass');
        passes[i].ms.push(ms);
        passes[i].cpuMs.push(cpuMs);
      }
    }
    const reports: BacklogChildReport[] = [];
    for (const child of children) reports.push(await child.ask<BacklogChildReport>('finish'));
    return sides.map((side, i) => ({
      pending: side.pending,
      populateSeconds: side.populateSeconds,
      dbMb: side.dbMb,
      ...children[i].ready,
      rssPeakMb: reports[i].rssPeakMb,
      vmHwmMb: reports[i].vmHwmMb,
      delivered: reports[i].delivered,
      passMs: passes[i].ms,
      passCpuMs: passes[i].cpuMs,
      medianPassMs: median(passes[i].ms),
      medianPassCpuMs: median(passes[i].cpuMs),
    }));
  } finally {
    for (const child of children) child.kill();
    for (const temp of temps) temp.remove();
  }
}

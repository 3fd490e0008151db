/**
 * Snapshots of everything that burns CPU or sends statements during a scale-out run, and the
 * difference between two of them: each gateway child (over IPC), every PostgreSQL process
 * (/proc), the receiver child (/proc), this process (the load client and orchestration), and
 * the machine as a whole (/proc/stat).
 */
import type { GatewayChild, Role } from './scale-gateway.ts';
import type { PgRole } from './scale-pg.ts';
import type { ProbeSample } from './scale-probe.ts';
import { machineTicks, postgresTicks, processTicks, ticksToMs } from './scale-proc.ts';
import { tallyDelta, type TallyEntry } from './scale-statements.ts';

export const epochNow = () => performance.timeOrigin + performance.now();

export interface Snapshot {
  at: number;
  children: Array<{ name: string; role: Role; sample: ProbeSample }>;
  postgres: Map<number, { ticks: number; systemTicks: number }>;
  receiverTicks: number;
  client: NodeJS.CpuUsage;
  machine: { busy: number; total: number };
}

export async function snapshot(children: GatewayChild[], receiverPid: number): Promise<Snapshot> {
  const samples = await Promise.all(children.map((c) => c.sample()));
  return {
    at: epochNow(),
    children: children.map((c, i) => ({ name: c.name, role: c.role, sample: samples[i] })),
    postgres: postgresTicks(),
    receiverTicks: processTicks(receiverPid) ?? 0,
    client: process.cpuUsage(),
    machine: machineTicks(),
  };
}

export interface ProcessUsage {
  name: string;
  role: Role;
  cpuMs: number;
  /** Of which system (kernel) time. */
  systemMs: number;
  /** The gateway's own counter (src/store/query-count.ts). */
  statements: number;
  /** Seen at the driver by the probe (adds LISTEN; should otherwise equal `statements`). */
  driverStatements: number;
  tally: TallyEntry[];
}

export interface Usage {
  seconds: number;
  processes: ProcessUsage[];
  postgresMs: Record<PgRole | 'total', number>;
  /** System (kernel) part of PostgreSQL's total. */
  postgresSystemMs: number;
  receiverMs: number;
  clientMs: number;
  machineBusyMs: number;
  /** Average number of busy cores over the window. */
  machineCores: number;
}

export function usage(a: Snapshot, b: Snapshot, roles: Map<number, PgRole>): Usage {
  const processes = b.children.map(({ name, role, sample }) => {
    const before = a.children.find((c) => c.name === name)!.sample;
    return {
      name,
      role,
      cpuMs: (sample.cpuMicros - before.cpuMicros) / 1_000,
      systemMs: (sample.systemMicros - before.systemMicros) / 1_000,
      statements: sample.statements - before.statements,
      driverStatements: sample.driverStatements - before.driverStatements,
      tally: tallyDelta(before.tally, sample.tally),
    };
  });
  const postgresMs: Usage['postgresMs'] = { total: 0, ours: 0, background: 0, 'other databases': 0 };
  let postgresSystemMs = 0;
  for (const [pid, now] of b.postgres) {
    // A process that started inside the window counts from zero; one that ended inside it is lost.
    const then = a.postgres.get(pid) ?? { ticks: 0, systemTicks: 0 };
    const ms = ticksToMs(now.ticks - then.ticks);
    postgresMs.total += ms;
    postgresMs[roles.get(pid) ?? 'background'] += ms;
    postgresSystemMs += ticksToMs(now.systemTicks - then.systemTicks);
  }
  const seconds = (b.at - a.at) / 1_000;
  const machineBusyMs = ticksToMs(b.machine.busy - a.machine.busy);
  return {
    seconds,
    processes,
    postgresMs,
    postgresSystemMs,
    receiverMs: ticksToMs(b.receiverTicks - a.receiverTicks),
    clientMs: (b.client.user - a.client.user + b.client.system - a.client.system) / 1_000,
    machineBusyMs,
    machineCores: machineBusyMs / (seconds * 1_000),
  };
}

/** Polls `check` (work left) every `everyMs` until it says 0; false after `timeoutMs`. */
export async function waitDrained(check: () => Promise<number>, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await check()) === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * CPU time from /proc (Linux): one process's user + system ticks, every `postgres` process's,
 * and the whole machine's busy ticks. Ticks are converted to ms with the kernel's clock rate.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const CLOCK_TICKS = (() => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

export const ticksToMs = (ticks: number) => (ticks * 1_000) / CLOCK_TICKS;

/** comm, utime + stime and stime of /proc/<pid>/stat, or null if the process is gone. */
function readStat(pid: number): { comm: string; ticks: number; systemTicks: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return { comm: text.slice(open + 1, close), ticks: Number(fields[11]) + Number(fields[12]), systemTicks: Number(fields[12]) };
}

export function processTicks(pid: number): number | null {
  return readStat(pid)?.ticks ?? null;
}

/** utime + stime, and stime, of every process named `postgres` (postmaster, backends, background workers). */
export function postgresTicks(): Map<number, { ticks: number; systemTicks: number }> {
  const out = new Map<number, { ticks: number; systemTicks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat?.comm === 'postgres') out.set(Number(name), { ticks: stat.ticks, systemTicks: stat.systemTicks });
  }
  return out;
}

/** Busy and total ticks of all CPUs together (first line of /proc/stat). */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = values[3] + (values[4] ?? 0);
  return { busy: total - idle, total };
}

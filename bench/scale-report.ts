/**
 * The scale-out benchmark's tables (aligned text for stdout, markdown for bench/out/scale.md)
 * and the analysis written under them, computed from the measured figures.
 */
import { fmt } from './report.ts';
import type { RunResult } from './scale-runs.ts';
import { byStage, sumTallies, type Stage, type TallyEntry } from './scale-statements.ts';

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** Columns (by index) aligned right in markdown. */
  numeric?: number[];
  note?: string;
}

export function textTable(t: Table): string {
  const cells = [t.headers, ...t.rows];
  const widths = t.headers.map((_, c) => Math.max(...cells.map((row) => (row[c] ?? '').length)));
  const line = (row: string[]) => row.map((cell, c) => (t.numeric?.includes(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [`${t.title}`, '', line(t.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line), ...(t.note ? ['', t.note] : [])].join('\n');
}

export function markdownTable(t: Table): string {
  const escape = (s: string) => s.replaceAll('|', '\\|');
  return [
    `### ${t.title}`,
    '',
    `| ${t.headers.map(escape).join(' | ')} |`,
    `|${t.headers.map((_, c) => (t.numeric?.includes(c) ? '---:' : '---')).join('|')}|`,
    ...t.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
    ...(t.note ? ['', t.note] : []),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Figures derived from one run

export const DISPATCH_STAGES: Stage[] = ['dispatch: form', 'dispatch: claim', 'dispatch: complete', 'dispatch: leases'];

export function statements(run: RunResult): number {
  return run.usage.processes.reduce((sum, p) => sum + p.statements, 0);
}

export function tally(run: RunResult): TallyEntry[] {
  return sumTallies(run.usage.processes.map((p) => p.tally));
}

export const perItem = (run: RunResult, value: number) => value / Math.max(1, run.delivered);

export function gatewayMs(run: RunResult): number {
  return run.usage.processes.reduce((sum, p) => sum + p.cpuMs, 0);
}

/** CPU ms per report of everything measured, by who burnt it (and how much of it in the kernel, where known). */
export function cpuShares(run: RunResult): Array<{ who: string; ms: number; systemMs?: number }> {
  const u = run.usage;
  const shares: Array<{ who: string; ms: number; systemMs?: number }> = [
    ...u.processes.map((p) => ({
      who: p.name === 'all' ? 'gateway (--role all)' : p.role === 'api' ? 'API process' : p.name,
      ms: perItem(run, p.cpuMs),
      systemMs: perItem(run, p.systemMs),
    })),
    ...(run.backend === 'postgres' ? [{ who: 'PostgreSQL', ms: perItem(run, u.postgresMs.total), systemMs: perItem(run, u.postgresSystemMs) }] : []),
    { who: 'receiver', ms: perItem(run, u.receiverMs) },
    { who: 'bench client', ms: perItem(run, u.clientMs) },
  ];
  return shares.sort((a, b) => b.ms - a.ms);
}

function gatewayCell(run: RunResult): string {
  const ps = run.usage.processes;
  if (ps.length === 1) return `${fmt(perItem(run, ps[0].cpuMs), 3)} (${ps[0].role})`;
  if (ps.every((p) => p.role === 'worker')) return `${ps.map((p) => fmt(perItem(run, p.cpuMs), 3)).join(' + ')} (${ps.length} workers)`;
  return ps.map((p) => `${fmt(perItem(run, p.cpuMs), 3)} ${p.role}`).join(' + ');
}

const unattributedMs = (run: RunResult) => Math.max(0, run.usage.machineBusyMs - gatewayMs(run) - run.usage.postgresMs.total - run.usage.receiverMs - run.usage.clientMs);

// ---------------------------------------------------------------------------------------------
// Tables

export function throughputTable(runs: RunResult[]): Table {
  return {
    title: 'Throughput, statements and CPU per report (per SMS for the end-to-end runs)',
    headers: ['#', 'Run', 'Reports', 'Rate', 'Statements / report', 'Gateway CPU ms / report', 'PostgreSQL CPU ms / report (all processes; this DB)', 'Receiver ms', 'Bench client ms', 'Machine busy (cores; unattributed)'],
    numeric: [2, 3, 4],
    rows: runs.map((r) => [
      r.id,
      `${r.title}${r.timedOut ? ' — TIMED OUT' : ''}${r.drained ? '' : ' (not drained)'}`,
      `${fmt(r.delivered)}${r.delivered < r.items ? ` of ${fmt(r.items)}` : ''}`,
      `${fmt(r.perSecond)} /s`,
      fmt(perItem(r, statements(r)), 3),
      gatewayCell(r),
      r.backend === 'postgres' ? `${fmt(perItem(r, r.usage.postgresMs.total), 3)}; ${fmt(perItem(r, r.usage.postgresMs.ours), 3)}` : '— (in-process)',
      fmt(perItem(r, r.usage.receiverMs), 3),
      fmt(perItem(r, r.usage.clientMs), 3),
      `${fmt(r.usage.machineCores, 2)}; ${fmt(unattributedMs(r) / (r.usage.seconds * 1_000), 2)}`,
    ]),
    note:
      'Statements: the gateway processes\' own counter (src/store/query-count.ts), BEGIN/COMMIT included; on PostgreSQL each is a round trip. ' +
      'CPU: process.cpuUsage() deltas from each gateway process, /proc utime+stime for PostgreSQL, the receiver and the machine, over the run\'s window ' +
      '(until the database shows no work left). "Unattributed" is machine CPU outside the listed processes (the kernel, other tenants of the machine).',
  };
}

export interface Target {
  what: string;
  measured: string;
  target: string;
  pass: boolean;
}

export function targetsTable(targets: Target[]): Table {
  return {
    title: 'Targets',
    headers: ['Target', 'Measured', 'Goal', ''],
    rows: targets.map((t) => [t.what, t.measured, t.target, t.pass ? 'pass' : 'MISS']),
  };
}

const SHOWN_STAGES: Array<[string, Stage[]]> = [
  ['intake', ['intake']],
  ['network', ['network']],
  ['form', ['dispatch: form']],
  ['claim', ['dispatch: claim']],
  ['complete', ['dispatch: complete']],
  ['leases', ['dispatch: leases']],
  ['notify', ['notify']],
  ['other', ['sweeper', 'other']],
];

export function stageTable(runs: RunResult[]): Table {
  return {
    title: 'Statements per report by stage (all gateway processes; BEGIN/COMMIT go to the stage of their transaction)',
    headers: ['#', 'Run', ...SHOWN_STAGES.map(([name]) => name), 'dispatcher (form+claim+complete+leases)', 'total', 'API process', 'worker process(es)'],
    numeric: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
    rows: runs.map((r) => {
      const stages = byStage(tally(r));
      const apiStatements = r.usage.processes.filter((p) => p.role === 'api').reduce((s, p) => s + p.statements, 0);
      const workerStatements = r.usage.processes.filter((p) => p.role === 'worker').reduce((s, p) => s + p.statements, 0);
      return [
        r.id,
        r.title,
        ...SHOWN_STAGES.map(([, list]) => fmt(perItem(r, list.reduce((s, st) => s + stages[st], 0)), 3)),
        fmt(perItem(r, DISPATCH_STAGES.reduce((s, st) => s + stages[st], 0)), 3),
        fmt(perItem(r, statements(r)), 3),
        r.usage.processes.some((p) => p.role === 'api') ? fmt(perItem(r, apiStatements), 3) : '',
        r.usage.processes.some((p) => p.role === 'worker') ? fmt(perItem(r, workerStatements), 3) : '',
      ];
    }),
    note:
      'Stages are told apart by the probe in each child (bench/scale-statements.ts), from the SQL text at the driver; "total" is the gateway\'s own counter. ' +
      'LISTEN, on the notifier\'s separate connection, is not a Kysely statement and is left out.',
  };
}

/** Per-report counts and mean latencies of each dispatcher statement in the given runs, most frequent first. */
export function dispatcherStatementTable(runs: RunResult[]): Table {
  const tallies = runs.map((r) => tally(r).filter((e) => DISPATCH_STAGES.includes(e.stage)));
  const keys = new Map<string, { stage: Stage; label: string }>();
  for (const t of tallies) for (const e of t) keys.set(`${e.stage}\t${e.label}`, e);
  const find = (i: number, key: string) => tallies[i].find((e) => `${e.stage}\t${e.label}` === key);
  const ordered = [...keys].sort(([a], [b]) => (find(0, b)?.count ?? 0) - (find(0, a)?.count ?? 0) || a.localeCompare(b));
  const cells = (i: number, entries: Array<{ count: number; ms: number } | undefined>) => {
    const count = entries.reduce((s, e) => s + (e?.count ?? 0), 0);
    const ms = entries.reduce((s, e) => s + (e?.ms ?? 0), 0);
    return count === 0 ? ['', ''] : [fmt(perItem(runs[i], count), 4), fmt(ms / count, 2)];
  };
  return {
    title: 'Dispatcher statements: count per report, and mean latency in ms as the worker saw it',
    headers: ['Stage', 'Statement', ...runs.flatMap((r) => [`${r.id} /report`, `${r.id} ms`])],
    numeric: runs.flatMap((_, i) => [2 + 2 * i, 3 + 2 * i]),
    rows: [
      ...ordered.map(([key, e]) => [e.stage.replace('dispatch: ', ''), e.label, ...runs.flatMap((_, i) => cells(i, [find(i, key)]))]),
      ['', 'all dispatcher statements', ...runs.flatMap((_, i) => cells(i, tallies[i]))],
    ],
    note: runs.map((r) => `${r.id}: ${r.title}`).join('; ') + '.',
  };
}

// ---------------------------------------------------------------------------------------------
// Analysis

export const pct = (part: number, whole: number = 1) => `${fmt((100 * part) / Math.max(whole, 1e-9))} %`;

function count(entries: TallyEntry[], label: string): number {
  return entries.filter((e) => e.label === label).reduce((s, e) => s + e.count, 0);
}

/** Average batch sizes of the dispatcher's transactions, from the statement tally. */
export function dispatcherShape(run: RunResult) {
  const t = tally(run);
  const deliveries = run.delivered / run.bucketSize;
  const claims = count(t, 'claim: lease deliveries (update … returning)');
  const flushes = count(t, 'complete: insert attempts');
  const forms = count(t, 'form: insert deliveries');
  const passes = count(t, 'pass: next due delivery');
  return { deliveries, claims, flushes, forms, passes, perClaim: deliveries / Math.max(1, claims), perFlush: deliveries / Math.max(1, flushes), perPass: deliveries / Math.max(1, passes) };
}

export function whereTimeGoes(run: RunResult, cores: number): string {
  const shares = cpuShares(run);
  const total = shares.reduce((s, x) => s + x.ms, 0);
  const parts = shares.map((s) => `${s.who} ${fmt(s.ms, 3)} ms (${pct(s.ms, total)}${s.systemMs !== undefined ? `; ${pct(s.systemMs, s.ms)} of it kernel time` : ''})`);
  const pg = run.backend === 'postgres' ? ` PostgreSQL's share splits into ${fmt(perItem(run, run.usage.postgresMs.ours), 3)} ms in this database's backends, ${fmt(perItem(run, run.usage.postgresMs.background), 3)} ms in its background processes (WAL writer, checkpointer, autovacuum launcher …) and ${fmt(perItem(run, run.usage.postgresMs['other databases']), 3)} ms serving other databases.` : '';
  return (
    `**${run.id}** (${run.title}, ${fmt(run.perSecond)}/s): ${fmt(total, 3)} ms of measured CPU per report — ${parts.join(', ')}.${pg} ` +
    `The machine was ${fmt(run.usage.machineCores, 2)} of ${cores} cores busy on average (${pct(run.usage.machineCores, cores)}), ${fmt(unattributedMs(run) / (run.usage.seconds * 1_000), 2)} cores of it outside the measured processes.`
  );
}

/** The dispatcher statements that cost the most waiting per report (count × mean latency). */
export function costliestStatements(run: RunResult, n = 4): string {
  const entries = tally(run)
    .filter((e) => DISPATCH_STAGES.includes(e.stage))
    .map((e) => ({ ...e, perReport: perItem(run, e.ms) }))
    .sort((a, b) => b.perReport - a.perReport);
  const total = entries.reduce((s, e) => s + e.perReport, 0);
  return (
    entries
      .slice(0, n)
      .map((e) => `${e.label}${e.label === 'BEGIN' || e.label === 'COMMIT' ? ` (${e.stage.replace('dispatch: ', '')})` : ''} ${fmt(e.perReport, 3)} ms (${fmt(perItem(run, e.count), 3)} × ${fmt(e.ms / e.count, 2)} ms)`)
      .join(', ') + ` — of ${fmt(total, 3)} ms of statement latency per report`
  );
}

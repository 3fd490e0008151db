/** The results table: printed as aligned text and written as markdown from the same rows. */
export interface Row {
  id: string;
  measure: string;
  result: string;
  target: string;
  /** undefined for rows that only give context (no target of their own). */
  pass?: boolean;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const verdict = (row: Row) => (row.pass === undefined ? '' : row.pass ? 'pass' : 'MISS');

export function textTable(rows: Row[]): string {
  const cells = [['', 'measure', 'result', 'target', ''], ...rows.map((r) => [r.id, r.measure, r.result, r.target, verdict(r)])];
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function markdownTable(rows: Row[]): string {
  const escape = (s: string) => s.replaceAll('|', '\\|');
  return [
    '| | Measure | Result | Target | |',
    '|---|---|---:|---|---|',
    ...rows.map((r) => `| ${r.id} | ${escape(r.measure)} | ${escape(r.result)} | ${escape(r.target)} | ${r.pass === undefined ? '' : r.pass ? 'pass' : '**miss**'} |`),
  ].join('\n');
}

/** Nearest-rank percentiles: the smallest value at least p % of the values are not above; null without values. */
export function percentile(sortedAscending: readonly number[], p: number): number | null {
  if (sortedAscending.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sortedAscending.length));
  return sortedAscending[rank - 1];
}

/** p50, p90 and p99 of `values` (any order). */
export function latencyPercentiles(values: readonly number[]): { p50Ms: number | null; p90Ms: number | null; p99Ms: number | null } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 50), p90Ms: percentile(sorted, 90), p99Ms: percentile(sorted, 99) };
}

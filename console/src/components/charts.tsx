/**
 * Charts with uPlot (small, fast, canvas): reports over time and delivery latency per target.
 * uPlot draws into a div it owns; the component re-creates the plot when its data changes.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { parseInfobipTime } from '../format.ts';

interface ChartProps {
  /** What the chart shows, for screen readers (the canvas itself says nothing). */
  label: string;
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  height?: number;
}

export function Chart({ label, options, data, height = 220 }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const plot = new uPlot({ ...options, width: element.clientWidth || 600, height }, data, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [options, data, height]);
  return <div class="chart" ref={host} role="img" aria-label={label} />;
}

const COLORS = { delivered: '#137a3a', failed: '#b3261e', other: '#8a7300', p50: '#2456c8', p90: '#8a7300', p99: '#b3261e' };

/** Final reports per time bucket: delivered, failed (undeliverable, expired, rejected), other. */
export function reportsChart(points: ReadonlyArray<{ at: string; delivered: number; failed: number; other: number }>) {
  const xs = points.map((p) => parseInfobipTime(p.at) / 1000);
  const data: uPlot.AlignedData = [xs, points.map((p) => p.delivered), points.map((p) => p.failed), points.map((p) => p.other)];
  const options: ChartProps['options'] = {
    scales: { x: { time: true } },
    axes: [{}, { label: 'reports' }],
    series: [
      {},
      { label: 'Delivered', stroke: COLORS.delivered, fill: 'rgba(19,122,58,0.08)' },
      { label: 'Failed', stroke: COLORS.failed },
      { label: 'Other', stroke: COLORS.other },
    ],
  };
  return { data, options };
}

/**
 * Attempt latency percentiles per target: one bar per target (x is its index), p99 behind p90
 * behind p50, so each shorter bar stays visible in front of the taller one.
 */
export function latencyChart(targets: ReadonlyArray<{ label: string; p50Ms: number | null; p90Ms: number | null; p99Ms: number | null }>) {
  const xs = targets.map((_, i) => i);
  const data: uPlot.AlignedData = [xs, targets.map((t) => t.p99Ms), targets.map((t) => t.p90Ms), targets.map((t) => t.p50Ms)];
  const bars = uPlot.paths.bars!({ size: [0.25, 40] });
  const options: ChartProps['options'] = {
    scales: { x: { time: false, range: [-0.5, Math.max(0.5, targets.length - 0.5)] } },
    axes: [{ values: (_u: uPlot, ticks: number[]) => ticks.map((t) => (Number.isInteger(t) ? shorten(targets[t]?.label ?? '') : '')), splits: () => xs }, { label: 'ms' }],
    series: [
      {},
      { label: 'p99', stroke: COLORS.p99, fill: COLORS.p99, paths: bars },
      { label: 'p90', stroke: COLORS.p90, fill: COLORS.p90, paths: bars },
      { label: 'p50', stroke: COLORS.p50, fill: COLORS.p50, paths: bars },
    ],
  };
  return { data, options };
}

const shorten = (text: string) => (text.length > 28 ? `…${text.slice(-27)}` : text);

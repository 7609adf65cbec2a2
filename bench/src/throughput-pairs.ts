/**
 * The comparison `throughput.js --pairs N` prints: etcd and holdfast measured in interleaved runs
 * (etcd, holdfast, etcd, holdfast, ...), so both see the same phases of a shared machine's load,
 * and the median over the pairs of each pair's holdfast / etcd ratio.
 */
import type { ThroughputRow } from './throughput.js';

/** One pair of runs back to back, with the 1-minute load average taken before each run. */
export interface ThroughputPair {
  readonly etcd: readonly ThroughputRow[];
  readonly holdfast: readonly ThroughputRow[];
  readonly loadBefore: { readonly etcd: number; readonly holdfast: number };
}

/** A figure compared between the two targets: which cell of the table and which column. */
export interface PairFigure {
  readonly label: string;
  readonly operation: 'put' | 'get';
  readonly concurrency: number;
  readonly field: 'opsPerSecond' | 'p50Ms' | 'p99Ms' | 'serverCpuUsPerOp';
  /** What the issue asks of the ratio holdfast / etcd, for the reader (not checked). */
  readonly target: string;
}

/** The figures of issue 11's targets, in its order. */
export const PAIR_FIGURES: readonly PairFigure[] = [
  { label: 'put c=1 p50', operation: 'put', concurrency: 1, field: 'p50Ms', target: '<= 1.0x' },
  { label: 'put c=1 p99', operation: 'put', concurrency: 1, field: 'p99Ms', target: '<= 1.5x' },
  { label: 'put c=64 ops/s', operation: 'put', concurrency: 64, field: 'opsPerSecond', target: '>= 4x' },
  { label: 'server CPU us per put, c=1', operation: 'put', concurrency: 1, field: 'serverCpuUsPerOp', target: '<= 1.0x' },
  { label: 'server CPU us per put, c=64', operation: 'put', concurrency: 64, field: 'serverCpuUsPerOp', target: '<= 0.6x' },
  { label: 'linearizable get c=64 ops/s', operation: 'get', concurrency: 64, field: 'opsPerSecond', target: '>= 6x' },
];

export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function cell(rows: readonly ThroughputRow[], figure: PairFigure): number {
  const row = rows.find((r) => r.operation === figure.operation && r.concurrency === figure.concurrency);
  return row === undefined ? Number.NaN : row[figure.field];
}

export interface FigureComparison {
  readonly figure: PairFigure;
  readonly etcd: readonly number[];
  readonly holdfast: readonly number[];
  /** holdfast / etcd of each pair, in pair order. */
  readonly ratios: readonly number[];
  readonly medianRatio: number;
}

export function comparePairs(pairs: readonly ThroughputPair[]): FigureComparison[] {
  return PAIR_FIGURES.map((figure) => {
    const etcd = pairs.map((p) => cell(p.etcd, figure));
    const holdfast = pairs.map((p) => cell(p.holdfast, figure));
    const ratios = pairs.map((_, i) => holdfast[i]! / etcd[i]!);
    return { figure, etcd, holdfast, ratios, medianRatio: median(ratios) };
  });
}

function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
}

export function formatPairs(pairs: readonly ThroughputPair[]): string {
  const loads = pairs.map((p, i) => `pair ${i + 1}: ${p.loadBefore.etcd.toFixed(2)} / ${p.loadBefore.holdfast.toFixed(2)}`);
  const lines = [
    `${pairs.length} interleaved pairs (etcd, then holdfast); 1-minute load average before each run: ${loads.join('; ')}`,
    '',
    '| figure | etcd per pair | holdfast per pair | ratio per pair | median ratio | target |',
    '|---|---|---|---|---|---|',
  ];
  for (const c of comparePairs(pairs)) {
    const list = (values: readonly number[]): string => values.map(formatFigure).join(', ');
    const ratios = c.ratios.map((r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-')).join(', ');
    const medianRatio = Number.isFinite(c.medianRatio) ? `${c.medianRatio.toFixed(2)}x` : '-';
    lines.push(`| ${c.figure.label} | ${list(c.etcd)} | ${list(c.holdfast)} | ${ratios} | ${medianRatio} | ${c.figure.target} |`);
  }
  return lines.join('\n');
}

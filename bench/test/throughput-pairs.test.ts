import { describe, expect, it } from 'vitest';
import type { ThroughputRow } from '../src/throughput.js';
import { comparePairs, formatPairs, median, type ThroughputPair } from '../src/throughput-pairs.js';

function rows(target: string, scale: { putOps64: number; p50: number; cpu1: number }): ThroughputRow[] {
  const base = { target, operations: 100, p99Ms: 2 * scale.p50, clientCpuUsPerOp: 10 };
  return [
    { ...base, operation: 'put', concurrency: 1, opsPerSecond: 500, p50Ms: scale.p50, serverCpuUsPerOp: scale.cpu1 },
    { ...base, operation: 'put', concurrency: 64, opsPerSecond: scale.putOps64, p50Ms: 10, serverCpuUsPerOp: 200 },
    { ...base, operation: 'get', concurrency: 1, opsPerSecond: 1000, p50Ms: 1, serverCpuUsPerOp: 100 },
    { ...base, operation: 'get', concurrency: 64, opsPerSecond: 5000, p50Ms: 5, serverCpuUsPerOp: 50 },
  ];
}

describe('throughput pairs', () => {
  it('takes the median of an odd and an even count, ignoring what is not a number', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('compares each pair on its own and reports the median of the ratios', () => {
    const pairs: ThroughputPair[] = [
      { etcd: rows('etcd', { putOps64: 1000, p50: 1, cpu1: 100 }), holdfast: rows('holdfast', { putOps64: 2000, p50: 2, cpu1: 300 }), loadBefore: { etcd: 1, holdfast: 1.5 } },
      // A slow phase of the machine: both sides slower, the ratio the same.
      { etcd: rows('etcd', { putOps64: 500, p50: 4, cpu1: 200 }), holdfast: rows('holdfast', { putOps64: 1000, p50: 4, cpu1: 200 }), loadBefore: { etcd: 3, holdfast: 3 } },
      { etcd: rows('etcd', { putOps64: 1000, p50: 1, cpu1: 100 }), holdfast: rows('holdfast', { putOps64: 5000, p50: 3, cpu1: 50 }), loadBefore: { etcd: 1, holdfast: 1 } },
    ];
    const byLabel = new Map(comparePairs(pairs).map((c) => [c.figure.label, c]));
    expect(byLabel.get('put c=64 ops/s')?.ratios).toEqual([2, 2, 5]);
    expect(byLabel.get('put c=64 ops/s')?.medianRatio).toBe(2);
    expect(byLabel.get('put c=1 p50')?.medianRatio).toBe(2);
    expect(byLabel.get('server CPU us per put, c=1')?.ratios).toEqual([3, 1, 0.5]);
    expect(byLabel.get('linearizable get c=64 ops/s')?.medianRatio).toBe(1);
    const text = formatPairs(pairs);
    expect(text).toContain('3 interleaved pairs');
    expect(text).toContain('pair 2: 3.00 / 3.00');
    expect(text).toContain('| put c=64 ops/s | 1000, 500, 1000 | 2000, 1000, 5000 | 2.00x, 2.00x, 5.00x | 2.00x | >= 4x |');
  });
});

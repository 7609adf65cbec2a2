import { expect } from 'vitest';
import { formatFailure, runSeeds } from '../src/index.js';

/** Steps per seed in the CI runs: 500 seeds fit in well under three minutes of one core. */
export const ciSteps = 800;

/** Runs `seedCount` seeds from `firstSeed` and fails with the full report of any violation. */
export function expectSeedsClean(firstSeed: number, seedCount: number, nodeCount: number): void {
  const summary = runSeeds({ firstSeed, seedCount, nodeCount, steps: ciSteps });
  const report = summary.failures.map((failure) => formatFailure(failure)).join('\n\n');
  expect(report).toBe('');
  expect(summary.seedsRun).toBe(seedCount);
  // The runs must have exercised the protocol, not idled.
  expect(summary.totals['leadersElected'] ?? 0).toBeGreaterThan(seedCount);
  expect(summary.totals['operationsOk'] ?? 0).toBeGreaterThan(seedCount * 10);
}

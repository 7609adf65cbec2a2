import { READ_ROUNDS_IN_FLIGHT_MAX_DEFAULT } from '@holdfast/raft';
import { expect } from 'vitest';
import { formatFailure, HANDLED_STORAGE_FAULTS, runRealSeeds } from '../src/index.js';

/**
 * Steps per real-node seed in CI: about 4 seeds per processor second with 3 members and 3 with 5
 * (measured on the shared 2-core machine), so the 500 seeds of the five files take about two
 * and a half minutes of processor time, split across two workers.
 */
export const realCiSteps = 600;

/** Runs `seedCount` real-node seeds from `firstSeed` with the handled storage faults; fails with every report. */
export async function expectRealSeedsClean(firstSeed: number, seedCount: number, nodeCount: number): Promise<void> {
  const summary = await runRealSeeds({ firstSeed, seedCount, nodeCount, steps: realCiSteps, storageFaults: HANDLED_STORAGE_FAULTS, forwardsWaitForLeader: true, readRoundsInFlightMax: READ_ROUNDS_IN_FLIGHT_MAX_DEFAULT });
  const report = summary.failures.map((failure) => formatFailure(failure, ' --storage-faults handled')).join('\n\n');
  expect(report).toBe('');
  expect(summary.seedsRun).toBe(seedCount);
  // The runs must have exercised the node, not idled.
  expect(summary.totals['operationsOk'] ?? 0).toBeGreaterThan(seedCount * 10);
  expect(summary.totals['crashes'] ?? 0).toBeGreaterThan(seedCount / 4);
  expect(summary.totals['storageFaults'] ?? 0).toBeGreaterThan(seedCount / 4);
  expect(summary.totals['stateHashesCompared'] ?? 0).toBeGreaterThan(seedCount * 10);
}

/**
 * Lease reads (--read-mode lease) under every fault the real node handles, plus clock-rate drift
 * within the 5 % bound the lease assumes (in half the seeds the worst case: the leader's clock
 * slow, the others fast): no read may be stale and no lease may outlive its leader's term.
 */
export async function expectLeaseSeedsClean(firstSeed: number, seedCount: number, nodeCount: number): Promise<void> {
  const summary = await runRealSeeds({
    firstSeed,
    seedCount,
    nodeCount,
    steps: realCiSteps,
    storageFaults: HANDLED_STORAGE_FAULTS,
    leaseReads: { clockDriftMax: 0.05 },
    forwardsWaitForLeader: true,
    readRoundsInFlightMax: READ_ROUNDS_IN_FLIGHT_MAX_DEFAULT,
  });
  const report = summary.failures.map((failure) => formatFailure(failure, ' --storage-faults handled --read-mode lease')).join('\n\n');
  expect(report).toBe('');
  expect(summary.seedsRun).toBe(seedCount);
  // Leaders did serve reads under their lease.
  expect(summary.totals['leaseReads'] ?? 0).toBeGreaterThan(seedCount);
}

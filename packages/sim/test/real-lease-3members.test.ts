import { describe, expect, it } from 'vitest';
import { formatFailure, HANDLED_STORAGE_FAULTS, runRealSeeds } from '../src/index.js';
import { realCiSteps } from './realBatch.js';

/**
 * Lease reads (--read-mode lease) under every fault the real node handles, plus clock-rate drift
 * within the 5 % bound the lease assumes (in half the seeds the worst case: the leader's clock
 * slow, the others fast): no read may be stale and no lease may outlive its leader's term.
 */
describe('the real node with lease reads and clock drift within the bound', () => {
  const nodeCount = 3;
  it('keeps every invariant, leases included, with 3 members for 12 seeds', async () => {
    const summary = await runRealSeeds({
      firstSeed: 5001,
      seedCount: 12,
      nodeCount,
      steps: realCiSteps,
      storageFaults: HANDLED_STORAGE_FAULTS,
      leaseReads: { clockDriftMax: 0.05 },
    });
    const report = summary.failures.map((failure) => formatFailure(failure, ' --storage-faults handled --read-mode lease')).join('\n\n');
    expect(report).toBe('');
    // Leaders did serve reads under their lease.
    expect(summary.totals['leaseReads'] ?? 0).toBeGreaterThan(12);
  }, 600_000);
});

/**
 * Seeds that showed a finding of the real-node simulator (packages/sim/FINDINGS.md), replayed
 * with the fault set they were found with: each must now come out clean.
 */
import { describe, expect, it } from 'vitest';
import { ALL_STORAGE_FAULTS, runRealSeed } from '../src/index.js';

describe('findings of the real-node simulator stay fixed', () => {
  it('R6: a member whose log lost its hard state record repairs instead of refusing to start', async () => {
    const result = await runRealSeed({ seed: 265, nodeCount: 3, steps: 500, storageFaults: ALL_STORAGE_FAULTS, recentEventsMax: 100_000 });
    expect(result.violation).toBeUndefined();
    expect(result.stats.stoppedMembers).toBe(0);
    expect(result.recentEvents.some((event) => /repairs from the others .*log-hard-state-lost/.test(event))).toBe(true);
    expect(result.recentEvents.some((event) => /n\d repaired/.test(event))).toBe(true);
  }, 120_000);
});

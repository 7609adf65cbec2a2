/**
 * Seeds that showed a finding of the real-node simulator (packages/sim/FINDINGS.md), replayed
 * with the fault set they were found with: each must now come out clean.
 */
import { describe, expect, it } from 'vitest';
import { ALL_STORAGE_FAULTS, runRealSeed, type StorageFaultOptions } from '../src/index.js';

/** The handled storage faults when R9 was found (before lost state records joined them). */
const handledBeforeLostState: StorageFaultOptions = {
  fsyncErrors: true,
  diskFull: true,
  tornLogWrite: true,
  logAtRest: ['bitFlip', 'swapped'],
  stateAtRest: ['bitFlip', 'swapped'],
};

describe('findings of the real-node simulator stay fixed', () => {
  it('R6: a member whose log lost its hard state record repairs instead of refusing to start', async () => {
    const result = await runRealSeed({ seed: 265, nodeCount: 3, steps: 500, storageFaults: ALL_STORAGE_FAULTS, recentEventsMax: 100_000 });
    expect(result.violation).toBeUndefined();
    expect(result.stats.stoppedMembers).toBe(0);
    expect(result.recentEvents.some((event) => /repairs from the others .*log-hard-state-lost/.test(event))).toBe(true);
    expect(result.recentEvents.some((event) => /n\d repaired/.test(event))).toBe(true);
  }, 120_000);

  it('R9: an acknowledgement whose entry a later message of the same turn replaced does not stop the member', async () => {
    for (const seed of [300503, 300587]) {
      const result = await runRealSeed({ seed, nodeCount: 5, steps: 400, storageFaults: handledBeforeLostState });
      expect(result.violation).toBeUndefined();
      // The member exited on "index 9 is unavailable (last index 6)" before the fix.
      expect(result.stats.fatalExits).toBe(0);
    }
  }, 120_000);

  it('R5: a member in repair votes for a candidate of a term after its loss, so the other two voters do not stall', async () => {
    const run = (repairLossTermUnknown: boolean) =>
      runRealSeed({ seed: 16, nodeCount: 3, steps: 500, storageFaults: { tornLogWrite: true }, repairLossTermUnknown });
    // Without its loss term the member in repair grants no vote: no leader until the repair ends.
    const before = await run(true);
    expect(before.violation).toBeUndefined();
    expect(before.stats.livenessWaived).toBeGreaterThan(0);
    const after = await run(false);
    expect(after.violation).toBeUndefined();
    expect(after.stats.livenessWaived).toBe(0);
  }, 120_000);
});

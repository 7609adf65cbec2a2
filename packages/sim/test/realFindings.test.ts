/**
 * Findings of the real-node simulator (packages/sim/FINDINGS.md), replayed with the fault sets
 * they were found with. A seed's draws change when the simulator changes, so each test checks
 * what the finding was about (an exit, waived liveness checks) rather than a digest.
 */
import { describe, expect, it } from 'vitest';
import { HANDLED_STORAGE_FAULTS, runRealSeed, type StorageFaultOptions } from '../src/index.js';

/** The handled storage faults when R9 was found (before lost state records joined them). */
const handledBeforeLostState: StorageFaultOptions = {
  fsyncErrors: true,
  diskFull: true,
  tornLogWrite: true,
  logAtRest: ['bitFlip', 'swapped'],
  stateAtRest: ['bitFlip', 'swapped'],
};

describe('findings of the real-node simulator stay fixed', () => {
  it('R9: an acknowledgement whose entry a later message of the same turn replaced does not stop the member', async () => {
    for (const seed of [300503, 300587]) {
      const result = await runRealSeed({ seed, nodeCount: 5, steps: 400, storageFaults: handledBeforeLostState, recentEventsMax: 100_000 });
      expect(result.violation).toBeUndefined();
      // The member exited on "index 9 is unavailable (last index 6)" before the fix.
      expect(result.recentEvents.filter((event) => /exits on a fatal error .*unavailable/i.test(event))).toEqual([]);
    }
  }, 120_000);

  it('R5: members in repair that vote for candidates of a term after their loss leave fewer clusters without a leader', async () => {
    const waived = async (repairLossTermUnknown: boolean): Promise<number> => {
      let total = 0;
      for (let seed = 15; seed <= 17; seed++) {
        const result = await runRealSeed({ seed, nodeCount: 3, steps: 500, storageFaults: { tornLogWrite: true }, repairLossTermUnknown });
        expect(result.violation, `seed ${seed}`).toBeUndefined();
        total += result.stats.livenessWaived;
      }
      return total;
    };
    // Without its loss term a member in repair grants no vote (as before the fix).
    const before = await waived(true);
    const after = await waived(false);
    expect(before).toBeGreaterThan(0);
    expect(after).toBeLessThan(before);
  }, 300_000);

  it('R10: a history drop that fails on a full disk leaves the state machine serving', async () => {
    for (const seed of [800118, 800173]) {
      const result = await runRealSeed({ seed, nodeCount: 5, steps: 400, storageFaults: HANDLED_STORAGE_FAULTS });
      // Before the fix: coreError, StoreClosedError "failed a write and serves nothing more".
      expect(result.violation, `seed ${seed}`).toBeUndefined();
    }
  }, 120_000);

  it('R5: a vote in repair for a candidate lacking a lost entry that was never committed is no violation', async () => {
    // n5 lost (33, term 2); every other member committed (33, term 3); n5 votes for n1 in term 4.
    const result = await runRealSeed({ seed: 810128, nodeCount: 5, steps: 400, storageFaults: HANDLED_STORAGE_FAULTS });
    expect(result.violation).toBeUndefined();
    // n1 lost (33, term 3) and voted for n3, whose log holds (33, term 4), before anything was committed at 33.
    const early = await runRealSeed({ seed: 700003, nodeCount: 3, steps: 400, storageFaults: HANDLED_STORAGE_FAULTS });
    expect(early.violation).toBeUndefined();
  }, 120_000);

  it('R11: a snapshot taken over a state restored ahead of the core drops no entry the core has yet to hand out', async () => {
    // A normal run of these seeds takes 8,000 to 19,000 events; before the fix a follower's loop
    // took empty Readys without end at one instant (3,000,000 events, coreError).
    for (const [seed, nodeCount] of [
      [900175, 3],
      [700472, 3],
      [810521, 5],
    ] as const) {
      const result = await runRealSeed({ seed, nodeCount, steps: 400, storageFaults: HANDLED_STORAGE_FAULTS, eventsMax: 100_000 });
      expect(result.violation, `seed ${seed}`).toBeUndefined();
    }
  }, 120_000);

  it('R12: a snapshot a crashed leader left in flight does not stop its next process sending one', async () => {
    // n4 sent a snapshot to n2 and crashed on a full disk before reading it; n4, leader again,
    // then had every snapshot to n2 dropped as "in flight" and n2 never caught up (liveness).
    const result = await runRealSeed({ seed: 1000466, nodeCount: 3, steps: 400, storageFaults: HANDLED_STORAGE_FAULTS, recentEventsMax: 1000 });
    expect(result.violation).toBeUndefined();
    expect(result.recentEvents.some((event) => /n2 receives snapshot \d+ from n4/.test(event))).toBe(true);
  }, 120_000);

  it('R13: a snapshot that arrives while applies are in flight is not restored below what they reach', async () => {
    // n4 received snapshot 36 at applied 35 with entries up to 38 committed and applying; the
    // restore waited for them, then put the state back to 36 under reads served at 38 (before
    // the fix: nodeInvariant, "reads served at applied 36 after 38").
    const result = await runRealSeed({ seed: 15000368, nodeCount: 5, steps: 400, storageFaults: HANDLED_STORAGE_FAULTS, forwardsWaitForLeader: true, recentEventsMax: 100_000 });
    expect(result.violation).toBeUndefined();
    expect(result.recentEvents.filter((event) => /n4 (receives snapshot 36|keeps its state)/.test(event)).map((event) => event.replace(/^t=\d+ /, ''))).toEqual([
      'n4 receives snapshot 36 from n3',
      'n4 keeps its state at applied 38: snapshot 36 not restored',
    ]);
  }, 120_000);

  it('R14: a snapshot whose receiver crashed while restoring it is reported failed, and the next one is sent', async () => {
    // n2 crashed restoring snapshot 41 from n3; the restore never ended, so n3 was never told and
    // every later snapshot to n2 was dropped as in flight (before the fix: liveness, n2 stuck at 39).
    const result = await runRealSeed({ seed: 16003153, nodeCount: 3, steps: 400, storageFaults: HANDLED_STORAGE_FAULTS, forwardsWaitForLeader: true, recentEventsMax: 100_000 });
    expect(result.violation).toBeUndefined();
    const events = result.recentEvents.map((event) => event.replace(/^t=\d+ /, ''));
    const cut = events.indexOf('n2 went down while restoring snapshot 41 from n3: the sender is told it failed');
    expect(cut).toBeGreaterThan(-1);
    expect(events.slice(cut + 1).some((event) => /^n2 receives snapshot \d+ from n3$/.test(event))).toBe(true);
  }, 120_000);

  it('R15: a state write that fails outside an apply (the sync before a snapshot is read) stops the member at once', async () => {
    // n2 (leader) synced its state to send a snapshot to a new learner while its fsync failed:
    // the state served nothing more, but the member ran on until its next apply, and a read of
    // its state met StoreClosedError (before the fix: coreError).
    const result = await runRealSeed({ seed: 17047590, nodeCount: 5, steps: 400, storageFaults: HANDLED_STORAGE_FAULTS, forwardsWaitForLeader: true, recentEventsMax: 100_000 });
    expect(result.violation).toBeUndefined();
    const events = result.recentEvents.map((event) => event.replace(/^t=\d+ /, ''));
    const failed = events.indexOf('n2 disk: fsync fails');
    expect(failed).toBeGreaterThan(-1);
    expect(events.slice(failed + 1).find((event) => event.startsWith('n2 '))).toMatch(/^n2 exits on a fatal error \(EIO\)/);
  }, 120_000);
});

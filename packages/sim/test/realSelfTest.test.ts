/**
 * Proof that the real-node checks can fail: each planted defect must be reported for some seed
 * in a small range, as a violation of the invariant the defect breaks.
 */
import { describe, expect, it } from 'vitest';
import { HANDLED_STORAGE_FAULTS, type RealDefects, type RealSeedResult, type RealSimOptions, runRealSeed, type StorageFaultOptions } from '../src/index.js';

async function firstFailure(
  defects: RealDefects,
  nodeCount: number,
  storageFaults = HANDLED_STORAGE_FAULTS,
  leaseReads?: RealSimOptions['leaseReads'],
  seedsMax = 20,
): Promise<RealSeedResult | undefined> {
  for (let seed = 1; seed <= seedsMax; seed++) {
    const result = await runRealSeed({ seed, nodeCount, steps: 400, defects, storageFaults, ...(leaseReads === undefined ? {} : { leaseReads }) });
    if (result.violation !== undefined) return result;
  }
  return undefined;
}

describe('self-test: a broken node is caught by the real-node simulator', () => {
  it('reports a log whose fsync does nothing (acknowledgements before the log is durable)', async () => {
    const failure = await firstFailure({ ackBeforeSync: true }, 3);
    expect(failure).toBeDefined();
    expect(['votedAfterLoss', 'stateDivergence', 'linearizability']).toContain(failure?.violation?.invariant);
  }, 300_000);

  it('reports linearizable reads answered without a read index (stale reads in the history)', async () => {
    const failure = await firstFailure({ readsWithoutReadIndex: true }, 3);
    expect(failure?.violation?.invariant).toBe('linearizability');
  }, 300_000);

  it('reports a member that ignores a state hash mismatch (a record lost at rest, served anyway)', async () => {
    const failure = await firstFailure({ ignoreHashMismatch: true }, 3, { stateAtRest: ['lost'] });
    expect(['stateDivergence', 'changeStream', 'linearizability', 'localReadCheck']).toContain(failure?.violation?.invariant);
  }, 300_000);

  it('reports keepalives answered without the leader hearing of them (a lease expires before its TTL since an answered keepalive)', async () => {
    const failure = await firstFailure({ keepAlivesAnsweredLocally: true }, 3);
    expect(failure?.violation?.invariant).toBe('leaseExpiry');
  }, 300_000);

  it('reports a member that starts with applied past the end of a log that lost its tail', async () => {
    const failure = await firstFailure({ trustLostLogTail: true }, 3, { tornLogWrite: true });
    expect(failure).toBeDefined();
    expect(['votedAfterLoss', 'stateDivergence', 'changeStream', 'linearizability']).toContain(failure?.violation?.invariant);
  }, 300_000);

  it('reports state reads that skip the record checksum (a record damaged at rest served as data)', async () => {
    const damagedAtRest: StorageFaultOptions = { stateAtRest: ['bitFlip', 'swapped'] };
    // Rarely reached: the scrub at start catches most damaged records by the state hash before
    // any read, so the defect is given more seeds (it was caught in 3 of seeds 1..120).
    const failure = await firstFailure({ skipRecordChecksum: true }, 3, damagedAtRest, undefined, 100);
    expect(failure).toBeDefined();
    expect(['stateDivergence', 'changeStream', 'linearizability', 'localReadCheck']).toContain(failure?.violation?.invariant);
    // The same seed with the checksum checked is clean: the catch is the defect's.
    const control = await runRealSeed({ seed: failure?.seed ?? 0, nodeCount: 3, steps: 400, storageFaults: damagedAtRest });
    expect(control.violation).toBeUndefined();
  }, 300_000);

  it('reports lease reads when clocks drift beyond the bound the lease assumes (two leaders at once)', async () => {
    const failure = await firstFailure({ clockDriftBeyondBound: true }, 3, HANDLED_STORAGE_FAULTS, { clockDriftMax: 0.05 });
    // The keyed leases' TTLs are measured with the same clocks: their early expiry counts too.
    expect(['leaseOverlap', 'linearizability', 'leaseExpiry']).toContain(failure?.violation?.invariant);
  }, 300_000);
});

/**
 * The placement setting (placement.ts): replaced whole by a logged setPlacement, applied only at
 * APPLY_VERSION_PLACEMENT or later, kept across reopen and snapshot, part of the state hash.
 */
import { describe, expect, it } from 'vitest';
import { APPLY_VERSION_PLACEMENT, APPLY_VERSION_QUOTA, DEFAULT_PLACEMENT, KvStateMachine, type KvOperation, validateCommand, defaultStorageLimits } from '../src/index.js';
import { stateMachineFixture } from './helpers.js';

const setPlacement = (leaderRegions: string[], survive: 'member' | 'region'): KvOperation => ({
  type: 'setPlacement',
  placement: { leaderRegions, survive },
});

describe('placement setting', () => {
  const t = stateMachineFixture();

  it('starts at the default and is replaced whole by setPlacement, across a reopen', async () => {
    expect(t.sm.placement).toEqual(DEFAULT_PLACEMENT);
    const hashBefore = t.sm.stateHash;
    const result = await t.run(setPlacement(['us-east', 'us-west'], 'region'), { applyVersion: APPLY_VERSION_PLACEMENT });
    expect(result.outcome).toEqual({ type: 'placement', placement: { leaderRegions: ['us-east', 'us-west'], survive: 'region' } });
    expect(t.sm.placement).toEqual({ leaderRegions: ['us-east', 'us-west'], survive: 'region' });
    expect(t.sm.stateHash.hash).not.toEqual(hashBefore.hash);
    await t.run(setPlacement(['eu-west'], 'member'), { applyVersion: APPLY_VERSION_PLACEMENT });
    await t.reopen();
    expect(t.sm.placement).toEqual({ leaderRegions: ['eu-west'], survive: 'member' });
  });

  it('answers a setPlacement stamped below its apply version invalid, changing nothing', async () => {
    const result = await t.run(setPlacement(['us-east'], 'region'), { applyVersion: APPLY_VERSION_QUOTA });
    expect(result.outcome.type).toBe('invalid');
    expect(t.sm.placement).toEqual(DEFAULT_PLACEMENT);
  });

  it('carries the setting in a snapshot', async () => {
    await t.run(setPlacement(['us-west'], 'region'), { applyVersion: APPLY_VERSION_PLACEMENT });
    const reader = await t.sm.openSnapshotReader();
    const other = await KvStateMachine.open({ dir: `${t.dir}/other` });
    try {
      await other.restoreSnapshot(reader.chunks());
      expect(other.placement).toEqual({ leaderRegions: ['us-west'], survive: 'region' });
    } finally {
      await reader.close();
      await other.close();
    }
  });

  it('refuses a malformed placement before it is proposed', () => {
    const limits = defaultStorageLimits;
    const command = (placement: unknown) => ({ operation: { type: 'setPlacement', placement } as KvOperation, proposedAtMs: 1 });
    expect(() => validateCommand(command({ leaderRegions: ['a', 'a'], survive: 'member' }), limits)).toThrow(/listed twice/);
    expect(() => validateCommand(command({ leaderRegions: [], survive: 'zone' }), limits)).toThrow(/survival goal zone is unknown/);
    expect(() => validateCommand(command({ leaderRegions: [''], survive: 'member' }), limits)).toThrow(/non-empty/);
    expect(() => validateCommand(command({ leaderRegions: Array.from({ length: 17 }, (_, i) => `r${i}`), survive: 'member' }), limits)).toThrow(/limit is 16/);
  });
});

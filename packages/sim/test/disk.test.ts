import type { Entry, Snapshot } from '@holdfast/raft';
import { describe, expect, it } from 'vitest';
import { SimDisk } from '../src/index.js';

function entry(index: number, term: number): Entry {
  return { type: 'normal', index, term, data: new Uint8Array([index]) };
}

describe('SimDisk', () => {
  it('keeps synced writes across a crash and loses the rest', () => {
    const disk = new SimDisk();
    disk.writeEntries([entry(1, 1), entry(2, 1)]);
    disk.writeHardState({ term: 1, vote: 2, commit: 1 });
    disk.sync();
    disk.writeEntries([entry(3, 1)]);
    disk.writeHardState({ term: 2, vote: 3, commit: 2 });
    disk.crash();
    const state = disk.durableState();
    expect(state.entries.map((e) => e.index)).toEqual([1, 2]);
    expect(state.hardState).toEqual({ term: 1, vote: 2, commit: 1 });
  });

  it('replaces the stored suffix when entries overwrite it (Ready rule 5)', () => {
    const disk = new SimDisk();
    disk.writeEntries([entry(1, 1), entry(2, 1), entry(3, 1)]);
    disk.writeEntries([entry(2, 2)]);
    disk.sync();
    expect(disk.durableState().entries.map((e) => `${e.index}/${e.term}`)).toEqual(['1/1', '2/2']);
  });

  it('replaces the whole log with a snapshot from the leader', () => {
    const disk = new SimDisk();
    disk.writeEntries([entry(1, 1), entry(2, 1)]);
    const snapshot: Snapshot = { meta: { index: 5, term: 2, confState: { voters: [1], learners: [] } }, data: new Uint8Array() };
    disk.writeSnapshot(snapshot);
    disk.writeEntries([entry(6, 2)]);
    disk.sync();
    expect(disk.durableSnapshotIndex()).toBe(5);
    expect(disk.durableTermAt(4)).toBe(-1);
    expect(disk.durableTermAt(6)).toBe(2);
  });

  it('with the forgetsVote defect, loses the term and vote of a synced write', () => {
    const disk = new SimDisk({ forgetsVote: true });
    disk.writeHardState({ term: 3, vote: 1, commit: 0 });
    disk.sync();
    expect(disk.durableHardState()).toEqual({ term: 0, vote: 0, commit: 0 });
  });
});

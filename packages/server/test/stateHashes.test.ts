import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StateIntegrity } from '../src/integrity.js';
import { NodeMetrics } from '../src/metrics.js';
import { StateHashComparison, type WireCheckpoint } from '../src/stateHashes.js';

const hash = (low: number) => ({ high: 1, low });
const wire = (member: number, index: number, low: number): WireCheckpoint => ({ member, index, hashHigh: 1, hashLow: low });

function setup(options: { selfId: number; voters: number[] }) {
  const repairs: string[] = [];
  const metrics = new NodeMetrics();
  const integrity = new StateIntegrity({ logger: pino({ level: 'silent' }), metrics, repair: { requestRepair: (reason) => repairs.push(reason) } });
  let now = 0;
  const comparison = new StateHashComparison({
    selfId: options.selfId,
    checkpointsKept: 3,
    checkpointEntries: 10,
    voters: () => options.voters,
    integrity,
    logger: pino({ level: 'silent' }),
    nowMs: () => now,
  });
  return { comparison, integrity, repairs, advance: (ms: number) => (now += ms) };
}

describe('StateHashComparison', () => {
  it('alarms on a differing hash at the same index but keeps serving while the majority agrees with it', () => {
    const { comparison, integrity, repairs } = setup({ selfId: 1, voters: [1, 2, 3] });
    comparison.own({ index: 10, hash: hash(7) });
    comparison.heard(2, [wire(2, 10, 7)]);
    expect(integrity.alarms()).toEqual([]);
    comparison.heard(3, [wire(3, 10, 8), wire(3, 20, 9)]);
    expect(integrity.alarms().join()).toMatch(/mismatch at index 10: member 1 has 0000000100000007, member 3 has 0000000100000008/);
    expect(integrity.readsRefused).toBe(false);
    expect(repairs).toEqual([]);
  });

  it('refuses reads and asks for repair when a majority of the voters, heard directly or relayed, agree on another hash', () => {
    const { comparison, integrity, repairs } = setup({ selfId: 3, voters: [1, 2, 3, 4, 5] });
    comparison.own({ index: 10, hash: hash(8) });
    // The leader relays what it heard from 2 and 4.
    comparison.heard(1, [wire(1, 10, 7), wire(2, 10, 7)]);
    expect(integrity.readsRefused).toBe(false);
    comparison.heard(1, [wire(4, 10, 7)]);
    expect(integrity.readsRefused).toBe(true);
    expect(repairs).toHaveLength(1);
    expect(repairs[0]).toMatch(/minority.*index 10:.*\(1, 2, 4 of 1, 2, 3, 4, 5\)/);
    expect(() => integrity.checkReadable()).toThrow(/answers nothing from its state until it is repaired/);
  });

  it('compares a checkpoint heard before its own, and drops malformed or self-describing entries', () => {
    const { comparison, integrity } = setup({ selfId: 1, voters: [1, 2, 3] });
    comparison.heard(2, [wire(2, 10, 5), wire(3, 10, 5), wire(1, 10, 99), { member: 2, index: -1, hashHigh: 0, hashLow: 0 }, wire(2, 11, 2 ** 33)]);
    comparison.own({ index: 10, hash: hash(6) });
    expect(integrity.readsRefused).toBe(true);
  });

  it('sends what it knows when it changed, and again after a while', () => {
    const { comparison, advance } = setup({ selfId: 1, voters: [1, 2, 3] });
    comparison.own({ index: 10, hash: hash(1) });
    comparison.heard(3, [wire(3, 10, 1)]);
    expect(comparison.toSend(2)).toEqual([wire(1, 10, 1), wire(3, 10, 1)]);
    expect(comparison.toSend(2)).toEqual([]);
    // What 3 sent is not sent back to it.
    expect(comparison.toSend(3)).toEqual([wire(1, 10, 1)]);
    advance(5000);
    expect(comparison.toSend(2)).toHaveLength(2);
    // Only the newest checkpoints are kept.
    for (const index of [20, 30, 40]) comparison.own({ index, hash: hash(1) });
    expect(comparison.toSend(2).filter((c) => c.member === 1).map((c) => c.index)).toEqual([20, 30, 40]);
    // The state as it stands is kept beside the checkpoints, the newest only.
    comparison.own({ index: 41, hash: hash(1) });
    comparison.own({ index: 42, hash: hash(1) });
    expect(comparison.toSend(2).filter((c) => c.member === 1).map((c) => c.index)).toEqual([20, 30, 40, 42]);
  });

  it('compares members that stopped at the same index between checkpoints (an idle cluster, a restart)', () => {
    const { comparison, integrity } = setup({ selfId: 2, voters: [1, 2, 3] });
    comparison.own({ index: 23, hash: hash(4) });
    comparison.heard(1, [wire(1, 23, 5), wire(3, 23, 5)]);
    expect(integrity.alarms().join()).toMatch(/mismatch at index 23/);
    expect(integrity.readsRefused).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { Prng } from '@holdfast/raft';
import { planPartition, SimNetwork } from '../src/index.js';

const config = { latencyTicksMin: 1, latencyTicksMax: 3, delayTicksMax: 10 };

function networkWith(kind: Parameters<typeof planPartition>[0], leaderId = 0) {
  const random = new Prng(5);
  const network = new SimNetwork(config, random);
  const plan = planPartition(kind, [1, 2, 3, 4, 5], leaderId, random);
  network.cutBetween(plan.sideA, plan.sideB, plan.oneWay);
  return { network, plan };
}

describe('SimNetwork partitions', () => {
  it('isolates the leader from everyone, both ways', () => {
    const { network } = networkWith('leaderIsolated', 3);
    for (const other of [1, 2, 4, 5]) {
      expect(network.isLinkUp(3, other)).toBe(false);
      expect(network.isLinkUp(other, 3)).toBe(false);
    }
    expect(network.isLinkUp(1, 2)).toBe(true);
  });

  it('cuts a one-way partition in one direction only', () => {
    const { network, plan } = networkWith('oneWay');
    const a = plan.sideA[0] ?? 0;
    const b = plan.sideB[0] ?? 0;
    expect(network.isLinkUp(a, b)).toBe(false);
    expect(network.isLinkUp(b, a)).toBe(true);
  });

  it('leaves the bridge node connected to both sides that cannot see each other', () => {
    const { network, plan } = networkWith('bridge');
    const bridge = plan.bridge ?? 0;
    expect(plan.sideA).not.toContain(bridge);
    expect(plan.sideB).not.toContain(bridge);
    for (const id of [...plan.sideA, ...plan.sideB]) {
      expect(network.isLinkUp(bridge, id)).toBe(true);
      expect(network.isLinkUp(id, bridge)).toBe(true);
    }
    expect(network.isLinkUp(plan.sideA[0] ?? 0, plan.sideB[0] ?? 0)).toBe(false);
  });

  it('puts a minority on one side of a minority/majority split', () => {
    const { plan } = networkWith('minorityMajority');
    expect(plan.sideA.length).toBe(2);
    expect(plan.sideB.length).toBe(3);
  });

  it('loses every message on a cut link and delivers on a healed one', () => {
    const { network } = networkWith('leaderIsolated', 1);
    expect(network.route(1, 2)).toEqual([]);
    network.healPartitions();
    const delays = network.route(1, 2);
    expect(delays.length).toBe(1);
    expect(delays[0]).toBeGreaterThanOrEqual(1);
    expect(delays[0]).toBeLessThanOrEqual(3);
  });

  it('duplicates every message when told to', () => {
    const network = new SimNetwork(config, new Prng(1));
    network.faults = { dropProbability: 0, duplicateProbability: 1, delayProbability: 0 };
    expect(network.route(1, 2).length).toBe(2);
  });
});

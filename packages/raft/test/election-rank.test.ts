import { describe, expect, it } from 'vitest';
import type { NodeId } from '../src/index.js';
import { message, Network } from './network.js';

// electionTicks 10 (BASE_CONFIG), spread 10: the random draw is in [10, 20).
const SLOT_TICKS = 8;
const RANKED = { electionRankSlotTicks: SLOT_TICKS };
const VOTERS = [1, 2, 3, 4, 5];

/** Ticks every live node until one stops following `oldLeader`; returns the ticks it took. */
function ticksUntilSomeoneStands(net: Network, live: readonly NodeId[], oldLeader: NodeId): number {
  for (let ticks = 1; ticks <= 200; ticks += 1) {
    net.tick(live);
    if (live.some((id) => net.node(id).status().leaderId !== oldLeader)) return ticks;
  }
  throw new Error(`nobody stood in 200 ticks\n${net.describe()}`);
}

/** Elects `leader`, crashes it and `alsoDead`, and reports who leads once the survivors have elected. */
function failover(options: { seed: number; leader: NodeId; alsoDead?: NodeId; config: object }) {
  const net = new Network(VOTERS, { seed: options.seed, config: options.config });
  net.elect(options.leader);
  net.propose(options.leader, 'x');
  const termBefore = net.node(options.leader).status().term;
  const dead = options.alsoDead === undefined ? [options.leader] : [options.leader, options.alsoDead];
  for (const id of dead) net.crash(id);
  const live = VOTERS.filter((id) => !dead.includes(id));
  const ticks = ticksUntilSomeoneStands(net, live, options.leader);
  net.tickUntil(() => net.leader() !== undefined);
  const leader = net.leader()!;
  return { ticks, leader, termsUsed: net.node(leader).status().term - termBefore };
}

describe('ranked election slots (electionRankSlotTicks)', () => {
  it.each([
    { leader: 3, alsoDead: undefined, successor: 4, rank: 0 },
    { leader: 5, alsoDead: undefined, successor: 1, rank: 0 }, // the order wraps around
    { leader: 3, alsoDead: 4, successor: 5, rank: 1 }, // the next one is dead too: one slot later
    { leader: 4, alsoDead: 5, successor: 1, rank: 1 },
  ])('after leader $leader goes silent (also dead: $alsoDead), $successor stands first, at rank $rank, and wins in one term', ({ leader, alsoDead, successor, rank }) => {
    for (let seed = 1; seed <= 20; seed += 1) {
      const run = failover({ seed, leader, ...(alsoDead === undefined ? {} : { alsoDead }), config: RANKED });
      expect({ seed, leader: run.leader, termsUsed: run.termsUsed }).toEqual({ seed, leader: successor, termsUsed: 1 });
      // A quarter slot of margin, then a jitter below a quarter slot: [2, 4) ticks here.
      expect(run.ticks).toBeGreaterThanOrEqual(10 + rank * SLOT_TICKS + 2);
      expect(run.ticks).toBeLessThan(10 + rank * SLOT_TICKS + 4);
    }
  });

  it('the first rank wins even when a peer ticks a little behind it (the margin over its lease)', () => {
    for (let seed = 1; seed <= 20; seed += 1) {
      const net = new Network(VOTERS, { seed, config: RANKED });
      net.elect(1);
      net.propose(1, 'x');
      const termBefore = net.node(1).status().term;
      net.crash(1);
      // 2 is a tick ahead of the others: they heard 1 a tick later, or their ticks lag behind.
      net.tick([2]);
      net.tickUntil(() => net.leader() !== undefined);
      expect({ seed, leader: net.leader(), termsUsed: net.node(2).status().term - termBefore }).toEqual({ seed, leader: 2, termsUsed: 1 });
    }
  });

  it('without the option, who stands first is the random draw (the successor is not always first)', () => {
    const leaders = new Set<NodeId>();
    for (let seed = 1; seed <= 20; seed += 1) leaders.add(failover({ seed, leader: 3, config: {} }).leader);
    expect(leaders.size).toBeGreaterThan(1);
  });

  /** 5 is cut off after leader 1 crashes; returns the ticks until it stands. */
  function isolatedStand(net: Network): number {
    let ticks = 0;
    const term = net.node(5).status().term;
    while (net.node(5).status().role === 'follower' && net.node(5).status().term === term) {
      net.tick([5]);
      ticks += 1;
      if (ticks > 200) throw new Error('5 never stood');
    }
    return ticks;
  }

  it('a member that last followed a leader waits its rank: 5 is fourth after 1 (10 + 3 slots + margin)', () => {
    for (let seed = 1; seed <= 10; seed += 1) {
      const net = new Network(VOTERS, { seed, config: RANKED });
      net.elect(1);
      net.crash(1);
      net.isolate(5);
      const ticks = isolatedStand(net);
      expect(ticks).toBeGreaterThanOrEqual(10 + 3 * SLOT_TICKS + 2);
      expect(ticks).toBeLessThan(10 + 3 * SLOT_TICKS + 4);
    }
  });

  it('a member whose campaign was refused falls back to the random draw', () => {
    const drawn = new Set<number>();
    for (let seed = 1; seed <= 10; seed += 1) {
      // CheckQuorum off: the others answer the campaign at once instead of ignoring it in their lease.
      const net = new Network(VOTERS, { seed, config: { ...RANKED, checkQuorum: false } });
      net.elect(1);
      net.cutLink(1, 5);
      net.propose(1, 'x'); // 5 misses it, so the others refuse its campaign
      net.crash(1);
      net.heal();
      net.node(5).campaign();
      net.stabilize();
      expect(net.node(5).status()).toMatchObject({ role: 'follower', leaderId: 0 });
      net.isolate(5);
      const ticks = isolatedStand(net);
      // Ranked, 5 would wait 10 + 3 slots + 2 = 36 ticks or more; the random draw is in [10, 20).
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      drawn.add(ticks);
    }
    expect(drawn.size).toBeGreaterThan(1);
  });

  it('a member whose campaign timed out falls back to the random draw, also once it follows no leader again', () => {
    for (let seed = 1; seed <= 10; seed += 1) {
      const net = new Network(VOTERS, { seed, config: { ...RANKED, preVote: false, checkQuorum: false } });
      net.elect(1);
      net.crash(1);
      net.isolate(5);
      const rankedTicks = isolatedStandOf(net, 5);
      expect(rankedTicks).toBeGreaterThanOrEqual(10 + 3 * SLOT_TICKS);
      const candidateTicks = isolatedStandOf(net, 5); // its campaign timed out: a new one
      expect(candidateTicks).toBeLessThan(20);
      // A candidate of a higher term turns it into a follower without a leader.
      const { term, lastIndex } = net.node(5).status();
      net.node(5).step(message({ type: 'vote', from: 2, to: 5, term: term + 1, index: lastIndex, logTerm: term }));
      expect(net.node(5).status()).toMatchObject({ role: 'follower', leaderId: 0, term: term + 1 });
      const followerTicks = isolatedStandOf(net, 5);
      expect(followerTicks).toBeGreaterThanOrEqual(10);
      expect(followerTicks).toBeLessThan(20);
    }
  });

  it('without a last leader the draws are the default ones (same seed, same timeouts)', () => {
    const timeouts = (config: object): number[] => {
      const net = new Network([1, 2, 3], { seed: 11, config: { ...config, preVote: false } });
      net.isolate(1);
      return [0, 1, 2].map(() => isolatedStandOf(net, 1));
    };
    expect(timeouts(RANKED)).toEqual(timeouts({}));
    expect(timeouts({ electionRankSlotTicks: 0 })).toEqual(timeouts({}));
  });
});

/** Without PreVote: the ticks until `id` (cut off) starts its next term. */
function isolatedStandOf(net: Network, id: NodeId): number {
  let ticks = 0;
  const term = net.node(id).status().term;
  while (net.node(id).status().term === term) {
    net.tick([id]);
    ticks += 1;
    if (ticks > 200) throw new Error(`${id} never stood`);
  }
  return ticks;
}

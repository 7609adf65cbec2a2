import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyConfChange,
  bootstrapEntries,
  type ConfChange,
  ConfChangeInvalidError,
  ConfChangePendingError,
  ConfChangeTooEarlyError,
  type ConfState,
} from '../src/index.js';
import { appliedTexts, data, Network } from './network.js';

/** Lets a fresh leader's empty entry commit and apply, so membership changes are allowed. */
function settledCluster(voters: number[]): Network {
  const net = new Network(voters);
  net.elect(voters[0]!);
  net.tick();
  return net;
}

function change(net: Network, leader: number, conf: ConfChange): void {
  net.node(leader).proposeConfChange(conf);
  net.stabilize();
  net.tick();
}

describe('§4 cluster membership changes', () => {
  it('bootstrap: every initial member writes the identical log, whatever order it lists the voters in', () => {
    expect(bootstrapEntries([3, 1, 2])).toEqual(bootstrapEntries([1, 2, 3]));
    expect(bootstrapEntries([2, 1])).toEqual([
      { type: 'confChange', term: 1, index: 1, change: { type: 'addVoter', nodeId: 1 } },
      { type: 'confChange', term: 1, index: 2, change: { type: 'addVoter', nodeId: 2 } },
    ]);
    expect(() => bootstrapEntries([])).toThrow(ConfChangeInvalidError);
    expect(() => bootstrapEntries([1, 1])).toThrow(ConfChangeInvalidError);
  });

  it('§4 a node not in the configuration never campaigns', () => {
    const net = new Network([1, 2, 3]);
    net.addPeer(9);
    for (let tick = 0; tick < 100; tick += 1) net.tick([9]);
    expect(net.node(9).status()).toMatchObject({ role: 'follower', term: 0 });
    net.node(9).campaign();
    expect(net.node(9).status().role).toBe('follower');
  });

  it('§4.2.1 a learner receives the log but neither votes nor counts toward commit', () => {
    const net = settledCluster([1, 2, 3]);
    net.addPeer(4);
    change(net, 1, { type: 'addLearner', nodeId: 4 });
    net.propose(1, 'a');
    net.tick();
    expect(appliedTexts(net.peer(4))).toEqual(['a']);
    expect(net.node(4).status().confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    // With both voting followers cut off, the learner's acknowledgement does not commit.
    net.cutLink(1, 2);
    net.cutLink(1, 3);
    const { lastIndex } = net.propose(1, 'b');
    expect(net.node(4).status().lastIndex).toBe(lastIndex);
    expect(net.node(1).status().commit).toBeLessThan(lastIndex);
    // And a learner never campaigns.
    net.isolate(4);
    for (let tick = 0; tick < 60; tick += 1) net.tick([4]);
    expect(net.node(4).status().role).toBe('follower');
  });

  it('§4.1 a voter added with an empty log learns the whole membership from the log and counts toward commit', () => {
    const net = settledCluster([1, 2, 3]);
    net.addPeer(4);
    change(net, 1, { type: 'addVoter', nodeId: 4 });
    expect(net.node(4).status().confState).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    // Quorum is now 3 of 4: the leader and node 4 alone cannot commit; with node 2 they can.
    net.cutLink(1, 2);
    net.cutLink(1, 3);
    const first = net.propose(1, 'x');
    expect(net.node(1).status().commit).toBeLessThan(first.lastIndex);
    net.heal();
    net.cutLink(1, 3);
    net.tick();
    expect(net.node(1).status().commit).toBe(first.lastIndex);
  });

  it('§4.2.1 a promoted learner counts toward commit and may campaign', () => {
    const net = settledCluster([1, 2, 3]);
    net.addPeer(4);
    change(net, 1, { type: 'addLearner', nodeId: 4 });
    change(net, 1, { type: 'promoteLearner', nodeId: 4 });
    expect(net.node(1).status().confState).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    net.node(1).transferLeadership(4);
    net.stabilize();
    expect(net.leader()).toBe(4);
  });

  it('§4.1 removing a follower shrinks the quorum, and the removed node stays quiet', () => {
    const net = settledCluster([1, 2, 3]);
    change(net, 1, { type: 'removeNode', nodeId: 3 });
    expect(net.node(3).status().confState.voters).toEqual([1, 2]);
    net.crash(3);
    const { lastIndex } = net.propose(1, 'two of two');
    expect(net.node(1).status().commit).toBe(lastIndex);
    net.restart(3);
    net.isolate(3);
    for (let tick = 0; tick < 60; tick += 1) net.tick([3]);
    expect(net.node(3).status()).toMatchObject({ role: 'follower', term: 2 });
  });

  it('§4.2.2 a leader that removes itself steps down once the removal commits, and another voter takes over', () => {
    const net = settledCluster([1, 2, 3]);
    net.node(1).proposeConfChange({ type: 'removeNode', nodeId: 1 });
    expect(net.node(1).status().role).toBe('leader'); // still leads until the removal commits
    net.stabilize();
    expect(net.node(1).status().role).toBe('follower');
    const leader = net.leader();
    expect(leader === 2 || leader === 3).toBe(true);
    net.propose(leader!, 'after');
    net.tick();
    expect(appliedTexts(net.peer(leader === 2 ? 3 : 2))).toEqual(['after']);
    for (let tick = 0; tick < 60; tick += 1) net.tick([1]);
    expect(net.node(1).status().role).toBe('follower');
  });

  it('§4.2.2 a voter holding its own uncommitted removal may still campaign, and finishes the change', () => {
    const net = settledCluster([1, 2, 3, 4]);
    // Only node 4 receives the entry that removes it; then the leader crashes.
    net.filter = (m) => !(m.from === 1 && m.type === 'append' && (m.to === 2 || m.to === 3));
    const { index } = net.node(1).proposeConfChange({ type: 'removeNode', nodeId: 4 });
    net.stabilize();
    expect(net.node(4).status().lastIndex).toBe(index);
    net.crash(1);
    net.heal();
    // Nodes 2 and 3 cannot win under {1,2,3,4} without node 4, whose log is ahead of theirs;
    // node 4 wins under {1,2,3} with their votes, commits the change, and hands over.
    net.tickUntil(() => net.leader() === 2 || net.leader() === 3, 300);
    expect(net.node(net.leader()!).status().commit).toBeGreaterThanOrEqual(index);
    expect(net.node(4).status().role).toBe('follower');
    expect(net.delivered.some((m) => m.type === 'timeoutNow' && m.from === 4)).toBe(true);
    expect(net.node(2).status().confState.voters).toEqual([1, 2, 3]);
  });

  it('§4.1 one change at a time: a second change is refused while the first is not applied', () => {
    const net = settledCluster([1, 2, 3]);
    const first = net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
    let refused: unknown;
    try {
      net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 5 });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ConfChangePendingError);
    expect(refused).toMatchObject({ pendingIndex: first.index, code: 'CONF_CHANGE_PENDING' });
    net.stabilize();
    expect(() => net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 5 })).not.toThrow();
  });

  it('§4.1 a new leader changes membership only after it has committed an entry of its term', () => {
    const net = new Network([1, 2, 3]);
    net.filter = (m) => m.type !== 'appendResponse';
    net.elect(1);
    expect(() => net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 })).toThrow(ConfChangeTooEarlyError);
    expect(net.node(1).status().confState.learners).toEqual([]);
  });

  it('§4.1 a configuration takes effect when its entry is appended, and is undone if the entry is overwritten', () => {
    const net = settledCluster([1, 2, 3]);
    net.isolate(1);
    net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
    expect(net.node(1).status().confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    net.tickUntil(() => net.leader() === 2 || net.leader() === 3);
    net.propose(net.leader()!, 'newer');
    net.heal();
    net.tickUntil(() => appliedTexts(net.peer(1)).includes('newer'));
    expect(net.node(1).status().confState).toEqual({ voters: [1, 2, 3], learners: [] });
  });

  it('§4 changes that do not apply to the configuration are refused and change nothing', () => {
    const net = settledCluster([1, 2, 3]);
    const before = net.node(1).status();
    for (const bad of [
      { type: 'addVoter', nodeId: 2 },
      { type: 'addLearner', nodeId: 3 },
      { type: 'promoteLearner', nodeId: 2 },
      { type: 'removeNode', nodeId: 7 },
      { type: 'addVoter', nodeId: -1 },
    ] as const) {
      expect(() => net.node(1).proposeConfChange(bad)).toThrow(ConfChangeInvalidError);
    }
    expect(net.node(1).status()).toEqual(before);
  });

  it('§7 a node that joins after compaction learns the membership from the snapshot and the log after it', () => {
    const net = settledCluster([1, 2, 3]);
    net.propose(1, 'a');
    net.tick();
    net.snapshotAndCompact(1);
    net.addPeer(4);
    change(net, 1, { type: 'addLearner', nodeId: 4 });
    net.tick();
    expect(net.deliveredCounts.get('snapshot')).toBe(1);
    expect(net.node(4).status().confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    expect(appliedTexts(net.peer(4))).toEqual(['a']);
  });

  it('a restarted node replays the confChange entries of its log on top of the stored membership', () => {
    const net = settledCluster([1, 2, 3]);
    net.addPeer(4);
    change(net, 1, { type: 'addLearner', nodeId: 4 });
    net.crash(2);
    net.restart(2);
    expect(net.node(2).status().confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    net.node(1).propose([data('still works')]);
    net.stabilize();
    net.tick(); // the commit index reaches followers with the next append or at the leader's next tick
    expect(appliedTexts(net.peer(2))).toContain('still works');
  });

  it('property: applyConfChange keeps voters and learners disjoint, sorted, and never without a voter', () => {
    const changeArbitrary = fc.record({
      type: fc.constantFrom('addVoter', 'addLearner', 'promoteLearner', 'removeNode' as const),
      nodeId: fc.integer({ min: 1, max: 6 }),
    });
    fc.assert(
      fc.property(fc.array(changeArbitrary, { maxLength: 40 }), (changes) => {
        let conf: ConfState = { voters: [1], learners: [] };
        for (const next of changes) {
          try {
            conf = applyConfChange(conf, next);
          } catch (error) {
            if (!(error instanceof ConfChangeInvalidError)) throw error;
          }
          expect(conf.voters.length).toBeGreaterThan(0);
          expect(conf.voters.filter((id) => conf.learners.includes(id))).toEqual([]);
          expect([...conf.voters].sort((a, b) => a - b)).toEqual(conf.voters);
          expect([...conf.learners].sort((a, b) => a - b)).toEqual(conf.learners);
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

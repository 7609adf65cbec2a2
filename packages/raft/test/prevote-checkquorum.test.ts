import { describe, expect, it } from 'vitest';
import { CAMPAIGN_TRANSFER } from '../src/index.js';
import { drain, message, Network, sent } from './network.js';

describe('§9.6 PreVote and §6.2 CheckQuorum', () => {
  it('§9.6 a node cut off from the cluster does not raise its term and, healed, does not depose a healthy leader', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let tick = 0; tick < 100; tick += 1) net.tick();
    expect(net.node(3).status().term).toBe(2);
    expect(net.node(3).status().role).toBe('preCandidate');
    net.heal();
    for (let tick = 0; tick < 30; tick += 1) net.tick();
    expect(net.leader()).toBe(1);
    for (const id of [1, 2, 3]) expect(net.node(id).status()).toMatchObject({ term: 2, leaderId: 1 });
  });

  it('§9.6 without PreVote the same node raises its term and, healed, deposes the leader (what PreVote prevents)', () => {
    const net = new Network([1, 2, 3], { config: { preVote: false, checkQuorum: false } });
    net.elect(1);
    net.isolate(3);
    for (let tick = 0; tick < 100; tick += 1) net.tick();
    expect(net.node(3).status().term).toBeGreaterThan(2);
    net.heal();
    net.tick();
    expect(net.node(1).status().term).toBeGreaterThan(2);
    expect(net.node(1).status().role).not.toBe('leader');
  });

  it('§6.2 CheckQuorum: a leader that hears from no quorum for an election timeout steps down', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    let ticks = 0;
    while (net.node(1).status().role === 'leader') {
      net.tick([1]);
      ticks += 1;
      expect(ticks).toBeLessThanOrEqual(20);
    }
    expect(net.node(1).status()).toMatchObject({ role: 'follower', term: 2, leaderId: 0 });
  });

  it('§6.2 CheckQuorum: a leader that hears from a quorum keeps leading through many election timeouts', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let tick = 0; tick < 100; tick += 1) net.tick([1, 2]);
    expect(net.leader()).toBe(1);
  });

  it('§4.2.3 a follower that heard from its leader within the election timeout ignores vote requests', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const before = net.node(3).status();
    net.node(3).step(message({ type: 'vote', from: 2, to: 3, term: 5, index: 99, logTerm: 4 }));
    net.node(3).step(message({ type: 'preVote', from: 2, to: 3, term: 5, index: 99, logTerm: 4 }));
    expect(net.node(3).status()).toEqual(before);
    expect(sent(drain(net.peer(3)))).toEqual([]);
  });

  it('§3.10 an election started by a leadership transfer passes through the lease', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(3).step(
      message({ type: 'vote', from: 2, to: 3, term: 3, index: 4, logTerm: 2, context: CAMPAIGN_TRANSFER }),
    );
    expect(net.node(3).status()).toMatchObject({ term: 3, vote: 2 });
    expect(sent(drain(net.peer(3)))).toMatchObject([{ type: 'voteResponse', to: 2, term: 3, reject: false }]);
  });

  it('§9.6 a preVote request changes neither the term nor the vote of the node asked', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    for (let tick = 0; tick < 10; tick += 1) net.tick([3]); // the lease runs out
    const before = net.node(3).status();
    net.node(3).step(message({ type: 'preVote', from: 2, to: 3, term: 3, index: 4, logTerm: 2 }));
    const after = net.node(3).status();
    expect(after.term).toBe(before.term);
    expect(after.vote).toBe(before.vote);
    expect(sent(drain(net.peer(3)))).toMatchObject([{ type: 'preVoteResponse', to: 2, term: 3, reject: false }]);
  });

  it('§9.6 a pre-candidate that a quorum refuses goes back to follower in the same term', () => {
    const net = new Network([1, 2, 3], { config: { checkQuorum: false } });
    net.elect(1);
    net.propose(1, 'x');
    // Node 3 missed the last entry, so its log is behind: the others refuse its preVote.
    net.isolate(3);
    net.propose(1, 'y');
    net.heal();
    net.filter = (m) => !(m.from === 1 && m.to === 3 && m.type !== 'preVoteResponse');
    net.node(3).campaign();
    net.stabilize();
    expect(net.node(3).status()).toMatchObject({ role: 'follower', term: 2 });
  });
});

import { describe, expect, it } from 'vitest';
import { InvariantError, type Message } from '../src/index.js';
import { appliedTexts, drain, message, Network, sent } from './network.js';

const CLASSIC = { preVote: false, checkQuorum: false };

describe('§5.2 leader election', () => {
  it('§5.2 a follower that hears from no leader starts an election after a timeout drawn from [electionTicks, 2·electionTicks)', () => {
    const timeouts = new Set<number>();
    for (let seed = 1; seed <= 20; seed += 1) {
      const net = new Network([1, 2, 3], { seed });
      net.isolate(1);
      let ticks = 0;
      while (net.node(1).status().role === 'follower') {
        net.tick([1]);
        ticks += 1;
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      timeouts.add(ticks);
    }
    expect(timeouts.size).toBeGreaterThan(3);
  });

  it('electionSpreadTicks narrows the draw to [electionTicks, electionTicks + spread), on a follower and a candidate', () => {
    for (const spread of [1, 3, 10]) {
      const drawn = new Set<number>();
      for (let seed = 1; seed <= 30; seed += 1) {
        const net = new Network([1, 2, 3], { seed, config: { ...CLASSIC, electionSpreadTicks: spread } });
        net.isolate(1);
        // The first timeout as a follower, then two more as a candidate whose campaigns go unanswered.
        for (let round = 0; round < 3; round += 1) {
          const term = net.node(1).status().term;
          let ticks = 0;
          while (net.node(1).status().term === term) {
            net.tick([1]);
            ticks += 1;
          }
          expect(ticks).toBeGreaterThanOrEqual(10);
          expect(ticks).toBeLessThan(10 + spread);
          drawn.add(ticks);
        }
      }
      // The whole range is drawn from, not one value of it.
      expect(drawn.size).toBe(spread);
    }
  });

  it('the default spread draws as electionTicks did before it was configurable (same seed, same timeouts)', () => {
    const firstTimeout = (config: { electionSpreadTicks?: number }): number => {
      const net = new Network([1, 2, 3], { seed: 7, config });
      net.isolate(1);
      let ticks = 0;
      while (net.node(1).status().role === 'follower') {
        net.tick([1]);
        ticks += 1;
      }
      return ticks;
    };
    expect(firstTimeout({ electionSpreadTicks: 10 })).toBe(firstTimeout({}));
  });

  it('§5.2 a candidate that wins a majority becomes leader and appends an empty entry of its term (§8)', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const status = net.node(1).status();
    expect(status).toMatchObject({ role: 'leader', leaderId: 1, term: 2 });
    const last = net.peer(1).storage.entries(status.lastIndex, status.lastIndex + 1, 1e9)[0]!;
    expect(last).toMatchObject({ type: 'normal', term: 2, index: 4 });
    expect(last.type === 'normal' && last.data.byteLength).toBe(0);
    for (const id of [2, 3]) expect(net.node(id).status()).toMatchObject({ role: 'follower', leaderId: 1, term: 2 });
  });

  it('§5.2 each server votes for at most one candidate in a term, first come first served', () => {
    const net = new Network([1, 2, 3], { config: CLASSIC });
    const voter = net.peer(1);
    const request = (from: number): Message => message({ type: 'vote', from, to: 1, term: 2, index: 3, logTerm: 1 });
    voter.node.step(request(2));
    voter.node.step(request(3));
    voter.node.step(request(2));
    const answers = sent(drain(voter)).map((m) => [m.to, m.reject]);
    expect(answers).toEqual([
      [2, false],
      [3, true],
      [2, false],
    ]);
  });

  it('§5.4.1 a voter denies its vote to a candidate whose log is less up-to-date', () => {
    const net = new Network([1, 2, 3], { config: CLASSIC });
    net.elect(1);
    net.propose(1, 'a');
    const voter = net.peer(3);
    voter.node.step(message({ type: 'vote', from: 2, to: 3, term: 5, index: 9, logTerm: 1 }));
    voter.node.step(message({ type: 'vote', from: 2, to: 3, term: 6, index: 4, logTerm: 2 }));
    voter.node.step(message({ type: 'vote', from: 2, to: 3, term: 7, index: 5, logTerm: 2 }));
    const answers = sent(drain(voter)).map((m) => [m.term, m.reject]);
    // Older last term loses; same term with a shorter log loses; same term and length wins.
    expect(answers).toEqual([
      [5, true],
      [6, true],
      [7, false],
    ]);
  });

  it('§5.1 a vote leaves only after the new term and vote are durable (messagesAfterPersist)', () => {
    const net = new Network([1, 2, 3], { config: CLASSIC });
    const voter = net.peer(1);
    voter.node.step(message({ type: 'vote', from: 2, to: 1, term: 2, index: 3, logTerm: 1 }));
    const ready = voter.node.ready();
    expect(ready.hardState).toEqual({ term: 2, vote: 2, commit: 3 });
    expect(ready.mustSync).toBe(true);
    expect(ready.messages).toEqual([]);
    expect(ready.messagesAfterPersist).toMatchObject([{ type: 'voteResponse', to: 2, reject: false }]);
    voter.node.advance(ready);
  });

  it('§5.1 term and vote survive a restart, so a restarted node does not vote twice in a term', () => {
    const net = new Network([1, 2, 3], { config: CLASSIC });
    const voter = net.peer(1);
    voter.node.step(message({ type: 'vote', from: 2, to: 1, term: 2, index: 3, logTerm: 1 }));
    drain(voter);
    net.crash(1);
    net.restart(1);
    expect(net.node(1).status()).toMatchObject({ term: 2, vote: 2 });
    net.node(1).step(message({ type: 'vote', from: 3, to: 1, term: 2, index: 3, logTerm: 1 }));
    expect(sent(drain(net.peer(1)))).toMatchObject([{ type: 'voteResponse', to: 3, reject: true }]);
  });

  it('§5.2 a candidate that hears from a leader of its own term becomes its follower', () => {
    const net = new Network([1, 2, 3], { config: CLASSIC });
    net.isolate(1);
    net.node(1).campaign();
    net.stabilize();
    expect(net.node(1).status()).toMatchObject({ role: 'candidate', term: 2 });
    net.node(1).step(message({ type: 'heartbeat', from: 2, to: 1, term: 2 }));
    expect(net.node(1).status()).toMatchObject({ role: 'follower', term: 2, leaderId: 2 });
  });

  it('§5.1 a node that sees a higher term adopts it and becomes a follower, even a leader', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).step(message({ type: 'appendResponse', from: 2, to: 1, term: 7, reject: true }));
    expect(net.node(1).status()).toMatchObject({ role: 'follower', term: 7, leaderId: 0, vote: 0 });
  });

  it('§5.1 a message from an older term changes nothing; an old leader is told the newer term', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).transferLeadership(2);
    net.stabilize();
    expect(net.leader()).toBe(2);
    const before = net.node(3).status();
    net.node(3).step(message({ type: 'append', from: 1, to: 3, term: 2, index: 5, logTerm: 2, commit: 9 }));
    net.node(3).step(message({ type: 'vote', from: 1, to: 3, term: 2, index: 99, logTerm: 2 }));
    expect(net.node(3).status()).toEqual(before);
    const answers = sent(drain(net.peer(3)));
    expect(answers).toMatchObject([
      { type: 'appendResponse', to: 1, term: 3 },
      { type: 'voteResponse', to: 1, term: 3, reject: true },
    ]);
    net.node(1).step(answers[0]!);
    expect(net.node(1).status()).toMatchObject({ role: 'follower', term: 3 });
  });

  it('§5.2 after a split vote the candidates time out and a later election produces one leader', () => {
    const net = new Network([1, 2, 3, 4], { config: CLASSIC, seed: 3 });
    net.cutLink(1, 4);
    net.cutLink(2, 3);
    net.node(1).campaign();
    net.node(2).campaign();
    net.stabilize();
    expect(net.node(1).status()).toMatchObject({ role: 'candidate', term: 2 });
    expect(net.node(2).status()).toMatchObject({ role: 'candidate', term: 2 });
    net.heal();
    net.tickUntil(() => net.leader() !== undefined);
    const leader = net.node(net.leader()!).status();
    expect(leader.term).toBeGreaterThan(2);
    const leaders = [...net.peers.values()].filter((peer) => peer.node.status().role === 'leader');
    expect(leaders).toHaveLength(1);
  });

  it('§5.2 a candidate that must refuse a more up-to-date candidate waits a full timeout before racing it again', () => {
    const net = new Network([1, 2, 3], { config: CLASSIC });
    net.isolate(1);
    net.node(1).campaign();
    net.stabilize();
    // Tick to one before the candidate's own timeout.
    const timeout = (net.node(1) as unknown as { randomizedElectionTicks: number }).randomizedElectionTicks;
    for (let tick = 0; tick < timeout - 1; tick += 1) net.tick([1]);
    expect(net.node(1).status()).toMatchObject({ role: 'candidate', term: 2 });
    // Node 2 asks in the same term with a longer log; node 1 already voted for itself.
    net.node(1).step(message({ type: 'vote', from: 2, to: 1, term: 2, index: 9, logTerm: 1 }));
    expect(sent(drain(net.peer(1)))).toMatchObject([{ type: 'voteResponse', reject: true }]);
    let ticks = 0;
    while (net.node(1).status().term === 2) {
      net.tick([1]);
      ticks += 1;
    }
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  it('§5.2 a single-voter cluster elects itself and commits alone', () => {
    const net = new Network([1]);
    net.tickUntil(() => net.leader() === 1);
    net.propose(1, 'solo');
    expect(appliedTexts(net.peer(1))).toEqual(['solo']);
  });

  it('roles change only along legal transitions: a follower cannot become leader without an election', () => {
    const net = new Network([1, 2, 3]);
    const internals = net.node(1) as unknown as { becomeLeader(): void };
    expect(() => internals.becomeLeader()).toThrow(InvariantError);
    net.elect(1);
    const leader = net.node(1) as unknown as { becomeCandidate(): void; becomePreCandidate(): void };
    expect(() => leader.becomeCandidate()).toThrow(InvariantError);
    expect(() => leader.becomePreCandidate()).toThrow(InvariantError);
  });
});

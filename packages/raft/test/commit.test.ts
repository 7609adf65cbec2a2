import { describe, expect, it } from 'vitest';
import { appliedTexts, data, message, Network, text } from './network.js';

describe('§5.4.2 committing entries', () => {
  it('§5.4.2 a leader never commits an entry of a previous term by counting replicas (Figure 8)', () => {
    // One entry per append, so the test can let index 7 through and hold index 8 back.
    const net = new Network([1, 2, 3, 4, 5], {
      config: { preVote: false, checkQuorum: false, messageBytesMax: 20, inflightBytesMax: 1000 },
    });
    net.elect(1); // term 2, empty entry at 6, committed everywhere

    // (a) S1 replicates 'x' (index 7, term 2) to S2 only.
    for (const to of [3, 4, 5]) net.cutLink(1, to);
    net.propose(1, 'x');
    expect(net.node(1).status().commit).toBe(6);

    // (b) S1 crashes; S5 wins term 3 with S3 and S4, appends its own entry at 7, and crashes.
    net.crash(1);
    net.heal();
    net.filter = (m) => !(m.from === 5 && m.type === 'append');
    net.elect(5);
    expect(net.node(5).status().term).toBe(3);
    net.crash(5);

    // (c) S1 restarts and wins term 4; index 7 (term 2) reaches S2, S3, S4 — a majority —
    // but the leader's own entry at 8 is held back.
    net.restart(1);
    // Appends from S1 lose their entries from index 8 on (a valid, shorter append still arrives).
    net.filter = (m) => {
      if (m.from !== 1 || m.type !== 'append' || !m.entries.some((e) => e.index >= 8)) return true;
      net.queue.push({ ...m, entries: m.entries.filter((e) => e.index < 8) });
      return false;
    };
    while (net.node(1).status().role !== 'leader') {
      net.node(1).campaign();
      net.stabilize();
    }
    expect(net.node(1).status().term).toBe(4);
    const matches = net.node(1).status().progress.map((p) => p.match);
    expect(matches.filter((match) => match >= 7).length).toBeGreaterThanOrEqual(3);
    expect(net.node(1).status().commit).toBe(6);
    for (const id of [1, 2, 3, 4]) expect(appliedTexts(net.peer(id))).toEqual([]);

    // (d) Once the term-4 entry reaches a majority, both commit together.
    net.filter = () => true;
    net.tick([1, 2, 3, 4]);
    expect(net.node(1).status().commit).toBe(8);
    // The new commit index reaches the followers with the leader's next append, or at its next tick.
    net.tick([1, 2, 3, 4]);
    for (const id of [1, 2, 3, 4]) expect(appliedTexts(net.peer(id))).toEqual(['x']);
  });

  it('a new commit index travels with the next append, or in one empty append per follower at the next tick', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const emptyAppends = () => net.delivered.filter((m) => m.type === 'append' && m.from === 1 && m.entries.length === 0).length;
    const followerCommits = () => [2, 3].map((id) => net.node(id).status().commit);
    const before = emptyAppends();
    const first = net.propose(1, 'a');
    expect(net.node(1).status().commit).toBe(first.lastIndex);
    expect(emptyAppends()).toBe(before);
    expect(followerCommits().every((commit) => commit < first.lastIndex)).toBe(true);
    // The next write's append carries the commit of the first.
    const second = net.propose(1, 'b');
    expect(followerCommits()).toEqual([first.lastIndex, first.lastIndex]);
    expect(emptyAppends()).toBe(before);
    // Nothing else to send: one empty append per follower at the leader's next tick.
    net.tick([1]);
    expect(followerCommits()).toEqual([second.lastIndex, second.lastIndex]);
    expect(emptyAppends()).toBe(before + 2);
    net.tick([1]);
    expect(emptyAppends()).toBe(before + 2);
    for (const id of [1, 2, 3]) expect(appliedTexts(net.peer(id))).toEqual(['a', 'b']);
  });

  it('§5.4.2 an entry of the current term commits once a majority of voters holds it, not before', () => {
    const net = new Network([1, 2, 3, 4, 5]);
    net.elect(1);
    net.cutLink(1, 4);
    net.cutLink(1, 5);
    const first = net.propose(1, 'majority');
    expect(net.node(1).status().commit).toBe(first.lastIndex);
    net.cutLink(1, 3);
    const second = net.propose(1, 'minority');
    expect(net.node(1).status().commit).toBe(first.lastIndex);
    expect(second.lastIndex).toBe(first.lastIndex + 1);
    expect(appliedTexts(net.peer(1))).toEqual(['majority']);
  });

  it('§10.2.1 a leader counts its own log only as far as the driver reported it durable', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.peer(1).frozen = true; // the leader's disk is slow
    const { lastIndex } = net.propose(1, 'a');
    // Node 2 acknowledged, but the leader's own copy is not durable: no majority yet.
    expect(net.node(2).status().lastIndex).toBe(lastIndex);
    expect(net.node(1).status().commit).toBe(lastIndex - 1);
    net.peer(1).frozen = false;
    net.stabilize();
    expect(net.node(1).status().commit).toBe(lastIndex);
    expect(appliedTexts(net.peer(1))).toEqual(['a']);
  });

  it('§10.2.1 two followers can commit an entry while the leader\'s own write is still in flight; it applies after', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.peer(1).frozen = true;
    const { lastIndex } = net.propose(1, 'a');
    expect(net.node(1).status().commit).toBe(lastIndex);
    expect(appliedTexts(net.peer(1))).toEqual([]);
    net.peer(1).frozen = false;
    net.stabilize();
    expect(appliedTexts(net.peer(1))).toEqual(['a']);
  });

  it('§5.3 followers learn the commit index from the leader, and it never decreases', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a', 'b');
    net.tick();
    const commit = net.node(1).status().commit;
    expect(net.node(2).status().commit).toBe(commit);
    net.node(2).step(message({ type: 'heartbeat', from: 1, to: 2, term: 2, commit: 1 }));
    expect(net.node(2).status().commit).toBe(commit);
  });

  it('§5.3 a follower never commits past the entries it holds from the current leader', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(2).step(
      message({
        type: 'append',
        from: 1,
        to: 2,
        term: 2,
        index: 4,
        logTerm: 2,
        commit: 100,
        entries: [{ type: 'normal', term: 2, index: 5, data: data('a') }],
      }),
    );
    expect(net.node(2).status().commit).toBe(5);
    const ready = net.node(2).ready();
    expect(ready.committedEntries.map(text)).toEqual(['a']);
    net.node(2).advance(ready);
  });
});

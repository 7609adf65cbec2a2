import { describe, expect, it } from 'vitest';
import { entryBytes, type Message } from '../src/index.js';
import { appliedTexts, data, drain, message, Network, sent, text } from './network.js';

const appendsTo = (messages: readonly Message[], to: number): Message[] =>
  messages.filter((m) => m.type === 'append' && m.to === to && m.entries.length > 0);

describe('§5.3 log replication', () => {
  it('§5.3 the leader replicates every entry and every node applies them in log order', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.propose(1, 'b', 'c');
    net.tick();
    for (const id of [1, 2, 3]) expect(appliedTexts(net.peer(id))).toEqual(['a', 'b', 'c']);
  });

  it('§5.3 a follower rejects an append whose previous entry it does not hold, and changes nothing', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const follower = net.peer(3);
    const before = follower.node.status();
    follower.node.step(
      message({
        type: 'append',
        from: 1,
        to: 3,
        term: 2,
        index: 10,
        logTerm: 2,
        commit: 11,
        entries: [{ type: 'normal', term: 2, index: 11, data: data('z') }],
      }),
    );
    expect(follower.node.status()).toMatchObject({ commit: before.commit, lastIndex: before.lastIndex });
    // The hint: the last index the follower holds (4) and its term (2).
    expect(sent(drain(follower))).toMatchObject([
      { type: 'appendResponse', to: 1, reject: true, index: 10, rejectHint: 4, rejectTerm: 2 },
    ]);
  });

  it('§5.3 a follower acknowledges entries only after persisting them (messagesAfterPersist)', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const entry = { type: 'normal' as const, term: 2, index: 5, data: data('a') };
    net.node(2).step(message({ type: 'append', from: 1, to: 2, term: 2, index: 4, logTerm: 2, entries: [entry] }));
    const ready = net.node(2).ready();
    expect(ready.entries).toEqual([entry]);
    expect(ready.mustSync).toBe(true);
    expect(ready.messages).toEqual([]);
    expect(ready.messagesAfterPersist).toMatchObject([{ type: 'appendResponse', index: 5, reject: false }]);
    net.node(2).advance(ready);
  });

  it('§5.3 a conflicting uncommitted suffix on a deposed leader is replaced by the new leader\'s entries', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    net.node(1).propose([data('lost-1'), data('lost-2')]);
    net.stabilize();
    net.tickUntil(() => net.leader() === 2 || net.leader() === 3);
    const leader = net.leader()!;
    net.propose(leader, 'kept');
    net.heal();
    net.tickUntil(() => net.node(1).status().applied === net.node(leader).status().commit);
    expect(appliedTexts(net.peer(1))).toEqual(['kept']);
    const log = net.peer(1).storage.entries(5, net.peer(1).storage.lastIndex() + 1, 1e9).map(text);
    expect(log).not.toContain('lost-1');
    expect(log).not.toContain('lost-2');
  });

  it('§5.3 fast back-off: a long divergent tail is repaired in a few round trips, not one per entry', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    for (let i = 0; i < 50; i += 1) net.node(1).propose([data(`stale-${i}`)]);
    net.stabilize();
    net.tickUntil(() => net.leader() === 2 || net.leader() === 3);
    const first = net.leader()!;
    for (let i = 0; i < 50; i += 1) net.propose(first, `fresh-${i}`);
    // A newer leader starts probing node 1 past the end of its own long log.
    const leader = first === 2 ? 3 : 2;
    net.node(first).transferLeadership(leader);
    net.stabilize();
    expect(net.leader()).toBe(leader);
    net.delivered.length = 0;
    net.heal();
    net.tickUntil(() => net.node(1).status().applied === net.node(leader).status().commit);
    const rejections = net.delivered.filter((m) => m.type === 'appendResponse' && m.from === 1 && m.reject);
    expect(rejections.length).toBeGreaterThan(0);
    expect(rejections.length).toBeLessThanOrEqual(3);
    expect(appliedTexts(net.peer(1))).toHaveLength(50);
  });

  it('§5.3 a follower starts in probe (one append at a time) and moves to replicate after its first acknowledgement', () => {
    const net = new Network([1, 2, 3]);
    net.filter = (m) => !(m.type === 'appendResponse' && m.from === 2);
    net.elect(1);
    const probing = net.node(1).status().progress.find((p) => p.id === 2)!;
    expect(probing.state).toBe('probe');
    net.delivered.length = 0;
    net.node(1).propose([data('a')]);
    net.node(1).propose([data('b')]);
    net.stabilize();
    expect(appendsTo(net.delivered, 2)).toHaveLength(0); // paused: the probe is unanswered
    net.heal();
    net.tick();
    expect(net.node(1).status().progress.find((p) => p.id === 2)!.state).toBe('replicate');
    expect(appliedTexts(net.peer(2))).toEqual(['a', 'b']);
  });

  it('pipelining: in replicate state at most inflightMessagesMax appends are in flight, then the leader pauses', () => {
    const net = new Network([1, 2, 3], { config: { inflightMessagesMax: 3 } });
    net.elect(1);
    net.filter = (m) => !(m.type === 'appendResponse' && m.from === 2);
    net.delivered.length = 0;
    for (let i = 0; i < 6; i += 1) {
      net.node(1).propose([data(`p${i}`)]);
      net.stabilize();
    }
    expect(appendsTo(net.delivered, 2)).toHaveLength(3);
    expect(net.node(1).status().progress.find((p) => p.id === 2)).toMatchObject({
      state: 'replicate',
      inflightMessages: 3,
    });
    net.heal();
    net.tickUntil(() => net.node(2).status().applied === net.node(1).status().commit);
    expect(appliedTexts(net.peer(2))).toHaveLength(6);
  });

  it('entries are batched per append up to messageBytesMax (at least one entry per message)', () => {
    const net = new Network([1, 2, 3], { config: { messageBytesMax: 100, inflightBytesMax: 100_000 } });
    net.elect(1);
    net.delivered.length = 0;
    const payloads = Array.from({ length: 10 }, (_, i) => data(`${i}`.padStart(30, '-')));
    net.node(1).propose(payloads);
    net.stabilize();
    const appends = appendsTo(net.delivered, 2);
    for (const append of appends) {
      const bytes = append.entries.reduce((sum, entry) => sum + entryBytes(entry), 0);
      expect(bytes).toBeLessThanOrEqual(100);
    }
    expect(appends.flatMap((m) => m.entries)).toHaveLength(10);
    expect(appends.length).toBe(5); // 46 bytes each: two per message
  });

  it('inflightBytesMax bounds the bytes in flight to one follower', () => {
    const net = new Network([1, 2, 3], {
      config: { messageBytesMax: 100, inflightBytesMax: 200, inflightMessagesMax: 100 },
    });
    net.elect(1);
    net.filter = (m) => !(m.type === 'appendResponse' && m.from === 2);
    net.delivered.length = 0;
    for (let i = 0; i < 10; i += 1) {
      net.node(1).propose([data(`${i}`.padStart(30, '-'))]);
      net.stabilize();
    }
    const inFlight = appendsTo(net.delivered, 2)
      .flatMap((m) => m.entries)
      .reduce((sum, entry) => sum + entryBytes(entry), 0);
    expect(inFlight).toBeGreaterThan(0);
    expect(inFlight).toBeLessThanOrEqual(200);
  });

  it('§5.3 a lost append is repaired: the follower rejects the next one and the leader probes back', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    let dropped = false;
    net.filter = (m) => {
      if (!dropped && m.type === 'append' && m.to === 2 && m.entries.length > 0) {
        dropped = true;
        return false;
      }
      return true;
    };
    net.propose(1, 'a');
    net.propose(1, 'b');
    expect(dropped).toBe(true);
    net.tick();
    net.tick();
    expect(appliedTexts(net.peer(2))).toEqual(['a', 'b']);
  });

  it('§5.3 appends lost while the byte window is nearly full are found out through heartbeats', () => {
    const net = new Network([1, 2, 3], {
      config: { messageBytesMax: 100, inflightBytesMax: 200, inflightMessagesMax: 100 },
    });
    net.elect(1);
    // Four appends of 46 bytes vanish (and every append after them): 184 bytes in flight, and
    // the next entry no longer fits.
    net.filter = (m) => !(m.type === 'append' && m.to === 2);
    for (let i = 0; i < 5; i += 1) net.propose(1, `${i}`.padStart(30, '-'));
    net.heal();
    net.tickUntil(() => net.node(2).status().applied === net.node(1).status().commit, 50);
    expect(appliedTexts(net.peer(2))).toHaveLength(5);
  });

  it('reportUnreachable sends a replicating follower back to probe', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    expect(net.node(1).status().progress.find((p) => p.id === 2)!.state).toBe('replicate');
    net.node(1).reportUnreachable(2);
    expect(net.node(1).status().progress.find((p) => p.id === 2)!.state).toBe('probe');
  });
});

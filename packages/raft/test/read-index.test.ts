import { describe, expect, it } from 'vitest';
import { NotLeaderError, newMessage, PendingReadsLimitError, ReadRequestInvalidError } from '../src/index.js';
import { Network } from './network.js';

describe('§6.4 linearizable reads by ReadIndex', () => {
  it('§6.4 a leader serves a read only after a heartbeat round confirms it still leads; the index is the commit index', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const { lastIndex } = net.propose(1, 'a');
    net.filter = (m) => m.type !== 'heartbeatResponse';
    net.node(1).readIndex(7);
    net.stabilize();
    expect(net.peer(1).readStates).toEqual([]);
    net.heal();
    net.tick([1]);
    expect(net.peer(1).readStates).toEqual([{ requestId: 7, index: lastIndex }]);
  });

  it('§6.4 one heartbeat round confirms every read queued on it (one round in flight at most)', () => {
    const net = new Network([1, 2, 3], { config: { readRoundsInFlightMax: 1 } });
    net.elect(1);
    net.delivered.length = 0;
    net.filter = (m) => m.type !== 'heartbeatResponse';
    net.node(1).readIndex(1);
    net.stabilize();
    for (let id = 2; id <= 10; id += 1) net.node(1).readIndex(id);
    net.stabilize();
    net.heal();
    net.tick([1]);
    expect(net.peer(1).readStates.map((read) => read.requestId).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    const rounds = new Set(net.delivered.filter((m) => m.type === 'heartbeat' && m.context > 0).map((m) => m.context));
    expect(rounds.size).toBe(2); // the first read's round, then one round for the nine queued behind it
  });

  it('§6.4 a new leader serves reads only after it has committed an entry of its own term', () => {
    const net = new Network([1, 2, 3]);
    net.filter = (m) => m.type !== 'appendResponse';
    net.elect(1);
    net.node(1).readIndex(1);
    net.tick([1]);
    expect(net.peer(1).readStates).toEqual([]);
    net.heal();
    net.tick([1]);
    net.tick([1]);
    const noopIndex = 4;
    expect(net.node(1).status().commit).toBe(noopIndex);
    expect(net.peer(1).readStates).toEqual([{ requestId: 1, index: noopIndex }]);
  });

  it('§6.4 a follower\'s read goes to the leader and comes back as a ReadState at or past every acknowledged write', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const { lastIndex } = net.propose(1, 'w');
    net.node(3).readIndex(42);
    net.stabilize();
    const read = net.peer(3).readStates[0]!;
    expect(read.requestId).toBe(42);
    expect(read.index).toBeGreaterThanOrEqual(lastIndex);
    expect(net.delivered.some((m) => m.type === 'readIndex' && m.from === 3 && m.to === 1)).toBe(true);
  });

  it('§6.4 a leader cut off from the quorum never confirms a read; when it steps down the read is dropped', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    net.node(1).readIndex(9);
    net.tickUntil(() => net.node(1).status().role !== 'leader', 30);
    net.stabilize();
    expect(net.peer(1).readStates).toEqual([]);
    expect(net.peer(1).droppedReads).toEqual([9]);
  });

  it('a follower\'s forwarded reads are dropped when its leader changes', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.filter = (m) => m.type !== 'readIndex';
    net.node(3).readIndex(5);
    net.stabilize();
    net.node(1).transferLeadership(2);
    net.stabilize();
    expect(net.leader()).toBe(2);
    expect(net.peer(3).droppedReads).toEqual([5]);
    expect(net.peer(3).readStates).toEqual([]);
  });

  it('§6.4 a read that arrives while a round is in flight starts its own round, and that round\'s answers confirm the earlier one too', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const { lastIndex } = net.propose(1, 'a');
    net.delivered.length = 0;
    // Round 1's answers are lost; the read behind it must not wait for a heartbeat tick.
    net.filter = (m) => !(m.type === 'heartbeatResponse' && m.context === 1);
    net.node(1).readIndex(1);
    net.stabilize();
    expect(net.peer(1).readStates).toEqual([]);
    net.node(1).readIndex(2);
    net.stabilize();
    expect(net.peer(1).readStates).toEqual([
      { requestId: 1, index: lastIndex },
      { requestId: 2, index: lastIndex },
    ]);
    const rounds = net.delivered.filter((m) => m.type === 'heartbeat' && m.context > 0).map((m) => m.context);
    expect([...new Set(rounds)]).toEqual([1, 2]);
  });

  it('readRoundsInFlightMax bounds the rounds in flight: later reads share the next round', () => {
    const net = new Network([1, 2, 3], { config: { readRoundsInFlightMax: 2 } });
    net.elect(1);
    net.delivered.length = 0;
    net.filter = (m) => m.type !== 'heartbeatResponse';
    for (let id = 1; id <= 5; id += 1) {
      net.node(1).readIndex(id);
      net.stabilize();
    }
    const started = () => new Set(net.delivered.filter((m) => m.type === 'heartbeat' && m.context > 0).map((m) => m.context));
    expect(started().size).toBe(2);
    net.heal();
    net.tick([1]);
    net.stabilize();
    // Reads 3-5 waited and went together in the round started once the first two were confirmed.
    expect(started().size).toBe(3);
    expect(net.peer(1).readStates.map((read) => read.requestId).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
  });

  it('an answer naming a read round not yet started vouches for nothing', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const { term } = net.node(1).status();
    for (const from of [2, 3]) net.node(1).step(newMessage({ type: 'heartbeatResponse', from, to: 1, term, context: 50 }));
    net.filter = (m) => m.type !== 'heartbeatResponse';
    net.node(1).readIndex(1);
    net.stabilize();
    expect(net.peer(1).readStates).toEqual([]);
    net.heal();
    net.tick([1]);
    net.stabilize();
    expect(net.peer(1).readStates.map((read) => read.requestId)).toEqual([1]);
  });

  it('pendingReadsMax bounds the reads waiting for confirmation', () => {
    const net = new Network([1, 2, 3], { config: { pendingReadsMax: 2 } });
    net.elect(1);
    net.filter = (m) => m.type !== 'heartbeatResponse';
    net.node(1).readIndex(1);
    net.node(1).readIndex(2);
    expect(() => net.node(1).readIndex(3)).toThrow(PendingReadsLimitError);
    expect(() => net.node(1).readIndex(2)).toThrow(ReadRequestInvalidError);
    expect(() => net.node(1).readIndex(0)).toThrow(ReadRequestInvalidError);
  });

  it('§6.4 a single-voter leader is its own quorum: its reads are confirmed at once', () => {
    const net = new Network([1]);
    net.elect(1);
    net.stabilize();
    const { lastIndex } = net.propose(1, 'a');
    net.node(1).readIndex(3);
    net.stabilize();
    expect(net.peer(1).readStates).toEqual([{ requestId: 3, index: lastIndex }]);
  });

  it('readIndex on a node that knows no leader is refused with NotLeaderError', () => {
    const net = new Network([1, 2, 3]);
    const error = (() => {
      try {
        net.node(2).readIndex(1);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(NotLeaderError);
    expect(error).toMatchObject({ leaderId: 0, code: 'NOT_LEADER', name: 'NotLeaderError' });
  });
});

import { describe, expect, it } from 'vitest';
import {
  entryBytes,
  MemoryLogStorage,
  type Message,
  MessageInvalidError,
  NotLeaderError,
  ProposalInvalidError,
  RaftConfigError,
  RaftNode,
  ReadyPendingError,
  ReadyUnknownError,
  UncommittedLimitError,
} from '../src/index.js';
import { BASE_CONFIG, data, message, Network, seededRandom } from './network.js';

function configWith(overrides: Record<string, unknown>) {
  return { ...BASE_CONFIG, id: 1, storage: MemoryLogStorage.bootstrap([1, 2, 3]), random: seededRandom(1), ...overrides };
}

function configError(overrides: Record<string, unknown>): RaftConfigError {
  try {
    new RaftNode(configWith(overrides) as never);
  } catch (error) {
    if (error instanceof RaftConfigError) return error;
    throw error;
  }
  throw new Error('no RaftConfigError');
}

describe('configuration is validated at construction', () => {
  it.each([
    ['id', { id: 0 }],
    ['id', { id: 1.5 }],
    ['storage', { storage: {} }],
    ['random', { random: 3 }],
    ['electionTicks', { electionTicks: 0 }],
    ['heartbeatTicks', { heartbeatTicks: -1 }],
    ['heartbeatTicks', { heartbeatTicks: 10, electionTicks: 10 }],
    ['electionSpreadTicks', { electionSpreadTicks: 0 }],
    ['electionSpreadTicks', { electionSpreadTicks: 2.5 }],
    ['electionSpreadTicks', { electionSpreadTicks: 11, electionTicks: 10 }],
    ['electionRankSlotTicks', { electionRankSlotTicks: -1 }],
    ['electionRankSlotTicks', { electionRankSlotTicks: 2.5 }],
    ['electionRankSlotTicks', { electionRankSlotTicks: 10, electionTicks: 10 }],
    ['messageBytesMax', { messageBytesMax: 0 }],
    ['inflightMessagesMax', { inflightMessagesMax: 2.5 }],
    ['inflightBytesMax', { inflightBytesMax: 10, messageBytesMax: 100 }],
    ['uncommittedBytesMax', { uncommittedBytesMax: Number.NaN }],
    ['applyBytesMax', { applyBytesMax: 0 }],
    ['pendingReadsMax', { pendingReadsMax: -3 }],
    ['preVote', { preVote: 'yes' }],
    ['checkQuorum', { checkQuorum: 1 }],
    ['applied', { applied: -1 }],
    ['applied', { applied: 9 }],
  ])('rejects a bad %s with a RaftConfigError naming it', (setting, overrides) => {
    const error = configError(overrides);
    expect(error.setting).toBe(setting);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(setting);
  });

  it('explains why heartbeatTicks must stay below electionTicks', () => {
    expect(configError({ heartbeatTicks: 12, electionTicks: 10 }).message).toMatch(/less than electionTicks \(10\)/);
  });

  it('explains why electionSpreadTicks must stay at most electionTicks', () => {
    expect(configError({ electionSpreadTicks: 11, electionTicks: 10 }).message).toMatch(/at most electionTicks \(10\)/);
  });

  it('accepts a valid configuration with PreVote and CheckQuorum on by default', () => {
    const node = new RaftNode(configWith({}));
    expect(node.status()).toMatchObject({ id: 1, term: 1, role: 'follower', commit: 3, applied: 0 });
  });
});

describe('limits', () => {
  it('uncommittedBytesMax: a proposal past it is refused with UncommittedLimitError and changes nothing', () => {
    const limit = 3 * entryBytes({ type: 'normal', term: 0, index: 0, data: new Uint8Array(10) });
    const net = new Network([1, 2, 3], { config: { uncommittedBytesMax: limit } });
    net.elect(1);
    net.isolate(1);
    net.node(1).propose([new Uint8Array(10), new Uint8Array(10)]);
    const before = net.node(1).status();
    let refused: unknown;
    try {
      net.node(1).propose([new Uint8Array(10), new Uint8Array(10)]);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(UncommittedLimitError);
    expect(refused).toMatchObject({ code: 'UNCOMMITTED_LIMIT', uncommittedBytesMax: limit });
    expect(net.node(1).status()).toEqual(before);
    // Once the entries commit, there is room again.
    net.heal();
    net.tick();
    expect(() => net.node(1).propose([new Uint8Array(10), new Uint8Array(10)])).not.toThrow();
  });

  it('a proposal must carry at least one entry, each a Uint8Array no larger than messageBytesMax', () => {
    const net = new Network([1, 2, 3], { config: { messageBytesMax: 64, inflightBytesMax: 1024 } });
    net.elect(1);
    expect(() => net.node(1).propose([])).toThrow(ProposalInvalidError);
    expect(() => net.node(1).propose(['text' as unknown as Uint8Array])).toThrow(ProposalInvalidError);
    expect(() => net.node(1).propose([new Uint8Array(100)])).toThrow(ProposalInvalidError);
  });

  it('a follower refuses proposals with NotLeaderError naming the leader', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    expect(() => net.node(2).propose([data('x')])).toThrow(NotLeaderError);
    expect(() => net.node(2).propose([data('x')])).toThrow(/leader is 1/);
  });

  it('applyBytesMax bounds the committed entries handed out in one Ready', () => {
    const entry = { type: 'normal' as const, term: 0, index: 0, data: new Uint8Array(50) };
    const net = new Network([1], { config: { applyBytesMax: 2 * entryBytes(entry) } });
    net.elect(1);
    net.node(1).propose(Array.from({ length: 6 }, () => new Uint8Array(50)));
    const peer = net.peer(1);
    let largest = 0;
    while (peer.node.hasReady()) {
      const ready = peer.node.ready();
      peer.storage.append(ready.entries);
      if (ready.hardState !== undefined) peer.storage.setHardState(ready.hardState);
      const bytes = ready.committedEntries.reduce((sum, e) => sum + entryBytes(e), 0);
      if (ready.committedEntries.length > 1) largest = Math.max(largest, bytes);
      peer.applied.push(...ready.committedEntries);
      peer.node.advance(ready);
    }
    expect(peer.applied.filter((e) => e.type === 'normal' && e.data.byteLength === 50)).toHaveLength(6);
    expect(largest).toBeLessThanOrEqual(2 * entryBytes(entry));
  });
});

describe('bad input is refused and changes nothing', () => {
  it('malformed messages throw MessageInvalidError and leave the node unchanged', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const before = net.node(2).status();
    const bad: Message[] = [
      { ...message({ type: 'heartbeat', from: 1, to: 2, term: 2 }), type: 'bogus' as never },
      message({ type: 'heartbeat', from: 0, to: 2, term: 2 }),
      message({ type: 'heartbeat', from: 1, to: 2, term: -1 }),
      message({ type: 'append', from: 1, to: 2, term: 2, index: 4, entries: [{ type: 'normal', term: 2, index: 9, data: data('x') }] }),
      message({ type: 'append', from: 1, to: 2, term: 2, index: 4, entries: [{ type: 'normal', term: 5, index: 5, data: data('x') }] }),
      message({ type: 'snapshot', from: 1, to: 2, term: 2 }),
      message({ type: 'vote', from: 3, to: 2, term: 3, index: 9, logTerm: 7 }),
    ];
    for (const m of bad) expect(() => net.node(2).step(m)).toThrow(MessageInvalidError);
    expect(net.node(2).status()).toEqual(before);
  });

  it('a message addressed to another node is ignored; a leader ignores answers from non-members', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const follower = net.node(2).status();
    net.node(2).step(message({ type: 'heartbeat', from: 1, to: 3, term: 9 }));
    expect(net.node(2).status()).toEqual(follower);
    const leader = net.node(1).status();
    net.node(1).step(message({ type: 'appendResponse', from: 8, to: 1, term: 2, index: 1000 }));
    net.node(1).step(message({ type: 'heartbeatResponse', from: 8, to: 1, term: 2, context: 99 }));
    expect(net.node(1).status()).toEqual(leader);
  });

  it('one Ready at a time: ready() again before advance() and advance() of another Ready are refused', () => {
    const net = new Network([1, 2, 3]);
    const node = net.node(1);
    node.campaign();
    expect(node.hasReady()).toBe(true);
    const ready = node.ready();
    expect(node.hasReady()).toBe(false);
    expect(() => node.ready()).toThrow(ReadyPendingError);
    expect(() => node.advance({ ...ready })).toThrow(ReadyUnknownError);
    node.advance(ready);
    expect(() => node.advance(ready)).toThrow(ReadyUnknownError);
  });
});

/**
 * No message crashes the core. validateMessage refuses malformed input with a named problem; the
 * core refuses well-formed messages that contradict what it knows for sure before any invariant
 * could break; random and mutated messages either step or are refused, nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Entry,
  InvariantError,
  type Message,
  MessageInvalidError,
  type MessageLimits,
  type MessageType,
  TERM_INDEX_MAX,
  validateMessage,
} from '../src/index.js';
import { BASE_CONFIG, data, message, Network } from './network.js';

const LIMITS: MessageLimits = { entriesBytesMax: BASE_CONFIG.messageBytesMax, snapshotDataBytesMax: 1024 * 1024 };

function problemOf(value: unknown, limits: MessageLimits = LIMITS): string | undefined {
  return validateMessage(value, limits)?.problem;
}

function normal(term: number, index: number, text = 'x'): Entry {
  return { type: 'normal', term, index, data: data(text) };
}

/** A cluster of 1..3 with leader 1 at term 2 and a few entries applied everywhere. */
function busyCluster(): Network {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.propose(1, 'a', 'b', 'c');
  return net;
}

describe('validateMessage', () => {
  it('accepts every message a running cluster sends, snapshots and conf changes included', () => {
    const net = new Network([1, 2, 3], { config: { messageBytesMax: 256 } });
    net.elect(1);
    for (let i = 0; i < 20; i += 1) net.propose(1, `value ${i} `.repeat(10));
    net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4, context: data('member 4') });
    net.addPeer(4);
    net.stabilize();
    net.snapshotAndCompact(1);
    net.propose(1, 'after');
    net.tick();
    expect(net.delivered.map((m) => m.type)).toEqual(expect.arrayContaining(['append', 'snapshot', 'heartbeat', 'vote']));
    for (const m of net.delivered) expect(validateMessage(m, { entriesBytesMax: 256, snapshotDataBytesMax: 1 << 20 })).toBeUndefined();
  });

  it('names the problem of each malformed message, never throwing', () => {
    const good = message({ type: 'append', from: 1, to: 2, term: 3, index: 4, logTerm: 2, entries: [normal(3, 5)], commit: 4 });
    expect(problemOf(good)).toBeUndefined();
    const cases: [unknown, string][] = [
      [null, 'shape'],
      [undefined, 'shape'],
      [[good], 'shape'],
      [data('x'), 'shape'],
      [{ ...good, type: 'bogus' }, 'type'],
      [{ ...good, type: 7 }, 'type'],
      [{ ...good, from: 0 }, 'node-id'],
      [{ ...good, to: 1.5 }, 'node-id'],
      [{ ...good, from: '1' }, 'node-id'],
      [{ ...good, term: -1 }, 'range'],
      [{ ...good, term: 2 ** 53 }, 'range'],
      [{ ...good, term: TERM_INDEX_MAX + 1 }, 'range'],
      [{ ...good, commit: Number.NaN }, 'range'],
      [{ ...good, index: null }, 'range'],
      [{ ...good, context: -1 }, 'range'],
      [{ ...good, reject: 0 }, 'shape'],
      [{ ...good, logTerm: 4 }, 'range'],
      [{ ...good, entries: null }, 'shape'],
      [{ ...good, entries: [null] }, 'entries'],
      [{ ...good, entries: [normal(3, 6)] }, 'entries'], // a gap after index 4
      [{ ...good, entries: [normal(3, 5), normal(2, 6)] }, 'entries'], // terms go back
      [{ ...good, entries: [normal(1, 5)] }, 'entries'], // before logTerm
      [{ ...good, entries: [normal(4, 5)] }, 'entries'], // past the message's term
      [{ ...good, entries: [{ ...normal(3, 5), data: 'x' }] }, 'entries'],
      [{ ...good, entries: [{ type: 'confChange', term: 3, index: 5, change: { type: 'addVoter', nodeId: -2 } }] }, 'entries'],
      [{ ...good, entries: [{ type: 'confChange', term: 3, index: 5, change: null }] }, 'entries'],
      [{ ...good, entries: [normal(3, 5, 'x'.repeat(LIMITS.entriesBytesMax + 16))] }, 'too-large'],
      [{ ...good, type: 'heartbeat' }, 'entries'], // only appends carry entries
      [{ ...good, snapshot: { meta: { index: 1, term: 1, confState: { voters: [1], learners: [] } }, data: data('') } }, 'snapshot'],
    ];
    for (const [position, [value, problem]] of cases.entries()) expect([position, problemOf(value)]).toEqual([position, problem]);
  });

  it('refuses snapshots at impossible positions or with an unusable membership', () => {
    const snapshot = (meta: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({
      ...message({ type: 'snapshot', from: 1, to: 2, term: 3 }),
      snapshot: { meta: { index: 9, term: 3, confState: { voters: [1, 2, 3], learners: [] }, ...meta }, data: data(''), ...extra },
    });
    expect(problemOf(snapshot({}))).toBeUndefined();
    for (const bad of [
      snapshot({ index: 0 }),
      snapshot({ term: 0 }),
      snapshot({ term: 4 }),
      snapshot({ index: 2 ** 60 }),
      snapshot({ confState: { voters: [], learners: [] } }),
      snapshot({ confState: { voters: [1, 1], learners: [] } }),
      snapshot({ confState: { voters: [1], learners: [1] } }),
      snapshot({ confState: { voters: [1, 0], learners: [] } }),
      snapshot({ confState: null }),
      snapshot({}, { data: null }),
      { ...message({ type: 'snapshot', from: 1, to: 2, term: 3 }) },
    ]) {
      expect(problemOf(bad)).toBe('snapshot');
    }
    expect(problemOf(snapshot({}, { data: new Uint8Array(LIMITS.snapshotDataBytesMax + 1) }))).toBe('too-large');
  });
});

describe('the core refuses well-formed messages that contradict what it knows', () => {
  it('an append whose conf change cannot apply is refused, not an invariant broken', () => {
    const net = busyCluster();
    const follower = net.node(2);
    const before = follower.status();
    expect(before.term).toBe(2);
    const lastIndex = before.lastIndex;
    const hostile = message({
      type: 'append',
      from: 1,
      to: 2,
      term: before.term,
      index: lastIndex,
      logTerm: before.term,
      commit: lastIndex + 1,
      entries: [{ type: 'confChange', term: before.term, index: lastIndex + 1, change: { type: 'removeNode', nodeId: 9 } }],
    });
    const error = catchError(() => follower.step(hostile));
    expect(error).toBeInstanceOf(MessageInvalidError);
    expect((error as MessageInvalidError).problem).toBe('conflict');
    expect(follower.status()).toEqual(before);
    expect(follower.hasReady()).toBe(false);
  });

  it('an acknowledgement of entries the leader never had is refused and counts toward no commit', () => {
    const net = busyCluster();
    const leader = net.node(1);
    const before = leader.status();
    const hostile = message({ type: 'appendResponse', from: 2, to: 1, term: before.term, index: before.lastIndex + 5 });
    const error = catchError(() => leader.step(hostile));
    expect((error as MessageInvalidError).problem).toBe('conflict');
    expect(leader.status()).toEqual(before);
  });

  it('a commit beyond what the append carried commits only what the follower holds', () => {
    const net = busyCluster();
    const follower = net.node(2);
    const { term, lastIndex } = follower.status();
    follower.step(message({ type: 'append', from: 1, to: 2, term, index: lastIndex, logTerm: term, commit: TERM_INDEX_MAX }));
    follower.step(message({ type: 'heartbeat', from: 1, to: 2, term, commit: TERM_INDEX_MAX }));
    expect(follower.status().commit).toBe(lastIndex);
  });
});

describe('random and mutated messages never break the core (fast-check, seeded)', () => {
  const TYPES: MessageType[] = [
    'preVote',
    'preVoteResponse',
    'vote',
    'voteResponse',
    'append',
    'appendResponse',
    'heartbeat',
    'heartbeatResponse',
    'snapshot',
    'readIndex',
    'readIndexResponse',
    'timeoutNow',
  ];
  const small = fc.integer({ min: 0, max: 8 });
  /** Mostly the cluster's own term (2) and log positions, so that many messages reach deep paths. */
  const term = fc.oneof({ arbitrary: fc.constant(2), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 4 }), weight: 1 });
  const position = fc.oneof({ arbitrary: fc.integer({ min: 3, max: 8 }), weight: 3 }, { arbitrary: small, weight: 1 });
  const entry = fc.oneof(
    fc.record({ type: fc.constant('normal' as const), term, index: small, data: fc.uint8Array({ maxLength: 4 }) }),
    fc.record({
      type: fc.constant('confChange' as const),
      term,
      index: small,
      change: fc.record({ type: fc.constantFrom('addLearner', 'addVoter', 'promoteLearner', 'removeNode'), nodeId: fc.integer({ min: 1, max: 5 }) }),
    }),
  );
  /** Near-valid messages: small numbers so that many pass validation and reach the core's logic. */
  const nearValid = fc
    .record({
      type: fc.oneof({ arbitrary: fc.constant<MessageType>('append'), weight: 2 }, fc.constantFrom(...TYPES)),
      from: fc.integer({ min: 1, max: 4 }),
      term,
      logTerm: term,
      index: position,
      commit: fc.integer({ min: 0, max: 12 }),
      reject: fc.boolean(),
      rejectHint: small,
      rejectTerm: small,
      context: small,
      entries: fc.array(entry, { maxLength: 3 }),
      snapshotIndex: fc.integer({ min: 1, max: 12 }),
      snapshotTerm: fc.integer({ min: 1, max: 4 }),
      voters: fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
      contiguous: fc.boolean(),
      lostEntries: fc.oneof(fc.constant(undefined), fc.boolean()),
    })
    .map((r) => {
      const entries = r.contiguous ? r.entries.map((e, i) => ({ ...e, index: r.index + 1 + i })) : r.entries;
      const snapshot =
        r.type === 'snapshot'
          ? { meta: { index: r.snapshotIndex, term: r.snapshotTerm, confState: { voters: r.voters, learners: [] } }, data: data('') }
          : undefined;
      const { lostEntries, ...fields } = r;
      return {
        ...message({ ...fields, to: 1, entries: r.type === 'append' ? entries : [] }),
        ...(snapshot ? { snapshot } : {}),
        ...(lostEntries === undefined ? {} : { lostEntries }),
      };
    });
  const hostileValue = fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(Number.NaN),
    fc.constant(-1),
    fc.constant(2 ** 53),
    fc.constant(TERM_INDEX_MAX),
    fc.string({ maxLength: 8 }),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.object({ maxDepth: 1 }),
  );
  const FIELDS = ['type', 'from', 'to', 'term', 'logTerm', 'index', 'commit', 'reject', 'entries', 'context', 'snapshot', 'lostEntries'];
  const mutated = fc
    .tuple(nearValid, fc.constantFrom(...FIELDS), hostileValue)
    .map(([m, field, value]) => ({ ...m, [field]: value }) as unknown);

  /** Steps `value` into node `id`, then drives that node as a driver would; returns what was thrown. */
  function stepAndDrive(net: Network, id: number, value: unknown): unknown {
    const peer = net.peer(id);
    try {
      peer.node.step(value as Message);
    } catch (error) {
      return error;
    }
    net.handleReady(peer);
    net.queue = [];
    return undefined;
  }

  for (const role of ['leader', 'follower'] as const) {
    it(`a ${role} steps or refuses each message; nothing else is thrown`, () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(nearValid, mutated), { minLength: 1, maxLength: 8 }), (messages) => {
          const net = busyCluster();
          const target = role === 'leader' ? 1 : 2;
          for (const m of messages) {
            const value = { ...(m as object), to: (m as { to?: unknown }).to === 1 ? target : (m as { to?: unknown }).to };
            const refused = validateMessage(value) !== undefined;
            const thrown = stepAndDrive(net, target, value);
            if (thrown !== undefined) {
              expect(thrown).not.toBeInstanceOf(InvariantError);
              expect(thrown).toBeInstanceOf(MessageInvalidError);
            }
            if (refused) expect(thrown).toBeInstanceOf(MessageInvalidError);
          }
        }),
        { seed: 20261203, numRuns: 400 },
      );
    });
  }
});

function catchError(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

import { describe, expect, it } from 'vitest';
import {
  type DeleteOp,
  encodeCommand,
  encodeCommandBatch,
  encodeMemberContext,
  InvalidCommandError,
  InvalidConfigError,
  KeyTooLargeError,
  KvStateMachine,
  type KvOperation,
  MemoryDisk,
  type OpenDatabaseOptions,
  type PutOp,
  resolveStorageLimits,
  validateCommand,
  ValueTooLargeError,
} from '../src/index.js';
import type { Entry } from '../src/raft-types.js';
import { bytes, commandEntry, stateMachineFixture, text } from './helpers.js';

const put = (key: string, value: string, extra: Partial<PutOp> = {}): PutOp => ({
  type: 'put',
  key: bytes(key),
  value: bytes(value),
  ...extra,
});
const del = (key: string, extra: Partial<DeleteOp> = {}): DeleteOp => ({
  type: 'delete',
  key: bytes(key),
  ...extra,
});

describe('KvStateMachine', () => {
  const t = stateMachineFixture();

  it('tracks createRevision, modRevision and version, and one revision per write', async () => {
    expect((await t.run(put('a', '1'))).outcome).toEqual({ type: 'put', revision: 1 });
    expect((await t.run(put('a', '2'))).outcome).toEqual({ type: 'put', revision: 2 });
    await t.run(put('b', '1'));
    expect(await t.sm.get(bytes('a'))).toMatchObject({ createRevision: 1, modRevision: 2, version: 2 });
    expect(text((await t.sm.get(bytes('a')))?.value)).toBe('2');
    expect((await t.run(del('a'))).outcome).toEqual({ type: 'delete', deleted: true, revision: 4 });
    expect(await t.sm.get(bytes('a'))).toBeUndefined();
    await t.run(put('a', '3'));
    expect(await t.sm.get(bytes('a'))).toMatchObject({ createRevision: 5, modRevision: 5, version: 1 });
    expect(t.sm.revision).toBe(5);
  });

  it('leaves the revision alone when deleting a missing key', async () => {
    await t.run(put('a', '1'));
    expect((await t.run(del('missing'))).outcome).toEqual({ type: 'delete', deleted: false, revision: 1 });
    expect(t.sm.revision).toBe(1);
    expect(t.sm.appliedIndex).toBe(2);
  });

  it('returns the previous value when asked', async () => {
    await t.run(put('a', 'old'));
    const outcome = (await t.run(put('a', 'new', { prevKv: true }))).outcome;
    expect(outcome).toMatchObject({ type: 'put', revision: 2, prevKv: { version: 1, modRevision: 1 } });
    expect(text((outcome as { prevKv: { value: Uint8Array } }).prevKv.value)).toBe('old');
    const deleted = (await t.run(del('a', { prevKv: true }))).outcome;
    expect(text((deleted as { prevKv: { value: Uint8Array } }).prevKv.value)).toBe('new');
  });

  it('answers a failed put or delete guard with compareFailed and changes nothing', async () => {
    await t.run(put('a', '1'));
    expect((await t.run(put('a', '2', { ifAbsent: true }))).outcome).toMatchObject({ type: 'compareFailed', revision: 1 });
    expect((await t.run(put('a', '2', { ifModRevision: 7 }))).outcome).toMatchObject({ type: 'compareFailed', revision: 1 });
    expect((await t.run(del('a', { ifModRevision: 7 }))).outcome).toMatchObject({ type: 'compareFailed', revision: 1 });
    expect(t.sm.revision).toBe(1);
    expect(text((await t.sm.get(bytes('a')))?.value)).toBe('1');
    expect((await t.run(put('a', '2', { ifModRevision: 1 }))).outcome).toEqual({ type: 'put', revision: 2 });
    expect((await t.run(put('b', '1', { ifAbsent: true }))).outcome).toEqual({ type: 'put', revision: 3 });
    expect((await t.run(del('a', { ifModRevision: 2 }))).outcome).toMatchObject({ type: 'delete', deleted: true });
  });

  it('runs the success branch of a txn atomically at one revision', async () => {
    await t.run(put('a', '1'));
    await t.run(put('b', '1'));
    const outcome = (
      await t.run({
        type: 'txn',
        compare: [
          { key: bytes('a'), target: 'value', operator: 'equal', value: bytes('1') },
          { key: bytes('b'), target: 'version', operator: 'equal', number: 1 },
          { key: bytes('a'), target: 'modRevision', operator: 'less', number: 2 },
          { key: bytes('missing'), target: 'createRevision', operator: 'equal', number: 0 },
        ],
        success: [put('a', '2'), { type: 'get', key: bytes('a') }, del('b'), put('c', '1')],
        failure: [],
      })
    ).outcome;
    expect(outcome).toMatchObject({
      type: 'txn',
      succeeded: true,
      revision: 3,
      results: [
        { type: 'put', revision: 3 },
        { type: 'get', found: true, kv: { modRevision: 3, version: 2 } },
        { type: 'delete', deleted: true, revision: 3 },
        { type: 'put', revision: 3 },
      ],
    });
    expect(t.sm.revision).toBe(3);
    expect(await t.sm.get(bytes('b'))).toBeUndefined();
    expect(await t.sm.get(bytes('c'))).toMatchObject({ createRevision: 3, modRevision: 3, version: 1 });
  });

  it('runs the failure branch when a compare fails, as an answer rather than an error', async () => {
    await t.run(put('a', '1'));
    const outcome = (
      await t.run({
        type: 'txn',
        compare: [{ key: bytes('a'), target: 'value', operator: 'greater', value: bytes('5') }],
        success: [put('a', 'success')],
        failure: [{ type: 'get', key: bytes('a') }],
      })
    ).outcome;
    expect(outcome).toMatchObject({ type: 'txn', succeeded: false, revision: 1, results: [{ type: 'get', found: true }] });
    expect(text((await t.sm.get(bytes('a')))?.value)).toBe('1');
  });

  it('refuses a txn that writes one key twice, before proposing and when applied', async () => {
    const operation: KvOperation = { type: 'txn', compare: [], success: [put('a', '1'), del('a')], failure: [] };
    expect(() => validateCommand({ operation, proposedAtMs: 0 }, resolveStorageLimits())).toThrow(InvalidCommandError);
    const result = await t.run(operation);
    expect(result.outcome.type).toBe('invalid');
    expect(t.sm.revision).toBe(0);
    expect(await t.sm.get(bytes('a'))).toBeUndefined();
  });

  it('validates sizes against the limits before proposing', async () => {
    const limits = resolveStorageLimits({ keyBytesMax: 4, valueBytesMax: 8, commandBytesMax: 1024 });
    expect(() => validateCommand({ operation: put('toolong', 'v'), proposedAtMs: 0 }, limits)).toThrow(KeyTooLargeError);
    expect(() => validateCommand({ operation: put('k', 'value too long'), proposedAtMs: 0 }, limits)).toThrow(ValueTooLargeError);
    expect(validateCommand({ operation: put('k', 'v'), proposedAtMs: 0 }, limits)).toBeInstanceOf(Uint8Array);
    expect(() => resolveStorageLimits({ keyBytesMax: 0 })).toThrow(InvalidConfigError);
    expect(() => resolveStorageLimits({ commandBytesMax: 10 })).toThrow(InvalidConfigError);
  });

  it("opens the state's LevelDB with the configured write buffer and refuses one out of range", async () => {
    const asked: (OpenDatabaseOptions | undefined)[] = [];
    const memory = new MemoryDisk();
    const disk = Object.assign(Object.create(memory) as MemoryDisk, {
      openDatabase: (path: string, options?: OpenDatabaseOptions) => {
        asked.push(options);
        return memory.openDatabase(path, options);
      },
    });
    const sm = await KvStateMachine.open({ dir: 'state', disk, levelWriteBufferBytes: 8 * 1024 * 1024 });
    await sm.close();
    expect(asked.map((options) => options?.writeBufferBytes)).toEqual([8 * 1024 * 1024]);
    const defaulted = await KvStateMachine.open({ dir: 'state', disk });
    await defaulted.close();
    expect(asked[1]?.writeBufferBytes).toBe(16 * 1024 * 1024);
    for (const levelWriteBufferBytes of [0, 1.5, 2 * 1024 * 1024 * 1024]) {
      await expect(KvStateMachine.open({ dir: 'other', disk, levelWriteBufferBytes })).rejects.toThrow(InvalidConfigError);
    }
  });

  it('applies a retried write once and answers it with the first answer', async () => {
    const session = { clientId: 'client-1', sequence: 1 };
    const first = await t.run(put('counter', 'a'), { session });
    const retry = await t.run(put('counter', 'b'), { session });
    expect(retry.duplicate).toBe(true);
    expect(retry.outcome).toEqual(first.outcome);
    expect(text((await t.sm.get(bytes('counter')))?.value)).toBe('a');
    expect(t.sm.revision).toBe(1);
    const next = await t.run(put('counter', 'c'), { session: { clientId: 'client-1', sequence: 2 } });
    expect(next.duplicate).toBe(false);
    expect(t.sm.revision).toBe(2);
  });

  it('remembers sessions across a reopen', async () => {
    const session = { clientId: 'client-1', sequence: 1 };
    await t.run(put('k', 'a'), { session });
    await t.reopen();
    expect((await t.run(put('k', 'b'), { session })).duplicate).toBe(true);
    expect(text((await t.sm.get(bytes('k')))?.value)).toBe('a');
  });

  it('answers staleSequence for a retry whose answer is no longer kept', async () => {
    await t.reopen({ sessions: { answersPerSessionMax: 2 } });
    for (let sequence = 1; sequence <= 3; sequence++) await t.run(put('k', `${sequence}`), { session: { clientId: 'c', sequence } });
    expect((await t.run(put('k', 'x'), { session: { clientId: 'c', sequence: 2 } })).duplicate).toBe(true);
    expect((await t.run(put('k', 'x'), { session: { clientId: 'c', sequence: 1 } })).outcome).toEqual({
      type: 'staleSequence',
      lastSequence: 3,
    });
    expect(t.sm.revision).toBe(3);
  });

  it('expires idle sessions by the proposal clock, the same on every replica', async () => {
    await t.reopen({ sessions: { sessionIdleMsMax: 1_000 } });
    const session = { clientId: 'idle', sequence: 1 };
    await t.run(put('k', 'a'), { session, proposedAtMs: 10_000 });
    await t.run(put('other', 'x'), { session: { clientId: 'busy', sequence: 1 }, proposedAtMs: 10_900 });
    expect((await t.run(put('k', 'b'), { session, proposedAtMs: 10_950 })).duplicate).toBe(true);
    expect(t.sm.sessionCount()).toBe(2);
    await t.run(put('other', 'y'), { session: { clientId: 'busy', sequence: 2 }, proposedAtMs: 11_500 });
    expect(t.sm.sessionCount()).toBe(1);
    // The expired session is forgotten: the same sequence now applies as a new write.
    expect((await t.run(put('k', 'c'), { session, proposedAtMs: 11_600 })).duplicate).toBe(false);
    expect(text((await t.sm.get(bytes('k')))?.value)).toBe('c');
  });

  it('evicts the least recently used session past sessionsMax', async () => {
    await t.reopen({ sessions: { sessionsMax: 2 } });
    await t.run(put('k', '1'), { session: { clientId: 'a', sequence: 1 } });
    await t.run(put('k', '2'), { session: { clientId: 'b', sequence: 1 } });
    await t.run(put('k', '3'), { session: { clientId: 'a', sequence: 2 } });
    await t.run(put('k', '4'), { session: { clientId: 'c', sequence: 1 } });
    expect(t.sm.sessionCount()).toBe(2);
    expect((await t.run(put('k', 'x'), { session: { clientId: 'a', sequence: 2 } })).duplicate).toBe(true);
    expect((await t.run(put('k', 'y'), { session: { clientId: 'b', sequence: 1 } })).duplicate).toBe(false);
  });

  it('writes the applied index with the state and skips entries already applied', async () => {
    await t.sm.apply([
      commandEntry({ index: 1, operation: put('a', '1') }),
      { type: 'normal', index: 2, term: 1, data: new Uint8Array() },
      commandEntry({ index: 3, term: 2, operation: put('b', '1') }),
    ]);
    await t.reopen();
    expect(t.sm.appliedIndex).toBe(3);
    expect(t.sm.appliedTerm).toBe(2);
    expect(t.sm.revision).toBe(2);
    const again = await t.sm.apply([commandEntry({ index: 3, term: 2, operation: put('b', '2') })]);
    expect(again).toEqual([]);
    expect(text((await t.sm.get(bytes('b')))?.value)).toBe('1');
    await expect(t.sm.apply([commandEntry({ index: 5, operation: put('c', '1') })])).rejects.toThrow(/invariant broken/);
  });

  it('answers the leader no-op and an undecodable command without changing keys', async () => {
    const results = await t.sm.apply([
      { type: 'normal', index: 1, term: 1, data: new Uint8Array() },
      { type: 'normal', index: 2, term: 1, data: Uint8Array.of(0xc1) },
    ]);
    expect(results.map((result) => result.outcome.type)).toEqual(['noop', 'invalid']);
    expect(t.sm.appliedIndex).toBe(2);
    expect(t.sm.revision).toBe(0);
  });

  it('applies every command of a batch entry in slot order, one answer each, a bad one alone invalid', async () => {
    const session = { clientId: 'batcher', sequence: 1 };
    const data = encodeCommandBatch([
      encodeCommand({ operation: put('a', '1'), session, proposedAtMs: 1 }),
      encodeCommand({ operation: put('a', '2'), proposedAtMs: 1 }),
      Uint8Array.of(0x93, 1, 2, 3), // a msgpack array, not a command map
      encodeCommand({ operation: put('b', '3', { ifAbsent: true }), proposedAtMs: 1 }),
      encodeCommand({ operation: put('a', 'retried', {}), session, proposedAtMs: 1 }),
    ]);
    const results = await t.sm.apply([{ type: 'normal', index: 1, term: 1, data }]);
    expect(results.map((r) => [r.index, r.slot, r.outcome.type, r.duplicate])).toEqual([
      [1, 0, 'put', false],
      [1, 1, 'put', false],
      [1, 2, 'invalid', false],
      [1, 3, 'put', false],
      [1, 4, 'put', true],
    ]);
    expect(results.map((r) => (r.outcome.type === 'put' ? r.outcome.revision : 0))).toEqual([1, 2, 0, 3, 1]);
    expect(text((await t.sm.get(bytes('a')))?.value)).toBe('2');
    expect(text((await t.sm.get(bytes('b')))?.value)).toBe('3');
    expect(t.sm.appliedIndex).toBe(1);
    expect(t.sm.revision).toBe(3);
  });

  it('keeps the member table from conf change contexts', async () => {
    const member = (id: number, name: string) =>
      encodeMemberContext({ id, name, region: 'eu', clientAddress: `c${id}`, peerAddress: `p${id}`, learner: false });
    const entries: Entry[] = [
      { type: 'confChange', index: 1, term: 1, change: { type: 'addVoter', nodeId: 1, context: member(1, 'one') } },
      { type: 'confChange', index: 2, term: 1, change: { type: 'addLearner', nodeId: 4, context: member(4, 'four') } },
      { type: 'confChange', index: 3, term: 1, change: { type: 'promoteLearner', nodeId: 4 } },
      { type: 'confChange', index: 4, term: 1, change: { type: 'addVoter', nodeId: 2, context: member(2, 'two') } },
      { type: 'confChange', index: 5, term: 1, change: { type: 'removeNode', nodeId: 1 } },
    ];
    const results = await t.sm.apply(entries);
    expect(results[1]!.outcome).toMatchObject({ type: 'confChange', confState: { voters: [1], learners: [4] } });
    expect(t.sm.confState).toEqual({ voters: [2, 4], learners: [] });
    expect(t.sm.members().map((m) => [m.id, m.name, m.learner])).toEqual([
      [2, 'two', false],
      [4, 'four', false],
    ]);
    await t.reopen();
    expect(t.sm.members().map((m) => m.id)).toEqual([2, 4]);
  });

  it('remembers the highest member id ever used, across removal, reopen and snapshot restore', async () => {
    await t.sm.apply([
      { type: 'confChange', index: 1, term: 1, change: { type: 'addVoter', nodeId: 1 } },
      { type: 'confChange', index: 2, term: 1, change: { type: 'addLearner', nodeId: 7 } },
      { type: 'confChange', index: 3, term: 1, change: { type: 'removeNode', nodeId: 7 } },
    ]);
    expect(t.sm.members().map((m) => m.id)).toEqual([1]);
    expect(t.sm.memberIdMax).toBe(7);
    await t.reopen();
    expect(t.sm.memberIdMax).toBe(7);
    const reader = await t.sm.openSnapshotReader();
    expect(reader.meta.memberIdMax).toBe(7);
    const other = await KvStateMachine.open({ dir: `${t.dir}/restored` });
    try {
      await other.restoreSnapshot(reader.chunks());
      expect(other.memberIdMax).toBe(7);
    } finally {
      await reader.close();
      await other.close();
    }
  });

  it('stops a range page at rangeBytesMax, always returning at least one key', async () => {
    await t.reopen({ limits: { rangeBytesMax: 2500 } });
    for (const key of ['k1', 'k2', 'k3', 'k4']) await t.run(put(key, 'x'.repeat(1000)));
    const first = await t.sm.range({ prefix: bytes('k') });
    expect(first.kvs.map((kv) => text(kv.key))).toEqual(['k1', 'k2']);
    expect(first.more).toBe(true);
    const second = await t.sm.range({ prefix: bytes('k'), after: first.continuation });
    expect(second.kvs.map((kv) => text(kv.key))).toEqual(['k3', 'k4']);
    expect(second.more).toBe(false);
    await t.reopen({ limits: { rangeBytesMax: 10 } });
    const tiny = await t.sm.range({ prefix: bytes('k') });
    expect(tiny.kvs.map((kv) => text(kv.key))).toEqual(['k1']);
    expect(tiny.more).toBe(true);
  });

  it('serves ranges by prefix and interval with a hard limit and continuation', async () => {
    await t.reopen({ limits: { rangeResultsMax: 3 } });
    for (const key of ['a/1', 'a/2', 'a/3', 'a/4', 'b/1', 'c']) await t.run(put(key, `v${key}`));
    const page = await t.sm.range({ prefix: bytes('a/'), limit: 10 });
    expect(page.kvs.map((kv) => text(kv.key))).toEqual(['a/1', 'a/2', 'a/3']);
    expect(page.more).toBe(true);
    expect(page.revision).toBe(6);
    const rest = await t.sm.range({ prefix: bytes('a/'), after: page.continuation });
    expect(rest.kvs.map((kv) => text(kv.key))).toEqual(['a/4']);
    expect(rest.more).toBe(false);
    const interval = await t.sm.range({ start: bytes('a/3'), end: bytes('c'), keysOnly: true });
    expect(interval.kvs.map((kv) => text(kv.key))).toEqual(['a/3', 'a/4', 'b/1']);
    expect(interval.kvs[0]!.value.byteLength).toBe(0);
    const single = await t.sm.range({ start: bytes('c') });
    expect(single.kvs.map((kv) => text(kv.value))).toEqual(['vc']);
    const everything = await t.sm.range({ start: bytes('b'), end: Uint8Array.of(0) });
    expect(everything.kvs.map((kv) => text(kv.key))).toEqual(['b/1', 'c']);
    await expect(t.sm.range({ prefix: bytes('a/'), limit: -1 })).rejects.toThrow(InvalidCommandError);
    await expect(t.sm.get(new Uint8Array(5000))).rejects.toThrow(KeyTooLargeError);
  });

  it('encodes a txn guard inside an op as invalid', () => {
    const operation: KvOperation = { type: 'txn', compare: [], success: [put('a', '1', { ifAbsent: true })], failure: [] };
    expect(() => validateCommand({ operation, proposedAtMs: 0 }, resolveStorageLimits())).toThrow(/not allowed inside a txn/);
    expect(encodeCommand({ operation, proposedAtMs: 0 })).toBeInstanceOf(Uint8Array);
  });
});

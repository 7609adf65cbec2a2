/**
 * The key history (history.ts): reads at a past revision, compaction through the log, range
 * deletes, and the history's start on a state of the previous layout.
 */
import { describe, expect, it } from 'vitest';
import {
  APPLY_VERSION_HISTORY,
  APPLY_VERSION_QUOTA,
  FutureRevisionError,
  type KvOperation,
  type KvStateMachine,
  RevisionCompactedError,
  StateCorruptionError,
} from '../src/index.js';
import { escapeKey, versionRecordKey } from '../src/history.js';
import { bytes, stateMachineFixture, text, withRawDb } from './helpers.js';

const put = (key: string, value: string): KvOperation => ({ type: 'put', key: bytes(key), value: bytes(value) });
const del = (key: string): KvOperation => ({ type: 'delete', key: bytes(key) });
const compact = (revision: number): KvOperation => ({ type: 'compact', revision });
const deletePrefix = (prefix: string, keysMax = 100, prevKv = false): KvOperation => ({
  type: 'deleteRange',
  prefix: bytes(prefix),
  keysMax,
  ...(prevKv ? { prevKv: true } : {}),
});

async function valueAt(sm: KvStateMachine, key: string, revision: number): Promise<string | undefined> {
  return text((await sm.get(bytes(key), { revision }))?.value);
}

async function keysAt(sm: KvStateMachine, prefix: string, revision: number): Promise<string[]> {
  const page = await sm.range({ prefix: bytes(prefix), revision });
  return page.kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}`);
}

describe('key history', () => {
  const t = stateMachineFixture({ applyVersion: APPLY_VERSION_HISTORY });

  it('answers a get and a range at every revision it keeps, deletes included', async () => {
    await t.run(put('a', '1')); // 1
    await t.run(put('b', '1')); // 2
    await t.run(put('a', '2')); // 3
    await t.run(del('b')); // 4
    await t.run(put('c', '1')); // 5
    expect(t.sm.historyStartRevision).toBe(0);
    expect(await valueAt(t.sm, 'a', 1)).toBe('1');
    expect(await valueAt(t.sm, 'a', 2)).toBe('1');
    expect(await valueAt(t.sm, 'a', 3)).toBe('2');
    expect(await valueAt(t.sm, 'b', 3)).toBe('1');
    expect(await valueAt(t.sm, 'b', 4)).toBeUndefined();
    expect(await valueAt(t.sm, 'c', 4)).toBeUndefined();
    expect(await keysAt(t.sm, '', 1)).toEqual(['a=1']);
    expect(await keysAt(t.sm, '', 3)).toEqual(['a=2', 'b=1']);
    expect(await keysAt(t.sm, '', 4)).toEqual(['a=2']);
    expect(await keysAt(t.sm, '', 5)).toEqual(['a=2', 'c=1']);
    expect((await t.sm.get(bytes('a'), { revision: 2 }))?.modRevision).toBe(1);
    await expect(t.sm.get(bytes('a'), { revision: 6 })).rejects.toBeInstanceOf(FutureRevisionError);
  });

  it('pages a range at a revision with its continuation', async () => {
    for (const key of ['k1', 'k2', 'k3', 'k4']) await t.run(put(key, 'old'));
    for (const key of ['k1', 'k2', 'k3', 'k4']) await t.run(put(key, 'new'));
    const first = await t.sm.range({ prefix: bytes('k'), revision: 4, limit: 3 });
    expect(first.kvs.map((kv) => text(kv.value))).toEqual(['old', 'old', 'old']);
    expect(first.more).toBe(true);
    const second = await t.sm.range({ prefix: bytes('k'), revision: 4, limit: 3, after: first.continuation });
    expect(second.kvs.map((kv) => text(kv.key))).toEqual(['k4']);
    expect(second.more).toBe(false);
  });

  it('orders keys holding zero bytes as their bytes order, in the history too', () => {
    const keys = [Uint8Array.of(1), Uint8Array.of(1, 0), Uint8Array.of(1, 0, 0), Uint8Array.of(1, 0, 1), Uint8Array.of(1, 1), Uint8Array.of(2)];
    const stored = keys.map((key) => Buffer.from(versionRecordKey(key, 7)));
    const sorted = [...stored].sort(Buffer.compare);
    expect(sorted).toEqual(stored);
    expect(escapeKey(Uint8Array.of(0, 1))).toEqual(Buffer.from([0, 0xff, 1]));
  });

  it('compacts through the log: refuses reads below, keeps every read at or above, drops the records', async () => {
    for (let i = 1; i <= 10; i++) await t.run(put(i % 2 === 0 ? 'even' : 'odd', `${i}`));
    await t.run(del('odd')); // 11
    await t.run(put('other', 'x')); // 12
    const before = await Promise.all([10, 11, 12].map((revision) => keysAt(t.sm, '', revision)));
    const result = await t.run(compact(10));
    expect(result.outcome).toEqual({ type: 'compact', compactRevision: 10, revision: 12 });
    await t.sm.historyDropped();
    await expect(t.sm.get(bytes('even'), { revision: 9 })).rejects.toBeInstanceOf(RevisionCompactedError);
    await expect(t.sm.range({ prefix: bytes(''), revision: 9 })).rejects.toThrow(/revision 9 is compacted: the history holds revisions from 10 on/);
    expect(await Promise.all([10, 11, 12].map((revision) => keysAt(t.sm, '', revision)))).toEqual(before);
    expect(t.sm.historyDroppedThrough).toBe(10);
    expect((await t.run(compact(10))).outcome).toMatchObject({ type: 'compactRefused', reason: 'compacted' });
    expect((await t.run(compact(99))).outcome).toMatchObject({ type: 'compactRefused', reason: 'future' });
    // Every version superseded at or below 10 is gone: one 'v' record per key remains there.
    const changes = await t.sm.changesSince(10, { changesMax: 100, prevKv: true });
    expect(changes.changes.map((change) => `${change.type}:${text(change.kv.key)}@${change.kv.modRevision}`)).toEqual([
      'put:even@10',
      'delete:odd@11',
      'put:other@12',
    ]);
    // The version the change at 10 replaced (8) is compacted: no prevKv. The delete at 11
    // replaced 9, the last version of its key at 10: kept.
    expect(changes.changes.map((change) => text(change.prevKv?.value))).toEqual([undefined, '9', undefined]);
    await t.run(compact(12));
    await t.sm.historyDropped();
    expect(await keysAt(t.sm, '', 12)).toEqual(before[2]);
    await expect(t.sm.changesSince(11, { changesMax: 100, prevKv: false })).rejects.toBeInstanceOf(RevisionCompactedError);
  });

  it('replays changes with the key before each from disk after a reopen', async () => {
    await t.run(put('a', '1'));
    await t.run(put('a', '2'));
    await t.run(del('a'));
    await t.reopen();
    const { changes, throughRevision } = await t.sm.changesSince(2, { changesMax: 100, prevKv: true });
    expect(throughRevision).toBe(3);
    expect(changes.map((change) => [change.type, text(change.kv.value), text(change.prevKv?.value)])).toEqual([
      ['put', '2', '1'],
      ['delete', '', '2'],
    ]);
  });

  it('stops a replay at whole revisions', async () => {
    await t.run({ type: 'txn', compare: [], success: [put('x', '1'), put('y', '1')], failure: [] } as KvOperation);
    await t.run(put('z', '1'));
    const { changes, throughRevision } = await t.sm.changesSince(1, { changesMax: 1, prevKv: false });
    expect(changes.map((change) => text(change.kv.key))).toEqual(['x', 'y']);
    expect(throughRevision).toBe(1);
  });

  it('deletes a prefix at one revision, with the keys before and a limit on keys', async () => {
    for (const key of ['p/1', 'p/2', 'p/3', 'q/1']) await t.run(put(key, key));
    expect((await t.run(deletePrefix('p/', 2))).outcome).toEqual({ type: 'tooManyKeys', keysInRange: 3, keysMax: 2 });
    expect(t.sm.revision).toBe(4);
    const result = await t.run(deletePrefix('p/', 3, true));
    expect(result.outcome).toMatchObject({ type: 'deleteRange', deleted: 3, revision: 5 });
    expect((result.outcome as unknown as { prevKvs: { key: Uint8Array }[] }).prevKvs.map((kv) => text(kv.key))).toEqual(['p/1', 'p/2', 'p/3']);
    expect(await keysAt(t.sm, '', 5)).toEqual(['q/1=q/1']);
    expect(await keysAt(t.sm, 'p/', 4)).toEqual(['p/1=p/1', 'p/2=p/2', 'p/3=p/3']);
    expect(t.sm.keyCount).toBe(1);
    expect((await t.run(deletePrefix('p/'))).outcome).toEqual({ type: 'deleteRange', deleted: 0, revision: 5 });
  });

  it('deletes a range [start, end) and sees the keys the same batch wrote', async () => {
    await t.run(put('a', '1'));
    const entries = [
      { operation: put('b', '1') },
      { operation: put('c', '1') },
      { operation: { type: 'deleteRange', start: bytes('a'), end: bytes('c'), keysMax: 10 } as KvOperation },
    ];
    const { commandEntry } = await import('./helpers.js');
    const results = await t.sm.apply(entries.map((entry) => commandEntry({ index: t.takeIndex(), applyVersion: APPLY_VERSION_HISTORY, ...entry })));
    expect(results[2]?.outcome).toMatchObject({ type: 'deleteRange', deleted: 2, revision: 4 });
    expect((await t.sm.range({ prefix: bytes('') })).kvs.map((kv) => text(kv.key))).toEqual(['c']);
  });

  it('keeps the history and its compaction across a restart and in the state hash', async () => {
    await t.run(put('a', '1'));
    await t.run(put('a', '2'));
    const hashBefore = t.sm.stateHash.hash;
    await t.run(compact(2));
    expect(t.sm.stateHash.hash).not.toEqual(hashBefore);
    await t.reopen();
    expect(t.sm.compactRevision).toBe(2);
    await expect(t.sm.get(bytes('a'), { revision: 1 })).rejects.toBeInstanceOf(RevisionCompactedError);
    expect(await valueAt(t.sm, 'a', 2)).toBe('2');
    expect((await t.sm.scrub({ recordsPerSecondMax: 1e9 })).outcome).toBe('ok');
  });
});

describe('key history damage', () => {
  const t = stateMachineFixture({ applyVersion: APPLY_VERSION_HISTORY });

  it('a history record damaged at rest fails the scrub and the read that meets it, naming the record', async () => {
    await t.run(put('a', '1'));
    await t.run(put('a', '2'));
    await t.sm.close();
    await withRawDb(`${t.dir}/kv`, async (db) => {
      const key = versionRecordKey(bytes('a'), 1);
      const stored = Buffer.from(await db.get(key));
      stored.writeUInt8(stored.readUInt8(stored.length - 1) ^ 0x01, stored.length - 1);
      await db.put(key, stored);
    });
    await t.reopen();
    await expect(t.sm.scrub({ recordsPerSecondMax: 1e9 })).rejects.toBeInstanceOf(StateCorruptionError);
    await expect(t.sm.get(bytes('a'), { revision: 1 })).rejects.toThrow(/at the history version of key "a" at revision 1: checksum/);
    expect(await valueAt(t.sm, 'a', 2)).toBe('2');
  });
});

describe('key history in a snapshot', () => {
  const t = stateMachineFixture({ applyVersion: APPLY_VERSION_HISTORY });

  it('carries the history and the compaction: the restored member answers the same revisions and replays', async () => {
    for (let i = 1; i <= 6; i++) await t.run(put(i % 2 === 0 ? 'a' : 'b', `${i}`));
    await t.run(compact(3));
    await t.sm.historyDropped();
    const reader = await t.sm.openSnapshotReader();
    const other = await t.open({ dir: `${t.dir}/other` });
    try {
      await other.restoreSnapshot(reader.chunks(), { index: reader.meta.appliedIndex, term: reader.meta.appliedTerm });
      expect(other.stateHash).toEqual(t.sm.stateHash);
      expect(other.compactRevision).toBe(3);
      for (const revision of [3, 4, 5, 6]) expect(await keysAt(other, '', revision)).toEqual(await keysAt(t.sm, '', revision));
      await expect(other.get(bytes('a'), { revision: 2 })).rejects.toBeInstanceOf(RevisionCompactedError);
      const replayed = await other.changesSince(4, { changesMax: 100, prevKv: true });
      expect(replayed.changes.map((change) => `${text(change.kv.value)}<${text(change.prevKv?.value)}`)).toEqual(['4<2', '5<3', '6<4']);
    } finally {
      await reader.close();
      await other.close();
    }
  });
});

describe('key history on a state of the previous layout', () => {
  const t = stateMachineFixture();

  it('keeps no history and refuses history reads and compaction until the cluster applies at version 4', async () => {
    await t.run(put('old', '1'), { applyVersion: APPLY_VERSION_QUOTA });
    await t.run(put('kept', '1'), { applyVersion: APPLY_VERSION_QUOTA });
    await expect(t.sm.get(bytes('old'), { revision: 1 })).rejects.toThrow(/compacted/);
    expect((await t.run(compact(1), { applyVersion: APPLY_VERSION_QUOTA })).outcome.type).toBe('invalid');
    await t.reopen();
    const hashBefore = t.sm.stateHash.hash;
    // The first command at version 4 starts the history at the store's revision (2).
    await t.run(put('old', '2'), { applyVersion: APPLY_VERSION_HISTORY }); // 3
    expect(t.sm.historyStartRevision).toBe(2);
    expect(t.sm.stateHash.hash).not.toEqual(hashBefore);
    await t.run(put('old', '3'), { applyVersion: APPLY_VERSION_HISTORY }); // 4
    // The version written before the history was kept when it was replaced.
    expect(await valueAt(t.sm, 'old', 2)).toBe('1');
    expect(await valueAt(t.sm, 'old', 3)).toBe('2');
    expect(await valueAt(t.sm, 'kept', 2)).toBe('1');
    expect(await keysAt(t.sm, '', 2)).toEqual(['kept=1', 'old=1']);
    await expect(t.sm.get(bytes('old'), { revision: 1 })).rejects.toBeInstanceOf(RevisionCompactedError);
    expect(t.sm.keyCount).toBe(2);
    await t.run(compact(4), { applyVersion: APPLY_VERSION_HISTORY });
    await t.sm.historyDropped();
    expect(await keysAt(t.sm, '', 4)).toEqual(['kept=1', 'old=3']);
  });

  it('a member of an older release refuses the state once the history began', async () => {
    await t.run(put('a', '1'), { applyVersion: APPLY_VERSION_HISTORY });
    await t.sm.close();
    await expect(t.open({ applyVersionMax: APPLY_VERSION_QUOTA })).rejects.toThrow(/needs apply version 4; this release applies versions up to 2: upgrade this member/);
    await t.reopen();
  });
});

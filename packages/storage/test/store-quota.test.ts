import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { APPLY_VERSION_QUOTA, type ApplyResult, type KvOperation, KvStateMachine, type StateMachineOptions } from '../src/index.js';
import { bytes, commandEntry, makeTempDir, text, withRawDb } from './helpers.js';

const put = (key: string, value: string): KvOperation => ({ type: 'put', key: bytes(key), value: bytes(value) });
// The state machine's own encoding of its records (plain msgpack maps).
const packr = new Packr({ useRecords: false, moreTypes: false });
const del = (key: string): KvOperation => ({ type: 'delete', key: bytes(key) });

/** Bytes of keys and values as a range over everything reads them. */
async function recount(sm: KvStateMachine): Promise<number> {
  const page = await sm.range({ prefix: new Uint8Array(0) });
  return page.kvs.reduce((sum, kv) => sum + kv.key.byteLength + kv.value.byteLength, 0);
}

describe('bytes of keys and values held, and the store quota', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let sm: KvStateMachine;
  let nextIndex: number;
  const open = (options: Partial<StateMachineOptions> = {}) => KvStateMachine.open({ dir: `${dir}/kv`, ...options });

  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
    sm = await open();
    nextIndex = 1;
  });
  afterEach(async () => {
    await sm.close();
    await remove();
  });

  async function run(
    operation: KvOperation,
    extra: { storeBytesMax?: number; session?: { clientId: string; sequence: number } } = {},
  ): Promise<ApplyResult> {
    // Stamped as a leader of a cluster that enforces the quota stamps them (see apply-version.test.ts).
    const [result] = await sm.apply([commandEntry({ index: nextIndex++, operation, applyVersion: APPLY_VERSION_QUOTA, ...extra })]);
    return result!;
  }

  it('counts every put, overwrite, delete and txn exactly, and keeps the count across a reopen', async () => {
    await run(put('a', '12345'));
    expect(sm.keyValueBytes).toBe(6);
    await run(put('a', '12'));
    expect(sm.keyValueBytes).toBe(3);
    await run(put('bb', 'xyz'));
    expect(sm.keyValueBytes).toBe(8);
    await run({ type: 'put', key: bytes('a'), value: bytes('1'), ifAbsent: true }); // guard fails: nothing written
    expect(sm.keyValueBytes).toBe(8);
    await run(del('missing'));
    expect(sm.keyValueBytes).toBe(8);
    await run({
      type: 'txn',
      compare: [],
      success: [
        { type: 'put', key: bytes('c'), value: bytes('1234') },
        { type: 'delete', key: bytes('bb') },
        { type: 'get', key: bytes('a') },
      ],
      failure: [],
    });
    expect(sm.keyValueBytes).toBe(3 + 5);
    expect(await recount(sm)).toBe(sm.keyValueBytes);
    await sm.close();
    sm = await open();
    expect(sm.keyValueBytes).toBe(8);
  });

  it('counts the same with the key meta cache off (sizes then come from LevelDB)', async () => {
    await sm.close();
    sm = await open({ keyMetaCacheBytesMax: 0 });
    await run(put('a', '12345'));
    await run(put('a', '1'));
    await run(del('a'));
    await run(put('b', 'xy'));
    expect(sm.keyValueBytes).toBe(3);
    expect(await recount(sm)).toBe(3);
  });

  it('refuses a write that would grow past the quota, changing nothing, and lets writes that free or keep bytes through', async () => {
    const quota = { storeBytesMax: 10 };
    expect((await run(put('a', '1234'), quota)).outcome).toEqual({ type: 'put', revision: 1 }); // 5 bytes
    expect((await run(put('b', '123'), quota)).outcome).toEqual({ type: 'put', revision: 2 }); // 9 bytes
    expect((await run(put('c', '1'), quota)).outcome).toEqual({ type: 'quotaExceeded', keyValueBytes: 9, growth: 2, storeBytesMax: 10 });
    expect(await sm.get(bytes('c'))).toBeUndefined();
    expect(sm.revision).toBe(2);
    expect(sm.keyValueBytes).toBe(9);
    // Growing an existing key by one byte fits exactly; same size and smaller always fit.
    expect((await run(put('b', '1234'), quota)).outcome).toMatchObject({ type: 'put' });
    expect(sm.keyValueBytes).toBe(10);
    expect((await run(put('b', 'abcd'), quota)).outcome).toMatchObject({ type: 'put' });
    expect((await run(put('a', '1'), quota)).outcome).toMatchObject({ type: 'put' });
    expect(sm.keyValueBytes).toBe(7);
    // Deletes pass at the quota; a quota below what is held refuses only growth.
    expect((await run(del('b'), { storeBytesMax: 1 })).outcome).toMatchObject({ type: 'delete', deleted: true });
    expect((await run(put('a', ''), { storeBytesMax: 0 })).outcome).toMatchObject({ type: 'put' });
    expect((await run(put('z', 'long value'), { storeBytesMax: 1 })).outcome).toMatchObject({ type: 'quotaExceeded' });
    // A command without a quota (proposed by a leader without one) is never refused.
    expect((await run(put('z', 'long value'))).outcome).toMatchObject({ type: 'put' });
    expect(await recount(sm)).toBe(sm.keyValueBytes);
  });

  it('takes back a whole txn that would grow past the quota', async () => {
    await run(put('a', '12345678'));
    const txn: KvOperation = {
      type: 'txn',
      compare: [],
      success: [
        { type: 'delete', key: bytes('a') },
        { type: 'put', key: bytes('b'), value: bytes('1234567890') },
        { type: 'get', key: bytes('b') },
      ],
      failure: [],
    };
    expect((await run(txn, { storeBytesMax: 10 })).outcome).toEqual({ type: 'quotaExceeded', keyValueBytes: 9, growth: 2, storeBytesMax: 10 });
    expect(text((await sm.get(bytes('a')))?.value)).toBe('12345678');
    expect(await sm.get(bytes('b'))).toBeUndefined();
    expect(sm.revision).toBe(1);
    expect(sm.keyValueBytes).toBe(9);
    // Later commands of the same batch see the state as if the refused one never ran.
    const results = await sm.apply([
      commandEntry({ index: nextIndex++, operation: txn, storeBytesMax: 10, applyVersion: APPLY_VERSION_QUOTA }),
      commandEntry({ index: nextIndex++, operation: put('c', '1') }),
    ]);
    expect(results.map((r) => r.outcome.type)).toEqual(['quotaExceeded', 'put']);
    expect(sm.revision).toBe(2);
    expect(sm.keyValueBytes).toBe(11);
    expect(await recount(sm)).toBe(11);
    expect((await run(txn, { storeBytesMax: 12 })).outcome).toMatchObject({ type: 'quotaExceeded', growth: 2 });
    expect((await run(txn, { storeBytesMax: 13 })).outcome).toMatchObject({ type: 'txn', succeeded: true });
    expect(sm.keyValueBytes).toBe(13);
  });

  it('answers a retried refused write with the same refusal, even after bytes were freed', async () => {
    await run(put('a', '123456789'));
    const session = { clientId: 'client-1', sequence: 1 };
    const first = await run(put('b', '1'), { storeBytesMax: 10, session });
    expect(first.outcome.type).toBe('quotaExceeded');
    await run(del('a'));
    const retry = await run(put('b', '1'), { storeBytesMax: 10, session });
    expect(retry.duplicate).toBe(true);
    expect(retry.outcome).toEqual(first.outcome);
    expect(await sm.get(bytes('b'))).toBeUndefined();
  });

  it('counts the bytes of a state written before the count existed when it opens', async () => {
    await run(put('a', '1234'));
    await run(put('bb', '12'));
    await sm.close();
    await withRawDb(`${dir}/kv`, async (db) => {
      const meta = packr.unpack(await db.get(Uint8Array.of(0x6d))) as Record<string, unknown>;
      delete meta['keyValueBytes'];
      await db.put(Uint8Array.of(0x6d), packr.pack(meta));
    });
    sm = await open();
    expect(sm.keyValueBytes).toBe(9);
    await run(put('c', '1'));
    await sm.close();
    sm = await open();
    expect(sm.keyValueBytes).toBe(11);
  });

  it('carries the count in a snapshot', async () => {
    await run(put('a', '1234'));
    await run(put('b', '1'));
    const reader = await sm.openSnapshotReader();
    const other = await KvStateMachine.open({ dir: `${dir}/other` });
    try {
      await other.restoreSnapshot(reader.chunks());
      expect(other.keyValueBytes).toBe(7);
    } finally {
      await reader.close();
      await other.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { APPLY_VERSION_QUOTA, type KvOperation, KvStateMachine } from '../src/index.js';
import { bytes, commandEntry, stateMachineFixture, text, unsealState, withRawDb } from './helpers.js';

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
  // Commands stamped as the leader of a cluster that enforces the quota stamps them (see apply-version.test.ts).
  const t = stateMachineFixture({ applyVersion: APPLY_VERSION_QUOTA });

  it('counts every put, overwrite, delete and txn exactly, and keeps the count across a reopen', async () => {
    await t.run(put('a', '12345'));
    expect(t.sm.keyValueBytes).toBe(6);
    await t.run(put('a', '12'));
    expect(t.sm.keyValueBytes).toBe(3);
    await t.run(put('bb', 'xyz'));
    expect(t.sm.keyValueBytes).toBe(8);
    await t.run({ type: 'put', key: bytes('a'), value: bytes('1'), ifAbsent: true }); // guard fails: nothing written
    expect(t.sm.keyValueBytes).toBe(8);
    await t.run(del('missing'));
    expect(t.sm.keyValueBytes).toBe(8);
    await t.run({
      type: 'txn',
      compare: [],
      success: [
        { type: 'put', key: bytes('c'), value: bytes('1234') },
        { type: 'delete', key: bytes('bb') },
        { type: 'get', key: bytes('a') },
      ],
      failure: [],
    });
    expect(t.sm.keyValueBytes).toBe(3 + 5);
    expect(await recount(t.sm)).toBe(t.sm.keyValueBytes);
    await t.reopen();
    expect(t.sm.keyValueBytes).toBe(8);
  });

  it('counts the same with the key meta cache off (sizes then come from LevelDB)', async () => {
    await t.reopen({ keyMetaCacheBytesMax: 0 });
    await t.run(put('a', '12345'));
    await t.run(put('a', '1'));
    await t.run(del('a'));
    await t.run(put('b', 'xy'));
    expect(t.sm.keyValueBytes).toBe(3);
    expect(await recount(t.sm)).toBe(3);
  });

  it('refuses a write that would grow past the quota, changing nothing, and lets writes that free or keep bytes through', async () => {
    const quota = { storeBytesMax: 10 };
    expect((await t.run(put('a', '1234'), quota)).outcome).toEqual({ type: 'put', revision: 1 }); // 5 bytes
    expect((await t.run(put('b', '123'), quota)).outcome).toEqual({ type: 'put', revision: 2 }); // 9 bytes
    expect((await t.run(put('c', '1'), quota)).outcome).toEqual({ type: 'quotaExceeded', keyValueBytes: 9, growth: 2, storeBytesMax: 10 });
    expect(await t.sm.get(bytes('c'))).toBeUndefined();
    expect(t.sm.revision).toBe(2);
    expect(t.sm.keyValueBytes).toBe(9);
    // Growing an existing key by one byte fits exactly; same size and smaller always fit.
    expect((await t.run(put('b', '1234'), quota)).outcome).toMatchObject({ type: 'put' });
    expect(t.sm.keyValueBytes).toBe(10);
    expect((await t.run(put('b', 'abcd'), quota)).outcome).toMatchObject({ type: 'put' });
    expect((await t.run(put('a', '1'), quota)).outcome).toMatchObject({ type: 'put' });
    expect(t.sm.keyValueBytes).toBe(7);
    // Deletes pass at the quota; a quota below what is held refuses only growth.
    expect((await t.run(del('b'), { storeBytesMax: 1 })).outcome).toMatchObject({ type: 'delete', deleted: true });
    expect((await t.run(put('a', ''), { storeBytesMax: 0 })).outcome).toMatchObject({ type: 'put' });
    expect((await t.run(put('z', 'long value'), { storeBytesMax: 1 })).outcome).toMatchObject({ type: 'quotaExceeded' });
    // A command without a quota (proposed by a leader without one) is never refused.
    expect((await t.run(put('z', 'long value'))).outcome).toMatchObject({ type: 'put' });
    expect(await recount(t.sm)).toBe(t.sm.keyValueBytes);
  });

  it('takes back a whole txn that would grow past the quota', async () => {
    await t.run(put('a', '12345678'));
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
    expect((await t.run(txn, { storeBytesMax: 10 })).outcome).toEqual({ type: 'quotaExceeded', keyValueBytes: 9, growth: 2, storeBytesMax: 10 });
    expect(text((await t.sm.get(bytes('a')))?.value)).toBe('12345678');
    expect(await t.sm.get(bytes('b'))).toBeUndefined();
    expect(t.sm.revision).toBe(1);
    expect(t.sm.keyValueBytes).toBe(9);
    // Later commands of the same batch see the state as if the refused one never ran.
    const results = await t.sm.apply([
      commandEntry({ index: t.takeIndex(), operation: txn, storeBytesMax: 10, applyVersion: APPLY_VERSION_QUOTA }),
      commandEntry({ index: t.takeIndex(), operation: put('c', '1') }),
    ]);
    expect(results.map((r) => r.outcome.type)).toEqual(['quotaExceeded', 'put']);
    expect(t.sm.revision).toBe(2);
    expect(t.sm.keyValueBytes).toBe(11);
    expect(await recount(t.sm)).toBe(11);
    expect((await t.run(txn, { storeBytesMax: 12 })).outcome).toMatchObject({ type: 'quotaExceeded', growth: 2 });
    expect((await t.run(txn, { storeBytesMax: 13 })).outcome).toMatchObject({ type: 'txn', succeeded: true });
    expect(t.sm.keyValueBytes).toBe(13);
  });

  it('answers a retried refused write with the same refusal, even after bytes were freed', async () => {
    await t.run(put('a', '123456789'));
    const session = { clientId: 'client-1', sequence: 1 };
    const first = await t.run(put('b', '1'), { storeBytesMax: 10, session });
    expect(first.outcome.type).toBe('quotaExceeded');
    await t.run(del('a'));
    const retry = await t.run(put('b', '1'), { storeBytesMax: 10, session });
    expect(retry.duplicate).toBe(true);
    expect(retry.outcome).toEqual(first.outcome);
    expect(await t.sm.get(bytes('b'))).toBeUndefined();
  });

  it('counts the bytes of a state written before the count existed when it opens', async () => {
    await t.run(put('a', '1234'));
    await t.run(put('bb', '12'));
    await t.sm.close();
    await withRawDb(`${t.dir}/kv`, async (db) => {
      await unsealState(db);
      const meta = packr.unpack(await db.get(Uint8Array.of(0x6d))) as Record<string, unknown>;
      delete meta['keyValueBytes'];
      await db.put(Uint8Array.of(0x6d), packr.pack(meta));
    });
    await t.reopen();
    expect(t.sm.keyValueBytes).toBe(9);
    await t.run(put('c', '1'));
    await t.reopen();
    expect(t.sm.keyValueBytes).toBe(11);
  });

  it('carries the count in a snapshot', async () => {
    await t.run(put('a', '1234'));
    await t.run(put('b', '1'));
    const reader = await t.sm.openSnapshotReader();
    const other = await KvStateMachine.open({ dir: `${t.dir}/other` });
    try {
      await other.restoreSnapshot(reader.chunks());
      expect(other.keyValueBytes).toBe(7);
    } finally {
      await reader.close();
      await other.close();
    }
  });
});

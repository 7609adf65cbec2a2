/**
 * Apply versions (apply-version.ts): a command is applied at its stamp or the state's version,
 * whichever is higher; the state's version only grows; a member that cannot apply the cluster's
 * version stops rather than apply the old way.
 */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { APPLY_VERSION_FIRST, APPLY_VERSION_QUOTA, ApplyVersionError, type KvOperation, KvStateMachine } from '../src/index.js';
import { bytes, commandEntry, stateMachineFixture, unsealState, withRawDb } from './helpers.js';

const packr = new Packr({ useRecords: false, moreTypes: false });
const put = (key: string, value: string): KvOperation => ({ type: 'put', key: bytes(key), value: bytes(value) });
const quota = { storeBytesMax: 4 };

describe('apply versions', () => {
  const t = stateMachineFixture();

  it('enforces the quota only from the first command stamped with its version on, for good', async () => {
    expect(t.sm.clusterVersion).toBe(APPLY_VERSION_FIRST);
    // As a member of the first release applies it: the stamp of the quota is not read.
    expect((await t.run(put('a', 'long value'), quota)).outcome.type).toBe('put');
    expect((await t.run(put('b', 'long value'), { ...quota, applyVersion: APPLY_VERSION_FIRST })).outcome.type).toBe('put');
    expect(t.sm.clusterVersion).toBe(APPLY_VERSION_FIRST);
    expect((await t.run(put('c', 'long value'), { ...quota, applyVersion: APPLY_VERSION_QUOTA })).outcome.type).toBe('quotaExceeded');
    expect(t.sm.clusterVersion).toBe(APPLY_VERSION_QUOTA);
    // A later command stamped lower (or not at all) is still applied at the state's version.
    expect((await t.run(put('d', 'long value'), { ...quota, applyVersion: APPLY_VERSION_FIRST })).outcome.type).toBe('quotaExceeded');
    expect((await t.run(put('e', 'long value'), quota)).outcome.type).toBe('quotaExceeded');
    expect(await t.sm.get(bytes('e'))).toBeUndefined();
    await t.reopen();
    expect(t.sm.clusterVersion).toBe(APPLY_VERSION_QUOTA);
  });

  it('refuses a malformed stamp as an invalid command, changing nothing', async () => {
    for (const applyVersion of [0, 1.5, -2]) {
      const result = await t.run(put('a', '1'), { applyVersion });
      expect(result.outcome).toEqual({ type: 'invalid', message: 'applyVersion must be a positive integer' });
    }
    expect(await t.sm.get(bytes('a'))).toBeUndefined();
    expect(t.sm.clusterVersion).toBe(APPLY_VERSION_FIRST);
  });

  it('opens a state written before the version existed at the first version', async () => {
    await t.run(put('a', '1'), { applyVersion: APPLY_VERSION_QUOTA });
    await t.sm.close();
    await withRawDb(`${t.dir}/kv`, async (db) => {
      await unsealState(db);
      const meta = packr.unpack(await db.get(Uint8Array.of(0x6d))) as Record<string, unknown>;
      expect(meta['clusterVersion']).toBe(APPLY_VERSION_QUOTA);
      delete meta['clusterVersion'];
      await db.put(Uint8Array.of(0x6d), packr.pack(meta));
    });
    await t.reopen();
    expect(t.sm.clusterVersion).toBe(APPLY_VERSION_FIRST);
  });

  it('stops a member of an older release at the first command stamped above what it applies, applying nothing', async () => {
    await t.reopen({ applyVersionMax: APPLY_VERSION_FIRST });
    await t.run(put('a', '1'));
    const stamped = commandEntry({ index: t.nextIndex(), operation: put('b', '1'), applyVersion: APPLY_VERSION_QUOTA });
    const error = await t.sm.apply([stamped]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplyVersionError);
    expect((error as ApplyVersionError).message).toBe(
      `entry ${t.nextIndex()} needs apply version ${APPLY_VERSION_QUOTA}; this release applies versions up to ${APPLY_VERSION_FIRST}: upgrade this member`,
    );
    expect(t.sm.appliedIndex).toBe(t.nextIndex() - 1);
    expect(await t.sm.get(bytes('b'))).toBeUndefined();
    expect(t.sm.clusterVersion).toBe(APPLY_VERSION_FIRST);
  });

  it('refuses to open, or restore from a snapshot, a state at a version this release does not apply', async () => {
    await t.run(put('a', '1'), { applyVersion: APPLY_VERSION_QUOTA });
    const reader = await t.sm.openSnapshotReader();
    const older = await KvStateMachine.open({ dir: `${t.dir}/older`, applyVersionMax: APPLY_VERSION_FIRST });
    try {
      await expect(older.restoreSnapshot(reader.chunks())).rejects.toThrow(ApplyVersionError);
      // Its own state is untouched and still serves.
      expect(older.appliedIndex).toBe(0);
      expect(await older.get(bytes('a'))).toBeUndefined();
    } finally {
      await reader.close();
      await older.close();
    }
    await t.sm.close();
    await expect(t.open({ applyVersionMax: APPLY_VERSION_FIRST })).rejects.toThrow(
      `the state at ${t.dir}/kv needs apply version ${APPLY_VERSION_QUOTA}; this release applies versions up to ${APPLY_VERSION_FIRST}`,
    );
    await t.reopen();
    expect(await t.sm.get(bytes('a'))).toBeDefined();
  });

  it('refuses an applyVersionMax outside the versions this release knows', async () => {
    await expect(t.open({ applyVersionMax: 0 })).rejects.toThrow(/applyVersionMax must be an integer/);
    await expect(t.open({ applyVersionMax: 99 })).rejects.toThrow(/applyVersionMax must be an integer/);
  });
});

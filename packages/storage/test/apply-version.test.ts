/**
 * Apply versions (apply-version.ts): a command is applied at its stamp or the state's version,
 * whichever is higher; the state's version only grows; a member that cannot apply the cluster's
 * version stops rather than apply the old way.
 */
import { Packr } from 'msgpackr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  APPLY_VERSION_FIRST,
  APPLY_VERSION_QUOTA,
  type ApplyResult,
  ApplyVersionError,
  type KvOperation,
  KvStateMachine,
  type StateMachineOptions,
} from '../src/index.js';
import { bytes, commandEntry, makeTempDir, withRawDb } from './helpers.js';

const packr = new Packr({ useRecords: false, moreTypes: false });
const put = (key: string, value: string): KvOperation => ({ type: 'put', key: bytes(key), value: bytes(value) });
const quota = { storeBytesMax: 4 };

describe('apply versions', () => {
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

  async function run(operation: KvOperation, extra: { storeBytesMax?: number; applyVersion?: number } = {}): Promise<ApplyResult> {
    const [result] = await sm.apply([commandEntry({ index: nextIndex++, operation, ...extra })]);
    return result!;
  }

  it('enforces the quota only from the first command stamped with its version on, for good', async () => {
    expect(sm.clusterVersion).toBe(APPLY_VERSION_FIRST);
    // As a member of the first release applies it: the stamp of the quota is not read.
    expect((await run(put('a', 'long value'), quota)).outcome.type).toBe('put');
    expect((await run(put('b', 'long value'), { ...quota, applyVersion: APPLY_VERSION_FIRST })).outcome.type).toBe('put');
    expect(sm.clusterVersion).toBe(APPLY_VERSION_FIRST);
    expect((await run(put('c', 'long value'), { ...quota, applyVersion: APPLY_VERSION_QUOTA })).outcome.type).toBe('quotaExceeded');
    expect(sm.clusterVersion).toBe(APPLY_VERSION_QUOTA);
    // A later command stamped lower (or not at all) is still applied at the state's version.
    expect((await run(put('d', 'long value'), { ...quota, applyVersion: APPLY_VERSION_FIRST })).outcome.type).toBe('quotaExceeded');
    expect((await run(put('e', 'long value'), quota)).outcome.type).toBe('quotaExceeded');
    expect(await sm.get(bytes('e'))).toBeUndefined();
    await sm.close();
    sm = await open();
    expect(sm.clusterVersion).toBe(APPLY_VERSION_QUOTA);
  });

  it('refuses a malformed stamp as an invalid command, changing nothing', async () => {
    for (const applyVersion of [0, 1.5, -2]) {
      const result = await run(put('a', '1'), { applyVersion });
      expect(result.outcome).toEqual({ type: 'invalid', message: 'applyVersion must be a positive integer' });
    }
    expect(await sm.get(bytes('a'))).toBeUndefined();
    expect(sm.clusterVersion).toBe(APPLY_VERSION_FIRST);
  });

  it('opens a state written before the version existed at the first version', async () => {
    await run(put('a', '1'), { applyVersion: APPLY_VERSION_QUOTA });
    await sm.close();
    await withRawDb(`${dir}/kv`, async (db) => {
      const meta = packr.unpack(await db.get(Uint8Array.of(0x6d))) as Record<string, unknown>;
      expect(meta['clusterVersion']).toBe(APPLY_VERSION_QUOTA);
      delete meta['clusterVersion'];
      await db.put(Uint8Array.of(0x6d), packr.pack(meta));
    });
    sm = await open();
    expect(sm.clusterVersion).toBe(APPLY_VERSION_FIRST);
  });

  it('stops a member of an older release at the first command stamped above what it applies, applying nothing', async () => {
    await sm.close();
    sm = await open({ applyVersionMax: APPLY_VERSION_FIRST });
    await run(put('a', '1'));
    const stamped = commandEntry({ index: nextIndex, operation: put('b', '1'), applyVersion: APPLY_VERSION_QUOTA });
    const error = await sm.apply([stamped]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplyVersionError);
    expect((error as ApplyVersionError).message).toBe(
      `entry ${nextIndex} needs apply version ${APPLY_VERSION_QUOTA}; this release applies versions up to ${APPLY_VERSION_FIRST}: upgrade this member`,
    );
    expect(sm.appliedIndex).toBe(nextIndex - 1);
    expect(await sm.get(bytes('b'))).toBeUndefined();
    expect(sm.clusterVersion).toBe(APPLY_VERSION_FIRST);
  });

  it('refuses to open, or restore from a snapshot, a state at a version this release does not apply', async () => {
    await run(put('a', '1'), { applyVersion: APPLY_VERSION_QUOTA });
    const reader = await sm.openSnapshotReader();
    const older = await KvStateMachine.open({ dir: `${dir}/older`, applyVersionMax: APPLY_VERSION_FIRST });
    try {
      await expect(older.restoreSnapshot(reader.chunks())).rejects.toThrow(ApplyVersionError);
      // Its own state is untouched and still serves.
      expect(older.appliedIndex).toBe(0);
      expect(await older.get(bytes('a'))).toBeUndefined();
    } finally {
      await reader.close();
      await older.close();
    }
    await sm.close();
    await expect(open({ applyVersionMax: APPLY_VERSION_FIRST })).rejects.toThrow(
      `the state at ${dir}/kv needs apply version ${APPLY_VERSION_QUOTA}; this release applies versions up to ${APPLY_VERSION_FIRST}`,
    );
    sm = await open();
    expect(await sm.get(bytes('a'))).toBeDefined();
  });

  it('refuses an applyVersionMax outside the versions this release knows', async () => {
    await expect(open({ applyVersionMax: 0 })).rejects.toThrow(/applyVersionMax must be an integer/);
    await expect(open({ applyVersionMax: 99 })).rejects.toThrow(/applyVersionMax must be an integer/);
  });
});

import { describe, expect, it } from 'vitest';
import { APPLY_VERSION_LEASES, APPLY_VERSION_QUOTA, type KvOperation, KvStateMachine } from '../src/index.js';
import type { KeyChange } from '../src/state-machine.js';
import { bytes, commandEntry, stateMachineFixture, text } from './helpers.js';

const grant = (ttlMs: number, limits: { id?: number; leasesMax?: number; keysMax?: number } = {}): KvOperation => ({
  type: 'leaseGrant',
  id: limits.id ?? 0,
  ttlMs,
  leasesMax: limits.leasesMax ?? 100,
  keysMax: limits.keysMax ?? 100,
});
const revoke = (id: number, reason: 'revoke' | 'expire' = 'revoke'): KvOperation => ({ type: 'leaseRevoke', id, reason });
const put = (key: string, value: string, lease?: number): KvOperation => ({
  type: 'put',
  key: bytes(key),
  value: bytes(value),
  ...(lease === undefined ? {} : { lease }),
});

describe('leases in the state machine', () => {
  const t = stateMachineFixture({ applyVersion: APPLY_VERSION_LEASES });

  it('grants ids one above the highest ever granted, never twice', async () => {
    expect((await t.run(grant(5000))).outcome).toEqual({ type: 'leaseGrant', id: 1, ttlMs: 5000 });
    expect((await t.run(grant(5000, { id: 7 }))).outcome).toMatchObject({ type: 'leaseGrant', id: 7 });
    expect((await t.run(grant(5000, { id: 7 }))).outcome).toMatchObject({ type: 'leaseRefused', reason: 'leaseExists' });
    await t.run(revoke(7));
    expect((await t.run(grant(5000))).outcome).toMatchObject({ type: 'leaseGrant', id: 8 });
    expect(t.sm.leases().map((lease) => lease.id)).toEqual([1, 8]);
  });

  it('deletes the keys attached when the lease is revoked, at one revision, with watch events', async () => {
    const changes: KeyChange[] = [];
    t.sm.watchChanges({ changed: (batch) => changes.push(...batch), restored: () => {} });
    await t.run(grant(5000));
    await t.run(put('a', '1', 1));
    await t.run(put('b', '2', 1));
    await t.run(put('c', '3'));
    expect((await t.sm.get(bytes('a')))?.lease).toBe(1);
    expect(t.sm.lease(1)?.keys.map((key) => text(key))).toEqual(['a', 'b']);
    const revisionBefore = t.sm.revision;
    const result = await t.run(revoke(1, 'expire'));
    expect(result.outcome).toEqual({ type: 'leaseRevoke', id: 1, keysDeleted: 2, revision: revisionBefore + 1 });
    expect(await t.sm.get(bytes('a'))).toBeUndefined();
    expect(await t.sm.get(bytes('b'))).toBeUndefined();
    expect(text((await t.sm.get(bytes('c')))?.value)).toBe('3');
    expect(changes.filter((change) => change.type === 'delete').map((change) => [text(change.kv.key), change.kv.modRevision])).toEqual([
      ['a', revisionBefore + 1],
      ['b', revisionBefore + 1],
    ]);
    expect(t.sm.leases()).toEqual([]);
    expect((await t.run(revoke(1))).outcome).toMatchObject({ type: 'leaseRefused', reason: 'leaseNotFound' });
  });

  it('moves a key between leases on overwrite and detaches it on delete or a put without a lease', async () => {
    await t.run(grant(5000));
    await t.run(grant(5000));
    await t.run(put('a', '1', 1));
    await t.run(put('a', '2', 2));
    expect(t.sm.lease(1)?.keys).toEqual([]);
    expect(t.sm.lease(2)?.keys.map((key) => text(key))).toEqual(['a']);
    await t.run(put('a', '3'));
    expect(t.sm.lease(2)?.keys).toEqual([]);
    await t.run(put('b', '1', 2));
    await t.run({ type: 'delete', key: bytes('b') });
    expect(t.sm.lease(2)?.keys).toEqual([]);
    await t.run(revoke(2));
    expect(text((await t.sm.get(bytes('a')))?.value)).toBe('3');
  });

  it('refuses a put to a lease not held and past its key limit, changing nothing', async () => {
    await t.run(grant(5000, { keysMax: 1 }));
    const revision = t.sm.revision;
    expect((await t.run(put('a', '1', 9))).outcome).toMatchObject({ type: 'leaseRefused', reason: 'leaseNotFound', id: 9 });
    await t.run(put('a', '1', 1));
    expect((await t.run(put('b', '1', 1))).outcome).toMatchObject({ type: 'leaseRefused', reason: 'leaseKeysExceeded' });
    // The same key again is no new key.
    expect((await t.run(put('a', '2', 1))).outcome.type).toBe('put');
    // A txn is refused whichever branch would run.
    const txn: KvOperation = { type: 'txn', compare: [], success: [], failure: [{ type: 'put', key: bytes('z'), value: bytes('1'), lease: 9 }] };
    expect((await t.run(txn)).outcome).toMatchObject({ type: 'leaseRefused', reason: 'leaseNotFound' });
    expect(t.sm.revision).toBe(revision + 2);
    expect(await t.sm.get(bytes('b'))).toBeUndefined();
  });

  it('refuses a grant past the leases the cluster may hold', async () => {
    await t.run(grant(5000, { leasesMax: 1 }));
    expect((await t.run(grant(5000, { leasesMax: 1 }))).outcome).toMatchObject({ type: 'leaseRefused', reason: 'leasesExceeded' });
  });

  it('keeps leases and their keys across a reopen, with the same state hash', async () => {
    await t.run(grant(5000));
    await t.run(put('a', '1', 1));
    const hash = t.sm.stateHash;
    await t.reopen();
    expect(t.sm.stateHash).toEqual(hash);
    expect(t.sm.lease(1)?.keys.map((key) => text(key))).toEqual(['a']);
    expect((await t.sm.scrub({ recordsPerSecondMax: 1e9 })).outcome).toBe('ok');
    await t.run(revoke(1));
    expect(await t.sm.get(bytes('a'))).toBeUndefined();
    expect((await t.run(grant(5000))).outcome).toMatchObject({ id: 2 });
  });

  it('carries leases in a snapshot: the restored member holds them and agrees on the hash', async () => {
    await t.run(grant(5000));
    await t.run(put('a', '1', 1));
    const reader = await t.sm.openSnapshotReader();
    const other = await KvStateMachine.open({ dir: `${t.dir}/other` });
    try {
      await other.restoreSnapshot(reader.chunks());
      expect(other.stateHash).toEqual(t.sm.stateHash);
      expect(other.lease(1)?.keys.map((key) => text(key))).toEqual(['a']);
      const index = t.nextIndex();
      const entry = commandEntry({ index, operation: revoke(1), applyVersion: APPLY_VERSION_LEASES });
      await t.sm.apply([entry]);
      await other.apply([entry]);
      t.takeIndex();
      expect(other.stateHash).toEqual(t.sm.stateHash);
      expect(await other.get(bytes('a'))).toBeUndefined();
    } finally {
      await reader.close();
      await other.close();
    }
  });

  it('applies a command stamped below the lease version as the release before did', async () => {
    expect((await t.run(grant(5000), { applyVersion: APPLY_VERSION_QUOTA })).outcome).toEqual({ type: 'invalid', message: 'operation needs a key' });
    const result = await t.run(put('a', '1', 1), { applyVersion: APPLY_VERSION_QUOTA });
    expect(result.outcome.type).toBe('put');
    expect((await t.sm.get(bytes('a')))?.lease).toBeUndefined();
  });
});

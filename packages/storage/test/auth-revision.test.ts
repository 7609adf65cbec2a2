/**
 * Writes checked against the auth state they were authorized by (apply version 8): a command
 * stamped with an auth revision older than the state's, while auth is on, is refused whole at
 * apply (authStale), alike on every replica; its session keeps the refusal.
 */
import { describe, expect, it } from 'vitest';
import {
  APPLY_VERSION_AUTH_REVISION,
  APPLY_VERSION_FENCE,
  type AuthChange,
  type KvOperation,
  KvStateMachine,
} from '../src/index.js';
import type { Entry } from '../src/raft-types.js';
import { bytes, commandEntry, makeTempDir, stateMachineFixture } from './helpers.js';

const put = (key: string, value: string): KvOperation => ({ type: 'put', key: bytes(key), value: bytes(value) });
const auth = (change: AuthChange): KvOperation => ({ type: 'auth', change });
const signingKey = { id: 1, secret: new Uint8Array(32).fill(7), createdAtMs: 1_000 };
const v8 = { applyVersion: APPLY_VERSION_AUTH_REVISION };

/** Root user and role (revisions 1-3), a writer role granted everything and user alice holding it (4-7). */
const setUp: AuthChange[] = [
  { op: 'roleAdd', name: 'root' },
  { op: 'userAdd', name: 'root' },
  { op: 'userGrantRole', name: 'root', role: 'root' },
  { op: 'roleAdd', name: 'writer' },
  { op: 'roleGrant', name: 'writer', permission: { type: 'keys', start: bytes('a'), end: Uint8Array.of(0), access: 'readwrite' } },
  { op: 'userAdd', name: 'alice' },
  { op: 'userGrantRole', name: 'alice', role: 'writer' },
];
const enable: AuthChange = { op: 'enable', signingKey, tokenTtlMs: 60_000 };
const revokeAlice: AuthChange = { op: 'userRevokeRole', name: 'alice', role: 'writer' };

describe('writes stamped with the auth revision they were checked at', () => {
  const t = stateMachineFixture(v8);

  async function authOn(): Promise<number> {
    for (const change of [...setUp, enable]) expect((await t.run(auth(change))).outcome.type).toBe('authChanged');
    expect(t.sm.auth?.enabled).toBe(true);
    return t.sm.auth?.revision ?? 0;
  }

  it('refuses whole a txn checked before a revocation applied, changing no key or revision', async () => {
    const checkedAt = await authOn();
    await t.run(put('a', 'before'), { authRevision: checkedAt });
    const revision = t.sm.revision;
    expect((await t.run(auth(revokeAlice))).outcome.type).toBe('authChanged');
    const txn: KvOperation = {
      type: 'txn',
      compare: [],
      success: [
        { type: 'put', key: bytes('a'), value: bytes('after') },
        { type: 'put', key: bytes('b'), value: bytes('new') },
      ],
      failure: [],
    };
    const result = await t.run(txn, { authRevision: checkedAt });
    expect(result.outcome).toEqual({ type: 'authStale', checkedAuthRevision: checkedAt, authRevision: checkedAt + 1 });
    expect(result.duplicate).toBe(false);
    expect(t.sm.revision).toBe(revision);
    expect(new TextDecoder().decode((await t.sm.get(bytes('a')))?.value)).toBe('before');
    expect(await t.sm.get(bytes('b'))).toBeUndefined();
  });

  it('applies a write checked at the current revision, or later', async () => {
    const current = await authOn();
    expect((await t.run(put('a', '1'), { authRevision: current })).outcome.type).toBe('put');
    expect((await t.run(put('b', '1'), { authRevision: current + 5 })).outcome.type).toBe('put');
  });

  it('keeps the refusal in the write\'s session: a copy of it is answered the same, the next sequence is checked anew', async () => {
    const checkedAt = await authOn();
    expect((await t.run(auth(revokeAlice))).outcome.type).toBe('authChanged');
    const session = { clientId: 'alice/0', sequence: 1 };
    const first = await t.run(put('a', '1'), { authRevision: checkedAt, session });
    expect(first.outcome.type).toBe('authStale');
    // A copy of the same write, checked later: the session's answer, nothing applied.
    const copy = await t.run(put('a', '1'), { authRevision: checkedAt + 1, session });
    expect(copy).toMatchObject({ duplicate: true, outcome: first.outcome });
    expect(await t.sm.get(bytes('a'))).toBeUndefined();
    const retried = await t.run(put('a', '1'), { authRevision: checkedAt + 1, session: { clientId: 'alice/0', sequence: 2 } });
    expect(retried.outcome.type).toBe('put');
  });

  it('refuses a write checked while auth was off once auth is on, and takes any while auth is off', async () => {
    expect((await t.run(put('a', '1'), { authRevision: 0 })).outcome.type).toBe('put');
    for (const change of setUp) await t.run(auth(change));
    // Auth changes while auth is off grant nothing: a write checked before them still applies.
    expect((await t.run(put('a', '2'), { authRevision: 0 })).outcome.type).toBe('put');
    const offAt = t.sm.auth?.revision ?? 0;
    expect((await t.run(auth(enable))).outcome.type).toBe('authChanged');
    expect((await t.run(put('a', '3'), { authRevision: offAt })).outcome).toEqual({ type: 'authStale', checkedAuthRevision: offAt, authRevision: offAt + 1 });
    expect((await t.run(auth({ op: 'disable' }))).outcome.type).toBe('authChanged');
    expect((await t.run(put('a', '4'), { authRevision: offAt })).outcome.type).toBe('put');
  });

  it('refuses a malformed stamp as an invalid command', async () => {
    for (const authRevision of [-1, 1.5]) {
      const result = await t.run(put('a', '1'), { authRevision });
      expect(result.outcome).toEqual({ type: 'invalid', message: 'authRevision must be a non-negative integer' });
    }
    expect(await t.sm.get(bytes('a'))).toBeUndefined();
  });
});

describe('the auth revision stamp below apply version 8', () => {
  const t = stateMachineFixture({ applyVersion: APPLY_VERSION_FENCE });

  it('is ignored, as a member of an older release ignores it', async () => {
    for (const change of [...setUp, enable]) expect((await t.run(auth(change))).outcome.type).toBe('authChanged');
    const checkedAt = t.sm.auth?.revision ?? 0;
    expect((await t.run(auth(revokeAlice))).outcome.type).toBe('authChanged');
    expect((await t.run(put('a', '1'), { authRevision: checkedAt })).outcome.type).toBe('put');
    expect(t.sm.clusterVersion).toBe(APPLY_VERSION_FENCE);
  });
});

describe('refusals of stale writes across replicas', () => {
  it('are decided alike whatever the batching and restarts', async () => {
    const { dir, remove } = await makeTempDir();
    try {
      let index = 0;
      const entry = (operation: KvOperation, extra: { authRevision?: number; session?: { clientId: string; sequence: number } } = {}): Entry =>
        commandEntry({ index: ++index, operation, proposedAtMs: 1_000 + index, ...v8, ...extra });
      const entries: Entry[] = [...setUp, enable].map((change) => entry(auth(change)));
      const checkedAt = entries.length;
      entries.push(
        entry(put('a', '1'), { authRevision: checkedAt, session: { clientId: 's', sequence: 1 } }),
        entry(auth(revokeAlice)),
        entry(put('a', '2'), { authRevision: checkedAt, session: { clientId: 's', sequence: 2 } }),
        entry(put('b', '2'), { authRevision: checkedAt }),
        entry(put('a', '3'), { authRevision: checkedAt + 1, session: { clientId: 's', sequence: 3 } }),
      );
      const one = await KvStateMachine.open({ dir: `${dir}/one` });
      const together = await one.apply(entries);
      let two = await KvStateMachine.open({ dir: `${dir}/two` });
      const apart = [];
      for (const [position, each] of entries.entries()) {
        apart.push(...(await two.apply([each])));
        if (position === checkedAt + 1) {
          await two.close();
          two = await KvStateMachine.open({ dir: `${dir}/two` });
        }
      }
      try {
        expect(together.map((result) => result.outcome.type).slice(checkedAt)).toEqual(['put', 'authChanged', 'authStale', 'authStale', 'put']);
        expect(JSON.stringify(apart)).toBe(JSON.stringify(together));
        expect(two.stateHash).toEqual(one.stateHash);
        expect(two.revision).toBe(one.revision);
      } finally {
        await one.close();
        await two.close();
      }
    } finally {
      await remove();
    }
  });
});

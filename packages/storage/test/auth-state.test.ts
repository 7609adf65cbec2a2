/**
 * Auth changes (auth-state.ts): applied through the log to the meta record, refused whole when
 * the state does not allow them, kept across reopen, covered by the state hash, and applied only
 * at their apply version.
 */
import { describe, expect, it } from 'vitest';
import { applyAuthChange, type AuthChange, type AuthState, type SigningKey } from '../src/auth-state.js';
import { APPLY_VERSION_AUTH, APPLY_VERSION_QUOTA, type KvOperation } from '../src/index.js';
import type { StateMeta } from '../src/kv-format.js';
import { replicatedMetaHash } from '../src/state-hash.js';
import { stateMachineFixture } from './helpers.js';

const key = (id: number): SigningKey => ({ id, secret: new Uint8Array(32).fill(id), createdAtMs: 0 });
const password = { algorithm: 'scrypt', n: 16384, r: 8, p: 1, salt: new Uint8Array(16), hash: new Uint8Array(32) } as const;

function applyAll(changes: AuthChange[], atMs = 1000): { state: AuthState | undefined; outcomes: string[] } {
  let state: AuthState | undefined;
  const outcomes: string[] = [];
  for (const change of changes) {
    const applied = applyAuthChange(state, change, atMs);
    state = applied.state;
    outcomes.push(applied.outcome.type === 'authRefused' ? applied.outcome.message : 'ok');
  }
  return { state, outcomes };
}

const rootReady: AuthChange[] = [
  { op: 'roleAdd', name: 'root' },
  { op: 'userAdd', name: 'root', password },
  { op: 'userGrantRole', name: 'root', role: 'root' },
];

describe('auth state changes', () => {
  it('enables auth only once a root user holds the root role, and then protects them', () => {
    const early = applyAll([{ op: 'enable', signingKey: key(1), tokenTtlMs: 60_000 }]);
    expect(early.outcomes[0]).toMatch(/needs a user "root" holding the role "root"/);
    expect(early.state).toBeUndefined();
    const { state, outcomes } = applyAll([
      ...rootReady,
      { op: 'enable', signingKey: key(1), tokenTtlMs: 60_000 },
      { op: 'userDelete', name: 'root' },
      { op: 'roleDelete', name: 'root' },
      { op: 'userRevokeRole', name: 'root', role: 'root' },
    ]);
    expect(outcomes.slice(0, 4)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(outcomes.slice(4).every((outcome) => outcome !== 'ok')).toBe(true);
    expect(state?.enabled).toBe(true);
    expect(state?.revision).toBe(4);
  });

  it('refuses a change that does not fit the state, changing nothing', () => {
    const { state, outcomes } = applyAll([
      { op: 'userAdd', name: 'alice', password },
      { op: 'userAdd', name: 'alice', password },
      { op: 'userGrantRole', name: 'alice', role: 'missing' },
      { op: 'userAdd', name: 'a:b' },
      { op: 'roleAdd', name: 'app' },
      { op: 'roleGrant', name: 'app', permission: { type: 'keys', start: new Uint8Array([0x62]), end: new Uint8Array([0x61]), access: 'read' } },
      { op: 'roleRevoke', name: 'app', permission: { type: 'admin', right: 'backup' } },
    ]);
    expect(outcomes).toEqual([
      'ok',
      'user "alice" exists already',
      'role "missing" does not exist',
      "a user name must not contain ':'",
      'ok',
      'a permission range must end after it starts',
      'role "app" has no such permission',
    ]);
    expect(state?.revision).toBe(2);
  });

  it('keeps the previous signing key until every token it signed has expired, and drops it after', () => {
    const ttl = 60_000;
    let { state } = applyAll([...rootReady, { op: 'enable', signingKey: key(1), tokenTtlMs: ttl }]);
    state = applyAuthChange(state, { op: 'rotateKey', signingKey: key(2) }, 1000).state;
    expect(state?.signingKeys.map((k) => [k.id, k.retiresAtMs])).toEqual([
      [1, 1000 + ttl],
      [2, undefined],
    ]);
    state = applyAuthChange(state, { op: 'rotateKey', signingKey: key(3) }, 2000 + ttl).state;
    expect(state?.signingKeys.map((k) => [k.id, k.retiresAtMs])).toEqual([
      [2, 2000 + 2 * ttl],
      [3, undefined],
    ]);
    expect(applyAuthChange(state, { op: 'rotateKey', signingKey: key(3) }, 3000 + ttl).outcome.type).toBe('authRefused');
  });
});

describe('auth changes applied by the state machine', () => {
  const t = stateMachineFixture();
  const auth = (change: AuthChange): KvOperation => ({ type: 'auth', change });

  it('applies them at the auth version, keeps them across reopen, and hashes them', async () => {
    const hashBefore = replicatedMetaHash((t.sm as unknown as { meta: StateMeta }).meta);
    const early = await t.run(auth({ op: 'roleAdd', name: 'root' }), { applyVersion: APPLY_VERSION_QUOTA });
    expect(early.outcome.type).toBe('invalid');
    expect(t.sm.auth).toBeUndefined();
    const applied = await t.run(auth({ op: 'roleAdd', name: 'root' }), { applyVersion: APPLY_VERSION_AUTH });
    expect(applied.outcome).toEqual({ type: 'authChanged', authRevision: 1 });
    const refused = await t.run(auth({ op: 'roleAdd', name: 'root' }), { applyVersion: APPLY_VERSION_AUTH });
    expect(refused.outcome).toEqual({ type: 'authRefused', message: 'role "root" exists already' });
    expect(replicatedMetaHash((t.sm as unknown as { meta: StateMeta }).meta)).not.toEqual(hashBefore);
    await t.reopen();
    expect(t.sm.auth?.roles.map((role) => role.name)).toEqual(['root']);
  });

  it('answers a malformed auth change invalid', async () => {
    const result = await t.run({ type: 'auth', change: { op: 'roleGrant', name: 'x' } } as unknown as KvOperation, { applyVersion: APPLY_VERSION_AUTH });
    expect(result.outcome).toEqual({ type: 'invalid', message: 'auth change roleGrant needs a permission' });
  });
});

/** What a user's roles grant (auth/access.ts), how tokens are checked (auth/tokens.ts), and the login limits (auth/rate-limit.ts). */
import type { AuthState, RolePermission } from '@holdfast/storage';
import { describe, expect, it } from 'vitest';
import { missingGrant, prefixRangeEnd } from '../src/auth/access.js';
import { certificateNames } from '../src/auth/guard.js';
import { KNOWN_PAIR_MS, LoginRateLimiter, peerAddress } from '../src/auth/rate-limit.js';
import { issueToken, verifyToken } from '../src/auth/tokens.js';

const b = (text: string): Uint8Array => Buffer.from(text);
const key = (id: number, retiresAtMs?: number) => ({ id, secret: new Uint8Array(32).fill(id), createdAtMs: 0, ...(retiresAtMs === undefined ? {} : { retiresAtMs }) });

function stateWith(permissions: RolePermission[], roles = ['app']): AuthState {
  return {
    enabled: true,
    revision: 1,
    tokenTtlMs: 1000,
    users: [{ name: 'alice', roles, passwordRevision: 0 }],
    roles: [
      { name: 'app', permissions },
      { name: 'root', permissions: [] },
    ],
    signingKeys: [key(1, 5000), key(2)],
  };
}

describe('grants', () => {
  const auth = stateWith([
    { type: 'keys', start: b('a/'), end: prefixRangeEnd(b('a/')), access: 'readwrite' },
    { type: 'keys', start: b('b'), end: b('c'), access: 'read' },
    { type: 'keys', start: b('c'), end: b('d'), access: 'read' },
    { type: 'keys', start: b('z'), access: 'read' },
    { type: 'admin', right: 'backup' },
  ]);

  it('covers a range across adjoining grants, and nothing past them', () => {
    expect(missingGrant(auth, 'alice', [{ access: 'read', start: b('b'), end: b('d') }])).toBeUndefined();
    expect(missingGrant(auth, 'alice', [{ access: 'read', start: b('b'), end: b('e') }])).toMatch(/no read grant on keys \["b", "e"\)/);
    expect(missingGrant(auth, 'alice', [{ access: 'read', start: b('z') }])).toBeUndefined();
    expect(missingGrant(auth, 'alice', [{ access: 'read', start: b('z'), end: Uint8Array.of(0) }])).toMatch(/keys from "z" on/);
  });

  it('needs readwrite to write, and grants read with it', () => {
    expect(missingGrant(auth, 'alice', [{ access: 'write', start: b('a/1') }, { access: 'read', start: b('a/2') }])).toBeUndefined();
    expect(missingGrant(auth, 'alice', [{ access: 'write', start: b('b1') }])).toMatch(/no readwrite grant on key "b1"/);
  });

  it('grants admin rights one by one, and everything to the root role', () => {
    expect(missingGrant(auth, 'alice', [{ access: 'admin', right: 'backup' }])).toBeUndefined();
    expect(missingGrant(auth, 'alice', [{ access: 'admin', right: 'membership' }])).toMatch(/admin right "membership"/);
    const root = stateWith([], ['root']);
    expect(missingGrant(root, 'alice', [{ access: 'write', start: b('anything') }, { access: 'admin', right: 'auth' }])).toBeUndefined();
    expect(missingGrant(auth, 'nobody', [{ access: 'read', start: b('a/1') }])).toMatch(/user "nobody"/);
  });

  it('ends a prefix where keys stop starting with it', () => {
    expect(Buffer.from(prefixRangeEnd(b('a/'))).toString()).toBe('a0');
    expect([...prefixRangeEnd(Uint8Array.of(0x61, 0xff))]).toEqual([0x62]);
    expect([...prefixRangeEnd(Uint8Array.of(0xff))]).toEqual([0]);
  });
});

describe('tokens', () => {
  const auth = stateWith([]);
  const claims = { user: 'alice', keyId: 2, passwordRevision: 0, expiresAtMs: 2000 };

  it('pass until they expire, signed by a key the cluster holds', () => {
    const token = issueToken(claims, key(2));
    expect(verifyToken(token, auth, 1999)).toEqual({ ok: true, claims });
    expect(verifyToken(token, auth, 2000)).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
  });

  it('fail with another signature, a retired key, or a changed payload', () => {
    const forged = issueToken(claims, key(7));
    expect(verifyToken(forged, auth, 0)).toMatchObject({ ok: false, reason: 'token signature is invalid' });
    const old = issueToken({ ...claims, keyId: 1, expiresAtMs: 9000 }, key(1));
    expect(verifyToken(old, auth, 4999).ok).toBe(true);
    expect(verifyToken(old, auth, 5000)).toMatchObject({ ok: false, reason: expect.stringMatching(/no longer holds/) });
    const [, signature] = issueToken(claims, key(2)).split('.');
    const otherUser = `${Buffer.from(JSON.stringify({ u: 'root', k: 2, r: 0, e: 2000 })).toString('base64url')}.${signature}`;
    expect(verifyToken(otherUser, auth, 0)).toMatchObject({ ok: false, reason: 'token signature is invalid' });
    expect(verifyToken('not a token', auth, 0)).toMatchObject({ ok: false, reason: 'token is malformed' });
  });
});

describe('login limits', () => {
  it('count failed logins only, per user and per address, refilled over a minute', () => {
    const limiter = new LoginRateLimiter({ attemptsPerUserPerMinute: 2, attemptsPerAddressPerMinute: 3, trackedKeysMax: 10 });
    const attempt = (user: string, address: string, nowMs: number, provenUser = false) => limiter.admit({ user, address, nowMs, provenUser });
    // Right passwords spend nothing.
    for (let i = 0; i < 10; i++) limiter.succeeded({ user: 'a', address: 'x', nowMs: 0 });
    expect(attempt('a', 'x', 0)).toBeUndefined();
    limiter.failed({ user: 'a', address: 'x', nowMs: 0 });
    limiter.failed({ user: 'a', address: 'x', nowMs: 0 });
    expect(attempt('a', 'x', 0)).toBe('user');
    expect(attempt('a', 'y', 0)).toBe('user');
    // Another name from the same address still has the address's last failure.
    expect(attempt('b', 'x', 0)).toBeUndefined();
    limiter.failed({ user: 'b', address: 'x', nowMs: 0 });
    expect(attempt('c', 'x', 0)).toBe('address');
    // Refilled: 2 a minute for the user, so one after 30 s.
    expect(attempt('a', 'y', 30_000)).toBeUndefined();
  });

  it('let a caller proving an earlier login through, and a known user past a spent address budget', () => {
    const limiter = new LoginRateLimiter({ attemptsPerUserPerMinute: 1, attemptsPerAddressPerMinute: 1, trackedKeysMax: 10 });
    limiter.succeeded({ user: 'alice', address: 'host', nowMs: 0 });
    // Someone on the same host spends the address's budget guessing another name.
    limiter.failed({ user: 'mallory', address: 'host', nowMs: 1000 });
    expect(limiter.admit({ user: 'bob', address: 'host', nowMs: 1000, provenUser: false })).toBe('address');
    expect(limiter.admit({ user: 'alice', address: 'host', nowMs: 1000, provenUser: false })).toBeUndefined();
    // Known for KNOWN_PAIR_MS after its last success only.
    expect(limiter.admit({ user: 'alice', address: 'host', nowMs: KNOWN_PAIR_MS, provenUser: false })).toBeUndefined();
    limiter.failed({ user: 'mallory', address: 'host', nowMs: KNOWN_PAIR_MS });
    expect(limiter.admit({ user: 'alice', address: 'host', nowMs: KNOWN_PAIR_MS, provenUser: false })).toBe('address');
    // Then someone spends alice's own budget: only a caller showing her token passes.
    limiter.failed({ user: 'alice', address: 'elsewhere', nowMs: KNOWN_PAIR_MS });
    expect(limiter.admit({ user: 'alice', address: 'host', nowMs: KNOWN_PAIR_MS, provenUser: false })).toBe('user');
    expect(limiter.admit({ user: 'alice', address: 'host', nowMs: KNOWN_PAIR_MS, provenUser: true })).toBeUndefined();
  });

  it('take a token expired within the grace as a proof, and none past it', () => {
    const auth: AuthState = { ...stateWith([]), signingKeys: [key(1)] };
    const token = issueToken({ user: 'alice', keyId: 1, passwordRevision: 0, expiresAtMs: 1000 }, key(1));
    expect(verifyToken(token, auth, 1500).ok).toBe(false);
    expect(verifyToken(token, auth, 1500, 1000).ok).toBe(true);
    expect(verifyToken(token, auth, 2000, 1000).ok).toBe(false);
  });

  it('read the address of a peer', () => {
    expect(peerAddress('ipv4:127.0.0.1:5000')).toBe('127.0.0.1');
    expect(peerAddress('ipv6:[::1]:5000')).toBe('::1');
  });

  it('name a certificate holder by CN and SANs', () => {
    expect(certificateNames({ subject: { CN: 'alice' }, subjectaltname: 'DNS:alice.example, URI:holdfast://member/1, IP Address:127.0.0.1' })).toEqual([
      'alice',
      'alice.example',
      'holdfast://member/1',
    ]);
  });
});

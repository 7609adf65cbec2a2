// The token source: one login at a time, on its own deadline, showing the last token issued.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type IssuedToken, TokenSource } from '../src/credentials.js';
import { DeadlineExceededError } from '../src/errors.js';

describe('TokenSource', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A login that answers `delayMs` after it is asked, with tokens t1, t2, ... of `ttlMs`. */
  function slowLogins(delayMs: number, ttlMs: number) {
    const asked: { deadlineMs: number; proof: string | undefined }[] = [];
    const authenticate = (deadlineMs: number, proof: string | undefined): Promise<IssuedToken> => {
      asked.push({ deadlineMs, proof });
      const token = `t${asked.length}`;
      return new Promise((resolve) => setTimeout(() => resolve({ token, expiresAtMs: Date.now() + ttlMs }), delayMs));
    };
    return { asked, authenticate };
  }

  it('goes on with a login the first caller stopped waiting for, and the next caller gets its token', async () => {
    const logins = slowLogins(3000, 60_000);
    const source = new TokenSource(logins.authenticate, 15_000);
    const first = source.ensure(Date.now() + 1000);
    const firstFailure = first.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await firstFailure).toBeInstanceOf(DeadlineExceededError);
    // The login was given its own deadline, not the caller's.
    expect(logins.asked).toEqual([{ deadlineMs: 15_000, proof: undefined }]);
    const second = source.ensure(Date.now() + 5000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(await second).toBe('t1');
    expect(logins.asked).toHaveLength(1);
  });

  it('shows the last token issued when it logs in again, even once it has expired or was refused', async () => {
    const logins = slowLogins(10, 1000);
    const source = new TokenSource(logins.authenticate);
    const first = source.ensure(Date.now() + 5000);
    await vi.advanceTimersByTimeAsync(10);
    expect(await first).toBe('t1');
    await vi.advanceTimersByTimeAsync(5000);
    expect(source.current()).toBeUndefined();
    const renewed = source.ensure(Date.now() + 5000);
    await vi.advanceTimersByTimeAsync(10);
    expect(await renewed).toBe('t2');
    source.invalidate('t2');
    const again = source.ensure(Date.now() + 5000);
    await vi.advanceTimersByTimeAsync(10);
    expect(await again).toBe('t3');
    expect(logins.asked.map((ask) => ask.proof)).toEqual([undefined, 't1', 't2']);
  });

  it('logs in once for callers refused with the same token, and not again for one refused with an older one', async () => {
    const logins = slowLogins(10, 60_000);
    const source = new TokenSource(logins.authenticate);
    const first = source.ensure(Date.now() + 5000);
    await vi.advanceTimersByTimeAsync(10);
    expect(await first).toBe('t1');
    const one = source.renewAfterRefusal('t1', Date.now() + 5000);
    const two = source.renewAfterRefusal('t1', Date.now() + 5000);
    await vi.advanceTimersByTimeAsync(10);
    expect([await one, await two]).toEqual(['t2', 't2']);
    // Refused with t1 (or with none, opened while auth was off) after t2 came: t2 is good.
    expect(await source.renewAfterRefusal('t1', Date.now() + 5000)).toBe('t2');
    expect(await source.renewAfterRefusal(undefined, Date.now() + 5000)).toBe('t2');
    expect(logins.asked).toHaveLength(2);
  });
});

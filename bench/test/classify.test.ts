/**
 * How the holdfast target judges a failed write: only errors that prove nothing was applied may
 * count as failed; anything else must stay unknown, or the checker would accept lost writes.
 */
import { DeadlineExceededError, KeyTooLargeError, QuotaExceededError, UnavailableError } from '@holdfast/client';
import { Prng } from '@holdfast/raft';
import { describe, expect, it } from 'vitest';
import { HoldfastTarget } from '../src/holdfast.js';

describe('HoldfastTarget.classifyError', () => {
  const target = new HoldfastTarget({ prng: new Prng(1) });
  const write = { write: true };

  it('calls a write failed only when the error proves nothing was applied', () => {
    expect(target.classifyError(new KeyTooLargeError('key too large', { code: 'key-too-large' }), write)).toBe('failed');
    expect(target.classifyError(new QuotaExceededError('store quota', { code: 'quota-exceeded' }), write)).toBe('failed');
    expect(target.classifyError(new DeadlineExceededError('deadline', { code: 'timeout' }), write)).toBe('unknown');
    expect(target.classifyError(new UnavailableError('no leader', { code: 'unavailable' }), write)).toBe('unknown');
    expect(target.classifyError(new Error('socket hang up'), write)).toBe('unknown');
  });

  it('calls every failed read failed (a read changes nothing)', () => {
    expect(target.classifyError(new DeadlineExceededError('deadline', { code: 'timeout' }), { write: false })).toBe('failed');
  });
});

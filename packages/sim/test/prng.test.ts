import { describe, expect, it } from 'vitest';
import { Prng } from '../src/index.js';

describe('Prng', () => {
  it('gives the same stream for the same seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const streamA = Array.from({ length: 100 }, () => a.nextUint32());
    const streamB = Array.from({ length: 100 }, () => b.nextUint32());
    expect(streamA).toEqual(streamB);
  });

  it('gives unrelated streams for neighbouring seeds', () => {
    const a = new Prng(1);
    const b = new Prng(2);
    const same = Array.from({ length: 100 }, () => a.nextUint32() === b.nextUint32()).filter(Boolean).length;
    expect(same).toBeLessThan(3);
  });

  it('keeps int() within its bounds and reaches both ends', () => {
    const random = new Prng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(random.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it('keeps next() in [0, 1) with a mean near one half', () => {
    const random = new Prng(99);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 10_000; i++) {
      const value = random.next();
      if (value < 0 || value >= 1) outside++;
      sum += value;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / 10_000 - 0.5)).toBeLessThan(0.02);
  });

  it('rejects a negative or fractional seed', () => {
    expect(() => new Prng(-1)).toThrow(RangeError);
    expect(() => new Prng(1.5)).toThrow(RangeError);
  });
});

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

  it('keeps the stream recorded seeds were made with (replays depend on it)', () => {
    // Known answers of xoshiro128** behind splitmix32 seeding: a change here invalidates every
    // recorded simulator seed and replay command.
    const random = new Prng(42);
    expect(Array.from({ length: 5 }, () => random.nextUint32())).toEqual([
      2837322924, 544945897, 479756282, 3500138142, 339756180,
    ]);
    const large = new Prng(2 ** 40 + 7);
    expect(Array.from({ length: 3 }, () => large.nextUint32())).toEqual([1722006567, 3668398331, 2436101295]);
    const parent = new Prng(7);
    expect(parent.fork().nextUint32()).toBe(1714094865);
    expect(parent.int(0, 1000)).toBe(512);
    expect(parent.shuffle([1, 2, 3, 4, 5])).toEqual([5, 4, 2, 1, 3]);
  });

  it('keeps float() within [min, max)', () => {
    const random = new Prng(3);
    for (let i = 0; i < 1000; i++) {
      const value = random.float(2.5, 4);
      expect(value).toBeGreaterThanOrEqual(2.5);
      expect(value).toBeLessThan(4);
    }
    expect(() => random.float(2, 1)).toThrow(RangeError);
  });

  it('seeds from a text: same text same stream, different texts different streams', () => {
    const a = Prng.fromText('schedule:abc');
    const b = Prng.fromText('schedule:abc');
    const c = Prng.fromText('schedule:abd');
    const streamA = Array.from({ length: 50 }, () => a.nextUint32());
    expect(Array.from({ length: 50 }, () => b.nextUint32())).toEqual(streamA);
    const same = Array.from({ length: 50 }, (_, i) => c.nextUint32() === streamA[i]).filter(Boolean).length;
    expect(same).toBeLessThan(3);
  });

  it('rejects a negative or fractional seed', () => {
    expect(() => new Prng(-1)).toThrow(RangeError);
    expect(() => new Prng(1.5)).toThrow(RangeError);
  });
});

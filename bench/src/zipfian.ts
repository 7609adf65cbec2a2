import type { Prng } from '@holdfast/raft';

/**
 * Zipfian ranks over [0, n) with exponent s, by inverse CDF over a precomputed table. Draws come
 * from the caller's generator (the project's seeded `Prng`), so a seed fixes the key sequence.
 */
export class ZipfianGenerator {
  private readonly cumulative: Float64Array;

  constructor(options: { itemCount: number; exponent: number }) {
    const { itemCount, exponent } = options;
    if (!(itemCount >= 1)) throw new RangeError(`zipfian: itemCount must be >= 1, got ${itemCount}`);
    this.cumulative = new Float64Array(itemCount);
    let sum = 0;
    for (let i = 0; i < itemCount; i += 1) {
      sum += 1 / (i + 1) ** exponent;
      this.cumulative[i] = sum;
    }
    for (let i = 0; i < itemCount; i += 1) this.cumulative[i] = (this.cumulative[i] as number) / sum;
  }

  next(prng: Prng): number {
    const u = prng.next();
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

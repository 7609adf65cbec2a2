import { describe, it } from 'vitest';
import { expectSeedsClean } from './ciBatch.js';

describe('3 nodes under faults, seeds 201..300', () => {
  for (let batch = 0; batch < 2; batch++) {
    const firstSeed = 201 + batch * 50;
    it(`keeps every invariant for seeds ${firstSeed}..${firstSeed + 49}`, () => {
      expectSeedsClean(firstSeed, 50, 3);
    }, 120_000);
  }
});

import { describe, it } from 'vitest';
import { expectRealSeedsClean } from './realBatch.js';

describe('the real node, 3 members, network, node and handled storage faults: seeds 101..200', () => {
  for (let batch = 0; batch < 4; batch++) {
    const firstSeed = 101 + batch * 25;
    it(`keeps every invariant for seeds ${firstSeed}..${firstSeed + 24}`, async () => {
      await expectRealSeedsClean(firstSeed, 25, 3);
    }, 600_000);
  }
});

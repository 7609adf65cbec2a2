import { describe, it } from 'vitest';
import { expectRealSeedsClean } from './realBatch.js';

describe('the real node, 5 members, network, node and handled storage faults: seeds 1..100', () => {
  for (let batch = 0; batch < 4; batch++) {
    const firstSeed = 1 + batch * 25;
    it(`keeps every invariant for seeds ${firstSeed}..${firstSeed + 24}`, async () => {
      await expectRealSeedsClean(firstSeed, 25, 5);
    }, 600_000);
  }
});

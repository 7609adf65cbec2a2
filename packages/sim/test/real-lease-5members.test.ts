import { describe, it } from 'vitest';
import { expectLeaseSeedsClean } from './realBatch.js';

// A file per member count, so the two run in parallel workers; the body is realBatch.ts's.
describe('the real node with lease reads and clock drift within the bound', () => {
  it('keeps every invariant, leases included, with 5 members for 8 seeds', async () => {
    await expectLeaseSeedsClean(6001, 8, 5);
  }, 600_000);
});

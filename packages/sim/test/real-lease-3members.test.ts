import { describe, it } from 'vitest';
import { expectLeaseSeedsClean } from './realBatch.js';

// A file per member count, so the two run in parallel workers; the body is realBatch.ts's.
describe('the real node with lease reads and clock drift within the bound', () => {
  it('keeps every invariant, leases included, with 3 members for 12 seeds', async () => {
    await expectLeaseSeedsClean(5001, 12, 3);
  }, 600_000);
});

import { MemoryLogStorage } from '@holdfast/raft';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LevelLogStorage } from '../src/index.js';
import type { Entry } from '../src/raft-types.js';
import { makeTempDir, normalEntry } from './helpers.js';

type Step =
  | { kind: 'append'; fromBack: number; count: number; term: number }
  | { kind: 'compact'; fromFront: number }
  | { kind: 'reopen' };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    fromBack: fc.nat({ max: 3 }),
    count: fc.integer({ min: 1, max: 4 }),
    term: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ kind: fc.constant('compact' as const), fromFront: fc.nat({ max: 3 }) }),
  fc.record({ kind: fc.constant('reopen' as const) }),
);

/** The LevelDB log must answer every LogStorage question as the core's in-memory twin does. */
describe('LevelLogStorage against MemoryLogStorage', () => {
  let root: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => {
    root = await makeTempDir();
  });
  afterAll(async () => {
    await root.remove();
  });

  it('agrees on first/last index, terms and entries after appends, overwrites, compactions and reopens', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 12 }), async (steps) => {
        const dir = `${root.dir}/run-${run++}`;
        const twin = new MemoryLogStorage();
        let log = await LevelLogStorage.open({ dir });
        try {
          for (const step of steps) {
            if (step.kind === 'reopen') {
              await log.close();
              log = await LevelLogStorage.open({ dir });
            } else if (step.kind === 'append') {
              const first = Math.max(twin.firstIndex(), twin.lastIndex() + 1 - step.fromBack);
              const entries: Entry[] = [];
              for (let index = first; index < first + step.count; index++) entries.push(normalEntry({ index, term: step.term }));
              twin.append(entries);
              await log.save({ entries, sync: false });
            } else {
              const index = Math.min(twin.lastIndex(), twin.firstIndex() - 1 + step.fromFront);
              if (index < twin.firstIndex()) continue;
              const snapshot = twin.createSnapshot(index, { voters: [1], learners: [] }, new Uint8Array());
              twin.compact(index);
              await log.compact({ snapshot });
            }
            expect(log.firstIndex()).toBe(twin.firstIndex());
            expect(log.lastIndex()).toBe(twin.lastIndex());
            for (let index = twin.firstIndex() - 1; index <= twin.lastIndex(); index++) {
              expect(log.term(index)).toBe(twin.term(index));
            }
            if (twin.lastIndex() >= twin.firstIndex()) {
              const all = log.entries(twin.firstIndex(), twin.lastIndex() + 1, Number.MAX_SAFE_INTEGER);
              expect(all.map((entry) => [entry.index, entry.term])).toEqual(
                twin.entries(twin.firstIndex(), twin.lastIndex() + 1, Number.MAX_SAFE_INTEGER).map((entry) => [entry.index, entry.term]),
              );
            }
          }
        } finally {
          await log.close();
        }
      }),
      { numRuns: 25, seed: 20261129 },
    );
  });
});

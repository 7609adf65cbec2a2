import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Entry, MemoryLogStorage } from '../src/index.js';
import { data } from './network.js';

describe('MemoryLogStorage against a plain array model', () => {
  it('property: append overwrites the suffix from its first index; compaction keeps the rest readable', () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), back: fc.nat(6), count: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('compact' as const), back: fc.nat(6) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        const storage = new MemoryLogStorage();
        const model: Entry[] = [];
        let compacted = 0;
        let term = 1;
        for (const op of operations) {
          const last = storage.lastIndex();
          if (op.kind === 'append') {
            term += 1;
            const first = Math.max(compacted + 1, last + 1 - op.back);
            const entries: Entry[] = Array.from({ length: op.count }, (_, i) => ({
              type: 'normal',
              term,
              index: first + i,
              data: data(`${term}/${first + i}`),
            }));
            storage.append(entries);
            model.length = first - 1;
            model.push(...entries);
          } else {
            const index = Math.max(compacted, last - op.back);
            if (index > compacted) {
              storage.createSnapshot(index, { voters: [1], learners: [] }, new Uint8Array(0));
              storage.compact(index);
              compacted = index;
            }
          }
          expect(storage.lastIndex()).toBe(model.length);
          expect(storage.firstIndex()).toBe(compacted + 1);
          if (storage.lastIndex() >= storage.firstIndex()) {
            const held = storage.entries(storage.firstIndex(), storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER);
            expect(held).toEqual(model.slice(compacted));
          }
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

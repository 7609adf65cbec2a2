import { describe, expect, it } from 'vitest';
import { judgePrevKvChain, judgePrevKvReads, prevKvFailures, type ReadAtRevision, sampleChanges } from '../src/prevkv-check.js';
import type { WatchedChange } from '../src/watch-check.js';

const put = (key: string, value: string, revision: number, prev?: [string, number]): WatchedChange => ({
  type: 'put',
  key,
  value,
  revision,
  ...(prev === undefined ? {} : { prev: { value: prev[0], modRevision: prev[1] } }),
});
const del = (key: string, revision: number, prev?: [string, number]): WatchedChange => ({
  type: 'delete',
  key,
  value: '',
  revision,
  ...(prev === undefined ? {} : { prev: { value: prev[0], modRevision: prev[1] } }),
});

/** A watch from revision 1 with every prevKv right: two keys, an overwrite, a delete and a put after it, a txn of two keys at one revision. */
const GOOD: WatchedChange[] = [
  put('a', 'a1', 1),
  put('b', 'b1', 2),
  put('a', 'a2', 3, ['a1', 1]),
  del('a', 4, ['a2', 3]),
  put('a', 'a3', 5),
  put('a', 'a4', 6, ['a3', 5]),
  put('b', 'b2', 6, ['b1', 2]),
];

/** What the key history holds, for reads at a past revision. */
function historyReader(changes: readonly WatchedChange[]): (key: string, revision: number) => Promise<ReadAtRevision> {
  return async (key, revision) => {
    const last = changes.filter((c) => c.key === key && c.revision <= revision).at(-1);
    return last === undefined || last.type === 'delete' ? { found: false } : { found: true, value: last.value, modRevision: last.revision };
  };
}

describe('the watch prevKv check', () => {
  it('passes a watch whose every prevKv is the key as the previous change left it', async () => {
    const chain = judgePrevKvChain(GOOD);
    expect(chain).toMatchObject({ events: 7, withPrev: 4, agreed: 7, wrongCount: 0, gapCount: 0, missingCount: 0 });
    const reads = await judgePrevKvReads({ sample: sampleChanges(GOOD, 10), readAt: historyReader(GOOD), budgetMs: 10_000 });
    // Every change but the one at revision 1 is sampled; each agrees with the history.
    expect(reads).toMatchObject({ sampled: 6, agreed: 6, disagreedCount: 0, unreadable: 0 });
    expect(prevKvFailures({ ...chain, reads })).toEqual([]);
  });

  it('fails a prevKv with another value, or the version before the previous one', async () => {
    const wrongValue = GOOD.map((c) => (c.revision === 3 ? put('a', 'a2', 3, ['a0', 1]) : c));
    const olderVersion = GOOD.map((c) => (c.key === 'a' && c.revision === 6 ? put('a', 'a4', 6, ['a2', 3]) : c));
    for (const changes of [wrongValue, olderVersion]) {
      const chain = judgePrevKvChain(changes);
      expect(chain.wrongCount).toBe(1);
      const reads = await judgePrevKvReads({ sample: sampleChanges(changes, 10), readAt: historyReader(GOOD), budgetMs: 10_000 });
      expect(reads.disagreedCount).toBe(1);
      expect(prevKvFailures({ ...chain, reads })).toEqual([
        '1 watch event(s) with a wrong prevKv',
        '1 prevKv(s) disagree with a read at revision - 1',
      ]);
    }
    expect(judgePrevKvChain(wrongValue).wrong[0]).toBe('put a@3: prevKv "a0"@1, the watch told "a1"@1 before');
  });

  it('finds a change the watch skipped (a gap) and a prevKv left out', () => {
    // The watch never told revision 3: the delete's prevKv names it.
    const skipped = GOOD.filter((c) => c.revision !== 3);
    expect(judgePrevKvChain(skipped)).toMatchObject({ gapCount: 1, wrongCount: 0 });
    // The put after the delete told, but the delete not: its prevKv is absent while the watch saw a value.
    const deleteSkipped = GOOD.filter((c) => c.revision !== 4);
    expect(judgePrevKvChain(deleteSkipped)).toMatchObject({ missingCount: 1 });
    // A first change that carries a prevKv: something before it was skipped.
    expect(judgePrevKvChain([put('k', 'v2', 7, ['v1', 5])])).toMatchObject({ gapCount: 1 });
    const noPrev = GOOD.map((c) => (c.revision === 4 ? del('a', 4) : c));
    expect(prevKvFailures({ ...judgePrevKvChain(noPrev), reads: { sampled: 0, agreed: 0, disagreed: [], disagreedCount: 0, unreadable: 0 } })).toEqual([
      '1 watch event(s) without the prevKv of a key that existed',
    ]);
  });

  it('counts a read that fails as unreadable, not as a disagreement', async () => {
    const reads = await judgePrevKvReads({
      sample: sampleChanges(GOOD, 2),
      readAt: async () => {
        throw new Error('compacted');
      },
      budgetMs: 10_000,
    });
    expect(reads).toMatchObject({ sampled: 2, agreed: 0, disagreedCount: 0, unreadable: 2, firstError: 'Error: compacted' });
  });

  it('samples evenly and leaves out ignored keys', () => {
    const many = Array.from({ length: 100 }, (_, i) => put(i % 2 === 0 ? 'x' : 'skip/y', `v${i}`, i + 1));
    const sample = sampleChanges(many, 10, (key) => key.startsWith('skip/'));
    expect(sample).toHaveLength(10);
    expect(new Set(sample.map((c) => c.key))).toEqual(new Set(['x']));
    expect(sample[0]?.revision).toBe(3);
  });
});

import { describe, expect, it } from 'vitest';
import type { BenchOperation } from '../src/history.js';
import { judgeWatch, type WatchedChange, watchFailures } from '../src/watch-check.js';

let nextId = 0;
function write(key: string, value: string, outcome: 'ok' | 'unknown' | 'failed', kind: 'put' | 'cas' = 'put', swapped = true): BenchOperation {
  const input = kind === 'put' ? { kind: 'put' as const, value } : { kind: 'cas' as const, expected: null, value };
  const output = kind === 'put' ? { kind: 'put' as const } : { kind: 'cas' as const, swapped };
  return {
    id: nextId++,
    clientId: 0,
    key,
    input,
    outcome,
    invokedAt: 0,
    returnedAt: outcome === 'unknown' ? Number.POSITIVE_INFINITY : 1,
    completedAt: 1,
    ...(outcome === 'ok' ? { output } : {}),
  } as BenchOperation;
}
const put = (key: string, value: string, revision: number): WatchedChange => ({ type: 'put', key, value, revision });

describe('judgeWatch', () => {
  const operations = [
    write('a', 'w0-1', 'ok'),
    write('a', 'w0-2', 'unknown'),
    write('b', 'w1-1', 'ok', 'cas', true),
    write('b', 'w1-2', 'ok', 'cas', false),
    write('c', 'w1-3', 'failed'),
  ];

  it('passes when every acknowledged write is told once, in order, and nothing else', () => {
    const verdict = judgeWatch({ changes: [put('a', 'w0-1', 1), put('b', 'w1-1', 2), put('end', 'x', 3)], operations, ignoreKeys: new Set(['end']) });
    expect(watchFailures(verdict)).toEqual([]);
    // A write of unknown outcome may be told too.
    const withUnknown = judgeWatch({ changes: [put('a', 'w0-1', 1), put('a', 'w0-2', 2), put('b', 'w1-1', 3)], operations, ignoreKeys: new Set() });
    expect(watchFailures(withUnknown)).toEqual([]);
  });

  it('reports acknowledged writes never told, repeats, changes no write made, disorder and an ended watch', () => {
    const verdict = judgeWatch({
      changes: [put('b', 'w1-1', 3), put('a', 'w0-2', 2), put('a', 'w0-2', 4), put('c', 'w1-3', 5), put('b', 'w1-2', 6)],
      operations,
      ignoreKeys: new Set(),
      error: 'WatchCompactedError: gone',
    });
    expect(verdict).toMatchObject({
      missing: ['a=w0-1'],
      repeated: ['a=w0-2 ×2'],
      phantom: ['c=w1-3@5', 'b=w1-2@6'],
      outOfOrder: 1,
    });
    expect(watchFailures(verdict)).toEqual([
      'the watch ended: WatchCompactedError: gone',
      'the watch never told 1 acknowledged write(s)',
      'the watch told 1 change(s) more than once',
      'the watch told 2 change(s) no write made',
      'the watch told 1 change(s) out of revision order',
    ]);
  });
});

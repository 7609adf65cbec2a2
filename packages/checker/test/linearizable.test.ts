import { describe, expect, it } from 'vitest';
import { checkHistory } from '../src/index.js';
import { HistoryBuilder } from './helpers.js';

describe('linearizable histories are accepted', () => {
  it('accepts an empty history', () => {
    const result = checkHistory([]);
    expect(result).toMatchObject({ linearizable: true, keysChecked: 0, operationsChecked: 0 });
  });

  it('accepts a sequential history of put, get, cas and delete', () => {
    const history = new HistoryBuilder()
      .get(1, null, [0, 1])
      .put(1, 'a', [2, 3])
      .get(2, 'a', [4, 5])
      .cas(1, 'a', 'b', true, [6, 7])
      .cas(2, 'a', 'c', false, [8, 9])
      .get(1, 'b', [10, 11])
      .delete(2, [12, 13])
      .get(1, null, [14, 15])
      .cas(1, null, 'd', true, [16, 17])
      .get(2, 'd', [18, 19])
      .build();
    const result = checkHistory(history);
    expect(result.violations).toEqual([]);
    expect(result.linearizable).toBe(true);
    expect(result.operationsChecked).toBe(10);
  });

  it('accepts reads that see either side of a concurrent write', () => {
    const history = new HistoryBuilder()
      .put(1, 'a', [0, 1])
      .put(2, 'b', [2, 20])
      .get(3, 'b', [3, 5])
      .get(4, 'b', [6, 8])
      .build();
    expect(checkHistory(history).linearizable).toBe(true);
    const older = new HistoryBuilder().put(1, 'a', [0, 1]).put(2, 'b', [2, 20]).get(3, 'a', [3, 5]).build();
    expect(checkHistory(older).linearizable).toBe(true);
  });

  it('orders concurrent writes however the reads require', () => {
    const history = new HistoryBuilder()
      .put(1, 'a', [0, 10])
      .put(2, 'b', [0, 10])
      .get(3, 'a', [11, 12])
      .build();
    expect(checkHistory(history).linearizable).toBe(true);
  });

  it('treats intervals that touch as concurrent', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 5]).get(2, null, [5, 6]).build();
    expect(checkHistory(history).linearizable).toBe(true);
  });

  it('accepts an unknown write that took effect, even long after it was invoked', () => {
    const history = new HistoryBuilder()
      .putUnknown(1, 'x', 0)
      .get(2, null, [10, 11])
      .get(2, 'x', [100, 101])
      .build();
    expect(checkHistory(history).linearizable).toBe(true);
  });

  it('accepts an unknown write that never took effect', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).putUnknown(2, 'x', 2).get(3, 'a', [50, 51]).build();
    expect(checkHistory(history).linearizable).toBe(true);
  });

  it('ignores failed operations entirely', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).putFailed(2, 'x', [2, 3]).get(3, 'a', [4, 5]).build();
    const result = checkHistory(history);
    expect(result.linearizable).toBe(true);
    expect(result.operationsChecked).toBe(2);
    expect(result.keysChecked).toBe(1);
  });

  it('accepts an unknown cas whose effect depends on when it lands', () => {
    const history = new HistoryBuilder()
      .put(1, 'a', [0, 1])
      .casUnknown(2, 'a', 'b', 2)
      .get(3, 'b', [10, 11])
      .build();
    expect(checkHistory(history).linearizable).toBe(true);
  });

  it('uses the initial value given for a key', () => {
    const history = new HistoryBuilder().get(1, 'seed', [0, 1]).cas(1, 'seed', 'next', true, [2, 3]).build();
    expect(checkHistory(history).linearizable).toBe(false);
    expect(checkHistory(history, { initialValue: () => 'seed' }).linearizable).toBe(true);
  });

  it('checks keys independently', () => {
    const first = new HistoryBuilder('a').put(1, 'x', [0, 10]).get(2, 'x', [5, 6]).build();
    const second = new HistoryBuilder('b').put(3, 'y', [0, 10]).get(4, null, [5, 6]).build();
    const history = [...first, ...second.map((op) => ({ ...op, id: op.id + 100 }))];
    const result = checkHistory(history);
    expect(result).toMatchObject({ linearizable: true, keysChecked: 2, operationsChecked: 4 });
  });
});

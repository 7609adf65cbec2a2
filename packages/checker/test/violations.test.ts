import { describe, expect, it } from 'vitest';
import { checkHistory, type HistoryOperation } from '../src/index.js';
import { HistoryBuilder } from './helpers.js';

function onlyViolation(history: HistoryOperation[]) {
  const result = checkHistory(history);
  expect(result.linearizable).toBe(false);
  expect(result.violations).toHaveLength(1);
  return result.violations[0]!;
}

const idsOf = (operations: HistoryOperation[]): number[] => operations.map((op) => op.id);

describe('non-linearizable histories are caught and explained', () => {
  it('catches a stale read after a newer write completed', () => {
    const history = new HistoryBuilder().put(1, 'v3', [0, 1]).put(2, 'v5', [2, 3]).get(3, 'v3', [4, 5]).build();
    const violation = onlyViolation(history);
    expect(violation.key).toBe('k');
    expect(idsOf(violation.operations)).toEqual([0, 1, 2]);
    expect(violation.explanation).toContain("get returned 'v3' but the latest write that could precede it wrote 'v5'");
  });

  it('catches a lost write: an acknowledged put never visible to a later read', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).get(2, null, [2, 3]).get(2, null, [4, 5]).build();
    const violation = onlyViolation(history);
    expect(violation.operations).toHaveLength(2);
    expect(violation.explanation).toContain("get returned absent but the latest write that could precede it wrote 'a'");
    expect(violation.explanation).toContain('initial value');
  });

  it('catches a read of a value before its write began', () => {
    const history = new HistoryBuilder().get(1, 'x', [0, 1]).put(2, 'x', [5, 6]).build();
    const violation = onlyViolation(history);
    expect(idsOf(violation.operations)).toEqual([0, 1]);
    expect(violation.explanation).toContain("get returned 'x' at 1, before any write of it began");
  });

  it('catches a read of a value nobody wrote', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).get(2, 'ghost', [2, 3]).build();
    const violation = onlyViolation(history);
    expect(idsOf(violation.operations)).toEqual([1]);
    expect(violation.explanation).toContain("no operation wrote 'ghost'");
  });

  it('catches a value written once but read as appearing twice', () => {
    const history = new HistoryBuilder()
      .put(1, 'v1', [0, 100])
      .put(2, 'v2', [0, 100])
      .get(3, 'v1', [10, 11])
      .get(3, 'v2', [20, 21])
      .get(3, 'v1', [30, 31])
      .build();
    const violation = onlyViolation(history);
    expect(violation.operations).toHaveLength(5);
    expect(violation.explanation).toContain("'v1' was read, then 'v2', then 'v1' again, but 'v1' was written only once");
  });

  it('catches a cas that succeeded on a wrong expected value', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).put(1, 'b', [2, 3]).cas(2, 'a', 'c', true, [4, 5]).build();
    const violation = onlyViolation(history);
    expect(violation.explanation).toContain("cas succeeded expecting 'a' but the latest write that could precede it wrote 'b'");
  });

  it('catches a cas that reported no swap while its expected value was the only one possible', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).cas(2, 'a', 'b', false, [2, 3]).build();
    const violation = onlyViolation(history);
    expect(violation.explanation).toContain("cas expecting 'a' reported no swap");
  });

  it('catches a failed cas that nevertheless took effect', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).cas(2, 'z', 'b', false, [2, 3]).get(3, 'b', [4, 5]).build();
    const violation = onlyViolation(history);
    expect(idsOf(violation.operations)).toContain(2);
  });

  it('does not let a failed write explain a read', () => {
    const history = new HistoryBuilder().putFailed(1, 'x', [0, 1]).get(2, 'x', [2, 3]).build();
    expect(checkHistory(history).linearizable).toBe(false);
  });

  it('does not let an unknown write explain a read that returned before it was invoked', () => {
    const history = new HistoryBuilder().get(2, 'x', [0, 1]).putUnknown(1, 'x', 5).build();
    expect(checkHistory(history).linearizable).toBe(false);
  });

  it('shrinks a long history to the few operations that cannot be ordered', () => {
    const builder = new HistoryBuilder();
    for (let i = 0; i < 40; i += 1) {
      builder.put(i % 4, `w${i}`, [i * 10, i * 10 + 5]).get(5, `w${i}`, [i * 10 + 4, i * 10 + 8]);
    }
    builder.put(1, 'old', [500, 501]).put(2, 'new', [502, 503]).get(3, 'old', [504, 505]);
    for (let i = 51; i < 60; i += 1) builder.put(i % 4, `w${i}`, [i * 10, i * 10 + 5]);
    const violation = onlyViolation(builder.build());
    expect(idsOf(violation.operations)).toEqual([80, 81, 82]);
    expect(violation.explanation).toContain("get returned 'old' but the latest write that could precede it wrote 'new'");
  });

  it('reports one violation per bad key and leaves good keys out', () => {
    const bad1 = new HistoryBuilder('a').put(1, 'x', [0, 1]).get(2, null, [2, 3]).build();
    const good = new HistoryBuilder('b').put(1, 'y', [0, 1]).get(2, 'y', [2, 3]).build();
    const bad2 = new HistoryBuilder('c').get(1, 'z', [0, 1]).build();
    const history = [bad1, good, bad2].flatMap((ops, i) => ops.map((op) => ({ ...op, id: op.id + i * 10 })));
    const result = checkHistory(history);
    expect(result.linearizable).toBe(false);
    expect(result.keysChecked).toBe(3);
    expect(result.violations.map((v) => v.key).sort()).toEqual(['a', 'c']);
  });

  it('reports a key as undecided, not linearizable, when its step budget runs out', () => {
    const builder = new HistoryBuilder();
    for (let i = 0; i < 3000; i += 1) builder.put(1, `v${i}`, [i * 2, i * 2 + 1]);
    const result = checkHistory(builder.build(), { stepBudgetPerKey: 1 });
    expect(result.undecidedKeys).toEqual(['k']);
    expect(result.violations).toEqual([]);
    expect(result.linearizable).toBe(false);
  });
});

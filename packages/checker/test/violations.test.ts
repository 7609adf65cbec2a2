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
    const history = new HistoryBuilder()
      .put(1, 'v3', [0, 1])
      .put(2, 'v5', [2, 3])
      .get(3, 'v3', [4, 5])
      .get(4, 'v5', [4, 6])
      .build();
    const violation = onlyViolation(history);
    expect(violation.key).toBe('k');
    expect(violation.rule).toBe('stale-read');
    expect(idsOf(violation.operations)).toEqual([0, 1, 2]);
    expect(violation.explanation).toMatch(/^stale read: op 2 returned 'v3' at 5 though it began at 4, after put 'v5' \(op 1\)/);
  });

  it('catches a lost write: an acknowledged put never visible to a later read', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).get(2, null, [2, 3]).get(2, null, [4, 5]).build();
    const violation = onlyViolation(history);
    expect(violation.rule).toBe('lost-write');
    expect(violation.operations).toHaveLength(2);
    expect(violation.explanation).toContain("put 'a' (op 0) was acknowledged at 1 but never seen");
    expect(violation.explanation).toContain('initial value');
  });

  it('catches a read of a value before its write began', () => {
    const history = new HistoryBuilder().get(1, 'x', [0, 1]).put(2, 'x', [5, 6]).build();
    const violation = onlyViolation(history);
    expect(idsOf(violation.operations)).toEqual([0, 1]);
    expect(violation.rule).toBe('future-read');
    expect(violation.explanation).toContain("op 0 returned 'x' at 1, but the first write of it (op 1) began only at 5");
  });

  it('catches a read of a value nobody wrote', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).get(2, 'ghost', [2, 3]).build();
    const violation = onlyViolation(history);
    expect(idsOf(violation.operations)).toEqual([1]);
    expect(violation.rule).toBe('value-from-nowhere');
    expect(violation.explanation).toContain("op 1 returned 'ghost' at 3, a value no operation wrote");
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
    expect(violation.rule).toBe('duplicate-effect');
    expect(idsOf(violation.operations)).toEqual([0, 2, 3, 4]);
    expect(violation.explanation).toContain("'v1', written only by op 0, was current at op 2, replaced by op 3, and read again by op 4");
  });

  it('catches a cas that succeeded on a wrong expected value', () => {
    const history = new HistoryBuilder()
      .put(1, 'a', [0, 1])
      .put(1, 'b', [2, 3])
      .get(3, 'b', [2, 4])
      .cas(2, 'a', 'c', true, [5, 6])
      .build();
    const violation = onlyViolation(history);
    expect(violation.rule).toBe('cas-anomaly');
    expect(violation.explanation).toContain("op 3 swapped expecting 'a' at 6 though it began at 5, after put 'b' (op 1)");
  });

  it('catches a cas that reported no swap while its expected value was the only one possible', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).get(3, 'a', [0, 2]).cas(2, 'a', 'b', false, [3, 4]).build();
    const violation = onlyViolation(history);
    expect(violation.rule).toBe('cas-anomaly');
    expect(violation.explanation).toContain("cas 'a' -> 'b' (op 2) did not swap, though it began at 3 after op 0 wrote 'a'");
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
    expect(violation.rule).toBe('lost-write');
    expect(violation.explanation).toContain("put 'new' (op 81) was acknowledged at 503 but never seen");
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

import { describe, expect, it } from 'vitest';
import { checkHistory, type HistoryOperation } from '../src/index.js';
import { shrinkViolation } from '../src/minimize.js';
import { findRuleViolation } from '../src/rules.js';
import { HistoryBuilder, isLinearizableByBruteForce } from './helpers.js';

/**
 * Five operations no order explains and no named rule describes: after both puts the key holds
 * 'a' or 'b'; the cas that missed on 'b' says it was 'a', and nothing wrote again before the cas
 * that missed on 'a'. Seeing it takes a case split, which the search does and the rules do not.
 */
function addUnnamedCore(builder: HistoryBuilder): HistoryBuilder {
  return builder
    .put(10, 'b', [1, 3])
    .cas(11, 'a', 'b', false, [18, 25])
    .cas(12, 'p', 'a', false, [4, 12])
    .cas(13, 'b', 'b', false, [10, 15])
    .put(14, 'a', [0, 5]);
}

const CORE_IDS = [0, 1, 2, 3, 4];
const BUDGET = { deadlineMs: Number.POSITIVE_INFINITY, stepsMax: 20_000_000, provenInSteps: 0 };

/** Sequential, linearizable operations on values the core never uses, ending with the key absent. */
function addQuietOperations(builder: HistoryBuilder, from: number, count: number): HistoryBuilder {
  for (let i = 0; i < count; i += 1) {
    const at = from + i * 10;
    builder.put(1, `quiet${i}`, [at, at + 1]).get(2, `quiet${i}`, [at + 2, at + 3]).delete(1, [at + 4, at + 5]);
  }
  return builder;
}

function withIds(operations: HistoryOperation[]): HistoryOperation[] {
  return operations.map((operation, id) => ({ ...operation, id }));
}

describe('shrinking a violation no named rule describes', () => {
  it('the core itself: not linearizable, and no rule fires', () => {
    const core = addUnnamedCore(new HistoryBuilder()).build();
    expect(isLinearizableByBruteForce(core)).toBe(false);
    expect(findRuleViolation(core, [null])).toBeUndefined();
  });

  it('cuts away what came after the earliest failing moment and what came before the latest start it fails from', () => {
    const before = addQuietOperations(new HistoryBuilder(), -1000, 30).build();
    const core = addUnnamedCore(new HistoryBuilder()).build();
    const after = addQuietOperations(new HistoryBuilder(), 100, 30).build();
    const history = withIds([...core, ...before, ...after]);
    expect(findRuleViolation(history, [null])).toBeUndefined();
    const shrunk = shrinkViolation(history, null, BUDGET);
    const ids = shrunk.operations.map((operation) => operation.id);
    expect(ids.every((id) => CORE_IDS.includes(id))).toBe(true);
    expect(isLinearizableByBruteForce(shrunk.operations)).toBe(false);
    // Cut at the front once both puts had returned: the key held 'a' or 'b', and the puts stay listed.
    expect(shrunk.window).toEqual({ startsAfter: 5, states: expect.arrayContaining(['a', 'b']) });
    expect(shrunk.window?.states).toHaveLength(2);
    expect(ids).toEqual(expect.arrayContaining([0, 4]));
  });

  it('through checkHistory: a no-order violation of a few operations, with the moment its window began', () => {
    const history = withIds([
      ...addQuietOperations(new HistoryBuilder(), -1000, 30).build(),
      ...addUnnamedCore(new HistoryBuilder()).build(),
    ]);
    const [violation] = checkHistory(history).violations;
    expect(violation?.rule).toBe('no-order');
    expect(violation?.operations.length).toBeLessThanOrEqual(5);
    expect(violation?.explanation).toMatch(/^no linearization: no order of these \d operations/);
    expect(violation?.explanation).toMatch(/the history before 5 was cut away, when the key held ('a' or 'b'|'b' or 'a')/);
    expect(isLinearizableByBruteForce(violation!.operations)).toBe(false);
  });

  it('stops within its step budget and still reports a failing set', () => {
    const history = withIds([
      ...addUnnamedCore(new HistoryBuilder()).build(),
      ...addQuietOperations(new HistoryBuilder(), 100, 30).build(),
    ]);
    const shrunk = shrinkViolation(history, null, { ...BUDGET, stepsMax: 1 });
    expect(shrunk.operations.length).toBeGreaterThan(0);
    expect(checkHistory(shrunk.operations).linearizable).toBe(false);
  });
});

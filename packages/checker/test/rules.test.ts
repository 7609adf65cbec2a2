import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateFaultyHistory, generateLinearizableHistory } from '../src/generate.js';
import { checkHistory, type HistoryOperation, type ViolationRule } from '../src/index.js';
import { checkKeyOperations } from '../src/key-check.js';
import { findRuleViolation } from '../src/rules.js';
import { HistoryBuilder, isLinearizableByBruteForce } from './helpers.js';

const generatorOptions = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  operationCount: fc.integer({ min: 1, max: 300 }),
  keyCount: fc.integer({ min: 1, max: 3 }),
  clientCount: fc.integer({ min: 1, max: 10 }),
  unknownRatio: fc.constantFrom(0, 0.05, 0.2),
  failedRatio: fc.constantFrom(0, 0.05),
  valueAlphabetSize: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
  mix: fc.constantFrom('kv' as const, 'register' as const),
});

function byKey(history: readonly HistoryOperation[]): HistoryOperation[][] {
  const keys = new Map<string, HistoryOperation[]>();
  for (const operation of history) keys.set(operation.key, [...(keys.get(operation.key) ?? []), operation]);
  return [...keys.values()];
}

const value = fc.constantFrom(null, 'a', 'b', 'c');
const drawnOperation = fc.record({
  input: fc.oneof(
    fc.constant({ kind: 'get' as const }),
    fc.record({ kind: fc.constant('put' as const), value: fc.constantFrom('a', 'b', 'c') }),
    fc.record({ kind: fc.constant('cas' as const), expected: value, value: fc.constantFrom('a', 'b', 'c') }),
    fc.constant({ kind: 'delete' as const }),
  ),
  outcome: fc.constantFrom('ok', 'ok', 'ok', 'unknown', 'failed'),
  readValue: value,
  swapped: fc.boolean(),
  invokedAt: fc.integer({ min: 0, max: 20 }),
  duration: fc.integer({ min: 0, max: 10 }),
});


function toHistory(drawn: readonly { input: HistoryOperation['input']; outcome: string; readValue: string | null; swapped: boolean; invokedAt: number; duration: number }[]): HistoryOperation[] {
  return drawn.map((op, id) => {
    const built: HistoryOperation = {
      id,
      clientId: id,
      key: 'k',
      input: op.input,
      outcome: op.outcome as HistoryOperation['outcome'],
      invokedAt: op.invokedAt,
      returnedAt: op.invokedAt + op.duration,
    };
    if (op.outcome === 'ok') {
      const kind = op.input.kind;
      built.output =
        kind === 'get' ? { kind, value: op.readValue } : kind === 'cas' ? { kind, swapped: op.swapped } : { kind };
    }
    return built;
  });
}

describe('named rules never fire on linearizable histories', () => {
  it('on histories from a real sequential execution, whatever the mix, overlaps and outcomes', () => {
    fc.assert(
      fc.property(generatorOptions, (options) => {
        for (const operations of byKey(generateLinearizableHistory(options))) {
          const finding = findRuleViolation(operations, [null]);
          expect(finding?.sentence).toBeUndefined();
        }
      }),
      { numRuns: 400, seed: 20_261_203 },
    );
  });

  it('on small random histories, fire only where a brute-force search finds no order, from every initial value given', () => {
    const initialValues = fc.subarray([null, 'a', 'b', 'c'] as (string | null)[], { minLength: 1 });
    const firedByRule = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(drawnOperation, { minLength: 1, maxLength: 8 }), initialValues, (drawn, initials) => {
        const history = toHistory(drawn);
        const finding = findRuleViolation(history, initials);
        if (finding === undefined) return;
        firedByRule.set(finding.rule, (firedByRule.get(finding.rule) ?? 0) + 1);
        for (const initial of initials) {
          expect(isLinearizableByBruteForce(history, initial)).toBe(false);
          // The operations named are themselves a history no order explains.
          expect(isLinearizableByBruteForce(finding.operations, initial)).toBe(false);
        }
        expect(finding.operations.length).toBeGreaterThan(0);
        expect(finding.operations.length).toBeLessThanOrEqual(7);
      }),
      { numRuns: 4000, seed: 20_261_203 },
    );
    // Not vacuous: every rule fired on some of these histories.
    expect([...firedByRule.keys()].sort()).toEqual(
      ['cas-anomaly', 'duplicate-effect', 'future-read', 'lost-write', 'stale-read', 'value-from-nowhere'],
    );
  });

  it('on mutated generated histories, fire only where the search finds no order', () => {
    const options = fc.record({
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      operationCount: fc.integer({ min: 5, max: 60 }),
      keyCount: fc.constant(1),
      clientCount: fc.integer({ min: 2, max: 8 }),
      unknownRatio: fc.constantFrom(0, 0.1, 0.25),
      failedRatio: fc.constantFrom(0, 0.05),
      valueAlphabetSize: fc.integer({ min: 2, max: 5 }),
      mix: fc.constantFrom('kv' as const, 'register' as const),
    });
    const mutation = fc.record({ pick: fc.nat(), value: fc.constantFrom(null, 'v0', 'v1', 'v2', 'v3') });
    let fired = 0;
    fc.assert(
      fc.property(options, mutation, (generated, { pick, value }) => {
        const history = generateLinearizableHistory(generated).filter((op) => op.outcome !== 'failed');
        const target = history[pick % history.length]!;
        // One answer changed: a get returns another value, or a cas the other verdict.
        const mutated = history.map((op) => {
          if (op !== target || op.outcome !== 'ok') return op;
          if (op.output?.kind === 'get') return { ...op, output: { kind: 'get' as const, value } };
          if (op.output?.kind === 'cas') return { ...op, output: { kind: 'cas' as const, swapped: !op.output.swapped } };
          return op;
        });
        const finding = findRuleViolation(mutated, [null]);
        if (finding === undefined) return;
        fired += 1;
        const budget = { deadlineMs: performance.now() + 60_000, stepsMax: 20_000_000 };
        expect(checkKeyOperations(mutated, null, budget).verdict).not.toBe('linearizable');
        expect(checkKeyOperations(finding.operations, null, budget).verdict).not.toBe('linearizable');
      }),
      { numRuns: 1500, seed: 20_261_203 },
    );
    expect(fired).toBeGreaterThan(200);
  });

  it('on planted faults, name operations that brute force confirms cannot be ordered', () => {
    for (const fault of ['stale-read', 'lost-write', 'reordered-writes'] as const) {
      for (let seed = 1; seed <= 60; seed += 1) {
        const history = generateFaultyHistory(
          { seed, operationCount: 60, keyCount: 1, clientCount: 3, unknownRatio: 0.05, valueAlphabetSize: 4, mix: 'register' },
          fault,
        );
        const finding = findRuleViolation(history, [null]);
        if (finding === undefined) continue;
        expect(isLinearizableByBruteForce(finding.operations)).toBe(false);
      }
    }
  });
});

/** The key's violation is named `rule` by checkHistory, and its operations are `ids`. */
function expectNamed(history: HistoryOperation[], rule: ViolationRule, ids: number[]): string {
  expect(isLinearizableByBruteForce(history)).toBe(false);
  const [violation, ...others] = checkHistory(history).violations;
  expect(others).toEqual([]);
  expect(violation?.rule).toBe(rule);
  expect(violation?.operations.map((op) => op.id)).toEqual(ids);
  return violation!.explanation;
}

/** A linearizable near miss of some rule: nothing may fire on it. */
function expectNotFlagged(history: HistoryOperation[]): void {
  expect(isLinearizableByBruteForce(history)).toBe(true);
  expect(findRuleViolation(history, [null])).toBeUndefined();
  expect(checkHistory(history).linearizable).toBe(true);
}

describe('each rule names its shape, and its near misses are not flagged', () => {
  it('value from nowhere: a read of a value no operation wrote', () => {
    expectNamed(new HistoryBuilder().put(1, 'a', [0, 1]).get(2, 'ghost', [2, 3]).build(), 'value-from-nowhere', [1]);
    expectNotFlagged(new HistoryBuilder().putUnknown(1, 'ghost', 1).get(2, 'ghost', [2, 3]).build());
  });

  it('read from the future: every write of the value began after the read returned', () => {
    const explanation = expectNamed(new HistoryBuilder().get(1, 'x', [0, 1]).put(2, 'x', [5, 6]).build(), 'future-read', [0, 1]);
    expect(explanation).toContain('began only at 5');
    // A write invoked the moment the read returns is concurrent with it.
    expectNotFlagged(new HistoryBuilder().get(1, 'x', [0, 1]).put(2, 'x', [1, 6]).build());
  });

  it('stale read: a read begun after a write returned sees a value all of whose writes returned before that write began', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).put(2, 'b', [2, 3]).get(3, 'a', [4, 5]).get(4, 'b', [6, 7]);
    expectNamed(history.build(), 'stale-read', [0, 1, 2]);
    expectNotFlagged(new HistoryBuilder().put(1, 'a', [0, 1]).put(2, 'b', [2, 5]).get(3, 'a', [4, 5]).get(4, 'b', [6, 7]).build());
  });

  it('stale read: a read sees an older value than a read that returned before it began', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).put(2, 'b', [2, 10]).get(3, 'b', [3, 4]).get(4, 'a', [5, 6]);
    const explanation = expectNamed(history.build(), 'stale-read', [0, 1, 2, 3]);
    expect(explanation).toContain("after op 2 had read 'b'");
    expectNotFlagged(new HistoryBuilder().put(1, 'a', [0, 1]).put(2, 'b', [2, 10]).get(3, 'b', [3, 4]).get(4, 'a', [3.5, 6]).build());
  });

  it('stale read: a read sees a value a cas that did not swap had already found gone', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).put(2, 'b', [0, 10]).cas(3, 'a', 'c', false, [2, 3]).get(4, 'a', [4, 5]);
    const explanation = expectNamed(history.build(), 'stale-read', [0, 2, 3]);
    expect(explanation).toContain('found the key not holding it');
    expectNotFlagged(
      new HistoryBuilder().put(1, 'a', [0, 1]).put(2, 'b', [0, 10]).cas(3, 'a', 'c', false, [0.5, 3]).get(4, 'a', [4, 5]).build(),
    );
  });

  it('stale read: a later write of the value is ruled out when it is a cas whose expected value nothing wrote', () => {
    const history = new HistoryBuilder()
      .put(1, 'a', [0, 1])
      .casUnknown(2, 'b', 'a', 2)
      .put(3, 'c', [3, 4])
      .get(4, 'c', [4.5, 4.8])
      .get(4, 'a', [5, 6]);
    const explanation = expectNamed(history.build(), 'stale-read', [1, 2, 3, 4]);
    expect(explanation).toContain("op 1 is a cas expecting 'b', and nothing could write 'b'");
    expectNotFlagged(history.putUnknown(5, 'b', 2.5).build());
  });

  it('stale read: a later write of the value is ruled out when an earlier read must have used it up', () => {
    const history = new HistoryBuilder()
      .put(1, 'a', [0, 1])
      .put(2, 'z', [1.5, 1.8])
      .put(1, 'a', [2, 10])
      .get(3, 'a', [3, 4])
      .put(2, 'b', [5, 6])
      .get(4, 'b', [6.5, 6.8])
      .get(3, 'a', [7, 8]);
    const explanation = expectNamed(history.build(), 'stale-read', [2, 3, 4, 5, 6]);
    expect(explanation).toContain('op 2 was the only write op 3 could have read');
    // Without the write that replaced the first 'a', the earlier read may have read that one.
    const nearMiss = history.build().filter((op) => op.id !== 1);
    expectNotFlagged(nearMiss);
  });

  it('lost write: an acknowledged write no read could have seen, with a later read seeing an older value', () => {
    const explanation = expectNamed(new HistoryBuilder().put(1, 'a', [0, 1]).get(2, null, [2, 3]).build(), 'lost-write', [0, 1]);
    expect(explanation).toContain("put 'a' (op 0) was acknowledged at 1 but never seen");
    expectNotFlagged(new HistoryBuilder().put(1, 'a', [0, 3]).get(2, null, [2, 3]).build());
  });

  it('duplicate effect: a value written once is read, replaced, and read again', () => {
    const history = new HistoryBuilder()
      .put(1, 'v1', [0, 100])
      .put(2, 'v2', [0, 100])
      .get(3, 'v1', [10, 11])
      .get(3, 'v2', [20, 21])
      .get(3, 'v1', [30, 31]);
    expectNamed(history.build(), 'duplicate-effect', [0, 2, 3, 4]);
    expectNotFlagged(history.put(4, 'v1', [0, 100]).build());
  });

  it('cas anomaly: two cas swap from a value only one write produced (a lost update)', () => {
    const history = new HistoryBuilder().put(1, 'a', [0, 1]).cas(2, 'a', 'b', true, [2, 10]).cas(3, 'a', 'c', true, [2, 10]);
    const explanation = expectNamed(history.build(), 'cas-anomaly', [0, 1, 2]);
    expect(explanation).toContain("op 1 and op 2 both swapped expecting 'a'");
    expectNotFlagged(history.put(4, 'a', [0, 10]).build());
  });

  it('cas anomaly: two cas both create an absent key nothing ever deletes', () => {
    const history = new HistoryBuilder().cas(1, null, 'a', true, [0, 10]).cas(2, null, 'b', true, [0, 10]);
    expectNamed(history.build(), 'cas-anomaly', [0, 1]);
    expectNotFlagged(history.delete(3, [0, 10]).build());
  });

  it('cas anomaly: a cas misses on the only value the key could hold', () => {
    expectNamed(new HistoryBuilder().cas(1, null, 'a', false, [0, 1]).build(), 'cas-anomaly', [0]);
    expectNotFlagged(new HistoryBuilder().putUnknown(2, 'x', 0).cas(1, null, 'a', false, [0, 1]).build());
  });
});

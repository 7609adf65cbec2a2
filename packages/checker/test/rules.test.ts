import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateFaultyHistory, generateLinearizableHistory } from '../src/generate.js';
import type { HistoryOperation } from '../src/index.js';
import { checkKeyOperations } from '../src/key-check.js';
import { findRuleViolation } from '../src/rules.js';
import { isLinearizableByBruteForce } from './helpers.js';

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

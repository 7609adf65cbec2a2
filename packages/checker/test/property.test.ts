import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory, generateLinearizableHistory, type HistoryOperation } from '../src/index.js';
import { isLinearizableByBruteForce } from './helpers.js';

const generatorOptions = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  operationCount: fc.integer({ min: 1, max: 300 }),
  keyCount: fc.integer({ min: 1, max: 6 }),
  clientCount: fc.integer({ min: 1, max: 10 }),
  unknownRatio: fc.constantFrom(0, 0.05, 0.2),
  failedRatio: fc.constantFrom(0, 0.05),
  valueAlphabetSize: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
});

/** Replaces the value one 'ok' get returned; returns the corrupted history and the corrupted id. */
function corruptRead(history: HistoryOperation[], pick: number, value: string | null) {
  const reads = history.filter((op) => op.outcome === 'ok' && op.output?.kind === 'get');
  if (reads.length === 0) return undefined;
  const target = reads[pick % reads.length]!;
  const corrupted = history.map((op) => (op.id === target.id ? { ...op, output: { kind: 'get' as const, value } } : op));
  return { corrupted, target };
}

/** Search steps per key for the stale-read property: a fixed bound, the same on any machine. */
const PROPERTY_STEPS_PER_KEY = 5_000_000;

describe('property: histories from a real sequential execution', () => {
  it('are always linearizable, whatever the overlaps and unknown outcomes', () => {
    fc.assert(
      fc.property(generatorOptions, (options) => {
        const history = generateLinearizableHistory(options);
        const result = checkHistory(history);
        expect(result.violations).toEqual([]);
        expect(result.linearizable).toBe(true);
      }),
      { numRuns: 150, seed: 20_261_129 },
    );
  });

  it('with one read corrupted to a value never written, are always caught on that key', () => {
    fc.assert(
      fc.property(generatorOptions, fc.nat(), (options, pick) => {
        const history = generateLinearizableHistory(options);
        const corruption = corruptRead(history, pick, 'never-written');
        if (corruption === undefined) return;
        const result = checkHistory(corruption.corrupted);
        expect(result.linearizable).toBe(false);
        const violation = result.violations.find((v) => v.key === corruption.target.key);
        expect(violation?.operations.map((op) => op.id)).toContain(corruption.target.id);
      }),
      { numRuns: 150, seed: 20_261_129 },
    );
  });

  it('with one read corrupted to a value that was surely overwritten, are never judged linearizable', () => {
    let caught = 0;
    let undecided = 0;
    const uniqueValueOptions = fc.record({
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      operationCount: fc.integer({ min: 2, max: 200 }),
      keyCount: fc.integer({ min: 1, max: 4 }),
      clientCount: fc.integer({ min: 1, max: 8 }),
      // Proving a violation means exhausting every order; many overlapping unknown writes make that
      // exponential (see the README's limits), so this property keeps them few.
      unknownRatio: fc.constantFrom(0, 0.05),
      failedRatio: fc.constantFrom(0, 0.05),
    });
    fc.assert(
      fc.property(uniqueValueOptions, fc.nat(), (options, pick) => {
        const history = generateLinearizableHistory(options);
        const stale = findSurelyStaleRead(history, pick);
        if (stale === undefined) return;
        const corrupted = history.map((op) =>
          op.id === stale.read.id ? { ...op, output: { kind: 'get' as const, value: stale.value } } : op,
        );
        // Only the verdict matters here; shrinking is exercised elsewhere. The search is bounded
        // by steps, not wall-clock time, so the verdict does not depend on the machine's speed.
        const result = checkHistory(corrupted, {
          minimizeBudgetMsPerViolation: 50,
          stepBudgetPerKey: PROPERTY_STEPS_PER_KEY,
          timeBudgetMsPerKey: 10 * 60_000,
        });
        // Never judged linearizable; proven a violation unless the step budget ran out first
        // (proof means exhausting every order, exponential in overlapping unknown writes).
        expect(result.linearizable).toBe(false);
        expect([...result.violations.map((v) => v.key), ...result.undecidedKeys]).toContain(stale.read.key);
        if (result.undecidedKeys.length === 0) caught += 1;
        else undecided += 1;
      }),
      { numRuns: 100, seed: 20_261_129 },
    );
    // The budget is there for the rare explosive history, not the common case.
    expect(caught).toBeGreaterThan(10 * undecided);
  });

  it('with one read corrupted to any value, get the same verdict as a brute-force search', () => {
    const smallOptions = fc.record({
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      operationCount: fc.integer({ min: 1, max: 7 }),
      keyCount: fc.constant(1),
      clientCount: fc.integer({ min: 1, max: 4 }),
      unknownRatio: fc.constantFrom(0, 0.2, 0.4),
      failedRatio: fc.constantFrom(0, 0.1),
      valueAlphabetSize: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    });
    const anyValue = fc.constantFrom(null, 'v0', 'v1', 'v2', 'v3', 'v4');
    fc.assert(
      fc.property(smallOptions, fc.nat(), anyValue, fc.boolean(), (options, pick, value, corrupt) => {
        const history = generateLinearizableHistory(options);
        const corruption = corrupt ? corruptRead(history, pick, value) : undefined;
        const candidate = corruption?.corrupted ?? history;
        const expected = isLinearizableByBruteForce(candidate);
        const result = checkHistory(candidate);
        expect(result.linearizable).toBe(expected);
        for (const violation of result.violations) {
          expect(isLinearizableByBruteForce(violation.operations)).toBe(false);
        }
      }),
      { numRuns: 400, seed: 20_261_129 },
    );
  });

  it('agree with a brute-force search on random small histories with arbitrary outputs', () => {
    const value = fc.constantFrom(null, 'a', 'b');
    const operation = fc.record({
      input: fc.oneof(
        fc.constant({ kind: 'get' as const }),
        fc.record({ kind: fc.constant('put' as const), value: fc.constantFrom('a', 'b') }),
        fc.record({ kind: fc.constant('cas' as const), expected: value, value: fc.constantFrom('a', 'b') }),
        fc.constant({ kind: 'delete' as const }),
      ),
      outcome: fc.constantFrom('ok', 'ok', 'ok', 'unknown', 'failed'),
      readValue: value,
      swapped: fc.boolean(),
      invokedAt: fc.integer({ min: 0, max: 20 }),
      duration: fc.integer({ min: 0, max: 10 }),
    });
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 7 }), (drawn) => {
        const history: HistoryOperation[] = drawn.map((op, id) => {
          const built: HistoryOperation = {
            id,
            clientId: id,
            key: 'k',
            input: op.input,
            outcome: op.outcome as HistoryOperation['outcome'],
            invokedAt: op.invokedAt,
            returnedAt: op.invokedAt + op.duration,
          };
          if (op.outcome === 'ok') built.output = outputFor(op.input.kind, op.readValue, op.swapped);
          return built;
        });
        expect(checkHistory(history).linearizable).toBe(isLinearizableByBruteForce(history));
      }),
      { numRuns: 500, seed: 20_261_129 },
    );
  });
});

function outputFor(kind: 'get' | 'put' | 'cas' | 'delete', readValue: string | null, swapped: boolean) {
  switch (kind) {
    case 'get':
      return { kind, value: readValue };
    case 'cas':
      return { kind, swapped };
    default:
      return { kind };
  }
}

/**
 * With every value written once, a read of value v is surely stale if an acknowledged write of
 * another value began after v's only write had returned and returned before the read began.
 */
function findSurelyStaleRead(history: HistoryOperation[], pick: number) {
  const reads = history.filter((op) => op.outcome === 'ok' && op.output?.kind === 'get');
  if (reads.length === 0) return undefined;
  const read = reads[pick % reads.length]!;
  const writes = history.filter((op) => op.key === read.key && (op.input.kind === 'put' || op.input.kind === 'cas'));
  const definiteWrites = writes.filter(
    (op) => op.outcome === 'ok' && (op.output?.kind !== 'cas' || op.output.swapped),
  );
  for (const old of definiteWrites) {
    if (old.input.kind !== 'put' && old.input.kind !== 'cas') continue;
    const overwritten = definiteWrites.some(
      (newer) => newer.invokedAt > old.returnedAt && newer.returnedAt < read.invokedAt,
    );
    if (overwritten) return { read, value: old.input.value };
  }
  return undefined;
}

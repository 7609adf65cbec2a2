import { describe, expect, it } from 'vitest';
import { generateFaultyHistory, type PlantedFault } from '../src/generate.js';
import { checkHistory, type Violation } from '../src/index.js';
import { checkKeyOperations } from '../src/key-check.js';
import { isLinearizableByBruteForce } from './helpers.js';

/**
 * How usable the explanations are on register histories shaped like Jepsen's etcd ones: one key,
 * a third each of read, write and cas over five values, a few clients, some timeouts and failures,
 * and one planted fault per history. The seed set is fixed; shrinking is bounded by search steps,
 * not wall-clock time, so the figures are the same on any machine. The README quotes them.
 */
const FAULTS: readonly PlantedFault[] = ['stale-read', 'lost-write', 'reordered-writes'];
const SEEDS_PER_FAULT = 80;
const FAILING_SET_MEDIAN_MAX = 15;
const NAMED_SHARE_MIN = 0.8;

interface Measured {
  fault: PlantedFault;
  seed: number;
  violation: Violation;
}

/** Search budgets in steps, so that the figures do not depend on the machine's speed. */
const CHECK_OPTIONS = {
  stepBudgetPerKey: 1_000_000,
  timeBudgetMsPerKey: 10 * 60_000,
  minimizeStepBudgetPerViolation: 2_000_000,
  minimizeBudgetMsPerViolation: 10 * 60_000,
};

function measure(
  clientCount: (seed: number) => number,
  seedsPerFault: number,
): { histories: number; failing: Measured[]; undecided: number } {
  const failing: Measured[] = [];
  let undecided = 0;
  let histories = 0;
  for (const fault of FAULTS) {
    for (let seed = 1; seed <= seedsPerFault; seed += 1) {
      histories += 1;
      const history = generateFaultyHistory(
        {
          seed,
          operationCount: 200,
          keyCount: 1,
          clientCount: clientCount(seed),
          unknownRatio: 0.05,
          failedRatio: 0.05,
          valueAlphabetSize: 5,
          mix: 'register',
        },
        fault,
      );
      const result = checkHistory(history, CHECK_OPTIONS);
      if (result.undecidedKeys.length > 0) undecided += 1;
      const violation = result.violations[0];
      if (violation !== undefined) failing.push({ fault, seed, violation });
    }
  }
  return { histories, failing, undecided };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function summarize(measured: ReturnType<typeof measure>) {
  const sizes = measured.failing.map((m) => m.violation.operations.length);
  const named = measured.failing.filter((m) => m.violation.rule !== 'no-order');
  const byRule: Record<string, number> = {};
  for (const m of measured.failing) byRule[m.violation.rule] = (byRule[m.violation.rule] ?? 0) + 1;
  return {
    histories: measured.histories,
    failing: measured.failing.length,
    undecided: measured.undecided,
    medianFailingSet: median(sizes),
    largestFailingSet: Math.max(...sizes),
    namedShare: named.length / measured.failing.length,
    byRule,
  };
}

describe('explanations of planted faults in register histories', () => {
  it('name a rule for most and shrink the failing set to a median of 15 operations or fewer (3-6 clients)', { timeout: 120_000 }, () => {
    const measured = measure((seed) => 3 + (seed % 4), SEEDS_PER_FAULT);
    const summary = summarize(measured);
    console.log(`3-6 clients: ${JSON.stringify(summary)}`);
    expect(summary.failing).toBeGreaterThan(40);
    expect(summary.medianFailingSet).toBeLessThanOrEqual(FAILING_SET_MEDIAN_MAX);
    expect(summary.namedShare).toBeGreaterThanOrEqual(NAMED_SHARE_MIN);
    for (const { violation } of measured.failing) {
      // Every reported set is itself a history no order explains: by brute force when small enough,
      // else by the search.
      if (violation.operations.length <= 8) expect(isLinearizableByBruteForce(violation.operations)).toBe(false);
      const budget = { deadlineMs: Number.POSITIVE_INFINITY, stepsMax: 5_000_000 };
      expect(checkKeyOperations(violation.operations, null, budget).verdict).toBe('violation');
    }
  });

  it('keep the median bound with ten clients on the key, where overlaps make the search itself costly', { timeout: 120_000 }, () => {
    const summary = summarize(measure(() => 10, 40));
    console.log(`10 clients: ${JSON.stringify(summary)}`);
    expect(summary.failing).toBeGreaterThan(10);
    expect(summary.namedShare).toBeGreaterThanOrEqual(NAMED_SHARE_MIN);
    expect(summary.medianFailingSet).toBeLessThanOrEqual(FAILING_SET_MEDIAN_MAX);
  });
});

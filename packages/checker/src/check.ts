import { formatExplanation, noOrderSentence, windowClause } from './explain.js';
import { checkKeyOperations } from './key-check.js';
import { type ShrunkViolation, shrinkViolation } from './minimize.js';
import { findRuleViolation, type RuleFinding } from './rules.js';
import type { CheckOptions, CheckResult, HistoryOperation, Violation } from './types.js';
import { validateHistory } from './validate.js';

const TIME_BUDGET_MS_PER_KEY_DEFAULT = 10_000;
const STEP_BUDGET_PER_KEY_DEFAULT = 50_000_000;
const MINIMIZE_BUDGET_MS_PER_VIOLATION_DEFAULT = 2_000;
const MINIMIZE_STEP_BUDGET_PER_VIOLATION_DEFAULT = 20_000_000;
/** Steps of the first, short search that passes the easy linearizable keys before the rules run. */
const SCREEN_STEPS_MAX = 100_000;

/**
 * Checks that `history` is linearizable for a key-value register per key. Keys are independent
 * (P-compositionality: a history is linearizable iff each key's sub-history is), so each key is
 * searched on its own, which keeps the search small. Failed operations are dropped first.
 */
export function checkHistory(history: readonly HistoryOperation[], options: CheckOptions = {}): CheckResult {
  const startedMs = performance.now();
  validateHistory(history);
  const timeBudgetMs = options.timeBudgetMsPerKey ?? TIME_BUDGET_MS_PER_KEY_DEFAULT;
  const stepsMax = options.stepBudgetPerKey ?? STEP_BUDGET_PER_KEY_DEFAULT;
  const minimizeBudgetMs = options.minimizeBudgetMsPerViolation ?? MINIMIZE_BUDGET_MS_PER_VIOLATION_DEFAULT;
  const minimizeStepsMax = options.minimizeStepBudgetPerViolation ?? MINIMIZE_STEP_BUDGET_PER_VIOLATION_DEFAULT;
  const initialValueOf = options.initialValue ?? (() => null);
  const { operationsByKey, keysChecked } = groupByKey(history);
  const violations: Violation[] = [];
  const undecidedKeys: string[] = [];
  let operationsChecked = 0;
  for (const [key, operations] of operationsByKey) {
    operationsChecked += operations.length;
    const initialValue = initialValueOf(key);
    const deadlineMs = performance.now() + timeBudgetMs;
    // Most keys are linearizable and a short search proves it; no rule can fire on those, so the
    // rules (which index the whole key) run only where that screen did not pass the key.
    const screen = checkKeyOperations(operations, initialValue, { deadlineMs, stepsMax: Math.min(stepsMax, SCREEN_STEPS_MAX) });
    if (screen.verdict === 'linearizable') continue;
    // A named rule is a proof found without the full search, and its operations are the explanation.
    const named = findRuleViolation(operations, [initialValue]);
    if (named !== undefined) {
      violations.push(violationOf(key, named));
      continue;
    }
    const { verdict, steps } =
      screen.verdict === 'violation' ? screen : checkKeyOperations(operations, initialValue, { deadlineMs, stepsMax });
    if (verdict === 'undecided') undecidedKeys.push(key);
    if (verdict !== 'violation') continue;
    const budget = { deadlineMs: performance.now() + minimizeBudgetMs, stepsMax: minimizeStepsMax, provenInSteps: steps };
    violations.push(shrunkViolationOf(key, shrinkViolation(operations, initialValue, budget)));
  }
  return {
    linearizable: violations.length === 0 && undecidedKeys.length === 0,
    keysChecked,
    operationsChecked,
    violations,
    undecidedKeys,
    elapsedMs: performance.now() - startedMs,
  };
}

function shrunkViolationOf(key: string, shrunk: ShrunkViolation): Violation {
  const windowText = shrunk.window === undefined ? '' : windowClause(shrunk.window);
  const rule = shrunk.finding?.rule ?? 'no-order';
  const sentence = (shrunk.finding?.sentence ?? noOrderSentence(shrunk.operations)) + windowText;
  return { key, rule, operations: shrunk.operations, explanation: formatExplanation(rule, sentence, shrunk.operations) };
}

function violationOf(key: string, finding: RuleFinding): Violation {
  return {
    key,
    rule: finding.rule,
    operations: finding.operations,
    explanation: formatExplanation(finding.rule, finding.sentence, finding.operations),
  };
}

function groupByKey(history: readonly HistoryOperation[]): {
  operationsByKey: Map<string, HistoryOperation[]>;
  keysChecked: number;
} {
  const keys = new Set<string>();
  const operationsByKey = new Map<string, HistoryOperation[]>();
  for (const operation of history) {
    keys.add(operation.key);
    if (operation.outcome === 'failed') continue;
    let operations = operationsByKey.get(operation.key);
    if (operations === undefined) {
      operations = [];
      operationsByKey.set(operation.key, operations);
    }
    operations.push(operation);
  }
  return { operationsByKey, keysChecked: keys.size };
}

import { explainViolation } from './explain.js';
import { checkKeyOperations } from './key-check.js';
import { minimizeViolation } from './minimize.js';
import type { CheckOptions, CheckResult, HistoryOperation, Violation } from './types.js';
import { validateHistory } from './validate.js';

const TIME_BUDGET_MS_PER_KEY_DEFAULT = 10_000;
const STEP_BUDGET_PER_KEY_DEFAULT = 50_000_000;
const MINIMIZE_BUDGET_MS_PER_VIOLATION_DEFAULT = 2_000;

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
  const initialValueOf = options.initialValue ?? (() => null);
  const { operationsByKey, keysChecked } = groupByKey(history);
  const violations: Violation[] = [];
  const undecidedKeys: string[] = [];
  let operationsChecked = 0;
  for (const [key, operations] of operationsByKey) {
    operationsChecked += operations.length;
    const initialValue = initialValueOf(key);
    const deadlineMs = performance.now() + timeBudgetMs;
    const verdict = checkKeyOperations(operations, initialValue, { deadlineMs, stepsMax });
    if (verdict === 'undecided') undecidedKeys.push(key);
    if (verdict !== 'violation') continue;
    const minimal = minimizeViolation(operations, initialValue, performance.now() + minimizeBudgetMs);
    minimal.sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
    violations.push({ key, operations: minimal, explanation: explainViolation(minimal, initialValue) });
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

import { compileOperation, ValueInterner } from './model.js';
import { type SearchBudget, type SearchOperation, type SearchResult, searchLinearization } from './search.js';
import type { HistoryOperation } from './types.js';

/** Runs the search over the 'ok' and 'unknown' operations of one key (failed ones must be removed). */
export function checkKeyOperations(
  operations: readonly HistoryOperation[],
  initialValue: string | null,
  budget: SearchBudget,
): SearchResult {
  const values = new ValueInterner();
  const initialState = values.idOf(initialValue);
  const searchOperations: SearchOperation[] = withoutUnobservableUnknowns(operations).map((operation) => ({
    model: compileOperation(operation, values),
    invokedAt: operation.invokedAt,
    returnedAt: operation.outcome === 'ok' ? operation.returnedAt : Number.POSITIVE_INFINITY,
  }));
  return searchLinearization(searchOperations, initialState, budget);
}

/**
 * Drops unknown operations that cannot change the verdict, because each one left in multiplies the
 * search (it may happen at any later point, or never). An unknown get constrains nothing. An unknown
 * write whose value no operation observes (no get returned it, no cas expects it) can be taken out
 * of any linearization without breaking it, provided no cas that reported "not swapped" may come
 * after it: the operations between it and the next write would then see the previous value instead,
 * which only a get or a cas expecting the written value could tell apart.
 */
export function withoutUnobservableUnknowns(operations: readonly HistoryOperation[]): HistoryOperation[] {
  const observed = new Set<string | null>();
  let lastNotSwappedCasReturnedAt = Number.NEGATIVE_INFINITY;
  for (const operation of operations) {
    if (operation.input.kind === 'cas') observed.add(operation.input.expected);
    if (operation.outcome !== 'ok') continue;
    if (operation.output?.kind === 'get') observed.add(operation.output.value);
    if (operation.output?.kind === 'cas' && !operation.output.swapped) {
      lastNotSwappedCasReturnedAt = Math.max(lastNotSwappedCasReturnedAt, operation.returnedAt);
    }
  }
  return operations.filter((operation) => {
    if (operation.outcome !== 'unknown') return true;
    if (operation.input.kind === 'get') return false;
    const written = operation.input.kind === 'delete' ? null : operation.input.value;
    return observed.has(written) || lastNotSwappedCasReturnedAt >= operation.invokedAt;
  });
}

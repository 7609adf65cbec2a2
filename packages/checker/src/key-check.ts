import { compileOperation, ValueInterner } from './model.js';
import { type SearchBudget, type SearchOperation, type SearchVerdict, searchLinearization } from './search.js';
import type { HistoryOperation } from './types.js';

/** Runs the search over the 'ok' and 'unknown' operations of one key (failed ones must be removed). */
export function checkKeyOperations(
  operations: readonly HistoryOperation[],
  initialValue: string | null,
  budget: SearchBudget,
): SearchVerdict {
  const values = new ValueInterner();
  const initialState = values.idOf(initialValue);
  const searchOperations: SearchOperation[] = operations.map((operation) => ({
    model: compileOperation(operation, values),
    invokedAt: operation.invokedAt,
    returnedAt: operation.outcome === 'ok' ? operation.returnedAt : Number.POSITIVE_INFINITY,
  }));
  return searchLinearization(searchOperations, initialState, budget);
}

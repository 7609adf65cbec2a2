import { HistoryValidationError } from './errors.js';
import type { HistoryOperation } from './types.js';

/** Rejects a malformed history before any search, so a verdict is never drawn from bad input. */
export function validateHistory(history: readonly HistoryOperation[]): void {
  const seenIds = new Set<number>();
  for (const operation of history) {
    if (seenIds.has(operation.id)) {
      throw new HistoryValidationError('DUPLICATE_ID', operation.id, 'id appears more than once');
    }
    seenIds.add(operation.id);
    validateOperation(operation);
  }
}

function validateOperation(operation: HistoryOperation): void {
  const { id, input, outcome, output } = operation;
  if (typeof operation.key !== 'string') {
    throw new HistoryValidationError('BAD_INPUT', id, 'key must be a string');
  }
  if (!['get', 'put', 'cas', 'delete'].includes(input.kind)) {
    throw new HistoryValidationError('BAD_INPUT', id, `unknown input kind ${String(input.kind)}`);
  }
  if (!Number.isFinite(operation.invokedAt)) {
    throw new HistoryValidationError('BAD_TIME', id, `invokedAt ${operation.invokedAt} is not finite`);
  }
  if (outcome !== 'ok' && outcome !== 'failed' && outcome !== 'unknown') {
    throw new HistoryValidationError('BAD_INPUT', id, `unknown outcome ${String(outcome)}`);
  }
  if (outcome !== 'ok') return;
  if (!Number.isFinite(operation.returnedAt)) {
    throw new HistoryValidationError('BAD_TIME', id, `returnedAt ${operation.returnedAt} is not finite`);
  }
  if (operation.returnedAt < operation.invokedAt) {
    throw new HistoryValidationError(
      'RETURNED_BEFORE_INVOKED',
      id,
      `returnedAt ${operation.returnedAt} precedes invokedAt ${operation.invokedAt}`,
    );
  }
  if (output === undefined) {
    throw new HistoryValidationError('MISSING_OUTPUT', id, "an 'ok' operation needs an output");
  }
  if (output.kind !== input.kind) {
    throw new HistoryValidationError(
      'OUTPUT_KIND_MISMATCH',
      id,
      `input is ${input.kind} but output is ${output.kind}`,
    );
  }
}

export type HistoryValidationCode =
  | 'DUPLICATE_ID'
  | 'MISSING_OUTPUT'
  | 'OUTPUT_KIND_MISMATCH'
  | 'BAD_TIME'
  | 'RETURNED_BEFORE_INVOKED'
  | 'BAD_INPUT';

/** The history handed to the checker is malformed; nothing was checked. */
export class HistoryValidationError extends Error {
  override readonly name = 'HistoryValidationError';
  readonly code: HistoryValidationCode;
  readonly operationId: number;

  constructor(code: HistoryValidationCode, operationId: number, message: string) {
    super(`operation ${operationId}: ${message}`);
    this.code = code;
    this.operationId = operationId;
  }
}

/** A broken internal invariant: a bug in the checker, never a verdict about the history. */
export class CheckerInvariantError extends Error {
  override readonly name = 'CheckerInvariantError';
  readonly code = 'INVARIANT';
}

export function assertInvariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new CheckerInvariantError(message());
}

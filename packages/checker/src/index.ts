export { checkHistory } from './check.js';
export { HistoryValidationError, type HistoryValidationCode, CheckerInvariantError } from './errors.js';
export { describeOperation } from './describe.js';
export { generateLinearizableHistory, type GenerateHistoryOptions } from './generate.js';
export { HistoryRecorder, type OperationHandle, RecorderError } from './recorder.js';
export type {
  CheckOptions,
  CheckResult,
  HistoryOperation,
  KvInput,
  KvOutput,
  Outcome,
  Violation,
  ViolationRule,
} from './types.js';

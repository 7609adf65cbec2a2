/** What a client asked of one key. `cas` with `expected: null` swaps only if the key is absent. */
export type KvInput =
  | { kind: 'get' }
  | { kind: 'put'; value: string }
  | { kind: 'cas'; expected: string | null; value: string }
  | { kind: 'delete' };

/** What the store answered. A `cas` with `swapped: false` read a value other than `expected`. */
export type KvOutput =
  | { kind: 'get'; value: string | null }
  | { kind: 'put' }
  | { kind: 'cas'; swapped: boolean }
  | { kind: 'delete' };

/**
 * ok: the operation took effect and returned `output`.
 * failed: the operation definitely did not take effect; the checker ignores it.
 * unknown: the operation may have taken effect at any time after its invocation, or never.
 */
export type Outcome = 'ok' | 'failed' | 'unknown';

export interface HistoryOperation {
  /** Unique in the history. */
  id: number;
  clientId: number;
  key: string;
  input: KvInput;
  outcome: Outcome;
  /** Present when outcome is 'ok'. */
  output?: KvOutput;
  /** Monotonic time; any unit, as long as every operation of a history uses the same one. */
  invokedAt: number;
  /** Ignored for 'unknown' operations, which are treated as returning at +Infinity. */
  returnedAt: number;
}

/**
 * The named shape a violation was proved by (see the README for each), or 'no-order' when no
 * named rule applies and the search's shrunk sub-history is the proof.
 */
export type ViolationRule =
  | 'value-from-nowhere'
  | 'future-read'
  | 'stale-read'
  | 'lost-write'
  | 'duplicate-effect'
  | 'cas-anomaly'
  | 'no-order';

export interface Violation {
  key: string;
  rule: ViolationRule;
  /** A small sub-history of the key that cannot be linearized, ordered by invocation time. */
  operations: HistoryOperation[];
  /** The rule in words, one sentence, and the operations one per line with their times. */
  explanation: string;
}

export interface CheckResult {
  /** False if any key has a violation or could not be decided within its budget. */
  linearizable: boolean;
  keysChecked: number;
  /** Operations considered by the search: 'ok' and 'unknown' ones ('failed' ones are excluded). */
  operationsChecked: number;
  /** One per key that is not linearizable. */
  violations: Violation[];
  /** Keys whose search ran out of its time or step budget; they are neither proven good nor bad. */
  undecidedKeys: string[];
  elapsedMs: number;
}

export interface CheckOptions {
  /** Wall-clock budget for the search of one key. Default 10 000 ms. */
  timeBudgetMsPerKey?: number;
  /** Search steps (candidate linearizations tried) allowed for one key. Default 50 million. */
  stepBudgetPerKey?: number;
  /** Value of every key before the history begins. Default: absent (null). */
  initialValue?: (key: string) => string | null;
  /** Wall-clock budget for shrinking one violation to a small sub-history. Default 2 000 ms. */
  minimizeBudgetMsPerViolation?: number;
  /**
   * Search steps allowed for shrinking one violation, summed over its attempts. Default 20 million.
   * Unlike the wall-clock budget it gives the same result on any machine.
   */
  minimizeStepBudgetPerViolation?: number;
}

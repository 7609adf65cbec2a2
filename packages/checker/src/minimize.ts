import { checkKeyOperations } from './key-check.js';
import { findRuleViolation, type RuleFinding } from './rules.js';
import type { HistoryOperation } from './types.js';

/** Least per-attempt step cap while shrinking: an attempt that cannot decide keeps its operations. */
const SHRINK_ATTEMPT_STEPS_MIN = 200_000;

export interface ShrinkBudget {
  deadlineMs: number;
  /** Search steps for all attempts together; the deterministic bound (the deadline is the safety net). */
  stepsMax: number;
  /** Steps the search took to prove the whole key failing: a smaller history rarely needs more. */
  provenInSteps: number;
}

export interface ShrunkViolation {
  /** Operations of the original history (original outcomes and times), ordered by invocation. */
  operations: HistoryOperation[];
  /** The named rule they prove, if one applies. */
  finding: RuleFinding | undefined;
  /**
   * Set when the operations that returned by `startsAfter` were cut away: the proof holds from
   * each of `states`, the values the key may have held then. The operations include the writes
   * those values come from, so they remain a history that no order explains.
   */
  window: { startsAfter: number; states: (string | null)[] } | undefined;
}

/**
 * Shrinks a key's failing history to a few operations that still prove it is not linearizable:
 * 1. the end is cut at the earliest return after which the history is already not linearizable
 *    (operations still open there become unknown, which can only weaken them);
 * 2. the start is cut at the latest return such that what follows fails whatever the key held
 *    then (see cutFrontWhileFailing);
 * 3. operations are removed while the rest still fails (delta debugging), trying only removals
 *    that cannot create a failure (see withDependents), so the rest fails for the key's own reason;
 * 4. the named rules are tried on each stage; the first that fires gives the reported operations.
 * Every stage's failure implies the original's, so the reported operations are a proof.
 */
export function shrinkViolation(
  operations: readonly HistoryOperation[],
  initialValue: string | null,
  budget: ShrinkBudget,
): ShrunkViolation {
  const originals = new Map(operations.map((operation) => [operation.id, operation]));
  const toOriginals = (subset: readonly HistoryOperation[]): HistoryOperation[] =>
    subset.map((operation) => originals.get(operation.id)!).sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  const report = (subset: readonly HistoryOperation[], finding: RuleFinding | undefined, window?: Window): ShrunkViolation => {
    const operations = toOriginals([...(finding?.operations ?? subset), ...(window?.lastWrites ?? [])]);
    return {
      operations,
      finding: finding === undefined ? undefined : { ...finding, operations },
      window: window?.startsAfter === undefined ? undefined : { startsAfter: window.startsAfter, states: window.states },
    };
  };
  const direct = findRuleViolation(operations, [initialValue]);
  if (direct !== undefined) return report(operations, direct);
  const attempts = new AttemptBudget(budget);
  const cut = cutAtEarliestViolation(operations, initialValue, attempts);
  const afterCut = findRuleViolation(cut, [initialValue]);
  if (afterCut !== undefined) return report(cut, afterCut);
  const window = cutFrontWhileFailing(cut, initialValue, attempts);
  const inWindow = findRuleViolation(window.operations, window.states);
  if (inWindow !== undefined) return report(window.operations, inWindow, window);
  const minimal = removeWhileFailing(window.operations, window.states, attempts);
  return report(minimal, findRuleViolation(minimal, window.states), window);
}

/** Shares the shrink budget among attempts; an attempt out of budget counts as "not proven". */
class AttemptBudget {
  private stepsLeft: number;

  private readonly stepsPerAttemptMax: number;

  constructor(private readonly budget: ShrinkBudget) {
    this.stepsLeft = budget.stepsMax;
    this.stepsPerAttemptMax = Math.max(SHRINK_ATTEMPT_STEPS_MIN, 2 * budget.provenInSteps);
  }

  get exhausted(): boolean {
    return this.stepsLeft <= 0 || performance.now() > this.budget.deadlineMs;
  }

  /** True when `candidate` is proven not linearizable from each of `initialValues`. */
  failsFromEach(candidate: readonly HistoryOperation[], initialValues: readonly (string | null)[]): boolean {
    return initialValues.every((initialValue) => this.fails(candidate, initialValue));
  }

  /** True when `candidate` is proven not linearizable within this attempt's share. */
  fails(candidate: readonly HistoryOperation[], initialValue: string | null): boolean {
    if (this.exhausted) return false;
    if (findRuleViolation(candidate, [initialValue]) !== undefined) return true;
    const stepsMax = Math.min(this.stepsPerAttemptMax, this.stepsLeft);
    const result = checkKeyOperations(candidate, initialValue, { deadlineMs: this.budget.deadlineMs, stepsMax });
    this.stepsLeft -= result.steps;
    return result.verdict === 'violation';
  }
}

/**
 * The history as it stood at time t: operations invoked by t, those not returned by t unknown.
 * If it is not linearizable, neither is the whole (a linearization of the whole, cut after its last
 * operation that returned by t, would explain it), and the property is monotone in t, so the
 * earliest failing cut is found by binary search over return times.
 */
function cutAtEarliestViolation(
  operations: readonly HistoryOperation[],
  initialValue: string | null,
  attempts: AttemptBudget,
): HistoryOperation[] {
  const times = returnTimes(operations);
  let low = 0;
  let high = times.length - 1;
  let earliest: HistoryOperation[] = [...operations];
  while (low < high) {
    const middle = (low + high) >>> 1;
    const candidate = historyAt(operations, times[middle]!);
    if (attempts.fails(candidate, initialValue)) {
      earliest = candidate;
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return earliest;
}

function returnTimes(operations: readonly HistoryOperation[]): number[] {
  return [...new Set(operations.filter((op) => op.outcome === 'ok').map((op) => op.returnedAt))].sort((a, b) => a - b);
}

function historyAt(operations: readonly HistoryOperation[], time: number): HistoryOperation[] {
  const cut: HistoryOperation[] = [];
  for (const operation of operations) {
    if (operation.invokedAt > time) continue;
    cut.push(operation.outcome === 'ok' && operation.returnedAt > time ? asUnknown(operation) : operation);
  }
  return cut;
}

function asUnknown(operation: HistoryOperation): HistoryOperation {
  const { output: _answerIgnored, ...rest } = operation;
  return { ...rest, outcome: 'unknown', returnedAt: Number.POSITIVE_INFINITY };
}

/** Initial values tried for a window: more and the front cut is not worth its searches. */
const WINDOW_STATES_MAX = 12;

interface Window {
  operations: HistoryOperation[];
  /** Every state the key may have held when the window began. */
  states: (string | null)[];
  /** The time the window begins after; undefined when nothing was cut. */
  startsAfter: number | undefined;
  /** The acknowledged writes cut away that may have been the last before the window. */
  lastWrites: HistoryOperation[];
}

/**
 * The operations that returned by time t are dropped; those invoked by t and still open become
 * unknown. Take any linearization of the whole: every operation invoked after t comes after all the
 * dropped ones, so from the state s right after the last dropped one, the rest of that
 * linearization (less the open operations placed before it, which as unknown may be left out)
 * explains the window. So a window that fails from every state s the key may have held at t proves
 * the whole fails. s is the initial value or the value of a write invoked by t that no write
 * acknowledged by t began after. Failing is monotone in t, so the latest such t is found by binary
 * search over return times.
 */
function cutFrontWhileFailing(
  operations: readonly HistoryOperation[],
  initialValue: string | null,
  attempts: AttemptBudget,
): Window {
  const times = returnTimes(operations);
  let best: Window = { operations: [...operations], states: [initialValue], startsAfter: undefined, lastWrites: [] };
  let low = 0;
  let high = times.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const candidate = windowAfter(operations, initialValue, times[middle]!);
    const fails =
      candidate !== undefined &&
      candidate.states.length <= WINDOW_STATES_MAX &&
      attempts.failsFromEach(candidate.operations, candidate.states);
    if (fails) {
      best = candidate;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return best;
}

function windowAfter(operations: readonly HistoryOperation[], initialValue: string | null, time: number): Window | undefined {
  const dropped = operations.filter((operation) => operation.outcome === 'ok' && operation.returnedAt <= time);
  const kept = operations
    .filter((operation) => !(operation.outcome === 'ok' && operation.returnedAt <= time))
    .map((operation) => (operation.invokedAt <= time ? asUnknown(operation) : operation));
  if (kept.every((operation) => operation.outcome !== 'ok')) return undefined;
  const droppedWrites = dropped.filter((operation) => !isPureRead(operation));
  const lastWriteBeganAt = droppedWrites.reduce((latest, operation) => Math.max(latest, operation.invokedAt), Number.NEGATIVE_INFINITY);
  const states = new Set<string | null>();
  if (lastWriteBeganAt === Number.NEGATIVE_INFINITY) states.add(initialValue);
  for (const operation of operations) {
    if (operation.invokedAt > time || isPureRead(operation)) continue;
    const returnedAt = operation.outcome === 'ok' ? operation.returnedAt : Number.POSITIVE_INFINITY;
    // A write that returned before an acknowledged write began cannot be the last one.
    if (returnedAt < lastWriteBeganAt) continue;
    states.add(writtenValueOf(operation));
  }
  const lastWrites = droppedWrites.filter((operation) => operation.returnedAt >= lastWriteBeganAt);
  return { operations: kept, states: [...states], startsAfter: time, lastWrites };
}

/**
 * Greedy delta debugging: drop chunks of operations (halving the chunk size down to one), each
 * with the operations that depend on it (see withDependents), while the rest still fails, latest
 * operations first. Stops when the budget runs out with the smallest failing history found so far.
 */
function removeWhileFailing(
  operations: readonly HistoryOperation[],
  initialValues: readonly (string | null)[],
  attempts: AttemptBudget,
): HistoryOperation[] {
  let current = [...operations];
  for (let chunk = Math.max(1, current.length >> 1); chunk >= 1; chunk = chunk === 1 ? 0 : chunk >> 1) {
    for (let start = current.length - chunk; start > -chunk; start -= chunk) {
      if (attempts.exhausted) return current;
      const from = Math.max(0, start);
      const removed = withDependents(current, current.slice(from, start + chunk));
      const candidate = current.filter((operation) => !removed.has(operation));
      if (removed.size === 0 || candidate.length === 0) continue;
      if (attempts.failsFromEach(candidate, initialValues)) current = candidate;
    }
  }
  return current;
}

/**
 * `chunk` plus what must go with it so that removing them cannot create a failure: every
 * linearization of the whole, with the removed operations taken out, must remain a linearization
 * of the rest. Pure reads (gets, cas that did not swap) can always go. A write can go when nothing
 * left depends on it: no get left returned its value, no cas left expected it, and no cas left that
 * did not swap may come after it (its miss might have been owed to the removed write). Those
 * dependents are removed with it, and, when they are writes too, their own dependents.
 */
function withDependents(current: readonly HistoryOperation[], chunk: readonly HistoryOperation[]): Set<HistoryOperation> {
  const removed = new Set(chunk);
  const removedValues = new Set<string | null>();
  let earliestRemovedWriteAt = Number.POSITIVE_INFINITY;
  const noteWrite = (operation: HistoryOperation): void => {
    if (isPureRead(operation)) return;
    removedValues.add(writtenValueOf(operation));
    earliestRemovedWriteAt = Math.min(earliestRemovedWriteAt, operation.invokedAt);
  };
  chunk.forEach(noteWrite);
  let grew = removedValues.size > 0;
  while (grew) {
    grew = false;
    for (const operation of current) {
      if (removed.has(operation) || !dependsOnRemoved(operation, removedValues, earliestRemovedWriteAt)) continue;
      removed.add(operation);
      noteWrite(operation);
      grew = true;
    }
  }
  return removed;
}

function dependsOnRemoved(operation: HistoryOperation, removedValues: Set<string | null>, earliestRemovedWriteAt: number): boolean {
  if (operation.input.kind === 'cas') {
    if (removedValues.has(operation.input.expected)) return true;
    const missed = operation.output?.kind === 'cas' && !operation.output.swapped;
    return missed && operation.returnedAt >= earliestRemovedWriteAt;
  }
  return operation.output?.kind === 'get' && removedValues.has(operation.output.value);
}

function isPureRead(operation: HistoryOperation): boolean {
  if (operation.input.kind === 'get') return true;
  return operation.outcome === 'ok' && operation.output?.kind === 'cas' && !operation.output.swapped;
}

function writtenValueOf(operation: HistoryOperation): string | null {
  return operation.input.kind === 'put' || operation.input.kind === 'cas' ? operation.input.value : null;
}

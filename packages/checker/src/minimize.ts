import { checkKeyOperations, findImpossibleRead } from './key-check.js';
import type { HistoryOperation } from './types.js';

/** Per-attempt step cap while shrinking: an attempt that cannot decide quickly keeps its operations. */
const SHRINK_ATTEMPT_STEPS_MAX = 200_000;

/**
 * Greedy delta debugging: drop chunks of operations (halving the chunk size down to one) while the
 * rest still fails. Only drops that cannot turn a linearizable history into a failing one are tried
 * (see isSafeRemoval), so the result is a sub-history that fails for the same reason the whole key
 * did, not one whose failure the shrinking itself created. Stops at `deadlineMs` with the smallest
 * failing history found so far.
 */
export function minimizeViolation(
  operations: readonly HistoryOperation[],
  initialValue: string | null,
  deadlineMs: number,
): HistoryOperation[] {
  const impossible = findImpossibleRead(operations, initialValue);
  if (impossible !== undefined) return [impossible.read, ...impossible.laterWriters];
  let current = [...operations];
  const stillFails = (candidate: readonly HistoryOperation[]): boolean =>
    checkKeyOperations(candidate, initialValue, { deadlineMs, stepsMax: SHRINK_ATTEMPT_STEPS_MAX }) === 'violation';
  for (let chunk = Math.max(1, current.length >> 1); chunk >= 1; chunk = chunk === 1 ? 0 : chunk >> 1) {
    for (let start = current.length - chunk; start > -chunk; start -= chunk) {
      if (performance.now() > deadlineMs) return current;
      const from = Math.max(0, start);
      const removed = current.slice(from, start + chunk);
      const candidate = [...current.slice(0, from), ...current.slice(start + chunk)];
      if (removed.length === 0 || candidate.length === 0) continue;
      if (!isSafeRemoval(candidate, removed)) continue;
      if (stillFails(candidate)) current = candidate;
    }
  }
  return current;
}

/**
 * Removing `removed` from a history is safe when every linearization of the whole history, with the
 * removed operations taken out, is still a linearization of `candidate`. That holds when each removed
 * operation is a pure read (a get, or a cas that did not swap), or a write whose value no remaining
 * operation observes while no remaining cas relies on a miss: then every remaining operation that
 * could have seen the removed write's value sees none of it, and nothing it decides changes.
 */
function isSafeRemoval(candidate: readonly HistoryOperation[], removed: readonly HistoryOperation[]): boolean {
  const removedWrites = removed.filter((operation) => !isPureRead(operation));
  if (removedWrites.length === 0) return true;
  const observed = new Set<string | null>();
  for (const operation of candidate) {
    if (operation.output?.kind === 'cas' && !operation.output.swapped) return false;
    if (operation.output?.kind === 'get') observed.add(operation.output.value);
    if (operation.input.kind === 'cas') observed.add(operation.input.expected);
  }
  return removedWrites.every((operation) => !observed.has(writtenValueOf(operation)));
}

function isPureRead(operation: HistoryOperation): boolean {
  if (operation.input.kind === 'get') return true;
  return operation.outcome === 'ok' && operation.output?.kind === 'cas' && !operation.output.swapped;
}

function writtenValueOf(operation: HistoryOperation): string | null {
  return operation.input.kind === 'put' || operation.input.kind === 'cas' ? operation.input.value : null;
}

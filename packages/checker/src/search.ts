import { assertInvariant } from './errors.js';
import { INVALID, type ModelOperation, stepModel } from './model.js';

/**
 * Wing & Gong's linearizability search with Lowe's memoization (the WGL search of Knossos and
 * Porcupine). Call and return events sit in a doubly linked list in time order; the calls before the
 * first return still in the list may be linearized next. The search walks the list from its head:
 * at a call, it linearizes the operation if the model accepts it and the (linearized set, state)
 * pair is new, lifting the call and its return out of the list and starting again from the head; at
 * a return whose call is still pending, it undoes the most recent choice and tries the next call.
 *
 * Unknown operations have no return event: they may be linearized at any point after their call, or
 * never, so the search succeeds as soon as every definite operation is placed.
 */
export interface SearchOperation {
  model: ModelOperation;
  invokedAt: number;
  /** +Infinity for unknown operations. */
  returnedAt: number;
}

export interface SearchBudget {
  deadlineMs: number;
  stepsMax: number;
}

export type SearchVerdict = 'linearizable' | 'violation' | 'undecided';

export interface SearchResult {
  verdict: SearchVerdict;
  /** Search steps taken, for budgets shared across searches. */
  steps: number;
}

interface EventNode {
  operationIndex: number;
  isCall: boolean;
  /** For a call: its return event, or null for an unknown operation. */
  match: EventNode | null;
  previous: EventNode | null;
  next: EventNode | null;
}

const DEADLINE_CHECK_INTERVAL_STEPS = 1024;

export function searchLinearization(
  operations: readonly SearchOperation[],
  initialState: number,
  budget: SearchBudget,
): SearchResult {
  const head = buildEventList(operations);
  const linearized = new Uint32Array(Math.ceil(operations.length / 32) || 1);
  const cache = new LinearizationCache(operations.length);
  const choices: { call: EventNode; stateBefore: number }[] = [];
  let definiteRemaining = operations.reduce((n, op) => n + (op.model.definite ? 1 : 0), 0);
  let linearizedHash = 0;
  let state = initialState;
  let node = head.next;
  let steps = 0;
  while (definiteRemaining > 0) {
    steps += 1;
    if (steps % DEADLINE_CHECK_INTERVAL_STEPS === 0) {
      if (steps > budget.stepsMax || performance.now() > budget.deadlineMs) return { verdict: 'undecided', steps };
    }
    if (node?.isCall) {
      const index = node.operationIndex;
      const operation = operations[index]!;
      const nextState = stepModel(state, operation.model);
      if (nextState !== INVALID) {
        setBit(linearized, index);
        const nextHash = (linearizedHash ^ cache.zobristOf(index)) >>> 0;
        if (cache.maybeAdd(linearized, nextHash, nextState)) {
          choices.push({ call: node, stateBefore: state });
          state = nextState;
          linearizedHash = nextHash;
          if (operation.model.definite) definiteRemaining -= 1;
          liftCall(node);
          node = head.next;
          continue;
        }
        clearBit(linearized, index);
      }
      node = node.next;
      continue;
    }
    // A return (or the end of the list) whose call is still pending: this branch is dead.
    const choice = choices.pop();
    if (choice === undefined) return { verdict: 'violation', steps };
    const undone = choice.call.operationIndex;
    state = choice.stateBefore;
    clearBit(linearized, undone);
    linearizedHash = (linearizedHash ^ cache.zobristOf(undone)) >>> 0;
    if (operations[undone]!.model.definite) definiteRemaining += 1;
    unliftCall(choice.call);
    node = choice.call.next;
  }
  return { verdict: 'linearizable', steps };
}

/** Events sorted by time; at equal times calls come first, so touching intervals count as concurrent. */
function buildEventList(operations: readonly SearchOperation[]): EventNode {
  const events: { time: number; node: EventNode }[] = [];
  operations.forEach((operation, operationIndex) => {
    const call: EventNode = { operationIndex, isCall: true, match: null, previous: null, next: null };
    events.push({ time: operation.invokedAt, node: call });
    if (operation.model.definite) {
      const ret: EventNode = { operationIndex, isCall: false, match: null, previous: null, next: null };
      call.match = ret;
      events.push({ time: operation.returnedAt, node: ret });
    }
  });
  events.sort(
    (a, b) =>
      a.time - b.time ||
      Number(b.node.isCall) - Number(a.node.isCall) ||
      a.node.operationIndex - b.node.operationIndex,
  );
  const head: EventNode = { operationIndex: -1, isCall: false, match: null, previous: null, next: null };
  let tail = head;
  for (const { node } of events) {
    node.previous = tail;
    tail.next = node;
    tail = node;
  }
  return head;
}

function unlink(node: EventNode): void {
  node.previous!.next = node.next;
  if (node.next !== null) node.next.previous = node.previous;
}

function relink(node: EventNode): void {
  node.previous!.next = node;
  if (node.next !== null) node.next.previous = node;
}

function liftCall(call: EventNode): void {
  unlink(call);
  if (call.match !== null) unlink(call.match);
}

/** Exact inverse of liftCall; relies on undoing lifts in reverse order (a stack). */
function unliftCall(call: EventNode): void {
  if (call.match !== null) relink(call.match);
  relink(call);
  assertInvariant(call.previous!.next === call, () => `event of operation ${call.operationIndex} not relinked`);
}

function setBit(bits: Uint32Array, index: number): void {
  bits[index >>> 5]! |= 1 << (index & 31);
}

function clearBit(bits: Uint32Array, index: number): void {
  bits[index >>> 5]! &= ~(1 << (index & 31));
}

/**
 * Visited (linearized set, state) pairs. Buckets are keyed by a Zobrist hash of the set plus the
 * state; every entry keeps an exact copy of its set, so a hash collision never prunes a branch that
 * was not explored.
 */
class LinearizationCache {
  private readonly buckets = new Map<number, { bits: Uint32Array; state: number }[]>();
  private readonly zobrist: Uint32Array;

  constructor(operationCount: number) {
    this.zobrist = new Uint32Array(operationCount);
    let seed = 0x9e3779b9;
    for (let i = 0; i < operationCount; i += 1) {
      seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      this.zobrist[i] = seed;
    }
  }

  zobristOf(index: number): number {
    return this.zobrist[index]!;
  }

  /** Adds (linearized, state), where `hash` is the Zobrist hash of linearized; false if already there. */
  maybeAdd(linearized: Uint32Array, hash: number, state: number): boolean {
    const key = hash * 4096 + (state & 4095);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(key, bucket);
    }
    for (const entry of bucket) {
      if (entry.state === state && equalBits(entry.bits, linearized)) return false;
    }
    bucket.push({ bits: linearized.slice(), state });
    return true;
  }
}

function equalBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

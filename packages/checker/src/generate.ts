import type { HistoryOperation, KvInput, KvOutput, Outcome } from './types.js';

export interface GenerateHistoryOptions {
  seed: number;
  operationCount: number;
  keyCount: number;
  clientCount: number;
  /** Share of operations whose outcome is 'unknown'; half of them take effect (possibly late). */
  unknownRatio?: number;
  /** Share of operations that fail without effect. */
  failedRatio?: number;
  /** When set, values are drawn from this many strings, so equal values get written again. */
  valueAlphabetSize?: number | undefined;
  /** Longest operation, in time units. Default 100. */
  durationMax?: number;
}

/** A small seeded generator (mulberry32): the same seed gives the same history. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface PlannedOperation {
  operation: HistoryOperation;
  /** When the operation takes effect in the real execution; null if it never does. */
  effectAt: number | null;
}

/**
 * Produces a history that is linearizable by construction: every operation gets an effect point
 * inside its interval (an 'unknown' one possibly later, or never), the operations run one by one in
 * effect order against a real map, and the outputs of that sequential run are recorded.
 */
export function generateLinearizableHistory(options: GenerateHistoryOptions): HistoryOperation[] {
  const random = createRandom(options.seed);
  const planned = planOperations(options, random);
  const byEffect = planned.filter((p) => p.effectAt !== null).sort((a, b) => a.effectAt! - b.effectAt!);
  const store = new Map<string, string>();
  for (const { operation } of byEffect) {
    const output = applyToStore(store, operation.key, operation.input);
    if (operation.outcome === 'ok') operation.output = output;
  }
  return planned.map((p) => p.operation);
}

function planOperations(options: GenerateHistoryOptions, random: () => number): PlannedOperation[] {
  const durationMax = options.durationMax ?? 100;
  const clientClock = Array.from({ length: options.clientCount }, () => random() * durationMax);
  const recentValues = new Map<string, string[]>();
  const planned: PlannedOperation[] = [];
  for (let id = 0; id < options.operationCount; id += 1) {
    const clientId = id % options.clientCount;
    const invokedAt = clientClock[clientId]! + random() * durationMax * 0.2;
    const returnedAt = invokedAt + 1 + random() * durationMax;
    clientClock[clientId] = returnedAt;
    const key = `k${Math.floor(random() * options.keyCount)}`;
    const input = randomInput(key, id, recentValues, options, random);
    const outcome = randomOutcome(options, random);
    const operation: HistoryOperation = { id, clientId, key, input, outcome, invokedAt, returnedAt };
    planned.push({ operation, effectAt: effectPoint(outcome, invokedAt, returnedAt, random) });
  }
  return planned;
}

function effectPoint(outcome: Outcome, invokedAt: number, returnedAt: number, random: () => number): number | null {
  const duration = returnedAt - invokedAt;
  if (outcome === 'failed') return null;
  if (outcome === 'ok') return invokedAt + random() * duration;
  // An unknown operation may take effect long after the client gave up on it, or never.
  return random() < 0.5 ? invokedAt + random() * duration * 3 : null;
}

function randomOutcome(options: GenerateHistoryOptions, random: () => number): Outcome {
  const roll = random();
  const unknownRatio = options.unknownRatio ?? 0;
  if (roll < unknownRatio) return 'unknown';
  if (roll < unknownRatio + (options.failedRatio ?? 0)) return 'failed';
  return 'ok';
}

function randomInput(
  key: string,
  id: number,
  recentValues: Map<string, string[]>,
  options: GenerateHistoryOptions,
  random: () => number,
): KvInput {
  const roll = random();
  if (roll < 0.5) return { kind: 'get' };
  if (roll < 0.55) return { kind: 'delete' };
  const value =
    options.valueAlphabetSize === undefined ? `v${id}` : `v${Math.floor(random() * options.valueAlphabetSize)}`;
  const recent = recentValues.get(key) ?? [];
  recent.push(value);
  if (recent.length > 4) recent.shift();
  recentValues.set(key, recent);
  if (roll < 0.8) return { kind: 'put', value };
  const expected = random() < 0.2 || recent.length < 2 ? null : recent[Math.floor(random() * (recent.length - 1))]!;
  return { kind: 'cas', expected, value };
}

function applyToStore(store: Map<string, string>, key: string, input: KvInput): KvOutput {
  const current = store.get(key) ?? null;
  switch (input.kind) {
    case 'get':
      return { kind: 'get', value: current };
    case 'put':
      store.set(key, input.value);
      return { kind: 'put' };
    case 'delete':
      store.delete(key);
      return { kind: 'delete' };
    case 'cas': {
      const swapped = current === input.expected;
      if (swapped) store.set(key, input.value);
      return { kind: 'cas', swapped };
    }
  }
}

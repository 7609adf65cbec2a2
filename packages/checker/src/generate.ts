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
  /**
   * kv (default): half gets, puts, some cas and deletes. register: a third each of get, put and
   * cas with the expected value drawn from the same alphabet, no deletes (Jepsen's etcd register).
   */
  mix?: 'kv' | 'register' | undefined;
}

/** A defect planted in an otherwise correct execution, to test how violations are explained. */
export type PlantedFault =
  /** One read answers with the state of a moment before it was invoked (a lagging replica). */
  | 'stale-read'
  /** One acknowledged put never takes effect. */
  | 'lost-write'
  /** One acknowledged put takes effect only after the next write of its key (writes reordered). */
  | 'reordered-writes';

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
  runSequentially(planned, null);
  return planned.map((p) => p.operation);
}

/**
 * Like generateLinearizableHistory, with one `fault` planted in the execution at an operation drawn
 * from the middle of the history. The result is usually, not always, non-linearizable: a stale read
 * may return the current value, a lost write may be overwritten before anyone looks.
 */
export function generateFaultyHistory(options: GenerateHistoryOptions, fault: PlantedFault): HistoryOperation[] {
  const random = createRandom(options.seed);
  const planned = planOperations(options, random);
  const timeline = runSequentially(planned, null);
  const durationMax = options.durationMax ?? 100;
  for (const victim of faultCandidates(planned, fault, random)) {
    if (fault === 'stale-read') {
      const moment = victim.operation.invokedAt - durationMax * (0.5 + random() * 2);
      const past = valueAt(timeline, victim.operation.key, moment);
      if (victim.operation.output?.kind !== 'get' || victim.operation.output.value === past) continue;
      victim.operation.output = { kind: 'get', value: past };
      break;
    }
    const written = victim.operation.input.kind === 'put' ? victim.operation.input.value : null;
    if (valueAt(timeline, victim.operation.key, victim.effectAt! - 1e-9) === written) continue;
    if (fault === 'lost-write') {
      runSequentially(planned, victim);
      break;
    }
    const next = nextWriteOf(planned, victim);
    if (next === undefined || writtenValueOf(next.operation.input) === written) continue;
    victim.effectAt = next.effectAt! + 1e-6;
    runSequentially(planned, null);
    break;
  }
  return planned.map((p) => p.operation);
}

/** The key's values in effect order, for answering a read from an earlier moment. */
type Timeline = Map<string, { effectAt: number; value: string | null }[]>;

/** Runs the operations one by one in effect order against a real map, recording the outputs. */
function runSequentially(planned: PlannedOperation[], lostWrite: PlannedOperation | null): Timeline {
  const byEffect = planned.filter((p) => p.effectAt !== null).sort((a, b) => a.effectAt! - b.effectAt!);
  const store = new Map<string, string>();
  const timeline: Timeline = new Map();
  for (const entry of byEffect) {
    const { operation } = entry;
    const output =
      entry === lostWrite ? outputWithoutEffect(operation.input) : applyToStore(store, operation.key, operation.input);
    if (operation.outcome === 'ok') operation.output = output;
    const changes = timeline.get(operation.key) ?? [];
    changes.push({ effectAt: entry.effectAt!, value: store.get(operation.key) ?? null });
    timeline.set(operation.key, changes);
  }
  return timeline;
}

/** Acknowledged gets (for a stale read) or puts (otherwise) from the middle of the history, shuffled. */
function faultCandidates(planned: PlannedOperation[], fault: PlantedFault, random: () => number): PlannedOperation[] {
  const kind = fault === 'stale-read' ? 'get' : 'put';
  const middle = planned.slice(Math.floor(planned.length * 0.2), Math.ceil(planned.length * 0.8));
  const candidates = middle.filter((p) => p.operation.outcome === 'ok' && p.operation.input.kind === kind);
  for (let i = candidates.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  return candidates;
}

function nextWriteOf(planned: PlannedOperation[], victim: PlannedOperation): PlannedOperation | undefined {
  let next: PlannedOperation | undefined;
  for (const p of planned) {
    if (p === victim || p.operation.key !== victim.operation.key || p.operation.input.kind === 'get') continue;
    if (p.effectAt === null || p.effectAt <= victim.effectAt!) continue;
    if (next === undefined || p.effectAt < next.effectAt!) next = p;
  }
  return next;
}

function valueAt(timeline: Timeline, key: string, moment: number): string | null {
  let value: string | null = null;
  for (const change of timeline.get(key) ?? []) {
    if (change.effectAt > moment) break;
    value = change.value;
  }
  return value;
}

function writtenValueOf(input: KvInput): string | null {
  return input.kind === 'put' || input.kind === 'cas' ? input.value : null;
}

function outputWithoutEffect(input: KvInput): KvOutput {
  if (input.kind !== 'put') throw new Error(`only a put can be planted as a lost write, not a ${input.kind}`);
  return { kind: 'put' };
}

function planOperations(options: GenerateHistoryOptions, random: () => number): PlannedOperation[] {
  const durationMax = options.durationMax ?? 100;
  const clientClock = Array.from({ length: options.clientCount }, () => random() * durationMax);
  const recentValues = new Map<string, string[]>();
  const planned: PlannedOperation[] = [];
  for (let id = 0; id < options.operationCount; id += 1) {
    const clientId = id % options.clientCount;
    const register = options.mix === 'register';
    // Register histories have the skewed latencies of a real store (most operations quick, a few
    // slow) and whole-number times, like the milliseconds of a recorded history.
    const invokedAt = roundIf(register, clientClock[clientId]! + random() * durationMax * 0.2);
    const returnedAt = roundIf(register, invokedAt + 1 + (register ? random() ** 3 : random()) * durationMax);
    clientClock[clientId] = returnedAt;
    const key = `k${Math.floor(random() * options.keyCount)}`;
    const input = randomInput(key, id, recentValues, options, random);
    const outcome = randomOutcome(options, random);
    const operation: HistoryOperation = { id, clientId, key, input, outcome, invokedAt, returnedAt };
    planned.push({ operation, effectAt: effectPoint(outcome, invokedAt, returnedAt, random) });
  }
  return planned;
}

function roundIf(round: boolean, time: number): number {
  return round ? Math.round(time) : time;
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
  if (options.mix === 'register') return randomRegisterInput(options.valueAlphabetSize ?? 5, random);
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

function randomRegisterInput(valueAlphabetSize: number, random: () => number): KvInput {
  const roll = random();
  const value = (): string => `v${Math.floor(random() * valueAlphabetSize)}`;
  if (roll < 1 / 3) return { kind: 'get' };
  if (roll < 2 / 3) return { kind: 'put', value: value() };
  const expected = value();
  return { kind: 'cas', expected, value: value() };
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

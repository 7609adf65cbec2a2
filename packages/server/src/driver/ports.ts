/**
 * The narrow boundaries of the node's loop. Each has a production implementation here and an
 * in-memory twin (twins.ts), so the same loop runs on a real disk and clock or inside the
 * simulator on simulated ones.
 */
import type { ConfState, Entry, HardState, Message, Snapshot } from '@holdfast/raft';
import type { ApplyHooks, ApplyResult, LogSave } from '@holdfast/storage';

/** The durable Raft log as the loop uses it (production: LevelLogStorage). */
export interface DurableLog {
  hardState(): HardState;
  lastIndex(): number;
  /** One Ready's snapshot, entries and hard state, written as one batch (synced when `sync`). */
  save(batch: LogSave): Promise<void>;
  /** Records a snapshot of the applied state and drops entries at or below `keepAfterIndex`. */
  compact(options: { snapshot: Snapshot; keepAfterIndex?: number }): Promise<void>;
}

/** The replicated state machine as the loop uses it (production: KvStateMachine). */
export interface StateMachine {
  /** Invariant: only grows, and moves only after the applied batch is written. */
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  readonly confState: ConfState;
  /** Applies committed entries in order; entries at or below appliedIndex are skipped. */
  apply(entries: readonly Entry[], hooks?: ApplyHooks): Promise<ApplyResult[]>;
  /** Makes every applied batch durable (applies are not synced on their own). */
  sync(): Promise<void>;
}

/** Sends messages to peers; never throws, never blocks (a full queue drops, Raft retransmits). */
export interface Sender {
  send(messages: readonly Message[]): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the epoch: deadlines and the leader's proposedAtMs. */
  wallMs(): number;
  /** A monotonic clock in milliseconds (fractional): durations and bounded staleness. */
  monotonicMs(): number;
}

/** An opaque handle of a timer started by `Timers.setTimeout`. */
export type TimerHandle = unknown;

export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Runs `callback` in a later turn of the event loop, after pending I/O callbacks. */
  defer(callback: () => void): void;
}

/** Uniform numbers in [0, 1). */
export type Random = () => number;

export const systemClock: Clock = {
  wallMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};

export const systemTimers: Timers = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
  defer: (callback) => {
    setImmediate(callback);
  },
};

export const systemRandom: Random = Math.random;

/** Resolves after `ms` on the given timers. */
export function sleepOn(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}

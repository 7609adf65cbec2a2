/**
 * In-memory twins of the loop's ports, for tests and simulations: a clock and timers moved only
 * by the caller, a log kept in the core's MemoryLogStorage, and a state machine that records
 * what it applies and answers every command as a no-op.
 */
import { applyConfChange, type ConfState, type Entry, type HardState, type MemoryLogStorage, type Snapshot } from '@holdfast/raft';
import type { ApplyHooks, ApplyResult, LogSave } from '@holdfast/storage';
import { assert } from '../errors.js';
import type { Clock, DurableLog, StateMachine, TimerHandle, Timers } from './ports.js';

/** Time that moves only when `advance` is called; timers fire in deadline order, then start order. */
export class ManualTime implements Clock, Timers {
  private nowMs: number;
  private nextId = 1;
  private readonly pending = new Map<number, { atMs: number; callback: () => void }>();
  private deferred: (() => void)[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.nowMs = startMs;
  }

  wallMs(): number {
    return this.nowMs;
  }

  monotonicMs(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId;
    this.nextId += 1;
    this.pending.set(id, { atMs: this.nowMs + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle as number);
  }

  defer(callback: () => void): void {
    this.deferred.push(callback);
  }

  /** Runs the deferred callbacks queued so far; returns how many ran. */
  runDeferred(): number {
    const callbacks = this.deferred;
    this.deferred = [];
    for (const callback of callbacks) callback();
    return callbacks.length;
  }

  /** Moves time forward by `ms`, firing each timer that comes due at its own time. */
  advance(ms: number): void {
    const endMs = this.nowMs + ms;
    for (;;) {
      let next: { id: number; atMs: number } | undefined;
      for (const [id, timer] of this.pending) if (timer.atMs <= endMs && (next === undefined || timer.atMs < next.atMs)) next = { id, atMs: timer.atMs };
      if (next === undefined) break;
      const timer = this.pending.get(next.id)!;
      this.pending.delete(next.id);
      this.nowMs = Math.max(this.nowMs, timer.atMs);
      timer.callback();
    }
    this.nowMs = endMs;
  }
}

/** The durable log kept in memory: everything saved is durable at once. */
export class MemoryDurableLog implements DurableLog {
  constructor(readonly storage: MemoryLogStorage) {}

  hardState(): HardState {
    return this.storage.hardStateNow();
  }

  lastIndex(): number {
    return this.storage.lastIndex();
  }

  async save(batch: LogSave): Promise<void> {
    if (batch.snapshot) this.storage.applySnapshot(batch.snapshot);
    this.storage.append(batch.entries);
    if (batch.hardState) this.storage.setHardState(batch.hardState);
  }

  async compact(options: { snapshot: Snapshot; keepAfterIndex?: number }): Promise<void> {
    const { meta } = options.snapshot;
    if (meta.index > this.storage.snapshot().meta.index) this.storage.createSnapshot(meta.index, meta.confState, options.snapshot.data);
    this.storage.compact(Math.min(options.keepAfterIndex ?? meta.index, meta.index));
  }
}

/** Commands one entry's data carries (see encodeCommandBatch: a msgpack array 32 in front). */
function commandsIn(data: Uint8Array): number {
  if (data.byteLength === 0) return 0;
  if (data[0] === 0xdd && data.byteLength >= 5) return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(1);
  return 1;
}

/** A state machine that keeps the applied entries and answers every command as a no-op. */
export class MemoryStateMachine implements StateMachine {
  readonly applied: Entry[] = [];
  appliedIndex = 0;
  appliedTerm = 0;
  confState: ConfState;

  constructor(confState: ConfState = { voters: [], learners: [] }) {
    this.confState = confState;
  }

  async apply(entries: readonly Entry[], hooks: ApplyHooks = {}): Promise<ApplyResult[]> {
    const results: ApplyResult[] = [];
    for (const entry of entries) {
      if (entry.index <= this.appliedIndex) continue;
      assert(entry.index === this.appliedIndex + 1, () => `apply of ${entry.index} after ${this.appliedIndex}`);
      this.applied.push(entry);
      this.appliedIndex = entry.index;
      this.appliedTerm = entry.term;
      const base = { index: entry.index, term: entry.term, duplicate: false };
      if (entry.type === 'confChange') {
        this.confState = applyConfChange(this.confState, entry.change);
        results.push({ ...base, slot: 0, outcome: { type: 'confChange', confState: this.confState, members: [] } });
        continue;
      }
      const commands = commandsIn(entry.data);
      if (commands === 0) results.push({ ...base, slot: 0, outcome: { type: 'noop' } });
      for (let slot = 0; slot < commands; slot += 1) results.push({ ...base, slot, outcome: { type: 'noop' } });
    }
    hooks.onComputed?.(results);
    return results;
  }

  async sync(): Promise<void> {}
}

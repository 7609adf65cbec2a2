/**
 * The writes waiting for their log entry to apply, by log index and slot (the command's position
 * in its entry). A waiter resolves with its apply result only if the applied entry carries the
 * term it was proposed in; anything else at its index means another leader's entry took it.
 */
import type { Entry } from '@holdfast/raft';
import type { ApplyResult } from '@holdfast/storage';
import { assert, HoldfastError, NotLeaderError, TimeoutError } from '../errors.js';
import type { Clock, TimerHandle, Timers } from './ports.js';

export interface WriteWaiter {
  readonly term: number;
  readonly resolve: (result: ApplyResult) => void;
  readonly reject: (error: HoldfastError) => void;
}

interface HeldWaiter extends WriteWaiter {
  /** Wall-clock ms after which `expire` answers it `timeout`. */
  readonly deadlineMs: number;
}

/** The writes waiting on one log entry, by slot; `open` counts those not finished. */
interface EntryWaiters {
  readonly slots: (HeldWaiter | undefined)[];
  open: number;
}

export interface WriteAt {
  readonly index: number;
  readonly slot: number;
}

export class WriteWaiters {
  /**
   * Invariants: every key is above the state machine's applied index (a waiter is added above it
   * and leaves when its entry applies); `count` equals the waiters held; an entry with no open
   * slot is not kept.
   */
  private readonly byIndex = new Map<number, EntryWaiters>();
  private held = 0;

  /**
   * The one timer that answers `timeout` (instead of a timer per write: starting and clearing a
   * Node timer per write cost about as much as the rest of a waiter's bookkeeping). Invariant:
   * armed for `expiryAtMs` exactly when waiters are held, and no held waiter's deadline is
   * before `expiryAtMs`.
   */
  private expiryTimer: TimerHandle | undefined;
  private expiryAtMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    /** The state machine's applied index, for the invariant. */
    private readonly appliedIndex: () => number,
  ) {}

  get count(): number {
    return this.held;
  }

  /** Holds `waiter` until its entry applies or `deadlineMs` (wall clock) passes. */
  add(at: WriteAt, waiter: WriteWaiter, deadlineMs: number): void {
    const { index, slot } = at;
    assert(index > this.appliedIndex(), () => `write waiter at ${index} is not above the applied index ${this.appliedIndex()}`);
    const previous = this.byIndex.get(index)?.slots[slot];
    // Our entry at this index was overwritten by another leader before we proposed again here.
    if (previous) this.finish(at, previous, new NotLeaderError(''));
    const held: HeldWaiter = { term: waiter.term, resolve: waiter.resolve, reject: waiter.reject, deadlineMs };
    let entry = this.byIndex.get(index);
    if (entry === undefined) {
      entry = { slots: [], open: 0 };
      this.byIndex.set(index, entry);
    }
    entry.slots[slot] = held;
    entry.open += 1;
    this.held += 1;
    if (deadlineMs < this.expiryAtMs) this.armExpiry(deadlineMs);
  }

  private armExpiry(atMs: number): void {
    if (this.expiryTimer !== undefined) this.timers.clearTimeout(this.expiryTimer);
    this.expiryAtMs = atMs;
    this.expiryTimer = this.timers.setTimeout(() => this.expire(), Math.max(0, atMs - this.clock.wallMs()));
  }

  private disarmExpiry(): void {
    if (this.expiryTimer !== undefined) this.timers.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.expiryAtMs = Number.POSITIVE_INFINITY;
  }

  /**
   * The expiry timer fired: answers `timeout` to every waiter whose deadline has passed (the
   * write may still apply) and arms the timer for the earliest deadline left. O(waiters held),
   * which pendingProposalsMax bounds; it runs about once per deadline length under steady load.
   */
  private expire(): void {
    this.expiryTimer = undefined;
    this.expiryAtMs = Number.POSITIVE_INFINITY;
    const nowMs = this.clock.wallMs();
    let nextMs = Number.POSITIVE_INFINITY;
    for (const [index, waiting] of this.byIndex) {
      for (const [slot, waiter] of waiting.slots.entries()) {
        if (waiter === undefined) continue;
        if (waiter.deadlineMs <= nowMs) this.finish({ index, slot }, waiter, new TimeoutError('write not applied before its deadline; it may still apply'));
        else nextMs = Math.min(nextMs, waiter.deadlineMs);
      }
    }
    if (this.held > 0 && nextMs < this.expiryAtMs) this.armExpiry(nextMs);
  }

  /**
   * Answers the waiters of `results`: plain writes when `confChanges` is false, else membership
   * changes (`onConfChange` is told of each first).
   */
  answer(results: readonly ApplyResult[], confChanges: boolean, onConfChange?: (result: ApplyResult) => void): void {
    for (const result of results) {
      if ((result.outcome.type === 'confChange') !== confChanges) continue;
      if (confChanges) onConfChange?.(result);
      const waiter = this.byIndex.get(result.index)?.slots[result.slot];
      if (!waiter) continue;
      // Another leader's entry took this index: ours was never committed.
      this.finish(result, waiter, waiter.term === result.term ? result : new NotLeaderError(''));
    }
  }

  /**
   * Fails waiters of applied entries that got no answer: the state machine skipped the entry (it
   * was restored past it from a snapshot: outcome unknown), or another leader's entry took the
   * index with fewer commands than ours had (ours was never committed). Afterwards no waiter is
   * left at or below the applied index.
   */
  failUnanswered(entries: readonly Entry[], appliedBefore: number): void {
    const applied = this.appliedIndex();
    if (entries.some((entry) => entry.index <= appliedBefore)) this.failAtOrBelow(applied);
    for (const entry of entries) {
      const waiting = this.byIndex.get(entry.index);
      if (waiting === undefined) continue;
      const error = entry.index <= appliedBefore ? new TimeoutError('entry covered by a snapshot; outcome unknown') : new NotLeaderError('');
      for (const [slot, waiter] of waiting.slots.entries()) if (waiter) this.finish({ index: entry.index, slot }, waiter, error);
    }
    for (const entry of entries) {
      if (entry.index > applied) continue;
      assert(!this.byIndex.has(entry.index), () => `a write waiter is left at applied index ${entry.index} (applied ${applied})`);
    }
  }

  /** Writes at entries the state machine was restored past (from a snapshot): outcome unknown. */
  failAtOrBelow(index: number): void {
    const covered = new TimeoutError('entry covered by a snapshot; outcome unknown');
    for (const [waiterIndex, waiting] of this.byIndex) {
      if (waiterIndex > index) continue;
      for (const [slot, waiter] of waiting.slots.entries()) if (waiter) this.finish({ index: waiterIndex, slot }, waiter, covered);
    }
  }

  failAll(error: HoldfastError): void {
    for (const [index, waiting] of this.byIndex) {
      for (const [slot, waiter] of waiting.slots.entries()) if (waiter) this.finish({ index, slot }, waiter, error);
    }
    assert(this.held === 0 && this.byIndex.size === 0, () => `${this.held} write waiters left in ${this.byIndex.size} entries after failing all`);
  }

  /** Checks every invariant by walking all waiters (tests and the simulator; O(waiters)). */
  checkInvariants(): void {
    let open = 0;
    const applied = this.appliedIndex();
    for (const [index, entry] of this.byIndex) {
      assert(index > applied, () => `write waiter at ${index} is at or below the applied index ${applied}`);
      const inEntry = entry.slots.filter((waiter) => waiter !== undefined).length;
      assert(inEntry === entry.open && inEntry > 0, () => `entry ${index} holds ${inEntry} waiters, counts ${entry.open}`);
      open += inEntry;
      for (const waiter of entry.slots) {
        if (waiter !== undefined) assert(waiter.deadlineMs >= this.expiryAtMs, () => `write waiter at ${index} has deadline ${waiter.deadlineMs} before the expiry timer's ${this.expiryAtMs}`);
      }
    }
    assert(open === this.held, () => `waiter count ${this.held} but ${open} held`);
    assert((this.held > 0) === (this.expiryTimer !== undefined), () => `${this.held} write waiters held, expiry timer ${this.expiryTimer === undefined ? 'not ' : ''}armed`);
  }

  private finish(at: WriteAt, waiter: HeldWaiter, outcome: ApplyResult | HoldfastError): void {
    const entry = this.byIndex.get(at.index);
    if (entry?.slots[at.slot] === waiter) {
      entry.slots[at.slot] = undefined;
      entry.open -= 1;
      this.held -= 1;
      if (entry.open === 0) this.byIndex.delete(at.index);
      if (this.held === 0) this.disarmExpiry();
    }
    if (outcome instanceof HoldfastError) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }
}

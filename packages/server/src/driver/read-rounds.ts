/**
 * Linearizable reads (ReadIndex, Raft dissertation §6.4): reads queue until the next turn, go to
 * the core as one heartbeat round (several may be out at once, up to roundsInFlightMax), wait for the round's read index to be confirmed by a quorum,
 * then for the state machine to apply up to it, and only then are answered.
 */
import type { RaftCore, Ready } from '@holdfast/raft';
import { assert, type HoldfastError } from '../errors.js';

export interface ReadWaiter {
  readonly resolve: () => void;
  readonly reject: (error: HoldfastError) => void;
  /** Wall-clock deadline: a read past it when its round starts is dropped (its timer answered it). */
  readonly deadlineMs: number;
}

export interface ReadRoundsOptions {
  readonly core: RaftCore;
  /** A round unanswered this many ticks (a dropped message) is abandoned; its reads fail retryably. */
  readonly roundTimeoutTicks: number;
  /**
   * Rounds in the core at once (the core's readRoundsInFlightMax): reads that arrive while a
   * round is out start one of their own instead of waiting for it to come back.
   */
  readonly roundsInFlightMax: number;
  /** The first read request id; see `requestId`. */
  readonly firstRequestId: number;
  /** The error for reads whose round was dropped or abandoned (no leader / not leader). */
  readonly notLeader: () => HoldfastError;
  /** Called to map an error the core threw when a round could not start. */
  readonly mapCoreError: (error: unknown) => HoldfastError;
}

export class ReadRounds {
  private queue: ReadWaiter[] = [];
  /**
   * Reads in a heartbeat round, by request id, with the tick the round started at.
   * Invariant: at most roundsInFlightMax rounds are in the core at a time.
   */
  private readonly rounds = new Map<number, ReadWaiter[]>();
  private readonly roundStartTick = new Map<number, number>();
  /**
   * Reads confirmed at a read index, waiting for the state machine to get there.
   * Invariant: a read is answered only once the applied index is at or past its read index.
   */
  private awaitingApply: { index: number; waiters: ReadWaiter[] }[] = [];
  /**
   * Read request ids start at a random point so that a leader's late answer to a read of this
   * member's previous process (same member id, ids counted from the same start) is not taken
   * for the answer to a read of this one, which may have begun after that older read index.
   */
  private requestId: number;
  private ticksSeen = 0;
  /** The applied index reads were last served at. Invariant: never decreases. */
  private servedAtIndex = 0;

  constructor(private readonly options: ReadRoundsOptions) {
    this.requestId = options.firstRequestId;
  }

  get hasQueued(): boolean {
    return this.queue.length > 0;
  }

  enqueue(waiter: ReadWaiter): void {
    this.queue.push(waiter);
  }

  /** Starts a round for the queued reads still within their deadline, unless the core has all it may. */
  maybeStartRound(nowMs: number): void {
    if (this.queue.length === 0 || this.rounds.size >= this.options.roundsInFlightMax) return;
    const waiters = this.queue.filter((w) => w.deadlineMs > nowMs);
    this.queue = [];
    if (waiters.length === 0) return;
    this.requestId += 1;
    try {
      this.options.core.readIndex(this.requestId);
    } catch (error) {
      const mapped = this.options.mapCoreError(error);
      for (const w of waiters) w.reject(mapped);
      return;
    }
    this.rounds.set(this.requestId, waiters);
    this.roundStartTick.set(this.requestId, this.ticksSeen);
    assert(this.rounds.size <= this.options.roundsInFlightMax, () => `${this.rounds.size} read rounds in the core`);
  }

  /** Counts `ticks` and abandons rounds unanswered for longer than roundTimeoutTicks. */
  ticked(ticks: number): void {
    this.ticksSeen += ticks;
    for (const [requestId, startTick] of this.roundStartTick) {
      if (this.ticksSeen - startTick <= this.options.roundTimeoutTicks) continue;
      this.failRound(requestId);
    }
  }

  /** Takes the Ready's confirmed and dropped rounds, then answers every read now applied. */
  handleReady(ready: Ready, appliedIndex: number): void {
    for (const requestId of ready.droppedReads) this.failRound(requestId);
    for (const state of ready.readStates) {
      const waiters = this.rounds.get(state.requestId);
      if (!waiters) continue;
      this.forgetRound(state.requestId);
      this.awaitingApply.push({ index: state.index, waiters });
    }
    this.serve(appliedIndex);
  }

  /** A read already confirmed at `index` (a lease read): answered once the applied index gets there. */
  awaitApplied(index: number, waiter: ReadWaiter): void {
    if (index <= this.servedAtIndex) {
      waiter.resolve();
      return;
    }
    this.awaitingApply.push({ index, waiters: [waiter] });
  }

  /** Answers the confirmed reads whose read index is at or below `appliedIndex`. */
  serve(appliedIndex: number): void {
    assert(appliedIndex >= this.servedAtIndex, () => `reads served at applied ${appliedIndex} after ${this.servedAtIndex}`);
    this.servedAtIndex = appliedIndex;
    if (this.awaitingApply.length === 0) return;
    const still: { index: number; waiters: ReadWaiter[] }[] = [];
    for (const group of this.awaitingApply) {
      if (group.index <= appliedIndex) for (const w of group.waiters) w.resolve();
      else still.push(group);
    }
    this.awaitingApply = still;
  }

  failAll(error: HoldfastError): void {
    for (const w of this.queue) w.reject(error);
    this.queue = [];
    for (const waiters of this.rounds.values()) for (const w of waiters) w.reject(error);
    this.rounds.clear();
    this.roundStartTick.clear();
    for (const group of this.awaitingApply) for (const w of group.waiters) w.reject(error);
    this.awaitingApply = [];
  }

  /** Checks every invariant (tests and the simulator). */
  checkInvariants(): void {
    assert(this.rounds.size <= this.options.roundsInFlightMax, () => `${this.rounds.size} read rounds in the core`);
    assert(this.rounds.size === this.roundStartTick.size, () => `${this.rounds.size} rounds, ${this.roundStartTick.size} start ticks`);
    for (const group of this.awaitingApply) {
      assert(group.index > this.servedAtIndex, () => `reads confirmed at ${group.index} wait though served at ${this.servedAtIndex}`);
    }
  }

  private failRound(requestId: number): void {
    const waiters = this.rounds.get(requestId);
    this.forgetRound(requestId);
    if (waiters === undefined) return;
    const error = this.options.notLeader();
    for (const w of waiters) w.reject(error);
  }

  private forgetRound(requestId: number): void {
    this.rounds.delete(requestId);
    this.roundStartTick.delete(requestId);
  }
}

/** Whether a Ready carries anything for the read rounds. */
export function readyHasReads(ready: Ready): boolean {
  return ready.readStates.length > 0 || ready.droppedReads.length > 0;
}

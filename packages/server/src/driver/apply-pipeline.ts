/**
 * Applies committed entries on a worker of its own, in order, so that applying Ready k overlaps
 * persisting Ready k+1 (rules 3 and 4 of Ready: apply after the persist that made the entries
 * durable here; serve reads after apply). Several Readys queued meanwhile are applied as one
 * state-machine batch (group apply: the cost of a batch is mostly fixed).
 */
import type { Entry, Ready } from '@holdfast/raft';
import type { ApplyResult } from '@holdfast/storage';
import { assert } from '../errors.js';
import type { NodeMetrics } from '../metrics.js';
import type { Clock, StateMachine } from './ports.js';
import type { WriteWaiters } from './write-waiters.js';

/** Readys handed to apply and not yet applied, at most; no new Ready is taken at this many. */
export const APPLIES_IN_FLIGHT_MAX = 4;

export interface ApplyPipelineOptions {
  readonly stateMachine: StateMachine;
  readonly waiters: WriteWaiters;
  readonly clock: Clock;
  readonly metrics: NodeMetrics;
  readonly onConfChange?: (result: ApplyResult) => void;
  /** After each batch (its Readys no longer count as pending), with its Readys in order. */
  readonly afterBatch: (readys: readonly Ready[], appliedEntries: number) => void;
  readonly isStopped: () => boolean;
  readonly onFail: (error: unknown) => void;
}

export class ApplyPipeline {
  private queue: Ready[] = [];
  private running = false;
  /**
   * Readys handed to the pipeline and not yet applied.
   * Invariant: 0 <= pending <= APPLIES_IN_FLIGHT_MAX (the loop takes no Ready at the maximum).
   */
  private pending = 0;

  constructor(private readonly options: ApplyPipelineOptions) {}

  get pendingReadys(): number {
    return this.pending;
  }

  enqueue(ready: Ready): void {
    this.pending += 1;
    assert(this.pending <= APPLIES_IN_FLIGHT_MAX, () => `${this.pending} Readys wait for apply (at most ${APPLIES_IN_FLIGHT_MAX})`);
    this.queue.push(ready);
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.options.isStopped()) {
        const readys = this.queue;
        this.queue = [];
        const entries = readys.flatMap((r) => r.committedEntries);
        if (entries.length > 0) await this.apply(entries);
        this.pending -= readys.length;
        this.options.afterBatch(readys, entries.length);
      }
    } catch (error) {
      this.options.onFail(error);
    } finally {
      this.running = false;
    }
  }

  private async apply(entries: readonly Entry[]): Promise<void> {
    const { stateMachine: sm, waiters, metrics, clock } = this.options;
    const startedMs = clock.monotonicMs();
    // Writers are answered as soon as the results are computed: their entries are committed
    // (durable on a quorum) and the results are fixed; the state machine's own write is not
    // synced anyway (a crash replays it from the log). Reads wait for appliedIndex, which moves
    // only after that write, so a linearizable read after the answer still sees the write.
    const appliedBefore = sm.appliedIndex;
    const results = await sm.apply(entries, { onComputed: (computed) => waiters.answer(computed, false) });
    const appliedAfter = sm.appliedIndex;
    const last = entries[entries.length - 1]!.index;
    assert(
      appliedAfter >= appliedBefore && appliedAfter >= last,
      () => `applied index ${appliedBefore} → ${appliedAfter} after applying up to ${last}`,
    );
    metrics.applySeconds.observe((clock.monotonicMs() - startedMs) / 1000);
    metrics.appliedIndex.set(appliedAfter);
    // Membership changes are answered (and announced) once the new membership is readable.
    waiters.answer(results, true, this.options.onConfChange);
    waiters.failUnanswered(entries, appliedBefore);
    metrics.pendingProposals.set(waiters.count);
  }
}

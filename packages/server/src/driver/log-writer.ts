/**
 * Writes each Ready's log changes (snapshot, entries, hard state) as one batch, synced when the
 * Ready says it must be, and holds back a hard state whose only change is the commit index.
 */
import type { HardState, Ready } from '@holdfast/raft';
import type { Failpoints } from '../config.js';
import { assert } from '../errors.js';
import type { NodeMetrics } from '../metrics.js';
import { type Clock, type DurableLog, sleepOn, type Timers } from './ports.js';

export class FsyncFailedError extends Error {
  override readonly name = 'FsyncFailedError';
  readonly code = 'fsync-failed';
}
export class DiskFullError extends Error {
  override readonly name = 'DiskFullError';
  readonly code = 'disk-full';
}

export interface LogWriterOptions {
  readonly log: DurableLog;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly failpoints: Failpoints;
  readonly metrics: NodeMetrics;
}

export class LogWriter {
  /**
   * The newest hard state that differs from the stored one only in its commit index, kept
   * back from a write of its own (see `persist`). Written with the next log write, before a
   * compaction (the stored commit must not fall below the snapshot) and at stop.
   */
  private hardStateUnwritten: HardState | undefined;
  /**
   * Last log index this node has made durable (entries of Readys whose write finished).
   * Invariant: at most the log's last index.
   */
  private durable: number;

  constructor(private readonly options: LogWriterOptions) {
    this.durable = options.log.lastIndex();
  }

  get durableIndex(): number {
    return this.durable;
  }

  /** Makes the Ready's log changes durable (rule 1 of Ready) before its messagesAfterPersist leave. */
  async persist(ready: Ready): Promise<void> {
    const logChanges = ready.snapshot !== undefined || ready.entries.length > 0;
    if (!logChanges && !ready.mustSync) {
      // Only the commit index moved. It needs no write of its own: after a restart the node
      // learns it again from the leader and the state machine skips what it already applied.
      // It rides along with the next write of the log (or before a compaction, or at stop).
      if (ready.hardState) this.hardStateUnwritten = ready.hardState;
      return;
    }
    // The held-back hard state is older than the Ready's own: whichever is written supersedes it.
    const held = this.hardStateUnwritten;
    const hardState = ready.hardState ?? held;
    const { failpoints, clock } = this.options;
    if (failpoints.diskFull) throw new DiskFullError('failpoint disk-full: the log write failed (no space left on device)');
    const sync = ready.mustSync || ready.snapshot !== undefined;
    const startedMs = clock.monotonicMs();
    await this.options.log.save({
      ...(hardState ? { hardState } : {}),
      entries: ready.entries,
      ...(ready.snapshot ? { snapshot: ready.snapshot } : {}),
      sync,
    });
    // Left in place, the held one (a commit-only change of an earlier term) would ride along with
    // a later write and take the stored term and vote back.
    if (this.hardStateUnwritten === held) this.hardStateUnwritten = undefined;
    if (sync) {
      if (failpoints.fsyncFail) throw new FsyncFailedError('failpoint fsync-fail: fsync of the log returned EIO');
      if (failpoints.fsyncDelayMs > 0) await sleepOn(this.options.timers, failpoints.fsyncDelayMs);
      this.options.metrics.fsyncSeconds.observe((clock.monotonicMs() - startedMs) / 1000);
      if (ready.entries.length > 0) this.options.metrics.entriesPerWrite.observe(ready.entries.length);
    }
  }

  /** Records what the finished write of `ready` made durable. */
  noteDurable(ready: Ready): void {
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) this.durable = lastEntry.index;
    else if (ready.snapshot !== undefined) this.durable = ready.snapshot.meta.index;
    const lastIndex = this.options.log.lastIndex();
    assert(this.durable <= lastIndex, () => `durable index ${this.durable} past the log's last index ${lastIndex}`);
  }

  /** Writes the held-back commit index, if any (before a compaction and at stop). */
  async writeUnwrittenHardState(): Promise<void> {
    const hardState = this.hardStateUnwritten;
    if (hardState === undefined) return;
    await this.options.log.save({ hardState, entries: [], sync: false });
    if (this.hardStateUnwritten === hardState) this.hardStateUnwritten = undefined;
  }
}

/**
 * The loop records a snapshot of the applied state and compacts the log behind it every
 * `snapshotEntries` applied entries, or sooner once the entries applied since the last one weigh
 * `snapshotLogBytes`. It keeps `snapshotCatchupEntries` entries for slow followers, and never
 * more than `snapshotCatchupBytes` of them: the log holds its entries in memory, so the bytes
 * bound its memory when entries are large (a leader packs many writes into one entry).
 */
import { type Entry, entryBytes } from '@holdfast/raft';
import type { Logger } from 'pino';
import type { NodeLimits } from '../config.js';
import { assert } from '../errors.js';
import type { NodeMetrics } from '../metrics.js';
import type { LogWriter } from './log-writer.js';
import type { DurableLog, StateMachine } from './ports.js';

export interface SnapshotsOptions {
  readonly log: DurableLog;
  readonly stateMachine: StateMachine;
  readonly logWriter: LogWriter;
  /**
   * The last index the core handed out to apply (its applied index, `RaftStatus.applied`): a
   * compaction must not drop a committed entry the core has yet to hand out.
   */
  readonly coreAppliedIndex: () => number;
  readonly limits: NodeLimits;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
}

/** The bytes of entries applied through `lastIndex`, counted since the loop started. */
interface AppliedMark {
  readonly lastIndex: number;
  readonly bytesThrough: number;
}

export class Snapshots {
  private appliedSinceSnapshot = 0;
  /** Bytes (entryBytes) of every entry applied since the loop started. */
  private appliedBytes = 0;
  private appliedBytesAtSnapshot = 0;
  /**
   * One mark per applied entry, oldest first, back to the last compaction point: where the
   * entries kept for followers may start without passing snapshotCatchupBytes. The first mark is
   * the state the loop started from (sizes of entries before it are not known).
   * Invariant: lastIndex and bytesThrough both increase along the list.
   */
  private marks: AppliedMark[];
  /** Set once a limit is reached; the loop takes the snapshot when idle. */
  private due = false;

  constructor(private readonly options: SnapshotsOptions) {
    this.marks = [{ lastIndex: options.stateMachine.appliedIndex, bytesThrough: 0 }];
  }

  /**
   * A snapshot is due, and both the log and the core have reached the state's applied index. A
   * state restored from a leader's snapshot stream can be ahead of the snapshot's index (the
   * stream is the leader's state when sent): until the log catches up there is no log index to
   * compact at (FINDINGS R2), and until the core has handed out the entries up to it (which
   * apply then skips) a compaction would drop committed entries the core has not handed out.
   * The core would then report committed entries it can no longer read, and the loop would
   * take empty Readys without end (FINDINGS R11).
   */
  get isDue(): boolean {
    if (!this.due) return false;
    const applied = this.options.stateMachine.appliedIndex;
    return applied <= this.options.log.lastIndex() && applied <= this.options.coreAppliedIndex();
  }

  noteApplied(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const { snapshotEntries, snapshotLogBytes } = this.options.limits;
    this.appliedSinceSnapshot += entries.length;
    for (const entry of entries) {
      this.appliedBytes += entryBytes(entry);
      if (entry.index > this.marks[this.marks.length - 1]!.lastIndex) this.marks.push({ lastIndex: entry.index, bytesThrough: this.appliedBytes });
    }
    if (this.appliedSinceSnapshot >= snapshotEntries || this.appliedBytes - this.appliedBytesAtSnapshot >= snapshotLogBytes) this.due = true;
  }

  /** Records a snapshot of the applied state and compacts the log behind it. No apply may run. */
  async take(): Promise<void> {
    const { stateMachine: sm, log } = this.options;
    this.due = false;
    this.appliedSinceSnapshot = 0;
    this.appliedBytesAtSnapshot = this.appliedBytes;
    // The state machine's applies are not synced on their own: make them durable before the log
    // entries that could replay them are dropped.
    await sm.sync();
    await this.options.logWriter.writeUnwrittenHardState();
    const index = sm.appliedIndex;
    assert(index <= log.lastIndex(), () => `snapshot at applied ${index} past the log's last index ${log.lastIndex()}`);
    const coreApplied = this.options.coreAppliedIndex();
    assert(index <= coreApplied, () => `snapshot at applied ${index} past the core's applied index ${coreApplied}`);
    const snapshot = {
      meta: { index, term: sm.appliedTerm, confState: sm.confState },
      data: new Uint8Array(),
    };
    const keepAfterIndex = this.keepAfterIndex(index);
    await log.compact({ snapshot, keepAfterIndex });
    this.dropMarksBefore(keepAfterIndex);
    this.options.metrics.snapshots.inc();
    this.options.logger.info({ index, keepAfterIndex }, 'snapshot taken; log compacted');
  }

  /**
   * The last index dropped by a compaction at `index`: at most snapshotCatchupEntries entries
   * stay, and only as many as fit in snapshotCatchupBytes.
   */
  private keepAfterIndex(index: number): number {
    const { snapshotCatchupEntries, snapshotCatchupBytes } = this.options.limits;
    const byCount = Math.max(0, index - snapshotCatchupEntries);
    const newest = this.marks[this.marks.length - 1]!;
    // Applied past the newest mark without the loop (a restored snapshot): no sizes are known.
    if (index !== newest.lastIndex) return byCount;
    let byBytes = index;
    for (let position = this.marks.length - 1; position >= 0; position--) {
      const mark = this.marks[position]!;
      if (newest.bytesThrough - mark.bytesThrough > snapshotCatchupBytes) break;
      byBytes = mark.lastIndex;
    }
    return Math.max(byCount, byBytes);
  }

  /** Marks at or before the compaction point are no longer needed, except the newest of them. */
  private dropMarksBefore(keepAfterIndex: number): void {
    let first = 0;
    while (first + 1 < this.marks.length && this.marks[first + 1]!.lastIndex <= keepAfterIndex) first++;
    if (first > 0) this.marks = this.marks.slice(first);
  }
}

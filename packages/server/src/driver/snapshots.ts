/**
 * Every `snapshotEntries` applied entries the loop records a snapshot of the applied state and
 * compacts the log behind it, keeping `snapshotCatchupEntries` entries for slow followers.
 */
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
  readonly limits: NodeLimits;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
}

export class Snapshots {
  private appliedSinceSnapshot = 0;
  /** Set once appliedSinceSnapshot reaches snapshotEntries; the loop takes the snapshot when idle. */
  private due = false;

  constructor(private readonly options: SnapshotsOptions) {}

  /**
   * A snapshot is due, and the log reaches the applied index. A state restored from a leader's
   * snapshot stream can be ahead of the snapshot's index (the stream is the leader's state when
   * sent), so until the log catches up there is no log index to compact at.
   */
  get isDue(): boolean {
    return this.due && this.options.stateMachine.appliedIndex <= this.options.log.lastIndex();
  }

  noteApplied(entries: number): void {
    this.appliedSinceSnapshot += entries;
    if (this.appliedSinceSnapshot >= this.options.limits.snapshotEntries) this.due = true;
  }

  /** Records a snapshot of the applied state and compacts the log behind it. No apply may run. */
  async take(): Promise<void> {
    const { stateMachine: sm, log, limits } = this.options;
    this.due = false;
    this.appliedSinceSnapshot = 0;
    // The state machine's applies are not synced on their own: make them durable before the log
    // entries that could replay them are dropped.
    await sm.sync();
    await this.options.logWriter.writeUnwrittenHardState();
    const index = sm.appliedIndex;
    assert(index <= log.lastIndex(), () => `snapshot at applied ${index} past the log's last index ${log.lastIndex()}`);
    const snapshot = {
      meta: { index, term: sm.appliedTerm, confState: sm.confState },
      data: new Uint8Array(),
    };
    const keepAfterIndex = Math.max(0, index - limits.snapshotCatchupEntries);
    await log.compact({ snapshot, keepAfterIndex });
    this.options.metrics.snapshots.inc();
    this.options.logger.info({ index, keepAfterIndex }, 'snapshot taken; log compacted');
  }
}

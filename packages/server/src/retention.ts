/**
 * History retention: the leader compacts the key history by the configured retention, through
 * the log like a manual compaction, so every member compacts at the same revision.
 *
 * - By count (--history-retention-revisions N): compact to (revision − N).
 * - By age (--history-retention-ms T): compact to the newest revision this leader saw at least T
 *   ago. The leader samples (time, revision) pairs on its own monotonic clock; a new leader starts
 *   sampling afresh, so a leader change delays an age compaction (keeps more), never hastens it.
 */
import type { KvStateMachine } from '@holdfast/storage';
import type { Logger } from 'pino';
import type { NodeLimits } from './config.js';
import type { HistoryStatus, NodeMetrics } from './metrics.js';
export interface RetentionOptions {
  readonly revisions: number;
  readonly ageMs: number;
  /** At most one compaction proposed per this many ms. */
  readonly checkEveryMs: number;
}

/** (time, revision) samples kept at most: past it the oldest go (the age rule then compacts later). */
const samplesMax = 4096;

export class HistoryRetention {
  private samples: { atMs: number; revision: number }[] = [];
  private lastProposedAtMs = Number.NEGATIVE_INFINITY;
  private proposing = false;

  constructor(private readonly options: RetentionOptions) {}

  get enabled(): boolean {
    return this.options.revisions > 0 || this.options.ageMs > 0;
  }

  /** Forgets the samples (this member stopped leading: another leader's clock decides). */
  reset(): void {
    this.samples = [];
  }

  /**
   * The revision to compact to now, or undefined when nothing is due. `compactRevision`
   * undefined: the cluster keeps no history yet.
   */
  due(state: { nowMs: number; revision: number; compactRevision: number | undefined }): number | undefined {
    if (!this.enabled || state.compactRevision === undefined) return undefined;
    this.sample(state.nowMs, state.revision);
    if (this.proposing || state.nowMs - this.lastProposedAtMs < this.options.checkEveryMs) return undefined;
    let target = 0;
    if (this.options.revisions > 0) target = Math.max(target, state.revision - this.options.revisions);
    if (this.options.ageMs > 0) target = Math.max(target, this.revisionSeenBefore(state.nowMs - this.options.ageMs));
    return target > state.compactRevision ? target : undefined;
  }

  /** Runs `propose` for a due compaction, one at a time; failures wait for the next check. */
  async run(nowMs: number, target: number, propose: (revision: number) => Promise<void>): Promise<void> {
    this.proposing = true;
    this.lastProposedAtMs = nowMs;
    try {
      await propose(target);
    } finally {
      this.proposing = false;
    }
  }

  private sample(nowMs: number, revision: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && last.revision === revision) return;
    this.samples.push({ atMs: nowMs, revision });
    if (this.samples.length > samplesMax) this.samples.splice(0, this.samples.length - samplesMax);
  }

  /** The newest sampled revision taken at or before `atMs` (0: none that old). */
  private revisionSeenBefore(atMs: number): number {
    let found = 0;
    for (const sample of this.samples) {
      if (sample.atMs > atMs) break;
      found = sample.revision;
    }
    return found;
  }
}

/** What NodeHistory needs of the node. */
export interface NodeHistoryHost {
  readonly stateMachine: Pick<KvStateMachine, 'keyCount' | 'revision' | 'compactRevision' | 'historyBytes'>;
  isLeader(): boolean;
  /** Proposes a compaction through the request path (as a client's would be). */
  proposeCompaction(revision: number): Promise<void>;
  readonly metrics: Pick<NodeMetrics, 'compactions'>;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly limits: Pick<NodeLimits, 'historyRetentionRevisions' | 'historyRetentionMs'>;
}

/** How often the history's size on disk is asked of LevelDB (an estimate from its table files). */
const HISTORY_BYTES_REFRESH_MS = 5000;
/** At most one retention compaction proposed per this many ms. */
const RETENTION_CHECK_MS = 5000;

/** The node's part in the key history: its status and metrics, and retention while it leads. */
export class NodeHistory {
  private readonly retention: HistoryRetention;
  private historyBytes = 0;
  private historyBytesAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly host: NodeHistoryHost) {
    this.retention = new HistoryRetention({
      revisions: host.limits.historyRetentionRevisions,
      ageMs: host.limits.historyRetentionMs,
      checkEveryMs: RETENTION_CHECK_MS,
    });
  }

  status(): HistoryStatus {
    const sm = this.host.stateMachine;
    return { keyCount: sm.keyCount, revision: sm.revision, compactRevision: sm.compactRevision ?? 0, historyBytes: this.historyBytes };
  }

  /** Called now and then from the node's ticker (monotonic clock). */
  tick(nowMs: number): void {
    this.refreshHistoryBytes(nowMs);
    if (!this.host.isLeader()) {
      this.retention.reset();
      return;
    }
    const sm = this.host.stateMachine;
    const target = this.retention.due({ nowMs, revision: sm.revision, compactRevision: sm.compactRevision });
    if (target === undefined) return;
    void this.retention.run(nowMs, target, async (revision) => {
      try {
        await this.host.proposeCompaction(revision);
        this.host.metrics.compactions.inc({ outcome: 'ok' });
        this.host.logger.info({ compactRevision: revision }, 'compacted the key history by retention');
      } catch (error) {
        this.host.metrics.compactions.inc({ outcome: 'failed' });
        this.host.logger.warn({ compactRevision: revision, error: (error as Error).message }, 'a compaction by retention failed; tried again later');
      }
    });
  }

  private refreshHistoryBytes(nowMs: number): void {
    if (nowMs - this.historyBytesAtMs < HISTORY_BYTES_REFRESH_MS) return;
    this.historyBytesAtMs = nowMs;
    this.host.stateMachine.historyBytes().then(
      (bytes) => {
        this.historyBytes = bytes;
      },
      () => undefined,
    );
  }
}

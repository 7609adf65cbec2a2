import type { Entry, HardState, Snapshot } from '@holdfast/raft';

/** What a node finds on its disk after a restart. */
export interface DurableState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | undefined;
  /** Entries after the snapshot, in index order, without gaps. */
  readonly entries: readonly Entry[];
}

type PendingWrite =
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  | { readonly kind: 'hardState'; readonly hardState: HardState }
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot };

/** Deliberate disk defects, used only to prove that the invariant checks can fail. */
export interface DiskDefects {
  /** A sync keeps the previous term and vote on disk (the write of the vote is lost). */
  readonly forgetsVote?: boolean;
}

export class DiskInvariantError extends Error {
  override readonly name = 'DiskInvariantError';
  readonly code = 'DISK_INVARIANT';
}

const emptyHardState: HardState = { term: 0, vote: 0, commit: 0 };

/**
 * One node's disk: a durable part and a volatile part (the page cache). Writes land in the
 * volatile part; `sync()` makes every earlier write durable, in order; `crash()` loses what was
 * not synced. Invariant: durable entries follow the durable snapshot without gaps.
 */
export class SimDisk {
  private hardState: HardState = emptyHardState;
  private snapshot: Snapshot | undefined;
  private entries: Entry[] = [];
  /** Unsynced write batches, oldest first; each batch is atomic (one LevelDB write batch). */
  private pending: PendingWrite[][] = [];
  private openBatch: PendingWrite[] = [];
  syncCount = 0;

  constructor(private readonly defects: DiskDefects = {}) {}

  /** Writes the initial state of a bootstrapped member, durably (as an installer would). */
  format(state: DurableState): void {
    this.hardState = state.hardState;
    this.snapshot = state.snapshot;
    this.entries = state.entries.slice();
    this.pending = [];
    this.openBatch = [];
    this.assertContiguous();
  }

  writeEntries(entries: readonly Entry[]): void {
    if (entries.length > 0) this.openBatch.push({ kind: 'entries', entries });
  }

  writeHardState(hardState: HardState): void {
    this.openBatch.push({ kind: 'hardState', hardState });
  }

  /** A snapshot received from the leader: it replaces the whole log (etcd ApplySnapshot). */
  writeSnapshot(snapshot: Snapshot): void {
    this.openBatch.push({ kind: 'snapshot', snapshot });
  }

  /** Ends the batch being written: its writes reach the disk all together or not at all. */
  sealBatch(): void {
    if (this.openBatch.length === 0) return;
    this.pending.push(this.openBatch);
    this.openBatch = [];
  }

  /** Unsynced batches that a crash now could lose. */
  get pendingBatchCount(): number {
    return this.pending.length + (this.openBatch.length > 0 ? 1 : 0);
  }

  get hasPendingWrites(): boolean {
    return this.pendingBatchCount > 0;
  }

  sync(): void {
    this.sealBatch();
    for (const batch of this.pending) for (const write of batch) this.applyDurably(write);
    this.pending = [];
    this.syncCount++;
    this.assertContiguous();
  }

  /**
   * Loses the writes that were not synced, except the oldest `survivingBatches` batches, which
   * the operating system happened to flush before the crash (a prefix: writes reach the disk in
   * order, and a batch is atomic).
   */
  crash(survivingBatches = 0): void {
    this.sealBatch();
    for (const batch of this.pending.slice(0, survivingBatches)) for (const write of batch) this.applyDurably(write);
    this.pending = [];
    this.assertContiguous();
  }

  /**
   * The node's own snapshot of its applied state, written and synced at once; the durable log
   * then starts after it. (The in-memory log may keep a few entries behind the snapshot for slow
   * followers; after a restart they are gone, which only means an earlier snapshot transfer.)
   */
  saveLocalSnapshot(snapshot: Snapshot): void {
    this.sync();
    if (snapshot.meta.index <= this.durableSnapshotIndex()) return;
    if (snapshot.meta.index > this.lastIndex()) {
      throw new DiskInvariantError(
        `local snapshot at ${snapshot.meta.index} beyond the durable log (last index ${this.lastIndex()})`,
      );
    }
    const dropCount = snapshot.meta.index - this.firstEntryIndex() + 1;
    this.snapshot = snapshot;
    this.entries = this.entries.slice(dropCount);
    this.assertContiguous();
  }

  durableState(): DurableState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: this.entries.slice() };
  }

  /** The durable hard state, for the checks. */
  durableHardState(): HardState {
    return this.hardState;
  }

  durableSnapshotIndex(): number {
    return this.snapshot?.meta.index ?? 0;
  }

  /** The term of the durable entry at `index`, 0 if none; -1 if covered by the snapshot. */
  durableTermAt(index: number): number {
    if (index <= this.durableSnapshotIndex()) return -1;
    const entry = this.entries[index - this.firstEntryIndex()];
    return entry?.term ?? 0;
  }

  lastIndex(): number {
    const last = this.entries[this.entries.length - 1];
    return last?.index ?? this.durableSnapshotIndex();
  }

  private firstEntryIndex(): number {
    const first = this.entries[0];
    return first?.index ?? this.durableSnapshotIndex() + 1;
  }

  private applyDurably(write: PendingWrite): void {
    switch (write.kind) {
      case 'hardState':
        this.hardState = this.defects.forgetsVote
          ? { term: this.hardState.term, vote: this.hardState.vote, commit: write.hardState.commit }
          : write.hardState;
        return;
      case 'snapshot':
        if (write.snapshot.meta.index <= this.durableSnapshotIndex()) return;
        this.snapshot = write.snapshot;
        this.entries = [];
        return;
      case 'entries':
        this.appendDurably(write.entries);
        return;
    }
  }

  private appendDurably(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const snapshotIndex = this.durableSnapshotIndex();
    // Entries at or below the snapshot are already covered by it.
    const fresh = first.index <= snapshotIndex ? entries.filter((e) => e.index > snapshotIndex) : entries;
    const head = fresh[0];
    if (head === undefined) return;
    if (head.index > this.lastIndex() + 1) {
      throw new DiskInvariantError(`append at ${head.index} leaves a gap after durable last index ${this.lastIndex()}`);
    }
    // Rule 5 of Ready: the new entries replace the stored suffix from their first index on.
    this.entries.length = head.index - this.firstEntryIndex();
    for (const entry of fresh) this.entries.push(entry);
  }

  private assertContiguous(): void {
    let expected = this.durableSnapshotIndex() + 1;
    for (const entry of this.entries) {
      if (entry.index !== expected) {
        throw new DiskInvariantError(`durable log has index ${entry.index} where ${expected} was expected`);
      }
      expected++;
    }
  }
}

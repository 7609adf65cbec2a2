/**
 * The in-memory twin of the server's LevelDB log, for tests and the simulator. It implements the
 * read side the core needs (LogStorage) and the write side a driver uses while handling a Ready.
 */
import {
  CompactedError,
  SnapshotOutOfDateError,
  StorageInvalidError,
  UnavailableError,
} from './errors.js';
import { limitBytes } from './entries.js';
import { applyConfChange, bootstrapEntries, bootstrapHardState, EMPTY_CONF_STATE } from './membership.js';
import type { ConfState, Entry, HardState, LogStorage, NodeId, Snapshot } from './types.js';

export class MemoryLogStorage implements LogStorage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private latestSnapshot: Snapshot = {
    meta: { index: 0, term: 0, confState: EMPTY_CONF_STATE },
    data: new Uint8Array(0),
  };
  /** The entry just before the first stored one (compaction point): index and term. */
  private offset = { index: 0, term: 0 };
  /** Membership as of offset.index, kept current on compaction. */
  private offsetConfState: ConfState = EMPTY_CONF_STATE;
  /** entries[i] has index offset.index + 1 + i. */
  private log: Entry[] = [];

  /** Writes the identical bootstrap log every initial member starts from (see bootstrapEntries). */
  static bootstrap(voters: readonly NodeId[]): MemoryLogStorage {
    const storage = new MemoryLogStorage();
    storage.append(bootstrapEntries(voters));
    storage.setHardState(bootstrapHardState(voters));
    return storage;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.offsetConfState };
  }

  entries(lo: number, hi: number, bytesMax: number): Entry[] {
    if (lo < this.firstIndex()) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    const first = this.offset.index + 1;
    return limitBytes(this.log.slice(lo - first, hi - first), bytesMax);
  }

  term(index: number): number {
    if (index < this.offset.index) throw new CompactedError(index, this.firstIndex());
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    if (index === this.offset.index) return this.offset.term;
    return this.log[index - this.offset.index - 1]!.term;
  }

  firstIndex(): number {
    return this.offset.index + 1;
  }

  lastIndex(): number {
    return this.offset.index + this.log.length;
  }

  snapshot(): Snapshot {
    return this.latestSnapshot;
  }

  hardStateNow(): HardState {
    return this.hardState;
  }

  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  /**
   * Appends entries, dropping any stored entries at or after the first new index (Ready rule 5).
   * Entries at or below the compaction point are skipped.
   */
  append(entries: readonly Entry[]): void {
    const fresh = entries.filter((entry) => entry.index > this.offset.index);
    const first = fresh[0];
    if (first === undefined) return;
    if (first.index > this.lastIndex() + 1) {
      throw new StorageInvalidError(`append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    }
    for (const [position, entry] of fresh.entries()) {
      if (entry.index !== first.index + position) {
        throw new StorageInvalidError(`append entries are not contiguous at ${entry.index}`);
      }
    }
    this.log.length = first.index - this.offset.index - 1;
    for (const entry of fresh) this.log.push(entry);
  }

  /**
   * A damaged disk (tests and the simulator): entries after `index` are gone, and the stored
   * commit index with them. Never below the compaction point.
   */
  loseEntriesAfter(index: number): void {
    if (index < this.offset.index || index > this.lastIndex()) {
      throw new StorageInvalidError(`cannot keep the log up to ${index}: it holds ${this.offset.index}..${this.lastIndex()}`);
    }
    this.log.length = index - this.offset.index;
    this.hardState = { ...this.hardState, commit: Math.min(this.hardState.commit, index) };
  }

  /** Replaces the whole log by a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.meta.index <= this.latestSnapshot.meta.index && this.latestSnapshot.meta.index > 0) {
      throw new SnapshotOutOfDateError(snapshot.meta.index, this.latestSnapshot.meta.index);
    }
    this.latestSnapshot = snapshot;
    this.offset = { index: snapshot.meta.index, term: snapshot.meta.term };
    this.offsetConfState = snapshot.meta.confState;
    this.log = [];
  }

  /**
   * Records a snapshot of the state machine as of `index` (which must be applied, hence stored).
   * `confState` is the membership as of `index` (RaftNode.confStateAt(index)).
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.latestSnapshot.meta.index) throw new SnapshotOutOfDateError(index, this.latestSnapshot.meta.index);
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    this.latestSnapshot = { meta: { index, term: this.term(index), confState }, data };
    return this.latestSnapshot;
  }

  /**
   * Drops entries up to and including `index`. A snapshot must cover `index` first, so that a
   * follower that needs the dropped entries can be sent the snapshot instead.
   */
  compact(index: number): void {
    if (index <= this.offset.index) return;
    if (index > this.latestSnapshot.meta.index) {
      throw new StorageInvalidError(
        `compact(${index}) past the latest snapshot at ${this.latestSnapshot.meta.index}: create a snapshot first`,
      );
    }
    const dropped = this.log.slice(0, index - this.offset.index);
    for (const entry of dropped) {
      if (entry.type === 'confChange') this.offsetConfState = applyConfChange(this.offsetConfState, entry.change);
    }
    this.offset = { index, term: this.term(index) };
    this.log = this.log.slice(dropped.length);
  }
}

/**
 * The core's view of the log: what the driver has made durable (LogStorage) overlaid by what it
 * has not yet (the unstable part), as in etcd-io/raft log.go and log_unstable.go.
 */
import { CompactedError, invariant, isCompacted } from './errors.js';
import { limitBytes } from './entries.js';
import type { Entry, LogStorage, Snapshot } from './types.js';

export class RaftLog {
  /**
   * Highest index known committed on a quorum.
   * Invariant: applied <= committed <= lastIndex(); committed never decreases.
   */
  committed: number;
  /** Highest index the driver applied (reported through advance). Invariant: applied <= committed. */
  applied: number;

  /** A snapshot received from the leader that the driver has not yet installed. */
  private unstableSnapshot: Snapshot | undefined;
  /** Entries not yet reported durable; entries[i] has index unstableOffset + i. */
  private unstableEntries: Entry[] = [];
  /**
   * Index of unstableEntries[0] (or where it would go). Invariant: unstableOffset <=
   * storage.lastIndex() + 1; indexes >= unstableOffset are read from the unstable part only.
   */
  private unstableOffset: number;

  constructor(
    private readonly storage: LogStorage,
    options: { committed: number; applied: number },
  ) {
    this.unstableOffset = storage.lastIndex() + 1;
    this.committed = options.committed;
    this.applied = options.applied;
    invariant(this.applied <= this.committed, 'applied <= committed', options);
    invariant(this.committed <= this.lastIndex(), 'committed <= lastIndex', {
      committed: this.committed,
      lastIndex: this.lastIndex(),
    });
  }

  firstIndex(): number {
    if (this.unstableSnapshot !== undefined) return this.unstableSnapshot.meta.index + 1;
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstableEntries.length > 0) return this.unstableOffset + this.unstableEntries.length - 1;
    if (this.unstableSnapshot !== undefined) return this.unstableSnapshot.meta.index;
    return this.storage.lastIndex();
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    invariant(term !== undefined, 'the last entry has a term', { lastIndex: this.lastIndex() });
    return term;
  }

  /** The term at `index`, or undefined when compacted away or beyond the last index. */
  term(index: number): number | undefined {
    const dummyIndex = this.firstIndex() - 1;
    if (index < dummyIndex || index > this.lastIndex()) return undefined;
    const snapshot = this.unstableSnapshot;
    if (snapshot !== undefined && index === snapshot.meta.index) return snapshot.meta.term;
    if (index >= this.unstableOffset) return this.unstableEntries[index - this.unstableOffset]?.term;
    try {
      return this.storage.term(index);
    } catch (error) {
      if (isCompacted(error)) return undefined;
      throw error;
    }
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: is a log ending at (lastTerm, lastIndex) at least as up-to-date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi) within bytesMax (at least one). Throws CompactedError below firstIndex. */
  slice(lo: number, hi: number, bytesMax: number): Entry[] {
    if (lo >= hi) return [];
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    invariant(hi <= this.lastIndex() + 1, 'slice within the log', { lo, hi, lastIndex: this.lastIndex() });
    let result: Entry[] = [];
    if (lo < this.unstableOffset) {
      result = this.storage.entries(lo, Math.min(hi, this.unstableOffset), bytesMax);
      if (result.length < Math.min(hi, this.unstableOffset) - lo) return result;
    }
    if (hi > this.unstableOffset) {
      const from = Math.max(lo, this.unstableOffset) - this.unstableOffset;
      const unstable = this.unstableEntries.slice(from, hi - this.unstableOffset);
      result = result.length === 0 ? unstable : result.concat(unstable);
    }
    return limitBytes(result, bytesMax);
  }

  /** Appends entries, replacing any suffix they overlap. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    invariant(first.index > this.committed, 'append never rewrites committed entries', {
      firstIndex: first.index,
      committed: this.committed,
    });
    invariant(first.index <= this.lastIndex() + 1, 'append leaves no gap', {
      firstIndex: first.index,
      lastIndex: this.lastIndex(),
    });
    const unstableEnd = this.unstableOffset + this.unstableEntries.length;
    if (first.index === unstableEnd) {
      this.unstableEntries.push(...entries);
    } else if (first.index <= this.unstableOffset) {
      // Replaces everything unstable and shadows stored entries from first.index on.
      this.unstableOffset = first.index;
      this.unstableEntries = [...entries];
    } else {
      this.unstableEntries = this.unstableEntries.slice(0, first.index - this.unstableOffset).concat(entries);
    }
  }

  /** The first entry that is not already in the log with the same term; 0 if none. */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term (0 if compacted).
   * Both sides of the fast back-off use it: every entry skipped has a term the other log
   * cannot hold at that index.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let at = Math.min(index, this.lastIndex());
    for (; at >= 0; at -= 1) {
      const found = this.term(at);
      if (found === undefined) return { index: at, term: 0 };
      if (found <= term) return { index: at, term: found };
    }
    return { index: 0, term: 0 };
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    invariant(index <= this.lastIndex(), 'committed <= lastIndex', { commit: index, lastIndex: this.lastIndex() });
    this.committed = index;
    return true;
  }

  appliedTo(index: number): void {
    if (index <= this.applied) return;
    invariant(index <= this.committed, 'applied <= committed', { applied: index, committed: this.committed });
    this.applied = index;
  }

  /** Installs a leader's snapshot: the whole log is replaced by it. */
  restore(snapshot: Snapshot): void {
    invariant(snapshot.meta.index > this.committed, 'a snapshot is only installed past the commit index', {
      snapshotIndex: snapshot.meta.index,
      committed: this.committed,
    });
    this.unstableSnapshot = snapshot;
    this.unstableEntries = [];
    this.unstableOffset = snapshot.meta.index + 1;
    this.committed = snapshot.meta.index;
  }

  unstable(): { snapshot: Snapshot | undefined; entries: readonly Entry[] } {
    return { snapshot: this.unstableSnapshot, entries: this.unstableEntries };
  }

  /** The driver made entries up to (index, term) durable; ignored if the log changed since. */
  stableTo(index: number, term: number): void {
    if (index < this.unstableOffset) return;
    const entry = this.unstableEntries[index - this.unstableOffset];
    if (entry === undefined || entry.term !== term) return;
    this.unstableEntries = this.unstableEntries.slice(index + 1 - this.unstableOffset);
    this.unstableOffset = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.unstableSnapshot?.meta.index === index) this.unstableSnapshot = undefined;
  }

  /** The last index the driver reported durable; what a leader may count as its own replica. */
  durableLastIndex(): number {
    if (this.unstableSnapshot !== undefined) return 0;
    return this.unstableOffset - 1;
  }

  hasPendingSnapshot(): boolean {
    return this.unstableSnapshot !== undefined;
  }

  /**
   * Committed entries not yet applied, within bytesMax; none while a snapshot waits. The driver
   * compacts the log only behind entries handed out here: a committed entry compacted before it
   * was handed out could never be, and a Ready would be due with nothing in it, again and again
   * (FINDINGS R11 of the simulator), so that breaks an invariant instead.
   */
  nextCommittedEntries(bytesMax: number): Entry[] {
    if (this.unstableSnapshot !== undefined) return [];
    invariant(this.committed <= this.applied || this.applied + 1 >= this.firstIndex(), 'committed entries not yet handed out are still in the log', {
      applied: this.applied,
      committed: this.committed,
      firstIndex: this.firstIndex(),
    });
    return this.slice(this.applied + 1, this.committed + 1, bytesMax);
  }

  hasNextCommittedEntries(): boolean {
    return this.unstableSnapshot === undefined && this.committed > this.applied;
  }
}

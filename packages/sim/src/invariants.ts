import type { Entry, NodeId } from '@holdfast/raft';

export type InvariantName =
  | 'electionSafety'
  | 'logMatching'
  | 'leaderCompleteness'
  | 'stateMachineSafety'
  | 'commitMonotonic'
  | 'appliedWithinCommitted'
  | 'committedDurable'
  | 'liveness'
  | 'linearizability'
  | 'coreError'
  /** Real node: two members' states differ at the same applied index. */
  | 'stateDivergence'
  /** Real node: a member voted while its log lacked an entry it had acknowledged. */
  | 'votedAfterLoss'
  /** Real node: a serializable or bounded read returned a value or revision it may not. */
  | 'localReadCheck'
  /** Real node: the node's own assert fired (a bug, unless its storage was damaged). */
  | 'nodeInvariant'
  /** Real node: a member's change stream (what watches are fed) skipped back or differs from another's. */
  | 'changeStream'
  /** Real node: a lease expired before its TTL since the last answered keepalive, or never expired once abandoned. */
  | 'leaseExpiry'
  /** Real node: a leader served a read under its lease after a leader of a later term was elected. */
  | 'leaseOverlap';

/** A broken invariant: a bug in the core (or, with a defect switched on, the defect found). */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
  readonly code = 'INVARIANT_VIOLATION';

  constructor(
    readonly invariant: InvariantName,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${invariant}: ${message}`, options);
  }
}

/** Read access to one node's log for the checks; `termAt` is undefined outside the stored range. */
export interface LogView {
  readonly snapshotIndex: number;
  readonly lastIndex: number;
  termAt(index: number): number | undefined;
}

interface RegisteredEntry {
  readonly entry: Entry;
  readonly prevTerm: number;
  readonly nodeId: NodeId;
}

interface CommittedEntry {
  readonly term: number;
  readonly entry: Entry | undefined;
  /**
   * The term of the node that first reported the commit: the leader's term when it committed,
   * or later. Leader completeness binds leaders of later terms only.
   */
  readonly committedInTerm: number;
}

/**
 * The safety properties of Raft (Figure 3 of the paper), checked incrementally as the
 * simulation observes each change, so that a violation is reported at the step that caused it.
 * Each observe* method throws an InvariantViolation carrying the values that broke the rule.
 */
export class SafetyChecker {
  /** Election safety: at most one leader per term, over the whole run. */
  private readonly leaderByTerm = new Map<number, NodeId>();
  /** Log matching: every (index, term) ever stored, with the term of the entry before it. */
  private readonly entriesByIndex = new Map<number, Map<number, RegisteredEntry>>();
  /** Entries known committed, by index. */
  private readonly committed = new Map<number, CommittedEntry>();
  private committedIndexMax = 0;
  /** State-machine safety: what the first node to apply an index applied there. */
  private readonly appliedByIndex = new Map<number, { entry: Entry; nodeId: NodeId }>();
  private readonly commitSinceRestart = new Map<NodeId, number>();
  private readonly durableCommit = new Map<NodeId, number>();
  /** Per node: every committed entry up to this index is on its disk (or under its snapshot). */
  private readonly durableCoverage = new Map<NodeId, number>();

  get committedIndex(): number {
    return this.committedIndexMax;
  }

  committedTermAt(index: number): number | undefined {
    return this.committed.get(index)?.term;
  }

  observeLeader(nodeId: NodeId, term: number): void {
    const existing = this.leaderByTerm.get(term);
    if (existing === undefined) {
      this.leaderByTerm.set(term, nodeId);
      return;
    }
    if (existing !== nodeId) {
      throw new InvariantViolation('electionSafety', `nodes ${existing} and ${nodeId} both became leader in term ${term}`);
    }
  }

  /**
   * A node stored `entries` (contiguous) after an entry of term `prevTerm` (0 at the start of
   * the log, or the snapshot term). The same (index, term) must always hold the same entry after
   * the same previous term; by induction the whole prefix then matches (§5.3, Log Matching).
   */
  observeStoredEntries(nodeId: NodeId, entries: readonly Entry[], prevTerm: number): void {
    let previous = prevTerm;
    for (const entry of entries) {
      this.registerEntry(nodeId, entry, previous);
      previous = entry.term;
    }
  }

  private registerEntry(nodeId: NodeId, entry: Entry, prevTerm: number): void {
    let byTerm = this.entriesByIndex.get(entry.index);
    if (byTerm === undefined) {
      byTerm = new Map();
      this.entriesByIndex.set(entry.index, byTerm);
    }
    const seen = byTerm.get(entry.term);
    if (seen === undefined) {
      byTerm.set(entry.term, { entry, prevTerm, nodeId });
      return;
    }
    if (!entriesEqual(seen.entry, entry)) {
      throw new InvariantViolation(
        'logMatching',
        `index ${entry.index} term ${entry.term}: node ${seen.nodeId} stored ${describeEntry(seen.entry)}, ` +
          `node ${nodeId} stored ${describeEntry(entry)}`,
      );
    }
    if (seen.prevTerm !== prevTerm) {
      throw new InvariantViolation(
        'logMatching',
        `index ${entry.index} term ${entry.term}: previous entry has term ${seen.prevTerm} on node ${seen.nodeId} ` +
          `but term ${prevTerm} on node ${nodeId} (prefixes differ)`,
      );
    }
  }

  /**
   * A node's commit index moved to `commit`; `log` is its log at that moment. The entries up to
   * it become committed; two nodes committing different entries at one index break safety.
   */
  observeCommit(nodeId: NodeId, commit: number, log: LogView, nodeTerm: number): void {
    const previous = this.commitSinceRestart.get(nodeId) ?? 0;
    if (commit < previous) {
      throw new InvariantViolation('commitMonotonic', `node ${nodeId} commit index went back from ${previous} to ${commit}`);
    }
    this.commitSinceRestart.set(nodeId, commit);
    if (commit > log.lastIndex) {
      throw new InvariantViolation(
        'commitMonotonic',
        `node ${nodeId} commit index ${commit} beyond its last index ${log.lastIndex}`,
      );
    }
    for (let index = Math.max(previous + 1, log.snapshotIndex + 1); index <= commit; index++) {
      const term = log.termAt(index);
      if (term === undefined) continue;
      this.registerCommitted(nodeId, index, term, nodeTerm);
    }
  }

  private registerCommitted(nodeId: NodeId, index: number, term: number, nodeTerm: number): void {
    const known = this.committed.get(index);
    if (known === undefined) {
      const entry = this.entriesByIndex.get(index)?.get(term)?.entry;
      this.committed.set(index, { term, entry, committedInTerm: nodeTerm });
      if (index > this.committedIndexMax) this.committedIndexMax = index;
      return;
    }
    if (known.term !== term) {
      throw new InvariantViolation(
        'stateMachineSafety',
        `index ${index} committed with term ${known.term}, but node ${nodeId} commits term ${term} there`,
      );
    }
  }

  /**
   * Leader completeness (§5.4): a new leader's log holds every entry committed in an earlier
   * term. (A leader may be observed late, after a leader of a later term committed more.)
   */
  observeLeaderLog(nodeId: NodeId, term: number, log: LogView): void {
    for (let index = log.snapshotIndex + 1; index <= this.committedIndexMax; index++) {
      const committed = this.committed.get(index);
      if (committed === undefined || committed.committedInTerm >= term) continue;
      if (index > log.lastIndex) {
        throw new InvariantViolation(
          'leaderCompleteness',
          `node ${nodeId} became leader of term ${term} with last index ${log.lastIndex}, ` +
            `below index ${index} committed in term ${committed.committedInTerm}`,
        );
      }
      const term_ = log.termAt(index);
      if (term_ !== committed.term) {
        throw new InvariantViolation(
          'leaderCompleteness',
          `node ${nodeId} became leader of term ${term} holding term ${term_} at index ${index}, ` +
            `where term ${committed.term} was committed in term ${committed.committedInTerm}`,
        );
      }
    }
  }

  /** State-machine safety: no two nodes apply different entries at one index. */
  observeApplied(nodeId: NodeId, entry: Entry, commit: number): void {
    if (entry.index > commit) {
      throw new InvariantViolation(
        'appliedWithinCommitted',
        `node ${nodeId} applied index ${entry.index} beyond its commit index ${commit}`,
      );
    }
    const first = this.appliedByIndex.get(entry.index);
    if (first === undefined) {
      this.appliedByIndex.set(entry.index, { entry, nodeId });
      return;
    }
    if (!entriesEqual(first.entry, entry)) {
      throw new InvariantViolation(
        'stateMachineSafety',
        `index ${entry.index}: node ${first.nodeId} applied ${describeEntry(first.entry)}, ` +
          `node ${nodeId} applied ${describeEntry(entry)}`,
      );
    }
  }

  /** applied ≤ committed, checked on the node's current values. */
  observeAppliedIndex(nodeId: NodeId, applied: number, commit: number): void {
    if (applied > commit) {
      throw new InvariantViolation(
        'appliedWithinCommitted',
        `node ${nodeId} applied index ${applied} exceeds its commit index ${commit}`,
      );
    }
  }

  /** The commit index on a node's disk never goes back, whatever crashes in between. */
  observeDurableCommit(nodeId: NodeId, commit: number): void {
    const previous = this.durableCommit.get(nodeId) ?? 0;
    if (commit < previous) {
      throw new InvariantViolation(
        'commitMonotonic',
        `node ${nodeId} durable commit index went back from ${previous} to ${commit}`,
      );
    }
    this.durableCommit.set(nodeId, commit);
  }

  /** A node restarted: its in-memory commit starts again from what its disk says. */
  observeRestart(nodeId: NodeId, commit: number): void {
    const durable = this.durableCommit.get(nodeId) ?? 0;
    if (commit < durable) {
      throw new InvariantViolation(
        'commitMonotonic',
        `node ${nodeId} restarted with commit index ${commit}, below its durable commit index ${durable}`,
      );
    }
    this.commitSinceRestart.set(nodeId, commit);
  }

  /**
   * The leader advanced its commit index over (index, term): the entry must already be durable
   * on a majority of the voters in force (a crash of every node then loses nothing committed).
   * `durableTermAt(node, index)` gives -1 when the node's snapshot covers the index.
   */
  observeCommitQuorum(commit: {
    readonly leaderId: NodeId;
    readonly index: number;
    readonly term: number;
    readonly voters: readonly NodeId[];
    readonly durableTermAt: (nodeId: NodeId, index: number) => number;
  }): void {
    const { leaderId, index, term, voters } = commit;
    if (voters.length === 0) return;
    const holders = voters.filter((id) => {
      const durableTerm = commit.durableTermAt(id, index);
      return durableTerm === -1 || durableTerm === term;
    });
    if (holders.length * 2 <= voters.length) {
      throw new InvariantViolation(
        'committedDurable',
        `leader ${leaderId} committed index ${index} (term ${term}) while only [${holders.join(',')}] ` +
          `of voters [${voters.join(',')}] had it on disk`,
      );
    }
  }

  /**
   * A node's disk, after a crash: every committed entry it once held durably is still there or
   * under its snapshot. Extends the node's coverage mark as far as its disk now goes.
   */
  observeDurableLog(nodeId: NodeId, durableTermAt: (index: number) => number): void {
    const mark = this.durableCoverage.get(nodeId) ?? 0;
    for (let index = 1; index <= mark; index++) {
      const committed = this.committed.get(index);
      if (committed === undefined) continue;
      const term = durableTermAt(index);
      if (term !== -1 && term !== committed.term) {
        throw new InvariantViolation(
          'committedDurable',
          `node ${nodeId} lost committed index ${index} (term ${committed.term}) from its disk (now term ${term})`,
        );
      }
    }
    let next = mark;
    while (next < this.committedIndexMax) {
      const committed = this.committed.get(next + 1);
      const term = durableTermAt(next + 1);
      if (committed === undefined || (term !== -1 && term !== committed.term)) break;
      next++;
    }
    this.durableCoverage.set(nodeId, next);
  }
}

export function entriesEqual(a: Entry, b: Entry): boolean {
  if (a === b) return true;
  if (a.index !== b.index || a.term !== b.term) return false;
  if (a.type === 'confChange' || b.type === 'confChange') {
    if (a.type !== 'confChange' || b.type !== 'confChange') return false;
    return a.change.type === b.change.type && a.change.nodeId === b.change.nodeId;
  }
  if (a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

const textDecoder = new TextDecoder();

export function describeEntry(entry: Entry): string {
  if (entry.type === 'confChange') return `(${entry.index}/${entry.term} ${entry.change.type} ${entry.change.nodeId})`;
  const body = entry.data.length === 0 ? 'no-op' : textDecoder.decode(entry.data.subarray(0, 80));
  return `(${entry.index}/${entry.term} ${body})`;
}

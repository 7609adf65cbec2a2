/**
 * The vocabulary of the consensus core: log entries, messages, hard state, snapshots,
 * configuration, and the Ready batch the driver consumes. Everything here is plain data
 * so that it can be encoded with msgpackr on the wire and on disk unchanged.
 */

/** A member of the cluster. Positive safe integer, never reused after removal. */
export type NodeId = number;

/** The log position of an entry: term first, index second, as in the paper. */
export interface EntryId {
  readonly term: number;
  readonly index: number;
}

/**
 * A change of membership. One change at a time (see RaftNode.proposeConfChange).
 * `context` is opaque to the core: the server puts the member's name and addresses there so
 * that they are replicated with the change itself.
 */
export interface ConfChange {
  readonly type: 'addLearner' | 'addVoter' | 'promoteLearner' | 'removeNode';
  readonly nodeId: NodeId;
  readonly context?: Uint8Array;
}

/** The membership in force: voters decide elections and commits, learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/**
 * One slot of the replicated log. A normal entry with empty data is the no-op a new leader
 * appends (§5.4.2 of the Raft paper, and §6.4 of the dissertation for ReadIndex).
 */
export type Entry =
  | { readonly type: 'normal'; readonly term: number; readonly index: number; readonly data: Uint8Array }
  | { readonly type: 'confChange'; readonly term: number; readonly index: number; readonly change: ConfChange };

/** What must survive a crash besides the log (§5.1, Figure 2 "Persistent state on all servers"). */
export interface HardState {
  readonly term: number;
  /** The candidate voted for in `term`, or 0 for none. */
  readonly vote: NodeId;
  readonly commit: number;
}

export interface SnapshotMeta {
  /** The last index the snapshot covers. */
  readonly index: number;
  /** The term of the entry at `index`. */
  readonly term: number;
  /** The membership as of `index`. */
  readonly confState: ConfState;
}

/**
 * A state-machine snapshot. The core never looks inside `data`: the driver may put the whole
 * state there (the simulator does) or a small handle that its transport resolves to a stream
 * (the server does, so large snapshots never sit in memory).
 */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export type MessageType =
  | 'preVote'
  | 'preVoteResponse'
  | 'vote'
  | 'voteResponse'
  | 'append'
  | 'appendResponse'
  | 'heartbeat'
  | 'heartbeatResponse'
  | 'snapshot'
  | 'readIndex'
  | 'readIndexResponse'
  | 'timeoutNow';

/**
 * A message between cores. One flat shape for every type (as in etcd-io/raft's raftpb.Message)
 * so that the transport can batch and encode them without knowing the protocol.
 * Fields not used by a type are left at their zero value.
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** append: term of the entry before `entries`; vote: term of the candidate's last entry. */
  readonly logTerm: number;
  /** append: index of the entry before `entries`; vote: candidate's last index; responses: see core. */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  /** On a rejected append: the follower's hint for fast back-off (last index it could match). */
  readonly rejectHint: number;
  /** On a rejected append: the term of the follower's entry at rejectHint (conflict term). */
  readonly rejectTerm: number;
  readonly snapshot?: Snapshot;
  /**
   * readIndex / readIndexResponse: the request id. heartbeat / heartbeatResponse: the read round
   * being confirmed. vote / preVote: 1 when the election was started by a leadership transfer
   * (timeoutNow), which lets it through the followers' leader lease. 0 when unused.
   */
  readonly context: number;
  /**
   * Repair of a member that lost entries it had acknowledged (a damaged disk). On a
   * heartbeatResponse: "my log lost entries I acknowledged; it now ends at `index`" (sent while
   * the member is in repair, until a leader of its term answers). On an append from the leader:
   * the answer, "I no longer count anything you acknowledged before; my commit index was at most
   * `commit` when I stopped" (sent only once the leader committed an entry of its term). Absent
   * (false) otherwise, and from releases before repair existed.
   */
  readonly lostEntries?: boolean;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state the driver may show or act on; reported in a Ready when it changes. */
export interface SoftState {
  readonly leaderId: NodeId; // 0 when unknown
  readonly role: Role;
}

/** A linearizable read became safe: the driver may serve it once applied >= index. */
export interface ReadState {
  readonly requestId: number;
  readonly index: number;
}

/**
 * One batch of work for the driver. Handle it completely, then call `advance(ready)`.
 *
 * Ordering rules (what must be durable before which message leaves):
 * 1. `snapshot` (if any), then `entries` and `hardState` must be written to stable storage in
 *    one synced write before any message in `messagesAfterPersist` is sent: those carry votes and
 *    acknowledgements that promise the state is durable (§5.1, Figure 2).
 * 2. `messages` may be sent at once, in parallel with that write. The core only puts a leader's
 *    messages there (appends, heartbeats, snapshots, timeoutNow, read answers): a leader counts
 *    its own log as a replica only once the driver reports it durable, so sending early is safe
 *    (Raft dissertation §10.2.1). Everything a non-leader sends is in `messagesAfterPersist`.
 * 3. `committedEntries` may be applied once the write of rule 1 finished; they are already
 *    durable on a quorum. Apply them in order, then answer waiting clients.
 * 4. `readStates` are served once the state machine has applied up to their index.
 * 5. `entries` may overwrite a suffix of the stored log: drop stored entries at index >= the
 *    first index of `entries` before appending.
 * 6. The snapshot and entries must be readable through the node's LogStorage before
 *    `advance(ready)`; after it the core reads them from there. One Ready is outstanding at a
 *    time: `ready()` again before `advance()` throws ReadyPendingError.
 * 7. After each snapshot message is sent, call `reportSnapshot(to, 'finished' | 'failed')`.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly messages: readonly Message[];
  readonly messagesAfterPersist: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /**
   * Read request ids that will never complete: leadership was lost, the leader changed, or the
   * leader refused the read. The driver fails them at once so the client can retry elsewhere.
   */
  readonly droppedReads: readonly number[];
  /** True when hardState or entries changed and the write must be synced (fsync). */
  readonly mustSync: boolean;
}

/**
 * The read side of the log that the core needs, synchronous by design: the server keeps the
 * uncompacted log in memory (bounded by compaction) and writes it through to LevelDB, as etcd's
 * MemoryStorage + WAL do. `MemoryLogStorage` implements it for tests and the simulator.
 */
export interface LogStorage {
  /**
   * The hard state and membership saved before a restart. `confState` is the membership as of
   * `firstIndex() - 1` (the snapshot or compaction point); the core replays the confChange
   * entries still in the log on top of it. `applyConfChange` keeps it current on compaction.
   */
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at least one if any exist, and no more than `bytesMax` beyond the first. */
  entries(lo: number, hi: number, bytesMax: number): Entry[];
  /** The term of the entry at `index`; throws CompactedError / UnavailableError. */
  term(index: number): number;
  /** The index of the first entry still in the log (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /**
   * The most recent snapshot; throws SnapshotTemporarilyUnavailableError if not ready yet. A log
   * that was never compacted may answer with an empty snapshot at index 0 (never sent).
   */
  snapshot(): Snapshot;
}

/** A seeded source of randomness in [0, 1); the core holds no other. */
export type RandomSource = () => number;

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: LogStorage;
  readonly random: RandomSource;
  /**
   * The minimum election timeout: a follower campaigns after a timeout drawn from
   * [electionTicks, electionTicks + electionSpreadTicks), and with CheckQuorum ignores campaigns
   * for electionTicks ticks after hearing a leader (what leader leases rest on).
   */
  readonly electionTicks: number;
  /**
   * Width of the randomized range of the election timeout, in ticks: 1 <= spread <= electionTicks.
   * Default electionTicks, etcd's [T, 2T). A narrower spread shortens the longest wait for a
   * failover at the same minimum timeout, at the price of more split votes when timers collide.
   */
  readonly electionSpreadTicks?: number;
  /**
   * Ranked election slots, in ticks; 0 (the default) is off. When on, a follower that knows the
   * leader it last followed campaigns after electionTicks + rank × slot + a quarter slot (a margin
   * over the others' leases) + a jitter under a quarter slot, rank being its place after that
   * leader in the cyclic order of voter ids, so that the
   * successors of a dead leader stand one at a time instead of splitting the vote. A node without
   * a last leader, or whose own campaign failed, draws as usual. A slot should exceed the largest
   * one-way delay between voters plus processing. 0 <= slot < electionTicks.
   */
  readonly electionRankSlotTicks?: number;
  readonly heartbeatTicks: number;
  /**
   * The last index the state machine applied before a restart. Defaults to the index of
   * storage.snapshot() (the driver restored its state machine from it), or 0 for a fresh node.
   */
  readonly applied?: number;
  readonly preVote?: boolean; // default true
  readonly checkQuorum?: boolean; // default true
  /** Bytes of entries in one append message (at least one entry is always sent). */
  readonly messageBytesMax: number;
  /** Append messages in flight to one follower in replicate state. */
  readonly inflightMessagesMax: number;
  /** Bytes of entries in flight to one follower. */
  readonly inflightBytesMax: number;
  /** Bytes of proposed but not yet committed entries on the leader; past it proposals are refused. */
  readonly uncommittedBytesMax: number;
  /** Bytes of committed entries handed out in one Ready. */
  readonly applyBytesMax?: number;
  /** Read requests waiting for a heartbeat round; past it readIndex is refused. */
  readonly pendingReadsMax?: number;
  /**
   * ReadIndex heartbeat rounds a leader keeps in flight at once (default 4). A read that arrives
   * while a round is in flight starts a round of its own (one round trip) instead of waiting for
   * that round and then a whole next one (up to two); past the bound reads share the next round.
   */
  readonly readRoundsInFlightMax?: number;
  /**
   * Ticks a leader waits for reportSnapshot() after sending a snapshot before it treats the
   * transfer as failed and probes again (a safety net for a lost report). Default 20 * electionTicks.
   */
  readonly snapshotTimeoutTicks?: number;
  /**
   * The node starts in repair: its disk lost entries it had acknowledged (see
   * `Message.lostEntries` and the README's "Repair"). It never grants a vote or pre-vote and
   * never campaigns until a leader of its term has answered its report and it has committed and
   * applied that leader's commit index; then it leaves repair by itself (`status().repairing`).
   * The driver keeps this flag durable (a marker) until the core reports it left repair.
   */
  readonly repairing?: boolean;
  /**
   * In repair: the newest term this node could have acknowledged entries in before it lost them
   * (its durable term when the loss was found, read from a copy the loss did not touch), or 0
   * when unknown (the default). With it, the node in repair grants a vote or pre-vote to a
   * candidate whose last log term is above it (and that passes the usual checks): such a
   * candidate holds every entry committed with this node's acknowledgements (README, "Repair").
   * With 0 it grants none.
   */
  readonly repairLossTerm?: number;
}

/** How the leader replicates to one follower (etcd-io/raft tracker/state.go). */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** The leader's view of one member. */
export interface ProgressStatus {
  readonly id: NodeId;
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  /** Heard from within the current election timeout (CheckQuorum). */
  readonly recentActive: boolean;
  /** Append messages in flight (replicate state). */
  readonly inflightMessages: number;
  /** The member reported in this term that it lost entries it had acknowledged (repair). */
  readonly lostEntries: boolean;
}

/** A snapshot of the core's state for operators and tests; plain data. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly role: Role;
  readonly leaderId: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  /** The membership in force (the latest confChange in the log, appended or committed). */
  readonly confState: ConfState;
  /** On a leader: every member's progress, the leader included. Empty otherwise. */
  readonly progress: readonly ProgressStatus[];
  /** On a leader during a leadership transfer: the target; 0 otherwise. */
  readonly leadTransferee: NodeId;
  /** In repair (see `RaftConfig.repairing`): votes and campaigns are suspended. */
  readonly repairing: boolean;
  /**
   * In repair: the commit index a leader of this term gave when it answered the report (0 until
   * then); the node leaves repair once it committed and applied it.
   */
  readonly repairCommitTarget: number;
}

/**
 * The consensus core: a pure, synchronous Raft state machine in the shape of etcd-io/raft.
 * It does no I/O and reads no clock: the driver calls tick(), step(), propose(), ... and hands
 * each Ready to storage, network and state machine before calling advance().
 */
import { type ResolvedConfig, resolveConfig } from './config.js';
import { entryBytes, totalBytes } from './entries.js';
import {
  CompactedError,
  ConfChangeInvalidError,
  ConfChangePendingError,
  ConfChangeTooEarlyError,
  InvariantError,
  invariant,
  isCompacted,
  LeadershipTransferInProgressError,
  MessageInvalidError,
  NotLeaderError,
  PendingReadsLimitError,
  ProposalInvalidError,
  RaftConfigError,
  RaftError,
  ReadRequestInvalidError,
  ReadyPendingError,
  ReadyUnknownError,
  TransferTargetInvalidError,
  UncommittedLimitError,
} from './errors.js';
import { RaftLog } from './log.js';
import { newMessage } from './message.js';
import { validateConfChange, validateMessage } from './validate.js';
import { applyConfChange, ConfHistory, isNodeId } from './membership.js';
import { Progress } from './progress.js';
import { ReadQueue } from './read-index.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  LogStorage,
  Message,
  NodeId,
  RaftConfig,
  RaftStatus,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SoftState,
} from './types.js';

/** Message.context on vote / preVote: the election was started by a leadership transfer. */
export const CAMPAIGN_TRANSFER = 1;


type MessageFields = Partial<Omit<Message, 'type' | 'to'>> & Pick<Message, 'type' | 'to'>;

export class RaftNode {
  readonly id: NodeId;
  private readonly config: ResolvedConfig;
  private readonly log: RaftLog;
  /** Membership in force: the latest confChange in the log, committed or not (§4.1). */
  private readonly confHistory: ConfHistory;

  /** Invariant: never decreases. */
  private term: number;
  /** The node voted for in `term`; 0 for none. Invariant: changes only together with a new term or from 0. */
  private vote: NodeId;
  private role: Role = 'follower';
  private leaderId: NodeId = 0;
  private stepRole: (message: Message) => void = (message) => this.stepFollower(message);
  private tickRole: () => void = () => this.tickElection();

  /** Ticks since the last valid message from the leader (followers) or since the last quorum check (leader). */
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  /**
   * The commit index moved and some follower has not been sent it yet. It travels with the next
   * append to that follower; whatever has not gone by the next tick goes in an append of its own
   * (see tickHeartbeat). Sending an empty append at every commit would cost every follower a
   * message, a loop turn and an acknowledgement per commit, and at low concurrency that work
   * lands while the client's answer is on its way.
   */
  private commitBroadcastDue = false;
  /**
   * Drawn in [electionTicks, electionTicks + electionSpreadTicks) on every reset (§5.2). Only when
   * this node campaigns depends on it; how long it ignores campaigns after hearing a leader
   * (inLease, CheckQuorum) stays electionTicks, so a narrower spread leaves leader leases as safe.
   */
  private randomizedElectionTicks = 0;
  /** The [0, 1) draw behind randomizedElectionTicks, reused for the jitter of a ranked timeout. */
  private electionDraw = 0;
  /**
   * The leader this node last knew (itself included), kept across terms; 0 for none, or after a
   * campaign of its own failed. With electionRankSlotTicks it orders who stands first when that
   * leader goes silent (see electionTimeoutTicks).
   */
  private lastLeaderId: NodeId = 0;
  private readonly votes = new Map<NodeId, boolean>();
  /**
   * In repair: this node's disk lost entries it had acknowledged, so its log no longer backs its
   * past acknowledgements and votes. It never grants a vote or pre-vote and never campaigns
   * (a quorum without it still holds every committed entry, so any leader it helps elect would
   * too — but it cannot tell which candidate lacks what it lost). It leaves repair once
   * `repairCommitTarget` is set and both committed and applied here.
   */
  private repairing: boolean;
  /**
   * The commit index a leader gave when it answered this node's report of lost entries
   * (Message.lostEntries), 0 before. Everything the node may have acknowledged and lost is at or
   * below it: that leader had stopped counting the old acknowledgements, and had committed an
   * entry of its own term (so its commit index covers every entry committed before).
   * Invariant: only grows.
   */
  private repairCommitTarget = 0;

  /** Leader only: every member's progress. Invariant: holds every member of the configuration. */
  private readonly progress = new Map<NodeId, Progress>();
  private leadTransferee: NodeId = 0;
  /** Leader only: proposals of this term not yet committed, oldest first, with their bytes. */
  private uncommitted: { index: number; bytes: number }[] = [];
  private uncommittedBytes = 0;

  private readonly readQueue = new ReadQueue();
  private readRoundNext = 1;
  /** The newest read round started in this term, and the newest confirmed; in flight: the rounds between. */
  private readRoundNewest = 0;
  private readRoundConfirmed = 0;
  /** Follower only: reads forwarded to the leader, by request id, with the leader asked. */
  private readonly forwardedReads = new Map<number, NodeId>();

  private messages: Message[] = [];
  private messagesAfterPersist: Message[] = [];
  private readStates: ReadState[] = [];
  private droppedReads: number[] = [];
  private previousSoftState: SoftState = { leaderId: 0, role: 'follower' };
  private previousHardState: HardState;
  private outstanding: Ready | undefined;

  constructor(config: RaftConfig) {
    this.config = resolveConfig(config);
    this.id = this.config.id;
    const storage = this.config.storage;
    const { hardState, confState } = storage.initialState();
    const baseIndex = storage.firstIndex() - 1;
    const lastIndex = storage.lastIndex();
    // A snapshot is committed by definition, whatever the stored commit says.
    const committed = Math.max(hardState.commit, baseIndex);
    if (committed > lastIndex) {
      throw new RaftConfigError('storage', `hard state commit ${hardState.commit} is beyond the last index ${lastIndex}`);
    }
    const applied = this.config.applied ?? defaultApplied(storage, baseIndex);
    if (applied < baseIndex) {
      throw new RaftConfigError('applied', `(${applied}) is below the snapshot index (${baseIndex}); restore the snapshot first`);
    }
    if (applied > committed) {
      throw new RaftConfigError('applied', `(${applied}) is beyond the stored commit index (${committed})`);
    }
    this.log = new RaftLog(storage, { committed, applied });
    this.confHistory = new ConfHistory(baseIndex, confState);
    this.replayConfChanges(baseIndex + 1, lastIndex);
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.previousHardState = hardState;
    this.repairing = this.config.repairing;
    this.becomeFollower(this.term, 0);
  }

  // ---------------------------------------------------------------- inputs

  tick(): void {
    this.tickRole();
  }

  step(message: Message): void {
    const problem = validateMessage(message);
    if (problem !== undefined) throw problem;
    if (message.to !== this.id || message.from === this.id) return;
    if (message.term > this.term) {
      if (!this.acceptHigherTerm(message)) return;
    } else if (message.term < this.term) {
      this.handleStaleTerm(message);
      return;
    }
    if (message.type === 'vote' || message.type === 'preVote') {
      this.handleVoteRequest(message);
      return;
    }
    this.stepRole(message);
  }

  propose(data: readonly Uint8Array[]): { term: number; firstIndex: number; lastIndex: number } {
    this.requireLeaderForProposal();
    if (!Array.isArray(data) || data.length === 0) throw new ProposalInvalidError('a proposal needs at least one entry');
    const firstIndex = this.log.lastIndex() + 1;
    const entries: Entry[] = data.map((bytes, position) => {
      if (!(bytes instanceof Uint8Array)) throw new ProposalInvalidError(`entry ${position} is not a Uint8Array`);
      return { type: 'normal', term: this.term, index: firstIndex + position, data: bytes };
    });
    for (const entry of entries) {
      if (entryBytes(entry) > this.config.messageBytesMax) {
        throw new ProposalInvalidError(
          `entry of ${entryBytes(entry)} bytes is larger than messageBytesMax (${this.config.messageBytesMax})`,
        );
      }
    }
    this.requireUncommittedRoom(totalBytes(entries));
    this.appendAsLeader(entries);
    return { term: this.term, firstIndex, lastIndex: firstIndex + entries.length - 1 };
  }

  proposeConfChange(change: ConfChange): { term: number; index: number } {
    this.requireLeaderForProposal();
    validateConfChange(change, this.config.messageBytesMax);
    if (!this.committedInTerm()) throw new ConfChangeTooEarlyError();
    const pendingIndex = this.confHistory.lastIndex();
    if (pendingIndex > this.log.applied) throw new ConfChangePendingError(pendingIndex);
    applyConfChange(this.confHistory.current(), change); // validates; changes nothing
    const entry: Entry = { type: 'confChange', term: this.term, index: this.log.lastIndex() + 1, change };
    this.requireUncommittedRoom(entryBytes(entry));
    this.appendAsLeader([entry]);
    return { term: this.term, index: entry.index };
  }

  readIndex(requestId: number): void {
    if (!isNodeId(requestId)) throw new ReadRequestInvalidError(`request id ${String(requestId)} is not a positive safe integer`);
    if (this.role === 'leader') {
      this.addLocalRead(requestId);
      return;
    }
    if (this.role !== 'follower' || this.leaderId === 0) throw new NotLeaderError(0);
    if (this.forwardedReads.has(requestId)) throw new ReadRequestInvalidError(`read ${requestId} is already pending`);
    if (this.forwardedReads.size >= this.config.pendingReadsMax) throw new PendingReadsLimitError(this.config.pendingReadsMax);
    this.forwardedReads.set(requestId, this.leaderId);
    this.send({ type: 'readIndex', to: this.leaderId, context: requestId });
  }

  transferLeadership(to: NodeId): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leaderId);
    if (to === this.id || to === this.leadTransferee) return;
    if (!this.confHistory.current().voters.includes(to)) throw new TransferTargetInvalidError(to);
    this.leadTransferee = to;
    // The transfer is abandoned if it has not finished within one election timeout.
    this.electionElapsed = 0;
    const progress = this.progress.get(to)!;
    if (progress.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to);
  }

  /** Starts an election now (skipping the timeout). Ignored on a leader or on a node that is not a voter. */
  campaign(): void {
    this.hup(false);
  }

  reportUnreachable(id: NodeId): void {
    const progress = this.role === 'leader' ? this.progress.get(id) : undefined;
    if (progress?.state === 'replicate') progress.becomeProbe();
  }

  reportSnapshot(id: NodeId, status: 'finished' | 'failed'): void {
    const progress = this.role === 'leader' ? this.progress.get(id) : undefined;
    if (progress?.state !== 'snapshot') return;
    if (status === 'failed') progress.pendingSnapshot = 0;
    progress.becomeProbe();
    // Wait for the follower's answer (or a heartbeat answer) before probing again.
    progress.probeSent = true;
  }

  // ---------------------------------------------------------------- Ready / advance

  hasReady(): boolean {
    if (this.outstanding !== undefined) return false;
    const unstable = this.log.unstable();
    return (
      !sameSoftState(this.softState(), this.previousSoftState) ||
      !sameHardState(this.hardState(), this.previousHardState) ||
      unstable.snapshot !== undefined ||
      unstable.entries.length > 0 ||
      this.messages.length > 0 ||
      this.messagesAfterPersist.length > 0 ||
      this.log.hasNextCommittedEntries() ||
      this.readStates.length > 0 ||
      this.droppedReads.length > 0
    );
  }

  ready(): Ready {
    if (this.outstanding !== undefined) throw new ReadyPendingError();
    const softState = this.softState();
    const hardState = this.hardState();
    const unstable = this.log.unstable();
    const hardStateChanged = !sameHardState(hardState, this.previousHardState);
    const voteChanged = hardState.term !== this.previousHardState.term || hardState.vote !== this.previousHardState.vote;
    const ready: Ready = {
      ...(sameSoftState(softState, this.previousSoftState) ? {} : { softState }),
      ...(hardStateChanged ? { hardState } : {}),
      ...(unstable.snapshot === undefined ? {} : { snapshot: unstable.snapshot }),
      entries: [...unstable.entries],
      messages: this.messages,
      messagesAfterPersist: this.messagesAfterPersist,
      committedEntries: this.log.nextCommittedEntries(this.config.applyBytesMax),
      readStates: this.readStates,
      droppedReads: this.droppedReads,
      mustSync: voteChanged || unstable.entries.length > 0 || unstable.snapshot !== undefined,
    };
    this.messages = [];
    this.messagesAfterPersist = [];
    this.readStates = [];
    this.droppedReads = [];
    this.previousSoftState = softState;
    this.previousHardState = hardState;
    this.outstanding = ready;
    return ready;
  }

  advance(ready: Ready): void {
    if (ready !== this.outstanding) throw new ReadyUnknownError();
    this.outstanding = undefined;
    if (ready.snapshot !== undefined) {
      this.log.stableSnapshotTo(ready.snapshot.meta.index);
      this.log.appliedTo(ready.snapshot.meta.index);
    }
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) this.log.stableTo(lastEntry.index, lastEntry.term);
    const lastApplied = ready.committedEntries[ready.committedEntries.length - 1];
    if (lastApplied !== undefined) this.log.appliedTo(lastApplied.index);
    this.maybeFinishRepair();
    // Keep the membership history back to the compaction point, for confStateAt().
    this.confHistory.pruneTo(Math.min(this.log.applied, this.log.firstIndex() - 1));
    if (this.role === 'leader') {
      // The leader counts its own log only as far as the driver reported it durable.
      this.progress.get(this.id)?.maybeUpdate(this.log.durableLastIndex());
      if (this.maybeCommit()) this.commitBroadcastDue = true;
    }
  }

  // ---------------------------------------------------------------- status

  status(): RaftStatus {
    const progress =
      this.role === 'leader'
        ? [...this.progress.entries()].sort(([a], [b]) => a - b).map(([id, entry]) => entry.status(id))
        : [];
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      role: this.role,
      leaderId: this.leaderId,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      confState: this.confHistory.current(),
      progress,
      leadTransferee: this.leadTransferee,
      repairing: this.repairing,
      repairCommitTarget: this.repairCommitTarget,
    };
  }

  /**
   * The membership as of `index`, for a driver that makes a snapshot at its applied index.
   * Valid for any index the driver has applied, back to the log's compaction point (below it:
   * CompactedError), also while a snapshot received from the leader waits to be installed.
   */
  confStateAt(index: number): ConfState {
    const oldest = this.confHistory.oldestIndex();
    if (index < oldest) throw new CompactedError(index, oldest + 1);
    return this.confHistory.at(index);
  }

  // ---------------------------------------------------------------- role transitions

  private becomeFollower(term: number, leaderId: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.leaderId = leaderId;
    if (leaderId !== 0) this.lastLeaderId = leaderId;
    this.stepRole = (message) => this.stepFollower(message);
    this.tickRole = () => this.tickElection();
  }

  private becomePreCandidate(): void {
    if (this.role === 'leader') throw new InvariantError('illegal transition leader -> preCandidate', { term: this.term });
    // PreVote changes neither term nor vote (§9.6 of the dissertation): a node that cannot win
    // does not disturb the cluster.
    this.dropAllReads();
    this.abortLeaderTransfer();
    this.votes.clear();
    this.role = 'preCandidate';
    this.leaderId = 0;
    this.stepRole = (message) => this.stepCandidate(message);
    this.tickRole = () => this.tickElection();
  }

  private becomeCandidate(): void {
    if (this.role === 'leader') throw new InvariantError('illegal transition leader -> candidate', { term: this.term });
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
    this.stepRole = (message) => this.stepCandidate(message);
    this.tickRole = () => this.tickElection();
  }

  private becomeLeader(): void {
    if (this.role !== 'candidate') throw new InvariantError('illegal transition to leader', { from: this.role, term: this.term });
    this.reset(this.term);
    this.role = 'leader';
    this.leaderId = this.id;
    this.lastLeaderId = this.id;
    this.stepRole = (message) => this.stepLeader(message);
    this.tickRole = () => this.tickHeartbeat();
    for (const id of members(this.confHistory.current())) this.addProgress(id);
    const self = this.progress.get(this.id);
    if (self !== undefined) {
      self.maybeUpdate(this.log.durableLastIndex());
      self.becomeReplicate();
    }
    // §5.4.2 / §8: an empty entry of the new term lets the leader commit, and learn the commit
    // index, without waiting for a client write.
    this.appendAsLeader([{ type: 'normal', term: this.term, index: this.log.lastIndex() + 1, data: new Uint8Array(0) }]);
  }

  /** Clears per-term state; a new term also clears the vote. */
  private reset(term: number): void {
    invariant(term >= this.term, 'term never decreases', { term: this.term, newTerm: term });
    this.dropAllReads();
    if (term !== this.term) {
      this.term = term;
      this.vote = 0;
    }
    this.leaderId = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.commitBroadcastDue = false;
    // One draw per reset whatever the spread or ranking, so the defaults replay every seed as before.
    this.electionDraw = this.config.random();
    this.randomizedElectionTicks = this.config.electionTicks + Math.floor(this.electionDraw * this.config.electionSpreadTicks);
    this.leadTransferee = 0;
    this.votes.clear();
    this.progress.clear();
    this.uncommitted = [];
    this.uncommittedBytes = 0;
  }

  // ---------------------------------------------------------------- ticks

  private tickElection(): void {
    this.electionElapsed += 1;
    if (this.isPromotable() && this.electionElapsed >= this.electionTimeoutTicks()) {
      this.electionElapsed = 0;
      // A campaign of ours that timed out: the ranking did not produce a leader, so fall back to
      // the random draw rather than let one member's order decide every later round.
      if (this.role !== 'follower') this.lastLeaderId = 0;
      this.hup(false);
    }
  }

  /**
   * Ticks without a leader after which this node campaigns. By default the random draw. With
   * electionRankSlotTicks, a follower that knows its last leader L waits electionTicks plus
   * rank × slot plus a quarter slot plus a jitter under a quarter slot, rank being its place after
   * L in the cyclic order of voter ids (the next voter stands first): when L goes silent its
   * successors stand one after another, a slot apart, and each hears the earlier one's campaign
   * before its own timer fires, instead of splitting the vote. The quarter slot is a margin over
   * the others' leases: a peer that heard L a moment later (or ticks a little behind) ignores
   * campaigns until its own electionTicks have passed (inLeaderLease), and a pre-vote it ignored
   * would hand the election to the next rank a slot later. Without a last leader, and while
   * campaigning, the random draw.
   */
  private electionTimeoutTicks(): number {
    const slotTicks = this.config.electionRankSlotTicks;
    if (slotTicks === 0 || this.role !== 'follower' || this.lastLeaderId === 0) return this.randomizedElectionTicks;
    const rank = this.electionRank(this.lastLeaderId);
    if (rank === undefined) return this.randomizedElectionTicks;
    const quarterTicks = rankQuarterTicks(slotTicks);
    return this.config.electionTicks + rank * slotTicks + quarterTicks + Math.floor(this.electionDraw * quarterTicks);
  }

  /**
   * The number of voters strictly between `leaderId` and this node in the cyclic order of ids
   * (the leader itself is not counted; a deposed leader ranks last). Undefined for a non-voter.
   */
  private electionRank(leaderId: NodeId): number | undefined {
    const voters = this.confHistory.current().voters;
    if (!voters.includes(this.id)) return undefined;
    const others = voters.filter((id) => id !== leaderId && id !== this.id);
    const distance = (id: NodeId): number => (id > leaderId ? id - leaderId : id - leaderId + Number.MAX_SAFE_INTEGER);
    const ownDistance = distance(this.id);
    return others.filter((id) => distance(id) < ownDistance).length;
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed += 1;
    this.electionElapsed += 1;
    this.tickSnapshotTransfers();
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.checkQuorumActive()) {
        // §6.2: a leader cut off from a quorum steps down so clients look elsewhere.
        this.becomeFollower(this.term, 0);
        return;
      }
      this.abortLeaderTransfer();
    }
    if (this.commitBroadcastDue) this.broadcastCommit();
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat(this.readRoundNewest > this.readRoundConfirmed ? this.readRoundNewest : 0);
    }
  }

  /** Sends the commit index to every member no append has carried it to yet. */
  private broadcastCommit(): void {
    this.commitBroadcastDue = false;
    for (const [id, progress] of this.progress) {
      if (id !== this.id && progress.commitSent < this.log.committed) this.sendAppend(id);
    }
  }

  /** A snapshot whose outcome was never reported is taken as failed after snapshotTimeoutTicks. */
  private tickSnapshotTransfers(): void {
    for (const [id, progress] of this.progress) {
      if (progress.state !== 'snapshot') continue;
      progress.snapshotElapsedTicks += 1;
      if (progress.snapshotElapsedTicks >= this.config.snapshotTimeoutTicks) this.reportSnapshot(id, 'failed');
    }
  }

  // ---------------------------------------------------------------- elections

  /**
   * A voter of the configuration in force may campaign. So may a voter whose removal is still
   * uncommitted in its log: it may be the only node holding that entry, hence the only one that
   * can finish the change (dissertation §4.2.2). It does not count its own vote. Any other node
   * outside the configuration never campaigns.
   */
  private isPromotable(): boolean {
    if (this.repairing) return false;
    if (this.confHistory.current().voters.includes(this.id)) return true;
    const changeIndex = this.confHistory.lastIndex();
    return changeIndex > this.log.committed && this.confHistory.at(changeIndex - 1).voters.includes(this.id);
  }

  private hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.isPromotable()) return;
    if (this.config.preVote && !transfer) this.campaignPreVote();
    else this.campaignVote(transfer);
  }

  private campaignPreVote(): void {
    this.becomePreCandidate();
    if (this.poll(this.id, true) === 'won') {
      this.campaignVote(false);
      return;
    }
    this.requestVotes('preVote', this.term + 1, false);
  }

  private campaignVote(transfer: boolean): void {
    this.becomeCandidate();
    if (this.poll(this.id, true) === 'won') {
      this.becomeLeader();
      return;
    }
    this.requestVotes('vote', this.term, transfer);
  }

  private requestVotes(type: 'vote' | 'preVote', term: number, transfer: boolean): void {
    for (const voter of this.confHistory.current().voters) {
      if (voter === this.id) continue;
      this.send({
        type,
        to: voter,
        term,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        context: transfer ? CAMPAIGN_TRANSFER : 0,
      });
    }
  }

  /** Records a vote and says whether the election is decided. */
  private poll(from: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    const voters = this.confHistory.current().voters;
    const quorum = Math.floor(voters.length / 2) + 1;
    let grants = 0;
    let rejects = 0;
    for (const voter of voters) {
      const vote = this.votes.get(voter);
      if (vote === true) grants += 1;
      else if (vote === false) rejects += 1;
    }
    if (grants >= quorum) return 'won';
    if (rejects > voters.length - quorum) return 'lost';
    return 'pending';
  }

  /** A message of a higher term arrived. Returns false if it must be ignored. */
  private acceptHigherTerm(message: Message): boolean {
    const isVoteRequest = message.type === 'vote' || message.type === 'preVote';
    if (isVoteRequest && this.inLeaderLease() && message.context !== CAMPAIGN_TRANSFER) {
      // §4.2.3: a node that heard from a leader recently ignores candidates, so a node that was
      // cut off (or removed) cannot depose a healthy leader.
      return false;
    }
    if (message.type === 'preVote') return true;
    // A granted preVote carries the term the candidate would campaign in, not a real term.
    if (message.type === 'preVoteResponse' && !message.reject) return true;
    const fromLeader = message.type === 'append' || message.type === 'heartbeat' || message.type === 'snapshot';
    this.becomeFollower(message.term, fromLeader ? message.from : 0);
    return true;
  }

  private inLeaderLease(): boolean {
    return this.config.checkQuorum && this.leaderId !== 0 && this.electionElapsed < this.config.electionTicks;
  }

  /**
   * §5.1: a request from an older term is refused with our term, so its sender learns it is
   * stale (a leader healed from a partition steps down; with PreVote nothing else would tell it).
   * Answers from an older term are dropped.
   */
  private handleStaleTerm(message: Message): void {
    switch (message.type) {
      case 'append':
      case 'heartbeat':
        this.send({ type: 'appendResponse', to: message.from });
        return;
      case 'vote':
        this.send({ type: 'voteResponse', to: message.from, reject: true });
        return;
      case 'preVote':
        this.send({ type: 'preVoteResponse', to: message.from, reject: true });
        return;
      default:
        return;
    }
  }

  private handleVoteRequest(message: Message): void {
    const isPreVote = message.type === 'preVote';
    const responseType = isPreVote ? 'preVoteResponse' : 'voteResponse';
    if (this.repairing && !this.candidateHoldsWhatRepairLost(message)) {
      // A node that lost entries it acknowledged cannot tell whether this candidate holds them.
      this.send({ type: responseType, to: message.from, reject: true });
      return;
    }
    const canVote =
      this.vote === message.from ||
      (this.vote === 0 && this.leaderId === 0) ||
      (isPreVote && message.term > this.term);
    if (canVote && this.log.isUpToDate(message.index, message.logTerm)) {
      // The grant is sent after the vote is durable (messagesAfterPersist), §5.1.
      this.send({ type: responseType, to: message.from, term: message.term });
      if (!isPreVote) {
        this.electionElapsed = 0;
        this.vote = message.from;
      }
    } else {
      this.send({ type: responseType, to: message.from, reject: true });
      if (!isPreVote && this.role !== 'leader' && this.isStrictlyBehind(message)) {
        // Our vote is spent, but this candidate would make a better leader than we would: give
        // it a full timeout to reach the next term first instead of racing it (liveness only).
        this.electionElapsed = 0;
      }
    }
  }

  /**
   * In repair: whether the candidate holds every entry this node may have acknowledged and lost.
   * This node acknowledged only in terms up to `repairLossTerm` (its term is durable before it
   * acknowledges in it), so every entry committed with its help was committed in a term u at or
   * below it. A leader of a later term L holds such an entry (Leader Completeness), below its own
   * first entry of term L; a candidate whose last entry has a term L above `repairLossTerm` matches
   * that leader's log up to that entry, so it holds the entry too. Candidates at or below the
   * loss term may lack an entry only this node held among their voters: refused (an index bound
   * would need to know how far this node acknowledged, which is what it lost).
   */
  private candidateHoldsWhatRepairLost(message: Message): boolean {
    const lossTerm = this.config.repairLossTerm;
    return lossTerm > 0 && message.logTerm > lossTerm;
  }

  private isStrictlyBehind(message: Message): boolean {
    const ourTerm = this.log.lastTerm();
    return message.logTerm > ourTerm || (message.logTerm === ourTerm && message.index > this.log.lastIndex());
  }

  // ---------------------------------------------------------------- role step functions

  private stepFollower(message: Message): void {
    switch (message.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        this.electionElapsed = 0;
        this.leaderId = message.from;
        this.lastLeaderId = message.from;
        this.handleFromLeader(message);
        return;
      case 'timeoutNow':
        this.hup(true);
        return;
      case 'readIndex':
        this.send({ type: 'readIndexResponse', to: message.from, context: message.context, reject: true });
        return;
      case 'readIndexResponse':
        this.handleReadIndexResponse(message);
        return;
      default:
        return;
    }
  }

  private stepCandidate(message: Message): void {
    switch (message.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // §5.2: a leader of our term exists; we lost.
        this.becomeFollower(message.term, message.from);
        this.handleFromLeader(message);
        return;
      case 'preVoteResponse':
      case 'voteResponse':
        this.handleVoteResponse(message);
        return;
      case 'readIndex':
        this.send({ type: 'readIndexResponse', to: message.from, context: message.context, reject: true });
        return;
      default:
        return;
    }
  }

  private stepLeader(message: Message): void {
    if (!this.progress.has(message.from)) {
      // Not a member (or removed and forgotten): nothing it says changes the leader's state.
      if (message.type === 'readIndex') {
        this.send({ type: 'readIndexResponse', to: message.from, context: message.context, reject: true });
      }
      return;
    }
    switch (message.type) {
      case 'appendResponse':
        this.handleAppendResponse(message);
        return;
      case 'heartbeatResponse':
        this.handleHeartbeatResponse(message);
        return;
      case 'readIndex':
        this.addRemoteRead(message.from, message.context);
        return;
      default:
        return;
    }
  }

  private handleVoteResponse(message: Message): void {
    const expected = this.role === 'preCandidate' ? 'preVoteResponse' : 'voteResponse';
    if (message.type !== expected) return;
    const result = this.poll(message.from, !message.reject);
    if (result === 'lost') {
      this.lastLeaderId = 0; // a failed campaign falls back to the random draw (electionTimeoutTicks)
      this.becomeFollower(this.term, 0);
    } else if (result === 'won') {
      if (this.role === 'preCandidate') this.campaignVote(false);
      else this.becomeLeader();
    }
  }

  // ---------------------------------------------------------------- follower side of replication

  private handleFromLeader(message: Message): void {
    if (message.type === 'append') this.handleAppend(message);
    else if (message.type === 'heartbeat') this.handleHeartbeat(message);
    else this.handleSnapshot(message);
  }

  private handleAppend(message: Message): void {
    if (this.repairing && message.lostEntries === true) {
      this.repairCommitTarget = Math.max(this.repairCommitTarget, message.commit);
    }
    if (message.index < this.log.committed) {
      this.send({ type: 'appendResponse', to: message.from, index: this.log.committed });
      return;
    }
    const lastNewIndex = this.maybeAppend(message);
    if (lastNewIndex !== undefined) {
      this.send({ type: 'appendResponse', to: message.from, index: lastNewIndex });
      this.maybeFinishRepair();
      return;
    }
    // §5.3 with the fast back-off of etcd-io/raft: tell the leader the last index that could
    // match and its term, so it can skip a whole term of mismatching entries per round trip.
    const hint = this.log.findConflictByTerm(Math.min(message.index, this.log.lastIndex()), message.logTerm);
    this.send({
      type: 'appendResponse',
      to: message.from,
      index: message.index,
      reject: true,
      rejectHint: hint.index,
      rejectTerm: hint.term,
    });
  }

  /** The consistency check (§5.3); returns the index of the last new entry, or undefined on mismatch. */
  private maybeAppend(message: Message): number | undefined {
    if (!this.log.matchTerm(message.index, message.logTerm)) return undefined;
    const lastNewIndex = message.index + message.entries.length;
    const conflictIndex = this.log.findConflict(message.entries);
    if (conflictIndex !== 0) {
      invariant(conflictIndex > this.log.committed, 'a committed entry is never overwritten', {
        conflictIndex,
        committed: this.log.committed,
      });
      const newEntries = message.entries.slice(conflictIndex - (message.index + 1));
      this.requireConfChangesApply(conflictIndex - 1, newEntries);
      this.appendToLog(newEntries);
    }
    this.log.commitTo(Math.min(message.commit, lastNewIndex));
    return lastNewIndex;
  }

  private handleHeartbeat(message: Message): void {
    this.log.commitTo(Math.min(message.commit, this.log.lastIndex()));
    // In repair, until a leader answered: report the lost entries on every heartbeat (a report
    // may be dropped; the leader's answer is idempotent).
    const report = this.repairing && this.repairCommitTarget === 0;
    this.send({
      type: 'heartbeatResponse',
      to: message.from,
      context: message.context,
      ...(report ? { lostEntries: true, index: this.log.lastIndex() } : {}),
    });
  }

  /** Leaves repair once a leader's answer is committed and applied here (see repairCommitTarget). */
  private maybeFinishRepair(): void {
    if (!this.repairing || this.repairCommitTarget === 0) return;
    if (this.log.committed < this.repairCommitTarget || this.log.applied < this.repairCommitTarget) return;
    this.repairing = false;
  }

  private handleSnapshot(message: Message): void {
    const snapshot = message.snapshot!;
    const { index, term } = snapshot.meta;
    if (index <= this.log.committed) {
      this.send({ type: 'appendResponse', to: message.from, index: this.log.committed });
      return;
    }
    if (this.log.matchTerm(index, term)) {
      // Our log already holds the snapshot's last entry: keep the log, just commit.
      this.log.commitTo(index);
      this.send({ type: 'appendResponse', to: message.from, index: this.log.committed });
      return;
    }
    this.confHistory.restore(this.log.committed, index, snapshot.meta.confState);
    this.log.restore(snapshot);
    this.send({ type: 'appendResponse', to: message.from, index: this.log.lastIndex() });
  }

  /**
   * A leader's log holds only conf changes that apply one after the other, so entries where one
   * does not are refused before anything changes (appending them would break an invariant).
   */
  private requireConfChangesApply(afterIndex: number, entries: readonly Entry[]): void {
    let conf = this.confHistory.at(afterIndex);
    for (const entry of entries) {
      if (entry.type !== 'confChange') continue;
      try {
        conf = applyConfChange(conf, entry.change);
      } catch (error) {
        if (!(error instanceof ConfChangeInvalidError)) throw error;
        throw new MessageInvalidError('conflict', `append entry ${entry.index} holds a conf change that does not apply: ${error.message}`);
      }
    }
  }

  /** Appends to the log, keeping the configuration in step with it (changes apply when appended). */
  private appendToLog(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    let configChanged = this.confHistory.truncateFrom(first.index);
    this.log.append(entries);
    for (const entry of entries) {
      if (entry.type !== 'confChange') continue;
      try {
        this.confHistory.push(entry.index, entry.change);
      } catch (error) {
        if (error instanceof ConfChangeInvalidError) {
          throw new InvariantError('a confChange in the log applies to the configuration before it', {
            index: entry.index,
            error: error.message,
          });
        }
        throw error;
      }
      configChanged = true;
    }
    if (configChanged) this.onConfigChanged();
  }

  private replayConfChanges(firstIndex: number, lastIndex: number): void {
    const storage = this.config.storage;
    let next = firstIndex;
    while (next <= lastIndex) {
      const batch = storage.entries(next, lastIndex + 1, 1024 * 1024);
      invariant(batch.length > 0, 'storage returns at least one entry', { next, lastIndex });
      for (const entry of batch) if (entry.type === 'confChange') this.confHistory.push(entry.index, entry.change);
      next += batch.length;
    }
  }

  // ---------------------------------------------------------------- leader side of replication

  private appendAsLeader(entries: Entry[]): void {
    this.appendToLog(entries);
    for (const entry of entries) {
      if (entry.type === 'normal' && entry.data.byteLength === 0) continue;
      const bytes = entryBytes(entry);
      this.uncommitted.push({ index: entry.index, bytes });
      this.uncommittedBytes += bytes;
    }
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppends(id);
    // A single voter commits as soon as its own write is durable (in advance()).
    this.maybeCommit();
  }

  private onConfigChanged(): void {
    if (this.role !== 'leader') return;
    const conf = this.confHistory.current();
    for (const id of members(conf)) if (!this.progress.has(id)) this.addProgress(id);
    for (const [id, progress] of this.progress) progress.isLearner = conf.learners.includes(id);
    if (this.leadTransferee !== 0 && !conf.voters.includes(this.leadTransferee)) this.abortLeaderTransfer();
  }

  private addProgress(id: NodeId): void {
    const conf = this.confHistory.current();
    const progress = new Progress({
      next: this.log.lastIndex() + 1,
      isLearner: conf.learners.includes(id),
      inflightMessagesMax: this.config.inflightMessagesMax,
      inflightBytesMax: this.config.inflightBytesMax,
    });
    progress.recentActive = true;
    this.progress.set(id, progress);
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /** Sends as many appends as the follower's state and window allow. */
  private sendAppends(to: NodeId): void {
    while (this.maybeSendAppend(to, false)) {
      // each call sends one message
    }
  }

  /** Sends one append (or the snapshot) to `to` if its state allows; says whether it did. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const progress = this.progress.get(to);
    if (progress === undefined || to === this.id || progress.isPaused()) return false;
    const prevIndex = progress.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) return this.maybeSendSnapshot(to, progress);
    const lastIndex = this.log.lastIndex();
    let entries: Entry[] = [];
    if (progress.next <= lastIndex) {
      const budget =
        progress.state === 'replicate'
          ? Math.min(this.config.messageBytesMax, progress.inflights.bytesLeft())
          : this.config.messageBytesMax;
      try {
        entries = this.log.slice(progress.next, lastIndex + 1, budget);
      } catch (error) {
        if (isCompacted(error)) return this.maybeSendSnapshot(to, progress);
        throw error;
      }
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    const bytes = totalBytes(entries);
    // The window's byte bound is strict, except that one message always fits an empty window.
    if (progress.state === 'replicate' && progress.inflights.count() > 0 && bytes > progress.inflights.bytesLeft()) {
      return false;
    }
    // The answer to a member's report of lost entries; meaningful only once this leader's commit
    // index covers every entry committed before its term (§5.4.2).
    const lostEntries = progress.lostEntries && this.committedInTerm();
    this.send({
      type: 'append',
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries,
      commit: this.log.committed,
      ...(lostEntries ? { lostEntries } : {}),
    });
    progress.commitSent = this.log.committed;
    const last = entries[entries.length - 1];
    if (progress.state === 'replicate' && last !== undefined) {
      progress.next = last.index + 1;
      progress.inflights.add(last.index, bytes);
    } else if (progress.state === 'probe') {
      progress.probeSent = true;
    }
    return true;
  }

  private maybeSendSnapshot(to: NodeId, progress: Progress): boolean {
    // A follower that has not answered recently may be down: do not ship it a snapshot yet.
    if (!progress.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.config.storage.snapshot();
    } catch (error) {
      if (error instanceof RaftError && error.code === 'SNAPSHOT_TEMPORARILY_UNAVAILABLE') return false;
      throw error;
    }
    // The stored snapshot may lag the log for a moment (the leader's own snapshot install is
    // still being written): it would not help the follower, so wait.
    if (snapshot.meta.index < this.log.firstIndex() - 1 || snapshot.meta.index === 0) return false;
    progress.becomeSnapshot(snapshot.meta.index);
    this.send({ type: 'snapshot', to, snapshot });
    return true;
  }

  private broadcastHeartbeat(readRound: number): void {
    for (const [id, progress] of this.progress) {
      if (id === this.id) continue;
      this.send({
        type: 'heartbeat',
        to: id,
        commit: Math.min(progress.match, this.log.committed),
        context: readRound,
      });
    }
  }

  private handleAppendResponse(message: Message): void {
    if (!message.reject && message.index > this.log.lastIndex()) {
      // Acknowledges entries this leader never had, let alone sent: counting it could commit them.
      throw new MessageInvalidError('conflict', `appendResponse acknowledges ${message.index}, past the last index ${this.log.lastIndex()}`);
    }
    const progress = this.progress.get(message.from)!;
    progress.recentActive = true;
    if (message.reject) {
      let hint = message.rejectHint;
      if (message.rejectTerm > 0) hint = this.log.findConflictByTerm(message.rejectHint, message.rejectTerm).index;
      if (progress.maybeDecrTo(message.index, hint)) {
        if (progress.state === 'replicate') progress.becomeProbe();
        this.sendAppend(message.from);
      }
      return;
    }
    const wasPaused = progress.isPaused();
    if (!progress.maybeUpdate(message.index)) return;
    if (progress.state === 'probe') {
      progress.becomeReplicate();
    } else if (progress.state === 'snapshot') {
      if (progress.match + 1 >= this.log.firstIndex()) {
        progress.becomeProbe();
        progress.becomeReplicate();
      }
    } else {
      progress.inflights.freeLE(message.index);
    }
    if (this.maybeCommit()) this.commitBroadcastDue = true;
    if (wasPaused) this.sendAppend(message.from);
    this.sendAppends(message.from);
    if (message.from === this.leadTransferee && progress.match === this.log.lastIndex()) {
      this.sendTimeoutNow(message.from);
    }
  }

  private handleHeartbeatResponse(message: Message): void {
    const progress = this.progress.get(message.from)!;
    progress.recentActive = true;
    progress.probeSent = false;
    if (message.lostEntries === true) this.handleLostEntries(progress, message.index);
    if (message.lostEntries === true && progress.match >= this.log.lastIndex()) {
      // Caught up already: an empty append carries the answer.
      this.maybeSendAppend(message.from, true);
    } else if (progress.match < this.log.lastIndex() && !this.maybeSendAppend(message.from, true)) {
      // The follower is alive and behind, and the window blocks us: appends in flight may have
      // been lost. Free the oldest slot so one append goes out; the follower's answer (or its
      // rejection) shows where it stands. Each heartbeat frees one more until one fits.
      if (progress.state === 'replicate' && progress.inflights.count() > 0) {
        progress.inflights.freeFirst();
        this.maybeSendAppend(message.from, true);
      }
    }
    // A round not started yet cannot have been answered: such an answer vouches for nothing.
    if (message.context > progress.readRoundAcked && message.context <= this.readRoundNewest) {
      progress.readRoundAcked = message.context;
      this.maybeConfirmReadRounds();
    }
  }

  /**
   * A member reports that its disk lost entries it had acknowledged and that its log now ends at
   * `memberLastIndex`. Its old acknowledgements no longer count (they may have been counted for
   * commit already: that is safe as long as it does not vote, see `repairing`); probe it again.
   */
  private handleLostEntries(progress: Progress, memberLastIndex: number): void {
    progress.lostEntries = true;
    if (progress.match > memberLastIndex) progress.forgetMatch(memberLastIndex);
  }

  /** Advances the commit index to the highest current-term index held by a quorum of voters. */
  private maybeCommit(): boolean {
    const voters = this.confHistory.current().voters;
    const matches = voters.map((id) => this.progress.get(id)?.match ?? 0).sort((a, b) => b - a);
    const quorumIndex = matches[Math.floor(voters.length / 2)] ?? 0;
    // §5.4.2 (Figure 8): only an entry of the current term is committed by counting replicas.
    if (quorumIndex <= this.log.committed || this.log.term(quorumIndex) !== this.term) return false;
    this.log.commitTo(quorumIndex);
    this.afterCommit();
    return true;
  }

  private afterCommit(): void {
    const committed = this.log.committed;
    while (this.uncommitted.length > 0 && this.uncommitted[0]!.index <= committed) {
      this.uncommittedBytes -= this.uncommitted.shift()!.bytes;
    }
    if (this.confHistory.lastIndex() > committed) {
      this.maybeStartReadRound();
      return;
    }
    const conf = this.confHistory.current();
    for (const id of [...this.progress.keys()]) {
      if (conf.voters.includes(id) || conf.learners.includes(id)) continue;
      // A last append tells the removed node its removal committed, so it stays quiet.
      this.sendAppend(id);
      this.progress.delete(id);
    }
    if (!conf.voters.includes(this.id)) {
      this.stepDownAfterRemoval();
      return;
    }
    this.maybeStartReadRound();
  }

  /** The change removing this leader committed: hand over to the most caught-up voter, then step down. */
  private stepDownAfterRemoval(): void {
    const lastIndex = this.log.lastIndex();
    const successor = this.confHistory
      .current()
      .voters.find((id) => (this.progress.get(id)?.match ?? 0) === lastIndex);
    if (successor !== undefined) this.sendTimeoutNow(successor);
    this.becomeFollower(this.term, 0);
  }

  private checkQuorumActive(): boolean {
    const voters = this.confHistory.current().voters;
    let active = 0;
    for (const id of voters) if (id === this.id || this.progress.get(id)?.recentActive === true) active += 1;
    for (const [id, progress] of this.progress) if (id !== this.id) progress.recentActive = false;
    return active >= Math.floor(voters.length / 2) + 1;
  }

  private committedInTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', to });
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = 0;
  }

  private requireLeaderForProposal(): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leaderId);
    if (this.leadTransferee !== 0) throw new LeadershipTransferInProgressError(this.leadTransferee);
  }

  private requireUncommittedRoom(bytes: number): void {
    if (this.uncommittedBytes + bytes > this.config.uncommittedBytesMax) {
      throw new UncommittedLimitError(this.uncommittedBytes, bytes, this.config.uncommittedBytesMax);
    }
  }

  // ---------------------------------------------------------------- ReadIndex (§6.4)

  private addLocalRead(requestId: number): void {
    if (this.readQueue.has(this.id, requestId)) throw new ReadRequestInvalidError(`read ${requestId} is already pending`);
    if (this.readQueue.size() >= this.config.pendingReadsMax) throw new PendingReadsLimitError(this.config.pendingReadsMax);
    this.readQueue.add(this.id, requestId);
    this.maybeStartReadRound();
  }

  private addRemoteRead(origin: NodeId, requestId: number): void {
    if (requestId === 0 || this.readQueue.has(origin, requestId) || this.readQueue.size() >= this.config.pendingReadsMax) {
      this.send({ type: 'readIndexResponse', to: origin, context: requestId, reject: true });
      return;
    }
    this.readQueue.add(origin, requestId);
    this.maybeStartReadRound();
  }

  /**
   * Starts a heartbeat round for every read not yet in one, recording the commit index now, if
   * this member leads, has committed an entry of its term (before that its commit index may be
   * behind the true one), and has fewer than readRoundsInFlightMax rounds unconfirmed. Reads that
   * arrive past that bound share the next round.
   */
  private maybeStartReadRound(): void {
    if (this.role !== 'leader' || this.readRoundNewest - this.readRoundConfirmed >= this.config.readRoundsInFlightMax) return;
    if (!this.readQueue.hasUnassigned() || !this.committedInTerm()) return;
    const round = this.readRoundNext;
    this.readRoundNext += 1;
    this.readRoundNewest = round;
    this.readQueue.assign(round, this.log.committed);
    if (!this.maybeConfirmReadRounds()) this.broadcastHeartbeat(round);
  }

  /**
   * Confirms every round a quorum acknowledged: a member's answer to a heartbeat of round r was
   * sent after it received that heartbeat, which left after every earlier round began, so it
   * vouches for them all. Rounds are confirmed in order; reads go out as their round is.
   */
  private maybeConfirmReadRounds(): boolean {
    if (this.readRoundNewest === this.readRoundConfirmed) return false;
    const voters = this.confHistory.current().voters;
    const acked = voters.map((id) => (id === this.id ? this.readRoundNewest : (this.progress.get(id)?.readRoundAcked ?? 0)));
    acked.sort((a, b) => b - a);
    const quorumAcked = Math.min(acked[Math.floor(voters.length / 2)] ?? 0, this.readRoundNewest);
    if (quorumAcked <= this.readRoundConfirmed) return false;
    this.readRoundConfirmed = quorumAcked;
    for (const read of this.readQueue.releaseUpTo(quorumAcked)) {
      if (read.origin === this.id) this.readStates.push({ requestId: read.requestId, index: read.index });
      else this.send({ type: 'readIndexResponse', to: read.origin, context: read.requestId, index: read.index });
    }
    this.maybeStartReadRound();
    return true;
  }

  private handleReadIndexResponse(message: Message): void {
    if (this.forwardedReads.get(message.context) !== message.from) return;
    this.forwardedReads.delete(message.context);
    if (message.reject) this.droppedReads.push(message.context);
    else this.readStates.push({ requestId: message.context, index: message.index });
  }

  /** Leadership (or the leader we forwarded to) changed: no pending read can complete. */
  private dropAllReads(): void {
    for (const requestId of this.forwardedReads.keys()) this.droppedReads.push(requestId);
    this.forwardedReads.clear();
    for (const read of this.readQueue.drain()) {
      if (read.origin === this.id) this.droppedReads.push(read.requestId);
      else this.send({ type: 'readIndexResponse', to: read.origin, context: read.requestId, reject: true });
    }
    // Rounds of an earlier term are void; numbering goes on, so no late answer can confirm a new one.
    this.readRoundNewest = this.readRoundNext - 1;
    this.readRoundConfirmed = this.readRoundNewest;
  }

  // ---------------------------------------------------------------- output

  private send(fields: MessageFields): void {
    const message = newMessage({ from: this.id, term: this.term, ...fields });
    // Only a leader's messages promise nothing about its own durable state (Ready rule 2);
    // everything else (votes, acknowledgements) waits for the write.
    if (this.role === 'leader') this.messages.push(message);
    else this.messagesAfterPersist.push(message);
  }

  private softState(): SoftState {
    return { leaderId: this.leaderId, role: this.role };
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }
}

/**
 * A quarter of a rank slot, at least a tick: the lease margin of a ranked election timeout, and
 * the range [0, this) its jitter is drawn from, so that two ranks stay at least three quarters of
 * a slot apart.
 */
function rankQuarterTicks(slotTicks: number): number {
  return Math.max(1, Math.floor(slotTicks / 4));
}

/**
 * Without `applied`, the driver is taken to have restored its state machine from the storage's
 * snapshot (which may be newer than the compaction point).
 */
function defaultApplied(storage: LogStorage, baseIndex: number): number {
  try {
    return Math.max(baseIndex, storage.snapshot().meta.index);
  } catch (error) {
    if (error instanceof RaftError && error.code === 'SNAPSHOT_TEMPORARILY_UNAVAILABLE') return baseIndex;
    throw error;
  }
}

function members(conf: ConfState): NodeId[] {
  return [...conf.voters, ...conf.learners];
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.leaderId === b.leaderId && a.role === b.role;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * The node's loop: collect inputs → step the core → take one Ready → persist (one synced batch)
 * while sending `messages` → send `messagesAfterPersist` → apply committed entries → answer
 * waiting clients → advance. Exactly one Ready is in flight at a time. Peer messages and ticks
 * that arrive during its log write are stepped into the core at once (feedDuringWrite); proposals
 * and reads wait in the inbox and enter the core together at the next turn, so one fsync serves
 * every write that arrived during the last one (group commit).
 *
 * The loop reaches the world only through the narrow ports of driver/ports.ts (durable log, state
 * machine, sender, clock, timers, randomness); its parts live in driver/: write waiters, read
 * rounds, the apply pipeline, the log writer and snapshots.
 */
import type { ConfChange, Message, NodeId, RaftCore, RaftStatus, Ready, Role } from '@holdfast/raft';
import { type ApplyResult, COMMAND_BATCH_OVERHEAD_BYTES, encodeCommandBatch } from '@holdfast/storage';
import type { Logger } from 'pino';
import type { Failpoints, NodeLimits } from './config.js';
import { APPLIES_IN_FLIGHT_MAX, ApplyPipeline } from './driver/apply-pipeline.js';
import { LogWriter } from './driver/log-writer.js';
import {
  type Clock,
  type DurableLog,
  type Random,
  type Sender,
  type StateMachine,
  systemClock,
  systemRandom,
  systemTimers,
  type Timers,
} from './driver/ports.js';
import { type LeaseOptions, leaseDurationMs, ReadLease } from './driver/lease.js';
import { ReadRounds, readyHasReads } from './driver/read-rounds.js';
import { Snapshots } from './driver/snapshots.js';
import { WriteWaiters } from './driver/write-waiters.js';
import {
  assert,
  type HoldfastError,
  InternalError,
  InvariantError,
  NoLeaderError,
  NotLeaderError,
  OverloadedError,
  StoppingError,
  TimeoutError,
} from './errors.js';
import type { NodeMetrics } from './metrics.js';

export { DiskFullError, FsyncFailedError } from './driver/log-writer.js';
export type { Clock, DurableLog, Random, Sender, StateMachine, TimerHandle, Timers } from './driver/ports.js';

interface PendingProposal {
  readonly data: Uint8Array;
  readonly resolve: (result: ApplyResult) => void;
  readonly reject: (error: HoldfastError) => void;
  readonly deadlineMs: number;
}

export interface DriverOptions {
  readonly selfId: NodeId;
  readonly core: RaftCore;
  readonly log: DurableLog;
  readonly stateMachine: StateMachine;
  readonly limits: NodeLimits;
  readonly failpoints: Failpoints;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  /** Defaults: the system clock, Node's timers and setImmediate, Math.random. */
  readonly clock?: Clock;
  readonly timers?: Timers;
  readonly random?: Random;
  /** A failure of the world the node cannot go on after (fsync failed, disk full): exit non-zero. */
  readonly onFatal: (error: unknown) => void;
  readonly onLeaderChange?: (leaderId: NodeId, role: Role) => void;
  readonly onConfChange?: (result: ApplyResult) => void;
  /**
   * A read round unanswered this long (a dropped message) is abandoned so that later reads are
   * not stuck behind it; its reads fail with a retryable error.
   */
  readonly readRoundTimeoutTicks: number;
  /**
   * No vote or pre-vote is answered for this many ticks after the member starts: the election
   * timeout when this process or the data dir's previous one ran lease mode (read-mode-marker.ts),
   * else 0. Before it went down it may have acknowledged a round that a leader's read lease
   * counts on, and the leader cannot know that this process runs another mode until it hears
   * from it.
   */
  readonly campaignHoldTicks: number;
  /**
   * Serve linearizable reads at the leader under a read lease (driver/lease.ts) instead of a
   * quorum round per read. Every member must run the same mode: the followers' side of the lease
   * (ticks counted in order) is kept only with it; the vote held back after a start also after a
   * lease-mode process (campaignHoldTicks).
   */
  readonly readLease?: LeaseOptions;
  /**
   * Lease mode: whether a lease may be held now (every other voter runs lease mode with timing
   * that keeps it safe, driver/lease-terms.ts). Absent: always (the simulator, whose members all
   * run one mode). Asked before each lease read and lease renewal.
   */
  readonly leaseAllowed?: () => boolean;
}

/** Writes one log entry carries at most (see proposeInbox). */
const COMMANDS_PER_ENTRY_MAX = 512;

/** The biggest inbox the loop keeps while a Ready is in flight; past it peer messages are dropped. */
const INBOX_MESSAGES_MAX = 100_000;

export class NodeDriver {
  private sender: Sender = { send: () => {} };
  private readonly core: RaftCore;
  private readonly sm: StateMachine;
  private readonly clock: Clock;
  private readonly timers: Timers;

  // Inbox: filled by handlers at any time, drained into the core at the start of a turn.
  private inboxMessages: Message[] = [];
  private inboxProposals: PendingProposal[] = [];
  private inboxTicks = 0;

  private readonly waiters: WriteWaiters;
  private readonly reads: ReadRounds;
  private readonly applies: ApplyPipeline;
  private readonly logWriter: LogWriter;
  private readonly snapshots: Snapshots;
  /** Reads taken and not yet answered (queued, in a round or waiting for apply). */
  private pendingReadCount = 0;
  /** Start (monotonic clock) of the latest read barrier that completed: see boundedReadBarrier. */
  private confirmedAsOfMs = Number.NEGATIVE_INFINITY;

  /** A Ready is being persisted (or a snapshot is being taken). Invariant: at most one Ready in flight. */
  private busy = false;
  /**
   * The Ready in flight is in its log write (no snapshot in it): inputs that arrive meanwhile
   * enter the core at once instead of after the write (see feedDuringWrite).
   * Invariant: implies busy.
   */
  private logWriteInFlight = false;
  private turnScheduled = false;
  private stopped = false;
  /** Holders (snapshot restore, stop) that keep the loop from taking new Readys. */
  private holds = 0;
  private exclusive: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];

  /** The read lease in lease mode, else undefined. */
  private readonly lease: ReadLease | undefined;
  /** Ticks that were waiting in the inbox when its first waiting message arrived (lease mode). */
  private inboxTicksBeforeMessages = 0;
  /** Ticks counted since this driver started (no vote for an election timeout: campaignHoldTicks). */
  private ticksSinceStart = 0;
  /**
   * Callers waiting for a leader to be known (waitForLeader), each resolved once: by the first
   * leader seen, its deadline, or stop. At most limits.pendingProposalsMax.
   */
  private readonly leaderWaiters = new Set<(leaderId: NodeId) => void>();
  /** Reads served under the read lease (the simulator's tally; the node has a metric). */
  leaseReadCount = 0;

  private leader: NodeId = 0;
  private currentRole: Role = 'follower';
  private currentTerm = 0;
  private commit = 0;

  constructor(private readonly options: DriverOptions) {
    this.core = options.core;
    this.sm = options.stateMachine;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    const random = options.random ?? systemRandom;
    this.currentTerm = options.log.hardState().term;
    this.commit = options.log.hardState().commit;
    this.lease = options.readLease === undefined ? undefined : new ReadLease(leaseDurationMs(options.readLease));
    this.waiters = new WriteWaiters(this.clock, this.timers, () => this.sm.appliedIndex);
    this.reads = new ReadRounds({
      core: this.core,
      roundTimeoutTicks: options.readRoundTimeoutTicks,
      roundsInFlightMax: options.limits.readRoundsInFlightMax,
      firstRequestId: Math.floor(random() * 2 ** 40),
      notLeader: () => this.notLeader(),
      mapCoreError: (error) => this.mapCoreError(error),
    });
    this.logWriter = new LogWriter({ log: options.log, clock: this.clock, timers: this.timers, failpoints: options.failpoints, metrics: options.metrics });
    this.snapshots = new Snapshots({
      log: options.log,
      stateMachine: this.sm,
      logWriter: this.logWriter,
      coreAppliedIndex: () => this.core.status().applied,
      limits: options.limits,
      metrics: options.metrics,
      logger: options.logger,
    });
    this.applies = new ApplyPipeline({
      stateMachine: this.sm,
      waiters: this.waiters,
      clock: this.clock,
      metrics: options.metrics,
      ...(options.onConfChange ? { onConfChange: options.onConfChange } : {}),
      afterBatch: (readys, appliedEntries) => this.afterApplyBatch(readys, appliedEntries),
      isStopped: () => this.stopped,
      onFail: (error) => this.fail(error),
    });
  }

  setSender(sender: Sender): void {
    this.sender = sender;
  }

  /** The leader this member knows of (0: none). */
  get leaderId(): NodeId {
    return this.leader;
  }

  get role(): Role {
    return this.currentRole;
  }

  /** The term of the last hard state made durable here. */
  get term(): number {
    return this.currentTerm;
  }

  /** The commit index of the last hard state handled here. */
  get commitIndex(): number {
    return this.commit;
  }

  get appliedIndex(): number {
    return this.sm.appliedIndex;
  }

  get pendingProposalCount(): number {
    return this.waiters.count + this.inboxProposals.length;
  }

  get pendingReads(): number {
    return this.pendingReadCount;
  }

  status(): RaftStatus {
    return this.core.status();
  }

  /** Checks every invariant of the loop's parts by walking them (tests and the simulator). */
  checkInvariants(): void {
    this.waiters.checkInvariants();
    this.reads.checkInvariants();
    assert(this.pendingReadCount >= 0, () => `${this.pendingReadCount} reads pending`);
    assert(this.applies.pendingReadys <= APPLIES_IN_FLIGHT_MAX, () => `${this.applies.pendingReadys} Readys wait for apply`);
  }

  // ---- inputs ----

  tick(count = 1): void {
    this.inboxTicks += count;
    this.schedule();
  }

  /** Queues messages for the core; false when the inbox is full and they were dropped (Raft resends). */
  deliver(messages: readonly Message[]): boolean {
    if (this.inboxMessages.length + messages.length > INBOX_MESSAGES_MAX) return false;
    if (this.inboxMessages.length === 0) this.inboxTicksBeforeMessages = this.inboxTicks;
    for (const m of messages) this.inboxMessages.push(m);
    this.schedule();
    return true;
  }

  reportUnreachable(id: NodeId): void {
    if (!this.stopped) this.core.reportUnreachable(id);
    this.schedule();
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    if (!this.stopped) this.core.reportSnapshot(id, ok ? 'finished' : 'failed');
    this.schedule();
  }

  /** Proposes one command; resolves with its apply result once committed and applied here. */
  propose(data: Uint8Array, deadlineMs: number): Promise<ApplyResult> {
    if (this.stopped) return Promise.reject(new StoppingError());
    if (this.currentRole !== 'leader') return Promise.reject(this.notLeader());
    if (this.pendingProposalCount >= this.options.limits.pendingProposalsMax) {
      return Promise.reject(new OverloadedError(`${this.pendingProposalCount} writes pending (pendingProposalsMax)`));
    }
    return new Promise((resolve, reject) => {
      this.inboxProposals.push({ data, resolve, reject, deadlineMs });
      this.schedule();
    });
  }

  /** Proposes a membership change and waits for it to be applied. */
  async proposeConfChange(change: ConfChange, deadlineMs: number): Promise<ApplyResult> {
    if (this.currentRole !== 'leader') throw this.notLeader();
    const { term, index } = this.core.proposeConfChange(change);
    this.schedule();
    return new Promise((resolve, reject) => {
      this.waiters.add({ index, slot: 0 }, { term, resolve, reject }, deadlineMs);
      this.options.metrics.pendingProposals.set(this.waiters.count);
    });
  }

  /**
   * Bounded staleness: resolves at once while a read barrier that completed here started within
   * the last `maxStalenessMs` (the state then holds every write acknowledged before that start,
   * and applied state only moves forward); otherwise runs one. Invariant: `confirmedAsOfMs` is
   * the latest start (monotonic clock) of a completed barrier.
   */
  boundedReadBarrier(maxStalenessMs: number, deadlineMs: number): Promise<void> {
    if (this.clock.monotonicMs() - this.confirmedAsOfMs <= maxStalenessMs) {
      this.options.metrics.boundedReadsLocal.inc();
      return Promise.resolve();
    }
    return this.readBarrier(deadlineMs);
  }

  /**
   * The leader's id once one is known: at once when known now, else when one is elected, or 0
   * at `untilMs` (wall clock), on stop, or when too many wait already. A follower holds a
   * request it would forward while an election runs, so that it goes on the moment a leader is
   * elected instead of coming back as no-leader and waiting out the client's backoff.
   */
  waitForLeader(untilMs: number): Promise<NodeId> {
    if (this.leader !== 0 || this.stopped) return Promise.resolve(this.leader);
    const delayMs = untilMs - this.clock.wallMs();
    if (delayMs <= 0 || this.leaderWaiters.size >= this.options.limits.pendingProposalsMax) return Promise.resolve(0);
    return new Promise((resolve) => {
      const done = (leaderId: NodeId): void => {
        this.timers.clearTimeout(timer);
        this.leaderWaiters.delete(done);
        resolve(leaderId);
      };
      const timer = this.timers.setTimeout(() => done(0), delayMs);
      this.leaderWaiters.add(done);
    });
  }

  private wakeLeaderWaiters(leaderId: NodeId): void {
    for (const done of [...this.leaderWaiters]) done(leaderId);
  }

  /** Resolves once the local state machine reflects every write committed before the call. */
  readBarrier(deadlineMs: number): Promise<void> {
    if (this.stopped) return Promise.reject(new StoppingError());
    if (this.leader === 0) return Promise.reject(new NoLeaderError());
    const leaseIndex = this.leaseReadIndex();
    if (leaseIndex !== undefined) return this.awaitApplied(leaseIndex, deadlineMs);
    return this.readRound(deadlineMs);
  }

  /**
   * The commit index a lease read may be answered at (every write acknowledged before now is at
   * or below it), or undefined when this member holds no read lease now.
   */
  private leaseReadIndex(): number | undefined {
    if (this.lease === undefined || this.currentRole !== 'leader') return undefined;
    const status = this.core.status();
    if (status.role !== 'leader' || status.leadTransferee !== 0) return undefined;
    if (!this.lease.holds(status.term, this.clock.monotonicMs())) return undefined;
    if (this.options.leaseAllowed?.() === false) return undefined;
    return status.commit;
  }

  /** A lease read: answered once the state machine has applied up to `index`. */
  private awaitApplied(index: number, deadlineMs: number): Promise<void> {
    if (this.pendingReadCount >= this.options.limits.pendingReadsMax) {
      return Promise.reject(new OverloadedError(`${this.pendingReadCount} reads pending (pendingReadsMax)`));
    }
    this.options.metrics.leaseReads.inc();
    this.leaseReadCount += 1;
    if (this.sm.appliedIndex >= index) return Promise.resolve();
    this.pendingReadCount += 1;
    return new Promise<void>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => settle(new TimeoutError('read not applied before its deadline')), Math.max(0, deadlineMs - this.clock.wallMs()));
      let done = false;
      const settle = (error?: HoldfastError): void => {
        if (done) return;
        done = true;
        this.timers.clearTimeout(timer);
        this.pendingReadCount -= 1;
        if (error) reject(error);
        else resolve();
      };
      this.reads.awaitApplied(index, { resolve: () => settle(), reject: (e) => settle(e), deadlineMs });
    });
  }

  /** Milliseconds left on this leader's read lease (0: none, or not in lease mode). */
  leaseRemainingMs(): number {
    if (this.lease === undefined || this.currentRole !== 'leader' || this.options.leaseAllowed?.() === false) return 0;
    return this.lease.remainingMs(this.currentTerm, this.clock.monotonicMs());
  }

  /** A read round through the core (ReadIndex); in lease mode its confirmation renews the lease. */
  private readRound(deadlineMs: number): Promise<void> {
    if (this.pendingReadCount >= this.options.limits.pendingReadsMax) {
      return Promise.reject(new OverloadedError(`${this.pendingReadCount} reads pending (pendingReadsMax)`));
    }
    this.pendingReadCount += 1;
    this.options.metrics.readBarriers.inc();
    const startedAtMs = this.clock.monotonicMs();
    // A lease counts only from a round this member began while leading, in the term it leads.
    const ledTerm = this.currentRole === 'leader' ? this.currentTerm : 0;
    return new Promise<void>((resolve, reject) => {
      const timer = this.timers.setTimeout(
        () => settle(new TimeoutError('read not confirmed before its deadline')),
        Math.max(0, deadlineMs - this.clock.wallMs()),
      );
      let done = false;
      const settle = (error?: HoldfastError): void => {
        if (done) return;
        done = true;
        this.timers.clearTimeout(timer);
        this.pendingReadCount -= 1;
        if (error) reject(error);
        else resolve();
      };
      const confirmed = (): void => {
        // Even after the caller's deadline: the state holds what the barrier promised either way.
        this.confirmedAsOfMs = Math.max(this.confirmedAsOfMs, startedAtMs);
        if (this.lease !== undefined && ledTerm !== 0 && this.currentRole === 'leader' && this.currentTerm === ledTerm) {
          this.lease.confirmed({ startedAtMs, term: ledTerm });
        }
        settle();
      };
      this.reads.enqueue({ resolve: confirmed, reject: (e) => settle(e), deadlineMs });
      this.schedule();
    });
  }

  transferLeadership(to: NodeId): void {
    // Before the core may send TimeoutNow: the transferee's campaign passes the followers' check.
    this.lease?.transferStarted(this.core.status().term, to);
    this.core.transferLeadership(to);
    this.schedule();
  }

  // ---- the loop ----

  private schedule(): void {
    if (this.turnScheduled || this.stopped || this.holds > 0) return;
    if (this.busy && !this.logWriteInFlight) return;
    this.turnScheduled = true;
    this.timers.defer(() => this.turn());
  }

  private turn(): void {
    this.turnScheduled = false;
    if (this.stopped || this.holds > 0) return;
    if (this.busy) {
      if (this.logWriteInFlight) this.feedDuringWrite();
      return;
    }
    let ready: Ready;
    try {
      this.feedCore();
      if (this.snapshots.isDue && this.applies.pendingReadys === 0) {
        this.runBusy(() => this.snapshots.take());
        return;
      }
      if (this.applies.pendingReadys >= APPLIES_IN_FLIGHT_MAX || !this.core.hasReady()) {
        this.maybeNotifyIdle();
        return;
      }
      ready = this.core.ready();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.runBusy(async () => {
      await this.handleReady(ready);
      this.core.advance(ready);
    });
  }

  /**
   * Steps the peer messages and ticks that arrived while a Ready's log write runs (asynchronous
   * storage writes, as etcd's node loop does): an acknowledgement is counted as it arrives, so
   * the leader's commit can move on the followers' acknowledgements alone while its own fsync
   * still runs, and the next Ready is ready the moment the write ends. The core hands out no
   * Ready before advance(); what stepping produces waits for the next one and its own write (a
   * follower's acknowledgement or vote leaves only after the write that covers it). Proposals
   * and reads stay in the inbox until the write ends, so that those of the whole write still go
   * into one entry and one read round.
   */
  private feedDuringWrite(): void {
    assert(this.busy, () => 'inputs fed during a log write with no Ready in flight');
    try {
      this.feedMessagesAndTicks();
    } catch (error) {
      this.fail(error);
    }
  }

  private runBusy(task: () => Promise<void>): void {
    assert(!this.busy, () => 'a second Ready was taken while one is in flight');
    this.busy = true;
    task().then(
      () => {
        this.busy = false;
        this.schedule();
        this.maybeNotifyIdle();
      },
      (error: unknown) => this.fail(error),
    );
  }

  private fail(error: unknown): void {
    this.stopped = true;
    this.options.onFatal(error);
  }

  private feedCore(): void {
    this.feedMessagesAndTicks();
    if (this.inboxProposals.length > 0) this.proposeInbox();
    if (this.reads.hasQueued) this.reads.maybeStartRound(this.clock.wallMs());
  }

  private feedMessagesAndTicks(): void {
    // Messages before ticks: after a stall, the heartbeats that arrived meanwhile must reset the
    // election timer before the ticks that elapsed are counted, or the node campaigns needlessly.
    // With a read lease, ticks that elapsed before the first waiting message are counted first:
    // counted after it they would shorten the time this member refuses campaigns after hearing
    // from the leader, which the leader's lease relies on (driver/lease.ts).
    if (this.lease !== undefined && this.inboxTicksBeforeMessages > 0 && this.inboxMessages.length > 0) {
      const before = Math.min(this.inboxTicksBeforeMessages, this.inboxTicks);
      this.inboxTicks -= before;
      this.countTicks(before);
    }
    this.inboxTicksBeforeMessages = 0;
    if (this.inboxMessages.length > 0) {
      const messages = this.inboxMessages;
      this.inboxMessages = [];
      for (const message of messages) this.stepMessage(message);
    }
    if (this.inboxTicks > 0) {
      const ticks = this.inboxTicks;
      this.inboxTicks = 0;
      this.countTicks(ticks);
    }
    this.maybeRenewLease();
  }

  private countTicks(ticks: number): void {
    for (let i = 0; i < ticks; i += 1) this.core.tick();
    this.reads.ticked(ticks);
    this.ticksSinceStart += ticks;
  }

  /**
   * A leader in lease mode starts a read round of its own when its lease has less than half left,
   * so that reads find it held; failures only mean the lease lapses (reads then take a round).
   */
  private maybeRenewLease(): void {
    const lease = this.lease;
    if (lease === undefined || lease.renewing || this.currentRole !== 'leader' || this.stopped) return;
    if (lease.remainingMs(this.currentTerm, this.clock.monotonicMs()) > lease.durationMs / 2) return;
    if (this.options.leaseAllowed?.() === false) return;
    lease.renewing = true;
    const done = (): void => {
      lease.renewing = false;
    };
    this.readRound(this.clock.wallMs() + lease.durationMs).then(done, done);
  }

  /**
   * A member answers no campaign for campaignHoldTicks after it starts: before it went down it
   * may have acknowledged a round that a leader's lease counts on. Held back in read-index mode
   * too after a lease-mode process, so a voter restarted with another mode cannot help elect a
   * second leader while the first (which has not yet heard the new process tell its mode) still
   * serves reads from its lease.
   */
  private isCampaignHeldBack(message: Message): boolean {
    if (this.ticksSinceStart >= this.options.campaignHoldTicks) return false;
    return message.type === 'vote' || message.type === 'preVote';
  }

  private stepMessage(message: Message): void {
    if (this.isCampaignHeldBack(message)) return;
    try {
      this.core.step(message);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'INVARIANT') throw error;
      // A refusal (a typed error of the core) is routine; anything else is a fault in this
      // member's code worth seeing, but the message alone is lost, not the member.
      const fields = { from: message.from, type: message.type, error: (error as Error).message };
      if (typeof code === 'string') this.options.logger.debug(fields, 'message refused');
      else this.options.logger.warn({ ...fields, stack: (error as Error).stack }, 'message failed in the core; dropped');
    }
  }

  /**
   * Proposes every write that arrived since the last turn, several to an entry (up to the size of
   * one request and COMMANDS_PER_ENTRY_MAX): each log entry costs a record, a checksum and a
   * LevelDB put on every member and a place in Raft messages, whatever it carries.
   */
  private proposeInbox(): void {
    const now = this.clock.wallMs();
    const batch: PendingProposal[] = [];
    for (const p of this.inboxProposals) {
      if (p.deadlineMs > now) batch.push(p);
      else p.reject(new TimeoutError('the deadline passed before the write was proposed'));
    }
    this.inboxProposals = [];
    if (batch.length === 0) return;
    const groups = this.groupIntoEntries(batch);
    let placed: { term: number; firstIndex: number; lastIndex: number };
    try {
      placed = this.core.propose(groups.map((group) => (group.length === 1 ? group[0]!.data : encodeCommandBatch(group.map((p) => p.data)))));
    } catch (error) {
      const mapped = this.mapCoreError(error);
      for (const p of batch) p.reject(mapped);
      this.options.metrics.proposals.inc({ outcome: 'refused' }, batch.length);
      return;
    }
    assert(placed.lastIndex - placed.firstIndex + 1 === groups.length, () => `propose placed ${JSON.stringify(placed)} for ${groups.length}`);
    for (const [position, group] of groups.entries()) {
      for (const [slot, p] of group.entries()) {
        this.waiters.add({ index: placed.firstIndex + position, slot }, { term: placed.term, resolve: p.resolve, reject: p.reject }, p.deadlineMs);
      }
    }
    this.options.metrics.proposals.inc({ outcome: 'proposed' }, batch.length);
    for (const group of groups) this.options.metrics.writesPerEntry.observe(group.length);
    this.options.metrics.pendingProposals.set(this.waiters.count);
  }

  /**
   * Splits proposals into entries in arrival order. An entry stays within requestBytesMax, so
   * it fits a Raft message like the largest single request does (which travels alone, as it is).
   */
  private groupIntoEntries(batch: readonly PendingProposal[]): PendingProposal[][] {
    const budget = this.options.limits.requestBytesMax - COMMAND_BATCH_OVERHEAD_BYTES;
    const groups: PendingProposal[][] = [];
    let group: PendingProposal[] = [];
    let bytes = 0;
    for (const p of batch) {
      if (group.length > 0 && (group.length >= COMMANDS_PER_ENTRY_MAX || bytes + p.data.byteLength > budget)) {
        groups.push(group);
        group = [];
        bytes = 0;
      }
      group.push(p);
      bytes += p.data.byteLength;
    }
    groups.push(group);
    return groups;
  }

  private async handleReady(ready: Ready): Promise<void> {
    if (ready.softState) this.handleSoftState(ready.softState.leaderId, ready.softState.role);
    const lastCommitted = ready.committedEntries[ready.committedEntries.length - 1];
    // Committed entries already durable here from earlier Readys need not wait for this write
    // (rule 3 guards entries that this very Ready persists): apply them while it runs.
    const applyEarly = ready.snapshot === undefined && lastCommitted !== undefined && lastCommitted.index <= this.logWriter.durableIndex;
    // Order matters on one thread: the log write is queued first (its fsync is what a follower's
    // acknowledgement waits for), the messages go out, and only then does the apply's CPU work
    // start. Applying first delayed a follower's fsync, and so every write, by the apply's time.
    const persisted = this.logWriter.persist(ready);
    if (ready.messages.length > 0) this.sender.send(ready.messages);
    if (applyEarly) this.applies.enqueue(ready);
    // A snapshot in the write replaces the log and the state under the core: nothing enters
    // the core until it is installed.
    this.logWriteInFlight = ready.snapshot === undefined;
    try {
      await persisted;
    } finally {
      this.logWriteInFlight = false;
    }
    this.logWriter.noteDurable(ready);
    if (ready.hardState) {
      this.currentTerm = ready.hardState.term;
      this.commit = ready.hardState.commit;
      this.options.metrics.term.set(this.currentTerm);
      this.options.metrics.commitIndex.set(this.commit);
    }
    if (ready.messagesAfterPersist.length > 0) this.sender.send(ready.messagesAfterPersist);
    if (!applyEarly && (ready.committedEntries.length > 0 || readyHasReads(ready))) this.applies.enqueue(ready);
  }

  /** After each applied batch: serve its Readys' reads in order, then look for more work. */
  private afterApplyBatch(readys: readonly Ready[], _appliedEntries: number): void {
    for (const ready of readys) this.snapshots.noteApplied(ready.committedEntries);
    for (const ready of readys) {
      this.reads.handleReady(ready, this.sm.appliedIndex);
      if (this.reads.hasQueued) this.schedule();
    }
    this.schedule();
    this.maybeNotifyIdle();
  }

  private handleSoftState(leaderId: NodeId, role: Role): void {
    if (role !== 'leader') this.lease?.end();
    const changed = leaderId !== this.leader;
    this.leader = leaderId;
    this.currentRole = role;
    this.options.metrics.setRole(role);
    this.options.metrics.hasLeader.set(leaderId === 0 ? 0 : 1);
    if (changed) this.options.metrics.leaderChanges.inc();
    this.options.logger.info({ leaderId, role, term: this.core.status().term }, changed ? 'leader changed' : 'role changed');
    this.options.onLeaderChange?.(leaderId, role);
    if (leaderId !== 0) this.wakeLeaderWaiters(leaderId);
  }

  /**
   * Replaces the state machine's state with a leader's snapshot at `index` (`restore` streams it
   * in), unless this member holds that state already. Decided once no Ready or apply is in flight,
   * with the loop held until the restore ends, never on the snapshot's arrival: applies in flight
   * then move the applied index on while it waits, and a state restored below them would go
   * back under reads already served at the higher index (FINDINGS R13). At or below the core's
   * commit index the snapshot is not restored either: the core refuses it (its log holds every
   * committed entry, as etcd-io/raft's restore reasons) and apply gets there from the log.
   * Returns whether `restore` ran. A state that went back all the same stops the member.
   */
  async restoreSnapshotState(index: number, restore: () => Promise<void>): Promise<boolean> {
    return this.runExclusive(async () => {
      const appliedBefore = this.sm.appliedIndex;
      const commitIndex = this.core.status().commit;
      if (index <= Math.max(appliedBefore, commitIndex)) {
        this.options.logger.info({ index, appliedIndex: appliedBefore, commitIndex }, 'snapshot not restored: this member holds its state already');
        return false;
      }
      await restore();
      this.failUnless(this.sm.appliedIndex >= appliedBefore, () => `snapshot at ${index} restored a state at applied ${this.sm.appliedIndex}, behind ${appliedBefore}`);
      return true;
    });
  }

  /**
   * Runs `task` while no Ready is in flight and holds the loop until it finishes (snapshot
   * restore replaces the state machine under the loop's feet otherwise).
   */
  private async runExclusive<T>(task: () => Promise<T>): Promise<T> {
    const previous = this.exclusive;
    let release: () => void = () => {};
    this.exclusive = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.holds += 1;
    try {
      await this.whenIdle();
      return await task();
    } finally {
      this.holds -= 1;
      release();
      this.followReplacedState();
      this.schedule();
    }
  }

  /**
   * After a task that may have replaced the state (a snapshot restore moves the applied index
   * forward outside apply): writes waiting at entries it covers have an unknown outcome, and
   * confirmed reads at or below it are served. Keeps every waiter above the applied index.
   * A broken invariant here stops the member: the caller of the task is a peer's transfer.
   */
  private followReplacedState(): void {
    if (this.stopped) return;
    try {
      const applied = this.sm.appliedIndex;
      this.waiters.failAtOrBelow(applied);
      this.reads.serve(applied);
      this.options.metrics.pendingProposals.set(this.waiters.count);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Asserts `condition`; when it does not hold, the member stops (onFatal) before the throw. */
  private failUnless(condition: boolean, message: () => string): asserts condition {
    if (condition) return;
    const error = new InvariantError(message());
    this.fail(error);
    throw error;
  }

  private whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return !this.busy && this.applies.pendingReadys === 0;
  }

  private maybeNotifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private notLeader(): HoldfastError {
    return this.leader === 0 ? new NoLeaderError() : new NotLeaderError('');
  }

  private mapCoreError(error: unknown): HoldfastError {
    const code = (error as { code?: string }).code;
    switch (code) {
      case 'NOT_LEADER':
      case 'LEADERSHIP_TRANSFER_IN_PROGRESS':
        return this.notLeader();
      case 'UNCOMMITTED_LIMIT':
      case 'PENDING_READS_LIMIT':
        return new OverloadedError((error as Error).message);
      case 'INVARIANT':
        throw error;
      default:
        return new InternalError((error as Error).message, error);
    }
  }

  /** Stops taking inputs, fails every waiter, and waits for the Ready in flight to finish. */
  async stop(): Promise<void> {
    this.holds += 1;
    await this.whenIdle();
    this.stopped = true;
    await this.logWriter.writeUnwrittenHardState().catch((error: unknown) => {
      this.options.logger.warn({ error: (error as Error).message }, 'could not write the last commit index at stop');
    });
    const stopping = new StoppingError();
    this.waiters.failAll(stopping);
    for (const p of this.inboxProposals) p.reject(stopping);
    this.inboxProposals = [];
    this.reads.failAll(stopping);
    this.wakeLeaderWaiters(0);
  }
}

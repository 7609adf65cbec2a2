/**
 * The node's loop: collect inputs → step the core → take one Ready → persist (one synced batch)
 * while sending `messages` → send `messagesAfterPersist` → apply committed entries → answer
 * waiting clients → advance. Exactly one Ready is in flight at a time; inputs that arrive
 * meanwhile (proposals, peer messages, ticks, reads) wait in the inbox and enter the core
 * together at the next turn, so one fsync serves every write that arrived during the last one
 * (group commit).
 */
import type { ConfChange, Entry, HardState, Message, NodeId, RaftCore, RaftStatus, Ready, Role } from '@holdfast/raft';
import { type ApplyResult, COMMAND_BATCH_OVERHEAD_BYTES, encodeCommandBatch, type KvStateMachine, type LevelLogStorage } from '@holdfast/storage';
import type { Logger } from 'pino';
import type { Failpoints, NodeLimits } from './config.js';
import {
  assert,
  HoldfastError,
  InternalError,
  NoLeaderError,
  NotLeaderError,
  OverloadedError,
  StoppingError,
  TimeoutError,
} from './errors.js';
import type { NodeMetrics } from './metrics.js';

export interface Sender {
  send(messages: readonly Message[]): void;
}

export class FsyncFailedError extends Error {
  override readonly name = 'FsyncFailedError';
  readonly code = 'fsync-failed';
}
export class DiskFullError extends Error {
  override readonly name = 'DiskFullError';
  readonly code = 'disk-full';
}

interface ProposalWaiter {
  readonly term: number;
  readonly resolve: (result: ApplyResult) => void;
  readonly reject: (error: HoldfastError) => void;
  timer: NodeJS.Timeout | undefined;
}

interface ReadWaiter {
  readonly resolve: () => void;
  readonly reject: (error: HoldfastError) => void;
  readonly deadlineMs: number;
}

/** The writes waiting on one log entry, by slot; `open` counts those not finished. */
interface EntryWaiters {
  readonly slots: (ProposalWaiter | undefined)[];
  open: number;
}

interface PendingProposal {
  readonly data: Uint8Array;
  readonly waiter: ProposalWaiter;
  readonly deadlineMs: number;
}

export interface DriverOptions {
  readonly selfId: NodeId;
  readonly core: RaftCore;
  readonly log: LevelLogStorage;
  readonly stateMachine: KvStateMachine;
  readonly limits: NodeLimits;
  readonly failpoints: Failpoints;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  /** A failure of the world the node cannot go on after (fsync failed, disk full): exit non-zero. */
  readonly onFatal: (error: unknown) => void;
  readonly onLeaderChange?: (leaderId: NodeId, role: Role) => void;
  readonly onConfChange?: (result: ApplyResult) => void;
  /**
   * A read round unanswered this long (a dropped message) is abandoned so that later reads are
   * not stuck behind it; its reads fail with a retryable error.
   */
  readonly readRoundTimeoutTicks: number;
}

const APPLIES_IN_FLIGHT_MAX = 4;

/** Writes one log entry carries at most (see proposeInbox). */
const COMMANDS_PER_ENTRY_MAX = 512;

/** The biggest inbox the loop keeps while a Ready is in flight; past it peer messages are dropped. */
const INBOX_MESSAGES_MAX = 100_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class NodeDriver {
  private sender: Sender = { send: () => {} };
  private readonly core: RaftCore;
  private readonly sm: KvStateMachine;
  private readonly log: LevelLogStorage;

  // Inbox: filled by handlers at any time, drained into the core at the start of a turn.
  private inboxMessages: Message[] = [];
  private inboxProposals: PendingProposal[] = [];
  private inboxTicks = 0;
  private readQueue: ReadWaiter[] = [];

  /**
   * Waiting writes by log index, then by slot (the command's position in its entry).
   * Invariant: every key is above the applied index; `waiterCount` counts the waiters held.
   */
  private readonly waiters = new Map<number, EntryWaiters>();
  private waiterCount = 0;
  /** Reads in a heartbeat round, by request id, with the tick the round started at. */
  private readonly readRounds = new Map<number, ReadWaiter[]>();
  private readonly readRoundStartTick = new Map<number, number>();
  private ticksSeen = 0;
  /** Reads confirmed at an index, waiting for the state machine to get there. */
  private readsAwaitingApply: { index: number; waiters: ReadWaiter[] }[] = [];
  /**
   * Read request ids start at a random point so that a leader's late answer to a read of this
   * member's previous process (same member id, ids counted from the same start) is not taken
   * for the answer to a read of this one, which may have begun after that older read index.
   */
  private readRequestId = Math.floor(Math.random() * 2 ** 40);
  private pendingReadCount = 0;
  /** Start (performance.now()) of the latest read barrier that completed: see boundedReadBarrier. */
  private confirmedAsOfMs = Number.NEGATIVE_INFINITY;

  /** A Ready is being persisted (or a snapshot is being taken). Invariant: at most one Ready in flight. */
  private busy = false;
  private turnScheduled = false;
  private stopped = false;
  /** Holders (snapshot restore, stop) that keep the loop from taking new Readys. */
  private holds = 0;
  private exclusive: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];
  private appliedSinceSnapshot = 0;
  /**
   * Applies run in order on their own worker, so that applying Ready k overlaps persisting
   * Ready k+1. Bounded: no new Ready is taken while APPLIES_IN_FLIGHT_MAX are queued.
   */
  private applyQueue: Ready[] = [];
  private applying = false;
  /** Readys handed to the apply worker and not yet applied. */
  private appliesPending = 0;
  private snapshotDue = false;
  /**
   * The newest hard state that differs from the stored one only in its commit index, kept
   * back from a write of its own (see `persist`). Written with the next log write, before a
   * compaction (the stored commit must not fall below the snapshot) and at stop.
   */
  private hardStateUnwritten: HardState | undefined;
  /** Last log index this node has made durable (entries of Readys whose write finished). */
  private durableIndex: number;

  leaderId: NodeId = 0;
  role: Role = 'follower';
  term = 0;
  commitIndex = 0;

  constructor(private readonly options: DriverOptions) {
    this.core = options.core;
    this.sm = options.stateMachine;
    this.log = options.log;
    this.term = options.log.hardState().term;
    this.commitIndex = options.log.hardState().commit;
    this.durableIndex = options.log.lastIndex();
  }

  setSender(sender: Sender): void {
    this.sender = sender;
  }

  get appliedIndex(): number {
    return this.sm.appliedIndex;
  }

  get pendingProposalCount(): number {
    return this.waiterCount + this.inboxProposals.length;
  }

  get pendingReads(): number {
    return this.pendingReadCount;
  }

  status(): RaftStatus {
    return this.core.status();
  }

  // ---- inputs ----

  tick(count = 1): void {
    this.inboxTicks += count;
    this.schedule();
  }

  deliver(messages: readonly Message[]): void {
    if (this.inboxMessages.length + messages.length > INBOX_MESSAGES_MAX) return;
    for (const m of messages) this.inboxMessages.push(m);
    this.schedule();
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
    if (this.role !== 'leader') return Promise.reject(this.notLeader());
    if (this.pendingProposalCount >= this.options.limits.pendingProposalsMax) {
      return Promise.reject(new OverloadedError(`${this.pendingProposalCount} writes pending (pendingProposalsMax)`));
    }
    return new Promise((resolve, reject) => {
      const waiter: ProposalWaiter = { term: 0, resolve, reject, timer: undefined };
      this.inboxProposals.push({ data, waiter, deadlineMs });
      this.schedule();
    });
  }

  /** Proposes a membership change and waits for it to be applied. */
  async proposeConfChange(change: ConfChange, deadlineMs: number): Promise<ApplyResult> {
    if (this.role !== 'leader') throw this.notLeader();
    const { term, index } = this.core.proposeConfChange(change);
    this.schedule();
    return new Promise((resolve, reject) => {
      this.addWaiter({ index, slot: 0 }, { term, resolve, reject, timer: undefined }, deadlineMs);
      this.options.metrics.pendingProposals.set(this.waiterCount);
    });
  }

  /**
   * Bounded staleness: resolves at once while a read barrier that completed here started within
   * the last `maxStalenessMs` (the state then holds every write acknowledged before that start,
   * and applied state only moves forward); otherwise runs one. Invariant: `confirmedAsOfMs` is
   * the latest start (monotonic clock) of a completed barrier.
   */
  boundedReadBarrier(maxStalenessMs: number, deadlineMs: number): Promise<void> {
    if (performance.now() - this.confirmedAsOfMs <= maxStalenessMs) {
      this.options.metrics.boundedReadsLocal.inc();
      return Promise.resolve();
    }
    return this.readBarrier(deadlineMs);
  }

  /** Resolves once the local state machine reflects every write committed before the call. */
  readBarrier(deadlineMs: number): Promise<void> {
    if (this.stopped) return Promise.reject(new StoppingError());
    if (this.leaderId === 0) return Promise.reject(new NoLeaderError());
    if (this.pendingReadCount >= this.options.limits.pendingReadsMax) {
      return Promise.reject(new OverloadedError(`${this.pendingReadCount} reads pending (pendingReadsMax)`));
    }
    this.pendingReadCount += 1;
    this.options.metrics.readBarriers.inc();
    const startedAtMs = performance.now();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => settle(new TimeoutError('read not confirmed before its deadline')), Math.max(0, deadlineMs - Date.now()));
      let done = false;
      const settle = (error?: HoldfastError): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pendingReadCount -= 1;
        if (error) reject(error);
        else resolve();
      };
      const confirmed = (): void => {
        // Even after the caller's deadline: the state holds what the barrier promised either way.
        this.confirmedAsOfMs = Math.max(this.confirmedAsOfMs, startedAtMs);
        settle();
      };
      this.readQueue.push({ resolve: confirmed, reject: (e) => settle(e), deadlineMs });
      this.schedule();
    });
  }

  transferLeadership(to: NodeId): void {
    this.core.transferLeadership(to);
    this.schedule();
  }

  // ---- the loop ----

  private schedule(): void {
    if (this.turnScheduled || this.busy || this.stopped || this.holds > 0) return;
    this.turnScheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.turnScheduled = false;
    if (this.busy || this.stopped || this.holds > 0) return;
    let ready: Ready;
    try {
      this.feedCore();
      if (this.snapshotDue && this.appliesPending === 0) {
        this.runBusy(() => this.takeSnapshot());
        return;
      }
      if (this.appliesPending >= APPLIES_IN_FLIGHT_MAX || !this.core.hasReady()) {
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

  private runBusy(task: () => Promise<void>): void {
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
    // Messages before ticks: after a stall, the heartbeats that arrived meanwhile must reset the
    // election timer before the ticks that elapsed are counted, or the node campaigns needlessly.
    if (this.inboxMessages.length > 0) {
      const messages = this.inboxMessages;
      this.inboxMessages = [];
      for (const message of messages) this.stepMessage(message);
    }
    if (this.inboxTicks > 0) {
      const ticks = this.inboxTicks;
      this.inboxTicks = 0;
      for (let i = 0; i < ticks; i += 1) this.core.tick();
      this.ticksSeen += ticks;
      this.abandonStaleReadRounds();
    }
    if (this.inboxProposals.length > 0) this.proposeInbox();
    if (this.readQueue.length > 0 && this.readRounds.size === 0) this.startReadRound();
  }

  private stepMessage(message: Message): void {
    try {
      this.core.step(message);
    } catch (error) {
      if ((error as { code?: string }).code === 'INVARIANT') throw error;
      this.options.logger.debug({ from: message.from, type: message.type, error: (error as Error).message }, 'message refused');
    }
  }

  /**
   * Proposes every write that arrived since the last turn, several to an entry (up to the size of
   * one request and COMMANDS_PER_ENTRY_MAX): each log entry costs a record, a checksum and a
   * LevelDB put on every member and a place in Raft messages, whatever it carries.
   */
  private proposeInbox(): void {
    const now = Date.now();
    const batch: PendingProposal[] = [];
    for (const p of this.inboxProposals) {
      if (p.deadlineMs > now) batch.push(p);
      else p.waiter.reject(new TimeoutError('the deadline passed before the write was proposed'));
    }
    this.inboxProposals = [];
    if (batch.length === 0) return;
    const groups = this.groupIntoEntries(batch);
    let placed: { term: number; firstIndex: number; lastIndex: number };
    try {
      placed = this.core.propose(groups.map((group) => (group.length === 1 ? group[0]!.data : encodeCommandBatch(group.map((p) => p.data)))));
    } catch (error) {
      const mapped = this.mapCoreError(error);
      for (const p of batch) p.waiter.reject(mapped);
      this.options.metrics.proposals.inc({ outcome: 'refused' }, batch.length);
      return;
    }
    assert(placed.lastIndex - placed.firstIndex + 1 === groups.length, () => `propose placed ${JSON.stringify(placed)} for ${groups.length}`);
    for (const [position, group] of groups.entries()) {
      for (const [slot, p] of group.entries()) {
        this.addWaiter({ index: placed.firstIndex + position, slot }, { ...p.waiter, term: placed.term }, p.deadlineMs);
      }
    }
    this.options.metrics.proposals.inc({ outcome: 'proposed' }, batch.length);
    for (const group of groups) this.options.metrics.writesPerEntry.observe(group.length);
    this.options.metrics.pendingProposals.set(this.waiterCount);
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

  private addWaiter(at: { index: number; slot: number }, waiter: ProposalWaiter, deadlineMs: number): void {
    const { index, slot } = at;
    const previous = this.waiters.get(index)?.slots[slot];
    // Our entry at this index was overwritten by another leader before we proposed again here.
    if (previous) this.finishWaiter(at, previous, new NotLeaderError(''));
    waiter.timer = setTimeout(() => {
      if (this.waiters.get(index)?.slots[slot] === waiter) {
        this.finishWaiter(at, waiter, new TimeoutError('write not applied before its deadline; it may still apply'));
      }
    }, Math.max(0, deadlineMs - Date.now()));
    let entry = this.waiters.get(index);
    if (entry === undefined) {
      entry = { slots: [], open: 0 };
      this.waiters.set(index, entry);
    }
    entry.slots[slot] = waiter;
    entry.open += 1;
    this.waiterCount += 1;
  }

  private finishWaiter(at: { index: number; slot: number }, waiter: ProposalWaiter, outcome: ApplyResult | HoldfastError): void {
    clearTimeout(waiter.timer);
    const entry = this.waiters.get(at.index);
    if (entry?.slots[at.slot] === waiter) {
      entry.slots[at.slot] = undefined;
      entry.open -= 1;
      this.waiterCount -= 1;
      if (entry.open === 0) this.waiters.delete(at.index);
    }
    if (outcome instanceof HoldfastError) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }

  private abandonStaleReadRounds(): void {
    for (const [requestId, startTick] of this.readRoundStartTick) {
      if (this.ticksSeen - startTick <= this.options.readRoundTimeoutTicks) continue;
      const waiters = this.readRounds.get(requestId) ?? [];
      this.forgetReadRound(requestId);
      for (const w of waiters) w.reject(this.leaderId === 0 ? new NoLeaderError() : new NotLeaderError(''));
    }
  }

  private forgetReadRound(requestId: number): void {
    this.readRounds.delete(requestId);
    this.readRoundStartTick.delete(requestId);
  }

  private startReadRound(): void {
    const waiters = this.readQueue.filter((w) => w.deadlineMs > Date.now());
    this.readQueue = [];
    if (waiters.length === 0) return;
    this.readRequestId += 1;
    try {
      this.core.readIndex(this.readRequestId);
    } catch (error) {
      const mapped = this.mapCoreError(error);
      for (const w of waiters) w.reject(mapped);
      return;
    }
    this.readRounds.set(this.readRequestId, waiters);
    this.readRoundStartTick.set(this.readRequestId, this.ticksSeen);
  }

  private async handleReady(ready: Ready): Promise<void> {
    if (ready.softState) this.handleSoftState(ready.softState.leaderId, ready.softState.role);
    const lastCommitted = ready.committedEntries[ready.committedEntries.length - 1];
    // Committed entries already durable here from earlier Readys need not wait for this write
    // (rule 3 guards entries that this very Ready persists): apply them while it runs.
    const applyEarly = ready.snapshot === undefined && lastCommitted !== undefined && lastCommitted.index <= this.durableIndex;
    // Order matters on one thread: the log write is queued first (its fsync is what a follower's
    // acknowledgement waits for), the messages go out, and only then does the apply's CPU work
    // start. Applying first delayed a follower's fsync, and so every write, by the apply's time.
    const persisted = this.persist(ready);
    if (ready.messages.length > 0) this.sender.send(ready.messages);
    if (applyEarly) this.enqueueApply(ready);
    await persisted;
    this.noteDurable(ready);
    if (ready.hardState) {
      this.term = ready.hardState.term;
      this.commitIndex = ready.hardState.commit;
      this.options.metrics.term.set(this.term);
      this.options.metrics.commitIndex.set(this.commitIndex);
    }
    if (ready.messagesAfterPersist.length > 0) this.sender.send(ready.messagesAfterPersist);
    const hasReads = ready.readStates.length > 0 || ready.droppedReads.length > 0;
    if (!applyEarly && (ready.committedEntries.length > 0 || hasReads)) this.enqueueApply(ready);
  }

  private noteDurable(ready: Ready): void {
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry !== undefined) this.durableIndex = lastEntry.index;
    else if (ready.snapshot !== undefined) this.durableIndex = ready.snapshot.meta.index;
  }

  /** Rule 3 and 4 of Ready: apply after the persist finished, in order; serve reads after apply. */
  private enqueueApply(ready: Ready): void {
    this.appliesPending += 1;
    this.applyQueue.push(ready);
    if (!this.applying) void this.runApplies();
  }

  /**
   * Applies every queued Ready's committed entries in one state-machine batch (group apply: the
   * cost of a batch is mostly fixed), then serves their reads in Ready order.
   */
  private async runApplies(): Promise<void> {
    this.applying = true;
    try {
      while (this.applyQueue.length > 0 && !this.stopped) {
        const readys = this.applyQueue;
        this.applyQueue = [];
        const entries = readys.flatMap((r) => r.committedEntries);
        if (entries.length > 0) await this.apply(entries);
        for (const ready of readys) this.handleReads(ready);
        this.appliesPending -= readys.length;
        if (this.appliedSinceSnapshot >= this.options.limits.snapshotEntries) this.snapshotDue = true;
        this.schedule();
        this.maybeNotifyIdle();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.applying = false;
    }
  }


  private handleSoftState(leaderId: NodeId, role: Role): void {
    const changed = leaderId !== this.leaderId;
    this.leaderId = leaderId;
    this.role = role;
    this.options.metrics.setRole(role);
    this.options.metrics.hasLeader.set(leaderId === 0 ? 0 : 1);
    if (changed) this.options.metrics.leaderChanges.inc();
    this.options.logger.info({ leaderId, role, term: this.core.status().term }, changed ? 'leader changed' : 'role changed');
    this.options.onLeaderChange?.(leaderId, role);
  }

  private async persist(ready: Ready): Promise<void> {
    const logChanges = ready.snapshot !== undefined || ready.entries.length > 0;
    if (!logChanges && !ready.mustSync) {
      // Only the commit index moved. It needs no write of its own: after a restart the node
      // learns it again from the leader and the state machine skips what it already applied.
      // It rides along with the next write of the log (or before a compaction, or at stop).
      if (ready.hardState) this.hardStateUnwritten = ready.hardState;
      return;
    }
    const hardState = ready.hardState ?? this.hardStateUnwritten;
    const { failpoints } = this.options;
    if (failpoints.diskFull) throw new DiskFullError('failpoint disk-full: the log write failed (no space left on device)');
    const sync = ready.mustSync || ready.snapshot !== undefined;
    const started = process.hrtime.bigint();
    await this.log.save({
      ...(hardState ? { hardState } : {}),
      entries: ready.entries,
      ...(ready.snapshot ? { snapshot: ready.snapshot } : {}),
      sync,
    });
    if (this.hardStateUnwritten === hardState) this.hardStateUnwritten = undefined;
    if (sync) {
      if (failpoints.fsyncFail) throw new FsyncFailedError('failpoint fsync-fail: fsync of the log returned EIO');
      if (failpoints.fsyncDelayMs > 0) await sleep(failpoints.fsyncDelayMs);
      this.options.metrics.fsyncSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      if (ready.entries.length > 0) this.options.metrics.entriesPerWrite.observe(ready.entries.length);
    }
  }

  private async apply(entries: readonly Entry[]): Promise<void> {
    const started = process.hrtime.bigint();
    // Writers are answered as soon as the results are computed: their entries are committed
    // (durable on a quorum) and the results are fixed; the state machine's own write is not
    // synced anyway (a crash replays it from the log). Reads wait for appliedIndex, which moves
    // only after that write, so a linearizable read after the answer still sees the write.
    const appliedBefore = this.sm.appliedIndex;
    const results = await this.sm.apply(entries, { onComputed: (computed) => this.answerWriters(computed, false) });
    this.options.metrics.applySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.options.metrics.appliedIndex.set(this.sm.appliedIndex);
    this.appliedSinceSnapshot += entries.length;
    // Membership changes are answered (and announced) once the new membership is readable.
    this.answerWriters(results, true);
    this.failUnansweredWaiters(entries, appliedBefore);
    this.options.metrics.pendingProposals.set(this.waiterCount);
  }

  /** Answers the waiters of `results`: plain writes when `confChanges` is false, else membership changes. */
  private answerWriters(results: readonly ApplyResult[], confChanges: boolean): void {
    for (const result of results) {
      if ((result.outcome.type === 'confChange') !== confChanges) continue;
      if (confChanges) this.options.onConfChange?.(result);
      const waiter = this.waiters.get(result.index)?.slots[result.slot];
      if (!waiter) continue;
      // Another leader's entry took this index: ours was never committed.
      this.finishWaiter(result, waiter, waiter.term === result.term ? result : new NotLeaderError(''));
    }
  }

  /**
   * Waiters of applied entries that got no answer: the state machine skipped the entry (it was
   * restored past it from a snapshot: outcome unknown), or another leader's entry took the index
   * with fewer commands than ours had (ours was never committed).
   */
  private failUnansweredWaiters(entries: readonly Entry[], appliedBefore: number): void {
    if (entries.some((entry) => entry.index <= appliedBefore)) this.failWaitersAtOrBelow(this.sm.appliedIndex);
    for (const entry of entries) {
      const waiting = this.waiters.get(entry.index);
      if (waiting === undefined) continue;
      const error = entry.index <= appliedBefore ? new TimeoutError('entry covered by a snapshot; outcome unknown') : new NotLeaderError('');
      for (const [slot, waiter] of waiting.slots.entries()) if (waiter) this.finishWaiter({ index: entry.index, slot }, waiter, error);
    }
  }

  /** Writes at entries the state machine was restored past (from a snapshot): outcome unknown. */
  private failWaitersAtOrBelow(index: number): void {
    const covered = new TimeoutError('entry covered by a snapshot; outcome unknown');
    for (const [waiterIndex, waiting] of this.waiters) {
      if (waiterIndex > index) continue;
      for (const [slot, waiter] of waiting.slots.entries()) if (waiter) this.finishWaiter({ index: waiterIndex, slot }, waiter, covered);
    }
  }

  private handleReads(ready: Ready): void {
    for (const requestId of ready.droppedReads) {
      const waiters = this.readRounds.get(requestId);
      this.forgetReadRound(requestId);
      for (const w of waiters ?? []) w.reject(this.leaderId === 0 ? new NoLeaderError() : new NotLeaderError(''));
    }
    for (const state of ready.readStates) {
      const waiters = this.readRounds.get(state.requestId);
      if (!waiters) continue;
      this.forgetReadRound(state.requestId);
      this.readsAwaitingApply.push({ index: state.index, waiters });
    }
    this.serveReads();
    if (this.readQueue.length > 0) this.schedule();
  }

  private serveReads(): void {
    if (this.readsAwaitingApply.length === 0) return;
    const applied = this.sm.appliedIndex;
    const still: { index: number; waiters: ReadWaiter[] }[] = [];
    for (const group of this.readsAwaitingApply) {
      if (group.index <= applied) for (const w of group.waiters) w.resolve();
      else still.push(group);
    }
    this.readsAwaitingApply = still;
  }

  /** Every N applied entries: record a snapshot of the applied state and compact the log behind it. */
  private async takeSnapshot(): Promise<void> {
    this.snapshotDue = false;
    this.appliedSinceSnapshot = 0;
    // The state machine's applies are not synced on their own: make them durable before the log
    // entries that could replay them are dropped.
    await this.sm.sync();
    await this.writeUnwrittenHardState();
    const index = this.sm.appliedIndex;
    const snapshot = {
      meta: { index, term: this.sm.appliedTerm, confState: this.sm.confState },
      data: new Uint8Array(),
    };
    const keepAfterIndex = Math.max(0, index - this.options.limits.snapshotCatchupEntries);
    await this.log.compact({ snapshot, keepAfterIndex });
    this.options.metrics.snapshots.inc();
    this.options.logger.info({ index, keepAfterIndex }, 'snapshot taken; log compacted');
  }

  private async writeUnwrittenHardState(): Promise<void> {
    const hardState = this.hardStateUnwritten;
    if (hardState === undefined) return;
    await this.log.save({ hardState, entries: [], sync: false });
    if (this.hardStateUnwritten === hardState) this.hardStateUnwritten = undefined;
  }

  /**
   * Runs `task` while no Ready is in flight and holds the loop until it finishes (snapshot
   * restore replaces the state machine under the loop's feet otherwise).
   */
  async runExclusive<T>(task: () => Promise<T>): Promise<T> {
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
      this.schedule();
    }
  }

  private whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return !this.busy && this.appliesPending === 0;
  }

  private maybeNotifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private notLeader(): HoldfastError {
    return this.leaderId === 0 ? new NoLeaderError() : new NotLeaderError('');
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
    await this.writeUnwrittenHardState().catch((error: unknown) => {
      this.options.logger.warn({ error: (error as Error).message }, 'could not write the last commit index at stop');
    });
    const stopping = new StoppingError();
    for (const [index, waiting] of this.waiters) {
      for (const [slot, waiter] of waiting.slots.entries()) if (waiter) this.finishWaiter({ index, slot }, waiter, stopping);
    }
    for (const p of this.inboxProposals) p.waiter.reject(stopping);
    this.inboxProposals = [];
    for (const w of this.readQueue) w.reject(stopping);
    this.readQueue = [];
    for (const waiters of this.readRounds.values()) for (const w of waiters) w.reject(stopping);
    this.readRounds.clear();
    this.readRoundStartTick.clear();
    for (const group of this.readsAwaitingApply) for (const w of group.waiters) w.reject(stopping);
    this.readsAwaitingApply = [];
  }
}

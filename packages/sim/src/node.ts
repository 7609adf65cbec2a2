import type { ConfState, Entry, Message, NodeId, RaftCore, Ready, ReadState, Role, Snapshot } from '@holdfast/raft';
import type { CoreStorage } from './core.js';
import type { SimDisk } from './disk.js';
import type { LogView, SafetyChecker } from './invariants.js';
import { type KvCommand, type KvResult, KvStateMachine } from './kv.js';

/** What a node answers a waiting client. `failed` means the operation definitely did not happen. */
export type NodeAnswer =
  | { readonly outcome: 'ok'; readonly result: KvResult }
  | { readonly outcome: 'ok'; readonly readValue: string | null }
  | { readonly outcome: 'failed'; readonly reason: string }
  | { readonly outcome: 'unknown'; readonly reason: string };

/** The simulation around a node: network, clock, checks and clients. */
export interface NodeHost {
  readonly checker: SafetyChecker;
  record(description: string): void;
  send(node: SimNode, messages: readonly Message[]): void;
  /** Completes the node's disk write some ticks from now by calling `finishWrite`. */
  scheduleSync(node: SimNode): void;
  /** Answers operation `op` of a client (proposal op id or read request id). */
  answer(node: SimNode, op: number, answer: NodeAnswer): void;
  createCore(node: SimNode, storage: CoreStorage, applied: number): RaftCore;
  createStorage(): CoreStorage;
  /** The term at `index` on another node's disk (-1 under its snapshot, 0 if absent). */
  durableTermOf(nodeId: NodeId, index: number): number;
  noteLeaderElected(node: SimNode): void;
  /** A follower's Ready replaced entries it had stored (a conflicting suffix was cut). */
  noteLogTruncated(node: SimNode, fromIndex: number): void;
  readonly defects: { readonly ackBeforeSync?: boolean };
}

export interface NodePolicy {
  /** Take a local snapshot once this many entries were applied since the last one. */
  readonly snapshotEveryEntries: number;
  /** Entries kept in the log behind a snapshot, for followers that lag a little. */
  readonly entriesKeptAfterCompaction: number;
  /**
   * Step messages, ticks and proposals into the core while a Ready's write is in flight (as
   * etcd's node loop does) instead of holding them until advance().
   */
  readonly stepsDuringWrite: boolean;
}

interface Incarnation {
  readonly core: RaftCore;
  readonly storage: CoreStorage;
  readonly machine: KvStateMachine;
  /** A Ready whose write is in flight; set between ready() and advance(). */
  writing: Ready | undefined;
  /** Calls into the core that arrived while the write was in flight; run after advance(). */
  readonly deferred: (() => void)[];
  pendingTicks: number;
  /** Stopped like a process under SIGSTOP: no ticks, and every call waits in `pausedQueue`. */
  paused: boolean;
  readonly pausedQueue: (() => void)[];
  role: Role;
  leaderId: NodeId;
  term: number;
  commit: number;
  lastSnapshotIndex: number;
  /** Commit index up to which the durable-quorum check has been made (leader) or skipped. */
  quorumCheckedCommit: number;
  readonly proposals: Map<number, { op: number; term: number }>;
  readonly reads: Map<number, { key: string; index: number | undefined }>;
}

/**
 * One simulated member: its disk outlives crashes; everything else (core, in-memory log, state
 * machine, waiting clients) is one incarnation that a crash throws away.
 */
export class SimNode {
  readonly disk: SimDisk;
  private life: Incarnation | undefined;
  /** Removed from the cluster for good; never restarted. */
  retired = false;
  /** Counts starts; a disk write scheduled by an earlier incarnation is ignored. */
  incarnation = 0;

  constructor(
    readonly id: NodeId,
    private readonly host: NodeHost,
    private readonly policy: NodePolicy,
    disk: SimDisk,
  ) {
    this.disk = disk;
  }

  get isUp(): boolean {
    return this.life !== undefined;
  }

  get role(): Role | 'down' {
    return this.life?.role ?? 'down';
  }

  get leaderId(): NodeId {
    return this.life?.leaderId ?? 0;
  }

  get term(): number {
    return this.life?.term ?? 0;
  }

  get commit(): number {
    return this.life?.commit ?? 0;
  }

  get applied(): number {
    return this.life?.machine.appliedIndex ?? 0;
  }

  get confState(): ConfState | undefined {
    return this.life?.machine.confState;
  }

  /** Paused, or writing a Ready while the driver holds calls until advance(): do not call the core now. */
  get isBusy(): boolean {
    const life = this.life;
    return life !== undefined && (life.paused || (life.writing !== undefined && !this.policy.stepsDuringWrite));
  }

  get isPaused(): boolean {
    return this.life?.paused ?? false;
  }

  /** Stops the node as SIGSTOP would: its clock stops, everything that reaches it waits. */
  pause(): void {
    if (this.life !== undefined) this.life.paused = true;
  }

  /** Lets a paused node run again; what reached it meanwhile is handled in arrival order. */
  resume(): void {
    const life = this.life;
    if (life === undefined || !life.paused) return;
    life.paused = false;
    for (const action of life.pausedQueue.splice(0)) action();
  }

  readValue(key: string): string | null {
    return this.life?.machine.get(key) ?? null;
  }

  /** Starts (or restarts) the node from what its disk holds. */
  start(): void {
    if (this.life !== undefined) throw new Error(`node ${this.id} is already up`);
    this.incarnation++;
    const durable = this.disk.durableState();
    const storage = this.host.createStorage();
    if (durable.snapshot !== undefined) storage.applySnapshot(durable.snapshot);
    if (durable.entries.length > 0) storage.append(durable.entries);
    storage.setHardState(durable.hardState);
    const initial = storage.initialState();
    const machine =
      durable.snapshot !== undefined ? KvStateMachine.fromSnapshot(durable.snapshot) : new KvStateMachine(initial.confState);
    const core = this.host.createCore(this, storage, machine.appliedIndex);
    const commit = Math.max(durable.hardState.commit, durable.snapshot?.meta.index ?? 0);
    this.life = {
      core,
      storage,
      machine,
      writing: undefined,
      deferred: [],
      pendingTicks: 0,
      paused: false,
      pausedQueue: [],
      role: 'follower',
      leaderId: 0,
      term: durable.hardState.term,
      commit,
      lastSnapshotIndex: durable.snapshot?.meta.index ?? 0,
      quorumCheckedCommit: commit,
      proposals: new Map(),
      reads: new Map(),
    };
    this.host.checker.observeRestart(this.id, commit);
    this.host.checker.observeStoredEntries(this.id, durable.entries, durable.snapshot?.meta.term ?? 0);
  }

  /**
   * Loses the incarnation and the unsynced writes but the oldest `survivingBatches` (flushed by
   * chance before the crash); returns the client operations left waiting.
   */
  crash(survivingBatches = 0): number[] {
    const life = this.life;
    this.life = undefined;
    this.disk.crash(survivingBatches);
    if (life !== undefined) this.host.checker.observeDurableCommit(this.id, this.disk.durableHardState().commit);
    if (life === undefined) return [];
    const waiting = [...[...life.proposals.values()].map((p) => p.op), ...life.reads.keys()];
    this.host.checker.observeDurableLog(this.id, (index) => this.disk.durableTermAt(index));
    return waiting;
  }

  tick(): void {
    const life = this.life;
    if (life === undefined || life.paused) return;
    // A node blocked on its disk does not run its timers; they fire when it is free again.
    if (life.writing !== undefined && !this.policy.stepsDuringWrite) {
      life.pendingTicks++;
      return;
    }
    life.core.tick();
  }

  deliver(message: Message): void {
    this.whenFree((core) => {
      core.step(message);
      // A leader commits while handling an acknowledgement: check it under the membership in
      // force at that moment, before a later proposal can change it.
      if (message.type === 'appendResponse' || message.type === 'heartbeatResponse') this.checkLeaderCommit();
    });
  }

  /**
   * Runs `action` on the core now, or later: when the node resumes from a pause, and (unless the
   * policy steps during writes) after the Ready being written has been advanced.
   */
  whenFree(action: (core: RaftCore) => void): void {
    const life = this.life;
    if (life === undefined) return;
    if (life.paused) {
      life.pausedQueue.push(() => this.whenFree(action));
      return;
    }
    if (life.writing !== undefined && !this.policy.stepsDuringWrite) {
      life.deferred.push(() => action(life.core));
      return;
    }
    action(life.core);
  }

  /** Exposes the core for proposals and admin calls; undefined when down. */
  get core(): RaftCore | undefined {
    return this.life?.core;
  }

  /** Registers a proposal so that the client is answered when its index is applied. */
  awaitProposal(op: number, index: number, term: number): void {
    this.life?.proposals.set(index, { op, term });
  }

  awaitRead(requestId: number, key: string): void {
    this.life?.reads.set(requestId, { key, index: undefined });
  }

  logView(): LogView {
    const storage = this.life?.storage;
    if (storage === undefined) return { snapshotIndex: 0, lastIndex: 0, termAt: () => undefined };
    const snapshotIndex = storage.firstIndex() - 1;
    return {
      snapshotIndex,
      lastIndex: storage.lastIndex(),
      termAt: (index) => {
        if (index < snapshotIndex || index > storage.lastIndex()) return undefined;
        try {
          return storage.term(index);
        } catch {
          return undefined;
        }
      },
    };
  }

  /** All stored entries, for the full log-matching sweep. */
  storedEntries(): { entries: Entry[]; prevTerm: number } {
    const storage = this.life?.storage;
    if (storage === undefined) return { entries: [], prevTerm: 0 };
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    const prevTerm = this.logView().termAt(first - 1) ?? 0;
    if (last < first) return { entries: [], prevTerm };
    return { entries: storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER), prevTerm };
  }

  /** Takes and starts handling one Ready if the node is free and the core has one. */
  maybeHandleReady(): boolean {
    const life = this.life;
    if (life === undefined || life.paused || life.writing !== undefined || !life.core.hasReady()) return false;
    const ready = life.core.ready();
    life.writing = ready;
    const becameLeader = this.observeSoftState(life, ready);
    this.writeReady(life, ready);
    // Checked once the Ready's entries are stored, so that the whole log the core holds is seen.
    if (becameLeader) this.host.checker.observeLeaderLog(this.id, life.term, this.logView());
    this.host.send(this, ready.messages);
    if (this.host.defects.ackBeforeSync) this.host.send(this, ready.messagesAfterPersist);
    if (ready.mustSync || ready.snapshot !== undefined) {
      this.host.scheduleSync(this);
    } else {
      this.finishWrite();
    }
    return true;
  }

  /** Follows role, leader and term; returns true when this Ready makes the node leader. */
  private observeSoftState(life: Incarnation, ready: Ready): boolean {
    if (ready.hardState !== undefined) life.term = ready.hardState.term;
    if (ready.softState === undefined) return false;
    const wasLeader = life.role === 'leader';
    life.role = ready.softState.role;
    life.leaderId = ready.softState.leaderId;
    if (life.role !== 'leader' || wasLeader) return false;
    life.term = life.core.status().term;
    this.host.record(`n${this.id} became leader of term ${life.term}`);
    this.host.noteLeaderElected(this);
    this.host.checker.observeLeader(this.id, life.term);
    return true;
  }

  /** Rule 1 and 5 of Ready: snapshot, then entries (replacing a suffix), then hard state. */
  private writeReady(life: Incarnation, ready: Ready): void {
    if (ready.snapshot !== undefined) {
      life.storage.applySnapshot(ready.snapshot);
      this.disk.writeSnapshot(ready.snapshot);
      this.host.record(`n${this.id} installs snapshot at ${ready.snapshot.meta.index}/${ready.snapshot.meta.term}`);
    }
    const first = ready.entries[0];
    if (first !== undefined) {
      const prevTerm = this.logView().termAt(first.index - 1) ?? 0;
      if (first.index <= life.storage.lastIndex()) this.host.noteLogTruncated(this, first.index);
      life.storage.append(ready.entries);
      this.disk.writeEntries(ready.entries);
      this.host.checker.observeStoredEntries(this.id, ready.entries, prevTerm);
    }
    if (ready.hardState !== undefined) {
      life.storage.setHardState(ready.hardState);
      this.disk.writeHardState(ready.hardState);
    }
    this.disk.sealBatch();
    if (ready.hardState !== undefined) {
      this.observeCommit(life, Math.max(ready.hardState.commit, ready.snapshot?.meta.index ?? 0));
    } else if (ready.snapshot !== undefined) {
      this.observeCommit(life, Math.max(life.commit, ready.snapshot.meta.index));
    }
  }

  private observeCommit(life: Incarnation, commit: number): void {
    if (commit === life.commit) return;
    life.commit = commit;
    this.host.checker.observeCommit(this.id, commit, this.logView(), life.term);
    if (life.role === 'leader') this.checkLeaderCommit();
    life.quorumCheckedCommit = Math.max(life.quorumCheckedCommit, commit);
  }

  /**
   * Every index the leader committed must already be on the disks of a majority of the voters
   * in force (the latest confChange in its log, §4.1) when it committed them.
   */
  private checkLeaderCommit(): void {
    const life = this.life;
    if (life === undefined || life.role !== 'leader') return;
    const status = life.core.status();
    if (status.role !== 'leader' || status.commit <= life.quorumCheckedCommit) return;
    const log = this.logView();
    for (let index = life.quorumCheckedCommit + 1; index <= status.commit; index++) {
      const term = log.termAt(index);
      if (term === undefined) continue;
      this.host.checker.observeCommitQuorum({
        leaderId: this.id,
        index,
        term,
        voters: status.confState.voters,
        durableTermAt: (nodeId, at) => this.host.durableTermOf(nodeId, at),
      });
    }
    life.quorumCheckedCommit = status.commit;
  }

  /** The write of the current Ready is durable: send acks, apply, answer, advance (rules 1–4). */
  finishWrite(): void {
    const life = this.life;
    const ready = life?.writing;
    if (life === undefined || ready === undefined) return;
    if (life.paused) {
      // The disk finished, but the process learns of it only when it runs again.
      life.pausedQueue.push(() => this.finishWrite());
      return;
    }
    if (ready.mustSync || ready.snapshot !== undefined) {
      this.disk.sync();
      this.host.checker.observeDurableCommit(this.id, this.disk.durableHardState().commit);
    }
    if (!this.host.defects.ackBeforeSync) this.host.send(this, ready.messagesAfterPersist);
    if (ready.snapshot !== undefined) this.restoreSnapshot(life, ready.snapshot);
    for (const entry of ready.committedEntries) this.applyEntry(life, entry);
    for (const readState of ready.readStates) this.noteReadState(life, readState);
    for (const requestId of ready.droppedReads) this.dropRead(life, requestId);
    this.serveReads(life);
    life.core.advance(ready);
    life.writing = undefined;
    this.checkLeaderCommit();
    this.maybeTakeSnapshot(life);
    this.drainDeferred(life);
  }

  private drainDeferred(life: Incarnation): void {
    const deferred = life.deferred.splice(0);
    for (const action of deferred) action();
    const ticks = life.pendingTicks;
    life.pendingTicks = 0;
    for (let i = 0; i < ticks; i++) life.core.tick();
  }

  private restoreSnapshot(life: Incarnation, snapshot: Snapshot): void {
    if (snapshot.meta.index <= life.machine.appliedIndex) return;
    life.machine.restore(snapshot);
    life.lastSnapshotIndex = snapshot.meta.index;
    // Proposals under the snapshot were overtaken: whether they made it is unknown here.
    for (const [index, waiter] of life.proposals) {
      if (index <= snapshot.meta.index) {
        life.proposals.delete(index);
        this.host.answer(this, waiter.op, { outcome: 'unknown', reason: `index ${index} arrived in a snapshot` });
      }
    }
  }

  private applyEntry(life: Incarnation, entry: Entry): void {
    if (entry.index <= life.machine.appliedIndex) return;
    this.host.checker.observeApplied(this.id, entry, life.commit);
    const applied = life.machine.apply(entry);
    const waiter = life.proposals.get(entry.index);
    if (waiter === undefined) return;
    life.proposals.delete(entry.index);
    this.answerProposal(waiter.op, entry, applied);
  }

  private answerProposal(op: number, entry: Entry, applied: { command: KvCommand; result: KvResult } | undefined): void {
    if (applied !== undefined && applied.command.op === op) {
      this.host.answer(this, op, { outcome: 'ok', result: applied.result });
      return;
    }
    // Another entry took the index: the proposal was overwritten and is never proposed again.
    this.host.answer(this, op, { outcome: 'failed', reason: `index ${entry.index} holds another entry` });
  }

  private noteReadState(life: Incarnation, readState: ReadState): void {
    const read = life.reads.get(readState.requestId);
    if (read !== undefined) read.index = readState.index;
  }

  private dropRead(life: Incarnation, requestId: number): void {
    if (!life.reads.delete(requestId)) return;
    this.host.answer(this, requestId, { outcome: 'failed', reason: 'read dropped by the core' });
  }

  private serveReads(life: Incarnation): void {
    for (const [requestId, read] of life.reads) {
      if (read.index === undefined || read.index > life.machine.appliedIndex) continue;
      life.reads.delete(requestId);
      this.host.answer(this, requestId, { outcome: 'ok', readValue: life.machine.get(read.key) });
    }
  }

  private maybeTakeSnapshot(life: Incarnation): void {
    const applied = life.machine.appliedIndex;
    if (applied - life.lastSnapshotIndex < this.policy.snapshotEveryEntries) return;
    // The membership as of the applied index, as the state machine applied it. (Not
    // core.confStateAt: with a newer snapshot received but not yet handed out, that throws.)
    const snapshot = life.storage.createSnapshot(applied, life.machine.confState, life.machine.encodeState());
    const compactIndex = Math.max(life.storage.firstIndex() - 1, applied - this.policy.entriesKeptAfterCompaction);
    if (compactIndex >= life.storage.firstIndex()) life.storage.compact(compactIndex);
    this.disk.saveLocalSnapshot(snapshot);
    life.lastSnapshotIndex = applied;
    this.host.record(`n${this.id} snapshot at ${applied}, log compacted to ${compactIndex}`);
  }
}

/**
 * One member as the node process runs it: the production NodeDriver over the production
 * LevelLogStorage and KvStateMachine (on the simulated disk), the RaftNode core, and the
 * server's RequestPath for client requests; only the gRPC services and the peer transport are
 * replaced by the simulation's network.
 */
import { bootstrapEntries, bootstrapHardState, type Entry, type Message, type NodeId, RaftNode, type RaftConfig } from '@holdfast/raft';
import {
  agreementFindings,
  assertRepairPossible,
  type DamageFinding,
  describeFindings,
  LeaseKeeper,
  leaseExtensionMs,
  type DurableLog,
  type KvOp,
  type KvResult,
  type NodeLimits,
  NodeDriver,
  NodeMetrics,
  openFindings,
  type RepairMarker,
  RequestPath,
  repairLossTerm,
  restartLogFromState,
  StateHashComparison,
  StateIntegrity,
} from '@holdfast/server';
import { encodeMemberContext, type KeyChange, KvStateMachine, LogCommitBeyondEndError, LogCorruptionError, LevelLogStorage, type MemberRecord, resolveStorageLimits, StateCorruptionError } from '@holdfast/storage';
import { type Logger, pino } from 'pino';
import type { Prng } from '@holdfast/raft';
import { MemberTime, type SimScheduler } from './scheduler.js';
import { SimStorageDisk } from './sim-disk.js';

const silent: Logger = pino({ level: 'silent' });

export interface MemberHost {
  readonly scheduler: SimScheduler;
  /** The changes one apply batch made on `member` (what the node's watches are fed), and restores. */
  changed(member: SimMember, changes: readonly KeyChange[], revision: number): void;
  restored(member: SimMember, revision: number): void;
  record(description: string): void;
  /** Messages leaving `member` (its incarnation at the time) for the network. */
  send(member: SimMember, messages: readonly Message[]): void;
  forward(member: SimMember, leaderId: NodeId, op: KvOp, deadlineMs: number): Promise<KvResult>;
  /** The process gave up (onFatal): it exits, as the node process would. */
  fatal(member: SimMember, error: unknown): void;
  /** The member found damage while running: its process stops and starts again, in repair. */
  restartForRepair(member: SimMember, reason: string): void;
  /** A lease expiry this member proposed as leader committed (proposed at `proposedAtMs`, simulated). */
  leaseExpiryCommitted(id: number, proposedAtMs: number): void;
}

interface OpenedStorage {
  log?: LevelLogStorage;
  sm?: KvStateMachine;
  findings: DamageFinding[];
}

export type CoreSettings = Omit<RaftConfig, 'id' | 'storage' | 'random' | 'applied'>;

export interface MemberSettings {
  readonly core: CoreSettings;
  readonly limits: NodeLimits;
  /** Milliseconds of one tick (what the lease clock's extension is counted in). */
  readonly tickMs: number;
  /** The configured initial cluster (what a node falls back to for its voters). */
  readonly initialVoters: readonly NodeId[];
  /** Planted defect: state hash mismatches (the comparison's and the scrub's) change nothing. */
  readonly ignoreHashMismatch?: boolean;
  /** Planted defect: a log that lost its tail is trusted (dropped records and applied past the log's end ignored). */
  readonly trustLostLogTail?: boolean;
  /** A member in repair never learns its loss term, so it never votes (the behaviour before FINDINGS R5's fix). */
  readonly unknownLossTerm?: boolean;
  /** Lease reads at the leader (driver/lease.ts), with the clock drift bound the lease assumes. */
  readonly readLease?: { readonly clockDriftMax: number; readonly tickMs: number };
  /** Hold a request to forward while no leader is known, as the node does (RealSimOptions.forwardsWaitForLeader). */
  readonly forwardsWaitForLeader?: boolean;
}

/** State hash checkpoints kept per member, as the node keeps them. */
const STATE_HASH_CHECKPOINTS_KEPT = 8;

export type MemberState = 'down' | 'starting' | 'up' | 'stopped';

export function memberRecord(id: NodeId): MemberRecord {
  return { id, name: `n${id}`, region: '', clientAddress: `n${id}`, peerAddress: `n${id}`, learner: false };
}

/** The bootstrap log of a new cluster: one addVoter per member, carrying its record. */
export function bootstrapLog(voters: readonly NodeId[]): Entry[] {
  return bootstrapEntries(voters).map((entry) =>
    entry.type === 'confChange' ? { ...entry, change: { ...entry.change, context: encodeMemberContext(memberRecord(entry.change.nodeId)) } } : entry,
  );
}

export class SimMember {
  readonly time: MemberTime;
  readonly disk: SimStorageDisk;
  state: MemberState = 'down';
  retired = false;
  /** Why the member stopped for good (it refused to start, or detected damage it cannot repair). */
  stoppedReason = '';
  incarnation = 0;
  log: LevelLogStorage | undefined;
  sm: KvStateMachine | undefined;
  driver: NodeDriver | undefined;
  path: RequestPath | undefined;
  /** The leader's lease clock, as Node keeps it (ticked with the driver). */
  leases: LeaseKeeper | undefined;
  integrity: StateIntegrity | undefined;
  /** Compares this member's state hash checkpoints with those the others send (as Node does). */
  stateHashes: StateHashComparison | undefined;
  /** The repair under way since this process started (its marker), or undefined. */
  private repair: RepairMarker | undefined;
  /** The newest term and vote written with a sync (what the node keeps in its term/vote file). */
  private syncedTermVote = { term: 0, vote: 0 };
  /** When a member that refuses reads last handed its leadership over (simulated ms). */
  private handedOverAtMs = Number.NEGATIVE_INFINITY;
  /** When, and at which index, this member last offered its current state hash (Node.shareCurrentStateHash). */
  private stateHashShared = { atMs: Number.NEGATIVE_INFINITY, index: 0 };

  constructor(
    readonly id: NodeId,
    private readonly host: MemberHost,
    private readonly settings: MemberSettings,
    private readonly random: Prng,
  ) {
    this.time = new MemberTime(host.scheduler);
    this.disk = new SimStorageDisk(random.fork(), (ms) => this.time.sleep(ms));
  }

  get logPath(): string {
    return `/n${this.id}/log`;
  }

  get statePath(): string {
    return `/n${this.id}/kv`;
  }

  get isUp(): boolean {
    return this.state === 'up' && !this.retired;
  }

  get isPaused(): boolean {
    return this.time.isPaused;
  }

  /**
   * Opens storage and starts the loop, as startNode does: damage found at start (LevelDB's
   * dropped records, log and state disagreeing, an unreadable log or state) or a repair left
   * half done starts a repair — the marker, the log (and the state when untrusted) moved aside
   * through the disk seam, the term and vote kept, votes suspended until caught up. A fresh
   * member bootstraps when `bootstrapVoters` is given and its log is empty.
   */
  async start(bootstrapVoters: readonly NodeId[] | undefined): Promise<void> {
    if (this.state !== 'down') return;
    this.state = 'starting';
    const incarnation = this.incarnation;
    let opened: OpenedStorage = { findings: [] };
    let repair = this.disk.repairMarker;
    try {
      opened = await this.openDatabases(true);
      if (opened.findings.length > 0 || repair?.phase === 'wipe') {
        repair = await this.repairStorage(opened, repair, bootstrapVoters);
        opened = await this.reopenAfterWipe(repair);
      }
      const { log, sm } = opened;
      if (log === undefined || sm === undefined) throw new Error('storage did not open');
      if (log.isEmpty() && bootstrapVoters !== undefined && repair === undefined) {
        await log.bootstrap({ entries: bootstrapLog(bootstrapVoters), hardState: bootstrapHardState(bootstrapVoters), confState: { voters: [], learners: [] } });
      }
      const snapshotIndex = log.firstIndex() - 1;
      if (sm.appliedIndex < snapshotIndex) throw new Error(`state machine applied index ${sm.appliedIndex} is below the log's snapshot index ${snapshotIndex}: the data directory is inconsistent`);
    } catch (error) {
      if (incarnation !== this.incarnation) return;
      // The node refuses to start (RepairUnsafeError among others): an operator must look.
      this.state = 'stopped';
      this.stoppedReason = `refused to start: ${(error as Error).message}`;
      this.host.record(`n${this.id} ${this.stoppedReason}`);
      return;
    }
    if (incarnation !== this.incarnation) return;
    try {
      this.startLoop(opened.log!, opened.sm!, repair, incarnation);
    } catch (error) {
      // As the node's constructor throwing (the core refused its storage): the process exits.
      this.state = 'stopped';
      this.stoppedReason = `refused to start: ${(error as Error).message}`;
      this.host.record(`n${this.id} ${this.stoppedReason}`);
    }
  }

  private startLoop(log: LevelLogStorage, sm: KvStateMachine, repair: RepairMarker | undefined, incarnation: number): void {
    this.log = log;
    this.sm = sm;
    this.repair = repair;
    this.syncedTermVote = { term: log.hardState().term, vote: log.hardState().vote };
    const metrics = new NodeMetrics();
    this.integrity = new StateIntegrity({
      logger: silent,
      metrics,
      repair: { requestRepair: (reason) => this.requestRepair(reason, incarnation) },
      now: () => this.time.wallMs(),
    });
    // As Node: a failed state write (a sync before a snapshot is read, say) stops the process.
    sm.watchWriteFailure((error) => {
      if (incarnation === this.incarnation) this.host.fatal(this, error);
    });
    this.driver = this.createDriver(log, sm, metrics, repair);
    this.leases = this.createLeaseKeeper(this.driver, sm);
    this.path = this.createRequestPath(this.driver, sm, this.integrity);
    this.stateHashes = this.compareStateHashes(sm);
    // A new process: its change stream starts where its state stands.
    this.host.restored(this, sm.revision);
    sm.watchChanges({
      changed: (changes, revision) => {
        if (incarnation === this.incarnation) this.host.changed(this, changes, revision);
      },
      restored: (revision) => {
        if (incarnation === this.incarnation) this.host.restored(this, revision);
      },
    });
    this.state = 'up';
    if (repair !== undefined) this.host.record(`n${this.id} starts in repair (${repair.dropState ? 'state dropped' : 'state kept'}): ${repair.reason}`);
    void this.scrub(sm, incarnation);
  }

  /** As openDatabases in node.ts: damage that keeps either database from opening is a finding. */
  private async openDatabases(agreement: boolean): Promise<OpenedStorage> {
    const { limits } = this.settings;
    const opened: OpenedStorage = { findings: [] };
    try {
      opened.log = await LevelLogStorage.open({ dir: this.logPath, disk: this.disk, limits: { entryBytesMax: limits.requestBytesMax + 64 * 1024 } });
    } catch (error) {
      if (!(error instanceof LogCorruptionError)) throw error;
      const kind = error instanceof LogCommitBeyondEndError ? 'commit-past-log-end' : 'log-unreadable';
      opened.findings.push({ kind, detail: error.message, stateUntrusted: false });
    }
    try {
      opened.sm = await KvStateMachine.open({
        dir: this.statePath,
        disk: this.disk,
        limits: resolveStorageLimits({ commandBytesMax: limits.requestBytesMax }),
        sessions: { sessionIdleMsMax: limits.sessionTtlMs, sessionsMax: limits.sessionsMax, answersPerSessionMax: limits.sessionAnswersMax },
        snapshotChunkBytes: 4096,
        stateHashCheckpointEntries: limits.stateHashCheckpointEntries,
        stateHashCheckpointsKept: STATE_HASH_CHECKPOINTS_KEPT,
      });
    } catch (error) {
      if (!(error instanceof StateCorruptionError)) {
        await opened.log?.close().catch(() => undefined);
        throw error;
      }
      opened.findings.push({ kind: 'state-unreadable', detail: error.message, stateUntrusted: true });
    }
    opened.findings.push(...openFindings(opened.log, opened.sm));
    if (agreement && opened.log !== undefined && opened.sm !== undefined) opened.findings.push(...agreementFindings(opened.log, opened.sm));
    if (this.settings.trustLostLogTail) {
      opened.findings = opened.findings.filter((finding) => finding.kind !== 'log-dropped-records' && finding.kind !== 'log-tail-cut' && finding.kind !== 'applied-past-log-end');
    }
    return opened;
  }

  /** As openStorage in node.ts: the marker, then what cannot be trusted moved aside. */
  private async repairStorage(opened: OpenedStorage, previous: RepairMarker | undefined, bootstrapVoters: readonly NodeId[] | undefined): Promise<RepairMarker> {
    const { findings } = opened;
    const reason = findings.length > 0 ? describeFindings(findings) : (previous?.reason ?? '');
    const fromState = opened.sm?.confState.voters ?? [];
    const fromLog = opened.log?.initialState().confState.voters ?? [];
    const voters = fromState.length > 0 ? fromState : fromLog.length > 0 ? fromLog : (bootstrapVoters ?? this.settings.initialVoters);
    assertRepairPossible({ selfId: this.id, voters, reason, dataDir: `/n${this.id}` });
    let repair: RepairMarker = {
      reason,
      findings: [...(previous?.findings ?? []), ...findings],
      startedAtMs: previous?.startedAtMs ?? this.time.wallMs(),
      phase: 'wipe',
      dropState: (previous?.dropState ?? false) || opened.sm === undefined || findings.some((finding) => finding.stateUntrusted),
    };
    // The term/vote file (syncedTermVote here) cannot be damaged in the simulation: it is trusted.
    const termNow = Math.max(this.syncedTermVote.term, opened.log?.hardState().term ?? 0);
    const lossTerm = findings.length > 0 ? repairLossTerm({ previous, termVoteTrusted: !this.settings.unknownLossTerm, termNow }) : previous?.lossTerm;
    if (lossTerm !== undefined) repair = { ...repair, lossTerm };
    this.disk.repairMarker = repair;
    this.host.record(`n${this.id} repairs from the others (${repair.dropState ? 'dropping its log and state' : 'dropping its log'}): ${reason}`);
    await opened.sm?.close().catch(() => undefined);
    await opened.log?.close().catch(() => undefined);
    await this.moveAside(this.logPath);
    if (repair.dropState) {
      await this.moveAside(this.statePath);
      for (const leftover of [`${this.statePath}.old`, `${this.statePath}.incoming`]) await this.disk.remove(leftover);
    }
    return repair;
  }

  /** Reopens after the wipe: the kept term and vote, the log restarted from a kept state. */
  private async reopenAfterWipe(repair: RepairMarker): Promise<OpenedStorage> {
    const opened = await this.openDatabases(false);
    if (opened.log !== undefined && opened.sm !== undefined && opened.findings.length === 0) {
      // The node keeps term and vote in a file beside the log (outside the disk seam here).
      const { term, vote } = this.syncedTermVote;
      if (term > 0) await opened.log.save({ hardState: { term, vote, commit: 0 }, entries: [], sync: true });
      if (!repair.dropState) await restartLogFromState(opened.log, opened.sm);
      opened.findings.push(...agreementFindings(opened.log, opened.sm));
    }
    if (opened.log === undefined || opened.sm === undefined || opened.findings.length > 0) {
      throw new Error(`storage is still damaged after the repair wiped it: ${describeFindings(opened.findings)}`);
    }
    this.disk.repairMarker = { ...repair, phase: 'rejoin' };
    return opened;
  }

  private async moveAside(path: string): Promise<void> {
    await this.disk.remove(`${path}.damaged`);
    if (await this.disk.exists(path)) await this.disk.rename(path, `${path}.damaged`);
  }

  /** As Node.requestRepair: damage found while running; the marker, then a restart in repair. */
  private requestRepair(reason: string, incarnation: number): void {
    if (incarnation !== this.incarnation || this.state !== 'up') return;
    const finding = { kind: 'state-damaged' as const, detail: reason, stateUntrusted: true };
    const termNow = this.driver?.status().term ?? 0;
    const lossTerm = repairLossTerm({ previous: this.repair, termVoteTrusted: !this.settings.unknownLossTerm, termNow });
    this.disk.repairMarker = {
      reason: describeFindings([finding]),
      findings: [...(this.repair?.findings ?? []), finding],
      startedAtMs: this.repair?.startedAtMs ?? this.time.wallMs(),
      phase: 'wipe',
      dropState: true,
      ...(lossTerm === undefined ? {} : { lossTerm }),
    };
    this.host.restartForRepair(this, reason);
  }

  /** As Node.followRepair: leaves repair once the core did. */
  private followRepair(): void {
    const repair = this.repair;
    if (repair === undefined || this.driver?.status().repairing !== false) return;
    this.repair = undefined;
    this.disk.repairMarker = undefined;
    if (this.integrity?.readsRefused === true) this.integrity.repaired();
    this.host.record(`n${this.id} repaired: it holds what it had lost and votes again (${repair.reason.slice(0, 80)})`);
  }

  /** As Node: own checkpoints as they are taken, compared with what the others send. */
  private compareStateHashes(sm: KvStateMachine): StateHashComparison {
    // The planted defect gives the comparison an integrity that nothing reads.
    const integrity = this.settings.ignoreHashMismatch
      ? new StateIntegrity({ logger: silent, metrics: new NodeMetrics(), repair: { requestRepair: () => {} }, now: () => this.time.wallMs() })
      : this.integrity!;
    const comparison = new StateHashComparison({
      selfId: this.id,
      checkpointsKept: STATE_HASH_CHECKPOINTS_KEPT,
      checkpointEntries: this.settings.limits.stateHashCheckpointEntries,
      voters: () => sm.confState.voters,
      integrity,
      logger: silent,
      nowMs: () => this.time.wallMs(),
    });
    for (const checkpoint of sm.checkpoints()) comparison.own(checkpoint);
    sm.watchCheckpoints((checkpoint) => comparison.own(checkpoint));
    return comparison;
  }

  /** As Node.scrubInBackground: every record's seal and the records' hash, paced on simulated time. */
  private async scrub(sm: KvStateMachine, incarnation: number): Promise<void> {
    const recordsPerSecondMax = this.settings.limits.scrubRecordsPerSecondMax;
    if (recordsPerSecondMax === 0) return;
    try {
      const result = await sm.scrub({ recordsPerSecondMax, clock: { nowMs: () => this.time.monotonicMs(), sleep: (ms) => this.time.sleep(ms) } });
      if (incarnation === this.incarnation && result.outcome === 'ok') this.host.record(`n${this.id} scrubbed ${result.records} records at ${result.appliedIndex}`);
    } catch (error) {
      if (incarnation !== this.incarnation || !(error instanceof StateCorruptionError)) return;
      this.host.record(`n${this.id} scrub found damage: ${error.message}${this.settings.ignoreHashMismatch ? ' (ignored: planted defect)' : ''}`);
      if (!this.settings.ignoreHashMismatch) this.integrity?.stateDamaged(error, 'scrub');
    }
  }

  /** What the node's ticker does besides ticking the driver. */
  /** Reads served under a read lease by this member's processes that are gone. */
  private leaseReadsOfEarlierIncarnations = 0;

  get leaseReads(): number {
    return this.leaseReadsOfEarlierIncarnations + (this.driver?.leaseReadCount ?? 0);
  }

  /** Fractions of a tick this member's clock has counted and not yet delivered. */
  private tickCredit = 0;

  /**
   * One tick of simulated time as this member's clock sees it: at a rate above 1 it sometimes
   * counts two, below 1 sometimes none (whole ticks, as the node's ticker delivers them).
   */
  tickAtClockRate(): void {
    this.tickCredit += this.time.rate;
    const ticks = Math.floor(this.tickCredit);
    this.tickCredit -= ticks;
    if (ticks > 0) this.driver?.tick(ticks);
  }

  afterTick(): void {
    this.leases?.tick();
    this.followRepair();
    this.shareCurrentStateHash();
    this.handOverIfDamaged();
  }

  /** As Node.shareCurrentStateHash: the state as it stands, about every second when the applied index moved. */
  private shareCurrentStateHash(): void {
    const sm = this.sm;
    if (sm === undefined || this.stateHashes === undefined) return;
    const now = this.time.monotonicMs();
    if (now - this.stateHashShared.atMs < 1000) return;
    const current = sm.stateHash;
    if (current.index === this.stateHashShared.index || current.index === 0) return;
    this.stateHashShared = { atMs: now, index: current.index };
    this.stateHashes.own(current);
  }

  /** As Node.handOverIfDamaged: a member that refuses reads does not lead (one try per election timeout). */
  private handOverIfDamaged(): void {
    const driver = this.driver;
    if (driver === undefined || this.integrity?.readsRefused !== true || driver.role !== 'leader') return;
    const now = this.time.monotonicMs();
    if (now - this.handedOverAtMs < this.settings.core.electionTicks * 10) return;
    this.handedOverAtMs = now;
    const status = driver.status();
    let best = { id: 0, match: -1 };
    for (const p of status.progress) {
      if (p.id === this.id || p.isLearner || !status.confState.voters.includes(p.id)) continue;
      if (p.match > best.match) best = { id: p.id, match: p.match };
    }
    if (best.id === 0) return;
    this.host.record(`n${this.id} refuses reads and hands leadership to n${best.id}`);
    try {
      driver.transferLeadership(best.id);
    } catch {
      // A transfer under way: tried again after the next election timeout.
    }
  }

  private createDriver(log: LevelLogStorage, sm: KvStateMachine, metrics: NodeMetrics, repair: RepairMarker | undefined): NodeDriver {
    const random = this.random.fork();
    const core = new RaftNode({
      ...this.settings.core,
      id: this.id,
      storage: log,
      random: () => random.next(),
      applied: Math.min(sm.appliedIndex, log.hardState().commit),
      repairing: repair !== undefined,
      repairLossTerm: repair?.lossTerm ?? 0,
      readRoundsInFlightMax: this.settings.limits.readRoundsInFlightMax,
    });
    const incarnation = this.incarnation;
    const driver = new NodeDriver({
      selfId: this.id,
      core,
      log: this.watchTermVote(log),
      stateMachine: sm,
      limits: this.settings.limits,
      failpoints: { fsyncDelayMs: 0, fsyncFail: false, diskFull: false, applyVersionMax: 0 },
      metrics,
      logger: silent,
      clock: this.time,
      timers: this.time,
      random: () => random.next(),
      onFatal: (error) => {
        if (incarnation === this.incarnation) this.host.fatal(this, error);
      },
      readRoundTimeoutTicks: this.settings.core.electionTicks,
      // Every incarnation runs the same read mode: only lease mode holds votes back after a start.
      campaignHoldTicks: this.settings.readLease === undefined ? 0 : this.settings.core.electionTicks,
      ...(this.settings.readLease === undefined
        ? {}
        : { readLease: { electionTicks: this.settings.core.electionTicks, tickMs: this.settings.readLease.tickMs, clockDriftMax: this.settings.readLease.clockDriftMax } }),
    });
    driver.setSender({
      send: (messages) => {
        if (incarnation === this.incarnation) this.host.send(this, messages);
      },
    });
    return driver;
  }

  /** The durable log as the driver sees it, noting each synced term and vote (the node's term/vote file). */
  private watchTermVote(log: LevelLogStorage): DurableLog {
    return {
      hardState: () => log.hardState(),
      lastIndex: () => log.lastIndex(),
      compact: (options) => log.compact(options),
      save: async (batch) => {
        await log.save(batch);
        if (batch.hardState !== undefined && batch.sync) this.syncedTermVote = { term: batch.hardState.term, vote: batch.hardState.vote };
      },
    };
  }

  /** As Node's: expiries proposed through this member's request path while it leads. */
  private createLeaseKeeper(driver: NodeDriver, sm: KvStateMachine): LeaseKeeper {
    const { electionTicks } = this.settings.core;
    return new LeaseKeeper({
      driver,
      stateMachine: sm,
      nowMs: () => this.time.monotonicMs(),
      propose: (operation, deadlineMs) => {
        const path = this.path;
        if (path === undefined) return Promise.reject(new Error('the member is down'));
        // Simulated (true) time: what the check compares with, whatever this member's clock says.
        const proposedAtMs = this.host.scheduler.now;
        const proposal = path.proposeOperation(operation, deadlineMs);
        proposal.then(
          (result) => {
            if (operation.type === 'leaseRevoke' && result.outcome.type === 'leaseRevoke') this.host.leaseExpiryCommitted(operation.id, proposedAtMs);
          },
          () => undefined,
        );
        return proposal;
      },
      deadlineMs: () => this.time.wallMs() + this.settings.limits.requestTimeoutMs,
      extensionMs: leaseExtensionMs({ electionTicks, tickMs: this.settings.tickMs }),
      logger: silent,
    });
  }

  private createRequestPath(driver: NodeDriver, sm: KvStateMachine, integrity: StateIntegrity): RequestPath {
    return new RequestPath({
      clusterId: 'sim',
      selfId: this.id,
      driver,
      stateMachine: sm,
      limits: this.settings.limits,
      storageLimits: sm.limits,
      forwarder: { forward: (address, op, deadlineMs) => this.host.forward(this, Number(address.slice(1)), op, deadlineMs) },
      wallMs: () => this.time.wallMs(),
      clientAddressOf: (id) => `n${id}`,
      isStopping: () => !this.isUp,
      applyVersion: () => sm.applyVersionMax,
      integrity,
      ...(this.leases === undefined ? {} : { leases: this.leases }),
      // Off unless the run asks for it: holding requests shifts every seed's draws, and the
      // findings replayed by seed (realFindings.test.ts) with them.
      waitsForLeader: this.settings.forwardsWaitForLeader === true,
    });
  }

  /** The process dies at once: nothing it scheduled runs, its disk keeps what a crash keeps. */
  crash(options: { keepUnsynced: (pending: number) => number; tearLog: boolean }): { lost: number; torn: boolean } {
    this.leaseReadsOfEarlierIncarnations += this.driver?.leaseReadCount ?? 0;
    this.incarnation += 1;
    this.time.crash();
    this.state = this.state === 'stopped' ? 'stopped' : 'down';
    this.log = undefined;
    this.sm = undefined;
    this.driver = undefined;
    this.path = undefined;
    this.leases = undefined;
    this.integrity = undefined;
    this.stateHashes = undefined;
    this.stateHashShared = { atMs: Number.NEGATIVE_INFINITY, index: 0 };
    return this.disk.crash({ keepUnsynced: options.keepUnsynced, ...(options.tearLog ? { tearPath: this.logPath } : {}) });
  }

  /** The process gave up and exits; it stays down for good when `reason` is given. */
  stop(reason: string): void {
    this.crash({ keepUnsynced: () => 0, tearLog: false });
    this.state = 'stopped';
    this.stoppedReason = reason;
  }

  /** Reads this member's snapshot stream (what Node.readSnapshot sends a lagging follower). */
  async readSnapshotChunks(): Promise<Uint8Array[]> {
    const sm = this.sm;
    if (sm === undefined) throw new Error('member is down');
    const reader = await sm.openSnapshotReader();
    try {
      const chunks: Uint8Array[] = [];
      for await (const chunk of reader.chunks()) chunks.push(chunk);
      return chunks;
    } finally {
      await reader.close();
    }
  }

  /** As Node.receiveSnapshot: restore the state (unless the driver finds it holds it already), then step the message. */
  async receiveSnapshot(message: Message, chunks: readonly Uint8Array[]): Promise<void> {
    const { sm, driver } = this;
    if (sm === undefined || driver === undefined) throw new Error('member is down');
    const index = message.snapshot?.meta.index ?? 0;
    if (index > sm.appliedIndex) {
      const restored = await driver.restoreSnapshotState(index, async () => {
        await sm.restoreSnapshot(
          (async function* () {
            yield* chunks;
          })(),
        );
      });
      // Applies in flight on arrival got there first (FINDINGS R13).
      if (!restored) this.host.record(`n${this.id} keeps its state at applied ${sm.appliedIndex}: snapshot ${index} not restored`);
    }
    if (this.driver === driver) driver.deliver([message]);
  }
}

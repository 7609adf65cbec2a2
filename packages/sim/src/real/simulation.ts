/**
 * The real node under simulation: 3 or 5 members, each the production NodeDriver over the
 * production LevelLogStorage and KvStateMachine on a simulated disk (memory-level), with the
 * server's RequestPath serving clients; the network, time and disks are simulated and driven
 * from one seed. Faults: network (partitions, drops, duplicates, delays), crashes (a prefix of
 * the unsynced writes survives), pauses, leadership transfers, membership changes, slow disks,
 * and the storage faults of StorageFaultOptions. Invariants are checked after every event or
 * every tick; the client history goes to @holdfast/checker at the end.
 */
import { createHash } from 'node:crypto';
import { checkHistory } from '@holdfast/checker';
import { type ConfChange, type ConfState, type Message, type NodeId, Prng } from '@holdfast/raft';
import { HoldfastError, type KvOp, type KvResult, parseNodeConfig, type WireCheckpoint } from '@holdfast/server';
import { encodeMemberContext, formatHash, type KeyChange, StateCorruptionError } from '@holdfast/storage';
import { plantDefects } from '@holdfast/storage/planted-defects';
import { EventLog } from '../eventLog.js';
import { type InvariantName, InvariantViolation, SafetyChecker } from '../invariants.js';
import { type MembershipControl, MembershipDriver } from '../membership.js';
import { type ClusterControl, NEMESIS_CONFIG_DEFAULT, Nemesis, type NemesisConfig, type NemesisStats, scaleFaults } from '../nemesis.js';
import { NETWORK_CONFIG_DEFAULT, SimNetwork } from '../network.js';
import { checkLocalReads, type ClientConfig, type ClientOperation, Clients } from './clients.js';
import { LeaseWorkload, type LeaseWorkloadStats } from './lease-workload.js';
import { type CoreSettings, type MemberHost, memberRecord, SimMember } from './member.js';
import { SimScheduler } from './scheduler.js';
import type { RestDamage } from './sim-disk.js';

/** Storage faults, each behind its own switch: a kind the node cannot yet handle finds violations. */
export interface StorageFaultOptions {
  /** fsync fails (EIO) on one member for a while: its process exits and restarts. */
  readonly fsyncErrors?: boolean;
  /** One member's disk is full for a while: writes fail, the process exits and restarts. */
  readonly diskFull?: boolean;
  /** A crash tears the last synced write of the Raft log (LevelDB drops it and reports it). */
  readonly tornLogWrite?: boolean;
  /** While a member is down, one record of its Raft log is damaged at rest. */
  readonly logAtRest?: readonly RestDamage[];
  /** While a member is down, one record of its state is damaged at rest. */
  readonly stateAtRest?: readonly RestDamage[];
}

/** The storage faults the node handles today (see the README): what CI runs. */
export const HANDLED_STORAGE_FAULTS: StorageFaultOptions = {
  fsyncErrors: true,
  diskFull: true,
  tornLogWrite: true,
  logAtRest: ['bitFlip', 'swapped'],
  stateAtRest: ['bitFlip', 'lost', 'swapped'],
};

export const ALL_STORAGE_FAULTS: StorageFaultOptions = {
  fsyncErrors: true,
  diskFull: true,
  tornLogWrite: true,
  logAtRest: ['bitFlip', 'lost', 'swapped'],
  stateAtRest: ['bitFlip', 'lost', 'swapped'],
};

/** Planted defects (self-test): each must be caught for some seed in a small range. */
export interface RealDefects {
  /** The Raft log's fsync does nothing but reports success: acknowledgements precede durability. */
  readonly ackBeforeSync?: boolean;
  /** Linearizable reads are answered from local state without a read index. */
  readonly readsWithoutReadIndex?: boolean;
  /** A state hash mismatch (between members, or found by the scrub) changes nothing. */
  readonly ignoreHashMismatch?: boolean;
  /** A member starts on a log that lost its tail: LevelDB's dropped records and applied past the log's end are ignored. */
  readonly trustLostLogTail?: boolean;
  /** A lease keepalive is answered by whichever member it reaches, from its own state, without the leader hearing of it. */
  readonly keepAlivesAnsweredLocally?: boolean;
  /**
   * State record reads skip their checksum (`@holdfast/storage/planted-defects`): a record damaged
   * at rest is served and applied as data. Process-wide while the seed runs (all members).
   */
  readonly skipRecordChecksum?: boolean;
  /**
   * With lease reads: members' clocks drift up to LEASE_DEFECT_DRIFT, far beyond the bound the
   * lease assumes (the fault the bound exists for).
   */
  readonly clockDriftBeyondBound?: boolean;
}

/** The actual clock-rate drift under the planted defect clockDriftBeyondBound (80 %). */
const LEASE_DEFECT_DRIFT = 0.8;

export interface RealSimOptions {
  readonly seed: number;
  readonly nodeCount: number;
  /** Ticks of faults; each run ends with a healed cluster, a liveness check and a drain. */
  readonly steps: number;
  readonly storageFaults?: StorageFaultOptions;
  readonly defects?: RealDefects;
  readonly recentEventsMax?: number;
  readonly checkLinearizability?: boolean;
  /** Members in repair never learn their loss term, so they never vote (as before FINDINGS R5's fix): for comparisons. */
  readonly repairLossTermUnknown?: boolean;
  /**
   * Leaders serve linearizable reads under a read lease that assumes clock rates within
   * `clockDriftMax` (a fraction); every member's clock then runs at a rate drawn within that
   * bound, drawn again whenever it starts.
   */
  readonly leaseReads?: { readonly clockDriftMax: number };
  /**
   * Members hold a request they would forward while they know no leader, and forward it once one
   * is elected, as the node does (server requests.ts). Off unless set: it shifts every seed's
   * draws, and the findings recorded before it (realFindings.test.ts) replay by seed as they were.
   * The CLI and the CI seed runs turn it on.
   */
  readonly forwardsWaitForLeader?: boolean;
  /**
   * The election timer's randomized range as a percentage of the seed's electionTicks (1-100):
   * members draw their timeout from [electionTicks, electionTicks + spread) with spread =
   * max(1, round(electionTicks * percent / 100)). Unset: the core's default spread (electionTicks),
   * with no extra draw, so every seed replays as before. A narrow spread makes timers collide
   * more often (split votes, more rounds), which the runs with it exercise.
   */
  readonly electionSpreadPercent?: number;
  /**
   * Ranked election slots of every member, in ticks (RaftConfig.electionRankSlotTicks), below the
   * smallest electionTicks a seed draws (8). Unset or 0: off, and every seed replays as before.
   */
  readonly electionRankSlotTicks?: number;
  /**
   * ReadIndex rounds a leader (and each member's driver) keeps in flight. Unset: 1, one round at
   * a time as before, so the findings recorded with it (realFindings.test.ts) replay by seed as
   * they were. The CLI and the CI seed runs use the node's default, 4.
   */
  readonly readRoundsInFlightMax?: number;
  /**
   * The events one run may take before it fails (coreError, RangeError): a bound on work that
   * never lets simulated time move (3,000,000 unless set; a regression test sets a small one).
   */
  readonly eventsMax?: number;
}

/** A snapshot on its way: the state's chunks and the incarnation of the member that sent it. */
interface SnapshotInFlight {
  readonly chunks: readonly Uint8Array[];
  readonly incarnation: number;
}

export interface RealSeedStats {
  ticks: number;
  events: number;
  messagesDelivered: number;
  messagesLost: number;
  snapshotsSent: number;
  unsyncedBatchesLost: number;
  storageFaults: number;
  fatalExits: number;
  stoppedMembers: number;
  operationsOk: number;
  operationsFailed: number;
  operationsUnknown: number;
  localReads: number;
  /** Linearizable reads leaders served under a read lease (with leaseReads). */
  leaseReads: number;
  retries: number;
  stateHashesCompared: number;
  livenessChecks: number;
  /** Liveness checks waived: no quorum of voters could run (stopped on damage, or in repair). */
  livenessWaived: number;
  leases: LeaseWorkloadStats;
  /** Compactions of the key history the leader applied (maybeCompact). */
  compactions: number;
  nemesis: NemesisStats;
}

export interface RealSeedResult {
  readonly seed: number;
  readonly nodeCount: number;
  readonly steps: number;
  readonly violation: { readonly invariant: InvariantName; readonly message: string } | undefined;
  readonly recentEvents: string[];
  readonly digest: string;
  readonly stats: RealSeedStats;
}

const timing = {
  tickMs: 10,
  tickSkipProbability: 0.02,
  clientLatencyMs: 2,
  /** Members restart this long after their process exited on a fatal error. */
  restartAfterFatalTicksMin: 5,
  restartAfterFatalTicksMax: 60,
  livenessTicksMax: 600,
  /** TTL at most 1.5 s, a new leader's extension (2 election timeouts) and an expiry's retry (2 s), with room. */
  leaseExpiryTicksMax: 800,
  livenessIntervalTicks: 400,
  probeRetryTicks: 60,
  drainTicksMax: 300,
  membershipRetryTicks: 40,
  eventsPerRunMax: 3_000_000,
  eventQueueSizeMax: 500_000,
  syncLatencyMsNormal: 2,
  storageFaultProbability: 0.004,
  /** A member whose disk was damaged counts as damaged this long after it caught up again. */
  damageSettleTicks: 100,
  /** The leader compacts the key history this often, keeping this many revisions behind its own. */
  compactEveryTicks: 50,
  compactKeepRevisions: 20,
} as const;

/** The real node's disk answers a sync within the tick unless it is slowed. */
const nemesisConfig: NemesisConfig = { ...NEMESIS_CONFIG_DEFAULT, diskLatencyTicksNormal: 0 };

type StorageFaultKind = 'fsyncError' | 'diskFull' | 'tornLogWrite' | `log:${RestDamage}` | `state:${RestDamage}`;

export class RealSimulation implements MemberHost, ClusterControl, MembershipControl {
  readonly scheduler = new SimScheduler(timing.eventQueueSizeMax);
  readonly checker = new SafetyChecker();
  readonly network: SimNetwork;
  private readonly byId = new Map<NodeId, SimMember>();
  private readonly log: EventLog;
  private readonly random: Prng;
  private readonly memberRandom: Prng;
  private readonly storageRandom: Prng;
  private readonly nemesis: Nemesis;
  private readonly membership: MembershipDriver;
  private readonly clients: Clients;
  private readonly leaseWorkload: LeaseWorkload;
  private readonly clientConfig: ClientConfig;
  private readonly coreSettings: CoreSettings;
  private readonly limits: ReturnType<typeof parseNodeConfig>['limits'];
  private readonly storageFaultKinds: StorageFaultKind[];
  private readonly defects: RealDefects;
  /** The latest term any member was seen leading in (lease reads of an earlier term must have ended). */
  private latestLeaderTerm = 0;
  /** Clock rates follow the roles, the worst case for a lease (see driftAdversarially). */
  private readonly adversarialDrift: boolean;
  /** Lease reads each member had served at the last check. */
  private readonly leaseReadsSeen = new Map<NodeId, number>();
  private tick = 0;
  private historyClock = 0;
  private nextOperationId = 1;
  private nextNodeId: NodeId;
  private clientsStopped = false;
  private slowDiskMs = 0;
  /** Members restarting after a fatal exit or a storage fault, by the tick they restart at. */
  private readonly restartAt = new Map<NodeId, number>();
  /** Storage faults in force on one member until a tick. */
  private readonly conditionEndsAt = new Map<NodeId, number>();
  /** The one member whose disk is damaged, if any (at most one at a time). */
  private damaged: { id: NodeId; commitAtDamage: number; caughtUpAt: number } | undefined;
  /** Members whose storage was ever damaged: their own asserts may fire and stop them. */
  private readonly everDamaged = new Set<NodeId>();
  /** Per member: the highest log entry (index, term) its acknowledgements ever vouched for. */
  private readonly acked = new Map<NodeId, { index: number; term: number }>();
  /** Members that lost entries they had acknowledged; they must not vote until they hold them again. */
  private readonly lostAcked = new Map<NodeId, { index: number; term: number }>();
  /**
   * Votes a member in repair gave to a candidate lacking an entry the member lost, while nothing
   * at that index was committed yet: a violation only if that very entry turns out committed.
   */
  private readonly repairVotesToJudge: { voter: NodeId; candidate: NodeId; term: number; lost: { index: number; term: number } }[] = [];
  /** State hash by applied index, with the member that computed it first. */
  private readonly stateHashes = new Map<number, { hash: string; id: NodeId }>();
  private readonly hashedAt = new Map<NodeId, number>();
  /**
   * The snapshot in flight from one member to another (`from->to`), by the sender's
   * incarnation. As the transport's in-flight flag, it belongs to the process that sent it: a
   * snapshot of a crashed incarnation blocks no snapshot of the next (FINDINGS R12), and its end
   * is reported to no one.
   */
  private readonly snapshotsInFlight = new Map<string, number>();
  /**
   * Per receiving member: the snapshots it is restoring, each as the function that reports it
   * failed. When the receiver goes down its connection breaks, and the sender's transport reports
   * the snapshot failed at once (the restore of a crashed process never ends here: its disk's
   * events are dropped), so the sender's core sends another instead of waiting forever.
   */
  private readonly snapshotsReceiving = new Map<NodeId, Set<() => void>>();
  /** Per member: the store revision its change stream has told up to (since its last start or restore). */
  private readonly changeStreamAt = new Map<NodeId, number>();
  /** The changes told at each revision, with the member that told them first. */
  private readonly changesByRevision = new Map<number, { digest: string; id: NodeId }>();
  private readonly probes = new Map<number, { done: boolean; proposedAtTick: number }>();
  private violation: InvariantViolation | undefined;
  readonly stats: RealSeedStats;

  constructor(private readonly options: RealSimOptions) {
    if (options.nodeCount < 1 || options.nodeCount > 9) throw new RangeError(`nodeCount ${options.nodeCount} not in [1, 9]`);
    const root = new Prng(options.seed);
    this.random = root.fork();
    this.memberRandom = root.fork();
    this.network = new SimNetwork(NETWORK_CONFIG_DEFAULT, root.fork());
    const nemesisRandom = root.fork();
    const intensity = 0.3 + 1.7 * nemesisRandom.next();
    this.nemesis = new Nemesis(scaleFaults(nemesisConfig, intensity), nemesisRandom);
    this.membership = new MembershipDriver(timing.membershipRetryTicks, root.fork());
    this.clientConfig = {
      clientCount: 4,
      keys: ['a', 'b', 'c'],
      startProbability: 0.25,
      attemptTimeoutMs: 300,
      operationTimeoutMs: 1500,
      operationsMax: Math.max(40, Math.ceil(options.steps * 0.5)),
    };
    this.clients = new Clients(this.clientConfig, root.fork());
    this.storageRandom = root.fork();
    this.leaseWorkload = new LeaseWorkload(
      {
        ttlMsMin: 200,
        ttlMsMax: 1500,
        activeMax: 2,
        startProbability: 0.02,
        tickMs: timing.tickMs,
        ...(options.leaseReads === undefined ? {} : { clockDriftMax: options.leaseReads.clockDriftMax }),
      },
      root.fork(),
    );
    this.coreSettings = withElectionRankSlot(
      withElectionSpread(drawCoreSettings(this.random), options.electionSpreadPercent),
      options.electionRankSlotTicks,
    );
    const config = parseNodeConfig(['--id', '1', '--data-dir', '/sim', '--log-level', 'silent'], {});
    this.limits = {
      ...config.limits,
      snapshotEntries: this.random.int(16, 60),
      snapshotCatchupEntries: this.random.int(0, 10),
      pendingReadsMax: 256,
      readRoundsInFlightMax: options.readRoundsInFlightMax ?? 1,
      sessionAnswersMax: 8,
      stateHashCheckpointEntries: this.random.int(4, 20),
      // The lease workload grants TTLs from 200 ms (20 ticks).
      leaseTtlMinMs: 100,
    };
    this.storageFaultKinds = storageFaultKindsOf(options.storageFaults ?? {});
    this.defects = options.defects ?? {};
    this.adversarialDrift = options.leaseReads !== undefined && (this.defects.clockDriftBeyondBound === true || this.random.chance(0.5));
    this.log = new EventLog(options.recentEventsMax ?? 40);
    this.nextNodeId = options.nodeCount + 1;
    this.stats = {
      ticks: 0,
      events: 0,
      messagesDelivered: 0,
      messagesLost: 0,
      snapshotsSent: 0,
      unsyncedBatchesLost: 0,
      storageFaults: 0,
      fatalExits: 0,
      stoppedMembers: 0,
      operationsOk: 0,
      operationsFailed: 0,
      operationsUnknown: 0,
      localReads: 0,
      leaseReads: 0,
      retries: 0,
      stateHashesCompared: 0,
      compactions: 0,
      livenessChecks: 0,
      livenessWaived: 0,
      leases: this.leaseWorkload.stats,
      nemesis: this.nemesis.stats,
    };
    this.record(
      `seed ${options.seed}: ${options.nodeCount} members, intensity ${intensity.toFixed(2)}, snapshot every ${this.limits.snapshotEntries} ` +
        `(keep ${this.limits.snapshotCatchupEntries}), electionTicks ${this.coreSettings.electionTicks}, ` +
        (this.coreSettings.electionSpreadTicks === undefined ? '' : `electionSpreadTicks ${this.coreSettings.electionSpreadTicks}, `) +
        (this.coreSettings.electionRankSlotTicks === undefined ? '' : `electionRankSlotTicks ${this.coreSettings.electionRankSlotTicks}, `) +
        `heartbeatTicks ${this.coreSettings.heartbeatTicks}, ` +
        `storage faults [${this.storageFaultKinds.join(',')}]`,
    );
  }

  get now(): number {
    return this.tick;
  }

  get eventLog(): EventLog {
    return this.log;
  }

  async run(): Promise<void> {
    plantDefects({ skipRecordChecksum: this.defects.skipRecordChecksum === true });
    try {
      await this.bootstrap();
      for (let step = 1; step <= this.options.steps; step++) {
        await this.runTick(true);
        if (step % timing.livenessIntervalTicks === 0 && step < this.options.steps) await this.runLivenessCheck('mid-run');
      }
      await this.runLivenessCheck('end of run');
      await this.drainClients();
      await this.waitForLeaseExpiries();
      this.sweepLogs();
      this.judgeRepairVotes();
      await this.checkStateHashes();
      this.throwIfViolated();
      this.checkHistories();
    } finally {
      plantDefects({});
    }
  }

  private async bootstrap(): Promise<void> {
    const voters: NodeId[] = [];
    for (let id = 1; id <= this.options.nodeCount; id++) voters.push(id);
    for (const id of voters) {
      const member = this.createMember(id);
      void member.start(voters);
    }
    await this.scheduler.runUntil(0);
  }

  private createMember(id: NodeId): SimMember {
    const member = new SimMember(
      id,
      this,
      {
        core: this.coreSettings,
        limits: this.limits,
        tickMs: timing.tickMs,
        initialVoters: Array.from({ length: this.options.nodeCount }, (_, i) => i + 1),
        ...(this.defects.ignoreHashMismatch ? { ignoreHashMismatch: true } : {}),
        ...(this.defects.trustLostLogTail ? { trustLostLogTail: true } : {}),
        ...(this.options.repairLossTermUnknown === true ? { unknownLossTerm: true } : {}),
        ...(this.options.leaseReads === undefined ? {} : { readLease: { clockDriftMax: this.options.leaseReads.clockDriftMax, tickMs: timing.tickMs } }),
        ...(this.options.forwardsWaitForLeader === true ? { forwardsWaitForLeader: true } : {}),
      },
      this.memberRandom.fork(),
    );
    this.driftClock(member);
    member.disk.conditions.syncLatencyMsMax = this.slowDiskMs || timing.syncLatencyMsNormal;
    member.disk.logSyncIgnored = this.defects.ackBeforeSync === true;
    this.byId.set(id, member);
    return member;
  }

  // ---- the step loop ----

  private async runTick(withFaults: boolean): Promise<void> {
    this.tick++;
    this.stats.ticks++;
    const nowMs = this.tick * timing.tickMs;
    await this.runEventsUntil(nowMs - 1);
    if (withFaults) {
      this.nemesis.act(this.tick, this);
      this.maybeStorageFault();
    }
    this.endConditions(!withFaults);
    this.restartDue();
    this.membership.advance(this);
    this.startClientOperations();
    if (!this.clientsStopped) this.leaseWorkload.act(this.scheduler.now, (op) => this.sendLeaseRequest(op));
    this.maybeCompact();
    for (const member of this.byId.values()) {
      if (!member.isUp || member.isPaused) continue;
      this.driftAdversarially(member);
      if (!this.random.chance(timing.tickSkipProbability)) member.tickAtClockRate();
      member.afterTick();
    }
    await this.runEventsUntil(nowMs);
    await this.checkTick();
    this.observeLeases();
  }

  /**
   * With lease reads, a member's clock runs at a rate drawn within the drift bound (beyond it
   * under the planted defect), the fastest and slowest rates more often than the rest.
   */
  private driftClock(member: SimMember): void {
    const lease = this.options.leaseReads;
    if (lease === undefined) return;
    const beyond = this.defects.clockDriftBeyondBound === true;
    const drift = beyond ? LEASE_DEFECT_DRIFT : lease.clockDriftMax;
    const rate = beyond || this.random.chance(0.5) ? this.random.pick([1 - drift, 1 + drift]) : 1 - drift + 2 * drift * this.random.next();
    member.time.setRate(rate);
    this.record(`n${member.id} clock runs at ${rate.toFixed(3)}x`);
  }

  /**
   * In half the seeds with lease reads (and always under the planted defect) the drift is the
   * worst case for a lease: the leader's clock slow (its lease lasts longer), every other
   * member's fast (they stop heeding the old leader sooner), at the bound (or beyond it).
   */
  private driftAdversarially(member: SimMember): void {
    const lease = this.options.leaseReads;
    if (lease === undefined || !this.adversarialDrift) return;
    const drift = this.defects.clockDriftBeyondBound === true ? LEASE_DEFECT_DRIFT : lease.clockDriftMax;
    const rate = member.driver?.role === 'leader' ? 1 - drift : 1 + drift;
    if (member.time.rate !== rate) member.time.setRate(rate);
  }

  private async runEventsUntil(timeMs: number): Promise<void> {
    await this.scheduler.runUntil(timeMs, () => this.checkEvent(), this.options.eventsMax ?? timing.eventsPerRunMax);
    this.stats.events = this.scheduler.eventsRun;
    this.throwIfViolated();
  }

  private throwIfViolated(): void {
    if (this.violation !== undefined) throw this.violation;
  }

  private violate(invariant: InvariantName, message: string): void {
    if (this.violation === undefined) this.violation = new InvariantViolation(invariant, message);
  }

  /** Cheap checks after every event: election safety and the members' own invariants. */
  private checkEvent(): void {
    for (const member of this.byId.values()) {
      const driver = member.driver;
      if (!member.isUp || driver === undefined) continue;
      // Role and term from the core together: the driver's role follows the last Ready handed
      // out, while the core steps inputs during a log write and may have moved to a later term.
      const status = driver.status();
      if (status.role === 'leader') {
        this.latestLeaderTerm = Math.max(this.latestLeaderTerm, status.term);
        try {
          this.checker.observeLeader(member.id, status.term);
        } catch (error) {
          this.violation ??= error as InvariantViolation;
        }
      }
    }
    this.checkLeaseReads();
  }

  /**
   * A lease read must never be served once a leader of a later term was elected (its lease and
   * that leader's term would overlap): checked after every event, whatever the clients saw.
   */
  private checkLeaseReads(): void {
    if (this.options.leaseReads === undefined) return;
    for (const member of this.byId.values()) {
      const served = member.leaseReads;
      const before = this.leaseReadsSeen.get(member.id) ?? 0;
      this.leaseReadsSeen.set(member.id, served);
      const driver = member.driver;
      if (served <= before || driver === undefined) continue;
      const term = driver.status().term;
      if (this.latestLeaderTerm > term) {
        this.violate('leaseOverlap', `n${member.id} served ${served - before} read(s) under its lease of term ${term} after a leader of term ${this.latestLeaderTerm} was elected`);
      }
    }
  }

  /** Checks after every tick: each member's own invariants and state hashes at equal applied indexes. */
  private async checkTick(): Promise<void> {
    for (const member of this.byId.values()) {
      const driver = member.driver;
      if (!member.isUp || driver === undefined) continue;
      try {
        driver.checkInvariants();
      } catch (error) {
        this.violate('nodeInvariant', `n${member.id}: ${(error as Error).message}`);
      }
    }
    await this.checkStateHashes();
    this.noteDamageRepaired();
    this.throwIfViolated();
  }

  /**
   * Every two members' states agree at the same applied index. Two hashes are compared with the
   * first member to reach each index: the simulation's own, over every key as the member serves
   * it (verified reads of the whole key space, with revisions and versions), and the state
   * machine's incremental state hash. A member that refuses reads (it found damage) is left out,
   * and so is one whose state holds a record that fails its checksum (every read of it fails).
   */
  private async checkStateHashes(): Promise<void> {
    for (const member of this.byId.values()) {
      const sm = member.sm;
      if (!member.isUp || sm === undefined || member.integrity?.readsRefused === true) continue;
      const applied = sm.appliedIndex;
      if (this.hashedAt.get(member.id) === applied) continue;
      const served = await this.servedStateHash(member);
      // An apply landed meanwhile, or the member detected damage: look again at the next tick.
      if (served === undefined || sm.appliedIndex !== applied || member.sm !== sm) continue;
      this.hashedAt.set(member.id, applied);
      const digest = `${served} ${formatHash(sm.stateHash.hash)}`;
      const first = this.stateHashes.get(applied);
      this.stats.stateHashesCompared++;
      if (first === undefined) this.stateHashes.set(applied, { hash: digest, id: member.id });
      else if (first.hash !== digest) {
        this.violate(
          'stateDivergence',
          `at applied index ${applied}: n${first.id} has state ${first.hash}, n${member.id} has ${digest} (served keys, then the state machine's hash)`,
        );
      }
    }
  }

  /** A hash of every key as `member` serves it; undefined when a read found damage. */
  private async servedStateHash(member: SimMember): Promise<string | undefined> {
    const sm = member.sm!;
    const hash = createHash('sha256');
    let after: Uint8Array | undefined;
    try {
      for (;;) {
        const page = await sm.range({ start: Uint8Array.of(0), end: Uint8Array.of(0), ...(after === undefined ? {} : { after }) });
        for (const kv of page.kvs) {
          hash.update(kv.key);
          hash.update(kv.value);
          hash.update(`${kv.createRevision}/${kv.modRevision}/${kv.version};`);
        }
        hash.update(`@${page.revision}`);
        if (!page.more) break;
        after = page.continuation;
      }
    } catch (error) {
      // Damage the member has not found yet: its own reads will refuse it; it is not compared.
      if (!(error instanceof StateCorruptionError)) throw error;
      return undefined;
    }
    return hash.digest('hex').slice(0, 16);
  }

  // ---- MemberHost ----

  record(description: string): void {
    this.log.record(this.scheduler.now, description);
  }

  send(member: SimMember, messages: readonly Message[]): void {
    // As the transport does: the first message to each peer carries the state hash checkpoints.
    const checkpointsSentTo = new Set<NodeId>();
    for (const message of messages) {
      this.watchOutgoing(member, message);
      if (message.type === 'snapshot') {
        this.sendSnapshot(member, message);
        continue;
      }
      let checkpoints: readonly WireCheckpoint[] = [];
      if (!checkpointsSentTo.has(message.to)) {
        checkpointsSentTo.add(message.to);
        checkpoints = member.stateHashes?.toSend(message.to) ?? [];
      }
      this.route(member, message, undefined, checkpoints);
    }
  }

  private route(sender: SimMember, message: Message, snapshot: SnapshotInFlight | undefined, checkpoints: readonly WireCheckpoint[] = []): void {
    const target = this.byId.get(message.to);
    if (target === undefined || target.retired) {
      this.stats.messagesLost++;
      return;
    }
    const delays = this.network.route(message.from, message.to);
    if (delays.length === 0) this.handleLoss(sender, message, snapshot);
    for (const delay of delays) {
      this.scheduler.after(delay * timing.tickMs, () => this.deliver(message, snapshot, checkpoints));
    }
  }

  private deliver(message: Message, snapshot: SnapshotInFlight | undefined, checkpoints: readonly WireCheckpoint[]): void {
    const target = this.byId.get(message.to);
    const sender = this.byId.get(message.from);
    if (target === undefined || !target.isUp || target.retired || !this.network.isLinkUp(message.from, message.to)) {
      this.stats.messagesLost++;
      if (sender !== undefined) this.handleLoss(sender, message, snapshot);
      return;
    }
    this.stats.messagesDelivered++;
    if (checkpoints.length > 0) target.time.defer(() => target.stateHashes?.heard(message.from, checkpoints));
    if (snapshot === undefined) {
      target.time.defer(() => target.driver?.deliver([message]));
      return;
    }
    this.record(`n${target.id} receives snapshot ${message.snapshot?.meta.index} from n${message.from}`);
    let settled = false;
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      this.snapshotsReceiving.get(target.id)?.delete(cut);
      this.finishSnapshot(message, snapshot.incarnation, ok);
    };
    const cut = (): void => {
      if (settled) return;
      this.record(`n${target.id} went down while restoring snapshot ${message.snapshot?.meta.index} from n${message.from}: the sender is told it failed`);
      settle(false);
    };
    this.receivingSnapshots(target.id).add(cut);
    target.time.defer(() => {
      target.receiveSnapshot(message, snapshot.chunks).then(
        () => settle(true),
        (error: unknown) => {
          if (!settled) this.record(`n${target.id} snapshot restore failed: ${(error as Error).message}`);
          settle(false);
        },
      );
    });
  }

  private receivingSnapshots(id: NodeId): Set<() => void> {
    let receiving = this.snapshotsReceiving.get(id);
    if (receiving === undefined) {
      receiving = new Set();
      this.snapshotsReceiving.set(id, receiving);
    }
    return receiving;
  }

  /** `member` went down (crash, stop, restart to repair): the snapshots it was restoring fail. */
  private cutSnapshotsTo(member: SimMember): void {
    for (const cut of [...(this.snapshotsReceiving.get(member.id) ?? [])]) cut();
  }

  private handleLoss(sender: SimMember, message: Message, snapshot?: SnapshotInFlight): void {
    this.stats.messagesLost++;
    if (snapshot !== undefined) this.finishSnapshot(message, snapshot.incarnation, false);
    else if (!this.network.isLinkUp(message.from, message.to) && message.type === 'append') {
      sender.time.defer(() => sender.driver?.reportUnreachable(message.to));
    }
  }

  private sendSnapshot(member: SimMember, message: Message): void {
    const key = `${message.from}->${message.to}`;
    const incarnation = member.incarnation;
    // One at a time per peer, as the transport sends them (the core sends again after a report).
    if (this.snapshotsInFlight.get(key) === incarnation) return;
    this.snapshotsInFlight.set(key, incarnation);
    this.stats.snapshotsSent++;
    // The read of a member that crashes meanwhile may never end: its disk's events are dropped.
    member.readSnapshotChunks().then(
      (chunks) => {
        if (member.incarnation !== incarnation) this.finishSnapshot(message, incarnation, false);
        else this.route(member, message, { chunks, incarnation });
      },
      () => this.finishSnapshot(message, incarnation, false),
    );
  }

  /** The end of a snapshot sent by the sender's `incarnation`: reported to that process only. */
  private finishSnapshot(message: Message, incarnation: number, ok: boolean): void {
    const key = `${message.from}->${message.to}`;
    if (this.snapshotsInFlight.get(key) === incarnation) this.snapshotsInFlight.delete(key);
    const sender = this.byId.get(message.from);
    if (sender === undefined || sender.incarnation !== incarnation) return;
    sender.time.defer(() => sender.driver?.reportSnapshot(message.to, ok));
  }

  async forward(member: SimMember, leaderId: NodeId, op: KvOp, deadlineMs: number): Promise<KvResult> {
    const leader = this.byId.get(leaderId);
    if (leader === undefined || !this.network.isLinkUp(member.id, leaderId) || !this.network.isLinkUp(leaderId, member.id)) {
      throw new HoldfastError('no-leader', `leader n${leaderId} unreachable`);
    }
    return new Promise((resolve, reject) => {
      this.scheduler.after(timing.clientLatencyMs, () => {
        const path = leader.path;
        if (!leader.isUp || path === undefined) {
          reject(new HoldfastError('no-leader', `leader n${leaderId} is down`));
          return;
        }
        leader.time.defer(() => {
          path.execute(op, { deadlineMs, forwarded: true }).then(
            (result) => this.scheduler.after(timing.clientLatencyMs, () => resolve(result)),
            (error: unknown) => this.scheduler.after(timing.clientLatencyMs, () => reject(error)),
          );
        });
      });
    });
  }

  fatal(member: SimMember, error: unknown): void {
    const message = (error as Error).message;
    const code = (error as { code?: string }).code ?? '';
    this.stats.fatalExits++;
    if (code === 'INVARIANT' || (error as Error).name === 'InvariantError') {
      if (!this.everDamaged.has(member.id)) {
        this.violate('nodeInvariant', `n${member.id} stopped on its own assert: ${message}`);
        return;
      }
      this.stopForGood(member, `stopped on an assert after its storage was damaged: ${message}`);
      return;
    }
    if (error instanceof StateCorruptionError && member.integrity !== undefined) {
      // As Node.fatal: damage apply found; the member refuses reads and repairs itself.
      this.record(`n${member.id} apply found damage: ${message}`);
      member.integrity.stateDamaged(error, 'apply');
      return;
    }
    const detected = /corrupt|checksum|inconsistent|mismatch/i.test(`${(error as Error).name} ${message}`);
    if (detected) {
      this.stopForGood(member, `stopped on detected damage: ${message}`);
      return;
    }
    this.record(`n${member.id} exits on a fatal error (${code || (error as Error).name}): ${message}`);
    this.crashMember(member, false);
    this.restartAt.set(member.id, this.tick + this.random.int(timing.restartAfterFatalTicksMin, timing.restartAfterFatalTicksMax));
  }

  restartForRepair(member: SimMember, reason: string): void {
    this.record(`n${member.id} found damage while running; restarting to repair: ${reason.slice(0, 120)}`);
    // A stop, not a crash: everything written reaches the disk.
    member.crash({ keepUnsynced: (pending) => pending, tearLog: false });
    this.cutSnapshotsTo(member);
    this.scheduler.after(0, () => this.restart(member.id));
  }

  private stopForGood(member: SimMember, reason: string): void {
    this.record(`n${member.id} ${reason}`);
    this.noteLostAcks(member);
    member.stop(reason);
    this.cutSnapshotsTo(member);
    this.stats.stoppedMembers++;
  }

  // ---- change streams (what the node's watches are fed) ----

  /**
   * Every member's change stream tells each revision once, in order, and the same changes at the
   * same revision as every other member: a watch on any member sees the same history.
   */
  changed(member: SimMember, changes: readonly KeyChange[], revision: number): void {
    const byRevision = new Map<number, string[]>();
    for (const change of changes) {
      const at = change.kv.modRevision;
      const text = `${change.type} ${Buffer.from(change.kv.key).toString('latin1')}=${Buffer.from(change.kv.value).toString('latin1')} v${change.kv.version} c${change.kv.createRevision}`;
      byRevision.set(at, [...(byRevision.get(at) ?? []), text]);
    }
    const last = this.changeStreamAt.get(member.id) ?? 0;
    for (const [at, texts] of byRevision) {
      if (at <= this.changeStreamAt.get(member.id)!) {
        this.violate('changeStream', `n${member.id} told revision ${at} after ${this.changeStreamAt.get(member.id)}`);
        return;
      }
      this.changeStreamAt.set(member.id, at);
      const digest = texts.join('; ');
      const first = this.changesByRevision.get(at);
      if (first === undefined) this.changesByRevision.set(at, { digest, id: member.id });
      else if (first.digest !== digest) {
        this.violate('changeStream', `revision ${at}: n${first.id} told [${first.digest}], n${member.id} told [${digest}]`);
        return;
      }
    }
    this.changeStreamAt.set(member.id, Math.max(last, revision, this.changeStreamAt.get(member.id) ?? 0));
  }

  restored(member: SimMember, revision: number): void {
    this.changeStreamAt.set(member.id, revision);
  }

  // ---- acknowledgements and votes ----

  /** Tracks what each member's acknowledgements vouch for, and refuses votes after losing it. */
  private watchOutgoing(member: SimMember, message: Message): void {
    if (message.type === 'appendResponse' && !message.reject && message.index > 0) {
      this.forgetReplacedAck(member);
      // Sent after its Ready's write: a response the core made before a later message of the same
      // turn replaced the entry (a new leader's conflicting suffix) finds the entry gone. The
      // acknowledgement no longer binds the member then (see forgetReplacedAck), so it is not kept.
      const log = member.log;
      const term = log === undefined || message.index > log.lastIndex() ? undefined : safeTerm(log, message.index);
      const previous = this.acked.get(member.id);
      if (term !== undefined && (previous === undefined || message.index >= previous.index)) this.acked.set(member.id, { index: message.index, term });
      const lost = this.lostAcked.get(member.id);
      if (lost !== undefined && message.index >= lost.index) {
        this.lostAcked.delete(member.id);
        this.record(`n${member.id} holds again the entries it had lost (acknowledges ${message.index})`);
      }
      return;
    }
    if (message.type === 'voteResponse' && !message.reject) {
      const lost = this.lostAcked.get(member.id);
      // A member that knows it is in repair may vote for a candidate that holds what it lost
      // (FINDINGS R5); one that does not know it lost anything must not vote at all.
      const inRepair = member.driver?.status().repairing === true;
      // The grant leaves after the write that follows the decision (longer while inputs are
      // stepped during a write on a slow disk): a candidate that crashed meanwhile has no log to
      // look at. What its request vouched for was durable before the request left, so it is
      // judged again only if it is up.
      const candidateDown = this.byId.get(message.to)?.log === undefined;
      if (lost !== undefined && inRepair && candidateDown) return;
      if (lost !== undefined && inRepair && !this.holdsEntry(message.to, lost) && !this.committedOtherwise(lost)) {
        this.repairVotesToJudge.push({ voter: member.id, candidate: message.to, term: message.term, lost });
      } else if (lost !== undefined && !inRepair) {
        this.violate(
          'votedAfterLoss',
          `n${member.id} granted its vote to n${message.to} in term ${message.term} while its log lacks entry ${lost.index} (term ${lost.term}) it had acknowledged`,
        );
      }
    }
  }

  /** At the end: a vote in repair for a candidate lacking an entry that was committed after all. */
  private judgeRepairVotes(): void {
    for (const { voter, candidate, term, lost } of this.repairVotesToJudge) {
      if (this.committedOtherwise(lost)) continue;
      const committed = [...this.byId.values()].some((member) => {
        const status = member.driver?.status();
        const log = member.log;
        if (log === undefined || status === undefined || status.repairing || status.commit < lost.index || lost.index < log.firstIndex()) return false;
        return safeTerm(log, lost.index) === lost.term;
      });
      if (!committed) continue;
      this.violate(
        'votedAfterLoss',
        `n${voter} (in repair) granted its vote to n${candidate} in term ${term}, which lacked entry ${lost.index} (term ${lost.term}) n${voter} had acknowledged and lost, and that entry is committed`,
      );
    }
  }

  /** Whether member `id`'s log holds the entry (index, term), or has compacted past its index. */
  private holdsEntry(id: NodeId, entry: { index: number; term: number }): boolean {
    const log = this.byId.get(id)?.log;
    if (log === undefined) return false;
    // Compacted entries were committed: the one committed at that index is the one held.
    if (entry.index < log.firstIndex()) return true;
    return entry.index <= log.lastIndex() && safeTerm(log, entry.index) === entry.term;
  }

  /**
   * Whether another entry than (index, term) is committed at its index: some member not in repair
   * has committed past the index and holds another term there. The lost entry was then never
   * committed (a later leader replaced it), and a candidate without it lacks nothing.
   */
  private committedOtherwise(entry: { index: number; term: number }): boolean {
    for (const member of this.byId.values()) {
      const log = member.log;
      const status = member.driver?.status();
      if (log === undefined || status === undefined || status.repairing || status.commit < entry.index || entry.index < log.firstIndex()) continue;
      const term = safeTerm(log, entry.index);
      if (term !== undefined && term !== entry.term) return true;
    }
    return false;
  }

  /**
   * While a member runs, its log changes only as the protocol says: an acknowledged entry gone
   * from it was replaced by a leader's conflicting suffix (it was never committed), so the
   * acknowledgement no longer binds the member.
   */
  private forgetReplacedAck(member: SimMember): void {
    const acked = this.acked.get(member.id);
    const log = member.log;
    if (acked === undefined || log === undefined || acked.index < log.firstIndex()) return;
    if (acked.index <= log.lastIndex() && safeTerm(log, acked.index) === acked.term) return;
    this.acked.delete(member.id);
  }

  /** After a restart: does the member's log still hold the newest entry it acknowledged? */
  private noteLostAcks(member: SimMember): void {
    const acked = this.acked.get(member.id);
    const log = member.log;
    if (acked === undefined || log === undefined) return;
    const held = acked.index < log.firstIndex() || (acked.index <= log.lastIndex() && safeTerm(log, acked.index) === acked.term);
    if (held) return;
    this.lostAcked.set(member.id, acked);
    this.record(`n${member.id} lost entry ${acked.index} (term ${acked.term}) it had acknowledged; its log ends at ${log.lastIndex()}`);
  }

  // ---- clients ----

  private historyTime(): number {
    return ++this.historyClock;
  }

  private memberIds(): NodeId[] {
    return [...this.byId.values()].filter((m) => !m.retired).map((m) => m.id);
  }

  private startClientOperations(): void {
    if (this.clientsStopped) return;
    const started = this.clients.startOperations({
      nextId: () => this.nextOperationId++,
      historyTime: () => this.historyTime(),
      nowMs: this.scheduler.now,
    });
    for (const operation of started) this.startAttempt(operation, 0);
  }

  private startAttempt(operation: ClientOperation, avoid: NodeId): void {
    if (this.clients.operation(operation.id) === undefined) return;
    if (this.scheduler.now >= operation.deadlineMs) {
      this.clients.abandon(operation, this.historyTime());
      return;
    }
    if (operation.attempts > 0) {
      this.stats.retries++;
      this.clients.retries++;
    }
    operation.attempts++;
    operation.attempt++;
    const attempt = operation.attempt;
    const nodeId = this.clients.chooseNode(operation, this.memberIds(), avoid);
    const deadlineMs = Math.min(operation.deadlineMs, this.scheduler.now + this.clientConfig.attemptTimeoutMs);
    this.scheduler.after(timing.clientLatencyMs, () => this.deliverRequest(operation, attempt, nodeId, deadlineMs));
    this.scheduler.at(deadlineMs + 2 * timing.clientLatencyMs, () => {
      if (operation.attempt === attempt) this.startAttempt(operation, nodeId);
    });
  }

  private deliverRequest(operation: ClientOperation, attempt: number, nodeId: NodeId, deadlineMs: number): void {
    const member = this.byId.get(nodeId);
    if (member === undefined || !member.isUp || member.path === undefined) {
      this.answerAttempt(operation, attempt, nodeId, { kind: 'retry', reason: 'connection refused', leaderHint: 0 });
      return;
    }
    const request = this.clients.requestOf(operation);
    member.time.defer(() => {
      const path = member.path;
      if (path === undefined) return;
      const wallDeadline = member.time.wallMs() + (deadlineMs - this.scheduler.now);
      const execute =
        this.defects.readsWithoutReadIndex && request.op === 'get' && operation.readMode === 'linearizable'
          ? path.execute({ op: 'get', get: { ...request.get, consistency: 'SERIALIZABLE' } }, { deadlineMs: wallDeadline, forwarded: false })
          : path.execute(request, { deadlineMs: wallDeadline, forwarded: false });
      execute.then(
        (result) => this.answerAttempt(operation, attempt, nodeId, { kind: 'ok', result }),
        (error: unknown) => this.answerAttempt(operation, attempt, nodeId, classify(error)),
      );
    });
  }

  private answerAttempt(
    operation: ClientOperation,
    attempt: number,
    nodeId: NodeId,
    outcome: { kind: 'ok'; result: KvResult } | { kind: 'failed'; reason: string } | { kind: 'retry'; reason: string; leaderHint: NodeId },
  ): void {
    this.scheduler.after(timing.clientLatencyMs, () => {
      if (operation.attempt !== attempt || this.clients.operation(operation.id) === undefined) return;
      operation.attempt++;
      switch (outcome.kind) {
        case 'ok':
          this.clients.noteLeader(operation, nodeId);
          this.clients.complete(operation, outcome.result, { historyTime: this.historyTime(), nowMs: this.scheduler.now, nodeId });
          return;
        case 'failed':
          this.record(`op ${operation.id} failed at n${nodeId}: ${outcome.reason}`);
          this.clients.fail(operation, this.historyTime());
          return;
        case 'retry':
          this.clients.noteLeader(operation, outcome.leaderHint);
          this.scheduler.after(timing.tickMs, () => this.startAttempt(operation, nodeId));
          return;
      }
    });
  }

  private async drainClients(): Promise<void> {
    this.clientsStopped = true;
    for (let tick = 0; tick < timing.drainTicksMax && this.clients.pendingCount > 0; tick++) await this.runTick(false);
    this.clients.abandonAll(this.historyTime());
  }

  private checkHistories(): void {
    for (const operation of this.clients.history) {
      if (operation.outcome === 'ok') this.stats.operationsOk++;
      else if (operation.outcome === 'failed') this.stats.operationsFailed++;
      else this.stats.operationsUnknown++;
    }
    this.stats.localReads = this.clients.localReads.length;
    this.stats.leaseReads = [...this.byId.values()].reduce((sum, member) => sum + member.leaseReads, 0);
    const localProblem = checkLocalReads(this.clients);
    if (localProblem !== undefined) throw new InvariantViolation('localReadCheck', localProblem);
    if (this.options.checkLinearizability === false) return;
    const result = checkHistory(this.clients.history, { timeBudgetMsPerKey: 5_000 });
    const violation = result.violations[0];
    if (violation === undefined) return;
    const operations = violation.operations.map((op) => JSON.stringify(op)).join('\n    ');
    throw new InvariantViolation('linearizability', `key ${violation.key}: ${violation.explanation}\n    ${operations}`);
  }

  // ---- ClusterControl and MembershipControl ----

  members(): NodeId[] {
    return this.memberIds();
  }

  upMembers(): NodeId[] {
    return [...this.byId.values()].filter((m) => m.isUp).map((m) => m.id);
  }

  leaderId(): NodeId {
    return this.leaderMember()?.id ?? 0;
  }

  private leaderMember(): SimMember | undefined {
    let best: SimMember | undefined;
    for (const member of this.byId.values()) {
      const driver = member.driver;
      if (!member.isUp || driver === undefined || driver.role !== 'leader') continue;
      if (best === undefined || driver.status().term > best.driver!.status().term) best = member;
    }
    return best;
  }

  crash(id: NodeId): void {
    const member = this.byId.get(id);
    if (member === undefined || !member.isUp) return;
    this.crashMember(member, false);
  }

  private crashMember(member: SimMember, tearLog: boolean): void {
    if (member.isUp) this.forgetReplacedAck(member);
    const pendingBefore = member.disk.pendingBatchCount;
    const keepSome = this.storageRandom.chance(0.3);
    const result = member.crash({
      keepUnsynced: (pending) => (keepSome && pending > 0 ? this.storageRandom.int(1, pending) : 0),
      tearLog,
    });
    this.stats.unsyncedBatchesLost += result.lost;
    this.record(`n${member.id} crashes; ${result.lost} of ${pendingBefore} unsynced writes lost${result.torn ? '; last synced log write torn' : ''}`);
    this.cutSnapshotsTo(member);
  }

  restart(id: NodeId): void {
    const member = this.byId.get(id);
    if (member === undefined || member.state !== 'down' || member.retired) return;
    this.record(`n${id} restarts`);
    void member.start(undefined).then(() => {
      if (member.isUp) this.noteLostAcks(member);
    });
  }

  private restartDue(): void {
    for (const [id, at] of this.restartAt) {
      if (at > this.tick) continue;
      this.restartAt.delete(id);
      this.restart(id);
    }
  }

  pause(id: NodeId): void {
    const member = this.byId.get(id);
    if (member === undefined || !member.isUp || member.isPaused) return;
    member.time.pause();
    this.record(`n${id} paused`);
  }

  resume(id: NodeId): void {
    const member = this.byId.get(id);
    if (member === undefined || !member.isPaused) return;
    this.record(`n${id} resumes`);
    member.time.resume();
  }

  setDiskLatencyTicksMax(ticks: number): void {
    this.slowDiskMs = ticks * timing.tickMs;
    for (const member of this.byId.values()) member.disk.conditions.syncLatencyMsMax = this.slowDiskMs || timing.syncLatencyMsNormal;
  }

  transferLeadership(from: NodeId, to: NodeId): void {
    const member = this.byId.get(from);
    if (member?.driver === undefined) return;
    this.record(`n${from} asked to hand leadership to n${to}`);
    try {
      member.driver.transferLeadership(to);
    } catch {
      // Refused (not leader, or a transfer under way): the nemesis tries again later.
    }
  }

  beginMembershipChange(): boolean {
    return this.membership.begin(this);
  }

  /** The membership the leader has applied (committed): what an operator acts on, as the Cluster service does. */
  leaderConfState(): ConfState | undefined {
    return this.leaderMember()?.sm?.confState;
  }

  leaderCommit(): number {
    return this.leaderMember()?.driver?.status().commit ?? 0;
  }

  proposeConfChange(change: ConfChange): boolean {
    const leader = this.leaderMember();
    const driver = leader?.driver;
    if (leader === undefined || driver === undefined) return false;
    const withContext = change.type === 'removeNode' ? change : { ...change, context: encodeMemberContext(memberRecord(change.nodeId)) };
    this.record(`n${leader.id} proposes ${change.type} ${change.nodeId}`);
    driver.proposeConfChange(withContext, leader.time.wallMs() + 2000).catch(() => undefined);
    return true;
  }

  retire(id: NodeId): void {
    const member = this.byId.get(id);
    if (member === undefined) return;
    if (member.isUp || member.state === 'starting') this.crashMember(member, false);
    member.retired = true;
    this.restartAt.delete(id);
    this.record(`n${id} retired`);
  }

  addNode(id: NodeId): void {
    if (this.byId.has(id)) return;
    void this.createMember(id).start(undefined);
    this.record(`n${id} started with an empty disk`);
  }

  appliedIndexOf(id: NodeId): number {
    return this.byId.get(id)?.driver?.appliedIndex ?? 0;
  }

  allocateNodeId(): NodeId {
    return this.nextNodeId++;
  }

  // ---- storage faults ----

  private maybeStorageFault(): void {
    if (this.storageFaultKinds.length === 0 || !this.storageRandom.chance(timing.storageFaultProbability)) return;
    const kind = this.storageRandom.pick(this.storageFaultKinds);
    const up = this.upMembers();
    if (up.length === 0) return;
    const member = this.byId.get(this.storageRandom.pick(up))!;
    if (kind === 'fsyncError' || kind === 'diskFull') {
      if (this.conditionEndsAt.has(member.id)) return;
      if (kind === 'fsyncError') member.disk.conditions.fsyncFails = true;
      else member.disk.conditions.full = true;
      this.conditionEndsAt.set(member.id, this.tick + this.storageRandom.int(5, 60));
      this.stats.storageFaults++;
      this.record(`n${member.id} disk: ${kind === 'fsyncError' ? 'fsync fails' : 'full'}`);
      return;
    }
    // Damage: at most one member's disk at a time.
    if (this.damaged !== undefined) return;
    this.damaged = { id: member.id, commitAtDamage: this.leaderCommit(), caughtUpAt: 0 };
    this.everDamaged.add(member.id);
    this.stats.storageFaults++;
    this.crashMember(member, kind === 'tornLogWrite');
    if (kind !== 'tornLogWrite') {
      const [where, damage] = kind.split(':') as ['log' | 'state', RestDamage];
      const path = where === 'log' ? member.logPath : member.statePath;
      const what = member.disk.damageAtRest(path, damage, (keys) => (keys.length === 0 ? undefined : this.storageRandom.pick(keys)));
      this.record(`n${member.id} ${where} at rest: ${what}`);
    }
    this.restartAt.set(member.id, this.tick + this.storageRandom.int(5, 80));
  }

  private endConditions(all: boolean): void {
    for (const [id, at] of this.conditionEndsAt) {
      if (!all && at > this.tick) continue;
      this.conditionEndsAt.delete(id);
      const member = this.byId.get(id);
      if (member === undefined) continue;
      member.disk.conditions.fsyncFails = false;
      member.disk.conditions.full = false;
      this.record(`n${id} disk healthy again`);
    }
  }

  /** The damaged member counts as repaired once it applied what was committed at the damage, and a while passed. */
  private noteDamageRepaired(): void {
    const damaged = this.damaged;
    if (damaged === undefined) return;
    const member = this.byId.get(damaged.id);
    if (member === undefined || member.retired || member.state === 'stopped') {
      // A member that stopped for good stays damaged: the others must not be damaged too.
      if (member?.retired === true) this.damaged = undefined;
      return;
    }
    if (!member.isUp || (member.driver?.appliedIndex ?? 0) < damaged.commitAtDamage) return;
    if (damaged.caughtUpAt === 0) damaged.caughtUpAt = this.tick;
    if (this.tick - damaged.caughtUpAt >= timing.damageSettleTicks && !this.lostAcked.has(member.id)) this.damaged = undefined;
  }

  // ---- leases ----

  leaseExpiryCommitted(id: number, proposedAtMs: number): void {
    this.leaseWorkload.expiryCommitted(id, proposedAtMs);
  }

  /** A lease request to a random running member (a follower forwards it), as a client would send it. */
  private sendLeaseRequest(op: KvOp): Promise<KvResult> {
    const running = [...this.byId.values()].filter((member) => member.isUp && member.path !== undefined);
    if (running.length === 0) return Promise.reject(new Error('no member runs'));
    const member = this.random.pick(running);
    return new Promise<KvResult>((resolve, reject) => {
      member.time.defer(() => {
        const path = member.path;
        if (path === undefined) {
          reject(new Error('the member went down'));
          return;
        }
        if (this.defects.keepAlivesAnsweredLocally && op.op === 'leaseKeepAlive' && member.sm?.lease(op.leaseKeepAlive.id) !== undefined) {
          resolve({ op: 'leaseKeepAlive', leaseKeepAlive: { header: path.header(), id: op.leaseKeepAlive.id, ttlMs: 0 } });
          return;
        }
        path.execute(op, { deadlineMs: member.time.wallMs() + this.clientConfig.operationTimeoutMs, forwarded: false }).then(resolve, reject);
      });
    });
  }

  private observeLeases(): void {
    const leader = this.leaderMember();
    const sm = leader?.sm;
    const driver = leader?.driver;
    this.leaseWorkload.observe(sm === undefined || driver === undefined ? undefined : { term: driver.term, lease: (id) => sm.lease(id) });
    const violated = this.leaseWorkload.violated;
    if (violated !== undefined) this.violate('leaseExpiry', violated);
    this.throwIfViolated();
  }

  /** Healed, with no client left: every lease abandoned must expire (TTL, a new leader's extension, a retried expiry). */
  private async waitForLeaseExpiries(): Promise<void> {
    this.leaseWorkload.abandonAll();
    for (let tick = 0; tick < timing.leaseExpiryTicksMax && this.leaseWorkload.pendingCount > 0; tick++) await this.runTick(false);
    if (this.leaseWorkload.pendingCount === 0) return;
    if (!this.quorumCanRun()) {
      this.record(`leases: ${this.leaseWorkload.pendingCount} not expired, but no quorum of voters can run`);
      return;
    }
    throw new InvariantViolation('leaseExpiry', `${this.leaseWorkload.describePending()} still held ${timing.leaseExpiryTicksMax} ticks after the clients stopped; ${this.describeCluster()}`);
  }

  // ---- liveness ----

  private async runLivenessCheck(label: string): Promise<void> {
    this.stats.livenessChecks++;
    this.sweepLogs();
    this.nemesis.healAll(this);
    this.endConditions(true);
    for (const id of [...this.restartAt.keys()]) {
      this.restartAt.delete(id);
      this.restart(id);
    }
    const startedAt = this.tick;
    let probeId = 0;
    while (this.tick - startedAt < timing.livenessTicksMax) {
      const probe = this.probes.get(probeId);
      if (probe?.done) {
        this.probes.delete(probeId);
        this.record(`liveness (${label}): probe committed after ${this.tick - startedAt} ticks`);
        return;
      }
      if (probe === undefined || this.tick - probe.proposedAtTick > timing.probeRetryTicks) {
        if (probe !== undefined) this.probes.delete(probeId);
        probeId = this.proposeProbe();
      }
      await this.runTick(false);
    }
    if (!this.quorumCanRun()) {
      // Members that stopped on damage, or wait in repair for a leader, cannot vote: without a
      // quorum of voters that can, nothing commits. Unavailability, not a lost write (FINDINGS R5).
      this.stats.livenessWaived++;
      this.record(`liveness (${label}): no quorum of voters can run; ${this.describeCluster()}`);
      return;
    }
    throw new InvariantViolation('liveness', `${label}: no leader committed a write within ${timing.livenessTicksMax} ticks of healing; ${this.describeCluster()}`);
  }

  /**
   * Every running member's view of the voters (its log's newest membership, committed or not)
   * has a quorum of voters that can vote: not stopped for good, not retired, not in repair.
   */
  private quorumCanRun(): boolean {
    let views = 0;
    for (const member of this.byId.values()) {
      const status = member.driver?.status();
      if (status === undefined || member.retired) continue;
      views++;
      const running = status.confState.voters.filter((id) => {
        const voter = this.byId.get(id);
        return voter !== undefined && !voter.retired && voter.state !== 'stopped' && voter.driver?.status().repairing !== true;
      });
      if (running.length * 2 <= status.confState.voters.length) return false;
    }
    return views > 0;
  }

  /**
   * Every `compactEveryTicks` ticks the leader compacts the key history to `compactKeepRevisions`
   * behind its revision, through the log, under whatever faults are in force: members must go on
   * agreeing (state hashes, served reads) while each drops the records in its own steps.
   */
  private maybeCompact(): void {
    if (this.tick % timing.compactEveryTicks !== 0) return;
    const leader = this.leaderMember();
    const path = leader?.path;
    const sm = leader?.sm;
    if (leader === undefined || path === undefined || sm === undefined) return;
    const revision = sm.revision - timing.compactKeepRevisions;
    if (sm.compactRevision === undefined || revision <= sm.compactRevision) return;
    path
      .execute({ op: 'compact', compact: { revision } }, { deadlineMs: leader.time.wallMs() + timing.probeRetryTicks * timing.tickMs, forwarded: false })
      .then(
        () => {
          this.stats.compactions++;
        },
        () => undefined,
      );
  }

  private proposeProbe(): number {
    const leader = this.leaderMember();
    const path = leader?.path;
    if (leader === undefined || path === undefined) return 0;
    const id = this.nextOperationId++;
    const probe = { done: false, proposedAtTick: this.tick };
    this.probes.set(id, probe);
    const key = Buffer.from(`probe/${id}`);
    path
      .execute(
        { op: 'put', put: { key, value: key, ifAbsent: false, ifModRevision: 0, prevKv: false, session: null, lease: 0, ifFenceAtLeast: 0 } },
        { deadlineMs: leader.time.wallMs() + timing.probeRetryTicks * timing.tickMs, forwarded: false },
      )
      .then(
        () => {
          probe.done = true;
        },
        () => undefined,
      );
    return id;
  }

  describeCluster(): string {
    const parts: string[] = [];
    for (const member of this.byId.values()) {
      if (member.retired) continue;
      const status = member.driver?.status();
      parts.push(
        status === undefined
          ? `n${member.id} ${member.state}${member.stoppedReason === '' ? '' : ` (${member.stoppedReason})`}`
          : `n${member.id} ${status.role}${status.repairing ? ' in repair' : ''} term ${status.term} commit ${status.commit} applied ${member.driver?.appliedIndex}`,
      );
    }
    return `${parts.join('; ')}; membership ${this.membership.describe()}`;
  }

  /** Log matching over every stored entry of every up member. */
  private sweepLogs(): void {
    for (const member of this.byId.values()) {
      const log = member.log;
      if (!member.isUp || log === undefined) continue;
      const first = log.firstIndex();
      const last = log.lastIndex();
      if (last < first) continue;
      try {
        this.checker.observeStoredEntries(member.id, log.entries(first, last + 1, Number.MAX_SAFE_INTEGER), safeTerm(log, first - 1) ?? 0);
      } catch (error) {
        if (!(error instanceof InvariantViolation)) throw error;
        // A member whose disk was damaged may hold garbage it has not detected: that is for the
        // state and read checks to judge; log matching binds undamaged members.
        if (!this.everDamaged.has(member.id)) throw error;
      }
    }
  }
}

function safeTerm(log: { term(index: number): number }, index: number): number | undefined {
  try {
    return log.term(index);
  } catch {
    return undefined;
  }
}

function classify(error: unknown): { kind: 'failed'; reason: string } | { kind: 'retry'; reason: string; leaderHint: NodeId } {
  if (error instanceof HoldfastError) {
    switch (error.kind) {
      case 'invalid-argument':
      case 'key-too-large':
      case 'value-too-large':
      case 'request-too-large':
      case 'quota-exceeded':
      case 'compare-failed':
        return { kind: 'failed', reason: `${error.kind}: ${error.message}` };
      case 'not-leader': {
        const address = (error as { leaderAddress?: string }).leaderAddress ?? '';
        return { kind: 'retry', reason: error.kind, leaderHint: address.startsWith('n') ? Number(address.slice(1)) : 0 };
      }
      default:
        return { kind: 'retry', reason: error.kind, leaderHint: 0 };
    }
  }
  return { kind: 'retry', reason: (error as Error).message ?? String(error), leaderHint: 0 };
}

function storageFaultKindsOf(options: StorageFaultOptions): StorageFaultKind[] {
  const kinds: StorageFaultKind[] = [];
  if (options.fsyncErrors) kinds.push('fsyncError');
  if (options.diskFull) kinds.push('diskFull');
  if (options.tornLogWrite) kinds.push('tornLogWrite');
  for (const damage of options.logAtRest ?? []) kinds.push(`log:${damage}`);
  for (const damage of options.stateAtRest ?? []) kinds.push(`state:${damage}`);
  return kinds;
}

/** The seed's core settings with the election spread the run asked for (no random draw). */
export function withElectionSpread(settings: CoreSettings, percent: number | undefined): CoreSettings {
  if (percent === undefined) return settings;
  if (!Number.isInteger(percent) || percent < 1 || percent > 100) throw new RangeError(`election spread ${percent} % outside 1..100`);
  return { ...settings, electionSpreadTicks: Math.max(1, Math.round((settings.electionTicks * percent) / 100)) };
}

/** The smallest electionTicks drawCoreSettings draws: a rank slot must stay below it. */
export const SIM_ELECTION_TICKS_MIN = 8;

/** The seed's core settings with the ranked election slots the run asked for (no random draw). */
export function withElectionRankSlot(settings: CoreSettings, slotTicks: number | undefined): CoreSettings {
  if (slotTicks === undefined || slotTicks === 0) return settings;
  if (!Number.isInteger(slotTicks) || slotTicks < 0 || slotTicks >= SIM_ELECTION_TICKS_MIN) {
    throw new RangeError(`election rank slot ${slotTicks} ticks outside 0..${SIM_ELECTION_TICKS_MIN - 1}`);
  }
  return { ...settings, electionRankSlotTicks: slotTicks };
}

function drawCoreSettings(random: Prng): CoreSettings {
  const electionTicks = random.int(SIM_ELECTION_TICKS_MIN, 15);
  const messageBytesMax = random.pick([4096, 64 * 1024]);
  return {
    electionTicks,
    heartbeatTicks: random.int(1, Math.min(3, Math.floor(electionTicks / 4))),
    preVote: true,
    checkQuorum: true,
    messageBytesMax,
    inflightMessagesMax: random.pick([4, 16, 256]),
    inflightBytesMax: Math.max(messageBytesMax, random.pick([64 * 1024, 1024 * 1024])),
    uncommittedBytesMax: random.pick([64 * 1024, 1024 * 1024]),
    pendingReadsMax: 256,
  };
}


/** Runs one seed to completion; a violation is returned, not thrown. */
export async function runRealSeed(options: RealSimOptions): Promise<RealSeedResult> {
  const simulation = new RealSimulation(options);
  let violation: RealSeedResult['violation'];
  try {
    await simulation.run();
  } catch (error) {
    violation = toViolation(error);
    simulation.record(`VIOLATION ${violation.invariant}: ${violation.message.split('\n')[0]}`);
  }
  return {
    seed: options.seed,
    nodeCount: options.nodeCount,
    steps: options.steps,
    violation,
    recentEvents: simulation.eventLog.recent(),
    digest: simulation.eventLog.digest(),
    stats: simulation.stats,
  };
}

function toViolation(error: unknown): { invariant: InvariantName; message: string } {
  if (error instanceof InvariantViolation) return { invariant: error.invariant, message: error.message };
  if (error instanceof Error) {
    const where = (error.stack ?? '').split('\n').slice(1, 6).join('\n');
    return { invariant: 'coreError', message: `${error.name}: ${error.message}\n${where}` };
  }
  return { invariant: 'coreError', message: String(error) };
}

/**
 * Assembles one node: storage, the core, the driver loop, the peer transport, the client-facing
 * gRPC services, metrics and health; and takes it down again on SIGTERM (hand leadership over,
 * let requests in flight finish, close the databases, exit 0).
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, unwatchFile, watchFile } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { Http2Session } from 'node:http2';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import {
  bootstrapEntries,
  bootstrapHardState,
  type Entry,
  type Message,
  type NodeId,
  Prng,
  RaftNode,
} from '@holdfast/raft';
import {
  APPLY_VERSION_PLACEMENT,
  ApplyVersionError,
  type BackupSummary,
  encodeCommand,
  encodeMemberContext,
  inspectBackupFile,
  KvStateMachine,
  LevelLogStorage,
  type MemberRecord,
  type Placement,
  readBackupFile,
  resolveStorageLimits,
  LogCommitBeyondEndError,
  LogCorruptionError,
  StateCorruptionError,
  type StorageLimits,
  readTermVoteFile,
} from '@holdfast/storage';
import { HealthImplementation } from 'grpc-health-check';
import { pino, type Logger } from 'pino';
import { ApplyVersions } from './applyVersions.js';
import { refuseSecondBootstrap } from './bootstrapGuard.js';
import { AuthService } from './auth/authService.js';
import { AuthGuard } from './auth/guard.js';
import { defaultLoginLimits } from './auth/rate-limit.js';
import { ClusterService, type RepairStatus } from './clusterService.js';
import { checkClusterIdentity } from './cluster-identity.js';
import { ConfigError, electionTiming, type NodeConfig, parseNodeConfig } from './config.js';
import { NodeDriver } from './driver.js';
import { assert, authChangedError, InvalidRequestError } from './errors.js';
import { Forwarder } from './forwarder.js';
import { StateIntegrity } from './integrity.js';
import { StateHashComparison } from './stateHashes.js';
import {
  agreementFindings,
  assertRepairPossible,
  type DamageFinding,
  describeFindings,
  openFindings,
  type RepairMarker,
  RepairUnsafeError,
  readRepairMarker,
  repairLossTerm,
  removeRepairMarker,
  restartLogFromState,
  wipeUntrusted,
  writeRepairMarker,
} from './repair.js';
import { kvServiceImplementation } from './kvService.js';
import { NodeMetrics, serveMetrics } from './metrics.js';
import { PeerRtt } from './peer-rtt.js';
import { leaseRefusal, ownReadTerms } from './driver/lease-terms.js';
import type { ReadTerms } from './peerLink/frames.js';
import { CommitTrail, LeaderPreference, type VoterView } from './placement.js';
import { backupIdentity, readRestoreMarker, sameBackup, writeRestoreMarker } from './restore-marker.js';
import { holdsVotesAtStart, readReadModeMarker, writeReadModeMarker } from './read-mode-marker.js';
import { loadProtos, type Protos } from '@holdfast/protocol';
import { authRevisionStamp, RequestPath } from './requests.js';
import { LeaseKeeper } from './leases.js';
import { NodeHistory } from './retention.js';
import { dialCredentials, memberDialCredentials, ReloadableTls, serverCredentials } from './tls.js';
import { PeerListener } from './peerLink/listener.js';
import { Transport } from './transport.js';
import { WatchHub } from './watch.js';

const KV_SERVICE = 'holdfast.v1.KV';
/** The second copy of the log's term and vote, beside the log (storage term-vote-file.ts). */
export const TERM_VOTE_FILE = 'term-vote';
const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
/** How often the TLS files are looked at for a change (a stat each), and how long they must stay still before they are read. */
const TLS_FILES_POLL_MS = 500;
const TLS_FILES_SETTLE_MS = 300;
/** State hash checkpoints kept per member (own and heard), the newest. */
const STATE_HASH_CHECKPOINTS_KEPT = 8;
/** How often a member offers its state hash as it stands (when its applied index moved). */
const STATE_HASH_SHARE_MS = 1000;
/** Largest chunk read from a backup file: the state machine's own limit for a received chunk. */
const SNAPSHOT_CHUNK_BYTES_MAX = 256 * 1024 * 1024;
/** How often a leader looks whether it may raise the cluster's apply version (and members log it). */
const APPLY_VERSION_CHECK_MS = 100;
/** How often every other member gets an empty batch whose ack times the round trip (TCP link only). */
const PEER_RTT_PROBE_EVERY_MS = 2000;

export function storageLimitsOf(config: NodeConfig): StorageLimits {
  const { limits } = config;
  return resolveStorageLimits({
    keyBytesMax: limits.keyBytesMax,
    valueBytesMax: Math.max(1, limits.valueBytesMax),
    txnOpsMax: limits.batchOpsMax,
    txnComparesMax: limits.batchOpsMax,
    rangeResultsMax: limits.rangeLimitMax,
    rangeBytesMax: limits.rangeBytesMax,
    commandBytesMax: limits.requestBytesMax,
  });
}

/** The bootstrap log: one addVoter per initial member, carrying its record so joiners learn addresses. */
function bootstrapLog(config: NodeConfig): Entry[] {
  const byId = new Map(config.initialCluster.map((m) => [m.id, m]));
  return bootstrapEntries(config.initialCluster.map((m) => m.id)).map((entry) => {
    if (entry.type !== 'confChange') return entry;
    const m = byId.get(entry.change.nodeId);
    assert(m !== undefined, () => `bootstrap entry for unknown member ${entry.change.nodeId}`);
    const record: MemberRecord = { ...m, learner: false };
    return { ...entry, change: { ...entry.change, context: encodeMemberContext(record) } };
  });
}

export interface RunningNode {
  readonly config: NodeConfig;
  readonly driver: NodeDriver;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Hand leadership over, let requests finish (bounded), close everything. */
  stop(): Promise<void>;
  /** The Prometheus exposition text, as `/metrics` serves it. */
  metricsText(): Promise<string>;
  /**
   * Reads the TLS files again (also done on a file change, and on SIGHUP by runNode); true when
   * they changed. Unusable files change nothing and are logged.
   */
  reloadTls(trigger: string): boolean;
  /**
   * Resolves with the exit code once the node has stopped; RESTART_FOR_REPAIR when it stopped to
   * start again in the same process and repair itself (runNode does so).
   */
  readonly stopped: Promise<number>;
  /** In repair (it lost data on its disk and catches up from the others without voting), and why. */
  repairStatus(): RepairStatus;
}

/** `RunningNode.stopped` of a node that stopped to restart and repair itself (see Node.requestRepair). */
export const RESTART_FOR_REPAIR = -1;

class Node implements RunningNode {
  readonly driver: NodeDriver;
  readonly metrics = new NodeMetrics();
  readonly protos: Protos = loadProtos();
  readonly dialCredentials: grpc.ChannelCredentials;
  readonly health = new HealthImplementation({ '': 'NOT_SERVING', [KV_SERVICE]: 'NOT_SERVING' });
  readonly transport: Transport;
  readonly forwarder: Forwarder;
  readonly cluster: ClusterService;
  /** Checks every call on the client port while auth is on (auth/guard.ts). */
  readonly guard: AuthGuard;
  readonly authService: AuthService;
  readonly requestPath: RequestPath;
  readonly leases: LeaseKeeper;
  readonly clientServer: grpc.Server;
  readonly peerServer: grpc.Server;
  readonly inflight = { count: 0 };
  readonly integrity: StateIntegrity;
  /** Ids of the current members (from the applied log, else the initial cluster). */
  private knownIds: Set<number>;
  private metricsServer: HttpServer | undefined;
  private peerListener: PeerListener | undefined;
  private stopWatchingTlsFiles: () => void = () => {};
  private ticker: NodeJS.Timeout | undefined;
  private stopping = false;
  private stopPromise: Promise<void> | undefined;
  private resolveStopped: (code: number) => void = () => {};
  readonly stopped = new Promise<number>((resolve) => {
    this.resolveStopped = resolve;
  });
  clientPort = 0;
  peerPort = 0;
  readonly applyVersions: ApplyVersions;
  readonly watches: WatchHub;
  readonly history: NodeHistory;
  private stopWatching: () => void = () => {};
  readonly stateHashes: StateHashComparison;
  private stopCheckpoints: () => void = () => {};
  /** When (performance.now()) and at which index this member last offered its current state hash. */
  private stateHashSharedAtMs = Number.NEGATIVE_INFINITY;
  private stateHashSharedIndex = 0;
  /** When a damaged leader last tried to hand leadership over (one try per election timeout). */
  private damagedHandOverAtMs = 0;
  /** requestRepair ran: the node is stopping to start again in repair. */
  private restartingForRepair = false;
  /** The repair marker is being removed (the core left repair). */
  private finishingRepair = false;
  /** Since when the repair has waited for a leader's answer, and when that was last logged. */
  private repairWaitingSinceMs: number | undefined;
  /** The last repair finished in this process: when, why, how long (status `lastRepair`); '' if none. */
  private lastRepair = '';
  private repairWaitWarnedAtMs = 0;
  /** "term:member" of lost-entries reports already logged as leader. */
  private readonly lostEntriesLogged = new Set<string>();
  /** A leader's write that raises the cluster's apply version is on its way. */
  private raisingApplyVersion = false;
  private loggedClusterVersion = 0;
  readonly peerRtt: PeerRtt;
  /** This member's side of a read lease, told to every peer it dials (driver/lease-terms.ts). */
  private readonly readTerms: ReadTerms;
  /** What each peer's latest TCP link hello told of its side (undefined: a release that tells nothing). */
  private readonly peerReadTerms = new Map<NodeId, ReadTerms | undefined>();
  /** Why the last check refused a lease ('' when it allowed one): logged when it changes. */
  private leaseRefusalSaid = '';
  /** When the last round-trip probe went to the other members (maybeProbePeerRtts). */
  private peerRttProbedAtMs = Number.NEGATIVE_INFINITY;
  private readonly leaderPreference: LeaderPreference;
  /** The commit index over the last few seconds, while this member leads (leader preference). */
  private readonly commitTrail: CommitTrail;

  constructor(
    readonly config: NodeConfig,
    readonly logger: Logger,
    readonly log: LevelLogStorage,
    readonly sm: KvStateMachine,
    readonly storageLimits: StorageLimits,
    /** The repair under way when the node started (its marker), or undefined. */
    private repair: RepairMarker | undefined,
    /** Answer no campaign for an election timeout after the start (read-mode-marker.ts). */
    holdVotesAtStart = true,
  ) {
    this.dialCredentials = dialCredentials(config.tls);
    this.integrity = new StateIntegrity({ logger, metrics: this.metrics, repair: { requestRepair: (reason) => this.requestRepair(reason) } });
    if (repair?.dropState === true) this.integrity.stateDroppedForRepair(repair.reason);
    this.stateHashes = new StateHashComparison({
      selfId: config.id,
      checkpointsKept: STATE_HASH_CHECKPOINTS_KEPT,
      checkpointEntries: config.limits.stateHashCheckpointEntries,
      voters: () => this.sm.confState.voters,
      integrity: this.integrity,
      logger,
      nowMs: () => Date.now(),
    });
    this.applyVersions = new ApplyVersions(config.id, sm.applyVersionMax);
    this.readTerms = ownReadTerms(config);
    this.peerRtt = new PeerRtt(
      () => performance.now(),
      (peer, rttMs) => this.metrics.peerRttSeconds.observe({ peer: String(peer) }, rttMs / 1000),
    );
    const electionTimeoutMs = config.electionTicks * config.tickMs;
    this.leaderPreference = new LeaderPreference({ holdMs: config.leaderPreferenceHoldMs, retryMs: 2 * electionTimeoutMs });
    this.commitTrail = new CommitTrail(electionTimeoutMs);
    this.knownIds = new Set(this.members().map((m) => m.id));
    // Auth changes and refused admin calls, apart from the rest (names and reasons, never a password or a token).
    const auditLogger = logger.child({ component: 'audit' });
    this.guard = new AuthGuard({
      auth: () => this.sm.auth,
      selfId: config.id,
      nowMs: () => Date.now(),
      leaseKeys: (id) => this.sm.lease(id)?.keys ?? [],
      refused: (method, kind) => this.metrics.authRefusals.inc({ method, kind }),
      adminDenied: (denial) => auditLogger.warn({ method: denial.method, user: denial.user, kind: denial.kind, reason: denial.reason }, 'admin call refused'),
    });
    this.clientServer = new grpc.Server({
      ...this.serverOptions(Math.max(16 * 1024 * 1024, config.limits.requestBytesMax * 2 + 64 * 1024)),
      // Every call on the client port passes the auth guard first (auth/rules.ts says what each needs).
      interceptors: [this.guard.interceptor()],
    });
    this.peerServer = new grpc.Server(this.serverOptions(256 * 1024 * 1024));
    // The shared generator derives its whole state from a 32-bit seed, so 4 random bytes suffice.
    // The seed is logged so an election pattern can be replayed with `new Prng(seed)`.
    const seed = randomBytes(4).readUInt32LE(0);
    logger.info({ seed }, 'random seed');
    const random = new Prng(seed);
    const applied = Math.min(sm.appliedIndex, log.hardState().commit);
    const core = new RaftNode({
      id: config.id,
      storage: log,
      random: () => random.next(),
      electionTicks: config.electionTicks,
      electionSpreadTicks: config.electionSpreadTicks,
      electionRankSlotTicks: config.electionRankSlotTicks,
      heartbeatTicks: config.heartbeatTicks,
      applied,
      repairing: repair !== undefined,
      repairLossTerm: repair?.lossTerm ?? 0,
      preVote: true,
      checkQuorum: true,
      messageBytesMax: config.limits.messageBytesMax,
      inflightMessagesMax: config.limits.inflightMessagesMax,
      inflightBytesMax: config.limits.inflightBytesMax,
      uncommittedBytesMax: config.limits.uncommittedBytesMax,
      pendingReadsMax: config.limits.pendingReadsMax,
      readRoundsInFlightMax: config.limits.readRoundsInFlightMax,
    });
    this.driver = new NodeDriver({
      selfId: config.id,
      core,
      log,
      stateMachine: sm,
      limits: config.limits,
      failpoints: config.failpoints,
      metrics: this.metrics,
      logger,
      onFatal: (error) => this.fatal(error),
      onLeaderChange: (leaderId) => this.setHealth(leaderId !== 0),
      onConfChange: () => this.membershipChanged(),
      readRoundTimeoutTicks: config.electionTicks,
      campaignHoldTicks: holdVotesAtStart ? config.electionTicks : 0,
      ...(config.readMode === 'lease'
        ? {
            readLease: { electionTicks: config.electionTicks, tickMs: config.tickMs, clockDriftMax: config.clockDriftMaxPercent / 100 },
            leaseAllowed: () => this.maybeLeaseAllowed(),
          }
        : {}),
    });
    this.metrics.storeBytesMax.set(config.limits.storeBytesMax);
    this.metrics.repairing.set(repair === undefined ? 0 : 1);
    if (repair !== undefined) {
      logger.warn(
        { reason: repair.reason, dropState: repair.dropState, lossTerm: repair.lossTerm ?? null },
        repair.lossTerm === undefined
          ? 'in repair: not voting or campaigning until caught up with what a leader committed'
          : `in repair: not campaigning, and voting only for candidates whose last log term is above ${repair.lossTerm}, until caught up with what a leader committed`,
      );
    }
    this.metrics.applyVersionMax.set(sm.applyVersionMax);
    this.transport = new Transport({
      selfId: config.id,
      clusterId: config.clusterId,
      protos: this.protos,
      dialCredentials: this.dialCredentials,
      dialCredentialsFor: (id) => memberDialCredentials(config.tls, id, (problem) => this.peerIdentityRefused(id, problem)),
      requireMemberCertificates: config.tls !== undefined,
      peerTransport: config.failpoints.grpcOnly === true ? 'grpc' : config.peerTransport,
      ...(config.tls === undefined ? {} : { tls: config.tls }),
      identityRefused: (id, problem) => this.peerIdentityRefused(id, problem),
      logger,
      peerQueueMessagesMax: config.limits.peerQueueMessagesMax,
      messageBytesMax: config.limits.messageBytesMax,
      applyVersion: sm.applyVersionMax,
      readTerms: this.readTerms,
      addressOf: (id) => config.peerDial.get(id) ?? this.member(id)?.peerAddress,
      handlers: {
        deliver: (messages: Message[]) => {
          this.peerRtt.received(messages);
          this.noteLostEntries(messages);
          this.driver.deliver(messages);
        },
        reportUnreachable: (id) => this.driver.reportUnreachable(id),
        reportSnapshot: (id, ok) => this.driver.reportSnapshot(id, ok),
        readSnapshot: () => this.readSnapshot(),
        receiveSnapshot: (message, chunks) => this.receiveSnapshot(message, chunks),
        queueDepthChanged: (to, depth) => this.metrics.peerQueueDepth.set({ peer: String(to) }, depth),
        peerReachable: (to, reachable) => this.metrics.peerReachable.set({ peer: String(to) }, reachable ? 1 : 0),
        peerLinkChanged: (to, link) => this.metrics.peerLinkGrpc.set({ peer: String(to) }, link === 'grpc' ? 1 : 0),
        heardApplyVersion: (from, version) => this.applyVersions.heardFrom(from, version),
        heardReadTerms: (from, terms) => this.peerReadTerms.set(from, terms),
        checkpointsFor: (to) => this.stateHashes.toSend(to),
        heardCheckpoints: (from, checkpoints) => this.stateHashes.heard(from, checkpoints),
        rejected: (reason) => this.metrics.peerMessagesRejected.inc({ reason }),
        isMember: (id) => this.knownIds.has(id),
        roundTripMeasured: (to, rttMs) => this.peerRtt.measured(to, rttMs),
      },
    });
    this.driver.setSender({
      send: (messages) => {
        this.peerRtt.sent(messages);
        this.transport.send(messages);
      },
    });
    this.forwarder = new Forwarder(
      {
        protos: this.protos,
        credentials: this.dialCredentials,
        authorization: () => this.memberAuthorization(),
        authOn: () => this.guard.enabled(),
      },
      config.limits.pendingProposalsMax,
      config.limits.batchMessageRequestsMax,
    );
    this.leases = new LeaseKeeper({
      driver: this.driver,
      stateMachine: sm,
      nowMs: () => performance.now(),
      propose: (operation, deadlineMs) => this.requestPath.proposeOperation(operation, deadlineMs),
      deadlineMs: () => Date.now() + config.limits.requestTimeoutMs,
      extensionMs: leaseExtensionMs(config),
      logger,
    });
    this.requestPath = new RequestPath({
      clusterId: config.clusterId,
      selfId: config.id,
      driver: this.driver,
      stateMachine: sm,
      limits: config.limits,
      storageLimits,
      forwarder: this.forwarder,
      clientAddressOf: (id) => this.member(id)?.clientAddress ?? '',
      isStopping: () => this.stopping,
      applyVersion: () => this.applyVersionToStamp(),
      integrity: this.integrity,
      leases: this.leases,
    });
    this.watches = new WatchHub({
      limits: config.limits,
      revision: sm.revision,
      header: () => this.requestPath.header(),
      isStopping: () => this.stopping,
      logger,
      history: {
        changesSince: (from, options) => this.sm.changesSince(from, options),
        watchFloor: () => this.sm.watchFloorRevision,
      },
    });
    this.stopWatching = sm.watchChanges(this.watches);
    this.history = new NodeHistory({
      stateMachine: sm,
      isLeader: () => this.driver.role === 'leader' && !this.stopping,
      proposeCompaction: async (revision) => {
        await this.requestPath.execute({ op: 'compact', compact: { revision } }, { deadlineMs: Date.now() + config.limits.requestTimeoutMs, forwarded: true });
      },
      metrics: this.metrics,
      logger,
      limits: config.limits,
    });
    for (const checkpoint of sm.checkpoints()) this.stateHashes.own(checkpoint);
    this.stopCheckpoints = sm.watchCheckpoints((checkpoint) => this.stateHashes.own(checkpoint));
    // A failed state write (a sync before a snapshot is sent, say) leaves a state that serves nothing.
    sm.watchWriteFailure((error) => this.fatal(error));
    this.metrics.readAtScrape({
      pendingReads: () => this.driver.pendingReads,
      storeBytes: () => this.sm.keyValueBytes,
      clusterVersion: () => this.sm.clusterVersion,
      watches: () => this.watches.stats(),
      history: () => this.history.status(),
      leases: () => ({ held: this.sm.leases().length, counted: this.leases.countedLeases }),
    });
    this.cluster = new ClusterService({
      selfId: config.id,
      protos: this.protos,
      dialCredentials: this.dialCredentials,
      driver: this.driver,
      requestTimeoutMs: config.limits.requestTimeoutMs,
      members: () => this.members(),
      header: () => this.requestPath.header(),
      memberIdMax: () => this.sm.memberIdMax,
      promoteLagEntriesMax: Math.max(100, config.limits.snapshotCatchupEntries),
      openBackup: async (deadlineMs, afterBarrier) => {
        this.integrity.checkReadable();
        await this.driver.readBarrier(deadlineMs);
        afterBarrier?.();
        const reader = await this.sm.openSnapshotReader();
        return { ...reader, chunks: () => this.watchedForDamage(reader.chunks(), 'backup') };
      },
      backupsMax: config.limits.backupsMax,
      storeBytes: () => this.sm.keyValueBytes,
      storeBytesMax: config.limits.storeBytesMax,
      applyVersionMax: sm.applyVersionMax,
      clusterVersion: () => this.sm.clusterVersion,
      alarms: () => this.integrity.alarms(),
      readsRefused: () => this.integrity.readsRefused,
      repairStatus: () => this.repairStatus(),
      placement: () => this.sm.placement,
      proposePlacement: (placement, deadlineMs, authRevision) => this.proposePlacement(placement, deadlineMs, authRevision),
      peerRtts: () => this.peerRtt.view(),
      electionTimeoutMs,
      electionSpreadMs: config.electionSpreadTicks * config.tickMs,
      readMode: config.readMode,
      leaseRemainingMs: () => this.driver.leaseRemainingMs(),
      history: () => this.history.status(),
      authorization: () => this.memberAuthorization(),
      checkAgain: (path, metadata, message) => this.guard.checkAgain(path, metadata, message),
      admittedAuthRevision: (metadata) => this.guard.admittedAuthRevision(metadata),
      auth: () => this.sm.auth,
    });
    this.authService = new AuthService({
      protos: this.protos,
      dialCredentials: this.dialCredentials,
      guard: this.guard,
      requestTimeoutMs: config.limits.requestTimeoutMs,
      tokenTtlMsDefault: config.limits.authTokenTtlMs,
      loginLimits: {
        attemptsPerUserPerMinute: config.limits.loginAttemptsPerUserPerMinute,
        attemptsPerAddressPerMinute: config.limits.loginAttemptsPerAddressPerMinute,
        trackedKeysMax: defaultLoginLimits.trackedKeysMax,
      },
      auth: () => this.sm.auth,
      isLeader: () => this.driver.role === 'leader',
      leaderClientAddress: () => (this.driver.leaderId === 0 ? undefined : (this.member(this.driver.leaderId)?.clientAddress ?? '')),
      changeAuth: (change, deadlineMs, authRevision) => this.requestPath.changeAuth(change, deadlineMs, authRevision),
      readBarrier: (deadlineMs) => this.driver.readBarrier(deadlineMs),
      nowMs: () => Date.now(),
      audited: (entry) => auditLogger.info({ method: entry.method, by: entry.by, target: entry.target, outcome: entry.outcome, revision: entry.revision }, 'auth change'),
    });
  }

  /** This member's token as `authorization` metadata while auth is on: what calls it forwards carry. */
  private memberAuthorization(): string | undefined {
    const token = this.guard.memberToken();
    return token === undefined ? undefined : `Bearer ${token}`;
  }

  /**
   * Proposes a placement setting (a logged command at APPLY_VERSION_PLACEMENT or later), stamped
   * with the auth revision its caller was checked against: refused whole at apply (auth-changed)
   * when an auth change was applied before it.
   */
  private async proposePlacement(placement: Placement, deadlineMs: number, authRevision?: number): Promise<Placement> {
    const applyVersion = this.applyVersionToStamp();
    if (applyVersion < APPLY_VERSION_PLACEMENT) {
      throw new InvalidRequestError(
        'invalid-argument',
        `placement needs every member at apply version ${APPLY_VERSION_PLACEMENT}; the members run ${applyVersion} (upgrade them first)`,
      );
    }
    const data = encodeCommand({ operation: { type: 'setPlacement', placement }, proposedAtMs: Date.now(), applyVersion, ...authRevisionStamp(applyVersion, authRevision) });
    const result = await this.driver.propose(data, deadlineMs);
    if (result.outcome.type === 'placement') return result.outcome.placement;
    if (result.outcome.type === 'authStale') throw authChangedError('the placement change', result.outcome);
    throw new InvalidRequestError('invalid-argument', result.outcome.type === 'invalid' ? result.outcome.message : `placement answered ${result.outcome.type}`);
  }

  /**
   * A leader hands leadership to a caught-up voter in a better-ranked leader region once that
   * voter has stayed caught up and heard from for leaderPreferenceHoldMs (placement.ts).
   */
  private followLeaderPreference(nowMs: number): void {
    if (this.driver.role !== 'leader' || this.stopping || this.integrity.readsRefused) {
      this.leaderPreference.reset();
      this.commitTrail.clear();
      return;
    }
    const status = this.driver.status();
    this.commitTrail.record(nowMs, status.commit);
    const heardWithinMs = this.config.electionTicks * this.config.tickMs;
    const rttMsById = new Map(this.peerRtt.view().map((row) => [row.peerId, row.rttMs]));
    const voters: VoterView[] = [];
    for (const member of this.members()) {
      if (member.learner || member.id === this.config.id || !status.confState.voters.includes(member.id)) continue;
      const progress = status.progress.find((p) => p.id === member.id);
      // A voter may trail the latest commit by a round trip and a check or two: it is judged by
      // what was committed that long ago (never longer ago than an election timeout).
      const allowedLagMs = Math.min(heardWithinMs, 2 * APPLY_VERSION_CHECK_MS + 2 * (rttMsById.get(member.id) ?? 0));
      const caughtUp =
        progress !== undefined &&
        progress.match >= this.commitTrail.committedAsOf(nowMs - allowedLagMs) &&
        this.peerRtt.silentForMs(member.id) < heardWithinMs;
      voters.push({ id: member.id, region: member.region, caughtUp });
    }
    const self = this.member(this.config.id);
    const target = this.leaderPreference.maybeChooseTarget({ placement: this.sm.placement, selfRegion: self?.region ?? this.config.region, voters, nowMs });
    if (target === 0) return;
    this.logger.info({ target, leaderRegions: this.sm.placement.leaderRegions }, 'handing leadership to a voter in a preferred region');
    this.metrics.leaderPreferenceTransfers.inc();
    try {
      this.driver.transferLeadership(target);
    } catch (error) {
      this.logger.warn({ error: (error as Error).message }, 'leadership transfer refused');
    }
  }

  /** When a peer's certificate was last logged as refused, by peer (one line per peer per 10 s). */
  private readonly identityRefusalLoggedAtMs = new Map<NodeId, number>();

  /** This member dialled `peer`, and the certificate it showed does not name that member. */
  private peerIdentityRefused(peer: NodeId, problem: string): void {
    const now = Date.now();
    if (now - (this.identityRefusalLoggedAtMs.get(peer) ?? 0) < 10_000) return;
    this.identityRefusalLoggedAtMs.set(peer, now);
    this.logger.warn({ peer, problem }, 'peer refused: its certificate does not name the member dialled');
  }

  private applyVersionToStamp(): number {
    return this.applyVersions.stamp(this.knownIds, this.sm.clusterVersion);
  }

  /**
   * Logs a change of the cluster's apply version; a leader that may stamp a newer one than the
   * state's (every member now runs a release that implements it) proposes a write that changes
   * nothing but carries the stamp, so the cluster moves to it without waiting for client writes.
   */
  private followApplyVersion(): void {
    const current = this.sm.clusterVersion;
    if (current !== this.loggedClusterVersion) {
      this.logger.info({ clusterVersion: current, applyVersionMax: this.sm.applyVersionMax }, 'cluster apply version');
      this.loggedClusterVersion = current;
    }
    if (this.driver.role !== 'leader' || this.raisingApplyVersion || this.stopping) return;
    const applyVersion = this.applyVersionToStamp();
    if (applyVersion <= current) return;
    const marker = encodeCommand({ operation: { type: 'txn', compare: [], success: [], failure: [] }, proposedAtMs: Date.now(), applyVersion });
    this.raisingApplyVersion = true;
    this.driver
      .propose(marker, Date.now() + this.config.limits.requestTimeoutMs)
      .catch((error: unknown) => this.logger.debug({ error: (error as Error).message, applyVersion }, 'raising the apply version failed; will retry'))
      .finally(() => {
        this.raisingApplyVersion = false;
      });
  }

  /**
   * Client messages may be well over the request limit (at least 16 MiB), so that an oversized
   * request gets the precise `request-too-large` / `value-too-large` answer from the request path
   * rather than a transport error; only absurd ones are cut by gRPC itself. Peers send whole batches.
   */
  private serverOptions(receiveBytesMax: number): grpc.ServerOptions {
    return {
      'grpc.max_receive_message_length': receiveBytesMax,
      'grpc.max_send_message_length': 256 * 1024 * 1024,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 1000,
      // Channelz bookkeeping costs on every call and message; nothing here reads it.
      'grpc.enable_channelz': 0,
    };
  }

  /** Members from the applied log; before anything is applied, the configured initial cluster. */
  members(): MemberRecord[] {
    const applied = this.sm.members();
    if (applied.length > 0) return [...applied];
    return this.config.initialCluster.map((m) => ({ ...m, learner: false }));
  }

  member(id: NodeId): MemberRecord | undefined {
    return this.members().find((m) => m.id === id) ?? this.config.initialCluster.map((m) => ({ ...m, learner: false })).find((m) => m.id === id);
  }

  private membershipChanged(): void {
    const current = new Set(this.members().map((m) => m.id));
    for (const id of this.knownIds) {
      if (current.has(id)) continue;
      if (id !== this.config.id) {
        this.transport.dropPeer(id);
        this.metrics.peerReachable.remove({ peer: String(id) });
      }
      this.applyVersions.forget(id);
      this.stateHashes.forget(id);
      this.peerRtt.forget(id);
      this.peerReadTerms.delete(id);
    }
    this.knownIds = current;
    this.logger.info({ members: this.members().map((m) => `${m.id}${m.learner ? '(learner)' : ''}`) }, 'membership changed');
    if (!current.has(this.config.id)) this.logger.warn('this node was removed from the cluster');
  }

  private setHealth(hasLeader: boolean): void {
    const status = hasLeader && !this.stopping ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', status);
    this.health.setStatus(KV_SERVICE, status);
  }

  private async *readSnapshot(): AsyncIterable<Uint8Array> {
    const reader = await this.sm.openSnapshotReader();
    try {
      yield* this.watchedForDamage(reader.chunks(), 'snapshot');
    } finally {
      await reader.close();
    }
  }

  /** Passes the chunks on; damage the snapshot reader finds on the way is reported before it is thrown. */
  private async *watchedForDamage(chunks: AsyncIterable<Uint8Array>, where: string): AsyncIterable<Uint8Array> {
    try {
      yield* chunks;
    } catch (error) {
      if (error instanceof StateCorruptionError) this.integrity.stateDamaged(error, where);
      throw error;
    }
  }

  /**
   * Reads the whole state once after start, at a bounded rate, off the request path: every
   * record's checksum, and the hash of them all against the one stored with the applied index
   * (a lost record no read can see). Damage found is handled like damage a read finds.
   */
  private async scrubInBackground(): Promise<void> {
    const recordsPerSecondMax = this.config.limits.scrubRecordsPerSecondMax;
    if (recordsPerSecondMax === 0) return;
    try {
      const result = await this.sm.scrub({ recordsPerSecondMax });
      this.metrics.stateScrubs.inc({ outcome: result.outcome });
      this.logger.info({ ...result }, 'state scrub finished');
    } catch (error) {
      if (error instanceof StateCorruptionError) {
        this.metrics.stateScrubs.inc({ outcome: 'damaged' });
        this.integrity.stateDamaged(error, 'scrub');
        return;
      }
      this.metrics.stateScrubs.inc({ outcome: 'failed' });
      if (!this.stopping) this.logger.warn({ error: (error as Error).message }, 'state scrub failed');
    }
  }

  /**
   * Repairs this member from the others after damage found while running (a state record failing
   * its checksum, a state hash in the minority): records the repair marker (dropping the state
   * and the log), stops, and starts again in this process (runNode), which wipes, rejoins with
   * votes suspended and catches up by snapshot. Called more than once, it does it once.
   */
  requestRepair(reason: string): void {
    if (this.restartingForRepair || this.stopping) return;
    this.restartingForRepair = true;
    const finding = { kind: 'state-damaged' as const, detail: reason, stateUntrusted: true };
    // The running core's term: it has acknowledged nothing in a later one.
    const lossTerm = repairLossTerm({ previous: this.repair, termVoteTrusted: true, termNow: this.driver.status().term });
    const marker: RepairMarker = {
      reason: describeFindings([finding]),
      findings: [...(this.repair?.findings ?? []), finding],
      startedAtMs: this.repair?.startedAtMs ?? Date.now(),
      phase: 'wipe',
      dropState: true,
      ...(lossTerm === undefined ? {} : { lossTerm }),
    };
    this.logger.error({ reason }, 'damage found while running; restarting in this process to repair this member from the others');
    writeRepairMarker(this.config.dataDir, marker)
      .then(() => this.stop())
      .catch((error: unknown) => this.fatal(error));
  }

  repairStatus(): RepairStatus {
    const lastRepair = this.lastRepair;
    if (this.restartingForRepair) return { repairing: true, reason: 'restarting to repair: damage found while running', lastRepair };
    if (this.repair === undefined) return { repairing: false, reason: '', lastRepair };
    return { repairing: true, reason: this.repair.reason, lastRepair };
  }

  /**
   * Leaves repair once the core did (it holds what a leader of its term had committed when it
   * answered the report): removes the marker, so a restart no longer suspends votes.
   */
  private followRepair(): void {
    const repair = this.repair;
    if (repair === undefined || this.finishingRepair) return;
    const status = this.driver.status();
    if (status.repairing) {
      this.warnIfRepairWaits(status.repairCommitTarget, status.leaderId);
      return;
    }
    this.finishingRepair = true;
    removeRepairMarker(this.config.dataDir).then(
      () => {
        this.repair = undefined;
        this.finishingRepair = false;
        this.metrics.repairing.set(0);
        if (this.integrity.readsRefused) this.integrity.repaired();
        const tookMs = repair.startedAtMs > 0 ? Date.now() - repair.startedAtMs : undefined;
        this.lastRepair = `${new Date().toISOString()} ${repair.reason}${tookMs === undefined ? '' : ` (took ${tookMs} ms)`}`;
        this.logger.warn({ reason: repair.reason, appliedIndex: this.sm.appliedIndex, tookMs }, 'repair finished: this member holds what it had lost and votes again');
      },
      (error: unknown) => this.fatal(error),
    );
  }

  /**
   * A repair that no leader has answered for long may never finish (the other members lost data
   * too, or no quorum is up without this member's vote): say so every REPAIR_WAIT_WARN_MS.
   */
  private warnIfRepairWaits(commitTarget: number, leaderId: number): void {
    const now = Date.now();
    if (commitTarget > 0) {
      this.repairWaitingSinceMs = undefined;
      return;
    }
    this.repairWaitingSinceMs ??= now;
    if (now - this.repairWaitingSinceMs < REPAIR_WAIT_WARN_MS || now - this.repairWaitWarnedAtMs < REPAIR_WAIT_WARN_MS) return;
    this.repairWaitWarnedAtMs = now;
    this.logger.error(
      { waitingMs: now - this.repairWaitingSinceMs, leaderId },
      'repair waiting: no leader has answered this member yet; it does not vote meanwhile. If the other members lost data too, restore from a backup (docs/operations.md, Repair)',
    );
  }

  /** As leader: logs (once per member and term) a member reporting that it lost acknowledged entries. */
  private noteLostEntries(messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.lostEntries !== true || message.type !== 'heartbeatResponse' || this.driver.role !== 'leader') continue;
      const key = `${message.term}:${message.from}`;
      if (this.lostEntriesLogged.has(key)) continue;
      this.lostEntriesLogged.add(key);
      const progress = this.driver.status().progress.find((p) => p.id === message.from);
      this.metrics.membersLostEntries.inc();
      this.logger.warn(
        { member: message.from, term: message.term, matchIndex: progress?.match, memberLastIndex: message.index },
        `member ${message.from} lost entries it acknowledged; no longer counting them, catching it up`,
      );
    }
  }

  /**
   * Restores the state machine from a leader's snapshot before the core sees the message.
   * The stream reflects the leader's state when it was sent (at or after the snapshot's index);
   * everything in it is committed, so being ahead of the local log is safe: apply skips entries
   * the state machine already holds. Whether to restore is the driver's call, made once no
   * apply is in flight (NodeDriver.restoreSnapshotState); a stream not restored is drained.
   */
  private async receiveSnapshot(message: Message, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const index = message.snapshot?.meta.index ?? 0;
    const restored = index > this.sm.appliedIndex && (await this.driver.restoreSnapshotState(index, () => this.restoreSnapshot(message, chunks)));
    if (!restored) {
      for await (const _ of chunks) {
        // Drain: the state machine already holds this state; the core still answers the message.
      }
      return;
    }
    this.membershipChanged();
  }

  private async restoreSnapshot(message: Message, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const index = message.snapshot?.meta.index ?? 0;
    try {
      const meta = await this.sm.restoreSnapshot(chunks);
      this.logger.info({ index, restoredIndex: meta.appliedIndex, from: message.from }, 'state restored from a snapshot');
      // A stream behind the message's index does not back it: the core must not step it.
      if (meta.appliedIndex < index) throw new Error(`snapshot state at ${meta.appliedIndex} is behind the snapshot's index ${index}`);
    } catch (error) {
      // This release cannot go on from the leader's state: waiting would not help.
      if (error instanceof ApplyVersionError) this.fatal(error);
      throw error;
    }
  }

  async start(): Promise<void> {
    const { config } = this;
    this.clientServer.addService(
      this.protos.kv,
      kvServiceImplementation({
        path: this.requestPath,
        metrics: this.metrics,
        requestTimeoutMs: config.limits.requestTimeoutMs,
        inflight: this.inflight,
        inflightMax: config.limits.pendingProposalsMax + config.limits.pendingReadsMax,
        batchMessageRequestsMax: config.limits.batchMessageRequestsMax,
        watches: this.watches,
        leaseStream: {
          leasesMax: config.limits.leaseStreamLeasesMax,
          requestsPerSecond: config.limits.leaseStreamRequestsPerSecond,
          pendingMax: config.limits.leaseStreamPendingMax,
        },
        guard: this.guard,
      }),
    );
    this.clientServer.addService(this.protos.cluster, this.cluster.implementation());
    this.clientServer.addService(this.protos.auth, this.authService.implementation());
    this.health.addToServer(this.clientServer);
    new ReflectionService(this.protos.definition).addToServer(this.clientServer);
    this.peerServer.addService(this.protos.raft, this.transport.serviceImplementation());
    // Only members talk Raft: with TLS the peer listener always asks for a member's certificate.
    // One port answers both links: gRPC connections go on to peerServer (peerLink/listener.ts).
    this.peerListener = new PeerListener({
      grpcServer: this.peerServer,
      grpcCredentials: serverCredentials(config.tls, { requireClientCert: true }),
      tls: config.tls,
      inbound: this.transport.linkInbound(),
      logger: this.logger,
      grpcOnly: config.failpoints.grpcOnly === true,
    });
    this.peerPort = await this.peerListener.listen(config.peerListen);
    this.clientPort = await bind(
      this.clientServer,
      config.clientListen,
      serverCredentials(config.tls, { requireClientCert: config.tls?.clientAuth ?? false }),
    );
    if (config.metricsListen !== '') this.metricsServer = await serveMetrics(this.metrics, config.metricsListen, config.tls);
    this.watchTlsFiles();
    this.metrics.appliedIndex.set(this.sm.appliedIndex);
    this.startTicking();
    void this.scrubInBackground();
    this.logger.info(
      {
        clientListen: config.clientListen,
        peerListen: config.peerListen,
        applied: this.sm.appliedIndex,
        join: config.join,
        timing: electionTiming(config),
      },
      'node started',
    );
  }

  /**
   * Ticks follow the wall clock: a timer that fires late (a busy loop, a loaded machine) delivers
   * every tick that elapsed, so election timeouts do not stretch. A long stall (SIGSTOP) is capped
   * at one election timeout so that the node does not act on a backlog of ticks at once.
   */
  private startTicking(): void {
    const { tickMs, electionTicks } = this.config;
    let last = performance.now();
    let lastVersionCheck = last;
    this.ticker = setInterval(() => {
      const now = performance.now();
      const elapsed = Math.floor((now - last) / tickMs);
      if (elapsed < 1) return;
      last += elapsed * tickMs;
      this.driver.tick(Math.min(elapsed, electionTicks));
      this.leases.tick();
      if (now - lastVersionCheck >= APPLY_VERSION_CHECK_MS) {
        lastVersionCheck = now;
        this.followApplyVersion();
        this.handOverIfDamaged();
        this.followLeaderPreference(now);
        this.shareCurrentStateHash(now);
        this.followRepair();
        this.history.tick(now);
        this.maybeProbePeerRtts(now);
      }
    }, tickMs);
  }

  /**
   * Lease mode: a lease only while every other voter told lease mode and timing that keeps it
   * safe (driver/lease-terms.ts). A refusal, and its end, are logged once each.
   */
  private maybeLeaseAllowed(): boolean {
    const refusal = leaseRefusal({ selfId: this.config.id, own: this.readTerms, voters: this.sm.confState.voters, heard: this.peerReadTerms }) ?? '';
    if (refusal !== this.leaseRefusalSaid) {
      this.leaseRefusalSaid = refusal;
      if (refusal !== '') this.logger.warn({ reason: refusal }, 'lease mode: no read lease while a voter does not keep its side of it; linearizable reads take a quorum round');
      else this.logger.info('lease mode: every voter keeps its side of the read lease; leases resume');
    }
    return refusal === '';
  }

  /**
   * Every PEER_RTT_PROBE_EVERY_MS, an empty batch to every other member on the TCP link: its ack
   * times the round trip (peer-rtt.ts), so members that exchange no Raft messages (two
   * followers) still measure each other and `status --rtt` has every row filled.
   */
  private maybeProbePeerRtts(nowMs: number): void {
    if (nowMs - this.peerRttProbedAtMs < PEER_RTT_PROBE_EVERY_MS) return;
    this.peerRttProbedAtMs = nowMs;
    this.transport.probe(this.members().map((m) => m.id).filter((id) => id !== this.config.id));
  }

  /**
   * Offers the state as it stands for comparison, at most every STATE_HASH_SHARE_MS and only when
   * the applied index moved: members that stop at the same index (an idle cluster, a member just
   * restarted and caught up) compare at once instead of at the next checkpoint.
   */
  private shareCurrentStateHash(nowMs: number): void {
    if (nowMs - this.stateHashSharedAtMs < STATE_HASH_SHARE_MS) return;
    const current = this.sm.stateHash;
    if (current.index === this.stateHashSharedIndex || current.index === 0) return;
    this.stateHashSharedAtMs = nowMs;
    this.stateHashSharedIndex = current.index;
    this.stateHashes.own(current);
  }

  /**
   * A member that refuses reads must not lead: a leader answers writes from its own state.
   * It hands leadership to the most caught-up voter (again if it is elected once more).
   */
  private handOverIfDamaged(): void {
    if (!this.integrity.readsRefused || this.driver.role !== 'leader' || this.stopping) return;
    const now = Date.now();
    if (now - this.damagedHandOverAtMs < this.config.electionTicks * this.config.tickMs) return;
    this.damagedHandOverAtMs = now;
    const target = this.cluster.mostCaughtUpVoter();
    if (target === 0) return;
    this.logger.warn({ target }, 'handing leadership over: this member refuses reads until it is repaired');
    try {
      this.driver.transferLeadership(target);
    } catch (error) {
      this.logger.warn({ error: (error as Error).message }, 'leadership transfer refused');
    }
  }

  private fatal(error: unknown): void {
    if (error instanceof StateCorruptionError) {
      // Damage found by apply: the loop has stopped, so this member no longer takes part, but it
      // stays up to say why (status, metrics) and to be repaired; exiting would only crash again
      // at the same record after a restart.
      this.integrity.stateDamaged(error, 'apply');
      this.setHealth(false);
      return;
    }
    this.logger.fatal({ error: (error as Error).message, code: (error as { code?: string }).code, stack: (error as Error).stack }, 'fatal error; exiting');
    // Nothing after a failed fsync or a broken invariant can be trusted: no graceful close.
    process.exitCode = 1;
    this.resolveStopped(1);
    setImmediate(() => process.exit(1));
  }

  metricsText(): Promise<string> {
    return this.metrics.text();
  }

  reloadTls(trigger: string): boolean {
    const reloadable = this.config.tls?.reloadable;
    if (reloadable === undefined) return false;
    let changed: boolean;
    try {
      changed = reloadable.reload();
    } catch (error) {
      this.logger.error({ trigger, error: (error as Error).message }, 'TLS files not reloaded; the certificates in use stay');
      return false;
    }
    if (!changed) return false;
    const { cert, key, ca } = reloadable.material;
    // The peer link and the metrics listener take the new context for new connections.
    this.peerListener?.setSecureContext(reloadable.material);
    (this.metricsServer as { setSecureContext?: (options: object) => void } | undefined)?.setSecureContext?.({ cert, key, ca });
    const certificate = new X509Certificate(cert);
    this.logger.info({ trigger, subject: certificate.subject, subjectAltName: certificate.subjectAltName, validTo: certificate.validTo, fingerprint256: certificate.fingerprint256 }, 'TLS certificates reloaded');
    return true;
  }

  /** Polls the TLS files; a change is read once the files have been still for a moment. */
  private watchTlsFiles(): void {
    const files = this.config.tls?.files;
    if (files === undefined || this.config.tls?.reloadable === undefined) return;
    const paths = [...new Set([files.tlsCertFile, files.tlsKeyFile, files.tlsCaFile])];
    let settle: NodeJS.Timeout | undefined;
    const changed = (): void => {
      clearTimeout(settle);
      settle = setTimeout(() => this.reloadTls('file change'), TLS_FILES_SETTLE_MS);
    };
    for (const path of paths) watchFile(path, { interval: TLS_FILES_POLL_MS, persistent: false }, changed);
    this.stopWatchingTlsFiles = () => {
      clearTimeout(settle);
      for (const path of paths) unwatchFile(path, changed);
    };
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.shutdown();
    return this.stopPromise;
  }

  private async handOverLeadership(): Promise<void> {
    if (this.driver.role !== 'leader') return;
    const target = this.cluster.mostCaughtUpVoter();
    if (target === 0) return;
    this.logger.info({ target }, 'handing leadership over before shutdown');
    try {
      this.driver.transferLeadership(target);
    } catch (error) {
      this.logger.warn({ error: (error as Error).message }, 'leadership transfer refused');
      return;
    }
    const deadline = Date.now() + Math.min(this.config.limits.shutdownWaitMs, this.config.electionTicks * this.config.tickMs * 3);
    while (this.driver.role === 'leader' && Date.now() < deadline) await sleep(5);
  }

  private async shutdown(): Promise<void> {
    this.logger.info('shutting down');
    await this.handOverLeadership();
    // No more ticks: a stopping node must not time out and campaign. It still answers peers
    // (votes, appends) while requests in flight finish.
    clearInterval(this.ticker);
    this.stopping = true;
    this.setHealth(false);
    // Watches never finish on their own: end them, so their clients resume on another member.
    this.stopWatching();
    this.stopCheckpoints();
    this.watches.close();
    const deadline = Date.now() + this.config.limits.shutdownWaitMs;
    while ((this.inflight.count > 0 || this.driver.pendingProposalCount > 0) && Date.now() < deadline) await sleep(5);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.clientServer.forceShutdown();
        resolve();
      }, 500);
      this.clientServer.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    destroyOpenSessions(this.clientServer);
    this.peerListener?.close();
    destroyOpenSessions(this.peerServer);
    this.peerServer.forceShutdown();
    // A loop stopped by damage may never turn idle again: do not wait for it forever.
    await Promise.race([this.driver.stop(), sleep(DRIVER_STOP_WAIT_MS)]);
    this.transport.close();
    this.forwarder.close();
    this.cluster.close();
    this.authService.close();
    await closeHttpServer(this.metricsServer);
    this.stopWatchingTlsFiles();
    await this.log.close().catch((error: unknown) => this.logger.warn({ error: (error as Error).message }, 'closing the log failed'));
    await this.sm.close().catch((error: unknown) => this.logger.warn({ error: (error as Error).message }, 'closing the state failed'));
    this.logger.info(this.restartingForRepair ? 'stopped; starting again to repair' : 'stopped');
    this.resolveStopped(this.restartingForRepair ? RESTART_FOR_REPAIR : 0);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Destroys the HTTP/2 sessions a server still has open. grpc-js (1.14) keeps them out of
 * forceShutdown when channelz is off (as here, for speed): peers and clients connected before a
 * restart in this process would go on talking to the stopped node's handlers over them. Reaches
 * into grpc-js's private table; if a release renames it, nothing happens (the process-exit paths
 * do not need it).
 */
function destroyOpenSessions(server: grpc.Server): void {
  const servers = (server as unknown as { http2Servers?: Map<unknown, { sessions?: Set<Http2Session> }> }).http2Servers;
  for (const entry of servers?.values() ?? []) for (const session of entry.sessions ?? []) session.destroy();
}

/** How long a repair may wait for a leader's answer before the node says so (and again as often). */
const REPAIR_WAIT_WARN_MS = 30_000;

/** Longest wait at stop for the loop to finish its Ready in flight. */
const DRIVER_STOP_WAIT_MS = 5000;

/** Closes the metrics server and its connections, so the port is free for a restart in this process. */
function closeHttpServer(server: HttpServer | undefined): Promise<void> {
  if (server === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port)));
  });
}

/**
 * --restore-backup: fills the empty state machine from the file before the new one-member log is
 * bootstrapped over it (the bootstrap entry then adds this node as the only voter). On a data
 * dir this same file seeded before, it does nothing (see restore-marker.ts).
 */
async function seedFromBackup(config: NodeConfig, log: LevelLogStorage, sm: KvStateMachine, logger: Logger): Promise<void> {
  const backup = backupIdentity(config.restoreBackup);
  if (!log.isEmpty() || sm.appliedIndex !== 0) {
    const seededBy = readRestoreMarker(config.dataDir);
    if (seededBy !== undefined && sameBackup(seededBy, backup)) {
      logger.info({ file: backup.file }, 'the data dir was seeded from this backup at its first start; starting from its data');
      return;
    }
    const origin = seededBy === undefined ? '' : ` seeded from ${seededBy.file} (${seededBy.bytes} bytes, modified ${new Date(seededBy.modifiedMs).toISOString()})`;
    throw new ConfigError(
      'restoreBackup',
      `${config.dataDir} already holds a log or a state${origin}; a backup seeds only an empty data dir (start without --restore-backup to use it)`,
    );
  }
  const meta = await sm.seedFromBackup(readBackupFile(config.restoreBackup, SNAPSHOT_CHUNK_BYTES_MAX));
  // The seeded keys are in no log entry, so a member that joins later must receive them by
  // snapshot, never by replaying the log from index 1: apply the bootstrap entry here and compact
  // the log past it before anything else runs.
  const entries = bootstrapLog(config);
  const last = entries[entries.length - 1];
  assert(last !== undefined, () => 'a bootstrap log has at least one entry');
  await log.bootstrap({ entries, hardState: bootstrapHardState(config.initialCluster.map((m) => m.id)), confState: { voters: [], learners: [] } });
  await sm.apply(entries);
  await sm.sync();
  await log.compact({
    snapshot: { meta: { index: last.index, term: last.term, confState: sm.confState }, data: new Uint8Array() },
    keepAfterIndex: last.index,
  });
  writeRestoreMarker(config.dataDir, backup);
  logger.info(
    { file: config.restoreBackup, revision: meta.revision, appliedIndex: sm.appliedIndex },
    'seeded the state from a backup; bootstrapped a one-member log compacted past it',
  );
}

/** Reads and checks a backup file as --restore-backup would, writing nothing (`holdfast backup info`). */
export function inspectBackup(path: string): Promise<BackupSummary> {
  return inspectBackupFile(path, SNAPSHOT_CHUNK_BYTES_MAX);
}

/** Seeds or bootstraps a fresh data dir as configured, and checks the log and state agree. */
async function prepareData(
  config: NodeConfig,
  storage: { log: LevelLogStorage; sm: KvStateMachine; repairing: boolean },
  logger: Logger,
): Promise<void> {
  const { log, sm } = storage;
  if (config.restoreBackup !== '' && !storage.repairing) {
    await seedFromBackup(config, log, sm, logger);
  } else if (log.isEmpty() && !config.join && !storage.repairing) {
    await refuseSecondBootstrap(config, { protos: loadProtos(), credentials: dialCredentials(config.tls) });
    const ids = config.initialCluster.map((m) => m.id);
    await log.bootstrap({ entries: bootstrapLog(config), hardState: bootstrapHardState(ids), confState: { voters: [], learners: [] } });
    logger.info({ members: ids }, 'bootstrapped a new log');
  }
  await checkClusterIdentity(config, { holdsLog: !log.isEmpty() });
  const snapshotIndex = log.firstIndex() - 1;
  assert(
    sm.appliedIndex >= snapshotIndex,
    () => `state machine applied index ${sm.appliedIndex} is below the log's snapshot index ${snapshotIndex}: the data directory is inconsistent`,
  );
}

/** Opens storage (bootstrapping a fresh member, repairing a damaged one), builds the node and starts serving. */
export async function startNode(given: NodeConfig, logger?: Logger): Promise<RunningNode> {
  // TLS files are read again on a change or SIGHUP: every credential the node makes follows them.
  const config: NodeConfig = given.tls === undefined ? given : { ...given, tls: { ...given.tls, reloadable: new ReloadableTls(given.tls) } };
  const log0 = logger ?? pino({ level: config.logLevel, base: { node: config.id, name: config.name } });
  const failpoints = config.failpoints;
  if (failpoints.fsyncDelayMs > 0 || failpoints.fsyncFail || failpoints.diskFull || failpoints.applyVersionMax > 0) {
    log0.warn({ failpoints }, 'failpoints active');
  }
  const hadState = existsSync(config.dataDir) && readdirSync(config.dataDir).some((name) => !name.startsWith('read-mode'));
  mkdirSync(config.dataDir, { recursive: true });
  const holdVotes = holdsVotesAtStart({ mode: config.readMode, previous: readReadModeMarker(config.dataDir), hadState });
  writeReadModeMarker(config.dataDir, config.readMode);
  const storageLimits = storageLimitsOf(config);
  const { log, sm, repair } = await openStorage(config, storageLimits, log0);
  const node = new Node(config, log0, log, sm, storageLimits, repair, holdVotes);
  await node.start();
  return node;
}

interface OpenedStorage {
  log?: LevelLogStorage;
  sm?: KvStateMachine;
  findings: DamageFinding[];
}

/** Opens the log and the state; damage that keeps either from opening is a finding, not a crash. */
async function openDatabases(
  config: NodeConfig,
  storageLimits: StorageLimits,
  logger: Logger,
  checks: { agreement: boolean } = { agreement: true },
): Promise<OpenedStorage> {
  const storageLogger = logger.child({ component: 'storage' });
  const opened: OpenedStorage = { findings: [] };
  try {
    opened.log = await LevelLogStorage.open({
      dir: join(config.dataDir, 'log'),
      limits: { entryBytesMax: config.limits.requestBytesMax + 64 * 1024 },
      logger: storageLogger,
      termVotePath: join(config.dataDir, TERM_VOTE_FILE),
    });
  } catch (error) {
    if (!(error instanceof LogCorruptionError)) throw error;
    const kind = error instanceof LogCommitBeyondEndError ? 'commit-past-log-end' : 'log-unreadable';
    opened.findings.push({ kind, detail: error.message, stateUntrusted: false });
  }
  try {
    opened.sm = await KvStateMachine.open({
      dir: join(config.dataDir, 'kv'),
      limits: storageLimits,
      sessions: { sessionIdleMsMax: config.limits.sessionTtlMs, sessionsMax: config.limits.sessionsMax, answersPerSessionMax: config.limits.sessionAnswersMax },
      snapshotChunkBytes: SNAPSHOT_CHUNK_BYTES,
      stateHashCheckpointEntries: config.limits.stateHashCheckpointEntries,
      stateHashCheckpointsKept: STATE_HASH_CHECKPOINTS_KEPT,
      ...(config.failpoints.applyVersionMax > 0 ? { applyVersionMax: config.failpoints.applyVersionMax } : {}),
      logger: storageLogger,
    });
  } catch (error) {
    if (!(error instanceof StateCorruptionError)) {
      await opened.log?.close().catch(() => undefined);
      throw error;
    }
    opened.findings.push({ kind: 'state-unreadable', detail: error.message, stateUntrusted: true });
  }
  opened.findings.push(...openFindings(opened.log, opened.sm));
  if (checks.agreement && opened.log !== undefined && opened.sm !== undefined) opened.findings.push(...agreementFindings(opened.log, opened.sm));
  return opened;
}

async function closeDatabases(opened: OpenedStorage): Promise<void> {
  await opened.sm?.close().catch(() => undefined);
  await opened.log?.close().catch(() => undefined);
}

/**
 * Opens storage and runs the start-time checks. Any finding (or a repair interrupted before its
 * wipe finished) starts a repair: marker, wipe of what cannot be trusted, reopen; a member in
 * repair starts with votes suspended. Where repair cannot be safe: RepairUnsafeError, nothing
 * changed on disk.
 */
async function openStorage(
  config: NodeConfig,
  storageLimits: StorageLimits,
  logger: Logger,
): Promise<{ log: LevelLogStorage; sm: KvStateMachine; repair: RepairMarker | undefined }> {
  let repair = await readRepairMarker(config.dataDir);
  // Read before the log's open brings the file up to date from the log.
  const termVoteTrusted = (await readTermVoteFile(join(config.dataDir, TERM_VOTE_FILE))).kind === 'ok';
  let opened = await openDatabases(config, storageLimits, logger);
  try {
    const { findings } = opened;
    for (const finding of findings) logger.error({ kind: finding.kind, detail: finding.detail }, `damage found at start: ${finding.kind}`);
    if (findings.length > 0 || repair?.phase === 'wipe') {
      const reason = findings.length > 0 ? describeFindings(findings) : (repair?.reason ?? '');
      assertRepairPossible({ selfId: config.id, voters: knownVoters(config, opened), reason, dataDir: config.dataDir });
      repair = {
        reason,
        findings: [...(repair?.findings ?? []), ...findings],
        startedAtMs: repair?.startedAtMs ?? Date.now(),
        phase: 'wipe',
        dropState: (repair?.dropState ?? false) || opened.sm === undefined || findings.some((finding) => finding.stateUntrusted),
        ...lossTermOf(repair, findings.length > 0 ? { termVoteTrusted, termNow: await termAtOpen(opened, config) } : undefined),
      };
      await writeRepairMarker(config.dataDir, repair);
      logger.warn(
        { reason, dropState: repair.dropState },
        `repairing this member from the others: dropping its log${repair.dropState ? ' and its state' : ' (keeping its state as a snapshot)'}`,
      );
      await closeDatabases(opened);
      await wipeUntrusted({ logDir: join(config.dataDir, 'log'), stateDir: join(config.dataDir, 'kv'), dropState: repair.dropState });
      // The log is empty until it is restarted from the state: check their agreement after that.
      opened = await openDatabases(config, storageLimits, logger, { agreement: false });
      if (opened.log !== undefined && opened.sm !== undefined && opened.findings.length === 0) {
        if (!repair.dropState) await restartLogFromState(opened.log, opened.sm);
        opened.findings.push(...agreementFindings(opened.log, opened.sm));
      }
      if (opened.log === undefined || opened.sm === undefined || opened.findings.length > 0) {
        throw new Error(`storage is still damaged after the repair wiped it: ${describeFindings(opened.findings)}`);
      }
      repair = { ...repair, phase: 'rejoin' };
      await writeRepairMarker(config.dataDir, repair);
    }
    const { log, sm } = opened;
    assert(log !== undefined && sm !== undefined, () => 'both databases are open once no finding is left');
    await prepareData(config, { log, sm, repairing: repair !== undefined }, logger);
    return { log, sm, repair };
  } catch (error) {
    if (error instanceof RepairUnsafeError) logger.fatal({ dataDir: config.dataDir }, error.message);
    // A refused start lets go of the databases (their LevelDB locks), so it can be tried again.
    await closeDatabases(opened);
    throw error;
  }
}

/** The newest term at this start: the log's (the newer of its own and the file's), else the file's. */
async function termAtOpen(opened: OpenedStorage, config: NodeConfig): Promise<number> {
  if (opened.log !== undefined) return opened.log.hardState().term;
  const read = await readTermVoteFile(join(config.dataDir, TERM_VOTE_FILE));
  return read.kind === 'ok' ? read.termVote.term : 0;
}

/** The loss term for a repair marker: widened by new findings, else the one under way kept. */
function lossTermOf(previous: RepairMarker | undefined, found: { termVoteTrusted: boolean; termNow: number } | undefined): { lossTerm?: number } {
  const lossTerm = found === undefined ? previous?.lossTerm : repairLossTerm({ previous, ...found });
  return lossTerm === undefined ? {} : { lossTerm };
}

/**
 * The voters this member knows of: from its state when it is readable and has any, else from its
 * log's membership, else the configured initial cluster.
 */
function knownVoters(config: NodeConfig, opened: OpenedStorage): readonly NodeId[] {
  const fromState = opened.sm?.confState.voters ?? [];
  if (fromState.length > 0) return fromState;
  const fromLog = opened.log?.initialState().confState.voters ?? [];
  if (fromLog.length > 0) return fromLog;
  return config.initialCluster.map((member) => member.id);
}

/**
 * The process entry point used by `main.ts` and `holdfast node`: parse the configuration, start,
 * stop on SIGTERM/SIGINT, exit with the node's exit code.
 */
export async function runNode(argv: readonly string[]): Promise<RunningNode> {
  const config = parseNodeConfig(argv);
  let node = await startNode(config);
  const first = node;
  let signalled = false;
  const onSignal = (signal: string): void => {
    signalled = true;
    node.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`${signal}: shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGHUP', () => node.reloadTls('SIGHUP'));
  if (process.env['HOLDFAST_EXIT_WITH_PARENT'] === '1') {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) onSignal('parent exit');
    }, 500).unref();
  }
  // A node that found damage while running stops and starts again here, in repair: no outside
  // supervisor is needed.
  void (async () => {
    while ((await node.stopped) === RESTART_FOR_REPAIR && !signalled) {
      try {
        node = await startNode(config);
      } catch (error) {
        console.error(`holdfast: ${error instanceof RepairUnsafeError ? error.message : `restart for repair failed: ${(error as Error).stack ?? String(error)}`}`);
        process.exit(1);
      }
    }
  })();
  return first;
}

/**
 * What a new leader adds to every lease's TTL before it expires any: at least the longest election
 * timeout (the core draws it from [electionTicks, electionTicks + spread) ticks, spread at most
 * electionTicks), so no lease expires because its
 * leader died or because the old leader answered a keepalive the new one never heard of.
 */
export function leaseExtensionMs(config: { readonly electionTicks: number; readonly tickMs: number }): number {
  return 2 * config.electionTicks * config.tickMs;
}


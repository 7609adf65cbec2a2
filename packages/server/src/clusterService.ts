/**
 * The Cluster service: membership changes (through the log, with the member's record in the
 * conf change context), leadership transfer, member list, status and backups. Changes are made
 * by the leader; any other node forwards them to it.
 */
import * as grpc from '@grpc/grpc-js';
import type { NodeId } from '@holdfast/raft';
import { type AuthState, encodeMemberContext, type MemberRecord, type Placement, type SnapshotReader, type SurvivalGoal } from '@holdfast/storage';
import { checkAddress, type ConfigError } from './config.js';
import type { NodeDriver } from './driver.js';
import {
  authChangedError,
  forwardFailure,
  HoldfastError,
  InvalidRequestError,
  NoLeaderError,
  NotLeaderError,
  OverloadedError,
  TimeoutError,
  toServiceError,
} from './errors.js';
import { AUTH_REVISION_METADATA, checkedAuthRevisionOf } from './auth/authService.js';
import { rethrowAfterAuthCatchUp } from './auth/guard.js';
import { FORWARDED_METADATA } from './forwarder.js';
import type { PeerRttView } from './peer-rtt.js';
import { checkLayoutMeetsGoal, describeLayout, layoutOf, survivesRegionLoss } from './placement.js';
import type { HistoryStatus } from './metrics.js';
// Status answers are built in their decoded shape (every field present): a member's own status
// is merged with the ones it asks the others for.
import type {
  BackupChunk,
  BackupRequest__Output,
  ClusterClient,
  FollowerProgress__Output as FollowerProgress,
  Member__Output as Member,
  MemberStatus__Output as MemberStatus,
  Protos,
  ResponseHeader__Output as ResponseHeader,
  StatusResponse__Output as StatusResponse,
} from '@holdfast/protocol';

/** A member's repair as status shows it. */
export interface RepairStatus {
  repairing: boolean;
  /** Why it is in repair ('' when not). */
  reason: string;
  /** The last repair finished since the process started: when, why, how long ('' if none). */
  lastRepair: string;
}

export interface ClusterHost {
  readonly selfId: NodeId;
  readonly protos: Protos;
  /** How to dial other members (plaintext, or TLS with this node's certificate). */
  readonly dialCredentials: grpc.ChannelCredentials;
  readonly driver: NodeDriver;
  readonly requestTimeoutMs: number;
  /** Current members (learner flag included), sorted by id. */
  members(): MemberRecord[];
  header(): ResponseHeader;
  /** The highest member id ever applied (removed members included), so a new member never reuses one. */
  memberIdMax(): number;
  /** Learners whose match index is within this many entries of the commit index may be promoted. */
  readonly promoteLagEntriesMax: number;
  /**
   * A consistent view of the whole state after a read barrier (every write acknowledged before
   * the call is in it); the caller closes it. `afterBarrier` runs between the barrier and the
   * view (it throws to refuse the backup).
   */
  openBackup(deadlineMs: number, afterBarrier?: () => void): Promise<SnapshotReader>;
  /**
   * Makes a call's auth check again against the auth state applied now (auth/guard.ts
   * checkAgain): a backup is a linearizable read, checked again after its barrier. Absent: none.
   */
  checkAgain?(path: string, metadata: grpc.Metadata, message: unknown): void;
  /** The auth revision a call was admitted at (auth/guard.ts); absent or undefined: auth not seen. */
  admittedAuthRevision?(metadata: grpc.Metadata): number | undefined;
  /** The auth state as of the applied index; absent: no auth. */
  auth?(): AuthState | undefined;
  /** Backups streaming at once at most; more are refused with RESOURCE_EXHAUSTED. */
  readonly backupsMax: number;
  /** Bytes of keys and values held, as of the applied index. */
  storeBytes(): number;
  /** The key history's status (keys held, compacted revision, bytes on disk). */
  history(): HistoryStatus;
  /** The store quota this node stamps on writes when it leads. */
  readonly storeBytesMax: number;
  /** The newest apply version this member's release implements. */
  readonly applyVersionMax: number;
  /** The apply version of the state, as of the applied index. */
  clusterVersion(): number;
  /** Integrity alarms this member raised, newest last (see integrity.ts). */
  alarms(): string[];
  /** True while this member refuses reads (damaged state, or the minority of a hash comparison). */
  readsRefused(): boolean;
  /** In repair (see repair.ts), and why; the last repair finished. */
  repairStatus(): RepairStatus;
  /** The cluster's placement setting, as of the applied index. */
  placement(): Placement;
  /**
   * Proposes a new placement setting through the log; resolves with the setting in force.
   * `authRevision`: the auth revision the call was checked against (stamped like a write's, so
   * a caller whose right an auth change applied before it revoked is refused auth-changed).
   */
  proposePlacement(placement: Placement, deadlineMs: number, authRevision?: number): Promise<Placement>;
  /** Round-trip times measured to peers (peer-rtt.ts). */
  peerRtts(): PeerRttView[];
  /** The minimum election timeout, and the width of its randomized range (ms). */
  readonly electionTimeoutMs: number;
  readonly electionSpreadMs: number;
  readonly readMode: string;
  /** Milliseconds left on this leader's read lease (0: none). */
  leaseRemainingMs(): number;
  /** The `authorization` metadata a forwarded call carries while auth is on (this member's token); absent: none. */
  authorization?(): string | undefined;
}

/** status warns when the election timeout is below this many times the largest RTT measured. */
const ELECTION_TIMEOUT_RTT_RATIO_MIN = 10;

const STATUS_ASK_MS = 300;

/**
 * How often a membership change refused because the new leader has not yet committed an entry
 * of its term (dissertation §4.1) is proposed again. The leader appends that entry on election,
 * so the wait is about one commit round; the caller's deadline bounds it.
 */
const CONF_CHANGE_RETRY_MS = 20;

/** Bytes of a member's name or region: they travel in every conf change and member list. */
export const MEMBER_LABEL_BYTES_MAX = 256;

/** A member id from a request: a positive safe integer (a uint64 past 2^53 is not one). */
function memberIdOf(value: unknown, field: string): NodeId {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw new InvalidRequestError('invalid-argument', `${field} ${String(value)} is not a member id`);
  return id;
}

function labelOf(value: unknown, field: string): string {
  const label = String(value ?? '');
  if (Buffer.byteLength(label) > MEMBER_LABEL_BYTES_MAX) {
    throw new InvalidRequestError('invalid-argument', `${field} is ${Buffer.byteLength(label)} bytes; the limit is ${MEMBER_LABEL_BYTES_MAX}`);
  }
  return label;
}

function toMember(record: MemberRecord): Member {
  return {
    id: record.id,
    name: record.name,
    region: record.region,
    clientAddress: record.clientAddress,
    peerAddress: record.peerAddress,
    learner: record.learner,
  };
}

type Handler = (request: Record<string, unknown>, forwarded: boolean, metadata: grpc.Metadata) => Promise<object>;


/**
 * Resolves when the stream takes more, or when the client is gone (cancelled, closed): a
 * backup whose client left must not hold its snapshot and its slot forever.
 */
function drainedOrGone(call: grpc.ServerWritableStream<BackupRequest__Output, BackupChunk>): Promise<void> {
  return new Promise<void>((resolve) => {
    const events = ['drain', 'cancelled', 'close', 'error', 'finish'] as const;
    const done = (): void => {
      for (const event of events) call.off(event, done);
      resolve();
    };
    for (const event of events) call.on(event, done);
  });
}

/** The Backup method's path, as the auth rules name it. */
const BACKUP_PATH = '/holdfast.v1.Cluster/Backup';

export class ClusterService {
  private backupsRunning = 0;
  private readonly clients = new Map<string, ClusterClient>();

  constructor(private readonly host: ClusterHost) {}

  implementation(): grpc.UntypedServiceImplementation {
    const wrap =
      (handler: Handler, name: string, leaderOnly: boolean, authCheckedAgain = false) =>
      (call: grpc.ServerUnaryCall<Record<string, unknown>, object>, callback: grpc.sendUnaryData<object>): void => {
        const forwarded = call.metadata.get(FORWARDED_METADATA).length > 0;
        // Started inside a promise: whatever a handler throws becomes the call's status.
        const answer = Promise.resolve().then(async () => {
          if (leaderOnly && this.host.driver.role !== 'leader') {
            return this.forward(name, call.request, forwarded, this.checkedAuthRevision(call.metadata));
          }
          if (authCheckedAgain) await this.refuseIfAuthChanged(call.metadata, name);
          return handler(call.request, forwarded, call.metadata);
        });
        answer.then(
          (response) => callback(null, response),
          (error: unknown) => callback(toServiceError(error)),
        );
      };
    return {
      Status: wrap((r) => this.status(r['localOnly'] === true), 'status', false),
      MemberList: wrap(async () => ({ header: this.host.header(), members: this.memberList() }), 'memberList', false),
      MemberAddLearner: wrap((r) => this.addLearner(r), 'memberAddLearner', true, true),
      MemberPromote: wrap(async (r) => this.promote(memberIdOf(r['id'], 'id')), 'memberPromote', true, true),
      MemberRemove: wrap(async (r) => this.remove(memberIdOf(r['id'], 'id')), 'memberRemove', true, true),
      // target_id 0 asks for the most caught-up voter.
      TransferLeadership: wrap(
        async (r) => this.transfer(Number(r['targetId']) === 0 ? 0 : memberIdOf(r['targetId'], 'target_id')),
        'transferLeadership',
        true,
        true,
      ),
      SetPlacement: wrap((r, _forwarded, metadata) => this.setPlacement(r, this.checkedAuthRevision(metadata)), 'setPlacement', true),
      Backup: (call: grpc.ServerWritableStream<BackupRequest__Output, BackupChunk>) => {
        this.backup(call).then(
          () => call.end(),
          // grpc-js sends the error's status when the call emits it (and ends the call).
          (error: unknown) => call.emit('error', toServiceError(error)),
        );
      },
    };
  }

  /** Streams the state's snapshot chunks as they are, waiting for the client to take each; refused (after the barrier) to a caller who lost the right meanwhile. */
  private async backup(call: grpc.ServerWritableStream<BackupRequest__Output, BackupChunk>): Promise<void> {
    if (this.backupsRunning >= this.host.backupsMax) {
      throw new OverloadedError(`${this.backupsRunning} backups are streaming (limit ${this.host.backupsMax}); retry later`);
    }
    this.backupsRunning += 1;
    try {
      const reader = await this.host.openBackup(this.deadline(), () => this.host.checkAgain?.(BACKUP_PATH, call.metadata, call.request));
      try {
        const header = { ...this.host.header(), revision: reader.meta.revision };
        let first = true;
        for await (const data of reader.chunks()) {
          if (call.cancelled) return;
          const more = call.write(first ? { header, data } : { data });
          first = false;
          if (!more) await drainedOrGone(call);
        }
      } finally {
        await reader.close();
      }
    } finally {
      this.backupsRunning -= 1;
    }
  }

  private memberList(): Member[] {
    return this.host.members().map(toMember);
  }

  private deadline(): number {
    return Date.now() + this.host.requestTimeoutMs;
  }

  private clientAddressOf(id: NodeId): string {
    return this.host.members().find((m) => m.id === id)?.clientAddress ?? '';
  }

  /**
   * Sends the call to the leader's Cluster service, once. `checkedAuthRevision`: what the call was
   * checked against here, which the leader stamps on (or checks before) the change.
   */
  private forward(method: string, request: object, forwarded: boolean, checkedAuthRevision: number | undefined): Promise<object> {
    const leaderId = this.host.driver.leaderId;
    if (leaderId === 0) return Promise.reject(new NoLeaderError());
    const address = this.clientAddressOf(leaderId);
    if (forwarded || address === '') return Promise.reject(new NotLeaderError(address));
    const deadlineMs = this.deadline();
    return this.callMember(address, method, request, this.host.requestTimeoutMs, true, checkedAuthRevision).catch((error: unknown) => {
      const refusal = error instanceof HoldfastError ? error : forwardFailure(error as grpc.ServiceError, method);
      const auth = this.host.auth;
      return rethrowAfterAuthCatchUp(refusal, auth === undefined ? undefined : checkedAuthRevision, { auth: () => auth?.(), stopping: () => false, deadlineMs });
    });
  }

  /**
   * A membership change is a Raft configuration entry, not a command the state machine can refuse
   * at apply as it refuses a write stamped with an older auth revision. So the leader checks before
   * it proposes: after a read barrier (every auth change committed before now applied here), an
   * auth state past the revision the caller was checked against (here, or on the member that
   * forwarded the call) refuses the change auth-changed, nothing proposed; the SDK sends it again,
   * to be checked against the newer state. An auth change committed after the barrier was
   * concurrent with the call, and either order is allowed.
   */
  private async refuseIfAuthChanged(metadata: grpc.Metadata, what: string): Promise<void> {
    const checked = this.checkedAuthRevision(metadata);
    const auth = this.host.auth;
    if (checked === undefined || auth === undefined) return;
    // Also while auth looks off here: an enable committed before the call may not be applied yet.
    await this.host.driver.readBarrier(this.deadline());
    const now = auth();
    if (now === undefined || !now.enabled || now.revision <= checked) return;
    throw authChangedError(what, { checkedAuthRevision: checked, authRevision: now.revision });
  }

  /** The auth revision a call was checked against here, or the lower one its forwarder says. */
  private checkedAuthRevision(metadata: grpc.Metadata): number | undefined {
    return checkedAuthRevisionOf(this.host.admittedAuthRevision?.(metadata), metadata);
  }

  /**
   * One channel per member address, kept between calls (with TLS a new channel is a handshake).
   * Channels to addresses no member has any longer are closed when a new one opens, so there are
   * never more than the members' addresses and the one being dialled.
   */
  private clientFor(address: string): ClusterClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      const current = new Set(this.host.members().map((m) => m.clientAddress));
      for (const [known, stale] of this.clients) {
        if (current.has(known)) continue;
        stale.close();
        this.clients.delete(known);
      }
      client = new this.host.protos.ClusterClient(address, this.host.dialCredentials);
      this.clients.set(address, client);
    }
    return client;
  }

  /**
   * A member that did not answer is dialled on a new channel next time, so its name is resolved
   * again: a member back at a new address (a restarted container) shows in `status` at once.
   */
  private redialAfter(address: string, client: ClusterClient, error: grpc.ServiceError): void {
    if (error.code !== grpc.status.UNAVAILABLE && error.code !== grpc.status.DEADLINE_EXCEEDED) return;
    if (this.clients.get(address) !== client) return;
    this.clients.delete(address);
    client.close();
  }

  /** Closes the channels to other members (at stop). */
  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private callMember(
    address: string,
    method: string,
    request: object,
    timeoutMs: number,
    markForwarded: boolean,
    checkedAuthRevision?: number,
  ): Promise<object> {
    const client = this.clientFor(address);
    const metadata = new grpc.Metadata();
    if (markForwarded) {
      metadata.set(FORWARDED_METADATA, '1');
      // The caller was checked here; the leader takes the call as this member's.
      const authorization = this.host.authorization?.();
      if (authorization !== undefined) metadata.set('authorization', authorization);
      if (checkedAuthRevision !== undefined) metadata.set(AUTH_REVISION_METADATA, String(checkedAuthRevision));
    }
    return new Promise<object>((resolve, reject) => {
      const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method];
      if (!fn) {
        reject(new Error(`no Cluster method ${method}`));
        return;
      }
      fn.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (error: grpc.ServiceError | null, response: object) => {
        if (error) {
          this.redialAfter(address, client, error);
          reject(error);
        } else {
          resolve(response);
        }
      });
    });
  }

  private nextMemberId(): NodeId {
    const status = this.host.driver.status();
    const known = [
      ...this.host.members().map((m) => m.id),
      ...status.confState.voters,
      ...status.confState.learners,
      this.host.memberIdMax(),
      this.host.selfId,
    ];
    return Math.max(0, ...known) + 1;
  }

  private async addLearner(request: Record<string, unknown>): Promise<object> {
    const clientAddress = String(request['clientAddress'] ?? '');
    const peerAddress = String(request['peerAddress'] ?? '');
    try {
      checkAddress('clientAddress', clientAddress);
      checkAddress('peerAddress', peerAddress);
    } catch (error) {
      throw new InvalidRequestError('invalid-argument', (error as ConfigError).message);
    }
    const id = this.nextMemberId();
    const name = labelOf(request['name'], 'name') || `node-${id}`;
    const record: MemberRecord = { id, name, region: labelOf(request['region'], 'region') || 'local', clientAddress, peerAddress, learner: true };
    await this.change({ type: 'addLearner', nodeId: id, context: encodeMemberContext(record) });
    return { header: this.host.header(), member: toMember(record), members: this.memberList() };
  }

  private async promote(id: NodeId): Promise<object> {
    const record = this.host.members().find((m) => m.id === id);
    if (!record) throw new InvalidRequestError('invalid-argument', `member ${id} does not exist`);
    if (!record.learner) throw new InvalidRequestError('invalid-argument', `member ${id} is already a voter`);
    const status = this.host.driver.status();
    const progress = status.progress.find((p) => p.id === id);
    // A voter that is down or far behind weakens the quorum the moment it counts, so only a
    // learner that is answering now (heard from within an election timeout, acknowledged at least
    // one entry) and is close to the commit index may become one.
    if (!progress || progress.match === 0 || !progress.recentActive) {
      throw new InvalidRequestError('invalid-argument', `learner ${id} is not replicating yet (is its node running?); retry later`);
    }
    const lag = status.commit - progress.match;
    if (lag > this.host.promoteLagEntriesMax) {
      throw new InvalidRequestError('invalid-argument', `learner ${id} has not caught up (${lag} entries behind); retry later`);
    }
    const after = this.host.members().map((m) => (m.id === id ? { ...m, learner: false } : m));
    checkLayoutMeetsGoal(this.host.placement(), after, `promoting member ${id} (${record.region})`);
    await this.change({ type: 'promoteLearner', nodeId: id, context: encodeMemberContext({ ...record, learner: false }) });
    return { header: this.host.header(), members: this.memberList() };
  }

  private async remove(id: NodeId): Promise<object> {
    const record = this.host.members().find((m) => m.id === id);
    if (!record) throw new InvalidRequestError('invalid-argument', `member ${id} does not exist`);
    if (!record.learner) {
      const after = this.host.members().filter((m) => m.id !== id);
      checkLayoutMeetsGoal(this.host.placement(), after, `removing member ${id} (${record.region})`);
    }
    await this.change({ type: 'removeNode', nodeId: id });
    return { header: this.host.header(), members: this.memberList() };
  }

  private async change(change: Parameters<NodeDriver['proposeConfChange']>[0]): Promise<void> {
    const deadlineMs = this.deadline();
    for (;;) {
      try {
        await this.host.driver.proposeConfChange(change, deadlineMs);
        return;
      } catch (error) {
        if (error instanceof HoldfastError) throw error;
        const code = (error as { code?: string }).code;
        if (code === 'CONF_CHANGE_TOO_EARLY') {
          // Nothing was proposed: a leader elected a moment ago; wait for its first commit.
          if (Date.now() + CONF_CHANGE_RETRY_MS < deadlineMs) {
            await new Promise((resolve) => setTimeout(resolve, CONF_CHANGE_RETRY_MS));
            continue;
          }
          throw new HoldfastError('no-leader', `${(error as Error).message}: the leader was elected a moment ago; retry (nothing was changed)`);
        }
        if (code === 'CONF_CHANGE_INVALID' || code === 'CONF_CHANGE_PENDING') {
          throw new InvalidRequestError('invalid-argument', (error as Error).message);
        }
        if (code === 'NOT_LEADER') throw new NoLeaderError();
        throw error;
      }
    }
  }

  /**
   * Replaces the placement setting; fields the request leaves out keep their value. A survival
   * goal of `region` is refused unless the voters' layout survives the loss of any one region.
   */
  private async setPlacement(request: Record<string, unknown>, checkedAuthRevision: number | undefined): Promise<object> {
    const current = this.host.placement();
    const survive = String(request['survive'] ?? '');
    if (survive !== '' && survive !== 'member' && survive !== 'region') {
      throw new InvalidRequestError('invalid-argument', `survival goal ${survive} is unknown (member or region)`);
    }
    const regions = request['leaderRegionsSet'] === true ? (request['leaderRegions'] as unknown[]).map(String) : current.leaderRegions;
    const placement: Placement = { leaderRegions: regions, survive: survive === '' ? current.survive : (survive as SurvivalGoal) };
    checkLayoutMeetsGoal(placement, this.host.members(), 'survival goal region');
    const applied = await this.host.proposePlacement(placement, this.deadline(), checkedAuthRevision);
    return { header: this.host.header(), placement: { leaderRegions: [...applied.leaderRegions], survive: applied.survive } };
  }

  /** The most caught-up voter other than this node, or 0 if there is none. */
  mostCaughtUpVoter(): NodeId {
    const status = this.host.driver.status();
    let best: { id: NodeId; match: number } = { id: 0, match: -1 };
    for (const p of status.progress) {
      if (p.id === this.host.selfId || p.isLearner || !status.confState.voters.includes(p.id)) continue;
      if (p.match > best.match) best = { id: p.id, match: p.match };
    }
    return best.id;
  }

  private async transfer(targetId: NodeId): Promise<object> {
    const target = targetId === 0 ? this.mostCaughtUpVoter() : targetId;
    if (target === 0) throw new InvalidRequestError('invalid-argument', 'no other voter to hand leadership to');
    if (target !== this.host.selfId) {
      try {
        this.host.driver.transferLeadership(target);
      } catch (error) {
        throw new InvalidRequestError('invalid-argument', (error as Error).message);
      }
      const deadline = this.deadline();
      while (this.host.driver.leaderId !== target) {
        if (Date.now() > deadline) throw new TimeoutError(`leadership did not move to ${target} in time`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    return { header: this.host.header(), leaderId: this.host.driver.leaderId };
  }

  selfStatus(): MemberStatus {
    const status = this.host.driver.status();
    const self = this.host.members().find((m) => m.id === this.host.selfId);
    const followers: FollowerProgress[] = status.progress
      .filter((p) => p.id !== this.host.selfId)
      .map((p) => ({ id: p.id, matchIndex: p.match, nextIndex: p.next, state: p.state }));
    return {
      member: self
        ? toMember(self)
        : { id: this.host.selfId, name: '', region: '', clientAddress: '', peerAddress: '', learner: false },
      role: status.role,
      term: status.term,
      leaderId: status.leaderId,
      commitIndex: knownCommit(status.commit, this.host.driver.appliedIndex),
      appliedIndex: this.host.driver.appliedIndex,
      followers,
      error: '',
      storeBytes: this.host.storeBytes(),
      storeBytesMax: this.host.storeBytesMax,
      applyVersionMax: this.host.applyVersionMax,
      clusterVersion: this.host.clusterVersion(),
      alarms: this.host.alarms(),
      readsRefused: this.host.readsRefused(),
      repairing: this.host.repairStatus().repairing,
      repairReason: this.host.repairStatus().reason,
      lastRepair: this.host.repairStatus().lastRepair,
      peerRtts: this.host.peerRtts().map((r) => ({
        peerId: r.peerId,
        rttUs: Math.round(r.rttMs * 1000),
        rttMaxUs: Math.round(r.rttMaxMs * 1000),
        samples: r.samples,
      })),
      electionTimeoutMs: this.host.electionTimeoutMs,
      electionSpreadMs: this.host.electionSpreadMs,
      readMode: this.host.readMode,
      leaseRemainingMs: Math.floor(this.host.leaseRemainingMs()),
      keyCount: this.host.history().keyCount,
      compactRevision: this.host.history().compactRevision,
      historyBytes: this.host.history().historyBytes,
    };
  }

  private async status(localOnly: boolean): Promise<StatusResponse> {
    const own = this.selfStatus();
    const header = this.host.header();
    const layout = layoutOf(this.host.members());
    const placement = this.host.placement();
    const cluster = {
      header,
      leaderId: own.leaderId,
      placement: { leaderRegions: [...placement.leaderRegions], survive: placement.survive },
      survivesRegionLoss: survivesRegionLoss(layout),
      layout: describeLayout(layout),
    };
    if (localOnly) return { ...cluster, members: [own], warnings: this.warnings([own], cluster.survivesRegionLoss) };
    const others = this.host.members().filter((m) => m.id !== this.host.selfId);
    const answers = await Promise.all(others.map((m) => this.askStatus(m)));
    const members = [own, ...answers].sort((a, b) => (a.member?.id ?? 0) - (b.member?.id ?? 0));
    return { ...cluster, members, warnings: this.warnings(members, cluster.survivesRegionLoss) };
  }

  /** What an operator should look at: RTTs too close to the election timeout, a goal not met. */
  private warnings(members: readonly MemberStatus[], survives: boolean): string[] {
    const warnings: string[] = [];
    let rttMaxUs = 0;
    let between = '';
    for (const status of members) {
      for (const rtt of status.peerRtts) {
        if (rtt.rttMaxUs > rttMaxUs) {
          rttMaxUs = rtt.rttMaxUs;
          between = `${status.member?.id ?? 0}->${rtt.peerId}`;
        }
      }
    }
    const rttMaxMs = rttMaxUs / 1000;
    const electionTimeoutMs = this.host.electionTimeoutMs;
    if (rttMaxMs > 0 && electionTimeoutMs < ELECTION_TIMEOUT_RTT_RATIO_MIN * rttMaxMs) {
      warnings.push(
        `election timeout ${electionTimeoutMs} ms is under ${ELECTION_TIMEOUT_RTT_RATIO_MIN}x the largest round trip measured (${rttMaxMs.toFixed(1)} ms, ${between}): raise --election-ticks or --tick-ms (docs/operations.md, Regions)`,
      );
    }
    warnings.push(...readModeWarnings(members));
    if (this.host.placement().survive === 'region' && !survives) {
      warnings.push(`the survival goal is region, but the voters (${describeLayout(layoutOf(this.host.members()))}) do not survive the loss of a region`);
    }
    return warnings;
  }

  private async askStatus(member: MemberRecord): Promise<MemberStatus> {
    try {
      const response = (await this.callMember(member.clientAddress, 'status', { localOnly: true }, STATUS_ASK_MS, false)) as StatusResponse;
      const theirs = response.members.find((m) => m.member?.id === member.id) ?? response.members[0];
      if (!theirs) throw new Error('empty status');
      return { ...theirs, member: toMember(member) };
    } catch (error) {
      return {
        member: toMember(member),
        role: 'unreachable',
        term: 0,
        leaderId: 0,
        commitIndex: 0,
        appliedIndex: 0,
        followers: [],
        error: (error as Error).message,
        storeBytes: 0,
        storeBytesMax: 0,
        applyVersionMax: 0,
        clusterVersion: 0,
        keyCount: 0,
        compactRevision: 0,
        historyBytes: 0,
        alarms: [],
        readsRefused: false,
        repairing: false,
        repairReason: '',
        lastRepair: '',
        peerRtts: [],
        electionTimeoutMs: 0,
        electionSpreadMs: 0,
        readMode: '',
        leaseRemainingMs: 0,
      };
    }
  }
}

/**
 * Members that disagree on --read-mode, or in lease mode on the election timeout: a leader in
 * lease mode then holds no lease (driver/lease-terms.ts), so its reads take a quorum round, and
 * the operator should make the members agree (docs/operations.md, Lease reads).
 */
export function readModeWarnings(members: readonly MemberStatus[]): string[] {
  const answered = members.filter((m) => m.readMode !== '');
  const byMode = new Map<string, number[]>();
  for (const m of answered) byMode.set(m.readMode, [...(byMode.get(m.readMode) ?? []), m.member?.id ?? 0]);
  if (byMode.size > 1) {
    const layout = [...byMode].map(([mode, ids]) => `${mode} on ${ids.join(',')}`).join('; ');
    return [`members run different read modes (${layout}): no read lease is held until every voter runs --read-mode lease; restart the others with one mode (docs/operations.md, Lease reads)`];
  }
  if (byMode.has('lease')) {
    const timeouts = new Set(answered.map((m) => m.electionTimeoutMs));
    if (timeouts.size > 1) {
      const layout = answered.map((m) => `${m.member?.id ?? 0}: ${m.electionTimeoutMs} ms`).join(', ');
      return [`lease mode with different election timeouts (${layout}): a leader holds no lease while a voter's timeout is shorter than its own`];
    }
  }
  return [];
}

/**
 * The commit index this member can vouch for. Its core starts from the persisted commit, which
 * lags on purpose (docs/architecture.md, "Send ∥ persist") until the leader tells it the current
 * one; but every entry it applied was committed, so the applied index is a commit it knows too.
 */
export function knownCommit(coreCommit: number, appliedIndex: number): number {
  return Math.max(coreCommit, appliedIndex);
}

/**
 * The one request path every KV call takes (unary or Batch stream): check limits on entry,
 * then serve locally (leader writes, reads) or forward to the leader. Bad input is refused
 * before anything is proposed, so it changes nothing.
 */
import {
  APPLY_VERSION_AUTH,
  APPLY_VERSION_AUTH_REVISION,
  APPLY_VERSION_FENCE,
  type ApplyResult,
  type AuthChange,
  type Compare,
  type CompareOperator,
  type CompareTarget,
  type KeyValue as StoredKeyValue,
  type KvCommand,
  type KvOperation,
  type KvStateMachine,
  APPLY_VERSION_LEASES,
  LEASE_ID_MAX,
  FutureRevisionError,
  RevisionCompactedError,
  StateCorruptionError,
  type StorageLimits,
  type TxnOp as StoredTxnOp,
  type TxnOpResult as StoredTxnOpResult,
  validateCommand,
} from '@holdfast/storage';
import type { NodeLimits } from './config.js';
import type { NodeDriver } from './driver.js';
import {
  authChangedError,
  CompareFailedError,
  type HoldfastError,
  InternalError,
  InvalidRequestError,
  LeaseNotFoundError,
  LeaseRefusedError,
  NoLeaderError,
  NotLeaderError,
  QuotaExceededError,
  StoppingError,
} from './errors.js';
import { checkFencedPut, fencedPutResult, fencedPutTxn } from './fence.js';
import { rethrowAfterAuthCatchUp } from './auth/guard.js';
import type { Forwarder } from './forwarder.js';
import type { StateIntegrity } from './integrity.js';
import type { LeaseKeeper } from './leases.js';
import { CompactedError } from './watch.js';
// Requests as decoded; answers as built (written back by grpc-js).
import type {
  BatchRequest__Output as BatchRequest,
  CompactRequest__Output as CompactRequest,
  CompactResponse,
  Compare__Output as WireCompare,
  DeleteRequest__Output as DeleteRequest,
  DeleteResponse,
  GetRequest__Output as GetRequest,
  GetResponse,
  KeyValue,
  LeaseGrantRequest__Output as LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest__Output as LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseListRequest__Output as LeaseListRequest,
  LeaseListResponse,
  LeaseRevokeRequest__Output as LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest__Output as LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  PutRequest__Output as PutRequest,
  PutResponse,
  RangeRequest__Output as RangeRequest,
  RangeResponse,
  ResponseHeader__Output as ResponseHeader,
  Session__Output as Session,
  TxnOp__Output as TxnOp,
  TxnOpResult,
  TxnRequest__Output as TxnRequest,
  TxnResponse,
} from '@holdfast/protocol';

export type KvOp =
  | { readonly op: 'put'; readonly put: PutRequest }
  | { readonly op: 'get'; readonly get: GetRequest }
  | { readonly op: 'delete'; readonly delete: DeleteRequest }
  | { readonly op: 'range'; readonly range: RangeRequest }
  | { readonly op: 'txn'; readonly txn: TxnRequest }
  | { readonly op: 'leaseGrant'; readonly leaseGrant: LeaseGrantRequest }
  | { readonly op: 'leaseRevoke'; readonly leaseRevoke: LeaseRevokeRequest }
  | { readonly op: 'leaseKeepAlive'; readonly leaseKeepAlive: LeaseKeepAliveRequest }
  | { readonly op: 'leaseTimeToLive'; readonly leaseTimeToLive: LeaseTimeToLiveRequest }
  | { readonly op: 'leaseList'; readonly leaseList: LeaseListRequest }
  | { readonly op: 'compact'; readonly compact: CompactRequest };

export type KvResult =
  | { readonly op: 'put'; readonly put: PutResponse }
  | { readonly op: 'get'; readonly get: GetResponse }
  | { readonly op: 'delete'; readonly delete: DeleteResponse }
  | { readonly op: 'range'; readonly range: RangeResponse }
  | { readonly op: 'txn'; readonly txn: TxnResponse }
  | { readonly op: 'leaseGrant'; readonly leaseGrant: LeaseGrantResponse }
  | { readonly op: 'leaseRevoke'; readonly leaseRevoke: LeaseRevokeResponse }
  | { readonly op: 'leaseKeepAlive'; readonly leaseKeepAlive: LeaseKeepAliveResponse }
  | { readonly op: 'leaseTimeToLive'; readonly leaseTimeToLive: LeaseTimeToLiveResponse }
  | { readonly op: 'leaseList'; readonly leaseList: LeaseListResponse }
  | { readonly op: 'compact'; readonly compact: CompactResponse };

export interface RequestContext {
  readonly deadlineMs: number;
  /** Came from another node's forwarder: answer here or refuse, never forward again. */
  readonly forwarded: boolean;
  /**
   * Makes the call's auth check again against the auth state applied now (throws the refusal);
   * absent while nothing checks calls. A linearizable read calls it after its read barrier: the
   * check on arrival used this member's applied auth state, which may lack a change (a revoked
   * grant, a changed password) committed before the read was invoked.
   */
  readonly recheckAuth?: () => void;
  /**
   * The revision of the auth state the call was checked against on arrival (or a lower one);
   * absent while nothing checks calls. A write is stamped with it (apply version 8 on) and
   * refused at apply if an auth change was applied since (a revoked grant would otherwise let
   * a write taken by a member that applied the revocation late through). Forwarded with it.
   */
  readonly authRevision?: number;
}

export interface RequestHost {
  readonly clusterId: string;
  readonly selfId: number;
  readonly driver: NodeDriver;
  readonly stateMachine: KvStateMachine;
  readonly limits: NodeLimits;
  readonly storageLimits: StorageLimits;
  /** Sends a write to the leader (production: the Forwarder's Batch streams). */
  readonly forwarder: Pick<Forwarder, 'forward'>;
  /** Wall-clock milliseconds stamped on commands as proposedAtMs. Default Date.now. */
  readonly wallMs?: () => number;
  /** The client address of a member, '' if unknown. */
  clientAddressOf(id: number): string;
  isStopping(): boolean;
  /** The apply version to stamp on a write proposed now (see ApplyVersions.stamp). */
  applyVersion(): number;
  /** Whether this member's state may be read; told of damage a read finds. */
  readonly integrity: StateIntegrity;
  /** The leader's lease clock (keepalive, time to live); absent: those are refused. */
  readonly leases?: LeaseKeeper;
  /**
   * Whether a request this member would forward waits (up to half its time left) for a leader
   * while none is known, instead of answering no-leader at once. Default true.
   */
  readonly waitsForLeader?: boolean;
}

export function opOfBatch(request: BatchRequest): KvOp {
  switch (request.op) {
    case 'put':
      if (request.put) return { op: 'put', put: request.put };
      break;
    case 'get':
      if (request.get) return { op: 'get', get: request.get };
      break;
    case 'delete':
      if (request.delete) return { op: 'delete', delete: request.delete };
      break;
    case 'range':
      if (request.range) return { op: 'range', range: request.range };
      break;
    case 'txn':
      if (request.txn) return { op: 'txn', txn: request.txn };
      break;
    case 'leaseGrant':
      if (request.leaseGrant) return { op: 'leaseGrant', leaseGrant: request.leaseGrant };
      break;
    case 'leaseRevoke':
      if (request.leaseRevoke) return { op: 'leaseRevoke', leaseRevoke: request.leaseRevoke };
      break;
    case 'leaseKeepAlive':
      if (request.leaseKeepAlive) return { op: 'leaseKeepAlive', leaseKeepAlive: request.leaseKeepAlive };
      break;
    case 'leaseTimeToLive':
      if (request.leaseTimeToLive) return { op: 'leaseTimeToLive', leaseTimeToLive: request.leaseTimeToLive };
      break;
    case 'leaseList':
      if (request.leaseList) return { op: 'leaseList', leaseList: request.leaseList };
      break;
    case 'compact':
      if (request.compact) return { op: 'compact', compact: request.compact };
      break;
    default:
      break;
  }
  throw new InvalidRequestError('invalid-argument', 'batch request carries no operation');
}

/**
 * A decoder hands an enum value it does not know as its number (proto3 enums are open): refused
 * here rather than read as the default, which would serve a stale read as linearizable or the
 * reverse.
 */
function checkConsistency(consistency: unknown): void {
  if (consistency !== 'LINEARIZABLE' && consistency !== 'SERIALIZABLE') {
    throw new InvalidRequestError('invalid-argument', `consistency ${String(consistency)} is unknown (LINEARIZABLE or SERIALIZABLE)`);
  }
}

function isWrite(op: KvOp): boolean {
  return op.op === 'put' || op.op === 'delete' || op.op === 'txn' || op.op === 'leaseGrant' || op.op === 'leaseRevoke' || op.op === 'compact';
}

/** Served by the leader's lease clock alone (a follower forwards them). */
function isLeaderOnly(op: KvOp): op is Extract<KvOp, { op: 'leaseKeepAlive' | 'leaseTimeToLive' }> {
  return op.op === 'leaseKeepAlive' || op.op === 'leaseTimeToLive';
}

/** max_staleness_ms of a linearizable get or range (0: none, a plain linearizable read). */
function maxStalenessOf(op: KvOp): number {
  if (op.op === 'get') return op.get.maxStalenessMs;
  if (op.op === 'range') return op.range.maxStalenessMs;
  return 0;
}

function isSerializable(op: KvOp): boolean {
  if (op.op === 'get') return op.get.consistency === 'SERIALIZABLE';
  if (op.op === 'range') return op.range.consistency === 'SERIALIZABLE';
  return false;
}

/** Until when a request a follower would forward waits for a leader: half of its time left (wall clock ms). */
function leaderWaitUntilMs(deadlineMs: number, nowMs: number): number {
  return nowMs + Math.max(0, deadlineMs - nowMs) / 2;
}

/** How often a change that needs a newer apply version looks again while the leader learns the members' versions. */
const APPLY_VERSION_POLL_MS = 50;

export class RequestPath {
  constructor(private readonly host: RequestHost) {}

  async execute(op: KvOp, context: RequestContext): Promise<KvResult> {
    if (this.host.isStopping()) throw new StoppingError();
    if (op.op === 'put' && op.put.ifFenceAtLeast > 0) return this.fencedPut(op.put, context);
    this.checkEntry(op);
    if (isLeaderOnly(op)) return this.host.driver.role === 'leader' ? this.serveLeaseClock(op, context) : this.forward(op, context);
    // A member whose state is damaged answers no read of any consistency: the client asks another.
    if (!isWrite(op)) this.host.integrity.checkReadable();
    if (isSerializable(op)) return this.readLocal(op);
    const driver = this.host.driver;
    if (isWrite(op)) {
      if (driver.role === 'leader') {
        // A write's answer (prevKv, a failed guard's current value) is read from the leader's
        // state: a damaged leader answers none while it hands leadership over.
        this.host.integrity.checkReadable();
        return this.write(op, context);
      }
      return this.forward(op, context);
    }
    const maxStalenessMs = maxStalenessOf(op);
    if (maxStalenessMs > 0) await driver.boundedReadBarrier(maxStalenessMs, context.deadlineMs);
    else await driver.readBarrier(context.deadlineMs);
    // The check on arrival used the auth state applied then; the one applied now holds every auth
    // change the barrier promises (all committed before the read was invoked, or within the bound).
    context.recheckAuth?.();
    return this.readLocal(op);
  }

  private async forward(op: KvOp, context: RequestContext): Promise<KvResult> {
    let leaderId = this.host.driver.leaderId;
    // While an election runs, hold the request for at most half its time left (the rest is for
    // the forward, and for the answer to reach the client before its own deadline).
    if (leaderId === 0 && this.host.waitsForLeader !== false) leaderId = await this.host.driver.waitForLeader(leaderWaitUntilMs(context.deadlineMs, this.host.wallMs?.() ?? Date.now()));
    if (leaderId === 0) throw new NoLeaderError();
    const address = this.host.clientAddressOf(leaderId);
    if (context.forwarded || address === '') throw new NotLeaderError(address);
    try {
      return await this.host.forwarder.forward(address, op, context.deadlineMs, context.authRevision);
    } catch (error) {
      const sm = this.host.stateMachine;
      return rethrowAfterAuthCatchUp(error, context.authRevision, { auth: () => sm.auth, stopping: () => this.host.isStopping(), deadlineMs: context.deadlineMs });
    }
  }

  /** A fenced put, applied as the fence txn (fence.ts) wherever the txn goes. */
  private async fencedPut(put: PutRequest, context: RequestContext): Promise<KvResult> {
    checkFencedPut(put, this.host.limits.keyBytesMax);
    const version = await this.applyVersionAtLeast(APPLY_VERSION_FENCE, context.deadlineMs);
    if (version < APPLY_VERSION_FENCE) {
      throw new InvalidRequestError(
        'invalid-argument',
        `fenced puts need every member at apply version ${APPLY_VERSION_FENCE}; the cluster stamps ${version} (upgrade every member first, or use the fence txn)`,
      );
    }
    const result = await this.execute({ op: 'txn', txn: fencedPutTxn(put) }, context);
    if (result.op !== 'txn') throw new InternalError(`a fenced put's txn answered ${result.op}`);
    return { op: 'put', put: fencedPutResult(put.ifFenceAtLeast, result.txn) };
  }

  // ---- checks on entry ----

  private checkEntry(op: KvOp): void {
    switch (op.op) {
      case 'get':
        checkConsistency(op.get.consistency);
        this.checkKey(op.get.key);
        return;
      case 'range':
        checkConsistency(op.range.consistency);
        this.checkRange(op.range);
        return;
      case 'put':
        this.checkKey(op.put.key);
        return;
      case 'delete':
        this.checkDelete(op.delete);
        return;
      case 'txn':
        this.checkTxn(op.txn);
        return;
      case 'leaseGrant':
        this.checkLeaseGrant(op.leaseGrant);
        return;
      case 'leaseRevoke':
        checkLeaseId(op.leaseRevoke.id);
        return;
      case 'leaseKeepAlive':
        checkLeaseId(op.leaseKeepAlive.id);
        return;
      case 'leaseTimeToLive':
        checkLeaseId(op.leaseTimeToLive.id);
        return;
      case 'leaseList':
        return;
      case 'compact':
        if (op.compact.revision < 1) throw new InvalidRequestError('invalid-argument', 'compact needs a revision above 0');
        return;
    }
  }

  private checkDelete(del: DeleteRequest): void {
    if (!isRangeDelete(del)) {
      this.checkKey(del.key);
      return;
    }
    const max = this.host.limits.keyBytesMax;
    for (const key of [del.key, del.end, del.prefix]) {
      if (key.length > max) throw new InvalidRequestError('key-too-large', `delete key is ${key.length} bytes; the limit is ${max}`);
    }
    if (del.prefix.length === 0 && del.key.length === 0) throw new InvalidRequestError('invalid-argument', 'a range delete needs a key or a prefix');
    if (del.ifModRevision > 0) throw new InvalidRequestError('invalid-argument', 'a range delete takes no if_mod_revision');
    const toEnd = del.end.length === 1 && del.end[0] === 0;
    if (del.prefix.length === 0 && !toEnd && Buffer.compare(del.end, del.key) <= 0) {
      throw new InvalidRequestError('invalid-argument', 'range delete end must sort after its key');
    }
  }

  private checkLeaseGrant(grant: LeaseGrantRequest): void {
    const { leaseTtlMinMs, leaseTtlMaxMs } = this.host.limits;
    if (grant.ttlMs < leaseTtlMinMs || grant.ttlMs > leaseTtlMaxMs) {
      throw new InvalidRequestError('invalid-argument', `lease TTL ${grant.ttlMs} ms is outside [${leaseTtlMinMs}, ${leaseTtlMaxMs}] ms (--lease-ttl-min-ms, --lease-ttl-max-ms)`);
    }
    if (grant.id !== 0) checkLeaseId(grant.id);
  }

  // ---- the leader's lease clock ----

  private async serveLeaseClock(op: Extract<KvOp, { op: 'leaseKeepAlive' | 'leaseTimeToLive' }>, context: RequestContext): Promise<KvResult> {
    const leases = this.host.leases;
    if (leases === undefined) throw new InternalError('this node keeps no lease clock');
    if (op.op === 'leaseKeepAlive') {
      const id = op.leaseKeepAlive.id;
      const ttlMs = await leases.keepAlive(id, context.deadlineMs);
      return { op: 'leaseKeepAlive', leaseKeepAlive: { header: this.header(), id, ttlMs } };
    }
    const { id, keys } = op.leaseTimeToLive;
    const { lease, remainingMs } = await leases.timeToLive(id, context.deadlineMs);
    // After timeToLive's read barrier, as for a linearizable read.
    context.recheckAuth?.();
    return {
      op: 'leaseTimeToLive',
      leaseTimeToLive: { header: this.header(), id, ttlMs: lease.ttlMs, remainingMs, keys: keys ? lease.keys.map((key) => Buffer.from(key)) : [] },
    };
  }

  /** Proposes an operation of the node's own (a lease expiry) as the leader, without a session. */
  async proposeOperation(operation: KvOperation, deadlineMs: number): Promise<ApplyResult> {
    if (this.host.driver.role !== 'leader') throw new NotLeaderError('');
    const command: KvCommand = { operation, proposedAtMs: (this.host.wallMs ?? Date.now)(), applyVersion: this.host.applyVersion() };
    let data: Uint8Array;
    try {
      data = validateCommand(command, this.host.storageLimits);
    } catch (error) {
      throw fromStorageError(error);
    }
    return this.host.driver.propose(data, deadlineMs);
  }

  private checkKey(key: Uint8Array): void {
    if (key.length === 0) throw new InvalidRequestError('invalid-argument', 'key must not be empty');
    const max = this.host.limits.keyBytesMax;
    if (key.length > max) throw new InvalidRequestError('key-too-large', `key is ${key.length} bytes; the limit is ${max}`);
  }

  private checkRange(range: RangeRequest): void {
    const max = this.host.limits.keyBytesMax;
    for (const key of [range.start, range.end, range.prefix, range.continuation]) {
      if (key.length > max) throw new InvalidRequestError('key-too-large', `range key is ${key.length} bytes; the limit is ${max}`);
    }
    if (range.prefix.length === 0 && range.start.length === 0) {
      throw new InvalidRequestError('invalid-argument', 'range needs a start key or a prefix');
    }
    if (range.end.length > 0 && Buffer.compare(range.end, range.start) <= 0 && range.prefix.length === 0) {
      throw new InvalidRequestError('invalid-argument', 'range end must sort after its start');
    }
  }

  private checkTxn(txn: TxnRequest): void {
    const ops = txn.success.length + txn.failure.length;
    const max = this.host.limits.batchOpsMax;
    if (ops > max || txn.compare.length > max) {
      throw new InvalidRequestError('request-too-large', `txn has ${ops} ops and ${txn.compare.length} compares; the limit is ${max}`);
    }
    for (const c of txn.compare) {
      this.checkKey(c.key);
      compareOf(c);
    }
    for (const op of [...txn.success, ...txn.failure]) {
      const inner = op.put ?? op.get ?? op.delete;
      if (!inner) throw new InvalidRequestError('invalid-argument', 'txn op carries no operation');
      if (op.put && op.put.ifFenceAtLeast > 0) throw new InvalidRequestError('invalid-argument', 'a put in a txn takes no if_fence_at_least (compare the fence key in the txn)');
      this.checkKey(inner.key);
    }
  }

  // ---- writes ----

  private async write(op: KvOp, context: RequestContext): Promise<KvResult> {
    const applyVersion = this.host.applyVersion();
    const command = toCommand(op, {
      storeBytesMax: this.host.limits.storeBytesMax,
      deleteRangeKeysMax: this.host.limits.deleteRangeKeysMax,
      applyVersion,
      ...authRevisionStamp(applyVersion, context.authRevision),
      proposedAtMs: (this.host.wallMs ?? Date.now)(),
      leasesMax: this.host.limits.leasesMax,
      leaseKeysMax: this.host.limits.leaseKeysMax,
    });
    if (command.applyVersion !== undefined && command.applyVersion < APPLY_VERSION_LEASES && usesLeases(command.operation)) {
      throw new InvalidRequestError(
        'invalid-argument',
        `leases need every member at apply version ${APPLY_VERSION_LEASES}; the cluster applies at ${command.applyVersion} (upgrade every member)`,
      );
    }
    let data: Uint8Array;
    try {
      data = validateCommand(command, this.host.storageLimits);
    } catch (error) {
      throw fromStorageError(error);
    }
    if (data.length > this.host.limits.requestBytesMax) {
      throw new InvalidRequestError('request-too-large', `request is ${data.length} bytes; the limit is ${this.host.limits.requestBytesMax}`);
    }
    const result = await this.host.driver.propose(data, context.deadlineMs);
    return this.answerWrite(op, result);
  }

  private answerWrite(op: KvOp, result: ApplyResult): KvResult {
    const outcome = result.outcome;
    const header = this.header('revision' in outcome ? outcome.revision : undefined);
    switch (outcome.type) {
      case 'deleteRange':
        return {
          op: 'delete',
          delete: {
            header,
            deleted: outcome.deleted > 0,
            deletedCount: outcome.deleted,
            revision: outcome.revision,
            prevKvs: (outcome.prevKvs ?? []).map((kv) => wireKv(kv) as KeyValue),
          },
        };
      case 'tooManyKeys':
        throw new InvalidRequestError(
          'request-too-large',
          `more than ${outcome.keysMax} keys are in range (--delete-range-keys-max); nothing was deleted: delete a narrower range`,
        );
      case 'compact':
        return { op: 'compact', compact: { header, compactRevision: outcome.compactRevision } };
      case 'compactRefused':
        throw compactRefusal(outcome);
      case 'put':
        return { op: 'put', put: { header, revision: outcome.revision, prevKv: wireKv(outcome.prevKv) } };
      case 'delete':
        return { op: 'delete', delete: { header, deleted: outcome.deleted, revision: outcome.revision, prevKv: wireKv(outcome.prevKv) } };
      case 'txn':
        return {
          op: 'txn',
          txn: { header, succeeded: outcome.succeeded, revision: outcome.revision, results: outcome.results.map((r) => wireTxnResult(r, header)) },
        };
      case 'compareFailed':
        throw new CompareFailedError(
          `${op.op} guard did not hold (current mod revision ${outcome.currentKv?.modRevision ?? 0}, store revision ${outcome.revision})`,
        );
      case 'invalid':
        throw new InvalidRequestError('invalid-argument', outcome.message);
      case 'quotaExceeded':
        throw new QuotaExceededError(
          `${op.op} would add ${outcome.growth} bytes to the ${outcome.keyValueBytes} bytes of keys and values held; the store quota is ${outcome.storeBytesMax} (--store-bytes-max). Delete keys to free space`,
        );
      case 'leaseGrant':
        return { op: 'leaseGrant', leaseGrant: { header, id: outcome.id, ttlMs: outcome.ttlMs } };
      case 'leaseRevoke':
        return { op: 'leaseRevoke', leaseRevoke: { header: this.header(outcome.revision), keysDeleted: outcome.keysDeleted, revision: outcome.revision } };
      case 'leaseRefused':
        if (outcome.reason === 'leaseNotFound') throw new LeaseNotFoundError(outcome.id);
        throw new LeaseRefusedError(
          outcome.reason === 'leaseExists' ? 'lease-exists' : outcome.reason === 'leasesExceeded' ? 'leases-exceeded' : 'lease-keys-exceeded',
          outcome.message,
        );
      case 'authStale':
        throw authChangedError(op.op, outcome);
      case 'staleSequence':
        throw new InvalidRequestError(
          'invalid-argument',
          `session sequence is at or below the last one (${outcome.lastSequence}) and its answer is no longer kept`,
        );
      default:
        throw new InternalError(`unexpected outcome ${outcome.type} for a ${op.op}`);
    }
  }

  /**
   * The apply version to stamp, waiting (until the deadline) while it is below `wanted`: a leader
   * stamps the lowest version until it has heard every member say what it runs, which takes a
   * heartbeat round after it starts or is elected, and raises the cluster's version right after.
   */
  private async applyVersionAtLeast(wanted: number, deadlineMs: number): Promise<number> {
    for (;;) {
      const version = this.host.applyVersion();
      if (version >= wanted || Date.now() + APPLY_VERSION_POLL_MS >= deadlineMs || this.host.isStopping()) return version;
      await new Promise((resolve) => setTimeout(resolve, APPLY_VERSION_POLL_MS));
    }
  }

  /**
   * Proposes an auth change (on the leader) and waits until it is applied here; answers the
   * auth state's revision after it. A change the state does not allow is invalid-argument; one
   * checked at `authRevision` and overtaken by another auth change before it applied is
   * auth-changed (from apply version 8).
   */
  async changeAuth(change: AuthChange, deadlineMs: number, authRevision?: number): Promise<number> {
    if (this.host.isStopping()) throw new StoppingError();
    const applyVersion = await this.applyVersionAtLeast(APPLY_VERSION_AUTH, deadlineMs);
    if (applyVersion < APPLY_VERSION_AUTH) {
      throw new InvalidRequestError(
        'invalid-argument',
        `auth needs every member at apply version ${APPLY_VERSION_AUTH} or later; the cluster stamps ${applyVersion} (upgrade every member first)`,
      );
    }
    const command: KvCommand = { operation: { type: 'auth', change }, proposedAtMs: (this.host.wallMs ?? Date.now)(), applyVersion, ...authRevisionStamp(applyVersion, authRevision) };
    let data: Uint8Array;
    try {
      data = validateCommand(command, this.host.storageLimits);
    } catch (error) {
      throw fromStorageError(error);
    }
    const result = await this.host.driver.propose(data, deadlineMs);
    const outcome = result.outcome;
    if (outcome.type === 'authRefused' || outcome.type === 'invalid') throw new InvalidRequestError('invalid-argument', outcome.message);
    if (outcome.type === 'authStale') throw authChangedError(change.op, outcome);
    if (outcome.type !== 'authChanged') throw new InternalError(`unexpected outcome ${outcome.type} for an auth change`);
    // The caller's next call (a login with the new password) must see it on this member.
    await this.host.driver.readBarrier(deadlineMs);
    return outcome.authRevision;
  }

  // ---- reads ----

  private async readLocal(op: KvOp): Promise<KvResult> {
    try {
      return await this.readState(op);
    } catch (error) {
      if (error instanceof StateCorruptionError) throw this.host.integrity.stateDamaged(error, op.op);
      throw error;
    }
  }

  private async readState(op: KvOp): Promise<KvResult> {
    // Checked again after the read barrier: damage may have been found meanwhile.
    this.host.integrity.checkReadable();
    const sm = this.host.stateMachine;
    if (op.op === 'get') {
      const kv = await readAtRevision(() => sm.get(op.get.key, op.get.revision > 0 ? { revision: op.get.revision } : {}));
      return { op: 'get', get: { header: this.header(), found: kv !== undefined, kv: wireKv(kv) } };
    }
    if (op.op === 'range') {
      const r = op.range;
      const limit = r.limit === 0 ? this.host.limits.rangeLimitMax : Math.min(r.limit, this.host.limits.rangeLimitMax);
      const page = await readAtRevision(() =>
        sm.range({
          ...(r.prefix.length > 0 ? { prefix: r.prefix } : { start: r.start, ...(r.end.length > 0 ? { end: r.end } : {}) }),
          limit,
          keysOnly: r.keysOnly,
          ...(r.continuation.length > 0 ? { after: r.continuation } : {}),
          ...(r.revision > 0 ? { revision: r.revision } : {}),
        }),
      );
      return {
        op: 'range',
        range: {
          header: this.header(page.revision),
          kvs: page.kvs.map((kv) => wireKv(kv) as KeyValue),
          more: page.more,
          continuation: page.continuation,
        },
      };
    }
    if (op.op === 'leaseList') {
      const leases = sm.leases().map((lease) => ({ id: lease.id, ttlMs: lease.ttlMs, keys: lease.keys.length }));
      return { op: 'leaseList', leaseList: { header: this.header(), leases } };
    }
    throw new InternalError(`${op.op} is not a read`);
  }

  header(revision?: number): ResponseHeader {
    return {
      clusterId: this.host.clusterId,
      memberId: this.host.selfId,
      term: this.host.driver.term,
      revision: revision ?? this.host.stateMachine.revision,
    };
  }
}

// ---- conversions between the wire and the state machine's commands ----

function sessionOf(session: Session | null): KvCommand['session'] {
  if (!session || session.clientId === '') return undefined;
  return { clientId: session.clientId, sequence: session.sequence };
}

function putOp(put: PutRequest): StoredTxnOp {
  return {
    type: 'put',
    key: put.key,
    value: put.value,
    ...(put.ifAbsent ? { ifAbsent: true } : {}),
    ...(put.ifModRevision > 0 ? { ifModRevision: put.ifModRevision } : {}),
    ...(put.prevKv ? { prevKv: true } : {}),
    ...(put.lease > 0 ? { lease: put.lease } : {}),
  };
}

function checkLeaseId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 1 || id > LEASE_ID_MAX) throw new InvalidRequestError('invalid-argument', `lease id ${id} must be a positive integer below 2^53`);
}

function usesLeases(operation: KvOperation): boolean {
  if (operation.type === 'leaseGrant' || operation.type === 'leaseRevoke') return true;
  if (operation.type === 'put') return operation.lease !== undefined;
  if (operation.type !== 'txn') return false;
  return [...operation.success, ...operation.failure].some((op) => op.type === 'put' && op.lease !== undefined);
}

/** A delete of more than one key: with a prefix or an end. */
function isRangeDelete(del: DeleteRequest): boolean {
  return del.prefix.length > 0 || del.end.length > 0;
}

function deleteRangeOp(del: DeleteRequest, keysMax: number): KvOperation {
  return {
    type: 'deleteRange',
    ...(del.prefix.length > 0 ? { prefix: del.prefix } : { start: del.key, end: del.end }),
    ...(del.prevKv ? { prevKv: true } : {}),
    keysMax,
  };
}

/** A read at a past revision refused by the history: the error the client maps back. */
async function readAtRevision<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof RevisionCompactedError) throw new CompactedError(`${error.message}: read at a later revision`);
    if (error instanceof FutureRevisionError) throw new InvalidRequestError('invalid-argument', error.message);
    throw error;
  }
}

function compactRefusal(outcome: { reason: 'compacted' | 'future' | 'noHistory'; compactRevision: number; revision: number }): HoldfastError {
  switch (outcome.reason) {
    case 'compacted':
      return new CompactedError(`the history is already compacted to revision ${outcome.compactRevision}; compact to a later revision`);
    case 'future':
      return new InvalidRequestError('invalid-argument', `cannot compact past the store's revision ${outcome.revision}`);
    case 'noHistory':
      return new InvalidRequestError('invalid-argument', 'the cluster keeps no key history yet (every member must run a release with apply version 4)');
  }
}

function deleteOp(del: DeleteRequest): StoredTxnOp {
  return {
    type: 'delete',
    key: del.key,
    ...(del.ifModRevision > 0 ? { ifModRevision: del.ifModRevision } : {}),
    ...(del.prevKv ? { prevKv: true } : {}),
  };
}

function txnOp(op: TxnOp): StoredTxnOp {
  if (op.put) return putOp(op.put);
  if (op.delete) return deleteOp(op.delete);
  if (op.get) return { type: 'get', key: op.get.key };
  throw new InvalidRequestError('invalid-argument', 'txn op carries no operation');
}

const TARGETS: Record<WireCompare['target'], CompareTarget> = {
  VALUE: 'value',
  VERSION: 'version',
  MOD_REVISION: 'modRevision',
  CREATE_REVISION: 'createRevision',
};
const OPERATORS: Record<WireCompare['op'], CompareOperator> = {
  EQUAL: 'equal',
  NOT_EQUAL: 'notEqual',
  LESS: 'less',
  GREATER: 'greater',
};

function compareOf(c: WireCompare): Compare {
  const target = TARGETS[c.target];
  const operator = OPERATORS[c.op];
  if (!target || !operator) throw new InvalidRequestError('invalid-argument', `unknown compare ${c.target} ${c.op}`);
  return { key: c.key, target, operator, ...(target === 'value' ? { value: c.value } : { number: c.number }) };
}

/**
 * The command a leader proposes for a write, stamped with its store quota and the apply version
 * every member implements (see KvCommand.storeBytesMax and applyVersion).
 */
export function toCommand(
  op: KvOp,
  stamp: {
    storeBytesMax: number;
    applyVersion: number;
    proposedAtMs: number;
    leasesMax?: number;
    leaseKeysMax?: number;
    deleteRangeKeysMax?: number;
    authRevision?: number;
  },
): KvCommand {
  let operation: KvOperation;
  let session: Session | null;
  switch (op.op) {
    case 'put':
      operation = putOp(op.put) as KvOperation;
      session = op.put.session;
      break;
    case 'delete':
      operation = isRangeDelete(op.delete) ? deleteRangeOp(op.delete, stamp.deleteRangeKeysMax ?? 10_000) : (deleteOp(op.delete) as KvOperation);
      session = op.delete.session;
      break;
    case 'compact':
      operation = { type: 'compact', revision: op.compact.revision };
      session = null;
      break;
    case 'txn':
      operation = {
        type: 'txn',
        compare: op.txn.compare.map(compareOf),
        success: op.txn.success.map(txnOp),
        failure: op.txn.failure.map(txnOp),
      };
      session = op.txn.session;
      break;
    case 'leaseGrant':
      operation = {
        type: 'leaseGrant',
        id: op.leaseGrant.id,
        ttlMs: op.leaseGrant.ttlMs,
        leasesMax: stamp.leasesMax ?? 1,
        keysMax: stamp.leaseKeysMax ?? 1,
      };
      session = op.leaseGrant.session;
      break;
    case 'leaseRevoke':
      operation = { type: 'leaseRevoke', id: op.leaseRevoke.id, reason: 'revoke' };
      session = op.leaseRevoke.session;
      break;
    default:
      throw new InternalError(`${op.op} is not a write`);
  }
  const s = sessionOf(session);
  return {
    operation,
    ...(s ? { session: s } : {}),
    proposedAtMs: stamp.proposedAtMs,
    storeBytesMax: stamp.storeBytesMax,
    applyVersion: stamp.applyVersion,
    ...(stamp.authRevision === undefined ? {} : { authRevision: stamp.authRevision }),
  };
}

function wireKv(kv: StoredKeyValue | undefined): KeyValue | null {
  if (!kv) return null;
  return { key: kv.key, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version, lease: kv.lease ?? 0 };
}

function wireTxnResult(r: StoredTxnOpResult, header: ResponseHeader): TxnOpResult {
  switch (r.type) {
    case 'put':
      return { put: { header, revision: r.revision, prevKv: wireKv(r.prevKv) } };
    case 'delete':
      return { delete: { header, deleted: r.deleted, revision: r.revision, prevKv: wireKv(r.prevKv) } };
    case 'get':
      return { get: { header, found: r.found, kv: wireKv(r.kv) } };
  }
}

/**
 * The auth revision stamp a command carries (KvCommand.authRevision): the revision its caller was
 * checked against, left off below APPLY_VERSION_AUTH_REVISION (a member would not read it) and
 * for a command no caller's check stands behind.
 */
export function authRevisionStamp(applyVersion: number, authRevision: number | undefined): { authRevision?: number } {
  return applyVersion >= APPLY_VERSION_AUTH_REVISION && authRevision !== undefined ? { authRevision } : {};
}

export function fromStorageError(error: unknown): HoldfastError {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  switch (code) {
    case 'key-too-large':
    case 'value-too-large':
    case 'request-too-large':
    case 'invalid-argument':
      return new InvalidRequestError(code, message);
    default:
      return new InternalError(message, error);
  }
}

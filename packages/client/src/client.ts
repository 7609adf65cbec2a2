import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChannelCredentials, credentials } from '@grpc/grpc-js';
import { acquireLock, Election, type ElectionOptions, fencedPut, fencedPutOnServer, type LockHolder, type LockOptions } from './concurrency.js';
import type { Permission__Output } from '@holdfast/protocol';
import { type AuthPermission, type AuthRoleInfo, type AuthStatusInfo, type AuthUserInfo, permissionFromWire, permissionToWire } from './auth.js';
import { type Credentials, LOGIN_ATTEMPT_TIMEOUT_MS, TokenSource } from './credentials.js';
import { Connection } from './connection.js';
import { KeepAliveMux } from './keepalive-stream.js';
import {
  AbortedError,
  AuthChangedError,
  ClientClosedError,
  DeadlineExceededError,
  batchNotServed,
  gotNoAnswer,
  type GrpcStatusCause,
  type HoldfastError,
  InvalidArgumentError,
  NotLeaderError,
  toHoldfastError,
  UnreachableError,
  wasNeverSent,
} from './errors.js';
import {
  grantResultFromWire,
  type KeepAliveOptions,
  LeaseKeepAlive,
  type LeaseGrantResult,
  type LeaseRevokeResult,
  type LeaseStatus,
  type LeaseTimeToLiveResult,
} from './leases.js';
import { type Member, type MemberStatus, memberFromWire, memberStatusFromWire } from './members.js';
import { loadHoldfastMethods } from './proto.js';
import {
  type Consistency,
  type DeleteOptions,
  type DeleteResult,
  type CompactResult,
  type DeleteRangeOptions,
  type DeleteRangeResult,
  type DeleteRangeSelector,
  deleteRangeRequest,
  deleteRangeResultFromWire,
  deleteRequest,
  deleteResultFromWire,
  type GetOptions,
  getRequest,
  type PutOptions,
  type PutResult,
  putRequest,
  putResultFromWire,
  type RangeOptions,
  type RangeResult,
  type RangeSelector,
  rangeRequest,
  rangeResultFromWire,
} from './requests.js';
import { EndpointDistances } from './nearest.js';
import { Router } from './router.js';
import { SessionPool } from './sessions.js';
import { type TxnRequest, type TxnResult, txnRequestToWire, txnResultFromWire } from './txn.js';
import { type Bytes, headerFromWire, type KeyValue, keyValueFromWire, type ResponseHeader } from './values.js';
import type { BackupChunk__Output, Session, WatchResponse__Output } from '@holdfast/protocol';
import { Watch, type WatchOptions } from './watch.js';
import type { AuthMethod, ClusterMethod, ClusterMethods, KvMethods } from './wire.js';

export interface RetryOptions {
  /** First backoff; each retry doubles it up to backoffMaxMs, then full jitter picks in [0, it]. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Attempts per call including the first; the deadline usually ends a call first. */
  attemptsMax?: number;
}

/** One attempt of a call (ClientOptions.onAttempt). */
export interface AttemptReport {
  /** The call (get, put, txn, ...). */
  readonly call: string;
  /** 1 for the first attempt of the call. */
  readonly attempt: number;
  /** The endpoint or learned address it went to. */
  readonly address: string;
  readonly elapsedMs: number;
  /** 'ok', or the error's code ('timeout', 'not-leader', 'no-leader', 'unavailable', ...). */
  readonly outcome: string;
}

export interface ClientOptions {
  /** host:port of one or more nodes' client address. The leader is found from there. */
  endpoints: readonly string[];
  /** Whole-call budget, retries included. Default 5000. */
  deadlineMs?: number;
  /** One attempt's budget, so a hung node is left for another within the deadline. Default 2000. */
  attemptTimeoutMs?: number;
  retry?: RetryOptions;
  /** Default read consistency. Default 'linearizable'. */
  consistency?: Consistency;
  /** Prefix of this client's session ids. Default: 16 random hex characters. */
  clientId?: string;
  /** Pipeline KV calls over one Batch stream per endpoint (default true); false = unary calls. */
  batch?: boolean;
  /** Writes in flight at once (each holds a session slot). Default 4096. */
  writesInFlightMax?: number;
  /** Requests in flight on one Batch stream. Default 8192. */
  streamPendingMax?: number;
  /**
   * Requests in one Batch stream message at most; must not exceed the nodes'
   * --batch-message-requests-max (1024 by default). Default 128.
   */
  streamFrameOpsMax?: number;
  /** Largest answer accepted, e.g. one range page. Default 64 MiB. */
  responseBytesMax?: number;
  /** Random numbers in [0, 1) for backoff jitter; injectable for tests. */
  random?: () => number;
  /**
   * Maps a client address the cluster advertises (NOT_LEADER hints, member lists) to the address
   * to dial, or undefined to not dial it. Default: only addresses among `endpoints`, so a client
   * that reaches the nodes through proxies or NAT never bypasses them. Pass `(a) => a` to follow
   * the leader to any address the cluster names.
   */
  resolveAddress?: (advertised: string) => string | undefined;
  /**
   * This client's region (a member's --region label). Serializable and bounded-staleness reads
   * go first to a member of this region when one of the endpoints is known to be in it (learned
   * from each endpoint's own status, and from member lists), and fall back to the usual routing
   * if it fails; linearizable reads and writes always go through the leader. Default: none
   * (every call to the leader).
   */
  region?: string;
  /**
   * How often the client times a small call (each member's own status) to every endpoint, once it
   * first sends a serializable or bounded-staleness read or opens a watch; those then go to the
   * nearest endpoint that has not failed lately, and on in order of distance (nearest.ts). A
   * failed endpoint is skipped until it answers a probe again. 0 turns this off (then `region`
   * alone chooses). Default 5000 ms.
   */
  rttProbeIntervalMs?: number;
  /**
   * Told of every attempt a call makes, once it ends: where it went and how it ended, for
   * diagnostics (which member a call tried, what an attempt timeout cost). Must not throw.
   */
  onAttempt?: (report: AttemptReport) => void;
  /**
   * TLS (default: plaintext): `ca` is the PEM CA that signs the nodes' certificates; `cert` and
   * `key` are this client's certificate and key, for nodes started with --tls-client-auth.
   */
  tls?: TlsOptions;
  /**
   * While no member can be reached at all (every endpoint refuses the connection), calls keep
   * trying within their deadline (true, the default: a cluster restarting comes back), or fail
   * with UnreachableError as soon as each endpoint refused once (false: for tools that should say
   * at once that nothing runs there, like the CLI).
   */
  waitForMembers?: boolean;
  /**
   * Who the client is, when the cluster has auth on: `{ user, password }` logs in
   * (Auth.Authenticate) and sends the token with every call, renewing it before it expires; a
   * call a member refuses as unauthenticated logs in again once. `{ certificate: true }` relies
   * on the TLS client certificate in `tls` (its CN or a SAN names the user).
   */
  credentials?: Credentials;
}

export interface TlsOptions {
  ca: string | Uint8Array;
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
}

/** A backup in progress: see HoldfastClient.backup. */
export interface Backup {
  /** The store's revision the backup holds. */
  revision: number;
  /** The member that streams it. */
  memberId: number;
  /** The chunks, to store in order as they are; each checks itself (length and CRC32). */
  chunks: AsyncIterable<Uint8Array>;
}

export interface CallOptions {
  /** Overrides the client's deadlineMs for this call. */
  deadlineMs?: number;
  /**
   * Ends the call early: it rejects with AbortedError, which says for a write whether it may
   * have been applied. A watch or backup stream is cancelled.
   */
  signal?: AbortSignal;
}

export interface StatusResult {
  header: ResponseHeader;
  leaderId: number;
  members: MemberStatus[];
  /** The cluster's placement setting, as the answering member applied it. */
  placement: Placement;
  /** Whether the voters keep a quorum after losing any one region, and their layout by region. */
  survivesRegionLoss: boolean;
  layout: string;
  /** Things an operator should look at (election timeout vs RTT, survival goal not met). */
  warnings: string[];
}

/** Where the leader should be and what the voters' layout must survive (docs/operations.md, Regions). */
export interface Placement {
  /** Regions the leader should be in, most preferred first; empty: no preference. */
  leaderRegions: string[];
  survive: 'member' | 'region';
}

function placementFromWire(wire: { leaderRegions: string[]; survive: string } | null): Placement {
  return { leaderRegions: [...(wire?.leaderRegions ?? [])], survive: wire?.survive === 'region' ? 'region' : 'member' };
}

export interface AddLearnerRequest {
  name: string;
  region?: string;
  clientAddress: string;
  peerAddress: string;
}

const defaults = {
  deadlineMs: 5000,
  attemptTimeoutMs: 2000,
  backoffBaseMs: 10,
  backoffMaxMs: 500,
  attemptsMax: 1000,
  writesInFlightMax: 4096,
  streamPendingMax: 8192,
  streamFrameOpsMax: 128,
  responseBytesMax: 64 * 1024 * 1024,
  // Following a NOT_LEADER hint costs no backoff, but only this many times per call (no loops).
  redirectsMax: 3,
  streamRetryDelayMs: 1000,
  // Addresses learned from NOT_LEADER hints add connections; bound them.
  connectionsMax: 64,
  // Leader discovery (every endpoint's own status) at most this often.
  discoveryIntervalMs: 1000,
  discoveryTimeoutMs: 1000,
  rttProbeIntervalMs: 5000,
  // A failed endpoint is skipped by nearest reads for 1 s, doubling per failure up to 30 s.
  failureHoldMsMin: 1000,
  failureHoldMsMax: 30_000,
};

/** How a call may be retried. */
interface CallPolicy {
  label: string;
  deadlineAtMs: number;
  /**
   * True when repeating the call after an unknown outcome (lost connection, timeout) is safe:
   * reads, and writes that carry a session. False for membership changes.
   */
  retryUnknownOutcome: boolean;
  /** The call changes state: a timeout leaves its outcome unknown. */
  isWrite: boolean;
  /** Where the first attempt goes instead of the preferred endpoint (a serializable read's own region). */
  firstAddress?: string | undefined;
  /** Where attempt n goes (the nth nearest endpoint), before the usual routing takes over. */
  nearestOrder?: readonly string[];
  signal: AbortSignal | undefined;
  /** Some attempt reached a member (it answered, refused, or may have acted): false = sent nowhere yet. */
  reachedMember: boolean;
  /** A write some attempt of which may have taken effect: its outcome is unknown unless it succeeds. */
  outcomeUnknown: boolean;
  /** Addresses this call could not connect to at all (nothing sent there). */
  unreachable: Set<string>;
  /** The attempt left running when the call was aborted: a write's session slot waits for it. */
  abandonedAttempt: Promise<unknown> | undefined;
  /** A login itself: sent without logging in first. */
  noLogin?: boolean;
  /** Each attempt's time, when not the client's attemptTimeoutMs (a login: its hash is slow on a loaded machine). */
  attemptTimeoutMs?: number;
  /** The call logged in again once after a member refused its token. */
  loggedInAgain?: boolean;
}

type RetryDecision = 'redirect' | 'rotate' | 'backoff' | 'fail';

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`${name} must be a non-negative number, got ${value}`, { code: 'invalid-argument' });
  return value;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${name} must be a positive number, got ${value}`, { code: 'invalid-argument' });
  }
  return value;
}

/** The cluster apply version from which every member takes PutRequest.if_fence_at_least (the storage's APPLY_VERSION_FENCE). */
const FENCED_PUT_APPLY_VERSION = 7;
/**
 * Times a write refused auth-changed is sent again (as a new write). One resend meets the usual
 * case, an auth change applied while the write was in flight; a second covers another change
 * landing during the resend. More would only hide a stream of auth changes from the caller.
 */
const AUTH_CHANGED_RESENDS_MAX = 2;
/** How often a client whose cluster does not take fenced puts yet asks again. */
const fenceSupportRecheckMs = 30_000;

/**
 * The holdfast client: typed KV and cluster calls with leader discovery, failover and retries
 * inside each call's deadline. Create with `createClient`; call `close()` when done.
 */
export class HoldfastClient {
  readonly clientId: string;
  private readonly router: Router;
  private readonly connections = new Map<string, Connection>();
  private readonly sessions: SessionPool;
  private readonly methods = loadHoldfastMethods();
  private readonly options: Required<Omit<ClientOptions, 'retry' | 'clientId' | 'tls' | 'region' | 'credentials' | 'rttProbeIntervalMs' | 'onAttempt'>> & Required<RetryOptions>;
  private readonly onAttempt: ((report: AttemptReport) => void) | undefined;
  /** The user's token, with user and password credentials. */
  private readonly tokens: TokenSource | undefined;
  private readonly region: string | undefined;
  /** Distances to the endpoints, for reads any member may answer and for watches (nearest.ts). */
  private readonly distances: EndpointDistances;
  private readonly credentials: ChannelCredentials;
  /** Every lease this client keeps alive sends its keepalives over this one stream (keepalive-stream.ts). */
  private readonly keepAlives: KeepAliveMux;
  /** Every member takes PutRequest.if_fence_at_least (clusterFencesPuts), and when that was last asked. */
  private fencedPutsServed = false;
  private fenceSupportAskedAtMs = Number.NEGATIVE_INFINITY;
  private closed = false;

  /**
   * Leases: grant and revoke are writes (exactly once, like put); keepalive and time-to-live are
   * answered by the leader's clock; list reads the replicated lease table.
   */
  readonly lease = {
    grant: (ttlMs: number, options: CallOptions & { id?: number } = {}): Promise<LeaseGrantResult> => this.grantLease(ttlMs, options),
    revoke: (id: number, options: CallOptions = {}): Promise<LeaseRevokeResult> => this.revokeLease(id, options),
    keepAliveOnce: (id: number, options: CallOptions = {}): Promise<{ ttlMs: number }> => this.keepLeaseAliveOnce(id, options),
    /** Keeps the lease alive until close(); see LeaseKeepAlive. `ttlMs`: the TTL granted (default: asked of the leader first). */
    keepAlive: async (id: number, options: KeepAliveOptions & { ttlMs?: number } = {}): Promise<LeaseKeepAlive> => {
      const sentAtMs = options.sentAtMs ?? Date.now();
      const ttlMs = options.ttlMs ?? (await this.keepLeaseAliveOnce(id)).ttlMs;
      return new LeaseKeepAlive(id, ttlMs, this.keepAlives, { ...options, sentAtMs });
    },
    timeToLive: (id: number, options: CallOptions & { keys?: boolean } = {}): Promise<LeaseTimeToLiveResult> => this.leaseTimeToLive(id, options),
    list: (options: CallOptions = {}): Promise<LeaseStatus[]> => this.listLeases(options),
  };

  /** Membership calls; mutations go to the leader and are not retried after an unknown outcome. */
  readonly members = {
    list: (options?: CallOptions): Promise<Member[]> => this.listMembers(options),
    addLearner: (request: AddLearnerRequest, options?: CallOptions) => this.addLearner(request, options),
    promote: (id: number, options?: CallOptions): Promise<Member[]> => this.changeMember('MemberPromote', id, options),
    remove: (id: number, options?: CallOptions): Promise<Member[]> => this.changeMember('MemberRemove', id, options),
  };

  constructor(options: ClientOptions) {
    const endpoints = [...new Set(options.endpoints.map((endpoint) => endpoint.trim()).filter((e) => e !== ''))];
    if (endpoints.length === 0) {
      throw new InvalidArgumentError('at least one endpoint is needed', { code: 'invalid-argument' });
    }
    this.clientId = options.clientId ?? randomBytes(8).toString('hex');
    this.options = {
      endpoints,
      deadlineMs: positive('deadlineMs', options.deadlineMs ?? defaults.deadlineMs),
      attemptTimeoutMs: positive('attemptTimeoutMs', options.attemptTimeoutMs ?? defaults.attemptTimeoutMs),
      consistency: options.consistency ?? 'linearizable',
      batch: options.batch ?? true,
      writesInFlightMax: positive('writesInFlightMax', options.writesInFlightMax ?? defaults.writesInFlightMax),
      streamPendingMax: positive('streamPendingMax', options.streamPendingMax ?? defaults.streamPendingMax),
      streamFrameOpsMax: positive('streamFrameOpsMax', options.streamFrameOpsMax ?? defaults.streamFrameOpsMax),
      responseBytesMax: positive('responseBytesMax', options.responseBytesMax ?? defaults.responseBytesMax),
      random: options.random ?? Math.random,
      resolveAddress:
        options.resolveAddress ??
        ((advertised: string) => (endpoints.includes(advertised) ? advertised : undefined)),
      backoffBaseMs: positive('retry.backoffBaseMs', options.retry?.backoffBaseMs ?? defaults.backoffBaseMs),
      backoffMaxMs: positive('retry.backoffMaxMs', options.retry?.backoffMaxMs ?? defaults.backoffMaxMs),
      attemptsMax: positive('retry.attemptsMax', options.retry?.attemptsMax ?? defaults.attemptsMax),
      waitForMembers: options.waitForMembers ?? true,
    };
    this.credentials = channelCredentials(options.tls);
    this.tokens = this.tokenSource(options);
    this.region = options.region === undefined || options.region === '' ? undefined : options.region;
    this.onAttempt = options.onAttempt;
    this.sessions = new SessionPool({ clientId: this.clientId, slotsMax: this.options.writesInFlightMax });
    this.distances = new EndpointDistances(endpoints, {
      probeIntervalMs: nonNegative('rttProbeIntervalMs', options.rttProbeIntervalMs ?? defaults.rttProbeIntervalMs),
      failureHoldMsMin: defaults.failureHoldMsMin,
      failureHoldMsMax: defaults.failureHoldMsMax,
      probe: async (address) => {
        await this.connectionTo(address).callCluster('Status', { localOnly: true }, Date.now() + this.options.attemptTimeoutMs);
      },
    });
    this.router = new Router({
      endpoints,
      resolveAddress: this.options.resolveAddress,
      askOwnStatus: (endpoint, deadlineMs) =>
        this.connectionTo(endpoint).callCluster('Status', { localOnly: true }, deadlineMs),
      discoveryIntervalMs: defaults.discoveryIntervalMs,
      discoveryTimeoutMs: defaults.discoveryTimeoutMs,
      isAvoided: (address) => this.distances.isAvoided(address),
      answerAgeMs: (address) => this.distances.answerAgeMs(address),
    });
    this.keepAlives = new KeepAliveMux({
      address: () => this.preferredEndpoint,
      open: (address, onMessage, onEnd) => this.connectionTo(address).openKeepAliveStream(onMessage, onEnd),
      unary: async (id, deadlineMs) => (await this.keepLeaseAliveOnce(id, { deadlineMs: Math.max(1, deadlineMs - Date.now()) })).ttlMs,
      failed: (address) => this.router.moveAwayFrom(address, undefined),
      ...(this.tokens === undefined
        ? {}
        : { token: () => this.tokens?.current(), refused: (token: string | undefined) => this.tokens?.invalidate(token) }),
    }, { attemptTimeoutMs: this.options.attemptTimeoutMs });
  }

  /** How this client's keepalives travelled (streamed or unary), for tests and diagnostics. */
  get keepAliveCounts(): Readonly<KeepAliveMux['counts']> {
    return { ...this.keepAlives.counts };
  }

  /**
   * Users, roles and the auth switch. Changes go through the log (on the leader) and are not
   * retried after an unknown outcome; each needs the admin right "auth" (or the root role).
   */
  readonly auth = {
    enable: (tokenTtlMs = 0, options?: CallOptions) => this.authChange('AuthEnable', { tokenTtlMs }, options),
    disable: (options?: CallOptions) => this.authChange('AuthDisable', {}, options),
    rotateSigningKey: (options?: CallOptions) => this.authChange('RotateSigningKey', {}, options),
    status: async (options?: CallOptions): Promise<AuthStatusInfo> => this.authCall<AuthStatusInfo>('AuthStatus', {}, this.policy('auth.status', options ?? {}, { write: false })),
    userAdd: (name: string, password: string | undefined, options?: CallOptions) =>
      this.authChange('UserAdd', password === undefined ? { name, noPassword: true } : { name, password }, options),
    userDelete: (name: string, options?: CallOptions) => this.authChange('UserDelete', { name }, options),
    userChangePassword: (name: string, password: string, options?: CallOptions) => this.authChange('UserChangePassword', { name, password }, options),
    userGrantRole: (name: string, role: string, options?: CallOptions) => this.authChange('UserGrantRole', { name, role }, options),
    userRevokeRole: (name: string, role: string, options?: CallOptions) => this.authChange('UserRevokeRole', { name, role }, options),
    userList: async (options?: CallOptions): Promise<AuthUserInfo[]> =>
      (await this.authCall<{ users: AuthUserInfo[] }>('UserList', {}, this.policy('auth.userList', options ?? {}, { write: false }))).users,
    roleAdd: (name: string, options?: CallOptions) => this.authChange('RoleAdd', { name }, options),
    roleDelete: (name: string, options?: CallOptions) => this.authChange('RoleDelete', { name }, options),
    roleGrant: (name: string, permission: AuthPermission, options?: CallOptions) =>
      this.authChange('RoleGrant', { name, permission: permissionToWire(permission) }, options),
    roleRevoke: (name: string, permission: AuthPermission, options?: CallOptions) =>
      this.authChange('RoleRevoke', { name, permission: permissionToWire(permission) }, options),
    roleList: async (options?: CallOptions): Promise<AuthRoleInfo[]> => {
      const response = await this.authCall<{ roles: { name: string; permissions: Permission__Output[] }[] }>(
        'RoleList',
        {},
        this.policy('auth.roleList', options ?? {}, { write: false }),
      );
      return response.roles.map((role) => ({ name: role.name, permissions: role.permissions.map(permissionFromWire) }));
    },
  };

  /**
   * The token this client sends (logging in first if it holds none that is good): for tools
   * that make their own gRPC calls. Undefined without user and password credentials.
   */
  async authToken(options: CallOptions = {}): Promise<string | undefined> {
    return this.tokens?.ensure(Date.now() + (options.deadlineMs ?? this.options.deadlineMs));
  }

  private tokenSource(options: ClientOptions): TokenSource | undefined {
    const given = options.credentials;
    if (given === undefined) return undefined;
    if ('certificate' in given) {
      if (options.tls?.cert === undefined) {
        throw new InvalidArgumentError('certificate credentials need tls.cert and tls.key', { code: 'invalid-argument' });
      }
      return undefined;
    }
    if (given.user === '') throw new InvalidArgumentError('credentials need a user name', { code: 'invalid-argument' });
    return new TokenSource(async (deadlineMs, proof) => {
      const policy = this.policy('login', { deadlineMs: Math.max(1, deadlineMs - Date.now()) }, { write: false });
      policy.noLogin = true;
      policy.attemptTimeoutMs = Math.max(this.options.attemptTimeoutMs, LOGIN_ATTEMPT_TIMEOUT_MS);
      const request = { name: given.user, password: given.password };
      return this.withRetries(policy, (connection, attemptDeadlineMs) =>
        connection.callAuth<{ token: string; expiresAtMs: number }>('Authenticate', request, attemptDeadlineMs, proof),
      );
    });
  }

  /** An auth change refused auth-changed was not applied (it carries no session): sent again as it is. */
  private async authChange(method: AuthMethod, request: object, options: CallOptions = {}): Promise<{ revision: number }> {
    const policy = this.policy(`auth.${method}`, options, { write: true, retryUnknownOutcome: false });
    return this.againIfAuthChanged(policy, () => this.authCall<{ revision: number }>(method, request, policy));
  }

  private authCall<Response>(method: AuthMethod, request: object, policy: CallPolicy): Promise<Response> {
    return this.withRetries(policy, (connection, attemptDeadlineMs) => connection.callAuth<Response>(method, request, attemptDeadlineMs));
  }

  /**
   * Writes key = value. Throws CompareFailedError when a guard (ifAbsent, ifModRevision) fails,
   * LeaseNotFoundError when `lease` is not held, StaleFenceError when `ifFenceAtLeast` is below
   * the highest fencing token a write of this key carried.
   */
  async put(key: Bytes, value: Bytes, options: PutOptions & CallOptions = {}): Promise<PutResult> {
    if (options.ifFenceAtLeast !== undefined) {
      if (!(await this.clusterFencesPuts(options))) return fencedPut(this, key, value, options.ifFenceAtLeast, options);
      return fencedPutOnServer(key, value, options.ifFenceAtLeast, options, (request) => this.write('put', options, (session) => ({ ...request, session })));
    }
    const request = putRequest(key, value, options);
    const response = await this.write('put', options, (session) => ({ ...request, session }));
    return putResultFromWire(response);
  }

  /**
   * Whether every member takes PutRequest.if_fence_at_least (the cluster applies at version
   * FENCED_PUT_APPLY_VERSION or later; a member of an older release would drop the field and
   * write unfenced). Asked of the cluster's status once, again at most every
   * fenceSupportRecheckMs while not; a yes is kept (the cluster's version never goes down). Until
   * then fenced puts use the fence txn, which every release applies.
   */
  private async clusterFencesPuts(options: CallOptions): Promise<boolean> {
    if (this.fencedPutsServed) return true;
    if (Date.now() - this.fenceSupportAskedAtMs < fenceSupportRecheckMs) return false;
    this.fenceSupportAskedAtMs = Date.now();
    try {
      const status = await this.status({ ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }) });
      this.fencedPutsServed = status.members.some((member) => member.clusterVersion >= FENCED_PUT_APPLY_VERSION);
    } catch {
      return false;
    }
    return this.fencedPutsServed;
  }

  /** Reads one key; undefined when absent. Linearizable unless asked otherwise. */
  async get(key: Bytes, options: GetOptions & CallOptions = {}): Promise<KeyValue | undefined> {
    const request = getRequest(key, options.consistency ?? this.options.consistency, options.maxStalenessMs, options.revision);
    const response = await this.read('get', request, options);
    return response.found ? keyValueFromWire(response.kv) : undefined;
  }

  /** Deletes one key; `deleted` says whether it existed. */
  async delete(key: Bytes, options: DeleteOptions & CallOptions = {}): Promise<DeleteResult> {
    const request = deleteRequest(key, options);
    const response = await this.write('delete', options, (session) => ({ ...request, session }));
    return deleteResultFromWire(response);
  }

  /**
   * Deletes every key with a prefix, or in [start, end), at one revision. More keys in range
   * than the cluster's --delete-range-keys-max: RequestTooLargeError, nothing deleted.
   */
  async deleteRange(selector: DeleteRangeSelector, options: DeleteRangeOptions & CallOptions = {}): Promise<DeleteRangeResult> {
    const request = deleteRangeRequest(selector, options);
    const response = await this.write('delete', options, (session) => ({ ...request, session }));
    return deleteRangeResultFromWire(response);
  }

  /**
   * Drops the key history below `revision` on every member (through the log): reads at an older
   * revision and watches from one fail with CompactedError from then on. A revision at or below
   * the one compacted already: CompactedError; past the store's revision: InvalidArgumentError.
   * Not retried once it may have reached the leader (a retry of an applied one would say compacted).
   */
  async compact(revision: number, options: CallOptions = {}): Promise<CompactResult> {
    if (!Number.isSafeInteger(revision) || revision < 1) throw new InvalidArgumentError(`compact needs a positive revision, got ${revision}`, { code: 'invalid-argument' });
    const policy = this.policy('compact', options, { write: true, retryUnknownOutcome: false });
    // Refused auth-changed, nothing was compacted: sent again as it is (it carries no session).
    const response = await this.againIfAuthChanged(policy, () =>
      this.withRetries(policy, (connection, attemptDeadlineMs) => connection.callKv('compact', { revision }, attemptDeadlineMs)),
    );
    return { header: headerFromWire(response.header), compactRevision: response.compactRevision };
  }

  /** One page of keys in a range; see `rangeAll` to walk every page. */
  async range(selector: RangeSelector, options: RangeOptions & CallOptions = {}): Promise<RangeResult> {
    const request = rangeRequest(selector, options, options.consistency ?? this.options.consistency);
    return rangeResultFromWire(await this.read('range', request, options));
  }

  /** Every page of a range, following `continuation` (each page is its own call and deadline). */
  async *rangePages(selector: RangeSelector, options: RangeOptions & CallOptions = {}): AsyncGenerator<RangeResult> {
    let continuation = options.continuation;
    for (;;) {
      const page = await this.range(selector, continuation === undefined ? options : { ...options, continuation });
      yield page;
      if (!page.more) return;
      continuation = page.continuation;
    }
  }

  /** Every key-value in a range, page by page. */
  async *rangeAll(selector: RangeSelector, options: RangeOptions & CallOptions = {}): AsyncGenerator<KeyValue> {
    for await (const page of this.rangePages(selector, options)) yield* page.kvs;
  }

  /** Runs `success` if every compare holds, else `failure`, atomically. */
  async txn(request: TxnRequest, options: CallOptions = {}): Promise<TxnResult> {
    const wire = txnRequestToWire(request);
    const response = await this.write('txn', options, (session) => ({ ...wire, session }));
    return txnResultFromWire(response);
  }

  /**
   * A lock on `name` held while the returned holder's lease lives (see concurrency.ts): waits
   * behind every holder that asked before; the holder's `token` (its key's create revision)
   * fences the resource it guards.
   */
  lock(name: Bytes, options: LockOptions = {}): Promise<LockHolder> {
    return acquireLock(this, name, options);
  }

  /** A leader election on `name` (campaign, proclaim, resign, leader, observe); see concurrency.ts. */
  election(name: Bytes, options: ElectionOptions = {}): Election {
    return new Election(this, name, options);
  }

  private async grantLease(ttlMs: number, options: CallOptions & { id?: number }): Promise<LeaseGrantResult> {
    const request = { ttlMs: checkTtl(ttlMs), id: options.id ?? 0 };
    return grantResultFromWire(await this.write('leaseGrant', options, (session) => ({ ...request, session })));
  }

  private async revokeLease(id: number, options: CallOptions): Promise<LeaseRevokeResult> {
    const response = await this.write('leaseRevoke', options, (session) => ({ id, session }));
    return { header: headerFromWire(response.header), keysDeleted: response.keysDeleted, revision: response.revision };
  }

  private async keepLeaseAliveOnce(id: number, options: CallOptions = {}): Promise<{ ttlMs: number }> {
    const response = await this.callLeader('leaseKeepAlive', { id }, options);
    return { ttlMs: response.ttlMs };
  }

  private async leaseTimeToLive(id: number, options: CallOptions & { keys?: boolean }): Promise<LeaseTimeToLiveResult> {
    const response = await this.callLeader('leaseTimeToLive', { id, keys: options.keys === true }, options);
    return { id: response.id, ttlMs: response.ttlMs, remainingMs: response.remainingMs, keys: response.keys };
  }

  private async listLeases(options: CallOptions): Promise<LeaseStatus[]> {
    const response = await this.callLeader('leaseList', {}, options);
    return response.leases.map((lease) => ({ id: lease.id, ttlMs: lease.ttlMs, keys: lease.keys }));
  }

  /** A call the leader answers without a log write (safe to repeat): retried like a read. */
  private callLeader<K extends 'leaseKeepAlive' | 'leaseTimeToLive' | 'leaseList'>(
    kind: K,
    request: KvMethods[K]['request'],
    options: CallOptions,
  ): Promise<KvMethods[K]['response']> {
    const policy = this.policy(kind, options, { write: false });
    return this.withRetries(policy, (connection, attemptDeadlineMs) => connection.callKv(kind, request, attemptDeadlineMs));
  }

  /** Every member's role, term, indexes, and (from the leader) each follower's progress. */
  async status(options: CallOptions = {}): Promise<StatusResult> {
    const response = await this.callCluster('Status', {}, this.policy('status', options, { write: false }));
    const members = response.members.map(memberStatusFromWire);
    this.router.learnMembers(members);
    this.router.learnLeader(response.leaderId);
    return {
      header: headerFromWire(response.header),
      leaderId: response.leaderId,
      members,
      placement: placementFromWire(response.placement),
      survivesRegionLoss: response.survivesRegionLoss,
      layout: response.layout,
      warnings: [...response.warnings],
    };
  }

  /**
   * Changes the cluster's placement setting through the log; fields left out keep their value.
   * Refused (InvalidArgumentError naming the layout) when the goal is `region` and the voters do
   * not survive the loss of a region. A change refused auth-changed (an auth change applied
   * before it; not applied) is sent again, checked against the newer auth state.
   */
  async setPlacement(change: { leaderRegions?: string[]; survive?: 'member' | 'region' }, options: CallOptions = {}): Promise<Placement> {
    const policy = this.policy('setPlacement', options, { write: true, retryUnknownOutcome: true });
    const request = { leaderRegions: change.leaderRegions ?? [], leaderRegionsSet: change.leaderRegions !== undefined, survive: change.survive ?? '' };
    const response = await this.againIfAuthChanged(policy, () => this.callCluster('SetPlacement', request, policy));
    return placementFromWire(response.placement);
  }

  /** Asks the leader to hand leadership to `targetId` (absent or 0: the most caught-up voter). */
  async transferLeadership(targetId = 0, options: CallOptions = {}): Promise<{ leaderId: number }> {
    const policy = this.policy('transferLeadership', options, { write: true, retryUnknownOutcome: false });
    const response = await this.againIfAuthChanged(policy, () => this.callCluster('TransferLeadership', { targetId }, policy));
    // The old leader is no longer the one to ask.
    this.router.forgetLeader();
    this.router.learnLeader(response.leaderId);
    return { leaderId: response.leaderId };
  }

  /** Stops every connection; calls in flight fail with ClientClosedError. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.router.stop();
    this.distances.stop();
    this.keepAlives.close();
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }

  /**
   * Watches the changes to a key (`{ start }`), a range (`{ start, end }`) or a prefix, from
   * `startRevision` (default: from now), as an async iterable of batches in revision order. It
   * moves to another member when the one it listens to fails, without telling a change twice or
   * skipping one; it ends with WatchCompactedError only if the changes it needs are older than
   * any member keeps (read the keys again, then watch from the read's revision + 1). close() ends
   * the iteration.
   */
  watch(selector: RangeSelector, options: WatchOptions = {}): Watch {
    if (this.closed) throw new ClientClosedError('client closed', { code: 'closed' });
    if (options.signal?.aborted === true) throw new AbortedError('watch aborted', { mayHaveBeenApplied: false });
    // The token the last stream opened with (undefined: none, auth was off), for a refusal to name.
    let openedWith: string | undefined;
    return new Watch(selector, options, {
      authenticate: async (afterRefusal) => {
        if (this.tokens === undefined) return;
        const deadlineMs = Date.now() + this.options.attemptTimeoutMs;
        await (afterRefusal ? this.tokens.renewAfterRefusal(openedWith, deadlineMs) : this.tokens.ensure(deadlineMs));
      },
      canLogIn: () => this.tokens !== undefined,
      open: async (request, signal, dialing) => {
        const address = this.watchEndpoint();
        dialing(address);
        const firstDeadlineMs = Date.now() + this.options.attemptTimeoutMs;
        openedWith = this.tokens?.current();
        const opened = await this.connectionTo(address).openServerStream<WatchResponse__Output>(this.methods.watch, request, firstDeadlineMs, signal);
        return opened;
      },
      moveAway: (address) => {
        this.distances.noteFailure(address);
        this.router.moveAwayFrom(address, undefined);
      },
      endIfUnreachable: (unreachable, last) => {
        if (this.options.waitForMembers || !this.options.endpoints.every((endpoint) => unreachable.has(endpoint))) return undefined;
        return this.unreachableError({ unreachable: new Set(unreachable), isWrite: false, label: 'watch' }, last);
      },
      memberCount: () => this.router.endpointCount,
      backoffMs: (failures) => this.backoffMs(failures),
      isClosed: () => this.closed,
    });
  }

  /**
   * The pattern of a cache kept in step with the store: reads every key of the selector
   * (linearizable, page by page), then watches from just after the first page's revision, so no
   * change is missed between the read and the watch. When the range takes several pages, later
   * pages may already hold a change the watch then tells again: apply an event to a key only if
   * its modRevision is above the key's (a delete's modRevision is the delete's revision).
   */
  async readAndWatch(
    selector: RangeSelector,
    options: Omit<RangeOptions, 'consistency' | 'maxStalenessMs' | 'continuation'> & CallOptions & Omit<WatchOptions, 'startRevision'> = {},
  ): Promise<{ kvs: KeyValue[]; revision: number; watch: Watch }> {
    const kvs: KeyValue[] = [];
    let revision: number | undefined;
    const { idleTimeoutMs, ...rangeOptions } = options;
    for await (const page of this.rangePages(selector, { ...rangeOptions, consistency: 'linearizable' })) {
      revision ??= page.header.revision;
      kvs.push(...page.kvs);
    }
    const read = revision ?? 0;
    const watch = this.watch(selector, {
      startRevision: read + 1,
      ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return { kvs, revision: read, watch };
  }

  /** The address calls go to first: the leader when known. */
  get preferredEndpoint(): string {
    return this.router.preferred;
  }

  /**
   * A backup of the whole store (keys with their revisions, client sessions), taken by the
   * member that answers after a read barrier, so it holds every write acknowledged before the
   * call. Resolves once the first chunk arrived; attempts are retried like reads until then. A
   * stream that breaks later throws from the iteration: start again. `holdfast backup save`
   * writes the chunks to a file; `holdfast node --restore-backup FILE` seeds a new cluster.
   */
  async backup(options: CallOptions = {}): Promise<Backup> {
    const policy = this.policy('backup', options, { write: false });
    const { first, rest } = await this.withRetries(policy, (connection, attemptDeadlineMs) =>
      connection.openServerStream<BackupChunk__Output>(this.methods.backup, {}, attemptDeadlineMs, options.signal),
    );
    const chunks = backupData(first, rest, () => (options.signal?.aborted === true ? this.aborted(policy) : undefined));
    return { revision: first.header?.revision ?? 0, memberId: first.header?.memberId ?? 0, chunks };
  }

  private async listMembers(options: CallOptions = {}): Promise<Member[]> {
    const response = await this.callCluster('MemberList', {}, this.policy('members.list', options, { write: false }));
    const members = response.members.map(memberFromWire);
    this.router.learnMembers(members);
    return members;
  }

  private async addLearner(
    request: AddLearnerRequest,
    options: CallOptions = {},
  ): Promise<{ member: Member | undefined; members: Member[] }> {
    const policy = this.policy('members.addLearner', options, { write: true, retryUnknownOutcome: false });
    const wire = { ...request, region: request.region ?? '' };
    const response = await this.againIfAuthChanged(policy, () => this.callCluster('MemberAddLearner', wire, policy));
    return {
      member: response.member === null ? undefined : memberFromWire(response.member),
      members: response.members.map(memberFromWire),
    };
  }

  private async changeMember(
    method: 'MemberPromote' | 'MemberRemove',
    id: number,
    options: CallOptions = {},
  ): Promise<Member[]> {
    const policy = this.policy(method, options, { write: true, retryUnknownOutcome: false });
    const response = await this.againIfAuthChanged(policy, () => this.callCluster(method, { id }, policy));
    return response.members.map(memberFromWire);
  }

  private policy(
    label: string,
    options: CallOptions,
    kind: { write: boolean; retryUnknownOutcome?: boolean },
  ): CallPolicy {
    const deadlineMs = positive('deadlineMs', options.deadlineMs ?? this.options.deadlineMs);
    return {
      label,
      deadlineAtMs: Date.now() + deadlineMs,
      retryUnknownOutcome: kind.retryUnknownOutcome ?? true,
      isWrite: kind.write,
      signal: options.signal,
      reachedMember: false,
      outcomeUnknown: false,
      unreachable: new Set(),
      abandonedAttempt: undefined,
    };
  }

  private read<K extends 'get' | 'range'>(
    kind: K,
    request: KvMethods[K]['request'],
    options: CallOptions,
  ): Promise<KvMethods[K]['response']> {
    const policy = this.policy(kind, options, { write: false });
    // Serializable and bounded-staleness reads may be answered by any member: the nearest first.
    const anyMember = request.consistency === 'SERIALIZABLE' || (request.maxStalenessMs ?? 0) > 0;
    if (anyMember) this.routeToNearest(policy);
    return this.withRetries(policy, (connection, attemptDeadlineMs) =>
      connection.callKv(kind, request, attemptDeadlineMs),
    );
  }

  /**
   * A read any member may answer goes to the nearest endpoint that has not failed, then on by
   * distance; until distances are measured, to a member of the client's region if one is known.
   */
  private routeToNearest(policy: CallPolicy): void {
    this.distances.start();
    if (this.distances.measured) {
      const region = this.region;
      policy.nearestOrder = this.distances.order((address) => region !== undefined && this.router.regionOfAddress(address) === region);
    } else if (this.region !== undefined) {
      policy.firstAddress = this.router.addressInRegion(this.region);
    }
  }

  /** The endpoint a watch opens on: the nearest that has not failed once measured, else the preferred one. */
  private watchEndpoint(): string {
    this.distances.start();
    if (!this.distances.measured) return this.preferredEndpoint;
    return this.distances.order()[0] ?? this.preferredEndpoint;
  }

  /**
   * A write holds one session slot for all its attempts, so every retry repeats the same
   * sequence; only a write refused auth-changed (settled: never applied) is sent again with the
   * slot's next sequence.
   */
  private async write<K extends 'put' | 'delete' | 'txn' | 'leaseGrant' | 'leaseRevoke'>(
    kind: K,
    options: CallOptions,
    withSession: (session: Session) => KvMethods[K]['request'],
  ): Promise<KvMethods[K]['response']> {
    const policy = this.policy(kind, options, { write: true });
    const slot = this.sessions.acquire();
    try {
      if (!this.router.knowsLeader) this.router.maybeDiscoverLeader();
      const response = await this.againIfAuthChanged(policy, () => {
        const request = withSession(slot.nextSession());
        return this.withRetries(policy, (connection, attemptDeadlineMs) => connection.callKv(kind, request, attemptDeadlineMs));
      });
      this.router.noteWriteAnsweredBy(response.header?.memberId ?? 0);
      return response;
    } finally {
      // An attempt abandoned by an abort may still be answered: the slot (one write in flight per
      // session id) is free again only once it settled, within its attempt deadline.
      const abandoned = policy.abandonedAttempt;
      if (abandoned === undefined) this.sessions.release(slot);
      else void abandoned.finally(() => this.sessions.release(slot));
    }
  }

  /**
   * Sends a write again while it is refused auth-changed, at most AUTH_CHANGED_RESENDS_MAX times
   * and within the call's deadline: it was checked against an auth state that an auth change
   * replaced before it applied, and was not applied. Sent again, it is checked against the newer
   * state: refused (permission-denied, unauthenticated) if the change took the caller's right
   * away, applied if not. `send` must send it as a new write (a new session sequence: the
   * refused one's session answers auth-changed for good; an auth change has no session).
   */
  private async againIfAuthChanged<T>(policy: CallPolicy, send: () => Promise<T>): Promise<T> {
    for (let sends = 1; ; sends++) {
      try {
        return await send();
      } catch (error) {
        if (!(error instanceof AuthChangedError) || sends > AUTH_CHANGED_RESENDS_MAX || Date.now() >= policy.deadlineAtMs) throw error;
        // The refused sequence is settled, never applied: only the next one's outcome counts.
        policy.outcomeUnknown = false;
      }
    }
  }

  private callCluster<M extends ClusterMethod>(
    method: M,
    request: ClusterMethods[M]['request'],
    policy: CallPolicy,
  ): Promise<ClusterMethods[M]['response']> {
    return this.withRetries(policy, (connection, attemptDeadlineMs) =>
      connection.callCluster(method, request, attemptDeadlineMs),
    );
  }

  private async withRetries<T>(
    policy: CallPolicy,
    attempt: (connection: Connection, attemptDeadlineMs: number) => Promise<T>,
  ): Promise<T> {
    let redirects = 0;
    let backoffs = 0;
    for (let attempts = 1; ; attempts++) {
      if (this.closed) throw new ClientClosedError('client closed', { code: 'closed' });
      if (policy.signal?.aborted === true) throw this.aborted(policy);
      const token = await this.tokenForAttempt(policy);
      // Closed while the login ran: no connection may be opened after close().
      if (this.closed) throw new ClientClosedError('client closed', { code: 'closed' });
      const regional = policy.nearestOrder?.[attempts - 1] ?? (attempts === 1 ? policy.firstAddress : undefined);
      const connection = this.connectionTo(regional ?? this.preferredEndpoint);
      const attemptDeadlineMs = Math.min(policy.deadlineAtMs, Date.now() + (policy.attemptTimeoutMs ?? this.options.attemptTimeoutMs));
      const startedMs = Date.now();
      try {
        const answer = await this.unlessAborted(policy, attempt(connection, attemptDeadlineMs), { sentOut: true });
        this.distances.noteAnswer(connection.address);
        this.reportAttempt(policy, attempts, connection.address, startedMs, 'ok');
        return answer;
      } catch (thrown) {
        if (thrown instanceof AbortedError) throw thrown;
        const error = toHoldfastError(thrown);
        this.reportAttempt(policy, attempts, connection.address, startedMs, error.code);
        // A token a member no longer takes (expired, a rotated-out key), or none while auth was
        // just turned on: log in again, once.
        if (error.code === 'unauthenticated' && this.tokens !== undefined && policy.noLogin !== true && policy.loggedInAgain !== true) {
          policy.loggedInAgain = true;
          this.tokens?.invalidate(token);
          continue;
        }
        // Nothing was acted on, and the member is asked again with a unary call: not a failure.
        if (batchNotServed(error) && attempts < this.options.attemptsMax) continue;
        this.noteOutcome(policy, connection.address, error);
        const decision = this.decideRetry(error, policy, redirects < defaults.redirectsMax);
        if (decision === 'fail') throw error;
        if (!this.options.waitForMembers && this.noMemberAnswers(policy)) throw this.unreachableError(policy, error);
        if (Date.now() >= policy.deadlineAtMs) throw this.givingUp(policy, attempts, error);
        // Out of attempts with time left: the last failure is the most precise answer.
        if (attempts >= this.options.attemptsMax) throw error;
        // The nearest member failed this read, or a member gave no answer at all: skipped by the
        // next calls (reads and the leader's route alike) until it answers again. A member that
        // refused a call for the leader is alive and stays in use.
        if (regional !== undefined || gotNoAnswer(error)) this.distances.noteFailure(connection.address);
        else this.distances.noteAnswer(connection.address);
        // A failed attempt in the client's own region says nothing about where the leader is.
        if (regional === undefined) this.noteFailure(connection.address, error, decision);
        if (decision === 'redirect') {
          redirects += 1;
          continue;
        }
        backoffs += 1;
        const delayMs = this.backoffMs(backoffs);
        if (Date.now() + delayMs >= policy.deadlineAtMs) throw this.givingUp(policy, attempts, error);
        await this.unlessAborted(policy, sleep(delayMs), { sentOut: false });
      }
    }
  }

  /**
   * The token for the call's next attempt (undefined: none is needed), before the attempt's clock
   * starts. A login (a read barrier and a hash) may outlast an attempt timeout on a loaded
   * machine; nothing is sent while it runs, so it is waited for until the call's deadline, and a
   * call that is not repeated after an unknown outcome (an admin change) is not failed by it.
   */
  private async tokenForAttempt(policy: CallPolicy): Promise<string | undefined> {
    if (this.tokens === undefined || policy.noLogin === true) return undefined;
    for (let logins = 1; ; logins++) {
      try {
        return await this.unlessAborted(policy, this.tokens.ensure(policy.deadlineAtMs), { sentOut: false });
      } catch (thrown) {
        if (thrown instanceof AbortedError) throw thrown;
        const error = toHoldfastError(thrown);
        if (error.code !== 'timeout') throw error;
        // A login another call started gave up at its own deadline, before this call's: log in again.
        const delayMs = this.backoffMs(logins);
        if (Date.now() + delayMs < policy.deadlineAtMs) {
          await this.unlessAborted(policy, sleep(delayMs), { sentOut: false });
          continue;
        }
        throw new DeadlineExceededError(`${policy.label} did not complete before its deadline: no login answered in time${this.outcomeText(policy)}`, {
          code: 'timeout',
          cause: error,
        });
      }
    }
  }

  private reportAttempt(policy: CallPolicy, attempt: number, address: string, startedMs: number, outcome: string): void {
    this.onAttempt?.({ call: policy.label, attempt, address, elapsedMs: Date.now() - startedMs, outcome });
  }

  /**
   * Settles like `work`, or rejects with AbortedError when the call's signal fires first.
   * `sentOut`: `work` is an attempt, which may reach a member and act after all; else a backoff.
   */
  private unlessAborted<T>(policy: CallPolicy, work: Promise<T>, kind: { sentOut: boolean }): Promise<T> {
    const signal = policy.signal;
    if (signal === undefined) return work;
    return new Promise<T>((resolve, reject) => {
      const abort = (): void => {
        if (kind.sentOut) {
          policy.abandonedAttempt = work.catch(() => undefined);
          if (policy.isWrite) policy.outcomeUnknown = true;
        }
        reject(this.aborted(policy));
      };
      if (signal.aborted) {
        abort();
        return;
      }
      signal.addEventListener('abort', abort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener('abort', abort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', abort);
          reject(error);
        },
      );
    });
  }

  /** What a failed attempt says about where the request went and whether it may have acted. */
  private noteOutcome(policy: CallPolicy, address: string, error: HoldfastError): void {
    if (wasNeverSent(error)) {
      policy.unreachable.add(address);
      return;
    }
    policy.reachedMember = true;
    // No verdict (a broken connection, or no answer in time): the member may have acted.
    if (policy.isWrite && (error.code === 'unavailable' || error.code === 'timeout')) policy.outcomeUnknown = true;
  }

  /** True when this call reached no member and every configured endpoint refused to connect. */
  private noMemberAnswers(policy: CallPolicy): boolean {
    return !policy.reachedMember && this.options.endpoints.every((endpoint) => policy.unreachable.has(endpoint));
  }

  private decideRetry(error: HoldfastError, policy: CallPolicy, mayRedirect: boolean): RetryDecision {
    // Nothing left this client: another member may be up, whatever the call.
    if (wasNeverSent(error)) return 'rotate';
    switch (error.code) {
      case 'not-leader': {
        const isNewHint = this.router.isNewLeaderHint((error as NotLeaderError).leader);
        return isNewHint && mayRedirect ? 'redirect' : 'rotate';
      }
      case 'no-leader':
      case 'stopping':
      case 'state-corrupt':
        // The server refused before acting: safe for every call.
        return 'rotate';
      case 'overloaded':
        return 'backoff';
      case 'unavailable':
      case 'timeout':
        // No verdict, or the server gave up waiting: the call may have taken effect.
        return policy.retryUnknownOutcome ? 'rotate' : 'fail';
      default:
        return 'fail';
    }
  }

  private noteFailure(address: string, error: HoldfastError, decision: RetryDecision): void {
    const hint = error instanceof NotLeaderError ? error.leader : undefined;
    if (decision === 'redirect') this.router.followHint(hint);
    else if (decision === 'rotate') this.router.moveAwayFrom(address, hint, { noLeader: error.code === 'no-leader' });
  }

  /** How the call's writes stand, for messages: unknown, or applied nowhere. */
  private outcomeText(policy: CallPolicy): string {
    if (!policy.isWrite) return '';
    return policy.outcomeUnknown
      ? '; the outcome is unknown: the write may have been applied'
      : '; not applied: no member acted on it';
  }

  private unreachableError(policy: Pick<CallPolicy, 'unreachable' | 'isWrite' | 'label'>, last: HoldfastError): UnreachableError {
    const endpoints = [...policy.unreachable];
    const notApplied = policy.isWrite ? `; the ${policy.label} was not applied` : '';
    const cause = (last.cause as GrpcStatusCause | Error | undefined) ?? last;
    // grpc-js words it "No connection established. Last error: Error: connect ECONNREFUSED ...",
    // inside "batch stream ended (...)" when the call went over a stream.
    const why = /Last error: (?:Error: )?(.*?)\.?\)?$/.exec(last.message)?.[1] ?? last.message;
    return new UnreachableError(`no holdfast member answers at ${endpoints.join(', ')}; is the cluster running? (${why}${notApplied})`, {
      endpoints,
      cause,
    });
  }

  private aborted(policy: CallPolicy): AbortedError {
    const reason: unknown = policy.signal?.reason;
    const why = reason instanceof Error ? ` (${reason.message})` : '';
    return new AbortedError(`${policy.label} aborted${why}${this.outcomeText(policy)}`, {
      mayHaveBeenApplied: policy.isWrite && policy.outcomeUnknown,
      cause: reason instanceof Error ? reason : undefined,
    });
  }

  private givingUp(policy: CallPolicy, attempts: number, last: HoldfastError): HoldfastError {
    if (!policy.reachedMember) return this.unreachableError(policy, last);
    const cause = (last.cause as GrpcStatusCause | Error | undefined) ?? last;
    return new DeadlineExceededError(
      `${policy.label} did not complete before its deadline after ${attempts} attempt(s); last error: ${last.name}: ${last.message}${this.outcomeText(policy)}`,
      { code: 'timeout', cause },
    );
  }

  /** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(n-1))]. */
  private backoffMs(backoffs: number): number {
    const ceilingMs = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** Math.min(backoffs - 1, 30));
    return Math.floor(this.options.random() * ceilingMs);
  }

  private connectionTo(address: string): Connection {
    let connection = this.connections.get(address);
    if (connection !== undefined) return connection;
    if (this.connections.size >= defaults.connectionsMax) {
      // Too many learned addresses: forget the hint and use a configured endpoint.
      this.router.forgetLeader();
      address = this.router.preferred;
      connection = this.connections.get(address);
      if (connection !== undefined) return connection;
    }
    connection = new Connection(address, {
      credentials: this.credentials,
      methods: this.methods,
      batchEnabled: this.options.batch,
      streamPendingMax: this.options.streamPendingMax,
      streamFrameOpsMax: this.options.streamFrameOpsMax,
      streamRetryDelayMs: defaults.streamRetryDelayMs,
      responseBytesMax: this.options.responseBytesMax,
      token: () => this.tokens?.current(),
    });
    this.connections.set(address, connection);
    return connection;
  }
}

async function* backupData(
  first: BackupChunk__Output,
  rest: AsyncIterable<BackupChunk__Output>,
  abortedError: () => AbortedError | undefined,
): AsyncGenerator<Uint8Array> {
  yield first.data;
  try {
    for await (const chunk of rest) yield chunk.data;
  } catch (error) {
    // An abort cancels the stream: say so rather than "cancelled".
    throw abortedError() ?? error;
  }
}

function pem(value: string | Uint8Array): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function channelCredentials(tls: TlsOptions | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new InvalidArgumentError('tls.cert and tls.key go together: give both or neither', { code: 'invalid-argument' });
  }
  try {
    return credentials.createSsl(pem(tls.ca), tls.key === undefined ? null : pem(tls.key), tls.cert === undefined ? null : pem(tls.cert));
  } catch (error) {
    throw new InvalidArgumentError(`tls: ${(error as Error).message}`, { code: 'invalid-argument', cause: error as Error });
  }
}

/** Creates a client. Nothing connects until the first call. */
export function createClient(options: ClientOptions): HoldfastClient {
  return new HoldfastClient(options);
}

function checkTtl(ttlMs: number): number {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > 0xffff_ffff) {
    throw new InvalidArgumentError(`lease TTL must be a positive integer of milliseconds, got ${ttlMs}`, { code: 'invalid-argument' });
  }
  return ttlMs;
}

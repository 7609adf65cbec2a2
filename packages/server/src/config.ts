/**
 * Node configuration: flags, then HOLDFAST_* environment variables, then an optional JSON file,
 * then defaults (first one found wins). Every setting is validated at start; a bad one is refused
 * with a message naming the setting and why, before anything is opened.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ENTRY_OVERHEAD_BYTES } from '@holdfast/raft';
import { APPLY_VERSION_FIRST, APPLY_VERSION_LATEST } from '@holdfast/storage';
import { ConfigError } from './config-error.js';
import { loadTls, type TlsMaterial } from './tls.js';

export { ConfigError };

export interface MemberConfig {
  readonly id: number;
  readonly name: string;
  readonly region: string;
  readonly peerAddress: string;
  readonly clientAddress: string;
}

export interface NodeLimits {
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
  readonly requestBytesMax: number;
  readonly batchOpsMax: number;
  readonly batchMessageRequestsMax: number;
  readonly rangeLimitMax: number;
  readonly rangeBytesMax: number;
  /**
   * Bytes of keys and values the store may hold. The leader stamps it on every write it
   * proposes; apply refuses a write that would grow past it (quota-exceeded), on every replica
   * alike. Writes that free or keep bytes always pass.
   */
  readonly storeBytesMax: number;
  readonly pendingProposalsMax: number;
  readonly pendingReadsMax: number;
  /** ReadIndex heartbeat rounds a leader (and each driver) keeps in flight at once. */
  readonly readRoundsInFlightMax: number;
  readonly uncommittedBytesMax: number;
  readonly messageBytesMax: number;
  readonly inflightMessagesMax: number;
  readonly inflightBytesMax: number;
  readonly peerQueueMessagesMax: number;
  readonly sessionTtlMs: number;
  readonly sessionsMax: number;
  readonly sessionAnswersMax: number;
  readonly snapshotEntries: number;
  readonly snapshotCatchupEntries: number;
  /**
   * A snapshot is also taken once the entries applied since the last one reach this many bytes
   * (entryBytes), and at most this many bytes of entries stay behind it for slow followers:
   * the log keeps its entries in memory, so these bound its memory whatever the entries weigh.
   */
  readonly snapshotLogBytes: number;
  readonly snapshotCatchupBytes: number;
  /** A state hash checkpoint every this many applied entries; members compare them. */
  readonly stateHashCheckpointEntries: number;
  /** Records a second the background scrub at start reads at most (0: no scrub). */
  readonly scrubRecordsPerSecondMax: number;
  readonly requestTimeoutMs: number;
  readonly shutdownWaitMs: number;
  readonly backupsMax: number;
  /** Watches open on this node at once. */
  readonly watchersMax: number;
  /** Changes kept (count and key + value bytes) for watches that start in the past or resume. */
  readonly watchHistoryEventsMax: number;
  readonly watchHistoryBytesMax: number;
  /** Responses waiting for one slow watcher before it is cut off (it may resume). */
  readonly watchQueueMessagesMax: number;
  /** An idle watch gets a progress response this often (and the SDK takes silence as a dead link). */
  readonly watchProgressMs: number;
  /** Leases the cluster holds at most (stamped on each grant by the leader, decided in apply). */
  readonly leasesMax: number;
  /** Keys one lease takes at most (stamped on the grant, kept with the lease). */
  readonly leaseKeysMax: number;
  /** One LeaseKeepAliveStream: distinct leases it keeps alive, keepalives it sends a second, keepalives unanswered at once. */
  readonly leaseStreamLeasesMax: number;
  readonly leaseStreamRequestsPerSecond: number;
  readonly leaseStreamPendingMax: number;
  /** TTLs a grant may ask for, checked by the leader before proposing. */
  readonly leaseTtlMinMs: number;
  readonly leaseTtlMaxMs: number;
  /** Keys one range delete may delete; the leader stamps it, so every member refuses alike. */
  readonly deleteRangeKeysMax: number;
  /** Retention by count: the leader compacts the history to (revision − this) (0: off). */
  readonly historyRetentionRevisions: number;
  /** Retention by age: the leader compacts the history to the revision it saw this long ago (0: off). */
  readonly historyRetentionMs: number;
  /** How long a token lives when auth is enabled without naming a lifetime. */
  readonly authTokenTtlMs: number;
  /** Login attempts a minute for one user name, and from one peer address, on this member. */
  readonly loginAttemptsPerUserPerMinute: number;
  readonly loginAttemptsPerAddressPerMinute: number;
}

export interface Failpoints {
  /** Extra milliseconds before every synced log write completes. */
  readonly fsyncDelayMs: number;
  /** Every synced log write fails as if fsync returned EIO. */
  readonly fsyncFail: boolean;
  /** Every log write fails as if the disk were full. */
  readonly diskFull: boolean;
  /** Act as a release that implements apply versions up to this one (0: this release's own). */
  readonly applyVersionMax: number;
  /** Act as a release before the TCP peer link: the peer port answers gRPC only and peers are dialled over gRPC. */
  readonly grpcOnly?: boolean;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface NodeConfig {
  readonly id: number;
  readonly name: string;
  readonly region: string;
  readonly clusterId: string;
  readonly clientListen: string;
  readonly peerListen: string;
  /**
   * The link this member dials peers with: 'tcp' (length-prefixed msgpack frames; towards a peer
   * that speaks only gRPC it falls back to gRPC) or 'grpc'. The peer port answers both.
   */
  readonly peerTransport: PeerTransportKind;
  /** Empty: no metrics endpoint. */
  readonly metricsListen: string;
  /** Addresses other members use to reach this node (default: the listen addresses). */
  readonly clientAdvertise: string;
  readonly peerAdvertise: string;
  readonly initialCluster: readonly MemberConfig[];
  readonly dataDir: string;
  /** Start with an empty log and wait to be added through membership. */
  readonly join: boolean;
  /** Address to dial for a peer id instead of its advertised peer address (proxies). */
  readonly peerDial: ReadonlyMap<number, string>;
  readonly tickMs: number;
  /** The minimum election timeout in ticks. */
  readonly electionTicks: number;
  /** The election timeout is drawn from [electionTicks, electionTicks + electionSpreadTicks); 1 <= it <= electionTicks. */
  readonly electionSpreadTicks: number;
  /** Ranked election slots in ticks (RaftConfig.electionRankSlotTicks); 0 = off. 0 <= it < electionTicks. */
  readonly electionRankSlotTicks: number;
  readonly heartbeatTicks: number;
  readonly limits: NodeLimits;
  readonly logLevel: LogLevel;
  readonly failpoints: Failpoints;
  /** TLS on both listeners and on every connection to another member; undefined: plaintext. */
  readonly tls: TlsMaterial | undefined;
  /** A backup file to seed an empty data dir from, as a new one-member cluster; '' for none. */
  readonly restoreBackup: string;
  /** How a leader serves linearizable reads: a quorum round (read-index), or under a lease. */
  readonly readMode: ReadMode;
  /**
   * The bound on how far any member's clock rate may stray from real time, in percent: the
   * lease is shorter than what followers wait by this margin on both clocks (driver/lease.ts).
   */
  readonly clockDriftMaxPercent: number;
  /** A better-ranked voter must stay caught up this long before a leader hands leadership to it. */
  readonly leaderPreferenceHoldMs: number;
}

export type ReadMode = 'read-index' | 'lease';
const READ_MODES: readonly ReadMode[] = ['read-index', 'lease'];


type Kind = 'int' | 'string' | 'bool';
interface Setting {
  readonly key: string;
  readonly kind: Kind;
  readonly fallback?: string | number | boolean;
  /** Without a fallback: unset is allowed and left undefined (a default derived from other settings). */
  readonly optional?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly help: string;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** One row per setting: flag `--kebab-name`, env `HOLDFAST_SNAKE_NAME`, file key `camelName`. */
export const SETTINGS: readonly Setting[] = [
  { key: 'config', kind: 'string', fallback: '', help: 'JSON file with settings (camelCase keys)' },
  { key: 'id', kind: 'int', min: 1, max: Number.MAX_SAFE_INTEGER, help: 'member id (positive)' },
  { key: 'name', kind: 'string', fallback: '', help: 'member name (default node-<id>)' },
  { key: 'region', kind: 'string', fallback: 'local', help: 'region label' },
  { key: 'clusterId', kind: 'string', fallback: 'holdfast', help: 'cluster id; peers of another cluster are refused' },
  { key: 'clientListen', kind: 'string', fallback: '127.0.0.1:7001', help: 'host:port for the KV and Cluster services' },
  { key: 'peerListen', kind: 'string', fallback: '127.0.0.1:7101', help: 'host:port for the Raft transport' },
  { key: 'peerTransport', kind: 'string', fallback: 'tcp', help: 'link to dial peers with: tcp|grpc (the peer port answers both)' },
  { key: 'metricsListen', kind: 'string', fallback: '', help: 'host:port for Prometheus /metrics (empty: off)' },
  { key: 'clientAdvertise', kind: 'string', fallback: '', help: 'client address others use (default client-listen)' },
  { key: 'peerAdvertise', kind: 'string', fallback: '', help: 'peer address others use (default peer-listen)' },
  {
    key: 'initialCluster',
    kind: 'string',
    fallback: '',
    help: 'members: id=name/region/peerAddr/clientAddr,... (default: this node alone)',
  },
  { key: 'dataDir', kind: 'string', help: 'directory for the log and the state machine' },
  { key: 'join', kind: 'bool', fallback: false, help: 'start empty and wait to be added through membership' },
  { key: 'peerDial', kind: 'string', fallback: '', help: 'dial overrides: id=host:port,...' },
  { key: 'tlsCertFile', kind: 'string', fallback: '', help: "PEM certificate of this node (TLS on both listeners; with --tls-key-file, --tls-ca-file)" },
  { key: 'tlsKeyFile', kind: 'string', fallback: '', help: 'PEM private key of --tls-cert-file' },
  { key: 'tlsCaFile', kind: 'string', fallback: '', help: "PEM CA that signs every member's certificate (peers must present one)" },
  { key: 'tlsClientAuth', kind: 'bool', fallback: false, help: 'clients too must present a certificate signed by --tls-ca-file' },
  { key: 'tickMs', kind: 'int', fallback: 10, min: 1, max: 10_000, help: 'length of one tick' },
  { key: 'electionTicks', kind: 'int', fallback: 40, min: 2, max: 1_000_000, help: 'election timeout in ticks (the minimum; the randomized one is drawn from [election-ticks, election-ticks + election-spread-ticks))' },
  // Unset: electionTicks, etcd's [T, 2T). A narrower spread bounds the longest failover wait
  // closer to the minimum; leases and CheckQuorum rest on the minimum, which it does not change.
  {
    key: 'electionSpreadTicks',
    kind: 'int',
    optional: true,
    min: 1,
    max: 1_000_000,
    help: 'width of the election timeout\'s randomized range in ticks, 1..election-ticks (default election-ticks: [T, 2T))',
  },
  // Off by default. Across regions, a slot above the largest one-way delay between members (plus
  // processing) lets the successors of a dead leader stand one at a time instead of splitting votes.
  {
    key: 'electionRankSlotTicks',
    kind: 'int',
    fallback: 0,
    min: 0,
    max: 1_000_000,
    help: 'ranked election slots in ticks, 0 = off: a follower waits election-ticks + rank x slot after its last leader falls silent, rank = its place after that leader in voter id order (below election-ticks)',
  },
  // 100 ms: heartbeats are most of what an idle member spends (CPU on both ends of every one),
  // and detection does not depend on them but on the election timeout (electionTicks).
  { key: 'heartbeatTicks', kind: 'int', fallback: 10, min: 1, max: 1_000_000, help: 'heartbeat interval in ticks' },
  {
    key: 'readMode',
    kind: 'string',
    fallback: 'read-index',
    help: 'read-index|lease: a leader serves linearizable reads after a quorum round, or without one while it holds a lease (every member must use the same mode)',
  },
  {
    key: 'clockDriftMaxPercent',
    kind: 'int',
    fallback: 5,
    min: 0,
    max: 30,
    help: "bound on any member's clock-rate error, in percent; the read lease is shortened by it (every member must use the same bound)",
  },
  {
    key: 'leaderPreferenceHoldMs',
    kind: 'int',
    fallback: 2000,
    min: 0,
    max: 600_000,
    help: 'a voter in a preferred leader region must stay caught up this long before leadership moves to it',
  },
  { key: 'keyBytesMax', kind: 'int', fallback: 4096, min: 1, max: 64 * 1024, help: 'largest key' },
  { key: 'valueBytesMax', kind: 'int', fallback: MiB, min: 0, max: 16 * MiB, help: 'largest value' },
  { key: 'requestBytesMax', kind: 'int', fallback: 1536 * 1024, min: 64, max: 64 * MiB, help: 'largest request' },
  { key: 'batchOpsMax', kind: 'int', fallback: 128, min: 1, max: 10_000, help: 'operations in one txn' },
  {
    key: 'batchMessageRequestsMax',
    kind: 'int',
    fallback: 1024,
    min: 1,
    max: 65_536,
    help: "requests in one Batch stream message (keep at or above the SDK's streamFrameOpsMax, 128)",
  },
  { key: 'rangeLimitMax', kind: 'int', fallback: 1000, min: 1, max: 1_000_000, help: 'keys in one range answer' },
  { key: 'rangeBytesMax', kind: 'int', fallback: 4 * MiB, min: 1024, max: 256 * MiB, help: 'key and value bytes in one range answer' },
  {
    key: 'storeBytesMax',
    kind: 'int',
    fallback: 8 * GiB,
    min: 0,
    max: 2 ** 50,
    help: 'bytes of keys and values the store holds; writes that would grow past it are refused',
  },
  { key: 'pendingProposalsMax', kind: 'int', fallback: 10_000, min: 1, max: 1_000_000, help: 'writes waiting' },
  { key: 'pendingReadsMax', kind: 'int', fallback: 10_000, min: 1, max: 1_000_000, help: 'reads waiting' },
  { key: 'readRoundsInFlightMax', kind: 'int', fallback: 4, min: 1, max: 64, help: 'ReadIndex rounds in flight' },
  { key: 'uncommittedBytesMax', kind: 'int', fallback: 64 * MiB, min: MiB, max: 4096 * MiB, help: 'leader backlog' },
  { key: 'messageBytesMax', kind: 'int', fallback: 2 * MiB, min: 1024, max: 64 * MiB, help: 'entries per append' },
  { key: 'inflightMessagesMax', kind: 'int', fallback: 256, min: 1, max: 65_536, help: 'appends in flight per peer' },
  { key: 'inflightBytesMax', kind: 'int', fallback: 32 * MiB, min: 1024, max: 4096 * MiB, help: 'bytes in flight per peer' },
  { key: 'peerQueueMessagesMax', kind: 'int', fallback: 4096, min: 16, max: 1_000_000, help: 'queued per peer' },
  { key: 'sessionTtlMs', kind: 'int', fallback: 10 * 60_000, min: 1000, max: 7 * 86_400_000, help: 'session expiry' },
  { key: 'sessionsMax', kind: 'int', fallback: 10_000, min: 1, max: 10_000_000, help: 'client sessions kept' },
  { key: 'sessionAnswersMax', kind: 'int', fallback: 8, min: 1, max: 1024, help: 'answers kept per session' },
  { key: 'snapshotEntries', kind: 'int', fallback: 10_000, min: 16, max: 100_000_000, help: 'snapshot every N applied' },
  { key: 'snapshotCatchupEntries', kind: 'int', fallback: 5000, min: 0, max: 100_000_000, help: 'entries kept' },
  {
    key: 'snapshotLogBytes',
    kind: 'int',
    fallback: 32 * MiB,
    min: 64 * 1024,
    max: 64 * GiB,
    help: 'snapshot also once the entries applied since the last one reach this many bytes (the log holds its entries in memory)',
  },
  { key: 'snapshotCatchupBytes', kind: 'int', fallback: 8 * MiB, min: 0, max: 64 * GiB, help: 'bytes of entries kept behind a snapshot at most' },
  {
    key: 'stateHashCheckpointEntries',
    kind: 'int',
    fallback: 1000,
    min: 1,
    max: 100_000_000,
    help: 'a state hash checkpoint every N applied entries, compared between members (every member must use the same N)',
  },
  {
    key: 'scrubRecordsPerSecondMax',
    kind: 'int',
    fallback: 50_000,
    min: 0,
    max: 100_000_000,
    help: 'state records a second the scrub at start reads at most (0: no scrub)',
  },
  { key: 'requestTimeoutMs', kind: 'int', fallback: 5000, min: 10, max: 600_000, help: 'default request deadline' },
  { key: 'shutdownWaitMs', kind: 'int', fallback: 3000, min: 0, max: 600_000, help: 'wait for in-flight on SIGTERM' },
  { key: 'backupsMax', kind: 'int', fallback: 2, min: 1, max: 64, help: 'backups streaming from this node at once' },
  { key: 'watchersMax', kind: 'int', fallback: 10_000, min: 1, max: 1_000_000, help: 'watches open on this node at once' },
  // Memory only spares a read of the key history on disk, which serves whatever it does not
  // hold; each kept change costs about 700 bytes with a 16-byte key and a 256-byte value.
  { key: 'watchHistoryEventsMax', kind: 'int', fallback: 10_000, min: 1, max: 100_000_000, help: 'changes kept in memory for watches that start in the past or resume' },
  { key: 'watchHistoryBytesMax', kind: 'int', fallback: 8 * MiB, min: 1024, max: 64 * GiB, help: 'key and value bytes of the changes kept in memory for watches' },
  { key: 'watchQueueMessagesMax', kind: 'int', fallback: 1024, min: 1, max: 1_000_000, help: 'responses waiting for one slow watcher before it is cut off' },
  { key: 'watchProgressMs', kind: 'int', fallback: 5000, min: 10, max: 600_000, help: 'an idle watch gets a progress response this often' },
  { key: 'leasesMax', kind: 'int', fallback: 10_000, min: 1, max: 1_000_000, help: 'leases the cluster holds at most (grants past it: leases-exceeded)' },
  { key: 'leaseKeysMax', kind: 'int', fallback: 1000, min: 1, max: 100_000, help: 'keys one lease takes at most (lease-keys-exceeded)' },
  { key: 'leaseStreamLeasesMax', kind: 'int', fallback: 10_000, min: 1, max: 1_000_000, help: 'distinct leases one keepalive stream keeps alive (more: request-too-large)' },
  {
    key: 'leaseStreamRequestsPerSecond',
    kind: 'int',
    fallback: 1000,
    min: 1,
    max: 1_000_000,
    help: 'keepalives one keepalive stream may send a second (more: overloaded)',
  },
  { key: 'leaseStreamPendingMax', kind: 'int', fallback: 1000, min: 1, max: 100_000, help: 'keepalives unanswered at once on one keepalive stream (more: overloaded)' },
  { key: 'leaseTtlMinMs', kind: 'int', fallback: 1000, min: 100, max: 86_400_000, help: 'shortest lease TTL a grant may ask for' },
  { key: 'leaseTtlMaxMs', kind: 'int', fallback: 86_400_000, min: 100, max: 4_000_000_000, help: 'longest lease TTL a grant may ask for' },
  { key: 'deleteRangeKeysMax', kind: 'int', fallback: 10_000, min: 1, max: 1_000_000, help: 'keys one range delete may delete (more: refused whole)' },
  { key: 'historyRetentionRevisions', kind: 'int', fallback: 0, min: 0, max: Number.MAX_SAFE_INTEGER, help: 'keep this many revisions of key history; the leader compacts older ones (0: off)' },
  { key: 'historyRetentionMs', kind: 'int', fallback: 0, min: 0, max: 10 * 365 * 24 * 3600 * 1000, help: 'keep this many ms of key history; the leader compacts older revisions (0: off)' },
  { key: 'authTokenTtlMs', kind: 'int', fallback: 5 * 60_000, min: 1000, max: 7 * 86_400_000, help: 'token lifetime when `auth enable` names none' },
  { key: 'loginAttemptsPerUserPerMinute', kind: 'int', fallback: 60, min: 1, max: 1_000_000, help: 'login attempts a minute for one user name (this member)' },
  {
    key: 'loginAttemptsPerAddressPerMinute',
    kind: 'int',
    fallback: 120,
    min: 1,
    max: 1_000_000,
    help: 'login attempts a minute from one peer address (this member)',
  },
  { key: 'restoreBackup', kind: 'string', fallback: '', help: 'seed an EMPTY data dir from a backup file (a new one-member cluster)' },
  { key: 'logLevel', kind: 'string', fallback: 'info', help: 'trace|debug|info|warn|error|fatal|silent' },
  { key: 'failpoints', kind: 'string', fallback: '', help: 'fsync-delay-ms=N,fsync-fail,disk-full,apply-version-max=N (fault and upgrade tests)' },
];

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function envName(key: string): string {
  return `HOLDFAST_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export function configHelp(): string {
  return SETTINGS.map((s) => `  --${kebab(s.key)}${s.kind === 'bool' ? '' : ' <v>'}  ${s.help}  [${envName(s.key)}]`).join(
    '\n',
  );
}

type Raw = Record<string, string | number | boolean>;

function readFlags(argv: readonly string[]): Raw {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const s of SETTINGS) options[kebab(s.key)] = { type: s.kind === 'bool' ? 'boolean' : 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new ConfigError('flags', (error as Error).message);
  }
  const raw: Raw = {};
  for (const s of SETTINGS) {
    const value = parsed.values[kebab(s.key)];
    if (typeof value === 'string' || typeof value === 'boolean') raw[s.key] = value;
  }
  return raw;
}

function readEnv(env: Readonly<Record<string, string | undefined>>): Raw {
  const raw: Raw = {};
  for (const s of SETTINGS) {
    const value = env[envName(s.key)];
    if (value !== undefined && value !== '') raw[s.key] = value;
  }
  return raw;
}

function readFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('config', `cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('config', `${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('config', `${path} must hold a JSON object`);
  }
  const known = new Set(SETTINGS.map((s) => s.key));
  const raw: Raw = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) throw new ConfigError(key, `unknown setting in ${path}`);
    raw[key] = fileValue(key, value);
  }
  return raw;
}

/** The file may give initialCluster / peerDial as structured JSON; flatten to the flag syntax. */
function fileValue(key: string, value: unknown): string | number | boolean {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (key === 'initialCluster' && Array.isArray(value)) {
    return value.map((m: Partial<MemberConfig>, position) => memberFlag(m, position)).join(',');
  }
  if (key === 'peerDial' && typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([id, address]) => `${id}=${String(address)}`)
      .join(',');
  }
  throw new ConfigError(key, 'unsupported value type in the config file');
}

const MEMBER_FIELDS = ['id', 'name', 'region', 'peerAddress', 'clientAddress'] as const;

function memberFlag(member: Partial<MemberConfig>, position: number): string {
  for (const field of MEMBER_FIELDS) {
    const value = member[field];
    if (value === undefined || value === null || String(value) === '') {
      throw new ConfigError('initialCluster', `member ${position + 1} in the config file has no ${field}`);
    }
  }
  return `${member.id}=${member.name}/${member.region}/${member.peerAddress}/${member.clientAddress}`;
}

function toInt(s: Setting, value: string | number | boolean): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new ConfigError(s.key, `expected an integer, got ${JSON.stringify(value)}`);
  if (s.min !== undefined && n < s.min) throw new ConfigError(s.key, `${n} is below the minimum ${s.min}`);
  if (s.max !== undefined && n > s.max) throw new ConfigError(s.key, `${n} is above the maximum ${s.max}`);
  return n;
}

function toBool(s: Setting, value: string | number | boolean): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(text)) return false;
  throw new ConfigError(s.key, `expected true or false, got ${JSON.stringify(value)}`);
}

type Resolved = Record<string, string | number | boolean>;

function resolveAll(layers: readonly Raw[]): Resolved {
  const out: Resolved = {};
  for (const s of SETTINGS) {
    const layer = layers.find((l) => l[s.key] !== undefined);
    const value = layer?.[s.key] ?? s.fallback;
    if (value === undefined) {
      if (s.optional === true) continue;
      throw new ConfigError(s.key, `required (--${kebab(s.key)} or ${envName(s.key)})`);
    }
    out[s.key] = s.kind === 'int' ? toInt(s, value) : s.kind === 'bool' ? toBool(s, value) : String(value);
  }
  return out;
}

const hostPort = /^[^\s:/]+:(\d{1,5})$|^\[[0-9a-fA-F:.]+\]:(\d{1,5})$/;

export function checkAddress(setting: string, address: string): string {
  const match = hostPort.exec(address);
  const port = Number(match?.[1] ?? match?.[2] ?? Number.NaN);
  if (!match || !(port >= 0 && port <= 65535)) {
    throw new ConfigError(setting, `expected host:port, got ${JSON.stringify(address)}`);
  }
  return address;
}

function parseId(setting: string, text: string): number {
  const id = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id) || id < 1) throw new ConfigError(setting, `member id must be a positive integer, got ${JSON.stringify(text)}`);
  return id;
}

export function parseInitialCluster(text: string): MemberConfig[] {
  const members: MemberConfig[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const fields = part.slice(eq + 1).split('/');
    if (eq < 1 || fields.length !== 4) {
      throw new ConfigError('initialCluster', `expected id=name/region/peerAddr/clientAddr, got ${JSON.stringify(part)}`);
    }
    const [name = '', region = '', peerAddress = '', clientAddress = ''] = fields;
    const id = parseId('initialCluster', part.slice(0, eq));
    if (members.some((m) => m.id === id)) throw new ConfigError('initialCluster', `member id ${id} appears twice`);
    if (name === '') throw new ConfigError('initialCluster', `member ${id} has an empty name`);
    members.push({
      id,
      name,
      region: region === '' ? 'local' : region,
      peerAddress: checkAddress('initialCluster', peerAddress),
      clientAddress: checkAddress('initialCluster', clientAddress),
    });
  }
  return members;
}

function parsePeerDial(text: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    if (eq < 1) throw new ConfigError('peerDial', `expected id=host:port, got ${JSON.stringify(part)}`);
    map.set(parseId('peerDial', part.slice(0, eq)), checkAddress('peerDial', part.slice(eq + 1)));
  }
  return map;
}

export function parseFailpoints(text: string): Failpoints {
  let fsyncDelayMs = 0;
  let fsyncFail = false;
  let diskFull = false;
  let applyVersionMax = 0;
  let grpcOnly = false;
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [name, value] = part.split('=');
    if (name === 'fsync-delay-ms') {
      fsyncDelayMs = toInt({ key: 'failpoints', kind: 'int', min: 0, max: 60_000, help: '' }, value ?? '');
    } else if (name === 'fsync-fail' && value === undefined) {
      fsyncFail = true;
    } else if (name === 'disk-full' && value === undefined) {
      diskFull = true;
    } else if (name === 'grpc-only' && value === undefined) {
      grpcOnly = true;
    } else if (name === 'apply-version-max') {
      applyVersionMax = toInt({ key: 'failpoints', kind: 'int', min: APPLY_VERSION_FIRST, max: APPLY_VERSION_LATEST, help: '' }, value ?? '');
    } else {
      throw new ConfigError(
        'failpoints',
        `unknown failpoint ${JSON.stringify(part)} (fsync-delay-ms=N, fsync-fail, disk-full, apply-version-max=N, grpc-only)`,
      );
    }
  }
  return { fsyncDelayMs, fsyncFail, diskFull, applyVersionMax, ...(grpcOnly ? { grpcOnly } : {}) };
}

export type PeerTransportKind = 'tcp' | 'grpc';
const PEER_TRANSPORTS: readonly PeerTransportKind[] = ['tcp', 'grpc'];
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function buildLimits(r: Resolved): NodeLimits {
  const n = (key: string): number => r[key] as number;
  return {
    keyBytesMax: n('keyBytesMax'),
    valueBytesMax: n('valueBytesMax'),
    requestBytesMax: n('requestBytesMax'),
    batchOpsMax: n('batchOpsMax'),
    batchMessageRequestsMax: n('batchMessageRequestsMax'),
    rangeLimitMax: n('rangeLimitMax'),
    rangeBytesMax: n('rangeBytesMax'),
    authTokenTtlMs: n('authTokenTtlMs'),
    loginAttemptsPerUserPerMinute: n('loginAttemptsPerUserPerMinute'),
    loginAttemptsPerAddressPerMinute: n('loginAttemptsPerAddressPerMinute'),
    storeBytesMax: n('storeBytesMax'),
    pendingProposalsMax: n('pendingProposalsMax'),
    pendingReadsMax: n('pendingReadsMax'),
    readRoundsInFlightMax: n('readRoundsInFlightMax'),
    uncommittedBytesMax: n('uncommittedBytesMax'),
    messageBytesMax: n('messageBytesMax'),
    inflightMessagesMax: n('inflightMessagesMax'),
    inflightBytesMax: n('inflightBytesMax'),
    peerQueueMessagesMax: n('peerQueueMessagesMax'),
    sessionTtlMs: n('sessionTtlMs'),
    sessionsMax: n('sessionsMax'),
    sessionAnswersMax: n('sessionAnswersMax'),
    snapshotEntries: n('snapshotEntries'),
    snapshotCatchupEntries: n('snapshotCatchupEntries'),
    snapshotLogBytes: n('snapshotLogBytes'),
    snapshotCatchupBytes: n('snapshotCatchupBytes'),
    stateHashCheckpointEntries: n('stateHashCheckpointEntries'),
    scrubRecordsPerSecondMax: n('scrubRecordsPerSecondMax'),
    requestTimeoutMs: n('requestTimeoutMs'),
    shutdownWaitMs: n('shutdownWaitMs'),
    backupsMax: n('backupsMax'),
    watchersMax: n('watchersMax'),
    watchHistoryEventsMax: n('watchHistoryEventsMax'),
    watchHistoryBytesMax: n('watchHistoryBytesMax'),
    watchQueueMessagesMax: n('watchQueueMessagesMax'),
    watchProgressMs: n('watchProgressMs'),
    leasesMax: n('leasesMax'),
    leaseKeysMax: n('leaseKeysMax'),
    leaseStreamLeasesMax: n('leaseStreamLeasesMax'),
    leaseStreamRequestsPerSecond: n('leaseStreamRequestsPerSecond'),
    leaseStreamPendingMax: n('leaseStreamPendingMax'),
    leaseTtlMinMs: n('leaseTtlMinMs'),
    leaseTtlMaxMs: n('leaseTtlMaxMs'),
    deleteRangeKeysMax: n('deleteRangeKeysMax'),
    historyRetentionRevisions: n('historyRetentionRevisions'),
    historyRetentionMs: n('historyRetentionMs'),
  };
}

function checkCrossSettings(config: NodeConfig): void {
  const { limits } = config;
  if (config.heartbeatTicks >= config.electionTicks) {
    throw new ConfigError('heartbeatTicks', `${config.heartbeatTicks} must be below electionTicks ${config.electionTicks}`);
  }
  if (config.electionSpreadTicks > config.electionTicks) {
    throw new ConfigError(
      'electionSpreadTicks',
      `${config.electionSpreadTicks} must be at most electionTicks ${config.electionTicks} (the timeout is drawn from [electionTicks, electionTicks + spread))`,
    );
  }
  if (config.electionRankSlotTicks >= config.electionTicks) {
    throw new ConfigError(
      'electionRankSlotTicks',
      `${config.electionRankSlotTicks} must be below electionTicks ${config.electionTicks} (a slot covers one message delay between members)`,
    );
  }
  if (limits.keyBytesMax + limits.valueBytesMax > limits.requestBytesMax) {
    throw new ConfigError('requestBytesMax', `${limits.requestBytesMax} cannot hold keyBytesMax + valueBytesMax`);
  }
  // The core refuses an entry larger than one append message, so the largest request must fit in
  // one (plus the core's per-entry overhead), or a valid write would fail with its whole batch.
  if (limits.requestBytesMax + ENTRY_OVERHEAD_BYTES > limits.messageBytesMax) {
    throw new ConfigError(
      'messageBytesMax',
      `${limits.messageBytesMax} cannot hold the largest request (requestBytesMax ${limits.requestBytesMax} + ${ENTRY_OVERHEAD_BYTES} bytes of entry overhead)`,
    );
  }
  if (limits.requestBytesMax > limits.uncommittedBytesMax) {
    throw new ConfigError('uncommittedBytesMax', `${limits.uncommittedBytesMax} is below requestBytesMax ${limits.requestBytesMax}`);
  }
  if (limits.leaseTtlMinMs > limits.leaseTtlMaxMs) {
    throw new ConfigError('leaseTtlMinMs', `${limits.leaseTtlMinMs} is above leaseTtlMaxMs ${limits.leaseTtlMaxMs}`);
  }
  if (limits.snapshotCatchupEntries >= limits.snapshotEntries * 10) {
    throw new ConfigError('snapshotCatchupEntries', 'must stay below ten times snapshotEntries');
  }
  const self = config.initialCluster.find((m) => m.id === config.id);
  if (!config.join && !self) {
    throw new ConfigError('initialCluster', `does not include this node's id ${config.id} (use --join to be added later)`);
  }
  if (config.join && config.initialCluster.length === 0) {
    throw new ConfigError('initialCluster', 'a joining node needs the current members to reach them');
  }
  if (config.dataDir.trim() === '') throw new ConfigError('dataDir', 'must not be empty');
  if (config.restoreBackup !== '') {
    // Seeding several members from the same file could not be checked: one that missed it would
    // serve a different state. So one member is seeded; the others join and copy it by snapshot.
    if (config.join || config.initialCluster.length !== 1) {
      throw new ConfigError('restoreBackup', 'seeds a new one-member cluster: leave out --join and list only this node in --initial-cluster; add the others as learners afterwards');
    }
    if (!existsSync(config.restoreBackup)) throw new ConfigError('restoreBackup', `no file ${config.restoreBackup}`);
  }
}

function checkReadMode(value: string): ReadMode {
  const mode = READ_MODES.find((m) => m === value);
  if (mode === undefined) throw new ConfigError('readMode', `${value} is not one of ${READ_MODES.join('|')}`);
  return mode;
}

/** Flags win over HOLDFAST_* variables, which win over the JSON file, which wins over defaults. */
export function parseNodeConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): NodeConfig {
  const flags = readFlags(argv);
  const fromEnv = readEnv(env);
  const configPath = String(flags['config'] ?? fromEnv['config'] ?? '');
  const file = configPath === '' ? {} : readFile(configPath);
  const r = resolveAll([flags, fromEnv, file]);
  const id = r['id'] as number;
  const logLevel = r['logLevel'] as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('logLevel', `expected one of ${LOG_LEVELS.join('|')}`);
  const peerTransport = r['peerTransport'] as PeerTransportKind;
  if (!PEER_TRANSPORTS.includes(peerTransport)) throw new ConfigError('peerTransport', `expected one of ${PEER_TRANSPORTS.join('|')}`);
  const clientListen = checkAddress('clientListen', r['clientListen'] as string);
  const peerListen = checkAddress('peerListen', r['peerListen'] as string);
  const metricsListen = r['metricsListen'] === '' ? '' : checkAddress('metricsListen', r['metricsListen'] as string);
  const clientAdvertise = r['clientAdvertise'] === '' ? clientListen : checkAddress('clientAdvertise', r['clientAdvertise'] as string);
  const peerAdvertise = r['peerAdvertise'] === '' ? peerListen : checkAddress('peerAdvertise', r['peerAdvertise'] as string);
  const name = r['name'] === '' ? `node-${id}` : (r['name'] as string);
  const region = r['region'] as string;
  let initialCluster = parseInitialCluster(r['initialCluster'] as string);
  if (initialCluster.length === 0 && !(r['join'] as boolean)) {
    initialCluster = [{ id, name, region, peerAddress: peerAdvertise, clientAddress: clientAdvertise }];
  }
  const config: NodeConfig = {
    id,
    name,
    region,
    clusterId: r['clusterId'] as string,
    clientListen,
    peerListen,
    peerTransport,
    metricsListen,
    clientAdvertise,
    peerAdvertise,
    initialCluster,
    dataDir: r['dataDir'] as string,
    join: r['join'] as boolean,
    peerDial: parsePeerDial(r['peerDial'] as string),
    tickMs: r['tickMs'] as number,
    electionTicks: r['electionTicks'] as number,
    electionSpreadTicks: (r['electionSpreadTicks'] as number | undefined) ?? (r['electionTicks'] as number),
    electionRankSlotTicks: r['electionRankSlotTicks'] as number,
    heartbeatTicks: r['heartbeatTicks'] as number,
    limits: buildLimits(r),
    logLevel,
    failpoints: parseFailpoints(r['failpoints'] as string),
    restoreBackup: r['restoreBackup'] as string,
    readMode: checkReadMode(r['readMode'] as string),
    clockDriftMaxPercent: r['clockDriftMaxPercent'] as number,
    leaderPreferenceHoldMs: r['leaderPreferenceHoldMs'] as number,
    tls: loadTls({
      tlsCertFile: r['tlsCertFile'] as string,
      tlsKeyFile: r['tlsKeyFile'] as string,
      tlsCaFile: r['tlsCaFile'] as string,
      tlsClientAuth: r['tlsClientAuth'] as boolean,
    }),
  };
  checkCrossSettings(config);
  return config;
}

/** The node's timing as an operator reads it: tick, heartbeat and the election timeout's range in ms. */
export function electionTiming(
  config: Pick<NodeConfig, 'tickMs' | 'heartbeatTicks' | 'electionTicks' | 'electionSpreadTicks' | 'electionRankSlotTicks'>,
): string {
  const { tickMs, heartbeatTicks, electionTicks, electionSpreadTicks, electionRankSlotTicks: slotTicks } = config;
  const ranked = slotTicks === 0 ? '' : `, ranked slots of ${slotTicks * tickMs} ms (--election-rank-slot-ticks ${slotTicks})`;
  return (
    `tick ${tickMs} ms, heartbeat ${heartbeatTicks * tickMs} ms, election timeout [${electionTicks * tickMs}, ${(electionTicks + electionSpreadTicks) * tickMs}) ms ` +
    `(--election-ticks ${electionTicks}, --election-spread-ticks ${electionSpreadTicks})${ranked}`
  );
}

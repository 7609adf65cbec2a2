import {
  APPLY_VERSION_AUTH,
  APPLY_VERSION_AUTH_REVISION,
  APPLY_VERSION_FIRST,
  APPLY_VERSION_HISTORY,
  APPLY_VERSION_LATEST,
  APPLY_VERSION_LEASES,
  APPLY_VERSION_PLACEMENT,
  APPLY_VERSION_QUOTA,
} from './apply-version.js';
import { DEFAULT_PLACEMENT, type Placement, plainPlacement, type SetPlacementOp } from './placement.js';
import { applyAuthChange, type AuthState } from './auth-state.js';
import { decodeEntryCommands, decodeMemberContext, keyId, type KvCommand, type MemberRecord } from './command.js';
import {
  ApplyVersionError,
  assert,
  FutureRevisionError,
  InvalidCommandError,
  InvalidConfigError,
  KeyTooLargeError,
  RevisionCompactedError,
  SnapshotInvalidError,
  StateCorruptionError,
  StoreClosedError,
} from './errors.js';
import { executeOperation, type KeySpan, type KeyUse, keyUsesOf, WriteSet } from './executor.js';
import { isLeaseOperation } from './lease-command.js';
import { isLeaseRecordKey, leaseOutcomeBeforeLeases, loadLeaseTable, operationWithoutLeases, putsOf, sealLeaseRecords } from './lease-apply.js';
import { type LeaseInfo, LeaseTable } from './leases.js';
import { checkHistoryRecord, compactionStep, type HistoricChange, historyBytesApproximately, historyRecordsOf, keysAt, readChanges, readKeyAt } from './history-store.js';
import { changeKeyPrefix } from './history.js';
import { KeyMetaCache, keyMetaOf } from './key-meta-cache.js';
import { type BatchOperation, scanRecordBatches, writeBatchAtomically } from './level-batch.js';
import {
  describeStoredKey,
  openRecord,
  type RecordSeal,
  sealHeaderBytes,
  sealInPlace,
  sealMarker,
  sealOf,
  sealRecord,
} from './state-record.js';
import {
  emptyStateHash,
  formatHash,
  RECORDS_HASH_VERSION,
  sameHash,
  type StateCheckpoint,
  type StateHash,
  StateHashSum,
  stateHashOf,
} from './state-hash.js';
import {
  decodeSessionRecord,
  encodeSessionRecord,
  freshMeta,
  metaKey,
  packr,
  prefixedKey,
  prefixEnd,
  restoreMarkerKey,
  STATE_RECORD_FORMAT,
  type SessionRecord,
  sessionKey,
  sessionKeyPrefix,
  type StateMeta,
  type StoredValue,
  toKeyValue,
  userKeyOf,
  userKeyPrefix,
} from './kv-format.js';
import { resolveSessionLimits, resolveStorageLimits, type SessionLimits, type StorageLimits } from './limits.js';
import { type StorageLogger, silentLogger } from './logger.js';
import type { ConfChange, ConfState, Entry } from './raft-types.js';
import { type Database, type DroppedRecords, levelDisk, NOTHING_DROPPED, type StorageDisk } from './disk.js';
import { incomingDir, recoverInterruptedRestore, swapInRestoredState } from './restore-swap.js';
import type { ApplyResult, AuthStaleResult, CommandOutcome, EntryOutcome, KeyValue, RangeResult } from './results.js';
import { SessionTable } from './sessions.js';
import { checkedSnapshotStream, encodeSnapshotStream, sealedSnapshotFormat } from './snapshot-stream.js';

export interface StateMachineOptions {
  /** The state machine's own LevelDB directory, normally `<dataDir>/kv`. Created if missing. */
  readonly dir: string;
  readonly limits?: Partial<StorageLimits>;
  readonly sessions?: Partial<SessionLimits>;
  /** Bytes per chunk of a snapshot stream (a single large key/value may exceed it). Default 1 MiB. */
  readonly snapshotChunkBytes?: number;
  /** Bytes of one received snapshot chunk; a larger one is refused. Default 256 MiB. */
  readonly snapshotChunkBytesMax?: number;
  /**
   * fsync every apply batch. Default false: the log is the durable record, and a lost apply is
   * replayed from it. openSnapshotReader() always syncs first, so the log is never compacted
   * past what the state machine holds durably.
   */
  readonly applySync?: boolean;
  /**
   * Bytes of the in-memory cache of key meta (MVCC fields, not values) that lets apply() skip
   * LevelDB reads for keys it has seen. Each key costs its length plus about 128 bytes.
   * Default 16 MiB; 0 turns the cache off. Results are identical whatever the size.
   */
  readonly keyMetaCacheBytesMax?: number;
  /**
   * Bytes the state's LevelDB gathers in memory before it writes a table (up to twice this is
   * held while one is written). Default 16 MiB (LevelDB's own is 4 MiB). Every put writes records
   * in several key spaces (the key, its history, the meta, the session), so every table LevelDB
   * writes spans them all and each compaction of it rewrites most of the level below, more as
   * the keys grow: at LevelDB's 4 MiB its compaction thread took a third of a member's CPU by
   * 300k keys and the put rate fell with it. A larger buffer puts more writes into each table and
   * so into each compaction (measured at 300k keys, bench/README.md: that thread's CPU a third,
   * CPU per put -30%, the rate flat; 32 MiB saved little more for 40 MiB more resident).
   */
  readonly levelWriteBufferBytes?: number;
  /**
   * The newest apply version this member applies (see apply-version.ts). Default and most
   * APPLY_VERSION_LATEST; lower only to act as an older release (upgrade tests).
   */
  readonly applyVersionMax?: number;
  readonly logger?: StorageLogger;
  /**
   * A state hash checkpoint is taken after every applied index that is a multiple of this
   * (state-hash.ts); members compare them. Default 1000.
   */
  readonly stateHashCheckpointEntries?: number;
  /** The newest checkpoints kept in memory. Default 8. */
  readonly stateHashCheckpointsKept?: number;
  /** Where the databases live. Default: LevelDB on the file system (levelDisk). */
  readonly disk?: StorageDisk;
}

export interface RangeRequest {
  /** Keys in [start, end). Without `end`: only `start`. Ignored when `prefix` is set. */
  readonly start?: Uint8Array;
  /** Exclusive upper bound. The single byte 0x00 means no upper bound (every key >= start). */
  readonly end?: Uint8Array;
  /** Every key with this prefix (an empty prefix: every key). */
  readonly prefix?: Uint8Array;
  /** Keys returned at most; 0 or absent = limits.rangeResultsMax, which also caps larger values. */
  readonly limit?: number;
  /** Leave values empty. */
  readonly keysOnly?: boolean;
  /** Resume strictly after this key (a previous page's continuation). */
  readonly after?: Uint8Array;
  /** Read the keys as they were at this revision (the key history); absent or 0: now. */
  readonly revision?: number;
}

/** Everything a snapshot describes besides the keys: where it sits in the log and who the members are. */
export interface StateSnapshotMeta {
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  readonly revision: number;
  readonly confState: ConfState;
  readonly members: readonly MemberRecord[];
  readonly memberIdMax: number;
}

/**
 * A consistent, streaming view of the state at one applied index. Read `chunks` once, then
 * close(). The view is pinned by a LevelDB snapshot, so applies may continue meanwhile.
 */
export interface SnapshotReader {
  readonly meta: StateSnapshotMeta;
  /** Self-checking chunks (CRC32 each); feed them, in order, to restoreSnapshot on another node. */
  chunks(): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

type Bytes = Uint8Array;

const defaultSnapshotChunkBytes = 1024 * 1024;
/** Up to this many keys are read on the event loop (see readStored). */
const syncReadKeysMax = 16;
const defaultSnapshotChunkBytesMax = 256 * 1024 * 1024;
const defaultKeyMetaCacheBytesMax = 16 * 1024 * 1024;
const keyMetaCacheBytesLimit = 4 * 1024 * 1024 * 1024;
const defaultLevelWriteBufferBytes = 16 * 1024 * 1024;
/** LevelDB takes its write buffer size as a 32-bit count; a gigabyte is far past any use. */
const levelWriteBufferBytesLimit = 1024 * 1024 * 1024;
const userKeyLow = Uint8Array.of(userKeyPrefix);
const userKeyHigh = Uint8Array.of(userKeyPrefix + 1);
const noUpperBound = Uint8Array.of(0);
/** The lowest stored key of the history (its 'h' records sort before the 'k' records). */
const historyKeyLow = Uint8Array.of(changeKeyPrefix);
/** Change records a step of dropping compacted history reads (whole revisions: it may read more). */
const historyDropStepRecordsMax = 1000;

interface ResolvedOptions {
  readonly dir: string;
  readonly limits: StorageLimits;
  readonly sessionLimits: SessionLimits;
  readonly snapshotChunkBytes: number;
  readonly snapshotChunkBytesMax: number;
  readonly applySync: boolean;
  readonly keyMetaCacheBytesMax: number;
  readonly levelWriteBufferBytes: number;
  readonly applyVersionMax: number;
  readonly logger: StorageLogger;
  readonly disk: StorageDisk;
  readonly stateHashCheckpointEntries: number;
  readonly stateHashCheckpointsKept: number;
}

const defaultStateHashCheckpointEntries = 1000;
const defaultStateHashCheckpointsKept = 8;
const stateHashCheckpointsKeptLimit = 1024;

function positiveInteger(name: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new InvalidConfigError(`${name} must be an integer in [1, ${max}], got ${value}`);
  return value;
}

function resolveOptions(options: StateMachineOptions): ResolvedOptions {
  const snapshotChunkBytes = options.snapshotChunkBytes ?? defaultSnapshotChunkBytes;
  const snapshotChunkBytesMax = options.snapshotChunkBytesMax ?? defaultSnapshotChunkBytesMax;
  if (!Number.isSafeInteger(snapshotChunkBytes) || snapshotChunkBytes < 1 || snapshotChunkBytes > snapshotChunkBytesMax) {
    throw new InvalidConfigError(`snapshotChunkBytes must be in [1, ${snapshotChunkBytesMax}], got ${snapshotChunkBytes}`);
  }
  if (!Number.isSafeInteger(snapshotChunkBytesMax) || snapshotChunkBytesMax > 0xffff_ffff) {
    throw new InvalidConfigError(`snapshotChunkBytesMax must be at most 4 GiB, got ${snapshotChunkBytesMax}`);
  }
  const keyMetaCacheBytesMax = options.keyMetaCacheBytesMax ?? defaultKeyMetaCacheBytesMax;
  if (!Number.isSafeInteger(keyMetaCacheBytesMax) || keyMetaCacheBytesMax < 0 || keyMetaCacheBytesMax > keyMetaCacheBytesLimit) {
    throw new InvalidConfigError(`keyMetaCacheBytesMax must be an integer in [0, ${keyMetaCacheBytesLimit}], got ${keyMetaCacheBytesMax}`);
  }
  const applyVersionMax = options.applyVersionMax ?? APPLY_VERSION_LATEST;
  if (!Number.isSafeInteger(applyVersionMax) || applyVersionMax < APPLY_VERSION_FIRST || applyVersionMax > APPLY_VERSION_LATEST) {
    throw new InvalidConfigError(`applyVersionMax must be an integer in [${APPLY_VERSION_FIRST}, ${APPLY_VERSION_LATEST}], got ${applyVersionMax}`);
  }
  return {
    dir: options.dir,
    limits: resolveStorageLimits(options.limits),
    sessionLimits: resolveSessionLimits(options.sessions),
    snapshotChunkBytes,
    snapshotChunkBytesMax,
    applySync: options.applySync ?? false,
    keyMetaCacheBytesMax,
    levelWriteBufferBytes: positiveInteger('levelWriteBufferBytes', options.levelWriteBufferBytes ?? defaultLevelWriteBufferBytes, levelWriteBufferBytesLimit),
    applyVersionMax,
    logger: options.logger ?? silentLogger,
    disk: options.disk ?? levelDisk,
    stateHashCheckpointEntries: positiveInteger(
      'stateHashCheckpointEntries',
      options.stateHashCheckpointEntries ?? defaultStateHashCheckpointEntries,
      Number.MAX_SAFE_INTEGER,
    ),
    stateHashCheckpointsKept: positiveInteger(
      'stateHashCheckpointsKept',
      options.stateHashCheckpointsKept ?? defaultStateHashCheckpointsKept,
      stateHashCheckpointsKeptLimit,
    ),
  };
}

/** The working state of one apply batch: nothing here is visible until the batch is written. */
/** The batch's own copy of the meta, changed in place as commands apply (several times per put). */
type WorkingMeta = { -readonly [K in keyof HashedMeta]: HashedMeta[K] };

/** The meta as held in memory: the records' hash always known (computed at open when absent). */
type HashedMeta = StateMeta & { readonly recordsHash: StateHash };

interface ApplyBatch {
  readonly meta: WorkingMeta;
  /** Seals of the key records the batch read from LevelDB (null: absent), by key id. */
  readonly sealsRead: Map<string, RecordSeal | null>;
  /** Checkpoints taken inside the batch, published once it is written. */
  readonly checkpoints: StateCheckpoint[];
  /**
   * Records already sealed for a checkpoint inside the batch, by the stored value or session
   * record they encode (each write makes a new one), so the batch's write seals each only once.
   * Made by the first checkpoint: most batches take none.
   */
  sealed: Map<object, { readonly value: Uint8Array; readonly seal: RecordSeal }> | undefined;
  /** True once the batch began changing the session table (in place, journaled). */
  sessionsChanging: boolean;
  readonly writeSet: WriteSet;
  readonly sessionWrites: Map<string, SessionRecord | undefined>;
  /** The batch's changes to keys in revision order, when there are change listeners. */
  readonly changes: KeyChange[];
  /** The history records of the batch's changes (history.ts), sealed; empty before the history begins. */
  readonly historyOperations: BatchOperation[];
}

/** One change to a key, as a watcher sees it. */
export interface KeyChange {
  readonly type: 'put' | 'delete';
  /**
   * The key after the change. For a delete: the key, an empty value, createRevision and version
   * 0, and modRevision the revision of the delete.
   */
  readonly kv: KeyValue;
  /** The key before the change, when it existed and the listener asked for it (ChangeListener.wantsPrevKv). */
  readonly prevKv?: KeyValue;
  /** True when the change was computed with prevKv (a missing prevKv then means the key did not exist). */
  readonly prevKvRead?: boolean;
}

/** Told of every change apply makes, after it is written (KvStateMachine.watchChanges). */
export interface ChangeListener {
  /** The changes of one apply batch, in revision order; `revision` is the store's after it. */
  changed(changes: readonly KeyChange[], revision: number): void;
  /** The whole state was replaced (a snapshot restored) at `revision`: changes before it are gone. */
  restored(revision: number): void;
  /** Whether changes should carry the key before the change (prevKv); asked once per batch. */
  wantsPrevKv?(): boolean;
  /** Users, roles or the auth switch changed (applied, or a snapshot restored): grants given before may be gone. */
  authChanged?(): void;
}

/**
 * The key-value state machine over its own LevelDB. apply() is the only writer; each call is
 * one batch that carries the new state together with the applied index, so a crash never
 * leaves them apart.
 *
 * Invariants:
 * - appliedIndex only grows, by apply() (one past the last, in order) or restoreSnapshot();
 * - revision only grows, by one per command that changed a key (a txn counts once);
 * - every key's createRevision <= modRevision <= revision and version >= 1.
 */
/** How KvStateMachine.scrub paces itself. */
export interface ScrubOptions {
  /** Records read a second at most, so that a scrub does not starve the member's own work. */
  readonly recordsPerSecondMax: number;
  /** Time to pace by; default the process's clock and timers. */
  readonly clock?: { nowMs(): number; sleep(ms: number): Promise<void> };
}

export interface ScrubResult {
  /** 'interrupted': the state was replaced or closed before the scrub finished (nothing was judged). */
  readonly outcome: 'ok' | 'interrupted';
  readonly records: number;
  /** The applied index of the state the scrub read. */
  readonly appliedIndex: number;
}

/** Records a scrub reads between looks at its pace. */
const scrubPaceRecords = 256;
const realScrubClock = {
  nowMs: () => performance.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/** Optional callbacks of KvStateMachine.apply. */
export interface ApplyHooks {
  /** The batch's results, once computed and before the batch is written; must not throw. */
  readonly onComputed?: (results: readonly ApplyResult[]) => void;
}

export class KvStateMachine {
  /** Serializes apply, snapshot opening and restore: each sees the state the one before left. */
  private exclusive: Promise<void> = Promise.resolve();
  /** Resolves when no restore swap is in progress; reads wait on it. */
  private swapDone: Promise<void> = Promise.resolve();
  private closed = false;
  /** Set when a write failed: memory and disk may disagree, so nothing more is served. */
  private failure: unknown;
  /** Equal to LevelDB for every key it holds, as of the last finished apply (see KeyMetaCache). */
  private readonly keyMetaCache: KeyMetaCache;
  /**
   * What LevelDB dropped when this state was opened. Applies are not synced, so a torn last write
   * is expected after a power loss; but a record dropped mid-file takes later ones' predecessors
   * with it, and nothing here can tell the two apart: the server treats any drop as damage.
   */
  droppedAtOpen: DroppedRecords = NOTHING_DROPPED;
  private readonly changeListeners = new Set<ChangeListener>();
  private readonly checkpointListeners = new Set<(checkpoint: StateCheckpoint) => void>();
  private readonly writeFailureListeners = new Set<(error: unknown) => void>();
  /** The newest checkpoints, oldest first; at most stateHashCheckpointsKept. */
  private checkpointList: StateCheckpoint[] = [];
  /** Leases and their keys as of the last finished apply (loaded at open and after a restore). */
  private leaseTable = new LeaseTable();

  private constructor(
    private db: Database,
    private meta: HashedMeta,
    private sessions: SessionTable,
    /** The seal of every stored session record, by client id (what its hash is taken from). */
    private sessionSeals: Map<string, RecordSeal>,
    private readonly options: ResolvedOptions,
    storeHasKeys: boolean,
  ) {
    this.keyMetaCache = new KeyMetaCache(options.keyMetaCacheBytesMax);
    if (!storeHasKeys) this.keyMetaCache.markStoreEmpty();
  }

  /**
   * Opens (creating if missing) the state at `options.dir`, finishing or discarding an
   * interrupted restoreSnapshot first (see restore-swap.ts and the README).
   */
  static async open(options: StateMachineOptions): Promise<KvStateMachine> {
    const resolved = resolveOptions(options);
    await recoverInterruptedRestore(resolved.dir, { logger: resolved.logger, disk: resolved.disk });
    const { db, meta, sessions, sessionSeals, hasUserKeys, droppedRecords } = await openDatabase(resolved);
    const stateMachine = new KvStateMachine(db, meta, sessions, sessionSeals, resolved, hasUserKeys);
    stateMachine.leaseTable = await loadLeaseTable(db, resolved.dir, openStoredRecord);
    stateMachine.droppedAtOpen = droppedRecords;
    stateMachine.scheduleHistoryDrop();
    // The state as opened is a checkpoint when its index is one: compared with the others at start.
    if (stateMachine.isCheckpointIndex(meta.appliedIndex)) stateMachine.recordCheckpoint(stateMachine.stateHash);
    return stateMachine;
  }

  /** The hash of the replicated state as of appliedIndex (state-hash.ts). */
  get stateHash(): StateCheckpoint {
    return { index: this.meta.appliedIndex, hash: stateHashOf(this.meta) };
  }

  /** The newest state hash checkpoints taken (every stateHashCheckpointEntries), oldest first. */
  checkpoints(): readonly StateCheckpoint[] {
    return this.checkpointList;
  }

  /** Tells `listener` of every checkpoint from now on, once its batch is written. Returns the function that stops it. */
  watchCheckpoints(listener: (checkpoint: StateCheckpoint) => void): () => void {
    this.checkpointListeners.add(listener);
    return () => this.checkpointListeners.delete(listener);
  }

  /**
   * Calls `listener` once when a write of this state fails (a failed fsync, a full disk): from
   * then on the state serves nothing, whichever call met the failure (an apply, a sync before a
   * snapshot or a backup), so its process must stop now rather than at its next apply.
   */
  watchWriteFailure(listener: (error: unknown) => void): () => void {
    this.writeFailureListeners.add(listener);
    return () => this.writeFailureListeners.delete(listener);
  }

  private recordCheckpoint(checkpoint: StateCheckpoint): void {
    const last = this.checkpointList[this.checkpointList.length - 1];
    if (last !== undefined && last.index >= checkpoint.index) return;
    this.checkpointList = [...this.checkpointList, checkpoint].slice(-this.options.stateHashCheckpointsKept);
    for (const listener of this.checkpointListeners) {
      try {
        listener(checkpoint);
      } catch (error) {
        this.options.logger.warn({ error: String(error) }, 'a checkpoint listener threw');
      }
    }
  }

  private isCheckpointIndex(index: number): boolean {
    return index > 0 && index % this.options.stateHashCheckpointEntries === 0;
  }

  get path(): string {
    return this.options.dir;
  }

  /** The resolved limits (defaults filled in); the server validates commands against them. */
  get limits(): StorageLimits {
    return this.options.limits;
  }

  /** Index of the last applied entry; 0 for a fresh state machine. Pass it to the core as `applied`. */
  get appliedIndex(): number {
    return this.meta.appliedIndex;
  }

  get appliedTerm(): number {
    return this.meta.appliedTerm;
  }

  /** Bytes of the keys and values held (what the store quota counts), as of appliedIndex. */
  get keyValueBytes(): number {
    return this.meta.keyValueBytes;
  }

  /** The apply version of the state (StateMeta.clusterVersion), as of appliedIndex. */
  /** Users, roles and signing keys as of the applied index; undefined until the first auth change. */
  get auth(): AuthState | undefined {
    return this.meta.auth;
  }

  get clusterVersion(): number {
    return this.meta.clusterVersion;
  }

  /** The newest apply version this member applies. */
  get applyVersionMax(): number {
    return this.options.applyVersionMax;
  }

  /**
   * Tells `listener` of every change to keys from the next apply on, once its batch is written
   * (readers see it by then), and of restores. Returns the function that stops it. While no
   * listener is registered apply records nothing.
   */
  watchChanges(listener: ChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** The store revision: the revision of the last write. */
  get revision(): number {
    return this.meta.revision;
  }

  /** The membership as of appliedIndex (from applied confChange entries or a restored snapshot). */
  get confState(): ConfState {
    return this.meta.confState;
  }

  /** The highest member id ever in the membership, removed members included (ids are never reused). */
  get memberIdMax(): number {
    return this.meta.memberIdMax;
  }

  /** The cluster's placement setting (leader regions, survival goal), as of appliedIndex. */
  get placement(): Placement {
    return this.meta.placement ?? DEFAULT_PLACEMENT;
  }

  /** Known members, sorted by id, as of appliedIndex. */
  members(): readonly MemberRecord[] {
    return this.meta.members;
  }

  /** Every lease held, by id, as of appliedIndex. */
  leases(): LeaseInfo[] {
    return this.leaseTable.list();
  }

  /** One lease with its keys, or undefined when it is not held (never granted, revoked or expired). */
  lease(id: number): LeaseInfo | undefined {
    return this.leaseTable.info(id);
  }

  /** Changes whenever a lease is granted or ends (or the state is replaced): cheap to poll. */
  get leaseGeneration(): number {
    return this.leaseTable.generation;
  }

  /** Sessions currently kept (for metrics). */
  sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Sets the membership of a fresh state machine (appliedIndex 0) before any entry is applied,
   * for members that bootstrap a cluster without confChange entries. Written durably.
   */
  async bootstrapMembers(options: { confState: ConfState; members: readonly MemberRecord[] }): Promise<void> {
    await this.runExclusive(async () => {
      assert(this.meta.appliedIndex === 0, `bootstrapMembers on a state machine at index ${this.meta.appliedIndex}`);
      const ids = [...options.confState.voters, ...options.confState.learners, ...options.members.map((m) => m.id)];
      const meta: HashedMeta = {
        ...this.meta,
        confState: options.confState,
        members: sortMembers(options.members),
        memberIdMax: Math.max(this.meta.memberIdMax, ...ids),
      };
      await this.writeBatch([metaPut(meta)], { sync: true });
      this.meta = meta;
    });
  }

  /**
   * Applies committed entries in order, in one LevelDB batch with the new applied index.
   * Entries at or below appliedIndex are skipped (no result); a gap throws (a bug in the caller).
   * Returns one result per applied entry. Bad commands give an 'invalid' result, never a throw.
   * Concurrent calls are serialized.
   *
   * `onComputed` (optional) receives the results as soon as they are computed, before the
   * batch reaches LevelDB: the entries are committed (durable in the log on a quorum) and the
   * results are fixed by them, so a writer may be answered without waiting for this unsynced
   * write. Readers still see the batch only once it is written (`appliedIndex` and `get` move
   * together after the write), so a linearizable read that waits for `appliedIndex` sees it.
   */
  async apply(entries: readonly Entry[], hooks: ApplyHooks = {}): Promise<ApplyResult[]> {
    return this.runExclusive(() => this.applyNow(entries, hooks));
  }

  /**
   * The key, or undefined if it does not exist. Reads the state as of the last finished apply,
   * or with `revision` (> 0) as it was at that revision: RevisionCompactedError below the
   * history's floor (compactRevision), FutureRevisionError past the store's revision.
   */
  async get(key: Uint8Array, options: { readonly revision?: number } = {}): Promise<KeyValue | undefined> {
    this.checkReadKey(key);
    checkRevisionArgument(options.revision);
    await this.readable();
    if (options.revision !== undefined && options.revision > 0) {
      const revision = options.revision;
      return this.readHistory((context, meta) => {
        checkHistoryBounds(meta, revision, 'read');
        return readKeyAt(context, key, revision);
      });
    }
    const storedKey = prefixedKey(userKeyPrefix, key);
    const stored = levelRead(this.path, () => this.db.getSync(storedKey));
    if (stored === undefined) return undefined;
    return toKeyValue(key, decodeStoredValue(this.path, storedKey, stored), { keysOnly: false });
  }

  /** Keys in order, at most min(limit, limits.rangeResultsMax), read from one consistent view. */
  async range(request: RangeRequest): Promise<RangeResult> {
    for (const key of [request.start, request.end, request.prefix, request.after]) {
      if (key !== undefined) this.checkReadKey(key);
    }
    if (request.limit !== undefined && (!Number.isSafeInteger(request.limit) || request.limit < 0)) {
      throw new InvalidCommandError(`range limit must be a non-negative integer, got ${request.limit}`);
    }
    checkRevisionArgument(request.revision);
    await this.readable();
    const bounds = rangeBounds(request);
    const limit = Math.min(request.limit || this.limits.rangeResultsMax, this.limits.rangeResultsMax);
    if (request.revision !== undefined && request.revision > 0) return this.rangeAtRevision(request, { bounds, limit, revision: request.revision });
    if (bounds === undefined) return { kvs: [], more: false, continuation: new Uint8Array(0), revision: this.revision };
    const snapshot = this.db.snapshot();
    try {
      return await levelReadAsync(this.path, () => this.rangeAt(snapshot, { request, bounds, limit }));
    } finally {
      await snapshot.close();
    }
  }

  private async rangeAt(
    snapshot: ReturnType<Database['snapshot']>,
    context: { request: RangeRequest; bounds: { gt?: Bytes; gte?: Bytes; lt: Bytes }; limit: number },
  ): Promise<RangeResult> {
    const { request, bounds, limit } = context;
    const metaBytes = await this.db.get(metaKey, { snapshot });
    const revision = metaBytes === undefined ? 0 : decodeMetaRecord(this.path, metaBytes).revision;
    const kvs: KeyValue[] = [];
    let more = false;
    let answerBytes = 0;
    for await (const [key, value] of this.db.iterator({ ...bounds, limit: limit + 1, snapshot })) {
      const kv = toKeyValue(userKeyOf(key), decodeStoredValue(this.path, key, value), { keysOnly: request.keysOnly === true });
      const kvBytes = kv.key.byteLength + kv.value.byteLength;
      if (kvs.length === limit || (kvs.length > 0 && answerBytes + kvBytes > this.limits.rangeBytesMax)) {
        more = true;
        break;
      }
      kvs.push(kv);
      answerBytes += kvBytes;
    }
    const continuation = kvs[kvs.length - 1]?.key ?? new Uint8Array(0);
    return { kvs, more, continuation, revision };
  }

  private rangeAtRevision(
    request: RangeRequest,
    context: { bounds: { gt?: Bytes; gte?: Bytes; lt: Bytes } | undefined; limit: number; revision: number },
  ): Promise<RangeResult> {
    const { bounds, limit, revision } = context;
    return this.readHistory(async (readContext, meta) => {
      checkHistoryBounds(meta, revision, 'read');
      if (bounds === undefined) return { kvs: [], more: false, continuation: new Uint8Array(0), revision };
      const span = { ...userSpanOf(bounds), ...(request.after !== undefined && request.after.byteLength > 0 ? { after: request.after } : {}) };
      const kvs: KeyValue[] = [];
      let more = false;
      let answerBytes = 0;
      for await (const { key, stored } of keysAt(readContext, { span, currentBounds: bounds, revision })) {
        const kv = toKeyValue(key, stored, { keysOnly: request.keysOnly === true });
        const kvBytes = kv.key.byteLength + kv.value.byteLength;
        if (kvs.length === limit || (kvs.length > 0 && answerBytes + kvBytes > this.limits.rangeBytesMax)) {
          more = true;
          break;
        }
        kvs.push(kv);
        answerBytes += kvBytes;
      }
      return { kvs, more, continuation: kvs[kvs.length - 1]?.key ?? new Uint8Array(0), revision };
    });
  }

  /**
   * The changes of revisions from `fromRevision` on, read from the history on disk (for a watch
   * that starts before what the server keeps in memory), whole revisions, stopping after the
   * revision at which `changesMax` is reached: RevisionCompactedError when the history no
   * longer holds `fromRevision`. `throughRevision` is the last revision covered.
   */
  async changesSince(
    fromRevision: number,
    options: { readonly changesMax: number; readonly prevKv: boolean },
  ): Promise<{ changes: HistoricChange[]; throughRevision: number }> {
    checkRevisionArgument(fromRevision);
    await this.readable();
    return this.readHistory((context, meta) => {
      checkHistoryBounds(meta, fromRevision, 'watch');
      return readChanges(context, { from: fromRevision, through: meta.revision, changesMax: options.changesMax, prevKv: options.prevKv });
    });
  }

  /** Runs `read` on one LevelDB snapshot with the meta it holds (history reads see records and bounds alike). */
  private async readHistory<T>(read: (context: { db: Database; snapshot: ReturnType<Database['snapshot']>; path: string }, meta: StateMeta) => Promise<T>): Promise<T> {
    const db = this.db;
    const snapshot = db.snapshot();
    try {
      const metaBytes = await levelReadAsync(this.path, () => db.get(metaKey, { snapshot }));
      const meta = metaBytes === undefined ? freshMeta : decodeMetaRecord(this.path, metaBytes);
      return await levelReadAsync(this.path, () => read({ db, snapshot, path: this.path }, meta));
    } finally {
      await snapshot.close();
    }
  }

  /** The revision below which reads and watches are refused (compacted); undefined while no history is kept. */
  get compactRevision(): number | undefined {
    return this.meta.historyStartRevision === undefined ? undefined : (this.meta.compactRevision ?? this.meta.historyStartRevision);
  }

  /** The lowest revision a watch may start at (its changes are in the history); undefined while no history is kept. */
  get watchFloorRevision(): number | undefined {
    return historyFloor(this.meta, 'watch');
  }

  /** The revision the history began at (the store's revision when the cluster reached apply version 3). */
  get historyStartRevision(): number | undefined {
    return this.meta.historyStartRevision;
  }

  /** Through which compaction this member has dropped the history records (it works in steps after each). */
  get historyDroppedThrough(): number | undefined {
    return this.meta.historyDroppedThrough;
  }

  /** Keys held, as of appliedIndex. */
  get keyCount(): number {
    return this.meta.keyCount ?? 0;
  }

  /** Bytes of history records on disk, as LevelDB estimates them from its table files (0 in memory). */
  historyBytes(): Promise<number> {
    return historyBytesApproximately(this.db);
  }

  /** Resolves when the history records every compaction so far made unreadable are dropped. */
  async historyDropped(): Promise<void> {
    while (this.dropping !== undefined) await this.dropping;
  }

  private dropping: Promise<void> | undefined;

  /** Starts dropping the records a compaction made unreadable, in steps between applies. */
  private scheduleHistoryDrop(): void {
    if (this.dropping !== undefined) return;
    this.dropping = this.dropCompactedHistory()
      .catch((error: unknown) => {
        if (!this.closed) this.options.logger.warn({ path: this.path, error: String(error) }, 'dropping compacted history failed; retried at the next compaction or open');
      })
      .finally(() => {
        this.dropping = undefined;
      });
  }

  private async dropCompactedHistory(): Promise<void> {
    const startedMs = performance.now();
    let records = 0;
    for (;;) {
      if (this.closed || this.failure !== undefined) return;
      const step = await this.runExclusive(() => this.dropHistoryStep());
      records += step.records;
      if (step.done) break;
    }
    this.options.logger.info({ path: this.path, compactRevision: this.compactRevision, changeRecords: records, ms: Math.round(performance.now() - startedMs) }, 'dropped compacted history');
  }

  private async dropHistoryStep(): Promise<{ done: boolean; records: number }> {
    const meta = this.meta;
    const compactRevision = meta.compactRevision;
    const from = meta.historyDroppedThrough ?? meta.historyStartRevision ?? 0;
    if (compactRevision === undefined || from >= compactRevision) return { done: true, records: 0 };
    const db = this.db;
    const snapshot = db.snapshot();
    let step: Awaited<ReturnType<typeof compactionStep>>;
    try {
      step = await levelReadAsync(this.path, () => compactionStep({ db, snapshot, path: this.path }, { from, compactRevision, recordsMax: historyDropStepRecordsMax }));
    } finally {
      await snapshot.close();
    }
    const next: HashedMeta = { ...this.meta, historyDroppedThrough: step.droppedThrough };
    // Not writeBatch: a failed step (a full disk) applies nothing and leaves this.meta as it was,
    // so the state stays whole; it must not make the state machine refuse everything while no
    // apply comes to fail and stop the node (FINDINGS R10). The drop is tried again later.
    await writeBatchAtomically(this.db, [...step.operations, metaPut(next)], { sync: false });
    this.meta = next;
    return { done: step.droppedThrough >= compactRevision, records: step.records };
  }

  /**
   * Reads every record of the state as of the call (a LevelDB snapshot: applies go on meanwhile),
   * checks each one's seal, recomputes the records' hash and compares it with the hash stored
   * with the meta at that snapshot, at most `recordsPerSecondMax` records a second. Throws
   * StateCorruptionError at the first damaged record, or when the hash differs (a record lost,
   * added or replaced behind the state machine's back, which no single read can see). Resolves
   * 'interrupted' when the state was replaced (a restore) or closed meanwhile.
   */
  async scrub(options: ScrubOptions): Promise<ScrubResult> {
    await this.readable();
    const db = this.db;
    const snapshot = db.snapshot();
    try {
      return await this.scrubAt(db, snapshot, options);
    } catch (error) {
      if (this.db !== db || this.closed) return { outcome: 'interrupted', records: 0, appliedIndex: 0 };
      throw asStateCorruption(this.path, error);
    } finally {
      await snapshot.close().catch(() => undefined);
    }
  }

  private async scrubAt(db: Database, snapshot: ReturnType<Database['snapshot']>, options: ScrubOptions): Promise<ScrubResult> {
    const metaBytes = await db.get(metaKey, { snapshot });
    if (metaBytes === undefined) {
      await refuseRecordsWithoutMeta(db, this.path, snapshot);
      return { outcome: 'ok', records: 0, appliedIndex: 0 };
    }
    const meta = decodeMetaRecord(this.path, metaBytes);
    const clock = options.clock ?? realScrubClock;
    const startedMs = clock.nowMs();
    const sum = new StateHashSum();
    let records = 0;
    for await (const batch of scanRecordBatches(db, { snapshot, gte: historyKeyLow })) {
      for (const [key, value] of batch) {
        if (key[0] === userKeyPrefix || key[0] === sessionKeyPrefix || isLeaseRecordKey(key)) {
          openStoredRecord(this.path, key, value);
          sum.add(sealOf(key, value));
        } else if (!checkHistoryRecord(this.path, key, value)) {
          continue;
        }
        records += 1;
        if (records % scrubPaceRecords === 0) {
          const aheadMs = (records * 1000) / options.recordsPerSecondMax - (clock.nowMs() - startedMs);
          if (aheadMs > 0) await clock.sleep(aheadMs);
          if (this.db !== db || this.closed) return { outcome: 'interrupted', records, appliedIndex: meta.appliedIndex };
        }
      }
    }
    const stored = storedRecordsHash(meta);
    if (stored !== undefined && !sameHash(stored, sum.value)) {
      throw new StateCorruptionError(
        this.path,
        `the records hash to ${formatHash(sum.value)}, but the state stored with applied index ${meta.appliedIndex} says ${formatHash(stored)}: a record was lost, added or replaced`,
      );
    }
    return { outcome: 'ok', records, appliedIndex: meta.appliedIndex };
  }

  /**
   * Makes everything applied so far durable (one synced write). Call it before compacting the
   * log up to appliedIndex when applySync is off; openSnapshotReader() does it itself.
   */
  async sync(): Promise<void> {
    await this.runExclusive(() => this.writeBatch([metaPut(this.meta)], { sync: true }));
  }

  /**
   * Opens a consistent streaming view of the whole state (waits for an apply in progress).
   * The state it covers is synced to disk first, so the log may be compacted up to
   * meta.appliedIndex once this resolves.
   */
  async openSnapshotReader(): Promise<SnapshotReader> {
    return this.runExclusive(async () => {
      await this.writeBatch([metaPut(this.meta)], { sync: true });
      const snapshot = this.db.snapshot();
      const db = this.db;
      const meta = this.meta;
      const chunkBytes = this.options.snapshotChunkBytes;
      const path = this.path;
      return {
        meta: publicMeta(meta),
        chunks: () => encodeSnapshotStream({ meta, pairBatches: snapshotPairBatches(db, { snapshot, path }), chunkBytes }),
        close: () => snapshot.close(),
      };
    });
  }

  /**
   * Replaces the whole state with a snapshot stream from openSnapshotReader().chunks(),
   * atomically: it is written to a fresh database beside this one, marked complete, then
   * swapped in by directory renames. A crash at any point leaves either the old state or the
   * new one (open() finishes the swap). If `expected` is given, the snapshot's applied index
   * and term must match it. A snapshot behind this state's applied index is refused
   * (SnapshotInvalidError) and changes nothing. Returns the restored meta.
   */
  async restoreSnapshot(
    chunks: AsyncIterable<Uint8Array>,
    expected?: { readonly index: number; readonly term: number },
  ): Promise<StateSnapshotMeta> {
    this.assertUsable();
    const meta = await writeIncoming(chunks, { ...this.options, expected, rewriteMeta: undefined });
    return this.swapIn(meta, 'restored a snapshot');
  }

  /**
   * Seeds an EMPTY state machine (nothing applied, no keys) from a backup (a snapshot stream of
   * another cluster, as openSnapshotReader().chunks() wrote it) as the initial state of a new
   * cluster: keys, their revisions and the store's revision, and the client sessions are kept;
   * the applied index and term and the membership start afresh, so the new cluster's bootstrap
   * entries set them as for any new cluster. Atomic like restoreSnapshot. Throws
   * StateCorruptionError naming the directory when this state is not empty.
   */
  async seedFromBackup(chunks: AsyncIterable<Uint8Array>): Promise<StateSnapshotMeta> {
    this.assertUsable();
    const holdsKeys = (await this.db.keys({ gte: userKeyLow, lt: userKeyHigh, limit: 1 }).all()).length > 0;
    if (this.meta.appliedIndex !== 0 || holdsKeys) {
      throw new StateCorruptionError(this.path, `holds a state already (applied index ${this.meta.appliedIndex}); a backup seeds only an empty one`);
    }
    const meta = await writeIncoming(chunks, { ...this.options, expected: undefined, rewriteMeta: asNewClusterMeta });
    return this.swapIn(meta, 'seeded from a backup');
  }

  /**
   * Step 2 of a restore: swap `<dir>.incoming` in (exclusive with applies) and reopen. A copy
   * behind this state's applied index is discarded instead (SnapshotInvalidError, this state
   * untouched): the applied index never goes back, and only here, with no apply in flight, is
   * the comparison final.
   */
  private swapIn(meta: StateMeta, what: string): Promise<StateSnapshotMeta> {
    return this.runExclusive(async () => {
      if (meta.appliedIndex < this.meta.appliedIndex) {
        await this.options.disk.remove(incomingDir(this.options.dir));
        throw new SnapshotInvalidError(`snapshot state at applied index ${meta.appliedIndex} is behind this state's ${this.meta.appliedIndex}: not restored`);
      }
      let finishSwap = () => {};
      this.swapDone = new Promise((resolve) => {
        finishSwap = resolve;
      });
      try {
        await this.db.close();
        // The state is replaced wholesale: nothing known about the old keys holds any longer.
        this.keyMetaCache.clear();
        await swapInRestoredState(this.options.dir, this.options.disk);
        const reopened = await openDatabase(this.options);
        this.db = reopened.db;
        this.meta = reopened.meta;
        this.sessions = reopened.sessions;
        this.sessionSeals = reopened.sessionSeals;
        this.leaseTable = await loadLeaseTable(reopened.db, this.options.dir, openStoredRecord);
        if (this.isCheckpointIndex(this.meta.appliedIndex)) this.recordCheckpoint(this.stateHash);
        if (!reopened.hasUserKeys) this.keyMetaCache.markStoreEmpty();
        this.scheduleHistoryDrop();
        assert(this.meta.appliedIndex === meta.appliedIndex, `restored ${this.meta.appliedIndex}, expected ${meta.appliedIndex}`);
        this.options.logger.info({ path: this.path, appliedIndex: meta.appliedIndex, revision: meta.revision }, what);
        const revision = this.meta.revision;
        this.tellListeners((listener) => listener.restored(revision));
        this.tellListeners((listener) => listener.authChanged?.());
        return publicMeta(meta);
      } catch (error) {
        this.failure = error;
        throw error;
      } finally {
        finishSwap();
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.exclusive.catch(() => undefined);
    await this.db.close();
  }

  private checkReadKey(key: Uint8Array): void {
    if (key.byteLength > this.limits.keyBytesMax) throw new KeyTooLargeError(key.byteLength, this.limits.keyBytesMax);
  }

  private assertUsable(): void {
    if (this.closed) throw new StoreClosedError(`state machine at ${this.path} is closed`);
    if (this.failure !== undefined) {
      throw new StoreClosedError(`state machine at ${this.path} failed a write and serves nothing more`, {
        cause: this.failure,
      });
    }
  }

  private async readable(): Promise<void> {
    this.assertUsable();
    await this.swapDone;
    this.assertUsable();
  }

  private runExclusive<T>(work: () => Promise<T>): Promise<T> {
    this.assertUsable();
    const next = this.exclusive.then(() => {
      this.assertUsable();
      return work();
    });
    this.exclusive = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private async writeBatch(operations: BatchOperation[], options: { sync: boolean }): Promise<void> {
    try {
      await writeBatchAtomically(this.db, operations, { sync: options.sync });
    } catch (error) {
      const first = this.failure === undefined;
      this.failure = error;
      this.keyMetaCache.clear();
      if (first) for (const listener of this.writeFailureListeners) queueMicrotask(() => listener(error));
      throw error;
    }
  }

  private async applyNow(entries: readonly Entry[], hooks: ApplyHooks): Promise<ApplyResult[]> {
    const pending = entries.filter((entry) => entry.index > this.meta.appliedIndex);
    if (pending.length === 0) return [];
    const sealsRead = new Map<string, RecordSeal | null>();
    const batch: ApplyBatch = {
      meta: { ...this.meta },
      sealsRead,
      checkpoints: [],
      sealed: undefined,
      sessionsChanging: false,
      writeSet: new WriteSet(
        {
          readStored: (key) => this.readStored(key, sealsRead),
          readStoredMany: (keys) => this.readStoredMany(keys, sealsRead),
          cachedMeta: (id) => this.keyMetaCache.lookup(id),
          storedKeysIn: (range, limit) => this.storedKeysIn(range, limit),
        },
        // Always: lease attachments follow each command's writes (executeCommand), and the history
        // and the watchers take each command's writes from here.
        { recordChanges: true },
      ),
      sessionWrites: new Map(),
      changes: [],
      historyOperations: [],
    };
    this.leaseTable.begin();
    try {
      const results = await this.applyAndWrite(pending, batch, hooks);
      if (batch.sessionsChanging) this.sessions.commitChange();
      return results;
    } catch (error) {
      // Nothing of the batch reached memory or disk: put the session and lease tables back as they were.
      if (batch.sessionsChanging) this.sessions.rollbackChange();
      this.leaseTable.rollback();
      throw error;
    }
  }

  private async applyAndWrite(pending: readonly Entry[], batch: ApplyBatch, hooks: ApplyHooks): Promise<ApplyResult[]> {
    const commands = pending.map(decodeEntry);
    await batch.writeSet.prefetch(commands.flat().flatMap(keyUsesOfEntry));
    const results: ApplyResult[] = [];
    for (const [position, entry] of pending.entries()) {
      // Checked before the message is built: this runs for every entry.
      if (entry.index !== batch.meta.appliedIndex + 1) {
        assert(false, `apply of index ${entry.index} after applied index ${batch.meta.appliedIndex}`);
      }
      for (const [slot, command] of commands[position]!.entries()) results.push(await this.applyEntry(entry, { command, slot }, batch));
      batch.meta.appliedIndex = entry.index;
      batch.meta.appliedTerm = entry.term;
      // The hash is incremental, so the one after exactly this entry is known mid-batch.
      if (this.isCheckpointIndex(entry.index)) batch.checkpoints.push(this.checkpointOf(batch));
    }
    const sealed = this.sealBatch(batch);
    batch.meta.recordsHash = sealed.recordsHash;
    const operations = [...sealed.operations, ...batch.historyOperations, metaPut(batch.meta)];
    hooks.onComputed?.(results);
    await this.writeBatch(operations, { sync: this.options.applySync });
    const compacted = batch.meta.compactRevision !== this.meta.compactRevision;
    this.rememberKeyMeta(batch, sealed.keySeals);
    for (const [clientId, seal] of sealed.sessionSeals) {
      if (seal === null) this.sessionSeals.delete(clientId);
      else this.sessionSeals.set(clientId, seal);
    }
    this.leaseTable.commit(sealed.leaseSeals);
    const authChanged = batch.meta.auth !== this.meta.auth;
    this.meta = batch.meta;
    for (const checkpoint of batch.checkpoints) this.recordCheckpoint(checkpoint);
    if (batch.changes.length > 0) this.tellListeners((listener) => listener.changed(batch.changes, batch.meta.revision));
    if (authChanged) this.tellListeners((listener) => listener.authChanged?.());
    if (compacted) this.scheduleHistoryDrop();
    return results;
  }

  /** The state hash of the batch as it stands (after the entries applied so far). */
  private checkpointOf(batch: ApplyBatch): StateCheckpoint {
    batch.sealed ??= new Map();
    const { recordsHash } = this.sealBatch(batch);
    return { index: batch.meta.appliedIndex, hash: stateHashOf({ ...batch.meta, recordsHash }) };
  }

  /**
   * The batch's key and session writes as sealed LevelDB operations, the hash of the records
   * after them (the one before, minus every replaced record's, plus every new one's), and the
   * seals of the new records (null: deleted).
   */
  private sealBatch(batch: ApplyBatch): {
    operations: BatchOperation[];
    recordsHash: StateHash;
    keySeals: Map<string, RecordSeal | null>;
    sessionSeals: Map<string, RecordSeal | null>;
    leaseSeals: Map<number, RecordSeal | null>;
  } {
    const sum = new StateHashSum(this.meta.recordsHash);
    const operations: BatchOperation[] = [];
    const keySeals = new Map<string, RecordSeal | null>();
    for (const [id, { key, stored }] of batch.writeSet.writes) {
      const before = this.storedKeySeal(id, batch);
      if (before !== null) sum.subtract(before);
      const storedKey = prefixedKey(userKeyPrefix, key);
      if (stored === undefined) {
        operations.push({ type: 'del', key: storedKey });
        keySeals.set(id, null);
        continue;
      }
      const { value, seal } = sealOnce(batch, { object: stored, key: storedKey }, () => sealRecord(storedKey, packr.pack(stored)));
      sum.add(seal);
      keySeals.set(id, seal);
      operations.push({ type: 'put', key: storedKey, value });
    }
    const sessionSeals = new Map<string, RecordSeal | null>();
    for (const [clientId, record] of batch.sessionWrites) {
      const before = this.sessionSeals.get(clientId);
      if (before !== undefined) sum.subtract(before);
      const key = sessionKey(clientId);
      if (record === undefined) {
        operations.push({ type: 'del', key });
        sessionSeals.set(clientId, null);
        continue;
      }
      const { value, seal } = sealOnce(batch, { object: record, key }, () => sealInPlace(key, encodeSessionRecord(record, sealHeaderBytes)));
      sum.add(seal);
      sessionSeals.set(clientId, seal);
      operations.push({ type: 'put', key, value });
    }
    const leaseSeals = sealLeaseRecords(this.leaseTable, { sum, operations });
    return { operations, recordsHash: sum.value, keySeals, sessionSeals, leaseSeals };
  }

  /**
   * The seal of the key's record as LevelDB holds it before the batch (null: absent). A key the
   * batch writes was read from LevelDB or known to the key meta cache, which does not change
   * until the batch is written.
   */
  private storedKeySeal(id: string, batch: ApplyBatch): RecordSeal | null {
    const read = batch.sealsRead.get(id);
    if (read !== undefined) return read;
    const cached = this.keyMetaCache.peek(id);
    // Checked before the message is built: this runs for every write.
    if (cached === undefined) assert(false, `the batch writes key ${JSON.stringify(id)} it neither read nor found in the cache`);
    return cached === null ? null : cached.seal;
  }

  private tellListeners(tell: (listener: ChangeListener) => void): void {
    for (const listener of this.changeListeners) {
      try {
        tell(listener);
      } catch (error) {
        // The batch is written: a listener's bug must not look like a failed apply.
        this.options.logger.warn({ error: String(error) }, 'a change listener threw');
      }
    }
  }

  /** After the batch is written: what it read and wrote is now LevelDB's state of those keys. */
  private rememberKeyMeta(batch: ApplyBatch, keySeals: ReadonlyMap<string, RecordSeal | null>): void {
    for (const [id, stored] of batch.writeSet.valuesRead) {
      const seal = batch.sealsRead.get(id);
      this.keyMetaCache.remember(id, stored === undefined || seal === undefined || seal === null ? null : keyMetaOf(stored, seal));
    }
    for (const [id, { stored }] of batch.writeSet.writes) {
      const seal = keySeals.get(id);
      this.keyMetaCache.remember(id, stored === undefined || seal === undefined || seal === null ? null : keyMetaOf(stored, seal));
    }
  }

  /** Applies one command of `entry` (the one at `slot`; a no-op and a conf change are slot 0). */
  private async applyEntry(entry: Entry, at: { command: DecodedCommand; slot: number }, batch: ApplyBatch): Promise<ApplyResult> {
    const { index, term } = entry;
    const { command, slot } = at;
    if (entry.type === 'confChange') {
      return { index, slot, term, outcome: this.applyConfChange(entry.change, batch), duplicate: false };
    }
    if (command === undefined) return { index, slot, term, outcome: { type: 'noop' }, duplicate: false };
    if (command instanceof InvalidCommandError) {
      return { index, slot, term, outcome: { type: 'invalid', message: command.message }, duplicate: false };
    }
    return this.applyCommand(command, { index, slot, term, batch });
  }

  private async applyCommand(
    command: KvCommand,
    context: { index: number; slot: number; term: number; batch: ApplyBatch },
  ): Promise<ApplyResult> {
    const { index, slot, term, batch } = context;
    // Every replica applies a command at the same version: the stamp, or the state's if higher
    // (a stamp never takes the cluster back to an older way of applying).
    const version = Math.max(command.applyVersion ?? APPLY_VERSION_FIRST, batch.meta.clusterVersion);
    if (version > this.options.applyVersionMax) throw new ApplyVersionError(version, this.options.applyVersionMax, `entry ${index}`);
    batch.meta.clusterVersion = version;
    if (version >= APPLY_VERSION_HISTORY && batch.meta.historyStartRevision === undefined) beginHistory(batch.meta);
    const session = command.session !== undefined && command.session.clientId !== '' ? command.session : undefined;
    const base = session === undefined ? { index, slot, term, duplicate: false } : { index, slot, term, duplicate: false, session };
    if (session === undefined) {
      return { ...base, outcome: authStaleOutcome(command, version, batch.meta.auth) ?? (await this.executeCommand(command, version, batch)) };
    }
    const sessions = this.beginSessionChange(batch, command.proposedAtMs);
    const answer = sessions.findAnswer(session.clientId, session.sequence);
    if (answer === 'stale') {
      const lastSequence = sessions.get(session.clientId)?.lastSequence ?? 0;
      return { ...base, outcome: { type: 'staleSequence', lastSequence } };
    }
    if (answer !== undefined) return { ...base, outcome: answer.outcome, duplicate: true };
    // A refusal is recorded like any answer: no later copy of this write applies.
    const outcome = authStaleOutcome(command, version, batch.meta.auth) ?? (await this.executeCommand(command, version, batch));
    const touchOrder = batch.meta.sessionTouches + 1;
    batch.meta.sessionTouches = touchOrder;
    const recorded = sessions.recordAnswer(
      session.clientId,
      { sequence: session.sequence, outcome },
      { clockMs: batch.meta.sessionClockMs, touchOrder },
    );
    batch.sessionWrites.set(session.clientId, recorded.record);
    for (const evicted of recorded.evicted) batch.sessionWrites.set(evicted, undefined);
    return { ...base, outcome };
  }

  /** Advances the session clock to this command's proposal time and expires idle sessions. */
  private beginSessionChange(batch: ApplyBatch, proposedAtMs: number): SessionTable {
    if (!batch.sessionsChanging) {
      this.sessions.beginChange();
      batch.sessionsChanging = true;
    }
    const sessionClockMs = Math.max(batch.meta.sessionClockMs, proposedAtMs);
    batch.meta.sessionClockMs = sessionClockMs;
    for (const expired of this.sessions.expire(sessionClockMs)) batch.sessionWrites.set(expired, undefined);
    return this.sessions;
  }

  /**
   * Runs the command's operation on the batch. A command applied at APPLY_VERSION_QUOTA or later
   * that carries the store quota and would grow the bytes of keys and values beyond it is taken
   * back whole (a txn too) and answered quotaExceeded; writes that free bytes or keep the size always pass, so a full store can
   * always be emptied. Everything the decision reads is in the log and the state, so every
   * replica decides alike.
   */
  private async executeCommand(command: KvCommand, version: number, batch: ApplyBatch): Promise<CommandOutcome> {
    if (command.operation.type === 'auth') {
      // Below the auth version a change is what a release without auth makes of it.
      if (version < APPLY_VERSION_AUTH) return { type: 'invalid', message: `operation auth is unknown at apply version ${version}` };
      const { state, outcome } = applyAuthChange(batch.meta.auth, command.operation.change, command.proposedAtMs);
      if (state !== undefined) batch.meta.auth = state;
      return outcome;
    }
    const { writeSet, meta } = batch;
    const leasesApply = version >= APPLY_VERSION_LEASES;
    if (!leasesApply && isLeaseOperation(command.operation)) return leaseOutcomeBeforeLeases();
    const operation = leasesApply ? command.operation : operationWithoutLeases(command.operation);
    if (operation.type === 'setPlacement') return applySetPlacement(operation, version, meta);
    if ((operation.type === 'compact' || operation.type === 'deleteRange') && version < APPLY_VERSION_HISTORY) {
      return { type: 'invalid', message: `${operation.type} needs apply version ${APPLY_VERSION_HISTORY}; the cluster applies at ${version}` };
    }
    if (operation.type === 'compact') return applyCompaction(operation.revision, meta);
    if (leasesApply && !isLeaseOperation(operation)) {
      const refused = this.leaseTable.checkPuts(putsOf(operation));
      if (refused !== undefined) return refused;
    }
    const quota = version >= APPLY_VERSION_QUOTA && !isLeaseOperation(operation) ? command.storeBytesMax : undefined;
    const bytesBefore = writeSet.bytesDelta;
    const keysBefore = writeSet.keysDelta;
    const changesBefore = writeSet.changes?.length ?? 0;
    if (quota !== undefined) writeSet.beginUndo();
    const { outcome, changed } = await this.executeOperationOrLease(operation, { writeSet, revision: meta.revision });
    const growth = writeSet.bytesDelta - bytesBefore;
    if (quota !== undefined) {
      if (growth > 0 && meta.keyValueBytes + growth > quota) {
        writeSet.rollbackUndo();
        return { type: 'quotaExceeded', keyValueBytes: meta.keyValueBytes, growth, storeBytesMax: quota };
      }
      writeSet.commitUndo();
    }
    meta.keyValueBytes += growth;
    if (meta.keyValueBytes < 0) assert(false, `bytes of keys and values held went below zero (${meta.keyValueBytes})`);
    if (leasesApply && !isLeaseOperation(operation)) this.followLeaseAttachments(writeSet, changesBefore);
    meta.keyCount = (meta.keyCount ?? 0) + writeSet.keysDelta - keysBefore;
    if (changed) {
      meta.revision += 1;
      const writes = writeSet.changes?.slice(changesBefore) ?? [];
      if (meta.historyStartRevision !== undefined) this.recordHistory(batch, writes);
      if (this.changeListeners.size > 0) {
        const withPrevKv = [...this.changeListeners].some((listener) => listener.wantsPrevKv?.() === true);
        collectChanges(writes, { revision: meta.revision, into: batch.changes, prevKv: withPrevKv ? (key) => this.readStoredSync(key) : undefined });
      }
    }
    return outcome;
  }

  private executeOperationOrLease(
    operation: KvCommand['operation'],
    context: { writeSet: WriteSet; revision: number },
  ): Promise<{ outcome: CommandOutcome; changed: boolean }> {
    if (operation.type === 'leaseGrant') return Promise.resolve({ outcome: this.leaseTable.grant(operation), changed: false });
    if (operation.type === 'leaseRevoke') return this.leaseTable.revoke(operation, context);
    return executeOperation(operation, context);
  }

  /** Each key the command wrote now belongs to the lease its new record names (or to none). */
  private followLeaseAttachments(writeSet: WriteSet, changesFrom: number): void {
    const changes = writeSet.changes;
    assert(changes !== undefined, 'the write set records no changes');
    for (let i = changesFrom; i < changes.length; i++) {
      const { key, stored } = changes[i]!;
      this.leaseTable.noteWrite(key, stored?.lease);
    }
  }

  /** Adds the history records of one command's writes to the batch, and their hashes to the history's sum. */
  private recordHistory(batch: ApplyBatch, writes: Parameters<typeof historyRecordsOf>[0]): void {
    const { meta } = batch;
    assert(meta.historyStartRevision !== undefined, 'recordHistory before the history began');
    const { operations, seals } = historyRecordsOf(writes, {
      revision: meta.revision,
      historyStartRevision: meta.historyStartRevision,
      readStored: (key) => this.readStoredSync(key),
    });
    const sum = new StateHashSum(meta.historyHash ?? emptyStateHash);
    for (const seal of seals) sum.add(seal);
    meta.historyHash = sum.value;
    for (const operation of operations) batch.historyOperations.push(operation);
  }

  /** A key's record as LevelDB holds it (the state before the batch being applied). */
  private readStoredSync(key: Uint8Array): StoredValue | undefined {
    const storedKey = prefixedKey(userKeyPrefix, key);
    const stored = levelRead(this.path, () => this.db.getSync(storedKey));
    return stored === undefined ? undefined : decodeStoredValue(this.path, storedKey, stored);
  }

  /** User keys LevelDB holds in `range`, in order, at most `limit` (for a range delete). */
  private async storedKeysIn(range: KeySpan, limit: number): Promise<Uint8Array[]> {
    const lt = range.end === undefined ? userKeyHigh : prefixedKey(userKeyPrefix, range.end);
    const keys = await levelReadAsync(this.path, () => this.db.keys({ gte: prefixedKey(userKeyPrefix, range.start), lt, limit }).all());
    return keys.map((key) => Uint8Array.from(userKeyOf(key)));
  }

  private applyConfChange(change: ConfChange, batch: ApplyBatch): EntryOutcome {
    const member = this.memberFromContext(change);
    const { confState, members } = changeMembership(batch.meta, change, member);
    const memberIdMax = Math.max(batch.meta.memberIdMax, change.nodeId);
    batch.meta.confState = confState;
    batch.meta.members = members;
    batch.meta.memberIdMax = memberIdMax;
    return { type: 'confChange', confState, members };
  }

  private memberFromContext(change: ConfChange): MemberRecord | undefined {
    if (change.context === undefined || change.context.byteLength === 0) return undefined;
    try {
      const member = decodeMemberContext(change.context);
      if (member.id === change.nodeId) return member;
      this.options.logger.warn({ nodeId: change.nodeId, contextId: member.id }, 'conf change context names another member');
    } catch (error) {
      this.options.logger.warn({ nodeId: change.nodeId, error: String(error) }, 'conf change context does not decode');
    }
    return undefined;
  }

  /*
   * Reads of a few keys use getSync on the event loop: a LevelDB lookup answered from the
   * memtable or block cache takes about a microsecond, far less than the hand-off to the thread
   * pool and back that an asynchronous get costs (about 20 us of CPU and a wake-up on each side),
   * which sat on every write's path to its answer. Many keys at once still go to the thread pool
   * in one getMany, where that hand-off is shared.
   */
  private async readStored(key: Uint8Array, seals: Map<string, RecordSeal | null>): Promise<StoredValue | undefined> {
    const storedKey = prefixedKey(userKeyPrefix, key);
    const stored = levelRead(this.path, () => this.db.getSync(storedKey));
    seals.set(keyId(key), stored === undefined ? null : sealOf(storedKey, stored));
    return stored === undefined ? undefined : decodeStoredValue(this.path, storedKey, stored);
  }

  private async readStoredMany(keys: Uint8Array[], seals: Map<string, RecordSeal | null>): Promise<(StoredValue | undefined)[]> {
    const storedKeys = keys.map((key) => prefixedKey(userKeyPrefix, key));
    const values =
      storedKeys.length <= syncReadKeysMax
        ? levelRead(this.path, () => storedKeys.map((key) => this.db.getSync(key)))
        : await levelReadAsync(this.path, () => this.db.getMany(storedKeys));
    return values.map((value, position) => {
      seals.set(keyId(keys[position]!), value === undefined ? null : sealOf(storedKeys[position]!, value));
      return value === undefined ? undefined : decodeStoredValue(this.path, storedKeys[position]!, value);
    });
  }
}

/**
 * LevelDB's own verdict of corruption (a block whose checksum or compression it finds broken:
 * LEVEL_CORRUPTION) is the same failure of the world as a seal that fails.
 */
function asStateCorruption(path: string, error: unknown): unknown {
  if ((error as { code?: unknown }).code !== 'LEVEL_CORRUPTION') return error;
  return new StateCorruptionError(path, `LevelDB reports corruption: ${(error as Error).message}`, { cause: error });
}

function levelRead<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw asStateCorruption(path, error);
  }
}

async function levelReadAsync<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw asStateCorruption(path, error);
  }
}

/** The payload of a stored record whose seal checks; anything else throws, naming the key. */
function openStoredRecord(path: string, storedKey: Uint8Array, bytes: Uint8Array): Uint8Array {
  const opened = openRecord(storedKey, bytes);
  if (!opened.ok) throw new StateCorruptionError(path, opened.reason, { key: describeStoredKey(storedKey) });
  return opened.payload;
}

function decodeStoredValue(path: string, storedKey: Uint8Array, bytes: Uint8Array): StoredValue {
  const payload = openStoredRecord(path, storedKey, bytes);
  try {
    return packr.unpack(payload) as StoredValue;
  } catch (cause) {
    throw new StateCorruptionError(path, 'the value does not decode', { cause, key: describeStoredKey(storedKey) });
  }
}

function decodeMetaRecord(path: string, bytes: Uint8Array): StateMeta {
  const payload = openStoredRecord(path, metaKey, bytes);
  try {
    return packr.unpack(payload) as StateMeta;
  } catch (cause) {
    throw new StateCorruptionError(path, 'the meta record does not decode', { cause, key: describeStoredKey(metaKey) });
  }
}

function decodeSessionStored(path: string, storedKey: Uint8Array, bytes: Uint8Array): SessionRecord {
  const payload = openStoredRecord(path, storedKey, bytes);
  try {
    return decodeSessionRecord(payload);
  } catch (cause) {
    throw new StateCorruptionError(path, 'the session record does not decode', { cause, key: describeStoredKey(storedKey) });
  }
}

/** The batch operation that stores `meta` (sealed). */
function metaPut(meta: StateMeta): BatchOperation {
  return { type: 'put', key: metaKey, value: sealRecord(metaKey, packr.pack(meta)) };
}

/** The record encoding `source` sealed, once per batch (see ApplyBatch.sealed). */
function sealOnce(
  batch: ApplyBatch,
  source: { object: object; key: Uint8Array },
  seal: () => Uint8Array,
): { readonly value: Uint8Array; readonly seal: RecordSeal } {
  const known = batch.sealed?.get(source.object);
  if (known !== undefined) return known;
  const value = seal();
  const sealed = { value, seal: sealOf(source.key, value) };
  batch.sealed?.set(source.object, sealed);
  return sealed;
}

/** A command of a normal entry, the error that makes it invalid, or undefined for a no-op or confChange. */
type DecodedCommand = KvCommand | InvalidCommandError | undefined;

/** The commands of one entry, in slot order: exactly one for a no-op, a confChange or undecodable data. */
function decodeEntry(entry: Entry): DecodedCommand[] {
  if (entry.type !== 'normal' || entry.data.byteLength === 0) return [undefined];
  try {
    return decodeEntryCommands(entry.data);
  } catch (error) {
    if (error instanceof InvalidCommandError) return [error];
    throw error;
  }
}

function keyUsesOfEntry(command: DecodedCommand): KeyUse[] {
  return command === undefined || command instanceof Error ? [] : keyUsesOf(command.operation);
}

/**
 * The refusal of a write whose permission was checked against an older auth state than the one
 * in force (apply version 8; see KvCommand.authRevision), or undefined when it may apply. While
 * auth is off at apply nothing needs permission; a write checked while auth was off and applied
 * after auth was turned on is refused (turning auth on raises the revision).
 */
function authStaleOutcome(command: KvCommand, version: number, auth: AuthState | undefined): AuthStaleResult | undefined {
  const checkedAuthRevision = command.authRevision;
  if (checkedAuthRevision === undefined || version < APPLY_VERSION_AUTH_REVISION) return undefined;
  if (auth === undefined || !auth.enabled || checkedAuthRevision >= auth.revision) return undefined;
  return { type: 'authStale', checkedAuthRevision, authRevision: auth.revision };
}

/**
 * Replaces the placement setting. A command stamped before APPLY_VERSION_PLACEMENT is answered
 * invalid and changes nothing: a member of an older release would have done the same.
 */
function applySetPlacement(op: SetPlacementOp, version: number, meta: WorkingMeta): CommandOutcome {
  if (version < APPLY_VERSION_PLACEMENT) {
    return { type: 'invalid', message: `setPlacement needs apply version ${APPLY_VERSION_PLACEMENT}; the command was stamped ${version}` };
  }
  const placement = plainPlacement(op.placement);
  meta.placement = placement;
  return { type: 'placement', placement };
}

function sortMembers(members: readonly MemberRecord[]): MemberRecord[] {
  return [...members].sort((a, b) => a.id - b.id);
}

function without(ids: readonly number[], id: number): number[] {
  return ids.filter((existing) => existing !== id);
}

/** The membership after one change; the member table follows the voter/learner sets. */
export function changeMembership(
  current: { confState: ConfState; members: readonly MemberRecord[] },
  change: ConfChange,
  member: MemberRecord | undefined,
): { confState: ConfState; members: MemberRecord[] } {
  const { nodeId } = change;
  const voters = without(current.confState.voters, nodeId);
  const learners = without(current.confState.learners, nodeId);
  const known = current.members.find((existing) => existing.id === nodeId);
  const others = current.members.filter((existing) => existing.id !== nodeId);
  const placeholder: MemberRecord = member ??
    known ?? { id: nodeId, name: '', region: '', clientAddress: '', peerAddress: '', learner: false };
  switch (change.type) {
    case 'removeNode':
      return { confState: { voters: current.confState.voters.filter((id) => id !== nodeId), learners }, members: others };
    case 'addLearner':
      if (current.confState.voters.includes(nodeId)) {
        // A voter is never demoted by addLearner; keep the sets as they are.
        return { confState: current.confState, members: sortMembers(current.members) };
      }
      return {
        confState: { voters, learners: [...learners, nodeId].sort((a, b) => a - b) },
        members: sortMembers([...others, { ...placeholder, learner: true }]),
      };
    case 'addVoter':
    case 'promoteLearner':
      return {
        confState: { voters: [...voters, nodeId].sort((a, b) => a - b), learners },
        members: sortMembers([...others, { ...placeholder, learner: false }]),
      };
  }
}

/**
 * A backup's meta as the initial state of a new cluster: nothing applied and no members yet
 * (the new cluster's bootstrap entries add them), the revision and session clock kept so
 * revisions and session expiry continue from the backup, and memberIdMax kept so no new member
 * gets the id of one whose data might still be around.
 */
/**
 * The writes of one command as the changes a watcher sees, all at `revision`; with `prevKv`,
 * each carries the key before it (read from LevelDB when the batch saw only its meta).
 */
function collectChanges(
  writes: readonly { key: Uint8Array; stored: StoredValue | undefined; previous: StoredValue | undefined | 'stored' }[],
  context: { revision: number; into: KeyChange[]; prevKv: ((key: Uint8Array) => StoredValue | undefined) | undefined },
): void {
  const { revision, into } = context;
  for (const { key, stored, previous } of writes) {
    const change: KeyChange =
      stored === undefined
        ? { type: 'delete', kv: { key, value: new Uint8Array(0), createRevision: 0, modRevision: revision, version: 0 } }
        : { type: 'put', kv: toKeyValue(key, stored, { keysOnly: false }) };
    if (context.prevKv === undefined) {
      into.push(change);
      continue;
    }
    const before = previous === 'stored' ? context.prevKv(key) : previous;
    into.push(before === undefined ? { ...change, prevKvRead: true } : { ...change, prevKv: toKeyValue(key, before, { keysOnly: false }), prevKvRead: true });
  }
}

/** The first command applied at APPLY_VERSION_HISTORY starts the history at the store's revision. */
function beginHistory(meta: WorkingMeta): void {
  meta.historyStartRevision = meta.revision;
  meta.compactRevision = meta.revision;
  meta.historyDroppedThrough = meta.revision;
  meta.historyHash = emptyStateHash;
}

/** A compact command: moves the compacted revision (the records go in steps afterwards). */
function applyCompaction(revision: number, meta: WorkingMeta): CommandOutcome {
  if (meta.historyStartRevision === undefined) return { type: 'compactRefused', reason: 'noHistory', compactRevision: 0, revision: meta.revision };
  const compactRevision = meta.compactRevision ?? meta.historyStartRevision;
  if (revision > meta.revision) return { type: 'compactRefused', reason: 'future', compactRevision, revision: meta.revision };
  if (revision <= compactRevision) return { type: 'compactRefused', reason: 'compacted', compactRevision, revision: meta.revision };
  meta.compactRevision = revision;
  return { type: 'compact', compactRevision: revision, revision: meta.revision };
}

/**
 * The lowest revision the history answers for in `meta`, or undefined when it keeps none. A
 * read may be at the compacted revision; a watch needs the changes of its start revision,
 * which the history holds only after it began.
 */
function historyFloor(meta: StateMeta, use: 'read' | 'watch'): number | undefined {
  if (meta.historyStartRevision === undefined) return undefined;
  const compactRevision = meta.compactRevision ?? meta.historyStartRevision;
  return use === 'read' ? compactRevision : Math.max(compactRevision, meta.historyStartRevision + 1);
}

/** Throws RevisionCompactedError or FutureRevisionError unless `meta` answers for `revision`. */
function checkHistoryBounds(meta: StateMeta, revision: number, use: 'read' | 'watch'): void {
  const floor = historyFloor(meta, use);
  if (floor === undefined || revision < floor) throw new RevisionCompactedError(revision, floor ?? meta.revision + 1);
  if (revision > meta.revision + (use === 'watch' ? 1 : 0)) throw new FutureRevisionError(revision, meta.revision);
}

function asNewClusterMeta(meta: StateMeta): StateMeta {
  return { ...meta, appliedIndex: 0, appliedTerm: 0, confState: { voters: [], learners: [] }, members: [] };
}

function publicMeta(meta: StateMeta): StateSnapshotMeta {
  return {
    appliedIndex: meta.appliedIndex,
    appliedTerm: meta.appliedTerm,
    revision: meta.revision,
    confState: meta.confState,
    members: meta.members,
    memberIdMax: meta.memberIdMax,
  };
}

/** Iterator bounds (on stored keys) for a range request, or undefined when it selects nothing. */
function rangeBounds(request: RangeRequest): { gt?: Bytes; gte?: Bytes; lt: Bytes } | undefined {
  let lower: Bytes;
  let upper: Bytes;
  if (request.prefix !== undefined) {
    lower = prefixedKey(userKeyPrefix, request.prefix);
    const end = prefixEnd(request.prefix);
    upper = end === undefined ? userKeyHigh : prefixedKey(userKeyPrefix, end);
  } else if (request.start === undefined || request.start.byteLength === 0) {
    if (request.end === undefined || request.end.byteLength === 0) return undefined;
    lower = userKeyLow;
    upper = Buffer.compare(request.end, noUpperBound) === 0 ? userKeyHigh : prefixedKey(userKeyPrefix, request.end);
  } else if (request.end === undefined || request.end.byteLength === 0) {
    lower = prefixedKey(userKeyPrefix, request.start);
    upper = prefixedKey(userKeyPrefix, Buffer.concat([request.start, noUpperBound]));
  } else {
    lower = prefixedKey(userKeyPrefix, request.start);
    upper = Buffer.compare(request.end, noUpperBound) === 0 ? userKeyHigh : prefixedKey(userKeyPrefix, request.end);
  }
  if (request.after !== undefined && request.after.byteLength > 0) {
    const after = prefixedKey(userKeyPrefix, request.after);
    if (Buffer.compare(after, lower) >= 0) return { gt: after, lt: upper };
  }
  return { gte: lower, lt: upper };
}

async function* snapshotPairBatches(
  db: Database,
  context: { snapshot: ReturnType<Database['snapshot']>; path: string },
): AsyncGenerator<(readonly [Uint8Array, Uint8Array])[]> {
  try {
    for await (const records of scanRecordBatches(db, { snapshot: context.snapshot })) {
      const pairs: (readonly [Uint8Array, Uint8Array])[] = [];
      for (const [key, value] of records) {
        if (Buffer.compare(key, restoreMarkerKey) === 0) continue;
        // A damaged record is never sent: the receiver would take it for the leader's state.
        openStoredRecord(context.path, key, value);
        pairs.push([key, value]);
      }
      yield pairs;
    }
  } catch (error) {
    throw asStateCorruption(context.path, error);
  }
}

interface OpenedState {
  readonly db: Database;
  readonly meta: HashedMeta;
  readonly sessions: SessionTable;
  readonly sessionSeals: Map<string, RecordSeal>;
  readonly hasUserKeys: boolean;
  readonly droppedRecords: DroppedRecords;
}

async function openDatabase(options: ResolvedOptions): Promise<OpenedState> {
  const { db, droppedRecords } = await options.disk.openDatabase(options.dir, { writeBufferBytes: options.levelWriteBufferBytes });
  if (droppedRecords.bytes > 0) {
    // Applies are not synced: what recovery dropped is replayed from the log.
    options.logger.warn({ path: options.dir, droppedBytes: droppedRecords.bytes, reports: droppedRecords.reports }, 'LevelDB dropped records of the state at open');
  }
  let opened: OpenedState;
  try {
    const metaBytes = await db.get(metaKey);
    if (metaBytes !== undefined && metaBytes[0] !== sealMarker) {
      // Written by a release before record checksums: convert it whole, then open the result.
      await db.close();
      await sealUnsealedState(options);
      return openDatabase(options);
    }
    if (metaBytes === undefined) await refuseRecordsWithoutMeta(db, options.dir);
    const stored = metaBytes === undefined ? freshMeta : decodeMetaRecord(options.dir, metaBytes);
    const counted = stored.keyValueBytes === undefined ? { ...stored, keyValueBytes: await countKeyValueBytes(db, options.dir) } : stored;
    const versioned = withClusterVersion(counted.keyCount === undefined ? { ...counted, keyCount: await countKeys(db) } : counted);
    const records: SessionRecord[] = [];
    const sessionSeals = new Map<string, RecordSeal>();
    const sessionLow = Uint8Array.of(sessionKeyPrefix);
    const sessionHigh = Uint8Array.of(sessionKeyPrefix + 1);
    for await (const [key, value] of db.iterator({ gte: sessionLow, lt: sessionHigh })) {
      const record = decodeSessionStored(options.dir, key, value);
      records.push(record);
      sessionSeals.set(record.clientId, sealOf(key, value));
    }
    const recordsHash = storedRecordsHash(versioned) ?? (await hashRecords(db, options.dir));
    const firstKeys = await db.keys({ gte: userKeyLow, lt: userKeyHigh, limit: 1 }).all();
    opened = {
      db,
      meta: { ...versioned, recordsHash, recordsHashVersion: RECORDS_HASH_VERSION },
      sessions: SessionTable.fromRecords(records, options.sessionLimits),
      sessionSeals,
      hasUserKeys: firstKeys.length > 0,
      droppedRecords,
    };
  } catch (cause) {
    if (db.status === 'open') await db.close();
    if (cause instanceof StateCorruptionError) throw cause;
    throw new StateCorruptionError(options.dir, 'the meta or session records do not decode', { cause });
  }
  try {
    checkApplyVersion(opened.meta, options, `the state at ${options.dir}`);
  } catch (error) {
    await db.close();
    throw error;
  }
  return opened;
}

/**
 * A state without a meta record is a fresh one only when it holds no record at all: the meta is
 * written in the same batch as every key and session record (and first of all, by
 * bootstrapMembers), so records without it mean the meta was lost at rest. Opening such a state as
 * fresh would apply the log again over records of a later index: a state no other member has.
 */
async function refuseRecordsWithoutMeta(db: Database, path: string, snapshot?: ReturnType<Database['snapshot']>): Promise<void> {
  const [first] = await db.keys({ limit: 1, ...(snapshot === undefined ? {} : { snapshot }) }).all();
  if (first === undefined) return;
  throw new StateCorruptionError(path, `it is missing, but the state holds records (the first is ${describeStoredKey(first)}): the meta was lost`, {
    key: 'the meta record',
  });
}

/** The records' hash stored in `meta`, if it was computed the way this release computes it. */
function storedRecordsHash(meta: StateMeta): StateHash | undefined {
  return meta.recordsHashVersion === RECORDS_HASH_VERSION ? meta.recordsHash : undefined;
}

/**
 * The hash of every key and session record, each checked as it is read: for a state written
 * before StateMeta.recordsHash existed (the hash then rides along with the next apply batch).
 */
async function hashRecords(db: Database, path: string): Promise<StateHash> {
  const sum = new StateHashSum();
  for await (const batch of scanRecordBatches(db, { gte: Uint8Array.of(userKeyPrefix) })) {
    for (const [key, value] of batch) {
      if (key[0] !== userKeyPrefix && key[0] !== sessionKeyPrefix && !isLeaseRecordKey(key)) continue;
      openStoredRecord(path, key, value);
      sum.add(sealOf(key, value));
    }
  }
  return sum.value;
}

/**
 * Bytes of the keys and values held, counted by reading them all: for a state written before
 * StateMeta.keyValueBytes existed (the count then rides along with the next apply batch).
 */
async function countKeyValueBytes(db: Database, path: string): Promise<number> {
  let bytes = 0;
  for await (const [key, value] of db.iterator({ gte: userKeyLow, lt: userKeyHigh })) {
    bytes += key.byteLength - 1 + decodeStoredValue(path, key, value).value.byteLength;
  }
  return bytes;
}

/** Keys held, counted by reading them all: for a state written before StateMeta.keyCount existed. */
async function countKeys(db: Database): Promise<number> {
  let count = 0;
  for await (const _key of db.keys({ gte: userKeyLow, lt: userKeyHigh })) count += 1;
  return count;
}

/** A revision argument of a read: absent, or a non-negative integer (0: now). */
function checkRevisionArgument(revision: number | undefined): void {
  if (revision !== undefined && (!Number.isSafeInteger(revision) || revision < 0)) {
    throw new InvalidCommandError(`revision must be a non-negative integer, got ${revision}`);
  }
}

/** The user-key span of iterator bounds on 'k' records (rangeBounds). */
function userSpanOf(bounds: { gt?: Bytes; gte?: Bytes; lt: Bytes }): KeySpan {
  const lower = bounds.gte ?? bounds.gt;
  assert(lower !== undefined, 'range bounds without a lower bound');
  return { start: userKeyOf(lower), end: Buffer.compare(bounds.lt, userKeyHigh) === 0 ? undefined : userKeyOf(bounds.lt) };
}

/** Records copied per batch when converting a state of record format 1. */
const sealBatchRecordsMax = 1000;

/**
 * Converts a state written before record checksums (record format 1: msgpack values, no seal)
 * to sealed records, the way a snapshot is restored: every record is checked to decode, sealed
 * and written to `<dir>.incoming`, the meta last (with its format and, if it lacked it, the
 * count of bytes held), then swapped in (restore-swap.ts). A crash at any point leaves the old
 * state, converted again at the next open, or the new one.
 */
async function sealUnsealedState(options: ResolvedOptions): Promise<void> {
  const source: Database = (await options.disk.openDatabase(options.dir, { writeBufferBytes: options.levelWriteBufferBytes })).db;
  const target = incomingDir(options.dir);
  await options.disk.remove(target);
  const incoming: Database = (await options.disk.openDatabase(target, { writeBufferBytes: options.levelWriteBufferBytes })).db;
  let records = 0;
  try {
    let meta: StateMeta | undefined;
    let keyValueBytes = 0;
    let pending: BatchOperation[] = [];
    for await (const [key, value] of source.iterator()) {
      if (Buffer.compare(key, restoreMarkerKey) === 0) continue;
      if (Buffer.compare(key, metaKey) === 0) {
        meta = decodeUnsealed(options.dir, key, value) as StateMeta;
        continue;
      }
      if (key[0] === userKeyPrefix) keyValueBytes += key.byteLength - 1 + (decodeUnsealed(options.dir, key, value) as StoredValue).value.byteLength;
      else if (key[0] === sessionKeyPrefix) decodeUnsealedSession(options.dir, key, value);
      pending.push({ type: 'put', key, value: sealRecord(key, value) });
      records += 1;
      if (pending.length >= sealBatchRecordsMax) {
        await writeBatchAtomically(incoming, pending, { sync: false });
        pending = [];
      }
    }
    assert(meta !== undefined, `a state of record format 1 at ${options.dir} has no meta record`);
    const converted: StateMeta = { ...withClusterVersion(meta), keyValueBytes: meta.keyValueBytes ?? keyValueBytes, recordFormat: STATE_RECORD_FORMAT };
    pending.push(metaPut(converted));
    await writeBatchAtomically(incoming, pending, { sync: false });
    await incoming.put(restoreMarkerKey, Uint8Array.of(1), { sync: true });
  } catch (error) {
    await incoming.close();
    await source.close();
    await options.disk.remove(target);
    throw error;
  }
  await incoming.close();
  await source.close();
  await swapInRestoredState(options.dir, options.disk);
  options.logger.warn({ path: options.dir, records }, 'converted the state to checksummed records (record format 2)');
}

/** A record of format 1 (plain msgpack), decoded; one that does not decode is damage. */
function decodeUnsealed(path: string, key: Uint8Array, value: Uint8Array): unknown {
  try {
    return packr.unpack(value);
  } catch (cause) {
    throw new StateCorruptionError(path, 'the record (of record format 1, without checksum) does not decode', { cause, key: describeStoredKey(key) });
  }
}

function decodeUnsealedSession(path: string, key: Uint8Array, value: Uint8Array): void {
  try {
    decodeSessionRecord(value);
  } catch (cause) {
    throw new StateCorruptionError(path, 'the session record (of record format 1, without checksum) does not decode', { cause, key: describeStoredKey(key) });
  }
}

/** A meta written before StateMeta.clusterVersion existed was applied at the first version. */
function withClusterVersion(meta: StateMeta): StateMeta {
  return meta.clusterVersion === undefined ? { ...meta, clusterVersion: APPLY_VERSION_FIRST } : meta;
}

/** Throws ApplyVersionError when this member cannot go on applying where `meta` stands. */
function checkApplyVersion(meta: StateMeta, options: ResolvedOptions, where: string): void {
  if (meta.clusterVersion > options.applyVersionMax) throw new ApplyVersionError(meta.clusterVersion, options.applyVersionMax, where);
}

/** Step 1 of a restore: the stream into `<dir>.incoming`, checked, then the marker (synced). */
async function writeIncoming(
  chunks: AsyncIterable<Uint8Array>,
  options: ResolvedOptions & {
    expected: { readonly index: number; readonly term: number } | undefined;
    /** Replaces the stream's meta record before the marker (a backup seeding a new cluster). */
    rewriteMeta: ((meta: StateMeta) => StateMeta) | undefined;
  },
): Promise<StateMeta> {
  const target = incomingDir(options.dir);
  await options.disk.remove(target);
  const db: Database = (await options.disk.openDatabase(target, { writeBufferBytes: options.levelWriteBufferBytes })).db;
  try {
    const meta = await copyStream(chunks, { db, chunkBytesMax: options.snapshotChunkBytesMax, path: options.dir });
    if (options.expected !== undefined) {
      const { index, term } = options.expected;
      if (meta.appliedIndex !== index || meta.appliedTerm !== term) {
        throw new SnapshotInvalidError(
          `snapshot is at index ${meta.appliedIndex} term ${meta.appliedTerm}; expected index ${index} term ${term}`,
        );
      }
    }
    // Refused before the marker: this member's own state stays as it was.
    checkApplyVersion(withClusterVersion(meta), options, 'the snapshot');
    const kept = options.rewriteMeta === undefined ? meta : options.rewriteMeta(meta);
    if (kept !== meta) await writeBatchAtomically(db, [metaPut(kept)], { sync: false });
    await db.put(restoreMarkerKey, Uint8Array.of(1), { sync: true });
    return kept;
  } catch (error) {
    await db.close();
    await options.disk.remove(target);
    throw error;
  } finally {
    if (db.status === 'open') await db.close();
  }
}

/**
 * Copies a snapshot stream's records into `context.db`. Records of a stream of snapshot format 2
 * travel sealed and are checked one by one (a damaged one fails the restore, naming it); those of
 * format 1 (a backup or a member of a release before record checksums) are checked to decode and
 * sealed here. Returns the stream's meta, as stored (record format 2).
 */
async function copyStream(chunks: AsyncIterable<Uint8Array>, context: { db: Database; chunkBytesMax: number; path: string }): Promise<StateMeta> {
  let meta: StateMeta | undefined;
  let sealed = true;
  // The hash of the records as they arrive: checked against the sender's, so a record the
  // sender lost (or one too many) is caught here and not carried into this member's state.
  const sum = new StateHashSum();
  for await (const chunk of checkedSnapshotStream(chunks, context.chunkBytesMax)) {
    if (chunk.kind === 'header') {
      meta = chunk.meta;
      sealed = chunk.format >= sealedSnapshotFormat;
    } else if (chunk.kind === 'pairs') {
      const operations = chunk.pairs.map(([key, value]) => {
        const record = receivedRecord(key, value, { sealed, path: context.path });
        if (key[0] === userKeyPrefix || key[0] === sessionKeyPrefix || isLeaseRecordKey(key)) sum.add(sealOf(key, record));
        return { type: 'put' as const, key, value: record };
      });
      await writeBatchAtomically(context.db, operations, { sync: false });
    }
  }
  // checkedSnapshotStream ends only after a trailer, which only follows a header.
  assert(meta !== undefined, 'a checked snapshot stream had no header');
  const stored = await context.db.get(metaKey);
  const storedMeta = stored === undefined ? undefined : decodeReceivedMeta(stored);
  if (storedMeta === undefined || storedMeta.appliedIndex !== meta.appliedIndex) {
    throw new SnapshotInvalidError('snapshot data does not carry the meta its header announces');
  }
  const received = sum.value;
  const sent = storedRecordsHash(storedMeta);
  if (sent !== undefined && !sameHash(sent, received)) {
    throw new SnapshotInvalidError(
      `snapshot records hash to ${formatHash(received)}; the sender's state says ${formatHash(sent)} (a record missing or extra at the sender)`,
    );
  }
  if (sent !== undefined) return storedMeta;
  // From a sender that did not keep the hash (or computed it another way): keep the one computed here.
  const hashed = { ...storedMeta, recordsHash: received, recordsHashVersion: RECORDS_HASH_VERSION };
  await writeBatchAtomically(context.db, [metaPut(hashed)], { sync: false });
  return hashed;
}

/** A record of a received snapshot as it is stored: checked if sealed, else sealed (with the meta's format set). */
function receivedRecord(key: Uint8Array, value: Uint8Array, context: { sealed: boolean; path: string }): Uint8Array {
  if (context.sealed) {
    const opened = openRecord(key, value);
    if (!opened.ok) throw new SnapshotInvalidError(`snapshot record of ${describeStoredKey(key)} is damaged: ${opened.reason}`);
    return value;
  }
  if (Buffer.compare(key, metaKey) === 0) {
    const meta = decodeUnsealed(context.path, key, value) as StateMeta;
    return sealRecord(key, packr.pack({ ...withClusterVersion(meta), recordFormat: STATE_RECORD_FORMAT }));
  }
  if (key[0] === sessionKeyPrefix) decodeUnsealedSession(context.path, key, value);
  else decodeUnsealed(context.path, key, value);
  return sealRecord(key, value);
}

function decodeReceivedMeta(bytes: Uint8Array): StateMeta | undefined {
  const opened = openRecord(metaKey, bytes);
  if (!opened.ok) return undefined;
  try {
    return packr.unpack(opened.payload) as StateMeta;
  } catch {
    return undefined;
  }
}

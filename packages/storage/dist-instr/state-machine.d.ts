import { type MemberRecord } from './command.js';
import { type SessionLimits, type StorageLimits } from './limits.js';
import { type StorageLogger } from './logger.js';
import type { ConfChange, ConfState, Entry } from './raft-types.js';
import type { ApplyResult, KeyValue, RangeResult } from './results.js';
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
    readonly logger?: StorageLogger;
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
}
/** Everything a snapshot describes besides the keys: where it sits in the log and who the members are. */
export interface StateSnapshotMeta {
    readonly appliedIndex: number;
    readonly appliedTerm: number;
    readonly revision: number;
    readonly confState: ConfState;
    readonly members: readonly MemberRecord[];
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
export declare class KvStateMachine {
    private db;
    private meta;
    private sessions;
    private readonly options;
    /** Serializes apply, snapshot opening and restore: each sees the state the one before left. */
    private exclusive;
    /** Resolves when no restore swap is in progress; reads wait on it. */
    private swapDone;
    private closed;
    /** Set when a write failed: memory and disk may disagree, so nothing more is served. */
    private failure;
    private constructor();
    /**
     * Opens (creating if missing) the state at `options.dir`, finishing or discarding an
     * interrupted restoreSnapshot first (see restore-swap.ts and the README).
     */
    static open(options: StateMachineOptions): Promise<KvStateMachine>;
    get path(): string;
    /** The resolved limits (defaults filled in); the server validates commands against them. */
    get limits(): StorageLimits;
    /** Index of the last applied entry; 0 for a fresh state machine. Pass it to the core as `applied`. */
    get appliedIndex(): number;
    get appliedTerm(): number;
    /** The store revision: the revision of the last write. */
    get revision(): number;
    /** The membership as of appliedIndex (from applied confChange entries or a restored snapshot). */
    get confState(): ConfState;
    /** Known members, sorted by id, as of appliedIndex. */
    members(): readonly MemberRecord[];
    /** Sessions currently kept (for metrics). */
    sessionCount(): number;
    /**
     * Sets the membership of a fresh state machine (appliedIndex 0) before any entry is applied,
     * for members that bootstrap a cluster without confChange entries. Written durably.
     */
    bootstrapMembers(options: {
        confState: ConfState;
        members: readonly MemberRecord[];
    }): Promise<void>;
    /**
     * Applies committed entries in order, in one LevelDB batch with the new applied index.
     * Entries at or below appliedIndex are skipped (no result); a gap throws (a bug in the caller).
     * Returns one result per applied entry. Bad commands give an 'invalid' result, never a throw.
     * Concurrent calls are serialized.
     */
    apply(entries: readonly Entry[]): Promise<ApplyResult[]>;
    /** The key, or undefined if it does not exist. Reads the state as of the last finished apply. */
    get(key: Uint8Array): Promise<KeyValue | undefined>;
    /** Keys in order, at most min(limit, limits.rangeResultsMax), read from one consistent view. */
    range(request: RangeRequest): Promise<RangeResult>;
    /**
     * Makes everything applied so far durable (one synced write). Call it before compacting the
     * log up to appliedIndex when applySync is off; openSnapshotReader() does it itself.
     */
    sync(): Promise<void>;
    /**
     * Opens a consistent streaming view of the whole state (waits for an apply in progress).
     * The state it covers is synced to disk first, so the log may be compacted up to
     * meta.appliedIndex once this resolves.
     */
    openSnapshotReader(): Promise<SnapshotReader>;
    /**
     * Replaces the whole state with a snapshot stream from openSnapshotReader().chunks(),
     * atomically: it is written to a fresh database beside this one, marked complete, then
     * swapped in by directory renames. A crash at any point leaves either the old state or the
     * new one (open() finishes the swap). If `expected` is given, the snapshot's applied index
     * and term must match it. Returns the restored meta.
     */
    restoreSnapshot(chunks: AsyncIterable<Uint8Array>, expected?: {
        readonly index: number;
        readonly term: number;
    }): Promise<StateSnapshotMeta>;
    close(): Promise<void>;
    private checkReadKey;
    private assertUsable;
    private readable;
    private runExclusive;
    private writeBatch;
    private applyNow;
    private applyEntry;
    private applyCommand;
    /** Advances the session clock to this command's proposal time and expires idle sessions. */
    private beginSessionChange;
    private executeCommand;
    private applyConfChange;
    private memberFromContext;
    private readStored;
    private readStoredMany;
    private decodeStored;
    private decodeMeta;
}
/** The membership after one change; the member table follows the voter/learner sets. */
export declare function changeMembership(current: {
    confState: ConfState;
    members: readonly MemberRecord[];
}, change: ConfChange, member: MemberRecord | undefined): {
    confState: ConfState;
    members: MemberRecord[];
};
//# sourceMappingURL=state-machine.d.ts.map
import { type LogLimits } from './limits.js';
import { type StorageLogger } from './logger.js';
import type { ConfState, Entry, HardState, LogStorage, Snapshot, SnapshotMeta } from './raft-types.js';
export interface LogStoreOptions {
    /** The log's own LevelDB directory, normally `<dataDir>/log`. Created if missing. */
    readonly dir: string;
    readonly limits?: Partial<LogLimits>;
    /** Torn-tail repairs and other recoveries are reported here (a pino logger fits). */
    readonly logger?: StorageLogger;
}
/** One Ready's worth of durable state. Everything in it is written in one LevelDB batch. */
export interface LogSave {
    readonly hardState?: HardState;
    /**
     * Entries to append. They must start at most one past the last stored index; stored entries
     * at index >= entries[0].index are dropped first (a conflicting suffix, Ready rule 5).
     * Entries at or below the compaction point are skipped (they are committed and identical).
     */
    readonly entries: readonly Entry[];
    /**
     * A snapshot received from the leader: it replaces the whole log (entries are dropped), and
     * `entries`, if any, must follow it directly.
     */
    readonly snapshot?: Snapshot;
    /**
     * The membership as of the compaction point (what initialState() returns; the core replays the
     * confChange entries after it). Kept current by save({snapshot}) and compact(); a driver
     * normally never passes it.
     */
    readonly confState?: ConfState;
    /** fsync the write. The server passes ready.mustSync (or true when a snapshot is saved). */
    readonly sync: boolean;
}
/** The initial log for a fresh member, written once. */
export interface LogBootstrap {
    readonly entries: readonly Entry[];
    readonly hardState: HardState;
    /**
     * The membership as of index 0. Leave it out when `entries` are the core's bootstrapEntries:
     * the core derives the membership from those confChange entries.
     */
    readonly confState?: ConfState;
}
export declare function entryKey(index: number): Uint8Array;
/**
 * The Raft log, hard state and snapshot meta in one LevelDB, mirrored in memory so that the
 * core's synchronous LogStorage reads never touch the disk. Memory holds only the uncompacted
 * log: call compact() after each snapshot to bound it.
 *
 * Invariants (checked on open and on every save):
 * - stored entry indexes are exactly base.index + 1 .. lastIndex, with no gap;
 * - every entry record's checksum matches and its key equals its index;
 * - the memory mirror equals what is on disk after each save() resolves.
 */
export declare class LevelLogStorage implements LogStorage {
    private readonly db;
    private readonly dir;
    private readonly limits;
    private hardStateValue;
    private confStateValue;
    private snapshotValue;
    private base;
    /** entries[i].index === base.index + 1 + i. */
    private entriesInMemory;
    /** Stored record bytes of entriesInMemory[i]. */
    private entryBytes;
    private entryBytesTotal;
    /** Serializes writes so that each sees the memory mirror of the one before. */
    private writeChain;
    private closed;
    private constructor();
    /** Opens (creating if missing) the log at `options.dir`, repairs a torn tail, loads the log. */
    static open(options: LogStoreOptions): Promise<LevelLogStorage>;
    /** The database directory, as given to open(). */
    get path(): string;
    /** True when nothing was ever written: no hard state, no entries, no snapshot. */
    isEmpty(): boolean;
    /** Writes the initial log for a fresh member; throws LogConflictError if the log is not empty. Synced. */
    bootstrap(initial: LogBootstrap): Promise<void>;
    /** Persists one Ready (snapshot meta, entries, hard state) in one batch, then updates memory. */
    save(batch: LogSave): Promise<void>;
    /**
     * Records `snapshot` (taken by the state machine; its meta.index <= lastIndex) as the log's
     * snapshot and drops entries at or below `keepAfterIndex` (default: the snapshot's index),
     * durably in one synced batch. Keeping some entries below the snapshot (keepAfterIndex <
     * meta.index) lets slow followers catch up from the log instead of a snapshot.
     * Entries already compacted stay compacted.
     */
    compact(options: {
        snapshot: Snapshot;
        keepAfterIndex?: number;
    }): Promise<void>;
    /** The hard state as last saved (zeros for a fresh log). */
    hardState(): HardState;
    /** The meta of the last saved snapshot, or undefined if none. */
    snapshotMeta(): SnapshotMeta | undefined;
    /** Bytes of the entries held in memory (stored record size). */
    entriesBytes(): number;
    /** The hard state, and the membership as of the compaction point (firstIndex - 1). */
    initialState(): {
        hardState: HardState;
        confState: ConfState;
    };
    entries(lo: number, hi: number, bytesMax: number): Entry[];
    term(index: number): number;
    firstIndex(): number;
    lastIndex(): number;
    /**
     * The last saved snapshot. A log that was never compacted has none yet; it answers with an
     * empty snapshot at index 0 (as etcd's MemoryStorage does), which a follower never needs.
     */
    snapshot(): Snapshot;
    close(): Promise<void>;
    private assertOpen;
    private serialize;
    private saveNow;
    /** Keeps the first `count` entries in memory. */
    private truncateInMemory;
    private checkIncomingSnapshot;
    /**
     * Plans appending `incoming` after `storedCount` entries above `base`: deletes a conflicting
     * suffix and puts the new records. Returns how many stored entries stay and what follows them;
     * memory is left untouched until the write succeeds.
     */
    private planAppend;
    private compactNow;
    private snapshotPuts;
    private deleteEntryKeys;
}
//# sourceMappingURL=log-store.d.ts.map
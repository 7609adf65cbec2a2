/**
 * Bounds on what the state machine accepts. `validateCommand` checks a command against them
 * before it is proposed; a command that breaks them never enters the log.
 */
export interface StorageLimits {
    /** Bytes of one key. */
    readonly keyBytesMax: number;
    /** Bytes of one value. */
    readonly valueBytesMax: number;
    /** Operations in one txn, success and failure branches counted together. */
    readonly txnOpsMax: number;
    /** Compares in one txn. */
    readonly txnComparesMax: number;
    /** Keys one range returns; a larger (or zero) requested limit is capped to this. */
    readonly rangeResultsMax: number;
    /** Bytes of one encoded command (what goes into a log entry). */
    readonly commandBytesMax: number;
    /** Bytes of a session's client id. */
    readonly clientIdBytesMax: number;
}
export declare const defaultStorageLimits: StorageLimits;
/** Client sessions for exactly-once writes. */
export interface SessionLimits {
    /** Sessions kept; past it the least recently used one is evicted. */
    readonly sessionsMax: number;
    /**
     * A session idle this long (by the leaders' proposal clock, so every replica decides alike)
     * expires. Must exceed the time a client keeps retrying one write.
     */
    readonly sessionIdleMsMax: number;
    /** Answers kept per session, so that pipelined writes can be retried out of order. */
    readonly answersPerSessionMax: number;
}
export declare const defaultSessionLimits: SessionLimits;
/** Bounds on the log store. */
export interface LogLimits {
    /**
     * Bytes of one stored entry record. A length field above it is taken as forged (corruption),
     * and save() refuses larger entries. Must exceed commandBytesMax plus framing.
     */
    readonly entryBytesMax: number;
    /** Bytes of the snapshot's `data` handle kept with the snapshot meta. */
    readonly snapshotDataBytesMax: number;
}
export declare const defaultLogLimits: LogLimits;
/** Fills in defaults and checks every bound; throws InvalidConfigError. */
export declare function resolveStorageLimits(overrides?: Partial<StorageLimits>): StorageLimits;
export declare function resolveSessionLimits(overrides?: Partial<SessionLimits>): SessionLimits;
export declare function resolveLogLimits(overrides?: Partial<LogLimits>): LogLimits;
//# sourceMappingURL=limits.d.ts.map
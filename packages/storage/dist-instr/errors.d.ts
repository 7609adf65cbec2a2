/**
 * One error class per failure a caller can act on (name, code, cause). The server maps `code`
 * to a gRPC status at its edge; the codes for invalid input match the `holdfast-error` kinds in
 * proto/holdfast/v1/kv.proto.
 */
export type StorageErrorCode = 'log-corruption' | 'state-corruption' | 'snapshot-unavailable' | 'log-conflict' | 'key-too-large' | 'value-too-large' | 'request-too-large' | 'invalid-argument' | 'invalid-config' | 'snapshot-invalid' | 'closed';
export declare abstract class StorageError extends Error {
    abstract readonly code: StorageErrorCode;
    constructor(message: string, options?: {
        cause?: unknown;
    });
}
/**
 * The log on disk is damaged in a way that cannot be a torn write: a bad entry followed by good
 * ones, a gap in indexes, an entry stored under the wrong key, or a length field that cannot be
 * right. The node must stop: serving from such a log could return or acknowledge wrong data.
 */
export declare class LogCorruptionError extends StorageError {
    readonly path: string;
    readonly index: number;
    readonly code = "log-corruption";
    constructor(path: string, index: number, reason: string, options?: {
        cause?: unknown;
    });
}
/** The state machine's database is damaged or inconsistent (a record that does not decode). */
export declare class StateCorruptionError extends StorageError {
    readonly path: string;
    readonly code = "state-corruption";
    constructor(path: string, reason: string, options?: {
        cause?: unknown;
    });
}
/**
 * The LogStorage read errors are the core's own classes: the core recognizes them by class and
 * code (CompactedError: 'COMPACTED', UnavailableError: 'UNAVAILABLE').
 */
export { CompactedError as LogCompactedError, UnavailableError as LogUnavailableError } from '@holdfast/raft';
/** No snapshot has been saved yet. */
export declare class SnapshotUnavailableError extends StorageError {
    readonly code = "snapshot-unavailable";
}
/** A write to the log would break its shape (a gap, or an entry below the snapshot). A bug in the caller. */
export declare class LogConflictError extends StorageError {
    readonly code = "log-conflict";
}
export declare class KeyTooLargeError extends StorageError {
    readonly keyBytes: number;
    readonly keyBytesMax: number;
    readonly code = "key-too-large";
    constructor(keyBytes: number, keyBytesMax: number);
}
export declare class ValueTooLargeError extends StorageError {
    readonly valueBytes: number;
    readonly valueBytesMax: number;
    readonly code = "value-too-large";
    constructor(valueBytes: number, valueBytesMax: number);
}
/** A request exceeds a count or size limit other than key or value size (txn ops, command bytes). */
export declare class RequestTooLargeError extends StorageError {
    readonly code = "request-too-large";
}
/** A malformed request: an unknown op, a txn that writes one key twice, a bad session. */
export declare class InvalidCommandError extends StorageError {
    readonly code = "invalid-argument";
}
/** A configuration value is out of range. Thrown at open, never later. */
export declare class InvalidConfigError extends StorageError {
    readonly code = "invalid-config";
}
/** A snapshot stream does not decode, fails its checksum, or does not match what was expected. */
export declare class SnapshotInvalidError extends StorageError {
    readonly code = "snapshot-invalid";
}
/** The store was closed (or is restoring a snapshot) and cannot serve the call. */
export declare class StoreClosedError extends StorageError {
    readonly code = "closed";
}
/** Broken invariants are bugs: throw with the values that broke them. */
export declare function assert(condition: boolean, message: string): asserts condition;
//# sourceMappingURL=errors.d.ts.map
/**
 * One error class per failure a caller can act on (name, code, cause). The server maps `code`
 * to a gRPC status at its edge; the codes for invalid input match the `holdfast-error` kinds in
 * proto/holdfast/v1/kv.proto.
 */
export class StorageError extends Error {
    constructor(message, options) {
        super(message, options);
        this.name = new.target.name;
    }
}
/**
 * The log on disk is damaged in a way that cannot be a torn write: a bad entry followed by good
 * ones, a gap in indexes, an entry stored under the wrong key, or a length field that cannot be
 * right. The node must stop: serving from such a log could return or acknowledge wrong data.
 */
export class LogCorruptionError extends StorageError {
    path;
    index;
    code = 'log-corruption';
    constructor(path, index, reason, options) {
        super(`log at ${path} is corrupt at index ${index}: ${reason}`, options);
        this.path = path;
        this.index = index;
    }
}
/** The state machine's database is damaged or inconsistent (a record that does not decode). */
export class StateCorruptionError extends StorageError {
    path;
    code = 'state-corruption';
    constructor(path, reason, options) {
        super(`state machine at ${path} is corrupt: ${reason}`, options);
        this.path = path;
    }
}
/**
 * The LogStorage read errors are the core's own classes: the core recognizes them by class and
 * code (CompactedError: 'COMPACTED', UnavailableError: 'UNAVAILABLE').
 */
export { CompactedError as LogCompactedError, UnavailableError as LogUnavailableError } from '@holdfast/raft';
/** No snapshot has been saved yet. */
export class SnapshotUnavailableError extends StorageError {
    code = 'snapshot-unavailable';
}
/** A write to the log would break its shape (a gap, or an entry below the snapshot). A bug in the caller. */
export class LogConflictError extends StorageError {
    code = 'log-conflict';
}
export class KeyTooLargeError extends StorageError {
    keyBytes;
    keyBytesMax;
    code = 'key-too-large';
    constructor(keyBytes, keyBytesMax) {
        super(`key is ${keyBytes} bytes; the limit is ${keyBytesMax}`);
        this.keyBytes = keyBytes;
        this.keyBytesMax = keyBytesMax;
    }
}
export class ValueTooLargeError extends StorageError {
    valueBytes;
    valueBytesMax;
    code = 'value-too-large';
    constructor(valueBytes, valueBytesMax) {
        super(`value is ${valueBytes} bytes; the limit is ${valueBytesMax}`);
        this.valueBytes = valueBytes;
        this.valueBytesMax = valueBytesMax;
    }
}
/** A request exceeds a count or size limit other than key or value size (txn ops, command bytes). */
export class RequestTooLargeError extends StorageError {
    code = 'request-too-large';
}
/** A malformed request: an unknown op, a txn that writes one key twice, a bad session. */
export class InvalidCommandError extends StorageError {
    code = 'invalid-argument';
}
/** A configuration value is out of range. Thrown at open, never later. */
export class InvalidConfigError extends StorageError {
    code = 'invalid-config';
}
/** A snapshot stream does not decode, fails its checksum, or does not match what was expected. */
export class SnapshotInvalidError extends StorageError {
    code = 'snapshot-invalid';
}
/** The store was closed (or is restoring a snapshot) and cannot serve the call. */
export class StoreClosedError extends StorageError {
    code = 'closed';
}
/** Broken invariants are bugs: throw with the values that broke them. */
export function assert(condition, message) {
    if (!condition)
        throw new Error(`invariant broken: ${message}`);
}
//# sourceMappingURL=errors.js.map
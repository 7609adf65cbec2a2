/**
 * One error class per failure a caller can act on (name, code, cause). The server maps `code`
 * to a gRPC status at its edge; the codes for invalid input match the `holdfast-error` kinds in
 * proto/holdfast/v1/kv.proto.
 */

export type StorageErrorCode =
  | 'log-corruption'
  | 'state-corruption'
  | 'snapshot-unavailable'
  | 'log-conflict'
  | 'key-too-large'
  | 'value-too-large'
  | 'request-too-large'
  | 'invalid-argument'
  | 'invalid-config'
  | 'snapshot-invalid'
  | 'closed'
  | 'apply-version'
  | 'compacted'
  | 'future-revision';

export abstract class StorageError extends Error {
  abstract readonly code: StorageErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
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
  readonly code = 'log-corruption';
  constructor(
    readonly path: string,
    readonly index: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`log at ${path} is corrupt at index ${index}: ${reason}`, options);
  }
}

/**
 * The hard state commits an index the log does not hold: entries that were synced (the hard
 * state is written in the same batch as the entries it commits) were lost or cut.
 */
export class LogCommitBeyondEndError extends LogCorruptionError {
  constructor(
    path: string,
    readonly commit: number,
    readonly lastIndex: number,
    reason: string,
  ) {
    super(path, lastIndex + 1, reason);
  }
}

/**
 * The state machine's database is damaged or inconsistent: a record whose checksum fails (a
 * flipped byte, a record read from the wrong place), one that does not decode, or a state whose
 * hash is not the one stored with it (a lost record). Never carries data: whoever gets it must
 * not serve the record, and the member should be repaired from the others.
 */
export class StateCorruptionError extends StorageError {
  readonly code = 'state-corruption';
  /** What the damaged record names, printable (`key "a/b"`, `session "c1"`, `the meta record`); '' for the state as a whole. */
  readonly key: string;
  /** What was wrong with it. */
  readonly reason: string;
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown; key?: string },
  ) {
    const key = options?.key ?? '';
    super(`state machine at ${path} is corrupt${key === '' ? '' : ` at ${key}`}: ${reason}`, options);
    this.key = key;
    this.reason = reason;
  }
}

/**
 * The LogStorage read errors are the core's own classes: the core recognizes them by class and
 * code (CompactedError: 'COMPACTED', UnavailableError: 'UNAVAILABLE').
 */
export { CompactedError as LogCompactedError, UnavailableError as LogUnavailableError } from '@holdfast/raft';

/** No snapshot has been saved yet. */
export class SnapshotUnavailableError extends StorageError {
  readonly code = 'snapshot-unavailable';
}

/** A write to the log would break its shape (a gap, or an entry below the snapshot). A bug in the caller. */
export class LogConflictError extends StorageError {
  readonly code = 'log-conflict';
}

export class KeyTooLargeError extends StorageError {
  readonly code = 'key-too-large';
  constructor(
    readonly keyBytes: number,
    readonly keyBytesMax: number,
  ) {
    super(`key is ${keyBytes} bytes; the limit is ${keyBytesMax}`);
  }
}

export class ValueTooLargeError extends StorageError {
  readonly code = 'value-too-large';
  constructor(
    readonly valueBytes: number,
    readonly valueBytesMax: number,
  ) {
    super(`value is ${valueBytes} bytes; the limit is ${valueBytesMax}`);
  }
}

/** A request exceeds a count or size limit other than key or value size (txn ops, command bytes). */
export class RequestTooLargeError extends StorageError {
  readonly code = 'request-too-large';
}

/** A malformed request: an unknown op, a txn that writes one key twice, a bad session. */
export class InvalidCommandError extends StorageError {
  readonly code = 'invalid-argument';
}

/** A configuration value is out of range. Thrown at open, never later. */
export class InvalidConfigError extends StorageError {
  readonly code = 'invalid-config';
}

/** A snapshot stream does not decode, fails its checksum, or does not match what was expected. */
export class SnapshotInvalidError extends StorageError {
  readonly code = 'snapshot-invalid';
}

/** The store was closed (or is restoring a snapshot) and cannot serve the call. */
export class StoreClosedError extends StorageError {
  readonly code = 'closed';
}

/** Broken invariants are bugs: throw with the values that broke them. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`invariant broken: ${message}`);
}

/**
 * The cluster applies commands at a version this release does not implement (see
 * apply-version.ts): the member must be upgraded. Applying the old way would make it disagree
 * with the other members, so it stops instead.
 */
export class ApplyVersionError extends StorageError {
  readonly code = 'apply-version';
  constructor(
    readonly required: number,
    readonly supported: number,
    where: string,
  ) {
    super(`${where} needs apply version ${required}; this release applies versions up to ${supported}: upgrade this member`);
  }
}

/**
 * A read or watch asked for a revision the history no longer holds: it was compacted (or the
 * history began after it). Read at `compactRevision` or later.
 */
export class RevisionCompactedError extends StorageError {
  readonly code = 'compacted';
  constructor(
    readonly revision: number,
    readonly compactRevision: number,
  ) {
    super(`revision ${revision} is compacted: the history holds revisions from ${compactRevision} on`);
  }
}

/** A read asked for a revision the store has not reached yet. */
export class FutureRevisionError extends StorageError {
  readonly code = 'future-revision';
  constructor(
    readonly revision: number,
    readonly currentRevision: number,
  ) {
    super(`revision ${revision} is in the future: the store is at revision ${currentRevision}`);
  }
}

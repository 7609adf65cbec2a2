/**
 * One class per failure. Every error has a stable `code` the server maps to a gRPC status at its
 * edge. InvariantError is different in kind: it reports a bug in the core (or corrupt storage)
 * and the process should crash rather than go on serving.
 */
import type { NodeId } from './types.js';

export type RaftErrorCode =
  | 'INVARIANT'
  | 'CONFIG_INVALID'
  | 'NOT_LEADER'
  | 'LEADERSHIP_TRANSFER_IN_PROGRESS'
  | 'UNCOMMITTED_LIMIT'
  | 'PROPOSAL_INVALID'
  | 'CONF_CHANGE_PENDING'
  | 'CONF_CHANGE_TOO_EARLY'
  | 'CONF_CHANGE_INVALID'
  | 'PENDING_READS_LIMIT'
  | 'READ_REQUEST_INVALID'
  | 'TRANSFER_TARGET_INVALID'
  | 'MESSAGE_INVALID'
  | 'READY_PENDING'
  | 'READY_UNKNOWN'
  | 'COMPACTED'
  | 'UNAVAILABLE'
  | 'SNAPSHOT_TEMPORARILY_UNAVAILABLE'
  | 'SNAPSHOT_OUT_OF_DATE'
  | 'STORAGE_INVALID';

export abstract class RaftError extends Error {
  abstract readonly code: RaftErrorCode;
}

/** A written invariant did not hold. Carries the values that broke it. */
export class InvariantError extends RaftError {
  override readonly name = 'InvariantError';
  readonly code = 'INVARIANT';
  constructor(
    message: string,
    readonly values: Readonly<Record<string, unknown>> = {},
  ) {
    super(`invariant broken: ${message} ${JSON.stringify(values)}`);
  }
}

/** A RaftConfig setting is missing or out of range. */
export class RaftConfigError extends RaftError {
  override readonly name = 'RaftConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super(`invalid raft config: ${setting} ${reason}`);
  }
}

/** Only the leader can do this; `leaderId` is the leader this node knows of, 0 if none. */
export class NotLeaderError extends RaftError {
  override readonly name = 'NotLeaderError';
  readonly code = 'NOT_LEADER';
  constructor(readonly leaderId: NodeId) {
    super(leaderId === 0 ? 'not the leader; leader unknown' : `not the leader; leader is ${leaderId}`);
  }
}

/** Proposals are refused while leadership is being handed to another node. */
export class LeadershipTransferInProgressError extends RaftError {
  override readonly name = 'LeadershipTransferInProgressError';
  readonly code = 'LEADERSHIP_TRANSFER_IN_PROGRESS';
  constructor(readonly transferee: NodeId) {
    super(`leadership transfer to ${transferee} in progress`);
  }
}

/** The leader holds too many proposed but uncommitted bytes (uncommittedBytesMax). */
export class UncommittedLimitError extends RaftError {
  override readonly name = 'UncommittedLimitError';
  readonly code = 'UNCOMMITTED_LIMIT';
  constructor(
    readonly uncommittedBytes: number,
    readonly proposalBytes: number,
    readonly uncommittedBytesMax: number,
  ) {
    super(
      `proposal of ${proposalBytes} bytes refused: ${uncommittedBytes} bytes uncommitted, uncommittedBytesMax is ${uncommittedBytesMax}`,
    );
  }
}

/** The proposal itself is malformed (empty batch, data not a Uint8Array). */
export class ProposalInvalidError extends RaftError {
  override readonly name = 'ProposalInvalidError';
  readonly code = 'PROPOSAL_INVALID';
}

/** A membership change is already in the log and not yet applied. */
export class ConfChangePendingError extends RaftError {
  override readonly name = 'ConfChangePendingError';
  readonly code = 'CONF_CHANGE_PENDING';
  constructor(readonly pendingIndex: number) {
    super(`a membership change at index ${pendingIndex} is not applied yet`);
  }
}

/** A new leader must commit an entry of its own term before changing membership. */
export class ConfChangeTooEarlyError extends RaftError {
  override readonly name = 'ConfChangeTooEarlyError';
  readonly code = 'CONF_CHANGE_TOO_EARLY';
  constructor() {
    super('the leader has not committed an entry of its term yet');
  }
}

/** The change does not apply to the current membership (adding a member twice, removing the last voter...). */
export class ConfChangeInvalidError extends RaftError {
  override readonly name = 'ConfChangeInvalidError';
  readonly code = 'CONF_CHANGE_INVALID';
}

/** Too many reads wait for confirmation (pendingReadsMax). */
export class PendingReadsLimitError extends RaftError {
  override readonly name = 'PendingReadsLimitError';
  readonly code = 'PENDING_READS_LIMIT';
  constructor(readonly pendingReadsMax: number) {
    super(`${pendingReadsMax} reads already pending (pendingReadsMax)`);
  }
}

/** A read request id is not a positive safe integer, or is already pending. */
export class ReadRequestInvalidError extends RaftError {
  override readonly name = 'ReadRequestInvalidError';
  readonly code = 'READ_REQUEST_INVALID';
}

/** Leadership can only be handed to a voter of the current configuration. */
export class TransferTargetInvalidError extends RaftError {
  override readonly name = 'TransferTargetInvalidError';
  readonly code = 'TRANSFER_TARGET_INVALID';
  constructor(readonly target: NodeId) {
    super(`cannot transfer leadership to ${target}: not a voter`);
  }
}

/**
 * What is wrong with a refused message, a small fixed set (a metric label): `shape` a field is
 * missing or of the wrong type, `type` an unknown message type, `node-id` an invalid sender or
 * receiver, `range` a number out of range, `entries` entries out of place or malformed, `snapshot`
 * a malformed snapshot, `too-large` past a size limit, `conflict` well-formed but contradicting
 * what the receiver knows for sure (acknowledging entries never sent, a membership change that
 * cannot apply).
 */
export type MessageProblem = 'shape' | 'type' | 'node-id' | 'range' | 'entries' | 'snapshot' | 'too-large' | 'conflict';

/** A message from the network is malformed; it was dropped without changing anything. */
export class MessageInvalidError extends RaftError {
  override readonly name = 'MessageInvalidError';
  readonly code = 'MESSAGE_INVALID';
  constructor(
    readonly problem: MessageProblem,
    detail: string,
  ) {
    super(detail);
  }
}

/** ready() was called again before advance() for the previous Ready. */
export class ReadyPendingError extends RaftError {
  override readonly name = 'ReadyPendingError';
  readonly code = 'READY_PENDING';
  constructor() {
    super('the previous Ready has not been advanced');
  }
}

/** advance() got a Ready this node did not hand out, or none was outstanding. */
export class ReadyUnknownError extends RaftError {
  override readonly name = 'ReadyUnknownError';
  readonly code = 'READY_UNKNOWN';
  constructor() {
    super('advance() called with a Ready that is not the outstanding one');
  }
}

/** Storage: the requested index was compacted away. */
export class CompactedError extends RaftError {
  override readonly name = 'CompactedError';
  readonly code = 'COMPACTED';
  constructor(
    readonly index: number,
    readonly firstIndex: number,
  ) {
    super(`index ${index} is compacted (first index ${firstIndex})`);
  }
}

/** Storage: the requested index is beyond the last entry. */
export class UnavailableError extends RaftError {
  override readonly name = 'UnavailableError';
  readonly code = 'UNAVAILABLE';
  constructor(
    readonly index: number,
    readonly lastIndex: number,
  ) {
    super(`index ${index} is unavailable (last index ${lastIndex})`);
  }
}

/** Storage: a snapshot is being made; ask again later. */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  override readonly name = 'SnapshotTemporarilyUnavailableError';
  readonly code = 'SNAPSHOT_TEMPORARILY_UNAVAILABLE';
  constructor() {
    super('snapshot temporarily unavailable');
  }
}

/** Storage: the snapshot is older than the one already held. */
export class SnapshotOutOfDateError extends RaftError {
  override readonly name = 'SnapshotOutOfDateError';
  readonly code = 'SNAPSHOT_OUT_OF_DATE';
  constructor(
    readonly index: number,
    readonly currentIndex: number,
  ) {
    super(`snapshot at ${index} is not newer than the current one at ${currentIndex}`);
  }
}

/** Storage: a write would leave a gap or rewrite committed history. */
export class StorageInvalidError extends RaftError {
  override readonly name = 'StorageInvalidError';
  readonly code = 'STORAGE_INVALID';
}

/** Throws InvariantError with `values` unless `condition` holds. */
export function invariant(
  condition: boolean,
  message: string,
  values: Readonly<Record<string, unknown>> = {},
): asserts condition {
  if (!condition) throw new InvariantError(message, values);
}

/** True for errors a LogStorage throws when an index is outside what it holds. */
export function isCompacted(error: unknown): boolean {
  return error instanceof RaftError && error.code === 'COMPACTED';
}

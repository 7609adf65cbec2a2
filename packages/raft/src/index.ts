export { APPLY_BYTES_MAX_DEFAULT, PENDING_READS_MAX_DEFAULT, READ_ROUNDS_IN_FLIGHT_MAX_DEFAULT } from './config.js';
export { ENTRY_OVERHEAD_BYTES, entryBytes } from './entries.js';
export {
  CompactedError,
  ConfChangeInvalidError,
  ConfChangePendingError,
  ConfChangeTooEarlyError,
  InvariantError,
  LeadershipTransferInProgressError,
  MessageInvalidError,
  type MessageProblem,
  NotLeaderError,
  PendingReadsLimitError,
  ProposalInvalidError,
  RaftConfigError,
  RaftError,
  type RaftErrorCode,
  ReadRequestInvalidError,
  ReadyPendingError,
  ReadyUnknownError,
  SnapshotOutOfDateError,
  SnapshotTemporarilyUnavailableError,
  StorageInvalidError,
  TransferTargetInvalidError,
  UnavailableError,
  UncommittedLimitError,
} from './errors.js';
export { MemoryLogStorage } from './memory-storage.js';
export { newMessage } from './message.js';
export { applyConfChange, bootstrapEntries, bootstrapHardState, confStateOf } from './membership.js';
export { Prng } from './prng.js';
export type { RaftCore } from './raft-core.js';
export { CAMPAIGN_TRANSFER, RaftNode } from './raft-node.js';
export type * from './types.js';
export { type MessageLimits, TERM_INDEX_MAX, validateMessage } from './validate.js';

export {
  APPLY_VERSION_AUTH,
  APPLY_VERSION_AUTH_REVISION,
  APPLY_VERSION_FENCE,
  APPLY_VERSION_FIRST,
  APPLY_VERSION_HISTORY,
  APPLY_VERSION_LATEST,
  APPLY_VERSION_LEASES,
  APPLY_VERSION_PLACEMENT,
  APPLY_VERSION_QUOTA,
} from './apply-version.js';
export {
  checkPlacementShape,
  DEFAULT_PLACEMENT,
  type Placement,
  PLACEMENT_REGION_BYTES_MAX,
  PLACEMENT_REGIONS_MAX,
  type SetPlacementOp,
  type SurvivalGoal,
} from './placement.js';
export { LEASE_ID_MAX, type LeaseGrantOp, type LeaseOperation, type LeaseRevokeOp } from './lease-command.js';
export type { LeaseInfo } from './leases.js';
export {
  ADMIN_RIGHTS,
  type AdminRight,
  AUTH_LIMITS,
  type AuthChange,
  type AuthRole,
  type AuthState,
  type AuthUser,
  type KeyAccess,
  type KeyPermission,
  type PasswordHash,
  ROOT_ROLE,
  ROOT_USER,
  type RolePermission,
  type SigningKey,
} from './auth-state.js';
export {
  ApplyVersionError,
  assert,
  FutureRevisionError,
  InvalidCommandError,
  InvalidConfigError,
  KeyTooLargeError,
  LogCompactedError,
  LogConflictError,
  LogCommitBeyondEndError,
  LogCorruptionError,
  LogUnavailableError,
  RequestTooLargeError,
  RevisionCompactedError,
  SnapshotInvalidError,
  SnapshotUnavailableError,
  StateCorruptionError,
  StorageError,
  type StorageErrorCode,
  StoreClosedError,
  ValueTooLargeError,
} from './errors.js';
export { type StorageLogger, silentLogger } from './logger.js';
export {
  defaultLogLimits,
  defaultSessionLimits,
  defaultStorageLimits,
  type LogLimits,
  resolveLogLimits,
  resolveSessionLimits,
  resolveStorageLimits,
  type SessionLimits,
  type StorageLimits,
} from './limits.js';
export {
  type ClientSession,
  type CompactOp,
  type Compare,
  type CompareOperator,
  type CompareTarget,
  type DeleteOp,
  type DeleteRangeOp,
  COMMAND_BATCH_OVERHEAD_BYTES,
  decodeCommand,
  decodeMemberContext,
  encodeCommand,
  encodeCommandBatch,
  encodeMemberContext,
  type GetOp,
  type KvCommand,
  type AuthOperation,
  type KvOperation,
  type MemberRecord,
  type PutOp,
  type TxnOp,
  type TxnOperation,
  validateCommand,
} from './command.js';
export type {
  ApplyResult,
  AuthStaleResult,
  CommandOutcome,
  CompactRefusedResult,
  CompactResult,
  CompareFailedResult,
  ConfChangeResult,
  DeleteRangeResult,
  DeleteResult,
  EntryOutcome,
  GetResult,
  InvalidResult,
  KeyValue,
  LeaseGrantResult,
  LeaseRefusedResult,
  LeaseRevokeResult,
  NoopResult,
  PlacementResult,
  PutResult,
  RangeResult,
  StaleSequenceResult,
  TooManyKeysResult,
  TxnOpResult,
  TxnResult,
} from './results.js';
export {
  type Database,
  type DroppedRecords,
  levelDisk,
  MemoryDisk,
  NOTHING_DROPPED,
  type OpenDatabaseOptions,
  type OpenedDatabase,
  type StorageDisk,
} from './disk.js';
export { type BackupSummary, inspectBackupFile, readBackupFile } from './backup-file.js';
export { LevelLogStorage, type LogBootstrap, type LogSave, type LogStoreOptions, type LogTailCut, type TermVoteRecovery } from './log-store.js';
export { parseLevelRecoveryLog, readLevelRecoveryReport } from './level-recovery.js';
export { newerTermVote, readTermVoteFile, type TermVote, type TermVoteRead } from './term-vote-file.js';
export { readFileIfExists, removeFileDurably, writeFileDurably, writeFileDurablySync } from './durable-file.js';
export { formatHash, sameHash, type StateCheckpoint, type StateHash } from './state-hash.js';
/** The stored form of a state record (for tools and tests that read or damage a data dir). */
export { describeStoredKey, type OpenedRecord, openRecord, type RecordSeal, sealHeaderBytes, sealRecord } from './state-record.js';
export type { HistoricChange } from './history-store.js';
export {
  type ApplyHooks,
  type ChangeListener,
  type KeyChange,
  KvStateMachine,
  type RangeRequest,
  type ScrubOptions,
  type ScrubResult,
  type SnapshotReader,
  type StateMachineOptions,
  type StateSnapshotMeta,
} from './state-machine.js';

export { assert, InvalidCommandError, InvalidConfigError, KeyTooLargeError, LogCompactedError, LogConflictError, LogCorruptionError, LogUnavailableError, RequestTooLargeError, SnapshotInvalidError, SnapshotUnavailableError, StateCorruptionError, StorageError, StoreClosedError, ValueTooLargeError, } from './errors.js';
export { silentLogger } from './logger.js';
export { defaultLogLimits, defaultSessionLimits, defaultStorageLimits, resolveLogLimits, resolveSessionLimits, resolveStorageLimits, } from './limits.js';
export { decodeCommand, decodeMemberContext, encodeCommand, encodeMemberContext, validateCommand, } from './command.js';
export { LevelLogStorage } from './log-store.js';
export { KvStateMachine, } from './state-machine.js';
//# sourceMappingURL=index.js.map
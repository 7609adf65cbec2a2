import { InvalidConfigError } from './errors.js';

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
  /**
   * Bytes of keys and values in one range answer. A page stops before it would pass this (with
   * `more` set), but always holds at least one key, so a cursor always advances.
   */
  readonly rangeBytesMax: number;
  /** Bytes of one encoded command (what goes into a log entry). */
  readonly commandBytesMax: number;
  /** Bytes of a session's client id. */
  readonly clientIdBytesMax: number;
}

export const defaultStorageLimits: StorageLimits = {
  keyBytesMax: 4 * 1024,
  valueBytesMax: 1024 * 1024,
  txnOpsMax: 128,
  txnComparesMax: 128,
  rangeResultsMax: 10_000,
  rangeBytesMax: 4 * 1024 * 1024,
  commandBytesMax: 1536 * 1024,
  clientIdBytesMax: 128,
};

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

export const defaultSessionLimits: SessionLimits = {
  sessionsMax: 10_000,
  sessionIdleMsMax: 10 * 60 * 1000,
  answersPerSessionMax: 8,
};

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

export const defaultLogLimits: LogLimits = {
  entryBytesMax: 2 * 1024 * 1024,
  snapshotDataBytesMax: 64 * 1024,
};

function requirePositiveInteger(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new InvalidConfigError(`${name} must be an integer in [1, ${max}], got ${value}`);
  }
}

/** Fills in defaults and checks every bound; throws InvalidConfigError. */
export function resolveStorageLimits(overrides: Partial<StorageLimits> = {}): StorageLimits {
  const limits = { ...defaultStorageLimits, ...overrides };
  requirePositiveInteger('keyBytesMax', limits.keyBytesMax, 64 * 1024);
  requirePositiveInteger('valueBytesMax', limits.valueBytesMax, 64 * 1024 * 1024);
  requirePositiveInteger('txnOpsMax', limits.txnOpsMax, 10_000);
  requirePositiveInteger('txnComparesMax', limits.txnComparesMax, 10_000);
  requirePositiveInteger('rangeResultsMax', limits.rangeResultsMax, 1_000_000);
  requirePositiveInteger('rangeBytesMax', limits.rangeBytesMax, 1024 * 1024 * 1024);
  requirePositiveInteger('commandBytesMax', limits.commandBytesMax, 256 * 1024 * 1024);
  requirePositiveInteger('clientIdBytesMax', limits.clientIdBytesMax, 4096);
  if (limits.commandBytesMax < limits.keyBytesMax + limits.valueBytesMax) {
    throw new InvalidConfigError(
      `commandBytesMax (${limits.commandBytesMax}) must hold one key and one value ` +
        `(${limits.keyBytesMax} + ${limits.valueBytesMax})`,
    );
  }
  return limits;
}

export function resolveSessionLimits(overrides: Partial<SessionLimits> = {}): SessionLimits {
  const limits = { ...defaultSessionLimits, ...overrides };
  requirePositiveInteger('sessionsMax', limits.sessionsMax, 10_000_000);
  requirePositiveInteger('sessionIdleMsMax', limits.sessionIdleMsMax, 365 * 24 * 3600 * 1000);
  requirePositiveInteger('answersPerSessionMax', limits.answersPerSessionMax, 1024);
  return limits;
}

export function resolveLogLimits(overrides: Partial<LogLimits> = {}): LogLimits {
  const limits = { ...defaultLogLimits, ...overrides };
  requirePositiveInteger('entryBytesMax', limits.entryBytesMax, 1024 * 1024 * 1024);
  requirePositiveInteger('snapshotDataBytesMax', limits.snapshotDataBytesMax, 64 * 1024 * 1024);
  return limits;
}

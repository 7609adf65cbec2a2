/** RaftConfig validation: every setting is checked at construction, with a message naming it. */
import { RaftConfigError } from './errors.js';
import { isNodeId } from './membership.js';
import type { LogStorage, NodeId, RandomSource, RaftConfig } from './types.js';

export const APPLY_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
export const PENDING_READS_MAX_DEFAULT = 4096;
export const READ_ROUNDS_IN_FLIGHT_MAX_DEFAULT = 4;

/** RaftConfig with every default filled in. */
export interface ResolvedConfig {
  readonly id: NodeId;
  readonly storage: LogStorage;
  readonly random: RandomSource;
  readonly electionTicks: number;
  /** Invariant: 1 <= electionSpreadTicks <= electionTicks. */
  readonly electionSpreadTicks: number;
  /** 0 = off. Invariant: 0 <= electionRankSlotTicks < electionTicks. */
  readonly electionRankSlotTicks: number;
  readonly heartbeatTicks: number;
  readonly applied: number | undefined;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly messageBytesMax: number;
  readonly inflightMessagesMax: number;
  readonly inflightBytesMax: number;
  readonly uncommittedBytesMax: number;
  readonly applyBytesMax: number;
  readonly pendingReadsMax: number;
  readonly readRoundsInFlightMax: number;
  readonly snapshotTimeoutTicks: number;
  readonly repairing: boolean;
  readonly repairLossTerm: number;
}

function requirePositiveInteger(setting: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new RaftConfigError(setting, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function optionalPositiveInteger(setting: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : requirePositiveInteger(setting, value);
}

function optionalNonNegativeInteger(setting: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RaftConfigError(setting, `must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function optionalBoolean(setting: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new RaftConfigError(setting, `must be a boolean, got ${String(value)}`);
  return value;
}

function requireStorage(value: unknown): LogStorage {
  const methods = ['initialState', 'entries', 'term', 'firstIndex', 'lastIndex', 'snapshot'] as const;
  if (typeof value !== 'object' || value === null) throw new RaftConfigError('storage', 'must be a LogStorage');
  for (const method of methods) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') {
      throw new RaftConfigError('storage', `must implement LogStorage.${method}()`);
    }
  }
  return value as LogStorage;
}

export function resolveConfig(config: RaftConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) throw new RaftConfigError('config', 'must be an object');
  if (!isNodeId(config.id)) throw new RaftConfigError('id', `must be a positive safe integer, got ${String(config.id)}`);
  const storage = requireStorage(config.storage);
  if (typeof config.random !== 'function') throw new RaftConfigError('random', 'must be a function returning [0, 1)');
  const electionTicks = requirePositiveInteger('electionTicks', config.electionTicks);
  const heartbeatTicks = requirePositiveInteger('heartbeatTicks', config.heartbeatTicks);
  if (heartbeatTicks >= electionTicks) {
    throw new RaftConfigError(
      'heartbeatTicks',
      `(${heartbeatTicks}) must be less than electionTicks (${electionTicks}), or followers time out between heartbeats`,
    );
  }
  const electionSpreadTicks = optionalPositiveInteger('electionSpreadTicks', config.electionSpreadTicks, electionTicks);
  if (electionSpreadTicks > electionTicks) {
    throw new RaftConfigError(
      'electionSpreadTicks',
      `(${electionSpreadTicks}) must be at most electionTicks (${electionTicks}): the timeout is drawn from [electionTicks, electionTicks + spread)`,
    );
  }
  const electionRankSlotTicks = optionalNonNegativeInteger('electionRankSlotTicks', config.electionRankSlotTicks, 0);
  if (electionRankSlotTicks >= electionTicks) {
    throw new RaftConfigError(
      'electionRankSlotTicks',
      `(${electionRankSlotTicks}) must be less than electionTicks (${electionTicks}): a slot covers one message delay, and a longer one would keep later ranks waiting beyond a whole random timeout`,
    );
  }
  const messageBytesMax = requirePositiveInteger('messageBytesMax', config.messageBytesMax);
  const inflightMessagesMax = requirePositiveInteger('inflightMessagesMax', config.inflightMessagesMax);
  const inflightBytesMax = requirePositiveInteger('inflightBytesMax', config.inflightBytesMax);
  if (inflightBytesMax < messageBytesMax) {
    throw new RaftConfigError(
      'inflightBytesMax',
      `(${inflightBytesMax}) must be at least messageBytesMax (${messageBytesMax}), or a full message could never be sent`,
    );
  }
  const uncommittedBytesMax = requirePositiveInteger('uncommittedBytesMax', config.uncommittedBytesMax);
  const applied = config.applied;
  if (applied !== undefined && (!Number.isSafeInteger(applied) || applied < 0)) {
    throw new RaftConfigError('applied', `must be a non-negative integer, got ${String(applied)}`);
  }
  return {
    id: config.id,
    storage,
    random: config.random,
    electionTicks,
    electionSpreadTicks,
    electionRankSlotTicks,
    heartbeatTicks,
    applied,
    preVote: optionalBoolean('preVote', config.preVote, true),
    checkQuorum: optionalBoolean('checkQuorum', config.checkQuorum, true),
    messageBytesMax,
    inflightMessagesMax,
    inflightBytesMax,
    uncommittedBytesMax,
    applyBytesMax: optionalPositiveInteger('applyBytesMax', config.applyBytesMax, APPLY_BYTES_MAX_DEFAULT),
    pendingReadsMax: optionalPositiveInteger('pendingReadsMax', config.pendingReadsMax, PENDING_READS_MAX_DEFAULT),
    readRoundsInFlightMax: optionalPositiveInteger('readRoundsInFlightMax', config.readRoundsInFlightMax, READ_ROUNDS_IN_FLIGHT_MAX_DEFAULT),
    snapshotTimeoutTicks: optionalPositiveInteger('snapshotTimeoutTicks', config.snapshotTimeoutTicks, 20 * electionTicks),
    repairing: optionalBoolean('repairing', config.repairing, false),
    repairLossTerm: optionalNonNegativeInteger('repairLossTerm', config.repairLossTerm, 0),
  };
}

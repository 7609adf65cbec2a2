import type { HistoryOperation, KvInput, KvOutput } from '@holdfast/checker';

/** One recorded operation: what the checker reads, plus when it really finished and why it failed. */
export interface BenchOperation extends HistoryOperation {
  /** Milliseconds since the run began when the call came back (also for unknown outcomes). */
  completedAt: number;
  /** Error name for failed/unknown outcomes. */
  error?: string;
  /** Set on operations the bench inserted on purpose (test-only planted anomalies). */
  planted?: boolean;
  /** Reads of a member audit: which member served it, and when (e.g. "n3, repaired after fault 4"). */
  servedBy?: string;
  /** The region of the client that issued it (--regions); absent: no regions. */
  clientRegion?: string;
  /**
   * 'serializable': a read any member may answer from its own state, possibly stale; kept for
   * its latency, never given to the linearizability checker. 'bounded': the same with a bound on
   * how stale (maxStalenessMs), checked against it (staleness-check.ts). Absent: linearizable.
   */
  consistency?: 'serializable' | 'bounded';
  /** The bound of a 'bounded' read (ms). */
  maxStalenessMs?: number;
  /** Each attempt the client made, in order: member, outcome, ms ("n1 timeout 1002; n2 ok 310"). */
  attempts?: string;
}

/** Monotonic milliseconds since `origin` (process.hrtime.bigint), as a float with ns resolution. */
export class MonotonicClock {
  private readonly originNs: bigint;

  constructor() {
    this.originNs = process.hrtime.bigint();
  }

  nowMs(): number {
    return Number(process.hrtime.bigint() - this.originNs) / 1e6;
  }
}

/** Collects operations as workers run; ids are unique and in invocation order. */
export class BenchHistory {
  private readonly operations: BenchOperation[] = [];
  readonly clock: MonotonicClock;
  /** Limit on recorded operations, so a runaway run cannot exhaust memory. */
  readonly operationsMax: number;

  constructor(options: { clock: MonotonicClock; operationsMax: number }) {
    this.clock = options.clock;
    this.operationsMax = options.operationsMax;
  }

  get size(): number {
    return this.operations.length;
  }

  isFull(): boolean {
    return this.operations.length >= this.operationsMax;
  }

  invoke(options: { clientId: number; key: string; input: KvInput; clientRegion?: string; consistency?: 'serializable' | 'bounded'; maxStalenessMs?: number }): BenchOperation {
    const invokedAt = this.clock.nowMs();
    const operation: BenchOperation = {
      id: this.operations.length,
      clientId: options.clientId,
      key: options.key,
      input: options.input,
      outcome: 'unknown',
      invokedAt,
      returnedAt: Number.POSITIVE_INFINITY,
      completedAt: Number.NaN,
      ...(options.clientRegion === undefined ? {} : { clientRegion: options.clientRegion }),
      ...(options.consistency === undefined ? {} : { consistency: options.consistency }),
      ...(options.maxStalenessMs === undefined ? {} : { maxStalenessMs: options.maxStalenessMs }),
    };
    this.operations.push(operation);
    return operation;
  }

  complete(operation: BenchOperation, result: { outcome: 'ok'; output: KvOutput } | { outcome: 'failed' | 'unknown'; error: string }): void {
    if (!Number.isNaN(operation.completedAt)) {
      throw new Error(`operation ${operation.id} completed twice`);
    }
    const now = this.clock.nowMs();
    operation.completedAt = now;
    operation.outcome = result.outcome;
    if (result.outcome === 'ok') {
      operation.output = result.output;
      operation.returnedAt = now;
    } else {
      operation.error = result.error;
      // Unknown operations may take effect at any time after their invocation.
      operation.returnedAt = result.outcome === 'failed' ? now : Number.POSITIVE_INFINITY;
    }
  }

  /** Insert an operation built by the bench itself (read-back, planted anomaly). */
  append(operation: Omit<BenchOperation, 'id'>): BenchOperation {
    const full = { ...operation, id: this.operations.length };
    this.operations.push(full);
    return full;
  }

  all(): readonly BenchOperation[] {
    return this.operations;
  }
}

export function isWrite(input: KvInput): boolean {
  return input.kind !== 'get';
}

/** The value an operation may have written, if it writes one. */
export function writtenValue(operation: HistoryOperation): string | undefined {
  if (operation.input.kind === 'put' || operation.input.kind === 'cas') return operation.input.value;
  return undefined;
}

/** True when the operation surely wrote its value (ok put, ok cas that swapped). */
export function isAcknowledgedWrite(operation: HistoryOperation): boolean {
  if (operation.outcome !== 'ok') return false;
  if (operation.input.kind === 'put') return true;
  return operation.input.kind === 'cas' && operation.output?.kind === 'cas' && operation.output.swapped;
}

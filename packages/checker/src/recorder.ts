import type { HistoryOperation, KvInput, KvOutput } from './types.js';

/** Completes one recorded operation exactly once. */
export interface OperationHandle {
  readonly id: number;
  ok(output: KvOutput, now: number): void;
  /** The operation definitely did not take effect. */
  failed(now: number): void;
  /** The operation may or may not have taken effect (timeout, lost connection). */
  unknown(): void;
}

export class RecorderError extends Error {
  override readonly name = 'RecorderError';
  readonly code: 'ALREADY_COMPLETED' | 'OUTPUT_KIND_MISMATCH' | 'TIME_WENT_BACKWARDS';

  constructor(code: RecorderError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Collects a history as a workload runs. Operations still pending when history() is called are
 * reported as 'unknown', which is what they are: they may yet take effect.
 */
export class HistoryRecorder {
  private readonly operations: HistoryOperation[] = [];
  private nextId = 0;

  invoke(clientId: number, key: string, input: KvInput, now: number): OperationHandle {
    const operation: HistoryOperation = {
      id: this.nextId,
      clientId,
      key,
      input,
      outcome: 'unknown',
      invokedAt: now,
      returnedAt: Number.POSITIVE_INFINITY,
    };
    this.nextId += 1;
    this.operations.push(operation);
    let completed = false;
    const complete = (): void => {
      if (completed) {
        throw new RecorderError('ALREADY_COMPLETED', `operation ${operation.id} was already completed`);
      }
      completed = true;
    };
    const checkTime = (returnedAt: number): void => {
      if (returnedAt < operation.invokedAt) {
        throw new RecorderError(
          'TIME_WENT_BACKWARDS',
          `operation ${operation.id} returned at ${returnedAt}, before it was invoked at ${operation.invokedAt}`,
        );
      }
    };
    return {
      id: operation.id,
      ok(output, returnedAt) {
        if (output.kind !== input.kind) {
          throw new RecorderError('OUTPUT_KIND_MISMATCH', `operation ${operation.id}: ${input.kind} answered by ${output.kind}`);
        }
        checkTime(returnedAt);
        complete();
        operation.outcome = 'ok';
        operation.output = output;
        operation.returnedAt = returnedAt;
      },
      failed(returnedAt) {
        checkTime(returnedAt);
        complete();
        operation.outcome = 'failed';
        operation.returnedAt = returnedAt;
      },
      unknown() {
        complete();
      },
    };
  }

  /** A snapshot of the operations recorded so far, in invocation order. */
  history(): HistoryOperation[] {
    return this.operations.map((operation) => ({ ...operation }));
  }

  get size(): number {
    return this.operations.length;
  }
}

/**
 * Failures a caller can act on, one class per failure, mapped to a gRPC status only here at the
 * edge (see the table at the top of kv.proto). Everything else is a bug and maps to INTERNAL.
 */
import * as grpc from '@grpc/grpc-js';
import {
  type BatchError,
  type BatchError__Output,
  ERROR_KIND_METADATA,
  ERROR_KIND_STATUS,
  type ErrorKind,
  isErrorKind,
  LEADER_METADATA,
} from '@holdfast/protocol';

export type { ErrorKind };

/** The base of every failure the server reports to a caller. */
export class HoldfastError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get code(): grpc.status {
    return ERROR_KIND_STATUS[this.kind];
  }
}

export class NotLeaderError extends HoldfastError {
  override readonly name = 'NotLeaderError';
  constructor(readonly leaderAddress: string) {
    super('not-leader', leaderAddress === '' ? 'this node is not the leader' : `not the leader; try ${leaderAddress}`);
  }
}
export class NoLeaderError extends HoldfastError {
  override readonly name = 'NoLeaderError';
  constructor() {
    super('no-leader', 'no leader is known right now; retry later');
  }
}
export class CompareFailedError extends HoldfastError {
  override readonly name = 'CompareFailedError';
  constructor(message: string) {
    super('compare-failed', message);
  }
}
export class InvalidRequestError extends HoldfastError {
  override readonly name = 'InvalidRequestError';
  constructor(kind: 'key-too-large' | 'value-too-large' | 'request-too-large' | 'invalid-argument', message: string) {
    super(kind, message);
  }
}
export class OverloadedError extends HoldfastError {
  override readonly name = 'OverloadedError';
  constructor(message: string) {
    super('overloaded', message);
  }
}
export class QuotaExceededError extends HoldfastError {
  override readonly name = 'QuotaExceededError';
  constructor(message: string) {
    super('quota-exceeded', message);
  }
}
export class TimeoutError extends HoldfastError {
  override readonly name = 'TimeoutError';
  constructor(message: string) {
    super('timeout', message);
  }
}
export class StoppingError extends HoldfastError {
  override readonly name = 'StoppingError';
  constructor() {
    super('stopping', 'the node is shutting down');
  }
}
/**
 * This member found its state damaged (a record whose checksum fails, a state hash the other
 * members disagree with) and refuses to answer from it until repaired. Nothing was returned.
 */
export class StateCorruptError extends HoldfastError {
  override readonly name = 'StateCorruptError';
  constructor(message: string) {
    super('state-corrupt', message);
  }
}
/** No such lease: never granted, revoked or expired. */
export class LeaseNotFoundError extends HoldfastError {
  override readonly name = 'LeaseNotFoundError';
  constructor(readonly leaseId: number) {
    super('lease-not-found', `lease ${leaseId} not found`);
  }
}
/** A grant or a put refused by the lease limits, or a grant of an id already held. Nothing changed. */
export class LeaseRefusedError extends HoldfastError {
  override readonly name = 'LeaseRefusedError';
  constructor(kind: 'lease-exists' | 'leases-exceeded' | 'lease-keys-exceeded', message: string) {
    super(kind, message);
  }
}
/**
 * A write authorized against an auth state that an auth change applied before the write has
 * replaced: refused at apply, nothing changed. Sent again, it is checked against the newer state.
 */
export class AuthChangedError extends HoldfastError {
  override readonly name = 'AuthChangedError';
  constructor(message: string) {
    super('auth-changed', message);
  }
}

/** A change (`what`) checked against an auth revision that an applied auth change has since replaced. */
export function authChangedError(what: string, revisions: { checkedAuthRevision: number; authRevision: number }): AuthChangedError {
  return new AuthChangedError(
    `${what} was authorized against auth revision ${revisions.checkedAuthRevision}; an auth change applied before it (auth revision ${revisions.authRevision} now) may have revoked that permission, so nothing was applied: send it again (the SDK does) to be checked against the current auth state`,
  );
}
export class InternalError extends HoldfastError {
  override readonly name = 'InternalError';
  constructor(message: string, cause?: unknown) {
    super('internal', message, { cause });
  }
}

/** A broken invariant: a bug. Crash loudly with the values that broke it. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

export function assert(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new InvariantError(message());
}

export function toHoldfastError(error: unknown): HoldfastError {
  if (error instanceof HoldfastError) return error;
  return new InternalError(error instanceof Error ? error.message : String(error), error);
}

function leaderOf(error: HoldfastError): string {
  return error instanceof NotLeaderError ? error.leaderAddress : '';
}

/** A gRPC ServiceError with the `holdfast-error` (and `holdfast-leader`) trailing metadata. */
export function toServiceError(error: unknown): Partial<grpc.StatusObject> & Error {
  const e = toHoldfastError(error);
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_KIND_METADATA, e.kind);
  if (e.kind === 'not-leader') metadata.set(LEADER_METADATA, leaderOf(e));
  return Object.assign(new Error(e.message), { code: e.code, details: e.message, metadata });
}

export function toBatchError(error: unknown): BatchError {
  const e = toHoldfastError(error);
  return { code: e.code, kind: e.kind, message: e.message, leader: leaderOf(e) };
}

/** Back from the wire (a forwarded request's answer) to the class. */
export function fromBatchError(error: BatchError__Output): HoldfastError {
  const kind = isErrorKind(error.kind) ? error.kind : 'internal';
  if (kind === 'not-leader') return new NotLeaderError(error.leader);
  return new HoldfastError(kind, error.message);
}

export function fromServiceError(error: grpc.ServiceError): HoldfastError {
  const kind = error.metadata?.get(ERROR_KIND_METADATA)[0];
  if (typeof kind === 'string' && isErrorKind(kind)) {
    const leader = error.metadata.get(LEADER_METADATA)[0];
    return fromBatchError({ code: error.code, kind, message: error.details, leader: typeof leader === 'string' ? leader : '' });
  }
  if (error.code === grpc.status.DEADLINE_EXCEEDED) return new TimeoutError(error.details);
  if (error.code === grpc.status.UNAVAILABLE) return new NoLeaderError();
  return new InternalError(error.details, error);
}

/**
 * What a call forwarded to the leader answers when it failed. The leader's own refusal goes back as
 * it was (its kind and status). Otherwise the forward itself failed: one that never reached the
 * leader (no connection) changed nothing and answers no-leader, safe to retry; one that broke or
 * ran out of time on the way may have been acted on, and answers timeout (outcome unknown), which
 * the SDK does not send again for a change that is not safe to repeat (adding a learner).
 */
export function forwardFailure(error: grpc.ServiceError, method: string): HoldfastError {
  if (error.metadata?.get(ERROR_KIND_METADATA).length > 0) return fromServiceError(error);
  if (error.code === grpc.status.UNAVAILABLE && (error.details ?? '').startsWith('No connection established')) return new NoLeaderError();
  return new TimeoutError(`${method} forwarded to the leader got no answer (${error.details}); it may have been applied`);
}

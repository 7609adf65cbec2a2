import { Metadata, type StatusObject, status as GrpcStatus } from '@grpc/grpc-js';
import { type BatchError__Output, ERROR_KIND_METADATA, type ErrorKind, LEADER_METADATA } from '@holdfast/protocol';

/**
 * The failure kinds of the contract (ErrorKind, the `holdfast-error` names of kv.proto), plus the
 * ones the client itself raises: `unavailable` (no connection / stream broken, no server
 * verdict), `closed` (client closed), `aborted` (the caller's AbortSignal), `cancelled` and
 * `unknown` (a status without a holdfast name).
 */
export type HoldfastErrorCode = ErrorKind | 'unavailable' | 'closed' | 'aborted' | 'cancelled' | 'unknown';

/** The gRPC status a failure came from; `cause` of every error mapped from the wire. */
export type GrpcStatusCause = StatusObject;

export interface HoldfastErrorOptions {
  code: HoldfastErrorCode;
  cause?: GrpcStatusCause | Error | undefined;
}

/** Base class of every error the SDK throws. `code` names the failure; `cause` is the gRPC status. */
export class HoldfastError extends Error {
  override name = 'HoldfastError';
  readonly code: HoldfastErrorCode;
  /** The gRPC status code, when the failure came from the wire. */
  readonly grpcCode: number | undefined;

  constructor(message: string, options: HoldfastErrorOptions) {
    super(message, { cause: options.cause });
    this.code = options.code;
    const cause = options.cause as Partial<StatusObject> | undefined;
    this.grpcCode = typeof cause?.code === 'number' ? cause.code : undefined;
  }
}

/** The node is not the leader. `leader` is the leader's client address when the node knows it. */
export class NotLeaderError extends HoldfastError {
  override name = 'NotLeaderError';
  readonly leader: string | undefined;
  constructor(message: string, options: { leader: string | undefined; cause?: GrpcStatusCause }) {
    super(message, { code: 'not-leader', cause: options.cause });
    this.leader = options.leader;
  }
}

/** No node could serve the call: no leader known, node stopping, or no connection. Retryable. */
export class UnavailableError extends HoldfastError {
  override name = 'UnavailableError';
}

/**
 * No member answered at any endpoint: every connection was refused or failed before the request
 * was sent, so NOTHING WAS APPLIED. Most often the cluster is not running, or the endpoints are
 * not where it runs. `endpoints` are the addresses tried.
 */
export class UnreachableError extends UnavailableError {
  override name = 'UnreachableError';
  readonly endpoints: readonly string[];
  /** Always false: no member received the request. */
  readonly mayHaveBeenApplied = false;

  constructor(message: string, options: { endpoints: readonly string[]; cause?: GrpcStatusCause | Error | undefined }) {
    super(message, { code: 'unavailable', cause: options.cause });
    this.endpoints = options.endpoints;
  }
}

/**
 * The call's AbortSignal fired. For a write, `mayHaveBeenApplied` says whether an attempt may
 * have reached a member before that (then its outcome is unknown, as after a deadline; a retry
 * of the same write is not a substitute); false means it was applied nowhere. Reads: false.
 */
export class AbortedError extends HoldfastError {
  override name = 'AbortedError';
  readonly mayHaveBeenApplied: boolean;

  constructor(message: string, options: { mayHaveBeenApplied: boolean; cause?: Error | undefined }) {
    super(message, { code: 'aborted', cause: options.cause });
    this.mayHaveBeenApplied = options.mayHaveBeenApplied;
  }
}

/**
 * The caller's deadline passed (or the server gave up waiting). For a write the OUTCOME IS
 * UNKNOWN: it may have been applied, or may still be. A retry with the same session sequence
 * is safe (the server answers it once); a read with a fresh put is not a substitute.
 */
export class DeadlineExceededError extends HoldfastError {
  override name = 'DeadlineExceededError';
}

/** A put/delete guard (ifAbsent, ifModRevision) did not hold. Nothing was written. */
export class CompareFailedError extends HoldfastError {
  override name = 'CompareFailedError';
}

/** The key is longer than the server's key limit. Nothing was written. */
export class KeyTooLargeError extends HoldfastError {
  override name = 'KeyTooLargeError';
}

/** The value is longer than the server's value limit. Nothing was written. */
export class ValueTooLargeError extends HoldfastError {
  override name = 'ValueTooLargeError';
}

/** The request as a whole (e.g. a txn) exceeds the server's request limit. Nothing was written. */
export class RequestTooLargeError extends HoldfastError {
  override name = 'RequestTooLargeError';
}

/** The request is malformed (empty key, bad range, bad argument). Nothing was written. */
export class InvalidArgumentError extends HoldfastError {
  override name = 'InvalidArgumentError';
}

/** A bounded queue is full (server side, or this client's in-flight limit). Retry after backing off. */
export class OverloadedError extends HoldfastError {
  override name = 'OverloadedError';
}

/**
 * The write would grow the bytes of keys and values the store holds past its quota
 * (`--store-bytes-max`). Nothing was written. Not retried: free space by deleting keys first.
 */
export class QuotaExceededError extends HoldfastError {
  override name = 'QuotaExceededError';
}

/**
 * A read at a past revision, a watch, or a compaction asked for a revision the key history no
 * longer holds (compacted; etcd's ErrCompacted). Read at a later revision; for a watch, read the
 * keys again, then watch from the read's revision + 1. The message names the compacted revision.
 */
export class CompactedError extends HoldfastError {
  override name = 'CompactedError';
}

/** A watch needs changes the key history no longer holds (see CompactedError). */
export class WatchCompactedError extends CompactedError {
  override name = 'WatchCompactedError';
}

/**
 * The member that answered found its state damaged (a record whose checksum fails, or a state
 * hash the other members disagree with) and returned nothing; it serves no reads until it is
 * repaired. Safe to ask another member: the client does so on its own.
 */
export class StateCorruptError extends HoldfastError {
  override name = 'StateCorruptError';
}

/**
 * Auth is on and the call carried no credentials, a token that is malformed, expired, signed by a
 * key the cluster no longer holds or issued before a password change, a certificate naming no
 * user, or (at login) a wrong name or password. Nothing was done.
 */
export class UnauthenticatedError extends HoldfastError {
  override name = 'UnauthenticatedError';
}

/**
 * The caller's roles do not grant what the call needs; the message names it (a txn or watch
 * touching any key outside the grant is refused whole). Nothing was done.
 */
export class PermissionDeniedError extends HoldfastError {
  override name = 'PermissionDeniedError';
}

/** Too many login attempts for this user, or from this address: retry later. */
export class TooManyLoginsError extends HoldfastError {
  override name = 'TooManyLoginsError';
}

/**
 * The write was authorized against an auth state that an auth change (a role revoked, a user
 * deleted, auth turned on, or any other) replaced before the write applied: NOTHING WAS APPLIED,
 * and the write's session keeps this answer. The SDK sends such a write again (as a new write of
 * the same session slot, checked against the newer state) up to twice before it throws this;
 * a caller that sends it again itself gets it checked anew the same way.
 */
export class AuthChangedError extends HoldfastError {
  override name = 'AuthChangedError';
  /** Always false: the write was refused whole at apply. */
  readonly mayHaveBeenApplied = false;
}

/** The server failed in a way that is a bug on its side. */
/** No such lease: never granted, revoked, or expired (its keys are gone). */
export class LeaseNotFoundError extends HoldfastError {
  override name = 'LeaseNotFoundError';
}

/** A grant asked for the id of a lease that is held. */
export class LeaseExistsError extends HoldfastError {
  override name = 'LeaseExistsError';
}

/** The cluster holds as many leases as it may (`--leases-max`); revoke some first. Nothing changed. */
export class LeasesExceededError extends HoldfastError {
  override name = 'LeasesExceededError';
}

/** The put would attach more keys to the lease than it takes (`--lease-keys-max`). Nothing changed. */
export class LeaseKeysExceededError extends HoldfastError {
  override name = 'LeaseKeysExceededError';
}

/**
 * A fenced write carried a token below the highest one the resource has accepted: a newer
 * holder of the lock wrote since. Nothing was written; the caller no longer holds the lock.
 */
export class StaleFenceError extends HoldfastError {
  override name = 'StaleFenceError';
  constructor(
    readonly token: number,
    readonly highestToken: number,
  ) {
    super(`fencing token ${token} is below ${highestToken}, which the resource accepted already`, { code: 'compare-failed' });
  }
}

/** The holder's lease ended (expired or revoked): the lock or leadership it held is gone. */
export class LeaseLostError extends HoldfastError {
  override name = 'LeaseLostError';
}

export class InternalError extends HoldfastError {
  override name = 'InternalError';
}

/** The client was closed before or while the call ran. */
export class ClientClosedError extends HoldfastError {
  override name = 'ClientClosedError';
}

/** Builds a status object carrying the holdfast metadata, as a unary call would have returned. */
export function statusFromBatchError(error: BatchError__Output): StatusObject {
  const metadata = new Metadata();
  if (error.kind !== '') metadata.set(ERROR_KIND_METADATA, error.kind);
  if (error.leader !== '') metadata.set(LEADER_METADATA, error.leader);
  return { code: error.code, details: error.message, metadata };
}

function metadataString(metadata: Metadata | undefined, key: string): string | undefined {
  const values = metadata?.get(key) ?? [];
  const first = values[0];
  if (first === undefined) return undefined;
  const text = typeof first === 'string' ? first : first.toString('utf8');
  return text === '' ? undefined : text;
}

/** Maps a gRPC status (unary error, stream status, or Batch error) to one error class. */
export function errorFromStatus(status: StatusObject): HoldfastError {
  const kind = metadataString(status.metadata, ERROR_KIND_METADATA);
  // grpc-js appends an empty "Resolution note: " to connection failures; it says nothing.
  const trimmed = status.details.replace(/\s*Resolution note:\s*$/, '');
  const details = trimmed === '' ? `gRPC status ${GrpcStatus[status.code] ?? status.code}` : trimmed;
  const byKind = kind === undefined ? undefined : errorFromKind(kind, details, status);
  return byKind ?? errorFromCode(details, status);
}

function errorFromKind(kind: string, message: string, cause: StatusObject): HoldfastError | undefined {
  switch (kind) {
    case 'not-leader':
      return new NotLeaderError(message, { leader: metadataString(cause.metadata, LEADER_METADATA), cause });
    case 'no-leader':
    case 'stopping':
      return new UnavailableError(message, { code: kind, cause });
    case 'compare-failed':
      return new CompareFailedError(message, { code: kind, cause });
    case 'key-too-large':
      return new KeyTooLargeError(message, { code: kind, cause });
    case 'value-too-large':
      return new ValueTooLargeError(message, { code: kind, cause });
    case 'request-too-large':
      return new RequestTooLargeError(message, { code: kind, cause });
    case 'invalid-argument':
      return new InvalidArgumentError(message, { code: kind, cause });
    case 'overloaded':
      return new OverloadedError(message, { code: kind, cause });
    case 'quota-exceeded':
      return new QuotaExceededError(message, { code: kind, cause });
    case 'compacted':
      return new CompactedError(message, { code: kind, cause });
    case 'timeout':
      return new DeadlineExceededError(message, { code: kind, cause });
    case 'state-corrupt':
      return new StateCorruptError(message, { code: kind, cause });
    case 'lease-not-found':
      return new LeaseNotFoundError(message, { code: kind, cause });
    case 'lease-exists':
      return new LeaseExistsError(message, { code: kind, cause });
    case 'leases-exceeded':
      return new LeasesExceededError(message, { code: kind, cause });
    case 'lease-keys-exceeded':
      return new LeaseKeysExceededError(message, { code: kind, cause });
    case 'unauthenticated':
      return new UnauthenticatedError(message, { code: kind, cause });
    case 'permission-denied':
      return new PermissionDeniedError(message, { code: kind, cause });
    case 'too-many-logins':
      return new TooManyLoginsError(message, { code: kind, cause });
    case 'auth-changed':
      return new AuthChangedError(message, { code: kind, cause });
    case 'internal':
      return new InternalError(message, { code: kind, cause });
    default:
      return undefined;
  }
}

/** A status without a holdfast name: from grpc-js itself (no connection, local deadline...). */
function errorFromCode(message: string, cause: StatusObject): HoldfastError {
  switch (cause.code) {
    case GrpcStatus.UNAVAILABLE:
      return new UnavailableError(message, { code: 'unavailable', cause });
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new DeadlineExceededError(message, { code: 'timeout', cause });
    case GrpcStatus.FAILED_PRECONDITION:
      return new CompareFailedError(message, { code: 'compare-failed', cause });
    case GrpcStatus.INVALID_ARGUMENT:
      return new InvalidArgumentError(message, { code: 'invalid-argument', cause });
    case GrpcStatus.RESOURCE_EXHAUSTED:
      // grpc-js says RESOURCE_EXHAUSTED for a message over a size limit (a request, or an answer
      // over responseBytesMax): not a full queue, and not worth retrying.
      return /larger than max/i.test(message)
        ? new RequestTooLargeError(message, { code: 'request-too-large', cause })
        : new OverloadedError(message, { code: 'overloaded', cause });
    case GrpcStatus.CANCELLED:
      return new HoldfastError(message, { code: 'cancelled', cause });
    case GrpcStatus.UNAUTHENTICATED:
      return new UnauthenticatedError(message, { code: 'unauthenticated', cause });
    case GrpcStatus.PERMISSION_DENIED:
      return new PermissionDeniedError(message, { code: 'permission-denied', cause });
    case GrpcStatus.INTERNAL:
      return new InternalError(message, { code: 'internal', cause });
    default:
      return new HoldfastError(message, { code: 'unknown', cause });
  }
}

/**
 * The member does not serve the Batch stream (a release before it): the stream ended
 * UNIMPLEMENTED, so nothing on it was acted on, and the connection now makes unary calls.
 */
export function batchNotServed(error: HoldfastError): boolean {
  return error.code === 'unavailable' && (error.cause as Partial<StatusObject> | undefined)?.code === GrpcStatus.UNIMPLEMENTED;
}

/**
 * True when the request never left this client: grpc-js found no connection to the member (it
 * refused, or could not be reached) and failed the call before starting it on any transport, or
 * the call's deadline passed while it still waited for a connection. Such a failure says nothing
 * was applied, unlike a broken stream or a timeout after the request went out. (A request on a
 * Batch stream that times out is never taken for unsent: the stream may have carried it.)
 */
export function wasNeverSent(error: HoldfastError): boolean {
  const cause = error.cause as Partial<StatusObject> | undefined;
  const details = cause?.details;
  if (typeof details !== 'string') return false;
  if (error.code === 'unavailable' && error.grpcCode === GrpcStatus.UNAVAILABLE) return details.startsWith('No connection established');
  // grpc-js's own deadline (a server's carries a holdfast kind): its details say where the call was.
  const fromServer = metadataString(cause?.metadata, ERROR_KIND_METADATA) !== undefined;
  if (error.code === 'timeout' && error.grpcCode === GrpcStatus.DEADLINE_EXCEEDED && !fromServer) {
    return /Waiting for LB pick|waiting for name resolution/.test(details) && !details.includes('remote_addr=');
  }
  return false;
}

/**
 * The member gave no answer of its own: the call never left, the connection broke, or nothing
 * came back before the attempt's deadline. A refusal or a timeout the member reported is an
 * answer (it is alive and reachable) and does not count.
 */
export function gotNoAnswer(error: HoldfastError): boolean {
  if (wasNeverSent(error)) return true;
  if (error.code !== 'timeout' && error.code !== 'unavailable') return false;
  const cause = error.cause as Partial<StatusObject> | undefined;
  return metadataString(cause?.metadata, ERROR_KIND_METADATA) === undefined;
}

function isStatusObject(value: unknown): value is StatusObject {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<StatusObject>;
  return typeof candidate.code === 'number' && candidate.metadata instanceof Metadata;
}

/** Normalises anything thrown inside a call (grpc ServiceError, HoldfastError, other) to a HoldfastError. */
export function toHoldfastError(error: unknown): HoldfastError {
  if (error instanceof HoldfastError) return error;
  if (isStatusObject(error)) {
    const status: StatusObject = { code: error.code, details: error.details ?? '', metadata: error.metadata };
    return errorFromStatus(status);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new HoldfastError(message, { code: 'unknown', cause: error instanceof Error ? error : undefined });
}

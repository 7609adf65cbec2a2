/**
 * The client's one LeaseKeepAliveStream: every lease the client keeps alive (LeaseKeepAlive,
 * locks, elections) sends its keepalives over it, each tagged, so that a client holding many
 * leases keeps one stream rather than a call per lease and interval.
 *
 * The stream goes to the member the client would send a leader call to (a follower forwards
 * each keepalive to the leader). When it fails (it ends, a keepalive gets no answer in time, or
 * the member says it has no leader), the keepalives in flight fail with a retryable error, the
 * member is reported so the next stream goes elsewhere, and keepalives use the unary call (with
 * the client's retries) until a new stream is tried after a backoff that doubles up to a bound
 * and starts again after an answer. A member that answers UNIMPLEMENTED (an older release) gets
 * unary keepalives from then on.
 */
import type { Metadata } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { LeaseKeepAliveStreamRequest, LeaseKeepAliveStreamResponse__Output } from '@holdfast/protocol';
import {
  ClientClosedError,
  DeadlineExceededError,
  errorFromStatus,
  type HoldfastError,
  InternalError,
  statusFromBatchError,
  UnavailableError,
} from './errors.js';
import type { KeepAliveTransport } from './leases.js';

export interface StreamStatus {
  code: number;
  details: string;
  metadata: Metadata;
}

/** One open stream, as the mux sees it. */
export interface KeepAliveCall {
  write(request: LeaseKeepAliveStreamRequest): void;
  /** Cancels the stream (its status then comes as CANCELLED; the mux ignores it). */
  cancel(): void;
}

export interface KeepAliveStreamPort {
  /** The member a stream should go to now. */
  address(): string;
  open(address: string, onMessage: (response: LeaseKeepAliveStreamResponse__Output) => void, onEnd: (status: StreamStatus) => void): KeepAliveCall;
  /** One keepalive by the unary call with the client's retries; resolves with the TTL. */
  unary(id: number, deadlineMs: number): Promise<number>;
  /** The stream to `address` failed: the next leader call should try elsewhere. */
  failed(address: string, error: HoldfastError): void;
  /** The token a stream opened now carries (undefined: none); absent: the client holds no credentials. */
  token?(): string | undefined;
  /** A member refused a stream opened with `token` as unauthenticated: the next call logs in again. */
  refused?(token: string | undefined): void;
}

export interface KeepAliveMuxOptions {
  /** First wait before a failed stream is opened again; doubled per failure up to backoffMaxMs. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** A stream with no keepalive for this long is closed (the next keepalive opens one). */
  idleCloseMs?: number;
  /** Keepalives in flight on the stream at most (past it: the unary call). */
  pendingMax?: number;
  /**
   * A keepalive unanswered this long gives the stream up (a paused or cut-off member), however
   * far its deadline: the retry then goes elsewhere while the lease still holds. The client's
   * attemptTimeoutMs.
   */
  attemptTimeoutMs?: number;
  nowMs?: () => number;
}

interface Pending {
  readonly id: number;
  readonly resolve: (ttlMs: number) => void;
  readonly reject: (error: HoldfastError) => void;
  readonly timer: NodeJS.Timeout;
}

interface OpenStream {
  readonly address: string;
  readonly call: KeepAliveCall;
  /** Invariant: holds exactly the keepalives sent on this stream and not yet settled. */
  readonly pending: Map<number, Pending>;
  idleTimer: NodeJS.Timeout | undefined;
  /** The token the stream was opened with: a member knows the caller by it for the stream's life. */
  readonly token: string | undefined;
  /** Replaced by a stream with a newer token: takes no new keepalives, ends once it answered its own. */
  retired: boolean;
}

/** Kinds of answer that say the member cannot serve keepalives now: the stream is given up. */
const MEMBER_FAILURE_KINDS: ReadonlySet<string> = new Set(['unavailable', 'not-leader', 'no-leader', 'stopping', 'timeout', 'state-corrupt']);

export class KeepAliveMux implements KeepAliveTransport {
  private stream: OpenStream | undefined;
  private nextTag = 1;
  private retryAtMs = 0;
  private backoffMs: number;
  private closed = false;
  /**
   * A stream opened with this token was refused as unauthenticated: keepalives go by the unary
   * call (which logs in again) until the client holds another token (or a unary keepalive is
   * answered), so a refused token never opens stream after stream.
   */
  private refusedWith: { token: string | undefined } | undefined;
  /** Members that answered UNIMPLEMENTED: keepalives to them are unary. */
  private readonly unsupported = new Set<string>();
  private readonly options: Required<KeepAliveMuxOptions>;
  /** Counts, for tests and diagnostics. */
  readonly counts = { streamsOpened: 0, streamFailures: 0, streamKeepAlives: 0, unaryKeepAlives: 0 };

  constructor(
    private readonly port: KeepAliveStreamPort,
    options: KeepAliveMuxOptions = {},
  ) {
    this.options = {
      backoffMinMs: options.backoffMinMs ?? 100,
      backoffMaxMs: options.backoffMaxMs ?? 3000,
      idleCloseMs: options.idleCloseMs ?? 60_000,
      pendingMax: options.pendingMax ?? 1000,
      attemptTimeoutMs: options.attemptTimeoutMs ?? 2000,
      nowMs: options.nowMs ?? Date.now,
    };
    this.backoffMs = this.options.backoffMinMs;
  }

  /** True while keepalives go over a stream. */
  get isStreaming(): boolean {
    return this.stream !== undefined;
  }

  keepAliveOnce(id: number, deadlineMs: number): Promise<number> {
    if (this.closed) return Promise.reject(new ClientClosedError('client closed', { code: 'closed' }));
    const stream = this.usableStream();
    if (stream === undefined || stream.pending.size >= this.options.pendingMax) {
      this.counts.unaryKeepAlives += 1;
      return this.port.unary(id, deadlineMs).then((ttlMs) => {
        // Answered: whatever token it carried passes (or auth is off again).
        this.refusedWith = undefined;
        return ttlMs;
      });
    }
    this.counts.streamKeepAlives += 1;
    return this.send(stream, id, deadlineMs);
  }

  close(): void {
    this.closed = true;
    if (this.stream !== undefined) this.drop(this.stream, new ClientClosedError('client closed', { code: 'closed' }));
  }

  private usableStream(): OpenStream | undefined {
    const token = this.port.token?.();
    // A renewed token: the stream opened with the old one is replaced (as the Batch stream is).
    if (this.stream !== undefined && this.stream.token !== token) this.retire(this.stream);
    if (this.stream !== undefined) return this.stream;
    if (this.options.nowMs() < this.retryAtMs) return undefined;
    // After a refusal, streams wait for a token other than the refused one (a dropped token
    // reads as none): the unary call logs in meanwhile.
    if (this.refusedWith !== undefined && (token === undefined || token === this.refusedWith.token)) return undefined;
    const address = this.port.address();
    if (this.unsupported.has(address)) return undefined;
    return this.open(address, token);
  }

  private retire(stream: OpenStream): void {
    this.stream = undefined;
    stream.retired = true;
    this.cancelIfDrained(stream);
  }

  /** A retired stream ends once every keepalive it carried is settled. */
  private cancelIfDrained(stream: OpenStream): void {
    if (!stream.retired || stream.pending.size > 0) return;
    clearTimeout(stream.idleTimer);
    stream.call.cancel();
  }

  private open(address: string, token: string | undefined): OpenStream {
    const pending = new Map<number, Pending>();
    let stream: OpenStream | undefined;
    const call = this.port.open(
      address,
      (response) => {
        if (stream !== undefined) this.handleResponse(stream, response);
      },
      (status) => {
        if (stream !== undefined) this.handleEnd(stream, status);
      },
    );
    stream = { address, call, pending, idleTimer: undefined, token, retired: false };
    this.stream = stream;
    this.counts.streamsOpened += 1;
    return stream;
  }

  private send(stream: OpenStream, id: number, deadlineMs: number): Promise<number> {
    const tag = this.nextTag++;
    this.touch(stream);
    return new Promise<number>((resolve, reject) => {
      // Deadlines are wall-clock times (Date.now), as every call's; nowMs only paces the backoff.
      const waitMs = Math.max(1, Math.min(this.options.attemptTimeoutMs, Math.ceil(deadlineMs - Date.now())));
      const timer = setTimeout(() => this.handleDeadline(stream, tag), waitMs);
      stream.pending.set(tag, { id, resolve, reject, timer });
      stream.call.write({ tag, id });
    });
  }

  /** Restarts the idle timer: a stream nobody used for idleCloseMs ends. */
  private touch(stream: OpenStream): void {
    clearTimeout(stream.idleTimer);
    stream.idleTimer = setTimeout(() => {
      if (stream.pending.size === 0 && this.stream === stream) {
        this.stream = undefined;
        stream.call.cancel();
      }
    }, this.options.idleCloseMs);
    stream.idleTimer.unref?.();
  }

  private handleResponse(stream: OpenStream, response: LeaseKeepAliveStreamResponse__Output): void {
    const request = stream.pending.get(response.tag);
    // Unknown tag: the keepalive already hit its deadline.
    if (request === undefined) return;
    stream.pending.delete(response.tag);
    clearTimeout(request.timer);
    this.cancelIfDrained(stream);
    if (response.result === 'error' && response.error) {
      const error = errorFromStatus(statusFromBatchError(response.error));
      request.reject(error);
      if (MEMBER_FAILURE_KINDS.has(error.code)) this.fail(stream, error);
      return;
    }
    if (response.result !== 'keepAlive' || !response.keepAlive) {
      request.reject(new InternalError(`keepalive answer ${response.tag} carries '${String(response.result)}'`, { code: 'internal' }));
      return;
    }
    this.backoffMs = this.options.backoffMinMs;
    request.resolve(response.keepAlive.ttlMs);
  }

  private handleDeadline(stream: OpenStream, tag: number): void {
    const request = stream.pending.get(tag);
    if (request === undefined) return;
    stream.pending.delete(tag);
    this.cancelIfDrained(stream);
    const error = new DeadlineExceededError(`no answer to the keepalive of lease ${request.id} on the stream to ${stream.address} within its deadline`, {
      code: 'timeout',
    });
    request.reject(error);
    this.fail(stream, error);
  }

  private handleEnd(stream: OpenStream, status: StreamStatus): void {
    if (stream.retired) {
      this.drop(stream, new UnavailableError(`keepalive stream to ${stream.address} ended (${status.details})`, { code: 'unavailable' }));
      return;
    }
    if (this.stream !== stream) return;
    if (status.code === GrpcStatus.UNAUTHENTICATED) {
      // The token, not the member: no backoff, no move; the keepalives in flight are retried,
      // by the unary call (which logs in again) until a new token opens a new stream.
      this.stream = undefined;
      this.refusedWith = { token: stream.token };
      this.port.refused?.(stream.token);
      const cause = errorFromStatus(status);
      this.drop(stream, new UnavailableError(`keepalive stream to ${stream.address} refused as unauthenticated (${cause.message})`, { code: 'unavailable', cause }));
      return;
    }
    if (status.code === GrpcStatus.UNIMPLEMENTED) {
      this.unsupported.add(stream.address);
      this.stream = undefined;
      this.drop(stream, new UnavailableError(`${stream.address} serves no keepalive stream (an older release)`, { code: 'unavailable' }));
      return;
    }
    const cause = errorFromStatus(status);
    this.fail(stream, new UnavailableError(`keepalive stream to ${stream.address} ended (${cause.message})`, { code: 'unavailable', cause }));
  }

  /** The stream's member cannot serve keepalives: end it, wait a backoff before the next one. */
  private fail(stream: OpenStream, error: HoldfastError): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.counts.streamFailures += 1;
    this.retryAtMs = this.options.nowMs() + this.backoffMs;
    this.backoffMs = Math.min(this.options.backoffMaxMs, this.backoffMs * 2);
    this.drop(stream, new UnavailableError(`keepalive stream to ${stream.address} given up: ${error.message}`, { code: 'unavailable', cause: error }));
    this.port.failed(stream.address, error);
  }

  private drop(stream: OpenStream, error: HoldfastError): void {
    if (this.stream === stream) this.stream = undefined;
    clearTimeout(stream.idleTimer);
    for (const request of stream.pending.values()) {
      clearTimeout(request.timer);
      request.reject(error);
    }
    stream.pending.clear();
    stream.call.cancel();
  }
}

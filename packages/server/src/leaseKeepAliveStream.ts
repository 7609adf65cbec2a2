/**
 * KV.LeaseKeepAliveStream: keepalives of many leases over one stream. Each keepalive is served
 * as the unary LeaseKeepAlive is (the leader's lease clock after its read barrier; a follower
 * forwards it), and answered with the caller's tag. One stream is bounded by the distinct leases
 * it names, the keepalives it sends a second and the keepalives unanswered at once; a request
 * past a bound is refused alone and the stream stays open.
 */
import type * as grpc from '@grpc/grpc-js';
import type {
  LeaseKeepAliveResponse,
  LeaseKeepAliveStreamRequest__Output as StreamRequest,
  LeaseKeepAliveStreamResponse as StreamResponse,
} from '@holdfast/protocol';
import { HoldfastError, InvalidRequestError, OverloadedError, toBatchError } from './errors.js';

export interface LeaseStreamLimits {
  /** Distinct leases one stream keeps alive (--lease-stream-leases-max). */
  readonly leasesMax: number;
  /** Keepalives one stream may send a second, with a burst of as many (--lease-stream-requests-per-second). */
  readonly requestsPerSecond: number;
  /** Keepalives unanswered at once on one stream (--lease-stream-pending-max). */
  readonly pendingMax: number;
}

export interface LeaseStreamOptions {
  readonly limits: LeaseStreamLimits;
  /** One keepalive, as the unary call serves it (in-flight bound and metrics included). */
  readonly keepAlive: (call: grpc.ServerDuplexStream<StreamRequest, StreamResponse>, id: number) => Promise<LeaseKeepAliveResponse>;
  readonly nowMs?: () => number;
}

/** A token bucket: `perSecond` tokens a second, at most `perSecond` saved. */
class RequestBudget {
  private tokens: number;
  private atMs: number;

  constructor(
    private readonly perSecond: number,
    private readonly nowMs: () => number,
  ) {
    this.tokens = perSecond;
    this.atMs = nowMs();
  }

  take(): boolean {
    const now = this.nowMs();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.atMs) * this.perSecond) / 1000);
    this.atMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export function handleLeaseKeepAliveStream(options: LeaseStreamOptions, call: grpc.ServerDuplexStream<StreamRequest, StreamResponse>): void {
  const { limits } = options;
  const budget = new RequestBudget(limits.requestsPerSecond, options.nowMs ?? Date.now);
  /** Leases this stream named; a lease the leader says is gone leaves the set. Invariant: size <= limits.leasesMax. */
  const leases = new Set<number>();
  let pending = 0;
  let ended = false;
  const finish = (): void => {
    if (ended && pending === 0 && !call.cancelled && !call.destroyed) call.end();
  };
  const write = (response: StreamResponse): void => {
    if (!call.cancelled && !call.destroyed) call.write(response);
  };
  const refuse = (tag: number, error: HoldfastError): void => write({ tag, error: toBatchError(error) });
  call.on('data', (request: StreamRequest) => {
    const { tag, id } = request;
    if (!leases.has(id) && leases.size >= limits.leasesMax) {
      refuse(tag, new InvalidRequestError('request-too-large', `this stream keeps ${leases.size} leases alive; the limit is ${limits.leasesMax} (--lease-stream-leases-max)`));
      return;
    }
    if (pending >= limits.pendingMax) {
      refuse(tag, new OverloadedError(`${pending} keepalives unanswered on this stream; the limit is ${limits.pendingMax} (--lease-stream-pending-max)`));
      return;
    }
    if (!budget.take()) {
      refuse(tag, new OverloadedError(`more than ${limits.requestsPerSecond} keepalives a second on this stream (--lease-stream-requests-per-second)`));
      return;
    }
    if (id > 0) leases.add(id);
    pending += 1;
    void options.keepAlive(call, id).then(
      (keepAlive) => write({ tag, keepAlive }),
      (error: unknown) => {
        if (error instanceof HoldfastError && error.kind === 'lease-not-found') leases.delete(id);
        write({ tag, error: toBatchError(error) });
      },
    ).finally(() => {
      pending -= 1;
      finish();
    });
  });
  call.on('end', () => {
    ended = true;
    finish();
  });
  call.on('error', () => {
    ended = true;
  });
}

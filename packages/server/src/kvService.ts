/** gRPC handlers of the KV service: unary calls and the Batch stream share RequestPath. */
import type * as grpc from '@grpc/grpc-js';
import { InvalidRequestError, OverloadedError, toBatchError, toHoldfastError, toServiceError } from './errors.js';
import { FORWARDED_METADATA } from './forwarder.js';
import type { AuthGuard, AuthRecheck } from './auth/guard.js';
import type { NodeMetrics } from './metrics.js';
import {
  type BatchRequest__Output as BatchRequest,
  type BatchRequests__Output as BatchRequests,
  type BatchResponse,
  type BatchResponses,
  FrameOutbox,
  responseBytes,
  type LeaseKeepAliveResponse,
  type LeaseKeepAliveStreamRequest__Output,
  type LeaseKeepAliveStreamResponse,
  type WatchRequest__Output,
  type WatchResponse,
} from '@holdfast/protocol';
import { type KvOp, type KvResult, opOfBatch, type RequestContext, type RequestPath } from './requests.js';
import type { WatchHub } from './watch.js';
import { handleLeaseKeepAliveStream, type LeaseStreamLimits } from './leaseKeepAliveStream.js';

export interface KvServiceOptions {
  readonly path: RequestPath;
  readonly metrics: NodeMetrics;
  readonly requestTimeoutMs: number;
  /** Counts requests in flight so that shutdown can wait for them. */
  readonly inflight: { count: number };
  /** Requests in flight on this node at once (all kinds, forwarded ones included). */
  readonly inflightMax: number;
  /** Requests in one Batch stream message at most. */
  readonly batchMessageRequestsMax: number;
  readonly watches: WatchHub;
  /** Bounds of one LeaseKeepAliveStream. */
  readonly leaseStream: LeaseStreamLimits;
  /**
   * Checks each request of a Batch stream against the stream's caller, and a linearizable read's
   * call again after its read barrier (auth/guard.ts); absent: none (tests of the service alone).
   */
  readonly guard?: Pick<AuthGuard, 'checkBatchRequest' | 'checkAgain' | 'recheck' | 'authRevision' | 'admittedAuthRevision'>;
}

/** What every server call offers (grpc-js does not export its ServerSurfaceCall type). */
interface SurfaceCall {
  getDeadline(): grpc.Deadline;
  readonly metadata: grpc.Metadata;
}

function deadlineOf(call: SurfaceCall, fallbackMs: number, requestedMs = 0): number {
  const now = Date.now();
  let deadline = now + (requestedMs > 0 ? requestedMs : fallbackMs);
  const callDeadline = call.getDeadline();
  const callMs = callDeadline instanceof Date ? callDeadline.getTime() : Number(callDeadline);
  if (Number.isFinite(callMs) && callMs > 0) deadline = Math.min(deadline, callMs);
  return deadline;
}

function contextOf(
  call: SurfaceCall,
  options: KvServiceOptions,
  auth: { requestedMs?: number; recheckAuth?: AuthRecheck | undefined; authRevision?: number | undefined } = {},
): RequestContext {
  const { requestedMs = 0, recheckAuth, authRevision } = auth;
  return {
    deadlineMs: deadlineOf(call, options.requestTimeoutMs, requestedMs),
    forwarded: call.metadata.get(FORWARDED_METADATA).length > 0,
    ...(recheckAuth === undefined ? {} : { recheckAuth }),
    ...(authRevision === undefined ? {} : { authRevision }),
  };
}

/**
 * The auth revision a Batch request is checked against now (read in the same turn as the check),
 * or the lower one a forwarding member says it checked against: a write is stamped with the
 * older of the two, so a caller setting the field can only get its write refused sooner.
 */
function batchAuthRevision(guard: KvServiceOptions['guard'], request: BatchRequest): number | undefined {
  if (guard === undefined) return undefined;
  const own = guard.authRevision();
  const forwarded = request.checkedAuth?.revision;
  return forwarded === undefined ? own : Math.min(own, forwarded);
}

/** The path the auth rules name a unary KV method by: `get` is `/holdfast.v1.KV/Get`. */
function kvPathOf(kind: KvOp['op']): string {
  return `/holdfast.v1.KV/${kind.charAt(0).toUpperCase()}${kind.slice(1)}`;
}

async function run(options: KvServiceOptions, op: KvOp, context: RequestContext): Promise<KvResult> {
  if (options.inflight.count >= options.inflightMax) {
    options.metrics.requests.inc({ op: op.op, outcome: 'overloaded' });
    throw new OverloadedError(`${options.inflight.count} requests in flight on this node`);
  }
  options.inflight.count += 1;
  try {
    const result = await options.path.execute(op, context);
    options.metrics.requests.inc({ op: op.op, outcome: 'ok' });
    return result;
  } catch (error) {
    options.metrics.requests.inc({ op: op.op, outcome: toHoldfastError(error).kind });
    throw error;
  } finally {
    options.inflight.count -= 1;
  }
}

function unary<K extends KvOp['op']>(options: KvServiceOptions, kind: K) {
  return (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>): void => {
    const op = { op: kind, [kind]: call.request } as unknown as KvOp;
    const guard = options.guard;
    const recheckAuth = guard === undefined ? undefined : () => guard.checkAgain(kvPathOf(kind), call.metadata, call.request);
    const authRevision = guard?.admittedAuthRevision(call.metadata);
    run(options, op, contextOf(call, options, { recheckAuth, authRevision })).then(
      (result) => callback(null, (result as unknown as Record<string, unknown>)[kind]),
      (error: unknown) => callback(toServiceError(error)),
    );
  };
}

/** The longest timeout_ms a Batch request may ask for: what a Node timer can wait (about 24.8 days). */
export const REQUEST_TIMEOUT_MS_MAX = 2 ** 31 - 1;

/** Answers go back in frames of at most this many bytes (a client accepts far more: 64 MiB). */
const RESPONSE_FRAME_BYTES_MAX = 1024 * 1024;

function handleBatch(options: KvServiceOptions, call: grpc.ServerDuplexStream<BatchRequests, BatchResponses>): void {
  let open = 0;
  let ended = false;
  const outbox = new FrameOutbox<BatchResponse>({
    itemsMax: Number.POSITIVE_INFINITY,
    bytesMax: RESPONSE_FRAME_BYTES_MAX,
    write: (responses) => {
      if (!call.cancelled && !call.destroyed) call.write({ responses });
    },
  });
  const finish = (): void => {
    if (ended && open === 0) {
      outbox.flush();
      call.end();
    }
  };
  const reply = (response: BatchResponse): void => {
    open -= 1;
    outbox.push(response, responseBytes(response));
    finish();
  };
  const serve = (request: BatchRequest): void => {
    open += 1;
    let op: KvOp;
    let recheckAuth: AuthRecheck | undefined;
    let authRevision: number | undefined;
    try {
      if (request.timeoutMs > REQUEST_TIMEOUT_MS_MAX) {
        throw new InvalidRequestError('invalid-argument', `timeout_ms ${request.timeoutMs} is longer than ${REQUEST_TIMEOUT_MS_MAX}`);
      }
      op = opOfBatch(request);
      authRevision = batchAuthRevision(options.guard, request);
      recheckAuth = options.guard?.checkBatchRequest(call.metadata, request);
    } catch (error) {
      reply({ id: request.id, error: toBatchError(error) });
      return;
    }
    run(options, op, contextOf(call, options, { requestedMs: request.timeoutMs, recheckAuth, authRevision })).then(
      (result) => reply({ id: request.id, [result.op]: (result as unknown as Record<string, unknown>)[result.op] } as BatchResponse),
      (error: unknown) => reply({ id: request.id, error: toBatchError(error) }),
    );
  };
  call.on('data', (frame: BatchRequests) => {
    if (frame.requests.length > options.batchMessageRequestsMax) {
      const refusal = toBatchError(
        new InvalidRequestError(
          'request-too-large',
          `${frame.requests.length} requests in one Batch message; the limit is ${options.batchMessageRequestsMax} (--batch-message-requests-max; the SDK's streamFrameOpsMax must stay at or below it)`,
        ),
      );
      for (const request of frame.requests) {
        open += 1;
        reply({ id: request.id, error: refusal });
      }
      return;
    }
    for (const request of frame.requests) serve(request);
  });
  call.on('end', () => {
    ended = true;
    finish();
  });
  call.on('error', () => {
    ended = true;
    outbox.discard();
  });
}

/** The Watch method's path, as the auth rules name it. */
const WATCH_PATH = '/holdfast.v1.KV/Watch';

export function kvServiceImplementation(options: KvServiceOptions): grpc.UntypedServiceImplementation {
  return {
    Put: unary(options, 'put'),
    Get: unary(options, 'get'),
    Delete: unary(options, 'delete'),
    Range: unary(options, 'range'),
    Txn: unary(options, 'txn'),
    LeaseGrant: unary(options, 'leaseGrant'),
    LeaseRevoke: unary(options, 'leaseRevoke'),
    LeaseKeepAlive: unary(options, 'leaseKeepAlive'),
    LeaseTimeToLive: unary(options, 'leaseTimeToLive'),
    LeaseList: unary(options, 'leaseList'),
    Compact: unary(options, 'compact'),
    Batch: (call: grpc.ServerDuplexStream<BatchRequests, BatchResponses>) => handleBatch(options, call),
    Watch: (call: grpc.ServerWritableStream<WatchRequest__Output, WatchResponse>) =>
      options.watches.open(call, options.guard === undefined ? undefined : () => options.guard?.recheck(WATCH_PATH, call.metadata, call.request)),
    LeaseKeepAliveStream: (call: grpc.ServerDuplexStream<LeaseKeepAliveStreamRequest__Output, LeaseKeepAliveStreamResponse>) =>
      handleLeaseKeepAliveStream(
        {
          limits: options.leaseStream,
          keepAlive: async (streamCall, id) => {
            const result = await run(options, { op: 'leaseKeepAlive', leaseKeepAlive: { id } }, contextOf(streamCall, options));
            return (result as Extract<KvResult, { op: 'leaseKeepAlive' }>).leaseKeepAlive as LeaseKeepAliveResponse;
          },
        },
        call,
      ),
  };
}

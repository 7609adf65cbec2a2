import type { Client, ClientDuplexStream, Metadata, StatusObject } from '@grpc/grpc-js';
import {
  ClientClosedError,
  DeadlineExceededError,
  errorFromStatus,
  type HoldfastError,
  InternalError,
  OverloadedError,
  statusFromBatchError,
  UnavailableError,
} from './errors.js';
import type { AnyMethod } from './proto.js';
import {
  type BatchRequest,
  type BatchResponse__Output,
  type BatchRequests,
  type BatchResponses__Output,
  FRAME_BYTES_MAX,
  FrameOutbox,
  requestBytes,
} from '@holdfast/protocol';
import type { KvKind, KvMethods } from './wire.js';

interface PendingRequest {
  kind: KvKind;
  resolve: (response: object) => void;
  reject: (error: HoldfastError) => void;
  timer: NodeJS.Timeout;
}

export interface BatchStreamOptions {
  /** Requests in flight on this stream at once; more are refused with OverloadedError. */
  pendingMax: number;
  /** Requests in one stream message at most (at most the servers' --batch-message-requests-max). */
  frameOpsMax: number;
  /** Called once when the stream ends, with its final status. */
  onEnd: (status: StatusObject) => void;
  /** Sent when the stream opens (the token, when there is one). */
  metadata: Metadata;
  /** The token in `metadata`, to tell when it was renewed. */
  token: string | undefined;
}

// Longest timeout_ms the wire field (uint32) and any sane caller need.
const timeoutMsMax = 2 ** 31 - 1;

/**
 * Many KV operations over one Batch stream: each request gets an id unique on this stream, the
 * answers come back tagged with it in any order. Every request issued in one turn of the event
 * loop travels in one stream message (up to frameOpsMax), so concurrent calls share the
 * per-message cost of gRPC and HTTP/2 on both ends.
 *
 * Invariant: every pending request is settled exactly once: by its answer, its deadline, the
 * end of the stream, or close().
 */
export class BatchStream {
  private readonly call: ClientDuplexStream<BatchRequests, BatchResponses__Output>;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly options: BatchStreamOptions;
  private nextId = 1;
  private ended = false;
  private retired = false;
  /** The token the stream was opened with (undefined: none). */
  readonly token: string | undefined;
  /** Requests issued in this turn of the event loop, written together when it ends. */
  private readonly outbox: FrameOutbox<BatchRequest>;

  constructor(client: Client, method: AnyMethod, options: BatchStreamOptions) {
    this.options = options;
    this.outbox = new FrameOutbox<BatchRequest>({
      itemsMax: options.frameOpsMax,
      bytesMax: FRAME_BYTES_MAX,
      write: (requests) => {
        if (!this.ended) this.call.write({ requests });
      },
    });
    this.call = client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize as (bytes: Buffer) => BatchResponses__Output,
      options.metadata,
    );
    this.token = options.token;
    this.call.on('data', (frame: BatchResponses__Output) => {
      for (const response of frame.responses) this.handleResponse(response);
    });
    // 'error' repeats what 'status' says; listening keeps it from being thrown as unhandled.
    this.call.on('error', () => {});
    this.call.on('status', (status: StatusObject) => this.handleEnd(status));
  }

  get isUsable(): boolean {
    return !this.ended && !this.retired;
  }

  /**
   * Takes no new requests; those in flight are still answered, then the stream ends (a stream
   * opened with a token that has since been renewed).
   */
  retire(): void {
    if (this.ended || this.retired) return;
    this.retired = true;
    this.outbox.flush();
    this.call.end();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  send<K extends KvKind>(kind: K, request: KvMethods[K]['request'], deadlineMs: number): Promise<KvMethods[K]['response']> {
    if (this.ended) return Promise.reject(new UnavailableError('batch stream has ended', { code: 'unavailable' }));
    if (this.pending.size >= this.options.pendingMax) {
      return Promise.reject(
        new OverloadedError(`${this.pending.size} requests in flight on one stream (limit ${this.options.pendingMax})`, {
          code: 'overloaded',
        }),
      );
    }
    const id = this.nextId++;
    const remainingMs = Math.max(1, Math.min(timeoutMsMax, Math.ceil(deadlineMs - Date.now())));
    return new Promise<KvMethods[K]['response']>((resolve, reject) => {
      const timer = setTimeout(() => this.handleDeadline(id), remainingMs);
      this.pending.set(id, { kind, resolve: resolve as (response: object) => void, reject, timer });
      const framed = { id, [kind]: request, timeoutMs: remainingMs } as BatchRequest;
      this.outbox.push(framed, requestBytes(framed));
    });
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.failAll(() => new ClientClosedError('client closed', { code: 'closed' }));
    this.call.end();
    this.call.cancel();
  }

  private handleResponse(response: BatchResponse__Output): void {
    const request = this.pending.get(response.id);
    // Unknown id: the request already hit its deadline and was answered locally.
    if (request === undefined) return;
    this.pending.delete(response.id);
    clearTimeout(request.timer);
    if (response.result === 'error' && response.error) {
      request.reject(errorFromStatus(statusFromBatchError(response.error)));
      return;
    }
    const body = response[request.kind];
    if (response.result !== request.kind || body === null || body === undefined) {
      request.reject(
        new InternalError(`batch answer ${response.id} carries '${response.result}' for a '${request.kind}'`, {
          code: 'internal',
        }),
      );
      return;
    }
    request.resolve(body);
  }

  private handleDeadline(id: number): void {
    const request = this.pending.get(id);
    if (request === undefined) return;
    this.pending.delete(id);
    request.reject(
      new DeadlineExceededError(`no answer to ${request.kind} within its deadline`, {
        code: 'timeout',
      }),
    );
  }

  private handleEnd(status: StatusObject): void {
    const wasClosed = this.ended;
    this.ended = true;
    if (!wasClosed) {
      const cause = errorFromStatus(status);
      this.failAll(
        () =>
          new UnavailableError(`batch stream ended (${cause.message})`, {
            code: 'unavailable',
            cause: status,
          }),
      );
    }
    this.options.onEnd(status);
  }

  private failAll(makeError: () => HoldfastError): void {
    this.outbox.discard();
    for (const request of this.pending.values()) {
      clearTimeout(request.timer);
      request.reject(makeError());
    }
    this.pending.clear();
  }
}

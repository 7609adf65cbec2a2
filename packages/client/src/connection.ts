import { type ChannelCredentials, type ChannelOptions, Client, Metadata, type ServiceError, type StatusObject, status as GrpcStatus } from '@grpc/grpc-js';
import type { LeaseKeepAliveStreamRequest, LeaseKeepAliveStreamResponse__Output } from '@holdfast/protocol';
import { BatchStream } from './batch-stream.js';
import type { KeepAliveCall, StreamStatus } from './keepalive-stream.js';
import { DeadlineExceededError, errorFromStatus, InternalError } from './errors.js';
import type { AnyMethod, HoldfastMethods } from './proto.js';
import type { AuthMethod, ClusterMethod, ClusterMethods, KvKind, KvMethods } from './wire.js';

export interface ConnectionOptions {
  /** Plaintext, or TLS with the client's CA (and certificate): see ClientOptions.tls. */
  credentials: ChannelCredentials;
  methods: HoldfastMethods;
  /** Pipeline KV calls over a Batch stream; false = unary calls only. */
  batchEnabled: boolean;
  streamPendingMax: number;
  streamFrameOpsMax: number;
  /** After a stream breaks, unary calls serve this endpoint for this long before a new stream is tried. */
  streamRetryDelayMs: number;
  /** Largest answer accepted (one range page, one Batch answer). */
  responseBytesMax: number;
  /** The token to send (auth on, user and password credentials); undefined: none. */
  token: () => string | undefined;
}

function channelOptions(responseBytesMax: number): ChannelOptions {
  return {
    // Reconnect soon after a node restarts: the default first backoff is a whole second.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
    // The SDK retries itself, with sessions that make writes safe to repeat.
    'grpc.enable_retries': 0,
    // Channelz bookkeeping costs on every call and message; the SDK never reads it.
    'grpc.enable_channelz': 0,
    // A range page can be far larger than grpc-js's 4 MiB default (limit x value size).
    'grpc.max_receive_message_length': responseBytesMax,
  };
}

/** One endpoint: one HTTP/2 channel carrying unary calls and (at most) one Batch stream. */
export class Connection {
  readonly address: string;
  private readonly client: Client;
  private readonly options: ConnectionOptions;
  private stream: BatchStream | undefined;
  private batchUnsupported = false;
  private streamRetryAtMs = 0;
  private closed = false;

  constructor(address: string, options: ConnectionOptions) {
    this.address = address;
    this.options = options;
    this.client = new Client(address, options.credentials, channelOptions(options.responseBytesMax));
  }

  callKv<K extends KvKind>(kind: K, request: KvMethods[K]['request'], deadlineMs: number): Promise<KvMethods[K]['response']> {
    const stream = this.maybeStream();
    if (stream !== undefined) return stream.send(kind, request, deadlineMs);
    return this.unary<KvMethods[K]['response']>(this.options.methods.kv[kind], request, deadlineMs);
  }

  /** An Auth service call (unary); `token`: sent instead of the current one (a login's proof of an earlier login). */
  callAuth<Response>(method: AuthMethod, request: object, deadlineMs: number, token?: string): Promise<Response> {
    return this.unary<Response>(this.options.methods.auth[method], request, deadlineMs, token);
  }

  /** Call metadata: the token, when there is one. */
  private metadata(tokenGiven?: string): Metadata {
    const metadata = new Metadata();
    const token = tokenGiven ?? this.options.token();
    if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
    return metadata;
  }

  callCluster<M extends ClusterMethod>(
    method: M,
    request: ClusterMethods[M]['request'],
    deadlineMs: number,
  ): Promise<ClusterMethods[M]['response']> {
    return this.unary<ClusterMethods[M]['response']>(this.options.methods.cluster[method], request, deadlineMs);
  }

  /**
   * Opens a server-streaming call and resolves once its first message arrives (before
   * `firstDeadlineMs`, else it is cancelled) with that message and an iterator over the rest,
   * which has no deadline: leaving the iteration early cancels the call. Failures are mapped
   * like every other call's.
   */
  openServerStream<Message>(
    method: AnyMethod,
    request: object,
    firstDeadlineMs: number,
    signal?: AbortSignal,
  ): Promise<{ first: Message; rest: AsyncIterable<Message> }> {
    const call = this.client.makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize as (bytes: Buffer) => Message,
      request,
      this.metadata(),
    );
    // Aborting cancels the call: the iteration then ends with a CANCELLED status.
    if (signal !== undefined) {
      if (signal.aborted) call.cancel();
      else signal.addEventListener('abort', () => call.cancel(), { once: true });
    }
    const messages = (async function* (): AsyncGenerator<Message> {
      try {
        for await (const message of call as AsyncIterable<Message>) yield message;
      } catch (thrown) {
        const error = thrown as Partial<ServiceError>;
        if (typeof error.code === 'number' && error.metadata !== undefined) {
          throw errorFromStatus({ code: error.code, details: error.details ?? '', metadata: error.metadata });
        }
        throw thrown;
      } finally {
        call.cancel();
      }
    })();
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        call.cancel();
      },
      Math.max(0, firstDeadlineMs - Date.now()),
    );
    return messages.next().then(
      (result) => {
        clearTimeout(timer);
        if (result.done === true) throw new InternalError(`${method.path} ended without a message`, { code: 'internal' });
        return { first: result.value, rest: messages };
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (timedOut) throw new DeadlineExceededError(`no answer to ${method.path} within the attempt's deadline`, { code: 'timeout' });
        throw error;
      },
    );
  }

  /** Opens a LeaseKeepAliveStream to this endpoint (keepalive-stream.ts multiplexes it). */
  openKeepAliveStream(onMessage: (response: LeaseKeepAliveStreamResponse__Output) => void, onEnd: (status: StreamStatus) => void): KeepAliveCall {
    const method = this.options.methods.leaseKeepAliveStream;
    const call = this.client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize as (bytes: Buffer) => LeaseKeepAliveStreamResponse__Output,
      this.metadata(),
    );
    call.on('data', onMessage);
    // 'error' repeats what 'status' says; listening keeps it from being thrown as unhandled.
    call.on('error', () => {});
    call.on('status', (status: StatusObject) => onEnd({ code: status.code, details: status.details, metadata: status.metadata }));
    return {
      write: (request: LeaseKeepAliveStreamRequest) => {
        call.write(request);
      },
      cancel: () => call.cancel(),
    };
  }

  /** True while KV calls go over the Batch stream (for tests and diagnostics). */
  get isStreaming(): boolean {
    return this.stream?.isUsable === true;
  }

  close(): void {
    this.closed = true;
    this.stream?.close();
    this.stream = undefined;
    this.client.close();
  }

  private maybeStream(): BatchStream | undefined {
    if (!this.options.batchEnabled || this.batchUnsupported || this.closed) return undefined;
    const token = this.options.token();
    // A stream says who the caller is when it opens: a renewed token needs a new one. The old
    // one still answers what it carries.
    if (this.stream?.isUsable && this.stream.token !== token) this.stream.retire();
    if (this.stream?.isUsable) return this.stream;
    if (Date.now() < this.streamRetryAtMs) return undefined;
    const stream = new BatchStream(this.client, this.options.methods.batch, {
      metadata: this.metadata(),
      token,
      pendingMax: this.options.streamPendingMax,
      frameOpsMax: this.options.streamFrameOpsMax,
      onEnd: (status) => {
        // A retired stream ends when it has answered what it carried: nothing failed.
        if (this.stream !== stream) return;
        this.stream = undefined;
        if (status.code === GrpcStatus.UNIMPLEMENTED) this.batchUnsupported = true;
        this.streamRetryAtMs = Date.now() + this.options.streamRetryDelayMs;
      },
    });
    this.stream = stream;
    return stream;
  }

  private unary<Response>(method: AnyMethod, request: object, deadlineMs: number, token?: string): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        this.metadata(token),
        { deadline: deadlineMs },
        (error: ServiceError | null, response?: object) => {
          if (error !== null) {
            reject(errorFromStatus({ code: error.code, details: error.details, metadata: error.metadata }));
            return;
          }
          resolve(response as Response);
        },
      );
    });
  }
}

// An in-process gRPC server speaking kv.proto, whose answers each test scripts. It serves every
// KV operation both as a unary call and over the Batch stream, through the same handler.
import {
  Metadata,
  Server,
  type ServerDuplexStream,
  type ServerWritableStream,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
  ServerCredentials,
  status as GrpcStatus,
  type UntypedHandleCall,
} from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';

export type Operation = 'put' | 'get' | 'delete' | 'range' | 'txn' | 'compact';
export type ClusterOperation =
  | 'Status'
  | 'MemberList'
  | 'MemberAddLearner'
  | 'MemberPromote'
  | 'MemberRemove'
  | 'TransferLeadership'
  | 'SetPlacement';

/** Thrown by a handler to answer with a gRPC status and holdfast metadata. */
export class FakeFailure extends Error {
  readonly code: number;
  readonly kind: string;
  readonly leader: string;
  constructor(options: { code: number; kind?: string; leader?: string; message?: string }) {
    super(options.message ?? options.kind ?? 'failure');
    this.code = options.code;
    this.kind = options.kind ?? '';
    this.leader = options.leader ?? '';
  }
}

export type Request = Record<string, unknown>;
export type Handler = (request: Request, via: 'unary' | 'batch') => unknown;

export interface FakeServerOptions {
  kv?: Partial<Record<Operation, Handler>>;
  cluster?: Partial<Record<ClusterOperation, Handler>>;
  /** false = the server does not implement Batch (the client must fall back to unary). */
  batch?: boolean;
  /** Runs for each Batch stream request before the handler; may hold or break the stream. */
  onBatchRequest?: (stream: FakeBatchStream, request: Request) => void;
  /** Serves KV.Watch: called for each stream opened (absent: UNIMPLEMENTED). */
  onWatch?: (stream: FakeWatchStream) => void;
  /** Serves Auth.Authenticate (absent: UNIMPLEMENTED). */
  authenticate?: Handler;
}

export interface FakeWatchStream {
  readonly request: Request;
  /** The token the stream was opened with (its authorization header without "Bearer "). */
  readonly token: string | undefined;
  send(response: Record<string, unknown>): void;
  /** Ends the stream with this status and holdfast error kind. */
  fail(failure: FakeFailure): void;
}

export interface FakeBatchStream {
  index: number;
  /** Ends the stream with this status (the client sees it break). */
  breakWith(code: number, details: string): void;
  /** Answers a request now (used by tests that hold answers to reorder them). */
  answer(request: Request): Promise<void>;
}

export interface RecordedCall {
  operation: string;
  via: 'unary' | 'batch';
  request: Request;
}

export interface FakeServer {
  address: string;
  /** KV calls, unary and batch. */
  calls: RecordedCall[];
  /** Cluster service calls (the client also makes some in the background to find the leader). */
  clusterCalls: RecordedCall[];
  /** Auth service calls. */
  authCalls: RecordedCall[];
  /** Watch streams opened, in order. */
  watches: FakeWatchStream[];
  streamsOpened: number;
  /** Requests in each Batch stream message received, in arrival order. */
  frameSizes: number[];
  stop(): Promise<void>;
}

const { definition } = loadProtos();
const kvService = definition['holdfast.v1.KV'] as ServiceDefinition;
const clusterService = definition['holdfast.v1.Cluster'] as ServiceDefinition;
const authService = definition['holdfast.v1.Auth'] as ServiceDefinition;

const kvMethodNames: Record<Operation, string> = {
  put: 'Put',
  get: 'Get',
  delete: 'Delete',
  range: 'Range',
  txn: 'Txn',
  compact: 'Compact',
};

function failureMetadata(failure: FakeFailure): Metadata {
  const metadata = new Metadata();
  if (failure.kind !== '') metadata.set('holdfast-error', failure.kind);
  if (failure.leader !== '') metadata.set('holdfast-leader', failure.leader);
  return metadata;
}

function unaryHandler(
  operation: string,
  handler: Handler | undefined,
  record: RecordedCall[],
): UntypedHandleCall {
  return (call: ServerUnaryCall<Request, unknown>, callback: sendUnaryData<unknown>) => {
    record.push({ operation, via: 'unary', request: call.request });
    if (handler === undefined) {
      callback({ code: GrpcStatus.UNIMPLEMENTED, details: `${operation} not scripted` });
      return;
    }
    Promise.resolve()
      .then(() => handler(call.request, 'unary'))
      .then(
        (response) => callback(null, response),
        (error: unknown) => {
          if (error instanceof FakeFailure) {
            callback({ code: error.code, details: error.message, metadata: failureMetadata(error) });
          } else {
            callback({ code: GrpcStatus.INTERNAL, details: String(error) });
          }
        },
      );
  };
}

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const server = new Server();
  const fake: FakeServer = {
    address: '',
    calls: [],
    clusterCalls: [],
    authCalls: [],
    watches: [],
    streamsOpened: 0,
    frameSizes: [],
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
  const kvHandlers: Record<string, UntypedHandleCall> = {};
  for (const [operation, method] of Object.entries(kvMethodNames)) {
    kvHandlers[method] = unaryHandler(operation, options.kv?.[operation as Operation], fake.calls);
  }
  kvHandlers['Batch'] = (call: ServerDuplexStream<Request, unknown>) => {
    if (options.batch === false) {
      call.emit('error', { code: GrpcStatus.UNIMPLEMENTED, details: 'Batch not served' });
      return;
    }
    const stream = batchStream(call, fake, options);
    call.on('data', (frame: { requests: Request[] }) => {
      fake.frameSizes.push(frame.requests.length);
      for (const request of frame.requests) {
        if (options.onBatchRequest !== undefined) options.onBatchRequest(stream, request);
        else void stream.answer(request);
      }
    });
    call.on('end', () => call.end());
  };
  kvHandlers['Watch'] = (call: ServerWritableStream<Request, unknown>) => {
    const header = call.metadata.get('authorization')[0];
    const stream: FakeWatchStream = {
      request: call.request,
      token: typeof header === 'string' ? header.replace(/^Bearer /, '') : undefined,
      send: (response) => call.write(response),
      fail: (failure) => call.emit('error', { code: failure.code, details: failure.message, metadata: failureMetadata(failure) }),
    };
    fake.watches.push(stream);
    if (options.onWatch === undefined) call.emit('error', { code: GrpcStatus.UNIMPLEMENTED, details: 'Watch not scripted' });
    else options.onWatch(stream);
  };
  server.addService(kvService, kvHandlers);
  server.addService(authService, { Authenticate: unaryHandler('Authenticate', options.authenticate, fake.authCalls) });
  const clusterHandlers: Record<string, UntypedHandleCall> = {};
  for (const name of Object.keys(clusterService)) {
    clusterHandlers[name] = unaryHandler(name, options.cluster?.[name as ClusterOperation], fake.clusterCalls);
  }
  server.addService(clusterService, clusterHandlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  fake.address = `127.0.0.1:${port}`;
  return fake;
}

function batchStream(
  call: ServerDuplexStream<Request, unknown>,
  fake: FakeServer,
  options: FakeServerOptions,
): FakeBatchStream {
  fake.streamsOpened += 1;
  let ended = false;
  return {
    index: fake.streamsOpened,
    breakWith(code, details) {
      if (ended) return;
      ended = true;
      call.emit('error', { code, details });
    },
    async answer(request) {
      const operation = request['op'] as Operation;
      fake.calls.push({ operation, via: 'batch', request: request[operation] as Request });
      const handler = options.kv?.[operation];
      let response: Record<string, unknown>;
      try {
        if (handler === undefined) throw new FakeFailure({ code: GrpcStatus.UNIMPLEMENTED, kind: '' });
        response = { id: request['id'], [operation]: await handler(request[operation] as Request, 'batch') };
      } catch (error: unknown) {
        const failure =
          error instanceof FakeFailure ? error : new FakeFailure({ code: GrpcStatus.INTERNAL, kind: 'internal' });
        response = {
          id: request['id'],
          error: { code: failure.code, kind: failure.kind, message: failure.message, leader: failure.leader },
        };
      }
      if (!ended) call.write({ responses: [response] });
    },
  };
}

/** A put answer: header plus the given revision. */
export function putAnswer(revision: number): Record<string, unknown> {
  return { header: { memberId: 1, term: 1, revision }, revision };
}

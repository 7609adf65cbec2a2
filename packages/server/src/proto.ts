/**
 * Loads the wire contracts at run time with @grpc/proto-loader and gives them narrow,
 * hand-written TypeScript shapes. Hand-written rather than generated: the generated types mark
 * every field optional on input and fight exactOptionalPropertyTypes; the loader's options
 * (`defaults: true`, `oneofs: true`, longs as Number, enums as String) guarantee these shapes.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_DIR = fileURLToPath(new URL('../../../proto', import.meta.url));
export const PROTO_FILES = ['holdfast/v1/kv.proto', 'holdfast/v1/raft.proto'];

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export interface Protos {
  readonly definition: protoLoader.PackageDefinition;
  readonly kv: grpc.ServiceDefinition;
  readonly cluster: grpc.ServiceDefinition;
  readonly raft: grpc.ServiceDefinition;
  readonly KvClient: grpc.ServiceClientConstructor;
  readonly ClusterClient: grpc.ServiceClientConstructor;
  readonly RaftClient: grpc.ServiceClientConstructor;
}

let cached: Protos | undefined;

export function loadProtos(): Protos {
  if (cached) return cached;
  const definition = protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    holdfast: { v1: Record<string, grpc.ServiceClientConstructor> };
  };
  const v1 = root.holdfast.v1;
  const pick = (name: string): grpc.ServiceClientConstructor => {
    const ctor = v1[name];
    if (!ctor) throw new Error(`proto service holdfast.v1.${name} not found in ${PROTO_DIR}`);
    return ctor;
  };
  const KvClient = pick('KV');
  const ClusterClient = pick('Cluster');
  const RaftClient = pick('Raft');
  cached = {
    definition,
    kv: KvClient.service,
    cluster: ClusterClient.service,
    raft: RaftClient.service,
    KvClient,
    ClusterClient,
    RaftClient,
  };
  return cached;
}

// ---- kv.proto shapes (as decoded with defaults: every scalar present, messages may be null) ----

export type Consistency = 'LINEARIZABLE' | 'SERIALIZABLE';

export interface ResponseHeader {
  clusterId: string;
  memberId: number;
  term: number;
  revision: number;
}

export interface KeyValue {
  key: Uint8Array;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
}

export interface Session {
  clientId: string;
  sequence: number;
}

export interface PutRequest {
  key: Uint8Array;
  value: Uint8Array;
  ifAbsent: boolean;
  ifModRevision: number;
  prevKv: boolean;
  session: Session | null;
}
export interface PutResponse {
  header: ResponseHeader;
  prevKv: KeyValue | null;
  revision: number;
}

export interface GetRequest {
  key: Uint8Array;
  consistency: Consistency;
}
export interface GetResponse {
  header: ResponseHeader;
  found: boolean;
  kv: KeyValue | null;
}

export interface DeleteRequest {
  key: Uint8Array;
  ifModRevision: number;
  prevKv: boolean;
  session: Session | null;
}
export interface DeleteResponse {
  header: ResponseHeader;
  deleted: boolean;
  prevKv: KeyValue | null;
  revision: number;
}

export interface RangeRequest {
  start: Uint8Array;
  end: Uint8Array;
  prefix: Uint8Array;
  limit: number;
  keysOnly: boolean;
  continuation: Uint8Array;
  consistency: Consistency;
}
export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  continuation: Uint8Array;
}

export type CompareTarget = 'VALUE' | 'VERSION' | 'MOD_REVISION' | 'CREATE_REVISION';
export type CompareOp = 'EQUAL' | 'NOT_EQUAL' | 'LESS' | 'GREATER';
export interface Compare {
  key: Uint8Array;
  target: CompareTarget;
  op: CompareOp;
  value: Uint8Array;
  number: number;
}

export interface TxnOp {
  put?: PutRequest | null;
  get?: GetRequest | null;
  delete?: DeleteRequest | null;
  op?: 'put' | 'get' | 'delete';
}
export interface TxnOpResult {
  put?: PutResponse;
  get?: GetResponse;
  delete?: DeleteResponse;
}
export interface TxnRequest {
  compare: Compare[];
  success: TxnOp[];
  failure: TxnOp[];
  session: Session | null;
}
export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  results: TxnOpResult[];
  revision: number;
}

export interface BatchRequest {
  id: number;
  put?: PutRequest | null;
  get?: GetRequest | null;
  delete?: DeleteRequest | null;
  range?: RangeRequest | null;
  txn?: TxnRequest | null;
  op?: 'put' | 'get' | 'delete' | 'range' | 'txn';
  timeoutMs: number;
}
/** One Batch stream message: several requests. */
export interface BatchRequests {
  requests: BatchRequest[];
}
export interface BatchResponses {
  responses: BatchResponse[];
}
export interface BatchError {
  code: number;
  kind: string;
  message: string;
  leader: string;
}
export interface BatchResponse {
  id: number;
  put?: PutResponse;
  get?: GetResponse;
  delete?: DeleteResponse;
  range?: RangeResponse;
  txn?: TxnResponse;
  error?: BatchError;
}

export interface Member {
  id: number;
  name: string;
  region: string;
  clientAddress: string;
  peerAddress: string;
  learner: boolean;
}

export interface FollowerProgress {
  id: number;
  matchIndex: number;
  nextIndex: number;
  state: string;
}

export interface MemberStatus {
  member: Member;
  role: string;
  term: number;
  leaderId: number;
  commitIndex: number;
  appliedIndex: number;
  followers: FollowerProgress[];
  error: string;
}

export interface StatusResponse {
  header: ResponseHeader;
  leaderId: number;
  members: MemberStatus[];
}

// ---- raft.proto shapes ----

export interface RaftBatch {
  clusterId: string;
  from: number;
  to: number;
  messages: Uint8Array;
}
export interface RaftAck {
  batches: number;
  error: string;
}
export interface SnapshotChunk {
  clusterId: string;
  from: number;
  to: number;
  message: Uint8Array;
  data: Uint8Array;
  last: boolean;
}
export interface SnapshotAck {
  ok: boolean;
  error: string;
}

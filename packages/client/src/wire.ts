// Narrow, hand-written shapes of the kv.proto messages as @grpc/proto-loader encodes and decodes
// them with { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true }.
// Hand-written rather than generated because the generated types mark every field optional,
// which fights exactOptionalPropertyTypes on every read; these say what the decoder guarantees.
//
// Requests: bytes must be Uint8Array (protobufjs reads a string in a bytes field as base64).
// Responses: with `defaults: true` every scalar is present; message fields are null when absent.

export type WireConsistency = 'LINEARIZABLE' | 'SERIALIZABLE';

export interface WireHeader {
  clusterId: string;
  memberId: number;
  term: number;
  revision: number;
}

export interface WireKeyValue {
  key: Uint8Array;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
}

export interface WireSession {
  clientId: string;
  sequence: number;
}

export interface WirePutRequest {
  key: Uint8Array;
  value: Uint8Array;
  ifAbsent?: boolean;
  ifModRevision?: number;
  prevKv?: boolean;
  session?: WireSession;
}
export interface WirePutResponse {
  header: WireHeader | null;
  prevKv: WireKeyValue | null;
  revision: number;
}

export interface WireGetRequest {
  key: Uint8Array;
  consistency?: WireConsistency;
}
export interface WireGetResponse {
  header: WireHeader | null;
  found: boolean;
  kv: WireKeyValue | null;
}

export interface WireDeleteRequest {
  key: Uint8Array;
  ifModRevision?: number;
  prevKv?: boolean;
  session?: WireSession;
}
export interface WireDeleteResponse {
  header: WireHeader | null;
  deleted: boolean;
  prevKv: WireKeyValue | null;
  revision: number;
}

export interface WireRangeRequest {
  start?: Uint8Array;
  end?: Uint8Array;
  prefix?: Uint8Array;
  limit?: number;
  keysOnly?: boolean;
  continuation?: Uint8Array;
  consistency?: WireConsistency;
}
export interface WireRangeResponse {
  header: WireHeader | null;
  kvs: WireKeyValue[];
  more: boolean;
  continuation: Uint8Array;
}

export type WireCompareTarget = 'VALUE' | 'VERSION' | 'MOD_REVISION' | 'CREATE_REVISION';
export type WireCompareOp = 'EQUAL' | 'NOT_EQUAL' | 'LESS' | 'GREATER';

export interface WireCompare {
  key: Uint8Array;
  target: WireCompareTarget;
  op: WireCompareOp;
  value?: Uint8Array;
  number?: number;
}

export type WireTxnOp = { put: WirePutRequest } | { get: WireGetRequest } | { delete: WireDeleteRequest };

export interface WireTxnOpResult {
  result?: 'put' | 'get' | 'delete';
  put?: WirePutResponse | null;
  get?: WireGetResponse | null;
  delete?: WireDeleteResponse | null;
}

export interface WireTxnRequest {
  compare: WireCompare[];
  success: WireTxnOp[];
  failure: WireTxnOp[];
  session?: WireSession;
}
export interface WireTxnResponse {
  header: WireHeader | null;
  succeeded: boolean;
  results: WireTxnOpResult[];
  revision: number;
}

/** The operations the KV service serves, by their oneof field name in BatchRequest. */
export interface KvMethods {
  put: { request: WirePutRequest; response: WirePutResponse };
  get: { request: WireGetRequest; response: WireGetResponse };
  delete: { request: WireDeleteRequest; response: WireDeleteResponse };
  range: { request: WireRangeRequest; response: WireRangeResponse };
  txn: { request: WireTxnRequest; response: WireTxnResponse };
}
export type KvKind = keyof KvMethods;

export interface WireBatchError {
  code: number;
  kind: string;
  message: string;
  leader: string;
}

export interface WireBatchResponse {
  id: number;
  result?: KvKind | 'error';
  put?: WirePutResponse | null;
  get?: WireGetResponse | null;
  delete?: WireDeleteResponse | null;
  range?: WireRangeResponse | null;
  txn?: WireTxnResponse | null;
  error?: WireBatchError | null;
}

/** One Batch stream message from the server: several answers. */
export interface WireBatchResponses {
  responses: WireBatchResponse[];
}

export interface WireMember {
  id: number;
  name: string;
  region: string;
  clientAddress: string;
  peerAddress: string;
  learner: boolean;
}

export interface WireFollowerProgress {
  id: number;
  matchIndex: number;
  nextIndex: number;
  state: string;
}

export interface WireMemberStatus {
  member: WireMember | null;
  role: string;
  term: number;
  leaderId: number;
  commitIndex: number;
  appliedIndex: number;
  followers: WireFollowerProgress[];
  error: string;
}

export interface WireStatusResponse {
  header: WireHeader | null;
  leaderId: number;
  members: WireMemberStatus[];
}

export interface WireMemberListResponse {
  header: WireHeader | null;
  members: WireMember[];
}

export interface WireMemberAddLearnerRequest {
  name: string;
  region: string;
  clientAddress: string;
  peerAddress: string;
}
export interface WireMemberAddLearnerResponse {
  header: WireHeader | null;
  member: WireMember | null;
  members: WireMember[];
}

export interface WireMembersResponse {
  header: WireHeader | null;
  members: WireMember[];
}

export interface WireTransferLeadershipResponse {
  header: WireHeader | null;
  leaderId: number;
}

/** The Cluster service's methods: request and response shapes. */
export interface ClusterMethods {
  Status: { request: { localOnly?: boolean }; response: WireStatusResponse };
  MemberList: { request: Record<string, never>; response: WireMemberListResponse };
  MemberAddLearner: { request: WireMemberAddLearnerRequest; response: WireMemberAddLearnerResponse };
  MemberPromote: { request: { id: number }; response: WireMembersResponse };
  MemberRemove: { request: { id: number }; response: WireMembersResponse };
  TransferLeadership: { request: { targetId: number }; response: WireTransferLeadershipResponse };
}
export type ClusterMethod = keyof ClusterMethods;

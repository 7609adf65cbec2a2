// The SDK's view of the contract, per method: what it writes (the generated input types of
// @holdfast/protocol) and what it reads back (their `__Output` types: every scalar present,
// message fields null when absent).
import type {
  DeleteRequest,
  DeleteResponse__Output,
  GetRequest,
  GetResponse__Output,
  LeaseGrantRequest,
  LeaseGrantResponse__Output,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse__Output,
  LeaseListRequest,
  CompactRequest,
  CompactResponse__Output,
  LeaseListResponse__Output,
  LeaseRevokeRequest,
  LeaseRevokeResponse__Output,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse__Output,
  MemberAddLearnerRequest,
  MemberAddLearnerResponse__Output,
  MemberListRequest,
  MemberListResponse__Output,
  MemberPromoteRequest,
  MemberPromoteResponse__Output,
  MemberRemoveRequest,
  MemberRemoveResponse__Output,
  PutRequest,
  PutResponse__Output,
  RangeRequest,
  RangeResponse__Output,
  SetPlacementRequest,
  SetPlacementResponse__Output,
  StatusRequest,
  StatusResponse__Output,
  TransferLeadershipRequest,
  TransferLeadershipResponse__Output,
  TxnRequest,
  TxnResponse__Output,
} from '@holdfast/protocol';

/** The operations the KV service serves, by their oneof field name in BatchRequest. */
export interface KvMethods {
  put: { request: PutRequest; response: PutResponse__Output };
  get: { request: GetRequest; response: GetResponse__Output };
  delete: { request: DeleteRequest; response: DeleteResponse__Output };
  range: { request: RangeRequest; response: RangeResponse__Output };
  txn: { request: TxnRequest; response: TxnResponse__Output };
  leaseGrant: { request: LeaseGrantRequest; response: LeaseGrantResponse__Output };
  leaseRevoke: { request: LeaseRevokeRequest; response: LeaseRevokeResponse__Output };
  leaseKeepAlive: { request: LeaseKeepAliveRequest; response: LeaseKeepAliveResponse__Output };
  leaseTimeToLive: { request: LeaseTimeToLiveRequest; response: LeaseTimeToLiveResponse__Output };
  leaseList: { request: LeaseListRequest; response: LeaseListResponse__Output };
  compact: { request: CompactRequest; response: CompactResponse__Output };
}
export type KvKind = keyof KvMethods;

/** The Cluster service's methods: request and response shapes. */
export interface ClusterMethods {
  Status: { request: StatusRequest; response: StatusResponse__Output };
  MemberList: { request: MemberListRequest; response: MemberListResponse__Output };
  MemberAddLearner: { request: MemberAddLearnerRequest; response: MemberAddLearnerResponse__Output };
  MemberPromote: { request: MemberPromoteRequest; response: MemberPromoteResponse__Output };
  MemberRemove: { request: MemberRemoveRequest; response: MemberRemoveResponse__Output };
  TransferLeadership: { request: TransferLeadershipRequest; response: TransferLeadershipResponse__Output };
  SetPlacement: { request: SetPlacementRequest; response: SetPlacementResponse__Output };
}
export type ClusterMethod = keyof ClusterMethods;

/** The Auth service's methods (requests and responses are read as the generated types in auth.ts). */
export const AUTH_METHODS = [
  'Authenticate',
  'AuthEnable',
  'AuthDisable',
  'AuthStatus',
  'RotateSigningKey',
  'UserAdd',
  'UserDelete',
  'UserChangePassword',
  'UserGrantRole',
  'UserRevokeRole',
  'UserList',
  'RoleAdd',
  'RoleDelete',
  'RoleGrant',
  'RoleRevoke',
  'RoleList',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

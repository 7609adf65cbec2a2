// Original file: proto/holdfast/v1/kv.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BackupChunk as _holdfast_v1_BackupChunk, BackupChunk__Output as _holdfast_v1_BackupChunk__Output } from '../../holdfast/v1/BackupChunk.js';
import type { BackupRequest as _holdfast_v1_BackupRequest, BackupRequest__Output as _holdfast_v1_BackupRequest__Output } from '../../holdfast/v1/BackupRequest.js';
import type { MemberAddLearnerRequest as _holdfast_v1_MemberAddLearnerRequest, MemberAddLearnerRequest__Output as _holdfast_v1_MemberAddLearnerRequest__Output } from '../../holdfast/v1/MemberAddLearnerRequest.js';
import type { MemberAddLearnerResponse as _holdfast_v1_MemberAddLearnerResponse, MemberAddLearnerResponse__Output as _holdfast_v1_MemberAddLearnerResponse__Output } from '../../holdfast/v1/MemberAddLearnerResponse.js';
import type { MemberListRequest as _holdfast_v1_MemberListRequest, MemberListRequest__Output as _holdfast_v1_MemberListRequest__Output } from '../../holdfast/v1/MemberListRequest.js';
import type { MemberListResponse as _holdfast_v1_MemberListResponse, MemberListResponse__Output as _holdfast_v1_MemberListResponse__Output } from '../../holdfast/v1/MemberListResponse.js';
import type { MemberPromoteRequest as _holdfast_v1_MemberPromoteRequest, MemberPromoteRequest__Output as _holdfast_v1_MemberPromoteRequest__Output } from '../../holdfast/v1/MemberPromoteRequest.js';
import type { MemberPromoteResponse as _holdfast_v1_MemberPromoteResponse, MemberPromoteResponse__Output as _holdfast_v1_MemberPromoteResponse__Output } from '../../holdfast/v1/MemberPromoteResponse.js';
import type { MemberRemoveRequest as _holdfast_v1_MemberRemoveRequest, MemberRemoveRequest__Output as _holdfast_v1_MemberRemoveRequest__Output } from '../../holdfast/v1/MemberRemoveRequest.js';
import type { MemberRemoveResponse as _holdfast_v1_MemberRemoveResponse, MemberRemoveResponse__Output as _holdfast_v1_MemberRemoveResponse__Output } from '../../holdfast/v1/MemberRemoveResponse.js';
import type { SetPlacementRequest as _holdfast_v1_SetPlacementRequest, SetPlacementRequest__Output as _holdfast_v1_SetPlacementRequest__Output } from '../../holdfast/v1/SetPlacementRequest.js';
import type { SetPlacementResponse as _holdfast_v1_SetPlacementResponse, SetPlacementResponse__Output as _holdfast_v1_SetPlacementResponse__Output } from '../../holdfast/v1/SetPlacementResponse.js';
import type { StatusRequest as _holdfast_v1_StatusRequest, StatusRequest__Output as _holdfast_v1_StatusRequest__Output } from '../../holdfast/v1/StatusRequest.js';
import type { StatusResponse as _holdfast_v1_StatusResponse, StatusResponse__Output as _holdfast_v1_StatusResponse__Output } from '../../holdfast/v1/StatusResponse.js';
import type { TransferLeadershipRequest as _holdfast_v1_TransferLeadershipRequest, TransferLeadershipRequest__Output as _holdfast_v1_TransferLeadershipRequest__Output } from '../../holdfast/v1/TransferLeadershipRequest.js';
import type { TransferLeadershipResponse as _holdfast_v1_TransferLeadershipResponse, TransferLeadershipResponse__Output as _holdfast_v1_TransferLeadershipResponse__Output } from '../../holdfast/v1/TransferLeadershipResponse.js';

export interface ClusterClient extends grpc.Client {
  /**
   * A backup: the answering member's whole state (keys with their revisions, client sessions)
   * as a stream of self-checking chunks, taken after a read barrier, so it holds every write
   * acknowledged before the call. Written to a file as it comes, it seeds a new cluster
   * (`holdfast node --restore-backup FILE`).
   */
  Backup(argument: _holdfast_v1_BackupRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_holdfast_v1_BackupChunk__Output>;
  Backup(argument: _holdfast_v1_BackupRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_holdfast_v1_BackupChunk__Output>;
  /**
   * A backup: the answering member's whole state (keys with their revisions, client sessions)
   * as a stream of self-checking chunks, taken after a read barrier, so it holds every write
   * acknowledged before the call. Written to a file as it comes, it seeds a new cluster
   * (`holdfast node --restore-backup FILE`).
   */
  backup(argument: _holdfast_v1_BackupRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_holdfast_v1_BackupChunk__Output>;
  backup(argument: _holdfast_v1_BackupRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_holdfast_v1_BackupChunk__Output>;
  
  MemberAddLearner(argument: _holdfast_v1_MemberAddLearnerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberAddLearnerResponse__Output>): grpc.ClientUnaryCall;
  MemberAddLearner(argument: _holdfast_v1_MemberAddLearnerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_MemberAddLearnerResponse__Output>): grpc.ClientUnaryCall;
  MemberAddLearner(argument: _holdfast_v1_MemberAddLearnerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberAddLearnerResponse__Output>): grpc.ClientUnaryCall;
  MemberAddLearner(argument: _holdfast_v1_MemberAddLearnerRequest, callback: grpc.requestCallback<_holdfast_v1_MemberAddLearnerResponse__Output>): grpc.ClientUnaryCall;
  memberAddLearner(argument: _holdfast_v1_MemberAddLearnerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberAddLearnerResponse__Output>): grpc.ClientUnaryCall;
  memberAddLearner(argument: _holdfast_v1_MemberAddLearnerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_MemberAddLearnerResponse__Output>): grpc.ClientUnaryCall;
  memberAddLearner(argument: _holdfast_v1_MemberAddLearnerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberAddLearnerResponse__Output>): grpc.ClientUnaryCall;
  memberAddLearner(argument: _holdfast_v1_MemberAddLearnerRequest, callback: grpc.requestCallback<_holdfast_v1_MemberAddLearnerResponse__Output>): grpc.ClientUnaryCall;
  
  MemberList(argument: _holdfast_v1_MemberListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberListResponse__Output>): grpc.ClientUnaryCall;
  MemberList(argument: _holdfast_v1_MemberListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_MemberListResponse__Output>): grpc.ClientUnaryCall;
  MemberList(argument: _holdfast_v1_MemberListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberListResponse__Output>): grpc.ClientUnaryCall;
  MemberList(argument: _holdfast_v1_MemberListRequest, callback: grpc.requestCallback<_holdfast_v1_MemberListResponse__Output>): grpc.ClientUnaryCall;
  memberList(argument: _holdfast_v1_MemberListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberListResponse__Output>): grpc.ClientUnaryCall;
  memberList(argument: _holdfast_v1_MemberListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_MemberListResponse__Output>): grpc.ClientUnaryCall;
  memberList(argument: _holdfast_v1_MemberListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberListResponse__Output>): grpc.ClientUnaryCall;
  memberList(argument: _holdfast_v1_MemberListRequest, callback: grpc.requestCallback<_holdfast_v1_MemberListResponse__Output>): grpc.ClientUnaryCall;
  
  MemberPromote(argument: _holdfast_v1_MemberPromoteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberPromoteResponse__Output>): grpc.ClientUnaryCall;
  MemberPromote(argument: _holdfast_v1_MemberPromoteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_MemberPromoteResponse__Output>): grpc.ClientUnaryCall;
  MemberPromote(argument: _holdfast_v1_MemberPromoteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberPromoteResponse__Output>): grpc.ClientUnaryCall;
  MemberPromote(argument: _holdfast_v1_MemberPromoteRequest, callback: grpc.requestCallback<_holdfast_v1_MemberPromoteResponse__Output>): grpc.ClientUnaryCall;
  memberPromote(argument: _holdfast_v1_MemberPromoteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberPromoteResponse__Output>): grpc.ClientUnaryCall;
  memberPromote(argument: _holdfast_v1_MemberPromoteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_MemberPromoteResponse__Output>): grpc.ClientUnaryCall;
  memberPromote(argument: _holdfast_v1_MemberPromoteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberPromoteResponse__Output>): grpc.ClientUnaryCall;
  memberPromote(argument: _holdfast_v1_MemberPromoteRequest, callback: grpc.requestCallback<_holdfast_v1_MemberPromoteResponse__Output>): grpc.ClientUnaryCall;
  
  MemberRemove(argument: _holdfast_v1_MemberRemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberRemoveResponse__Output>): grpc.ClientUnaryCall;
  MemberRemove(argument: _holdfast_v1_MemberRemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_MemberRemoveResponse__Output>): grpc.ClientUnaryCall;
  MemberRemove(argument: _holdfast_v1_MemberRemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberRemoveResponse__Output>): grpc.ClientUnaryCall;
  MemberRemove(argument: _holdfast_v1_MemberRemoveRequest, callback: grpc.requestCallback<_holdfast_v1_MemberRemoveResponse__Output>): grpc.ClientUnaryCall;
  memberRemove(argument: _holdfast_v1_MemberRemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberRemoveResponse__Output>): grpc.ClientUnaryCall;
  memberRemove(argument: _holdfast_v1_MemberRemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_MemberRemoveResponse__Output>): grpc.ClientUnaryCall;
  memberRemove(argument: _holdfast_v1_MemberRemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_MemberRemoveResponse__Output>): grpc.ClientUnaryCall;
  memberRemove(argument: _holdfast_v1_MemberRemoveRequest, callback: grpc.requestCallback<_holdfast_v1_MemberRemoveResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Replaces the cluster's placement setting (leader regions, survival goal) through the log.
   * Refused (invalid-argument, naming the layout) when the goal is `region` and the voters'
   * layout does not survive the loss of a region.
   */
  SetPlacement(argument: _holdfast_v1_SetPlacementRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_SetPlacementResponse__Output>): grpc.ClientUnaryCall;
  SetPlacement(argument: _holdfast_v1_SetPlacementRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_SetPlacementResponse__Output>): grpc.ClientUnaryCall;
  SetPlacement(argument: _holdfast_v1_SetPlacementRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_SetPlacementResponse__Output>): grpc.ClientUnaryCall;
  SetPlacement(argument: _holdfast_v1_SetPlacementRequest, callback: grpc.requestCallback<_holdfast_v1_SetPlacementResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Replaces the cluster's placement setting (leader regions, survival goal) through the log.
   * Refused (invalid-argument, naming the layout) when the goal is `region` and the voters'
   * layout does not survive the loss of a region.
   */
  setPlacement(argument: _holdfast_v1_SetPlacementRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_SetPlacementResponse__Output>): grpc.ClientUnaryCall;
  setPlacement(argument: _holdfast_v1_SetPlacementRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_SetPlacementResponse__Output>): grpc.ClientUnaryCall;
  setPlacement(argument: _holdfast_v1_SetPlacementRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_SetPlacementResponse__Output>): grpc.ClientUnaryCall;
  setPlacement(argument: _holdfast_v1_SetPlacementRequest, callback: grpc.requestCallback<_holdfast_v1_SetPlacementResponse__Output>): grpc.ClientUnaryCall;
  
  Status(argument: _holdfast_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _holdfast_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _holdfast_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _holdfast_v1_StatusRequest, callback: grpc.requestCallback<_holdfast_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _holdfast_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _holdfast_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _holdfast_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _holdfast_v1_StatusRequest, callback: grpc.requestCallback<_holdfast_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
  TransferLeadership(argument: _holdfast_v1_TransferLeadershipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _holdfast_v1_TransferLeadershipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _holdfast_v1_TransferLeadershipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _holdfast_v1_TransferLeadershipRequest, callback: grpc.requestCallback<_holdfast_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _holdfast_v1_TransferLeadershipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _holdfast_v1_TransferLeadershipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _holdfast_v1_TransferLeadershipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _holdfast_v1_TransferLeadershipRequest, callback: grpc.requestCallback<_holdfast_v1_TransferLeadershipResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ClusterHandlers extends grpc.UntypedServiceImplementation {
  /**
   * A backup: the answering member's whole state (keys with their revisions, client sessions)
   * as a stream of self-checking chunks, taken after a read barrier, so it holds every write
   * acknowledged before the call. Written to a file as it comes, it seeds a new cluster
   * (`holdfast node --restore-backup FILE`).
   */
  Backup: grpc.handleServerStreamingCall<_holdfast_v1_BackupRequest__Output, _holdfast_v1_BackupChunk>;
  
  MemberAddLearner: grpc.handleUnaryCall<_holdfast_v1_MemberAddLearnerRequest__Output, _holdfast_v1_MemberAddLearnerResponse>;
  
  MemberList: grpc.handleUnaryCall<_holdfast_v1_MemberListRequest__Output, _holdfast_v1_MemberListResponse>;
  
  MemberPromote: grpc.handleUnaryCall<_holdfast_v1_MemberPromoteRequest__Output, _holdfast_v1_MemberPromoteResponse>;
  
  MemberRemove: grpc.handleUnaryCall<_holdfast_v1_MemberRemoveRequest__Output, _holdfast_v1_MemberRemoveResponse>;
  
  /**
   * Replaces the cluster's placement setting (leader regions, survival goal) through the log.
   * Refused (invalid-argument, naming the layout) when the goal is `region` and the voters'
   * layout does not survive the loss of a region.
   */
  SetPlacement: grpc.handleUnaryCall<_holdfast_v1_SetPlacementRequest__Output, _holdfast_v1_SetPlacementResponse>;
  
  Status: grpc.handleUnaryCall<_holdfast_v1_StatusRequest__Output, _holdfast_v1_StatusResponse>;
  
  TransferLeadership: grpc.handleUnaryCall<_holdfast_v1_TransferLeadershipRequest__Output, _holdfast_v1_TransferLeadershipResponse>;
  
}

export interface ClusterDefinition extends grpc.ServiceDefinition {
  Backup: MethodDefinition<_holdfast_v1_BackupRequest, _holdfast_v1_BackupChunk, _holdfast_v1_BackupRequest__Output, _holdfast_v1_BackupChunk__Output>
  MemberAddLearner: MethodDefinition<_holdfast_v1_MemberAddLearnerRequest, _holdfast_v1_MemberAddLearnerResponse, _holdfast_v1_MemberAddLearnerRequest__Output, _holdfast_v1_MemberAddLearnerResponse__Output>
  MemberList: MethodDefinition<_holdfast_v1_MemberListRequest, _holdfast_v1_MemberListResponse, _holdfast_v1_MemberListRequest__Output, _holdfast_v1_MemberListResponse__Output>
  MemberPromote: MethodDefinition<_holdfast_v1_MemberPromoteRequest, _holdfast_v1_MemberPromoteResponse, _holdfast_v1_MemberPromoteRequest__Output, _holdfast_v1_MemberPromoteResponse__Output>
  MemberRemove: MethodDefinition<_holdfast_v1_MemberRemoveRequest, _holdfast_v1_MemberRemoveResponse, _holdfast_v1_MemberRemoveRequest__Output, _holdfast_v1_MemberRemoveResponse__Output>
  SetPlacement: MethodDefinition<_holdfast_v1_SetPlacementRequest, _holdfast_v1_SetPlacementResponse, _holdfast_v1_SetPlacementRequest__Output, _holdfast_v1_SetPlacementResponse__Output>
  Status: MethodDefinition<_holdfast_v1_StatusRequest, _holdfast_v1_StatusResponse, _holdfast_v1_StatusRequest__Output, _holdfast_v1_StatusResponse__Output>
  TransferLeadership: MethodDefinition<_holdfast_v1_TransferLeadershipRequest, _holdfast_v1_TransferLeadershipResponse, _holdfast_v1_TransferLeadershipRequest__Output, _holdfast_v1_TransferLeadershipResponse__Output>
}

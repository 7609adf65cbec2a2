import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AuthCheck as _holdfast_v1_AuthCheck, AuthCheck__Output as _holdfast_v1_AuthCheck__Output } from './holdfast/v1/AuthCheck.js';
import type { BackupChunk as _holdfast_v1_BackupChunk, BackupChunk__Output as _holdfast_v1_BackupChunk__Output } from './holdfast/v1/BackupChunk.js';
import type { BackupRequest as _holdfast_v1_BackupRequest, BackupRequest__Output as _holdfast_v1_BackupRequest__Output } from './holdfast/v1/BackupRequest.js';
import type { BatchError as _holdfast_v1_BatchError, BatchError__Output as _holdfast_v1_BatchError__Output } from './holdfast/v1/BatchError.js';
import type { BatchRequest as _holdfast_v1_BatchRequest, BatchRequest__Output as _holdfast_v1_BatchRequest__Output } from './holdfast/v1/BatchRequest.js';
import type { BatchRequests as _holdfast_v1_BatchRequests, BatchRequests__Output as _holdfast_v1_BatchRequests__Output } from './holdfast/v1/BatchRequests.js';
import type { BatchResponse as _holdfast_v1_BatchResponse, BatchResponse__Output as _holdfast_v1_BatchResponse__Output } from './holdfast/v1/BatchResponse.js';
import type { BatchResponses as _holdfast_v1_BatchResponses, BatchResponses__Output as _holdfast_v1_BatchResponses__Output } from './holdfast/v1/BatchResponses.js';
import type { ClusterClient as _holdfast_v1_ClusterClient, ClusterDefinition as _holdfast_v1_ClusterDefinition } from './holdfast/v1/Cluster.js';
import type { CompactRequest as _holdfast_v1_CompactRequest, CompactRequest__Output as _holdfast_v1_CompactRequest__Output } from './holdfast/v1/CompactRequest.js';
import type { CompactResponse as _holdfast_v1_CompactResponse, CompactResponse__Output as _holdfast_v1_CompactResponse__Output } from './holdfast/v1/CompactResponse.js';
import type { Compare as _holdfast_v1_Compare, Compare__Output as _holdfast_v1_Compare__Output } from './holdfast/v1/Compare.js';
import type { DeleteRequest as _holdfast_v1_DeleteRequest, DeleteRequest__Output as _holdfast_v1_DeleteRequest__Output } from './holdfast/v1/DeleteRequest.js';
import type { DeleteResponse as _holdfast_v1_DeleteResponse, DeleteResponse__Output as _holdfast_v1_DeleteResponse__Output } from './holdfast/v1/DeleteResponse.js';
import type { FollowerProgress as _holdfast_v1_FollowerProgress, FollowerProgress__Output as _holdfast_v1_FollowerProgress__Output } from './holdfast/v1/FollowerProgress.js';
import type { GetRequest as _holdfast_v1_GetRequest, GetRequest__Output as _holdfast_v1_GetRequest__Output } from './holdfast/v1/GetRequest.js';
import type { GetResponse as _holdfast_v1_GetResponse, GetResponse__Output as _holdfast_v1_GetResponse__Output } from './holdfast/v1/GetResponse.js';
import type { KVClient as _holdfast_v1_KVClient, KVDefinition as _holdfast_v1_KVDefinition } from './holdfast/v1/KV.js';
import type { KeyValue as _holdfast_v1_KeyValue, KeyValue__Output as _holdfast_v1_KeyValue__Output } from './holdfast/v1/KeyValue.js';
import type { LeaseGrantRequest as _holdfast_v1_LeaseGrantRequest, LeaseGrantRequest__Output as _holdfast_v1_LeaseGrantRequest__Output } from './holdfast/v1/LeaseGrantRequest.js';
import type { LeaseGrantResponse as _holdfast_v1_LeaseGrantResponse, LeaseGrantResponse__Output as _holdfast_v1_LeaseGrantResponse__Output } from './holdfast/v1/LeaseGrantResponse.js';
import type { LeaseKeepAliveRequest as _holdfast_v1_LeaseKeepAliveRequest, LeaseKeepAliveRequest__Output as _holdfast_v1_LeaseKeepAliveRequest__Output } from './holdfast/v1/LeaseKeepAliveRequest.js';
import type { LeaseKeepAliveResponse as _holdfast_v1_LeaseKeepAliveResponse, LeaseKeepAliveResponse__Output as _holdfast_v1_LeaseKeepAliveResponse__Output } from './holdfast/v1/LeaseKeepAliveResponse.js';
import type { LeaseKeepAliveStreamRequest as _holdfast_v1_LeaseKeepAliveStreamRequest, LeaseKeepAliveStreamRequest__Output as _holdfast_v1_LeaseKeepAliveStreamRequest__Output } from './holdfast/v1/LeaseKeepAliveStreamRequest.js';
import type { LeaseKeepAliveStreamResponse as _holdfast_v1_LeaseKeepAliveStreamResponse, LeaseKeepAliveStreamResponse__Output as _holdfast_v1_LeaseKeepAliveStreamResponse__Output } from './holdfast/v1/LeaseKeepAliveStreamResponse.js';
import type { LeaseListRequest as _holdfast_v1_LeaseListRequest, LeaseListRequest__Output as _holdfast_v1_LeaseListRequest__Output } from './holdfast/v1/LeaseListRequest.js';
import type { LeaseListResponse as _holdfast_v1_LeaseListResponse, LeaseListResponse__Output as _holdfast_v1_LeaseListResponse__Output } from './holdfast/v1/LeaseListResponse.js';
import type { LeaseRevokeRequest as _holdfast_v1_LeaseRevokeRequest, LeaseRevokeRequest__Output as _holdfast_v1_LeaseRevokeRequest__Output } from './holdfast/v1/LeaseRevokeRequest.js';
import type { LeaseRevokeResponse as _holdfast_v1_LeaseRevokeResponse, LeaseRevokeResponse__Output as _holdfast_v1_LeaseRevokeResponse__Output } from './holdfast/v1/LeaseRevokeResponse.js';
import type { LeaseStatus as _holdfast_v1_LeaseStatus, LeaseStatus__Output as _holdfast_v1_LeaseStatus__Output } from './holdfast/v1/LeaseStatus.js';
import type { LeaseTimeToLiveRequest as _holdfast_v1_LeaseTimeToLiveRequest, LeaseTimeToLiveRequest__Output as _holdfast_v1_LeaseTimeToLiveRequest__Output } from './holdfast/v1/LeaseTimeToLiveRequest.js';
import type { LeaseTimeToLiveResponse as _holdfast_v1_LeaseTimeToLiveResponse, LeaseTimeToLiveResponse__Output as _holdfast_v1_LeaseTimeToLiveResponse__Output } from './holdfast/v1/LeaseTimeToLiveResponse.js';
import type { Member as _holdfast_v1_Member, Member__Output as _holdfast_v1_Member__Output } from './holdfast/v1/Member.js';
import type { MemberAddLearnerRequest as _holdfast_v1_MemberAddLearnerRequest, MemberAddLearnerRequest__Output as _holdfast_v1_MemberAddLearnerRequest__Output } from './holdfast/v1/MemberAddLearnerRequest.js';
import type { MemberAddLearnerResponse as _holdfast_v1_MemberAddLearnerResponse, MemberAddLearnerResponse__Output as _holdfast_v1_MemberAddLearnerResponse__Output } from './holdfast/v1/MemberAddLearnerResponse.js';
import type { MemberListRequest as _holdfast_v1_MemberListRequest, MemberListRequest__Output as _holdfast_v1_MemberListRequest__Output } from './holdfast/v1/MemberListRequest.js';
import type { MemberListResponse as _holdfast_v1_MemberListResponse, MemberListResponse__Output as _holdfast_v1_MemberListResponse__Output } from './holdfast/v1/MemberListResponse.js';
import type { MemberPromoteRequest as _holdfast_v1_MemberPromoteRequest, MemberPromoteRequest__Output as _holdfast_v1_MemberPromoteRequest__Output } from './holdfast/v1/MemberPromoteRequest.js';
import type { MemberPromoteResponse as _holdfast_v1_MemberPromoteResponse, MemberPromoteResponse__Output as _holdfast_v1_MemberPromoteResponse__Output } from './holdfast/v1/MemberPromoteResponse.js';
import type { MemberRemoveRequest as _holdfast_v1_MemberRemoveRequest, MemberRemoveRequest__Output as _holdfast_v1_MemberRemoveRequest__Output } from './holdfast/v1/MemberRemoveRequest.js';
import type { MemberRemoveResponse as _holdfast_v1_MemberRemoveResponse, MemberRemoveResponse__Output as _holdfast_v1_MemberRemoveResponse__Output } from './holdfast/v1/MemberRemoveResponse.js';
import type { MemberStatus as _holdfast_v1_MemberStatus, MemberStatus__Output as _holdfast_v1_MemberStatus__Output } from './holdfast/v1/MemberStatus.js';
import type { PeerRtt as _holdfast_v1_PeerRtt, PeerRtt__Output as _holdfast_v1_PeerRtt__Output } from './holdfast/v1/PeerRtt.js';
import type { Placement as _holdfast_v1_Placement, Placement__Output as _holdfast_v1_Placement__Output } from './holdfast/v1/Placement.js';
import type { PutRequest as _holdfast_v1_PutRequest, PutRequest__Output as _holdfast_v1_PutRequest__Output } from './holdfast/v1/PutRequest.js';
import type { PutResponse as _holdfast_v1_PutResponse, PutResponse__Output as _holdfast_v1_PutResponse__Output } from './holdfast/v1/PutResponse.js';
import type { RangeRequest as _holdfast_v1_RangeRequest, RangeRequest__Output as _holdfast_v1_RangeRequest__Output } from './holdfast/v1/RangeRequest.js';
import type { RangeResponse as _holdfast_v1_RangeResponse, RangeResponse__Output as _holdfast_v1_RangeResponse__Output } from './holdfast/v1/RangeResponse.js';
import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from './holdfast/v1/ResponseHeader.js';
import type { Session as _holdfast_v1_Session, Session__Output as _holdfast_v1_Session__Output } from './holdfast/v1/Session.js';
import type { SetPlacementRequest as _holdfast_v1_SetPlacementRequest, SetPlacementRequest__Output as _holdfast_v1_SetPlacementRequest__Output } from './holdfast/v1/SetPlacementRequest.js';
import type { SetPlacementResponse as _holdfast_v1_SetPlacementResponse, SetPlacementResponse__Output as _holdfast_v1_SetPlacementResponse__Output } from './holdfast/v1/SetPlacementResponse.js';
import type { StatusRequest as _holdfast_v1_StatusRequest, StatusRequest__Output as _holdfast_v1_StatusRequest__Output } from './holdfast/v1/StatusRequest.js';
import type { StatusResponse as _holdfast_v1_StatusResponse, StatusResponse__Output as _holdfast_v1_StatusResponse__Output } from './holdfast/v1/StatusResponse.js';
import type { TransferLeadershipRequest as _holdfast_v1_TransferLeadershipRequest, TransferLeadershipRequest__Output as _holdfast_v1_TransferLeadershipRequest__Output } from './holdfast/v1/TransferLeadershipRequest.js';
import type { TransferLeadershipResponse as _holdfast_v1_TransferLeadershipResponse, TransferLeadershipResponse__Output as _holdfast_v1_TransferLeadershipResponse__Output } from './holdfast/v1/TransferLeadershipResponse.js';
import type { TxnOp as _holdfast_v1_TxnOp, TxnOp__Output as _holdfast_v1_TxnOp__Output } from './holdfast/v1/TxnOp.js';
import type { TxnOpResult as _holdfast_v1_TxnOpResult, TxnOpResult__Output as _holdfast_v1_TxnOpResult__Output } from './holdfast/v1/TxnOpResult.js';
import type { TxnRequest as _holdfast_v1_TxnRequest, TxnRequest__Output as _holdfast_v1_TxnRequest__Output } from './holdfast/v1/TxnRequest.js';
import type { TxnResponse as _holdfast_v1_TxnResponse, TxnResponse__Output as _holdfast_v1_TxnResponse__Output } from './holdfast/v1/TxnResponse.js';
import type { WatchEvent as _holdfast_v1_WatchEvent, WatchEvent__Output as _holdfast_v1_WatchEvent__Output } from './holdfast/v1/WatchEvent.js';
import type { WatchRequest as _holdfast_v1_WatchRequest, WatchRequest__Output as _holdfast_v1_WatchRequest__Output } from './holdfast/v1/WatchRequest.js';
import type { WatchResponse as _holdfast_v1_WatchResponse, WatchResponse__Output as _holdfast_v1_WatchResponse__Output } from './holdfast/v1/WatchResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  holdfast: {
    v1: {
      AuthCheck: MessageTypeDefinition<_holdfast_v1_AuthCheck, _holdfast_v1_AuthCheck__Output>
      BackupChunk: MessageTypeDefinition<_holdfast_v1_BackupChunk, _holdfast_v1_BackupChunk__Output>
      BackupRequest: MessageTypeDefinition<_holdfast_v1_BackupRequest, _holdfast_v1_BackupRequest__Output>
      BatchError: MessageTypeDefinition<_holdfast_v1_BatchError, _holdfast_v1_BatchError__Output>
      BatchRequest: MessageTypeDefinition<_holdfast_v1_BatchRequest, _holdfast_v1_BatchRequest__Output>
      BatchRequests: MessageTypeDefinition<_holdfast_v1_BatchRequests, _holdfast_v1_BatchRequests__Output>
      BatchResponse: MessageTypeDefinition<_holdfast_v1_BatchResponse, _holdfast_v1_BatchResponse__Output>
      BatchResponses: MessageTypeDefinition<_holdfast_v1_BatchResponses, _holdfast_v1_BatchResponses__Output>
      Cluster: SubtypeConstructor<typeof grpc.Client, _holdfast_v1_ClusterClient> & { service: _holdfast_v1_ClusterDefinition }
      CompactRequest: MessageTypeDefinition<_holdfast_v1_CompactRequest, _holdfast_v1_CompactRequest__Output>
      CompactResponse: MessageTypeDefinition<_holdfast_v1_CompactResponse, _holdfast_v1_CompactResponse__Output>
      Compare: MessageTypeDefinition<_holdfast_v1_Compare, _holdfast_v1_Compare__Output>
      Consistency: EnumTypeDefinition
      DeleteRequest: MessageTypeDefinition<_holdfast_v1_DeleteRequest, _holdfast_v1_DeleteRequest__Output>
      DeleteResponse: MessageTypeDefinition<_holdfast_v1_DeleteResponse, _holdfast_v1_DeleteResponse__Output>
      FollowerProgress: MessageTypeDefinition<_holdfast_v1_FollowerProgress, _holdfast_v1_FollowerProgress__Output>
      GetRequest: MessageTypeDefinition<_holdfast_v1_GetRequest, _holdfast_v1_GetRequest__Output>
      GetResponse: MessageTypeDefinition<_holdfast_v1_GetResponse, _holdfast_v1_GetResponse__Output>
      KV: SubtypeConstructor<typeof grpc.Client, _holdfast_v1_KVClient> & { service: _holdfast_v1_KVDefinition }
      KeyValue: MessageTypeDefinition<_holdfast_v1_KeyValue, _holdfast_v1_KeyValue__Output>
      LeaseGrantRequest: MessageTypeDefinition<_holdfast_v1_LeaseGrantRequest, _holdfast_v1_LeaseGrantRequest__Output>
      LeaseGrantResponse: MessageTypeDefinition<_holdfast_v1_LeaseGrantResponse, _holdfast_v1_LeaseGrantResponse__Output>
      LeaseKeepAliveRequest: MessageTypeDefinition<_holdfast_v1_LeaseKeepAliveRequest, _holdfast_v1_LeaseKeepAliveRequest__Output>
      LeaseKeepAliveResponse: MessageTypeDefinition<_holdfast_v1_LeaseKeepAliveResponse, _holdfast_v1_LeaseKeepAliveResponse__Output>
      LeaseKeepAliveStreamRequest: MessageTypeDefinition<_holdfast_v1_LeaseKeepAliveStreamRequest, _holdfast_v1_LeaseKeepAliveStreamRequest__Output>
      LeaseKeepAliveStreamResponse: MessageTypeDefinition<_holdfast_v1_LeaseKeepAliveStreamResponse, _holdfast_v1_LeaseKeepAliveStreamResponse__Output>
      LeaseListRequest: MessageTypeDefinition<_holdfast_v1_LeaseListRequest, _holdfast_v1_LeaseListRequest__Output>
      LeaseListResponse: MessageTypeDefinition<_holdfast_v1_LeaseListResponse, _holdfast_v1_LeaseListResponse__Output>
      LeaseRevokeRequest: MessageTypeDefinition<_holdfast_v1_LeaseRevokeRequest, _holdfast_v1_LeaseRevokeRequest__Output>
      LeaseRevokeResponse: MessageTypeDefinition<_holdfast_v1_LeaseRevokeResponse, _holdfast_v1_LeaseRevokeResponse__Output>
      LeaseStatus: MessageTypeDefinition<_holdfast_v1_LeaseStatus, _holdfast_v1_LeaseStatus__Output>
      LeaseTimeToLiveRequest: MessageTypeDefinition<_holdfast_v1_LeaseTimeToLiveRequest, _holdfast_v1_LeaseTimeToLiveRequest__Output>
      LeaseTimeToLiveResponse: MessageTypeDefinition<_holdfast_v1_LeaseTimeToLiveResponse, _holdfast_v1_LeaseTimeToLiveResponse__Output>
      Member: MessageTypeDefinition<_holdfast_v1_Member, _holdfast_v1_Member__Output>
      MemberAddLearnerRequest: MessageTypeDefinition<_holdfast_v1_MemberAddLearnerRequest, _holdfast_v1_MemberAddLearnerRequest__Output>
      MemberAddLearnerResponse: MessageTypeDefinition<_holdfast_v1_MemberAddLearnerResponse, _holdfast_v1_MemberAddLearnerResponse__Output>
      MemberListRequest: MessageTypeDefinition<_holdfast_v1_MemberListRequest, _holdfast_v1_MemberListRequest__Output>
      MemberListResponse: MessageTypeDefinition<_holdfast_v1_MemberListResponse, _holdfast_v1_MemberListResponse__Output>
      MemberPromoteRequest: MessageTypeDefinition<_holdfast_v1_MemberPromoteRequest, _holdfast_v1_MemberPromoteRequest__Output>
      MemberPromoteResponse: MessageTypeDefinition<_holdfast_v1_MemberPromoteResponse, _holdfast_v1_MemberPromoteResponse__Output>
      MemberRemoveRequest: MessageTypeDefinition<_holdfast_v1_MemberRemoveRequest, _holdfast_v1_MemberRemoveRequest__Output>
      MemberRemoveResponse: MessageTypeDefinition<_holdfast_v1_MemberRemoveResponse, _holdfast_v1_MemberRemoveResponse__Output>
      MemberStatus: MessageTypeDefinition<_holdfast_v1_MemberStatus, _holdfast_v1_MemberStatus__Output>
      PeerRtt: MessageTypeDefinition<_holdfast_v1_PeerRtt, _holdfast_v1_PeerRtt__Output>
      Placement: MessageTypeDefinition<_holdfast_v1_Placement, _holdfast_v1_Placement__Output>
      PutRequest: MessageTypeDefinition<_holdfast_v1_PutRequest, _holdfast_v1_PutRequest__Output>
      PutResponse: MessageTypeDefinition<_holdfast_v1_PutResponse, _holdfast_v1_PutResponse__Output>
      RangeRequest: MessageTypeDefinition<_holdfast_v1_RangeRequest, _holdfast_v1_RangeRequest__Output>
      RangeResponse: MessageTypeDefinition<_holdfast_v1_RangeResponse, _holdfast_v1_RangeResponse__Output>
      ResponseHeader: MessageTypeDefinition<_holdfast_v1_ResponseHeader, _holdfast_v1_ResponseHeader__Output>
      Session: MessageTypeDefinition<_holdfast_v1_Session, _holdfast_v1_Session__Output>
      SetPlacementRequest: MessageTypeDefinition<_holdfast_v1_SetPlacementRequest, _holdfast_v1_SetPlacementRequest__Output>
      SetPlacementResponse: MessageTypeDefinition<_holdfast_v1_SetPlacementResponse, _holdfast_v1_SetPlacementResponse__Output>
      StatusRequest: MessageTypeDefinition<_holdfast_v1_StatusRequest, _holdfast_v1_StatusRequest__Output>
      StatusResponse: MessageTypeDefinition<_holdfast_v1_StatusResponse, _holdfast_v1_StatusResponse__Output>
      TransferLeadershipRequest: MessageTypeDefinition<_holdfast_v1_TransferLeadershipRequest, _holdfast_v1_TransferLeadershipRequest__Output>
      TransferLeadershipResponse: MessageTypeDefinition<_holdfast_v1_TransferLeadershipResponse, _holdfast_v1_TransferLeadershipResponse__Output>
      TxnOp: MessageTypeDefinition<_holdfast_v1_TxnOp, _holdfast_v1_TxnOp__Output>
      TxnOpResult: MessageTypeDefinition<_holdfast_v1_TxnOpResult, _holdfast_v1_TxnOpResult__Output>
      TxnRequest: MessageTypeDefinition<_holdfast_v1_TxnRequest, _holdfast_v1_TxnRequest__Output>
      TxnResponse: MessageTypeDefinition<_holdfast_v1_TxnResponse, _holdfast_v1_TxnResponse__Output>
      WatchEvent: MessageTypeDefinition<_holdfast_v1_WatchEvent, _holdfast_v1_WatchEvent__Output>
      WatchRequest: MessageTypeDefinition<_holdfast_v1_WatchRequest, _holdfast_v1_WatchRequest__Output>
      WatchResponse: MessageTypeDefinition<_holdfast_v1_WatchResponse, _holdfast_v1_WatchResponse__Output>
    }
  }
}


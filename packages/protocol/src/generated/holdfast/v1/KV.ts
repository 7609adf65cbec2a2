// Original file: proto/holdfast/v1/kv.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BatchRequests as _holdfast_v1_BatchRequests, BatchRequests__Output as _holdfast_v1_BatchRequests__Output } from '../../holdfast/v1/BatchRequests.js';
import type { BatchResponses as _holdfast_v1_BatchResponses, BatchResponses__Output as _holdfast_v1_BatchResponses__Output } from '../../holdfast/v1/BatchResponses.js';
import type { CompactRequest as _holdfast_v1_CompactRequest, CompactRequest__Output as _holdfast_v1_CompactRequest__Output } from '../../holdfast/v1/CompactRequest.js';
import type { CompactResponse as _holdfast_v1_CompactResponse, CompactResponse__Output as _holdfast_v1_CompactResponse__Output } from '../../holdfast/v1/CompactResponse.js';
import type { DeleteRequest as _holdfast_v1_DeleteRequest, DeleteRequest__Output as _holdfast_v1_DeleteRequest__Output } from '../../holdfast/v1/DeleteRequest.js';
import type { DeleteResponse as _holdfast_v1_DeleteResponse, DeleteResponse__Output as _holdfast_v1_DeleteResponse__Output } from '../../holdfast/v1/DeleteResponse.js';
import type { GetRequest as _holdfast_v1_GetRequest, GetRequest__Output as _holdfast_v1_GetRequest__Output } from '../../holdfast/v1/GetRequest.js';
import type { GetResponse as _holdfast_v1_GetResponse, GetResponse__Output as _holdfast_v1_GetResponse__Output } from '../../holdfast/v1/GetResponse.js';
import type { LeaseGrantRequest as _holdfast_v1_LeaseGrantRequest, LeaseGrantRequest__Output as _holdfast_v1_LeaseGrantRequest__Output } from '../../holdfast/v1/LeaseGrantRequest.js';
import type { LeaseGrantResponse as _holdfast_v1_LeaseGrantResponse, LeaseGrantResponse__Output as _holdfast_v1_LeaseGrantResponse__Output } from '../../holdfast/v1/LeaseGrantResponse.js';
import type { LeaseKeepAliveRequest as _holdfast_v1_LeaseKeepAliveRequest, LeaseKeepAliveRequest__Output as _holdfast_v1_LeaseKeepAliveRequest__Output } from '../../holdfast/v1/LeaseKeepAliveRequest.js';
import type { LeaseKeepAliveResponse as _holdfast_v1_LeaseKeepAliveResponse, LeaseKeepAliveResponse__Output as _holdfast_v1_LeaseKeepAliveResponse__Output } from '../../holdfast/v1/LeaseKeepAliveResponse.js';
import type { LeaseKeepAliveStreamRequest as _holdfast_v1_LeaseKeepAliveStreamRequest, LeaseKeepAliveStreamRequest__Output as _holdfast_v1_LeaseKeepAliveStreamRequest__Output } from '../../holdfast/v1/LeaseKeepAliveStreamRequest.js';
import type { LeaseKeepAliveStreamResponse as _holdfast_v1_LeaseKeepAliveStreamResponse, LeaseKeepAliveStreamResponse__Output as _holdfast_v1_LeaseKeepAliveStreamResponse__Output } from '../../holdfast/v1/LeaseKeepAliveStreamResponse.js';
import type { LeaseListRequest as _holdfast_v1_LeaseListRequest, LeaseListRequest__Output as _holdfast_v1_LeaseListRequest__Output } from '../../holdfast/v1/LeaseListRequest.js';
import type { LeaseListResponse as _holdfast_v1_LeaseListResponse, LeaseListResponse__Output as _holdfast_v1_LeaseListResponse__Output } from '../../holdfast/v1/LeaseListResponse.js';
import type { LeaseRevokeRequest as _holdfast_v1_LeaseRevokeRequest, LeaseRevokeRequest__Output as _holdfast_v1_LeaseRevokeRequest__Output } from '../../holdfast/v1/LeaseRevokeRequest.js';
import type { LeaseRevokeResponse as _holdfast_v1_LeaseRevokeResponse, LeaseRevokeResponse__Output as _holdfast_v1_LeaseRevokeResponse__Output } from '../../holdfast/v1/LeaseRevokeResponse.js';
import type { LeaseTimeToLiveRequest as _holdfast_v1_LeaseTimeToLiveRequest, LeaseTimeToLiveRequest__Output as _holdfast_v1_LeaseTimeToLiveRequest__Output } from '../../holdfast/v1/LeaseTimeToLiveRequest.js';
import type { LeaseTimeToLiveResponse as _holdfast_v1_LeaseTimeToLiveResponse, LeaseTimeToLiveResponse__Output as _holdfast_v1_LeaseTimeToLiveResponse__Output } from '../../holdfast/v1/LeaseTimeToLiveResponse.js';
import type { PutRequest as _holdfast_v1_PutRequest, PutRequest__Output as _holdfast_v1_PutRequest__Output } from '../../holdfast/v1/PutRequest.js';
import type { PutResponse as _holdfast_v1_PutResponse, PutResponse__Output as _holdfast_v1_PutResponse__Output } from '../../holdfast/v1/PutResponse.js';
import type { RangeRequest as _holdfast_v1_RangeRequest, RangeRequest__Output as _holdfast_v1_RangeRequest__Output } from '../../holdfast/v1/RangeRequest.js';
import type { RangeResponse as _holdfast_v1_RangeResponse, RangeResponse__Output as _holdfast_v1_RangeResponse__Output } from '../../holdfast/v1/RangeResponse.js';
import type { TxnRequest as _holdfast_v1_TxnRequest, TxnRequest__Output as _holdfast_v1_TxnRequest__Output } from '../../holdfast/v1/TxnRequest.js';
import type { TxnResponse as _holdfast_v1_TxnResponse, TxnResponse__Output as _holdfast_v1_TxnResponse__Output } from '../../holdfast/v1/TxnResponse.js';
import type { WatchRequest as _holdfast_v1_WatchRequest, WatchRequest__Output as _holdfast_v1_WatchRequest__Output } from '../../holdfast/v1/WatchRequest.js';
import type { WatchResponse as _holdfast_v1_WatchResponse, WatchResponse__Output as _holdfast_v1_WatchResponse__Output } from '../../holdfast/v1/WatchResponse.js';

export interface KVClient extends grpc.Client {
  /**
   * Many operations over one stream: each request carries an id, answers come back tagged with
   * it and possibly out of order. Each stream message carries several requests (or answers), so
   * that the per-message cost of HTTP/2 and gRPC is paid once for many operations. The SDK
   * pipelines concurrent calls over this: every call issued in one turn of its event loop
   * travels in one message.
   */
  Batch(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_BatchRequests, _holdfast_v1_BatchResponses__Output>;
  Batch(options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_BatchRequests, _holdfast_v1_BatchResponses__Output>;
  /**
   * Many operations over one stream: each request carries an id, answers come back tagged with
   * it and possibly out of order. Each stream message carries several requests (or answers), so
   * that the per-message cost of HTTP/2 and gRPC is paid once for many operations. The SDK
   * pipelines concurrent calls over this: every call issued in one turn of its event loop
   * travels in one message.
   */
  batch(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_BatchRequests, _holdfast_v1_BatchResponses__Output>;
  batch(options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_BatchRequests, _holdfast_v1_BatchResponses__Output>;
  
  /**
   * Drops the key history below `revision`, on every member alike (through the log): reads at an
   * older revision and watches from one are refused `compacted` from then on.
   */
  Compact(argument: _holdfast_v1_CompactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  Compact(argument: _holdfast_v1_CompactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  Compact(argument: _holdfast_v1_CompactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  Compact(argument: _holdfast_v1_CompactRequest, callback: grpc.requestCallback<_holdfast_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Drops the key history below `revision`, on every member alike (through the log): reads at an
   * older revision and watches from one are refused `compacted` from then on.
   */
  compact(argument: _holdfast_v1_CompactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  compact(argument: _holdfast_v1_CompactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  compact(argument: _holdfast_v1_CompactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  compact(argument: _holdfast_v1_CompactRequest, callback: grpc.requestCallback<_holdfast_v1_CompactResponse__Output>): grpc.ClientUnaryCall;
  
  Delete(argument: _holdfast_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _holdfast_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _holdfast_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _holdfast_v1_DeleteRequest, callback: grpc.requestCallback<_holdfast_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _holdfast_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _holdfast_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _holdfast_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _holdfast_v1_DeleteRequest, callback: grpc.requestCallback<_holdfast_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  
  Get(argument: _holdfast_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _holdfast_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _holdfast_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _holdfast_v1_GetRequest, callback: grpc.requestCallback<_holdfast_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _holdfast_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _holdfast_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _holdfast_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _holdfast_v1_GetRequest, callback: grpc.requestCallback<_holdfast_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Leases (also in Batch). A lease's clock is the leader's: it expires TTL after its grant or
   * its last keepalive that reached the leader, and a new leader gives every lease its TTL again
   * plus its election time before it expires any. The expiry and a revoke go through the log:
   * the keys attached are deleted on every member at one revision, with watch events.
   */
  LeaseGrant(argument: _holdfast_v1_LeaseGrantRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseGrantResponse__Output>): grpc.ClientUnaryCall;
  LeaseGrant(argument: _holdfast_v1_LeaseGrantRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_LeaseGrantResponse__Output>): grpc.ClientUnaryCall;
  LeaseGrant(argument: _holdfast_v1_LeaseGrantRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseGrantResponse__Output>): grpc.ClientUnaryCall;
  LeaseGrant(argument: _holdfast_v1_LeaseGrantRequest, callback: grpc.requestCallback<_holdfast_v1_LeaseGrantResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Leases (also in Batch). A lease's clock is the leader's: it expires TTL after its grant or
   * its last keepalive that reached the leader, and a new leader gives every lease its TTL again
   * plus its election time before it expires any. The expiry and a revoke go through the log:
   * the keys attached are deleted on every member at one revision, with watch events.
   */
  leaseGrant(argument: _holdfast_v1_LeaseGrantRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseGrantResponse__Output>): grpc.ClientUnaryCall;
  leaseGrant(argument: _holdfast_v1_LeaseGrantRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_LeaseGrantResponse__Output>): grpc.ClientUnaryCall;
  leaseGrant(argument: _holdfast_v1_LeaseGrantRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseGrantResponse__Output>): grpc.ClientUnaryCall;
  leaseGrant(argument: _holdfast_v1_LeaseGrantRequest, callback: grpc.requestCallback<_holdfast_v1_LeaseGrantResponse__Output>): grpc.ClientUnaryCall;
  
  LeaseKeepAlive(argument: _holdfast_v1_LeaseKeepAliveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseKeepAliveResponse__Output>): grpc.ClientUnaryCall;
  LeaseKeepAlive(argument: _holdfast_v1_LeaseKeepAliveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_LeaseKeepAliveResponse__Output>): grpc.ClientUnaryCall;
  LeaseKeepAlive(argument: _holdfast_v1_LeaseKeepAliveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseKeepAliveResponse__Output>): grpc.ClientUnaryCall;
  LeaseKeepAlive(argument: _holdfast_v1_LeaseKeepAliveRequest, callback: grpc.requestCallback<_holdfast_v1_LeaseKeepAliveResponse__Output>): grpc.ClientUnaryCall;
  leaseKeepAlive(argument: _holdfast_v1_LeaseKeepAliveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseKeepAliveResponse__Output>): grpc.ClientUnaryCall;
  leaseKeepAlive(argument: _holdfast_v1_LeaseKeepAliveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_LeaseKeepAliveResponse__Output>): grpc.ClientUnaryCall;
  leaseKeepAlive(argument: _holdfast_v1_LeaseKeepAliveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseKeepAliveResponse__Output>): grpc.ClientUnaryCall;
  leaseKeepAlive(argument: _holdfast_v1_LeaseKeepAliveRequest, callback: grpc.requestCallback<_holdfast_v1_LeaseKeepAliveResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Keepalives of many leases over one stream (the SDK keeps one per client): each request
   * carries a tag chosen by the caller, its answer (or error) comes back with it, possibly out of
   * order. Any member serves it (a follower forwards each keepalive to the leader, as the unary
   * call). Bounded per stream: --lease-stream-leases-max distinct leases (more: that request is
   * refused request-too-large), --lease-stream-requests-per-second (more: overloaded) and
   * --lease-stream-pending-max keepalives unanswered at once (more: overloaded). A member of an
   * older release answers UNIMPLEMENTED: use LeaseKeepAlive.
   */
  LeaseKeepAliveStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_LeaseKeepAliveStreamRequest, _holdfast_v1_LeaseKeepAliveStreamResponse__Output>;
  LeaseKeepAliveStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_LeaseKeepAliveStreamRequest, _holdfast_v1_LeaseKeepAliveStreamResponse__Output>;
  /**
   * Keepalives of many leases over one stream (the SDK keeps one per client): each request
   * carries a tag chosen by the caller, its answer (or error) comes back with it, possibly out of
   * order. Any member serves it (a follower forwards each keepalive to the leader, as the unary
   * call). Bounded per stream: --lease-stream-leases-max distinct leases (more: that request is
   * refused request-too-large), --lease-stream-requests-per-second (more: overloaded) and
   * --lease-stream-pending-max keepalives unanswered at once (more: overloaded). A member of an
   * older release answers UNIMPLEMENTED: use LeaseKeepAlive.
   */
  leaseKeepAliveStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_LeaseKeepAliveStreamRequest, _holdfast_v1_LeaseKeepAliveStreamResponse__Output>;
  leaseKeepAliveStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_holdfast_v1_LeaseKeepAliveStreamRequest, _holdfast_v1_LeaseKeepAliveStreamResponse__Output>;
  
  LeaseList(argument: _holdfast_v1_LeaseListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseListResponse__Output>): grpc.ClientUnaryCall;
  LeaseList(argument: _holdfast_v1_LeaseListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_LeaseListResponse__Output>): grpc.ClientUnaryCall;
  LeaseList(argument: _holdfast_v1_LeaseListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseListResponse__Output>): grpc.ClientUnaryCall;
  LeaseList(argument: _holdfast_v1_LeaseListRequest, callback: grpc.requestCallback<_holdfast_v1_LeaseListResponse__Output>): grpc.ClientUnaryCall;
  leaseList(argument: _holdfast_v1_LeaseListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseListResponse__Output>): grpc.ClientUnaryCall;
  leaseList(argument: _holdfast_v1_LeaseListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_LeaseListResponse__Output>): grpc.ClientUnaryCall;
  leaseList(argument: _holdfast_v1_LeaseListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseListResponse__Output>): grpc.ClientUnaryCall;
  leaseList(argument: _holdfast_v1_LeaseListRequest, callback: grpc.requestCallback<_holdfast_v1_LeaseListResponse__Output>): grpc.ClientUnaryCall;
  
  LeaseRevoke(argument: _holdfast_v1_LeaseRevokeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseRevokeResponse__Output>): grpc.ClientUnaryCall;
  LeaseRevoke(argument: _holdfast_v1_LeaseRevokeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_LeaseRevokeResponse__Output>): grpc.ClientUnaryCall;
  LeaseRevoke(argument: _holdfast_v1_LeaseRevokeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseRevokeResponse__Output>): grpc.ClientUnaryCall;
  LeaseRevoke(argument: _holdfast_v1_LeaseRevokeRequest, callback: grpc.requestCallback<_holdfast_v1_LeaseRevokeResponse__Output>): grpc.ClientUnaryCall;
  leaseRevoke(argument: _holdfast_v1_LeaseRevokeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseRevokeResponse__Output>): grpc.ClientUnaryCall;
  leaseRevoke(argument: _holdfast_v1_LeaseRevokeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_LeaseRevokeResponse__Output>): grpc.ClientUnaryCall;
  leaseRevoke(argument: _holdfast_v1_LeaseRevokeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseRevokeResponse__Output>): grpc.ClientUnaryCall;
  leaseRevoke(argument: _holdfast_v1_LeaseRevokeRequest, callback: grpc.requestCallback<_holdfast_v1_LeaseRevokeResponse__Output>): grpc.ClientUnaryCall;
  
  LeaseTimeToLive(argument: _holdfast_v1_LeaseTimeToLiveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseTimeToLiveResponse__Output>): grpc.ClientUnaryCall;
  LeaseTimeToLive(argument: _holdfast_v1_LeaseTimeToLiveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_LeaseTimeToLiveResponse__Output>): grpc.ClientUnaryCall;
  LeaseTimeToLive(argument: _holdfast_v1_LeaseTimeToLiveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseTimeToLiveResponse__Output>): grpc.ClientUnaryCall;
  LeaseTimeToLive(argument: _holdfast_v1_LeaseTimeToLiveRequest, callback: grpc.requestCallback<_holdfast_v1_LeaseTimeToLiveResponse__Output>): grpc.ClientUnaryCall;
  leaseTimeToLive(argument: _holdfast_v1_LeaseTimeToLiveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseTimeToLiveResponse__Output>): grpc.ClientUnaryCall;
  leaseTimeToLive(argument: _holdfast_v1_LeaseTimeToLiveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_LeaseTimeToLiveResponse__Output>): grpc.ClientUnaryCall;
  leaseTimeToLive(argument: _holdfast_v1_LeaseTimeToLiveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_LeaseTimeToLiveResponse__Output>): grpc.ClientUnaryCall;
  leaseTimeToLive(argument: _holdfast_v1_LeaseTimeToLiveRequest, callback: grpc.requestCallback<_holdfast_v1_LeaseTimeToLiveResponse__Output>): grpc.ClientUnaryCall;
  
  Put(argument: _holdfast_v1_PutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  Put(argument: _holdfast_v1_PutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  Put(argument: _holdfast_v1_PutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  Put(argument: _holdfast_v1_PutRequest, callback: grpc.requestCallback<_holdfast_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  put(argument: _holdfast_v1_PutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  put(argument: _holdfast_v1_PutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  put(argument: _holdfast_v1_PutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  put(argument: _holdfast_v1_PutRequest, callback: grpc.requestCallback<_holdfast_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  
  Range(argument: _holdfast_v1_RangeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  Range(argument: _holdfast_v1_RangeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  Range(argument: _holdfast_v1_RangeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  Range(argument: _holdfast_v1_RangeRequest, callback: grpc.requestCallback<_holdfast_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  range(argument: _holdfast_v1_RangeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  range(argument: _holdfast_v1_RangeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  range(argument: _holdfast_v1_RangeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  range(argument: _holdfast_v1_RangeRequest, callback: grpc.requestCallback<_holdfast_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  
  Txn(argument: _holdfast_v1_TxnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  Txn(argument: _holdfast_v1_TxnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  Txn(argument: _holdfast_v1_TxnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  Txn(argument: _holdfast_v1_TxnRequest, callback: grpc.requestCallback<_holdfast_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  txn(argument: _holdfast_v1_TxnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  txn(argument: _holdfast_v1_TxnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  txn(argument: _holdfast_v1_TxnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  txn(argument: _holdfast_v1_TxnRequest, callback: grpc.requestCallback<_holdfast_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Changes to keys, from `start_revision` on, as the answering member applies them: every change
   * of every revision in order, none twice. The first response has `created` set; then one response
   * per apply batch with matching changes, and a progress response (no events) after
   * --watch-progress-ms without any. A response's header revision says every matching change up to
   * it was sent: resume a broken watch from that revision + 1 on any member.
   */
  Watch(argument: _holdfast_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_holdfast_v1_WatchResponse__Output>;
  Watch(argument: _holdfast_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_holdfast_v1_WatchResponse__Output>;
  /**
   * Changes to keys, from `start_revision` on, as the answering member applies them: every change
   * of every revision in order, none twice. The first response has `created` set; then one response
   * per apply batch with matching changes, and a progress response (no events) after
   * --watch-progress-ms without any. A response's header revision says every matching change up to
   * it was sent: resume a broken watch from that revision + 1 on any member.
   */
  watch(argument: _holdfast_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_holdfast_v1_WatchResponse__Output>;
  watch(argument: _holdfast_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_holdfast_v1_WatchResponse__Output>;
  
}

export interface KVHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Many operations over one stream: each request carries an id, answers come back tagged with
   * it and possibly out of order. Each stream message carries several requests (or answers), so
   * that the per-message cost of HTTP/2 and gRPC is paid once for many operations. The SDK
   * pipelines concurrent calls over this: every call issued in one turn of its event loop
   * travels in one message.
   */
  Batch: grpc.handleBidiStreamingCall<_holdfast_v1_BatchRequests__Output, _holdfast_v1_BatchResponses>;
  
  /**
   * Drops the key history below `revision`, on every member alike (through the log): reads at an
   * older revision and watches from one are refused `compacted` from then on.
   */
  Compact: grpc.handleUnaryCall<_holdfast_v1_CompactRequest__Output, _holdfast_v1_CompactResponse>;
  
  Delete: grpc.handleUnaryCall<_holdfast_v1_DeleteRequest__Output, _holdfast_v1_DeleteResponse>;
  
  Get: grpc.handleUnaryCall<_holdfast_v1_GetRequest__Output, _holdfast_v1_GetResponse>;
  
  /**
   * Leases (also in Batch). A lease's clock is the leader's: it expires TTL after its grant or
   * its last keepalive that reached the leader, and a new leader gives every lease its TTL again
   * plus its election time before it expires any. The expiry and a revoke go through the log:
   * the keys attached are deleted on every member at one revision, with watch events.
   */
  LeaseGrant: grpc.handleUnaryCall<_holdfast_v1_LeaseGrantRequest__Output, _holdfast_v1_LeaseGrantResponse>;
  
  LeaseKeepAlive: grpc.handleUnaryCall<_holdfast_v1_LeaseKeepAliveRequest__Output, _holdfast_v1_LeaseKeepAliveResponse>;
  
  /**
   * Keepalives of many leases over one stream (the SDK keeps one per client): each request
   * carries a tag chosen by the caller, its answer (or error) comes back with it, possibly out of
   * order. Any member serves it (a follower forwards each keepalive to the leader, as the unary
   * call). Bounded per stream: --lease-stream-leases-max distinct leases (more: that request is
   * refused request-too-large), --lease-stream-requests-per-second (more: overloaded) and
   * --lease-stream-pending-max keepalives unanswered at once (more: overloaded). A member of an
   * older release answers UNIMPLEMENTED: use LeaseKeepAlive.
   */
  LeaseKeepAliveStream: grpc.handleBidiStreamingCall<_holdfast_v1_LeaseKeepAliveStreamRequest__Output, _holdfast_v1_LeaseKeepAliveStreamResponse>;
  
  LeaseList: grpc.handleUnaryCall<_holdfast_v1_LeaseListRequest__Output, _holdfast_v1_LeaseListResponse>;
  
  LeaseRevoke: grpc.handleUnaryCall<_holdfast_v1_LeaseRevokeRequest__Output, _holdfast_v1_LeaseRevokeResponse>;
  
  LeaseTimeToLive: grpc.handleUnaryCall<_holdfast_v1_LeaseTimeToLiveRequest__Output, _holdfast_v1_LeaseTimeToLiveResponse>;
  
  Put: grpc.handleUnaryCall<_holdfast_v1_PutRequest__Output, _holdfast_v1_PutResponse>;
  
  Range: grpc.handleUnaryCall<_holdfast_v1_RangeRequest__Output, _holdfast_v1_RangeResponse>;
  
  Txn: grpc.handleUnaryCall<_holdfast_v1_TxnRequest__Output, _holdfast_v1_TxnResponse>;
  
  /**
   * Changes to keys, from `start_revision` on, as the answering member applies them: every change
   * of every revision in order, none twice. The first response has `created` set; then one response
   * per apply batch with matching changes, and a progress response (no events) after
   * --watch-progress-ms without any. A response's header revision says every matching change up to
   * it was sent: resume a broken watch from that revision + 1 on any member.
   */
  Watch: grpc.handleServerStreamingCall<_holdfast_v1_WatchRequest__Output, _holdfast_v1_WatchResponse>;
  
}

export interface KVDefinition extends grpc.ServiceDefinition {
  Batch: MethodDefinition<_holdfast_v1_BatchRequests, _holdfast_v1_BatchResponses, _holdfast_v1_BatchRequests__Output, _holdfast_v1_BatchResponses__Output>
  Compact: MethodDefinition<_holdfast_v1_CompactRequest, _holdfast_v1_CompactResponse, _holdfast_v1_CompactRequest__Output, _holdfast_v1_CompactResponse__Output>
  Delete: MethodDefinition<_holdfast_v1_DeleteRequest, _holdfast_v1_DeleteResponse, _holdfast_v1_DeleteRequest__Output, _holdfast_v1_DeleteResponse__Output>
  Get: MethodDefinition<_holdfast_v1_GetRequest, _holdfast_v1_GetResponse, _holdfast_v1_GetRequest__Output, _holdfast_v1_GetResponse__Output>
  LeaseGrant: MethodDefinition<_holdfast_v1_LeaseGrantRequest, _holdfast_v1_LeaseGrantResponse, _holdfast_v1_LeaseGrantRequest__Output, _holdfast_v1_LeaseGrantResponse__Output>
  LeaseKeepAlive: MethodDefinition<_holdfast_v1_LeaseKeepAliveRequest, _holdfast_v1_LeaseKeepAliveResponse, _holdfast_v1_LeaseKeepAliveRequest__Output, _holdfast_v1_LeaseKeepAliveResponse__Output>
  LeaseKeepAliveStream: MethodDefinition<_holdfast_v1_LeaseKeepAliveStreamRequest, _holdfast_v1_LeaseKeepAliveStreamResponse, _holdfast_v1_LeaseKeepAliveStreamRequest__Output, _holdfast_v1_LeaseKeepAliveStreamResponse__Output>
  LeaseList: MethodDefinition<_holdfast_v1_LeaseListRequest, _holdfast_v1_LeaseListResponse, _holdfast_v1_LeaseListRequest__Output, _holdfast_v1_LeaseListResponse__Output>
  LeaseRevoke: MethodDefinition<_holdfast_v1_LeaseRevokeRequest, _holdfast_v1_LeaseRevokeResponse, _holdfast_v1_LeaseRevokeRequest__Output, _holdfast_v1_LeaseRevokeResponse__Output>
  LeaseTimeToLive: MethodDefinition<_holdfast_v1_LeaseTimeToLiveRequest, _holdfast_v1_LeaseTimeToLiveResponse, _holdfast_v1_LeaseTimeToLiveRequest__Output, _holdfast_v1_LeaseTimeToLiveResponse__Output>
  Put: MethodDefinition<_holdfast_v1_PutRequest, _holdfast_v1_PutResponse, _holdfast_v1_PutRequest__Output, _holdfast_v1_PutResponse__Output>
  Range: MethodDefinition<_holdfast_v1_RangeRequest, _holdfast_v1_RangeResponse, _holdfast_v1_RangeRequest__Output, _holdfast_v1_RangeResponse__Output>
  Txn: MethodDefinition<_holdfast_v1_TxnRequest, _holdfast_v1_TxnResponse, _holdfast_v1_TxnRequest__Output, _holdfast_v1_TxnResponse__Output>
  Watch: MethodDefinition<_holdfast_v1_WatchRequest, _holdfast_v1_WatchResponse, _holdfast_v1_WatchRequest__Output, _holdfast_v1_WatchResponse__Output>
}

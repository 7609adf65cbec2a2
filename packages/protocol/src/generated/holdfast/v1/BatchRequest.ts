// Original file: proto/holdfast/v1/kv.proto

import type { PutRequest as _holdfast_v1_PutRequest, PutRequest__Output as _holdfast_v1_PutRequest__Output } from '../../holdfast/v1/PutRequest.js';
import type { GetRequest as _holdfast_v1_GetRequest, GetRequest__Output as _holdfast_v1_GetRequest__Output } from '../../holdfast/v1/GetRequest.js';
import type { DeleteRequest as _holdfast_v1_DeleteRequest, DeleteRequest__Output as _holdfast_v1_DeleteRequest__Output } from '../../holdfast/v1/DeleteRequest.js';
import type { RangeRequest as _holdfast_v1_RangeRequest, RangeRequest__Output as _holdfast_v1_RangeRequest__Output } from '../../holdfast/v1/RangeRequest.js';
import type { TxnRequest as _holdfast_v1_TxnRequest, TxnRequest__Output as _holdfast_v1_TxnRequest__Output } from '../../holdfast/v1/TxnRequest.js';
import type { CompactRequest as _holdfast_v1_CompactRequest, CompactRequest__Output as _holdfast_v1_CompactRequest__Output } from '../../holdfast/v1/CompactRequest.js';
import type { AuthCheck as _holdfast_v1_AuthCheck, AuthCheck__Output as _holdfast_v1_AuthCheck__Output } from '../../holdfast/v1/AuthCheck.js';
import type { LeaseGrantRequest as _holdfast_v1_LeaseGrantRequest, LeaseGrantRequest__Output as _holdfast_v1_LeaseGrantRequest__Output } from '../../holdfast/v1/LeaseGrantRequest.js';
import type { LeaseRevokeRequest as _holdfast_v1_LeaseRevokeRequest, LeaseRevokeRequest__Output as _holdfast_v1_LeaseRevokeRequest__Output } from '../../holdfast/v1/LeaseRevokeRequest.js';
import type { LeaseKeepAliveRequest as _holdfast_v1_LeaseKeepAliveRequest, LeaseKeepAliveRequest__Output as _holdfast_v1_LeaseKeepAliveRequest__Output } from '../../holdfast/v1/LeaseKeepAliveRequest.js';
import type { LeaseTimeToLiveRequest as _holdfast_v1_LeaseTimeToLiveRequest, LeaseTimeToLiveRequest__Output as _holdfast_v1_LeaseTimeToLiveRequest__Output } from '../../holdfast/v1/LeaseTimeToLiveRequest.js';
import type { LeaseListRequest as _holdfast_v1_LeaseListRequest, LeaseListRequest__Output as _holdfast_v1_LeaseListRequest__Output } from '../../holdfast/v1/LeaseListRequest.js';
import type { Long } from '@grpc/proto-loader';

export interface BatchRequest {
  /**
   * Chosen by the caller, unique among its requests in flight on this stream.
   */
  'id'?: (number | string | Long);
  'put'?: (_holdfast_v1_PutRequest | null);
  'get'?: (_holdfast_v1_GetRequest | null);
  'delete'?: (_holdfast_v1_DeleteRequest | null);
  'range'?: (_holdfast_v1_RangeRequest | null);
  'txn'?: (_holdfast_v1_TxnRequest | null);
  /**
   * Milliseconds the caller will wait; 0 = the server's default.
   */
  'timeoutMs'?: (number);
  'compact'?: (_holdfast_v1_CompactRequest | null);
  /**
   * Set by a member forwarding a write it checked: the auth revision it checked against. The
   * member that proposes the write stamps the lower of this and its own auth revision on arrival,
   * so setting it can only make a write refused sooner (auth-changed), never let one through.
   */
  'checkedAuth'?: (_holdfast_v1_AuthCheck | null);
  'leaseGrant'?: (_holdfast_v1_LeaseGrantRequest | null);
  'leaseRevoke'?: (_holdfast_v1_LeaseRevokeRequest | null);
  'leaseKeepAlive'?: (_holdfast_v1_LeaseKeepAliveRequest | null);
  'leaseTimeToLive'?: (_holdfast_v1_LeaseTimeToLiveRequest | null);
  'leaseList'?: (_holdfast_v1_LeaseListRequest | null);
  'op'?: "put"|"get"|"delete"|"range"|"txn"|"leaseGrant"|"leaseRevoke"|"leaseKeepAlive"|"leaseTimeToLive"|"leaseList"|"compact";
}

export interface BatchRequest__Output {
  /**
   * Chosen by the caller, unique among its requests in flight on this stream.
   */
  'id': (number);
  'put'?: (_holdfast_v1_PutRequest__Output | null);
  'get'?: (_holdfast_v1_GetRequest__Output | null);
  'delete'?: (_holdfast_v1_DeleteRequest__Output | null);
  'range'?: (_holdfast_v1_RangeRequest__Output | null);
  'txn'?: (_holdfast_v1_TxnRequest__Output | null);
  /**
   * Milliseconds the caller will wait; 0 = the server's default.
   */
  'timeoutMs': (number);
  'compact'?: (_holdfast_v1_CompactRequest__Output | null);
  /**
   * Set by a member forwarding a write it checked: the auth revision it checked against. The
   * member that proposes the write stamps the lower of this and its own auth revision on arrival,
   * so setting it can only make a write refused sooner (auth-changed), never let one through.
   */
  'checkedAuth': (_holdfast_v1_AuthCheck__Output | null);
  'leaseGrant'?: (_holdfast_v1_LeaseGrantRequest__Output | null);
  'leaseRevoke'?: (_holdfast_v1_LeaseRevokeRequest__Output | null);
  'leaseKeepAlive'?: (_holdfast_v1_LeaseKeepAliveRequest__Output | null);
  'leaseTimeToLive'?: (_holdfast_v1_LeaseTimeToLiveRequest__Output | null);
  'leaseList'?: (_holdfast_v1_LeaseListRequest__Output | null);
  'op'?: "put"|"get"|"delete"|"range"|"txn"|"leaseGrant"|"leaseRevoke"|"leaseKeepAlive"|"leaseTimeToLive"|"leaseList"|"compact";
}

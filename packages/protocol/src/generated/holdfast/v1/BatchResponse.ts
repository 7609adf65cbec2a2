// Original file: proto/holdfast/v1/kv.proto

import type { PutResponse as _holdfast_v1_PutResponse, PutResponse__Output as _holdfast_v1_PutResponse__Output } from '../../holdfast/v1/PutResponse.js';
import type { GetResponse as _holdfast_v1_GetResponse, GetResponse__Output as _holdfast_v1_GetResponse__Output } from '../../holdfast/v1/GetResponse.js';
import type { DeleteResponse as _holdfast_v1_DeleteResponse, DeleteResponse__Output as _holdfast_v1_DeleteResponse__Output } from '../../holdfast/v1/DeleteResponse.js';
import type { RangeResponse as _holdfast_v1_RangeResponse, RangeResponse__Output as _holdfast_v1_RangeResponse__Output } from '../../holdfast/v1/RangeResponse.js';
import type { TxnResponse as _holdfast_v1_TxnResponse, TxnResponse__Output as _holdfast_v1_TxnResponse__Output } from '../../holdfast/v1/TxnResponse.js';
import type { BatchError as _holdfast_v1_BatchError, BatchError__Output as _holdfast_v1_BatchError__Output } from '../../holdfast/v1/BatchError.js';
import type { CompactResponse as _holdfast_v1_CompactResponse, CompactResponse__Output as _holdfast_v1_CompactResponse__Output } from '../../holdfast/v1/CompactResponse.js';
import type { LeaseGrantResponse as _holdfast_v1_LeaseGrantResponse, LeaseGrantResponse__Output as _holdfast_v1_LeaseGrantResponse__Output } from '../../holdfast/v1/LeaseGrantResponse.js';
import type { LeaseRevokeResponse as _holdfast_v1_LeaseRevokeResponse, LeaseRevokeResponse__Output as _holdfast_v1_LeaseRevokeResponse__Output } from '../../holdfast/v1/LeaseRevokeResponse.js';
import type { LeaseKeepAliveResponse as _holdfast_v1_LeaseKeepAliveResponse, LeaseKeepAliveResponse__Output as _holdfast_v1_LeaseKeepAliveResponse__Output } from '../../holdfast/v1/LeaseKeepAliveResponse.js';
import type { LeaseTimeToLiveResponse as _holdfast_v1_LeaseTimeToLiveResponse, LeaseTimeToLiveResponse__Output as _holdfast_v1_LeaseTimeToLiveResponse__Output } from '../../holdfast/v1/LeaseTimeToLiveResponse.js';
import type { LeaseListResponse as _holdfast_v1_LeaseListResponse, LeaseListResponse__Output as _holdfast_v1_LeaseListResponse__Output } from '../../holdfast/v1/LeaseListResponse.js';
import type { Long } from '@grpc/proto-loader';

export interface BatchResponse {
  'id'?: (number | string | Long);
  'put'?: (_holdfast_v1_PutResponse | null);
  'get'?: (_holdfast_v1_GetResponse | null);
  'delete'?: (_holdfast_v1_DeleteResponse | null);
  'range'?: (_holdfast_v1_RangeResponse | null);
  'txn'?: (_holdfast_v1_TxnResponse | null);
  'error'?: (_holdfast_v1_BatchError | null);
  'compact'?: (_holdfast_v1_CompactResponse | null);
  'leaseGrant'?: (_holdfast_v1_LeaseGrantResponse | null);
  'leaseRevoke'?: (_holdfast_v1_LeaseRevokeResponse | null);
  'leaseKeepAlive'?: (_holdfast_v1_LeaseKeepAliveResponse | null);
  'leaseTimeToLive'?: (_holdfast_v1_LeaseTimeToLiveResponse | null);
  'leaseList'?: (_holdfast_v1_LeaseListResponse | null);
  'result'?: "put"|"get"|"delete"|"range"|"txn"|"error"|"leaseGrant"|"leaseRevoke"|"leaseKeepAlive"|"leaseTimeToLive"|"leaseList"|"compact";
}

export interface BatchResponse__Output {
  'id': (number);
  'put'?: (_holdfast_v1_PutResponse__Output | null);
  'get'?: (_holdfast_v1_GetResponse__Output | null);
  'delete'?: (_holdfast_v1_DeleteResponse__Output | null);
  'range'?: (_holdfast_v1_RangeResponse__Output | null);
  'txn'?: (_holdfast_v1_TxnResponse__Output | null);
  'error'?: (_holdfast_v1_BatchError__Output | null);
  'compact'?: (_holdfast_v1_CompactResponse__Output | null);
  'leaseGrant'?: (_holdfast_v1_LeaseGrantResponse__Output | null);
  'leaseRevoke'?: (_holdfast_v1_LeaseRevokeResponse__Output | null);
  'leaseKeepAlive'?: (_holdfast_v1_LeaseKeepAliveResponse__Output | null);
  'leaseTimeToLive'?: (_holdfast_v1_LeaseTimeToLiveResponse__Output | null);
  'leaseList'?: (_holdfast_v1_LeaseListResponse__Output | null);
  'result'?: "put"|"get"|"delete"|"range"|"txn"|"error"|"leaseGrant"|"leaseRevoke"|"leaseKeepAlive"|"leaseTimeToLive"|"leaseList"|"compact";
}

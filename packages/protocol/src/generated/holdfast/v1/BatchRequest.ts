// Original file: proto/holdfast/v1/kv.proto

import type { PutRequest as _holdfast_v1_PutRequest, PutRequest__Output as _holdfast_v1_PutRequest__Output } from '../../holdfast/v1/PutRequest.js';
import type { GetRequest as _holdfast_v1_GetRequest, GetRequest__Output as _holdfast_v1_GetRequest__Output } from '../../holdfast/v1/GetRequest.js';
import type { DeleteRequest as _holdfast_v1_DeleteRequest, DeleteRequest__Output as _holdfast_v1_DeleteRequest__Output } from '../../holdfast/v1/DeleteRequest.js';
import type { RangeRequest as _holdfast_v1_RangeRequest, RangeRequest__Output as _holdfast_v1_RangeRequest__Output } from '../../holdfast/v1/RangeRequest.js';
import type { TxnRequest as _holdfast_v1_TxnRequest, TxnRequest__Output as _holdfast_v1_TxnRequest__Output } from '../../holdfast/v1/TxnRequest.js';
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
  'op'?: "put"|"get"|"delete"|"range"|"txn";
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
  'op'?: "put"|"get"|"delete"|"range"|"txn";
}

// Original file: proto/holdfast/v1/kv.proto

import type { PutRequest as _holdfast_v1_PutRequest, PutRequest__Output as _holdfast_v1_PutRequest__Output } from '../../holdfast/v1/PutRequest.js';
import type { GetRequest as _holdfast_v1_GetRequest, GetRequest__Output as _holdfast_v1_GetRequest__Output } from '../../holdfast/v1/GetRequest.js';
import type { DeleteRequest as _holdfast_v1_DeleteRequest, DeleteRequest__Output as _holdfast_v1_DeleteRequest__Output } from '../../holdfast/v1/DeleteRequest.js';

export interface TxnOp {
  'put'?: (_holdfast_v1_PutRequest | null);
  'get'?: (_holdfast_v1_GetRequest | null);
  'delete'?: (_holdfast_v1_DeleteRequest | null);
  'op'?: "put"|"get"|"delete";
}

export interface TxnOp__Output {
  'put'?: (_holdfast_v1_PutRequest__Output | null);
  'get'?: (_holdfast_v1_GetRequest__Output | null);
  'delete'?: (_holdfast_v1_DeleteRequest__Output | null);
  'op'?: "put"|"get"|"delete";
}

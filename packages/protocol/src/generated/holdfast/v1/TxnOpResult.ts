// Original file: proto/holdfast/v1/kv.proto

import type { PutResponse as _holdfast_v1_PutResponse, PutResponse__Output as _holdfast_v1_PutResponse__Output } from '../../holdfast/v1/PutResponse.js';
import type { GetResponse as _holdfast_v1_GetResponse, GetResponse__Output as _holdfast_v1_GetResponse__Output } from '../../holdfast/v1/GetResponse.js';
import type { DeleteResponse as _holdfast_v1_DeleteResponse, DeleteResponse__Output as _holdfast_v1_DeleteResponse__Output } from '../../holdfast/v1/DeleteResponse.js';

export interface TxnOpResult {
  'put'?: (_holdfast_v1_PutResponse | null);
  'get'?: (_holdfast_v1_GetResponse | null);
  'delete'?: (_holdfast_v1_DeleteResponse | null);
  'result'?: "put"|"get"|"delete";
}

export interface TxnOpResult__Output {
  'put'?: (_holdfast_v1_PutResponse__Output | null);
  'get'?: (_holdfast_v1_GetResponse__Output | null);
  'delete'?: (_holdfast_v1_DeleteResponse__Output | null);
  'result'?: "put"|"get"|"delete";
}

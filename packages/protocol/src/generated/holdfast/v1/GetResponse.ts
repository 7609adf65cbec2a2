// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { KeyValue as _holdfast_v1_KeyValue, KeyValue__Output as _holdfast_v1_KeyValue__Output } from '../../holdfast/v1/KeyValue.js';

export interface GetResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'found'?: (boolean);
  'kv'?: (_holdfast_v1_KeyValue | null);
}

export interface GetResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'found': (boolean);
  'kv': (_holdfast_v1_KeyValue__Output | null);
}

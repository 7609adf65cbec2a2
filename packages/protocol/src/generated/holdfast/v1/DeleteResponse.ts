// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { KeyValue as _holdfast_v1_KeyValue, KeyValue__Output as _holdfast_v1_KeyValue__Output } from '../../holdfast/v1/KeyValue.js';
import type { Long } from '@grpc/proto-loader';

export interface DeleteResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'deleted'?: (boolean);
  'prevKv'?: (_holdfast_v1_KeyValue | null);
  'revision'?: (number | string | Long);
}

export interface DeleteResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'deleted': (boolean);
  'prevKv': (_holdfast_v1_KeyValue__Output | null);
  'revision': (number);
}

// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { KeyValue as _holdfast_v1_KeyValue, KeyValue__Output as _holdfast_v1_KeyValue__Output } from '../../holdfast/v1/KeyValue.js';
import type { Long } from '@grpc/proto-loader';

export interface DeleteResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'deleted'?: (boolean);
  'prevKv'?: (_holdfast_v1_KeyValue | null);
  'revision'?: (number | string | Long);
  /**
   * A range delete: the keys deleted, and with prev_kv each as it was, in key order.
   */
  'deletedCount'?: (number | string | Long);
  'prevKvs'?: (_holdfast_v1_KeyValue)[];
}

export interface DeleteResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'deleted': (boolean);
  'prevKv': (_holdfast_v1_KeyValue__Output | null);
  'revision': (number);
  /**
   * A range delete: the keys deleted, and with prev_kv each as it was, in key order.
   */
  'deletedCount': (number);
  'prevKvs': (_holdfast_v1_KeyValue__Output)[];
}

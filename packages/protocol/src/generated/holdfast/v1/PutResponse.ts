// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { KeyValue as _holdfast_v1_KeyValue, KeyValue__Output as _holdfast_v1_KeyValue__Output } from '../../holdfast/v1/KeyValue.js';
import type { Long } from '@grpc/proto-loader';

export interface PutResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'prevKv'?: (_holdfast_v1_KeyValue | null);
  /**
   * Revision of this write.
   */
  'revision'?: (number | string | Long);
}

export interface PutResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'prevKv': (_holdfast_v1_KeyValue__Output | null);
  /**
   * Revision of this write.
   */
  'revision': (number);
}

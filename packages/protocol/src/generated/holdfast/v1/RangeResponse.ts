// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { KeyValue as _holdfast_v1_KeyValue, KeyValue__Output as _holdfast_v1_KeyValue__Output } from '../../holdfast/v1/KeyValue.js';

export interface RangeResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'kvs'?: (_holdfast_v1_KeyValue)[];
  /**
   * True when more keys are in range; pass `continuation` to get them.
   */
  'more'?: (boolean);
  'continuation'?: (Buffer | Uint8Array | string);
}

export interface RangeResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'kvs': (_holdfast_v1_KeyValue__Output)[];
  /**
   * True when more keys are in range; pass `continuation` to get them.
   */
  'more': (boolean);
  'continuation': (Buffer);
}

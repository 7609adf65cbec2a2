// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { TxnOpResult as _holdfast_v1_TxnOpResult, TxnOpResult__Output as _holdfast_v1_TxnOpResult__Output } from '../../holdfast/v1/TxnOpResult.js';
import type { Long } from '@grpc/proto-loader';

export interface TxnResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'succeeded'?: (boolean);
  'results'?: (_holdfast_v1_TxnOpResult)[];
  'revision'?: (number | string | Long);
}

export interface TxnResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'succeeded': (boolean);
  'results': (_holdfast_v1_TxnOpResult__Output)[];
  'revision': (number);
}

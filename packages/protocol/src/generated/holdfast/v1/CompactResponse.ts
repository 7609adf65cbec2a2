// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

export interface CompactResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'compactRevision'?: (number | string | Long);
}

export interface CompactResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'compactRevision': (number);
}

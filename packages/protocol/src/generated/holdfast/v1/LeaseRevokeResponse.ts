// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

export interface LeaseRevokeResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'keysDeleted'?: (number);
  /**
   * The revision of the keys' deletion (the store's revision when none was attached).
   */
  'revision'?: (number | string | Long);
}

export interface LeaseRevokeResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'keysDeleted': (number);
  /**
   * The revision of the keys' deletion (the store's revision when none was attached).
   */
  'revision': (number);
}

// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

export interface LeaseTimeToLiveResponse {
  'header'?: (_holdfast_v1_ResponseHeader | null);
  'id'?: (number | string | Long);
  /**
   * The TTL granted, and what is left of it by the leader's clock.
   */
  'ttlMs'?: (number);
  'remainingMs'?: (number);
  /**
   * With `keys`: the keys attached.
   */
  'keys'?: (Buffer | Uint8Array | string)[];
}

export interface LeaseTimeToLiveResponse__Output {
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  'id': (number);
  /**
   * The TTL granted, and what is left of it by the leader's clock.
   */
  'ttlMs': (number);
  'remainingMs': (number);
  /**
   * With `keys`: the keys attached.
   */
  'keys': (Buffer)[];
}

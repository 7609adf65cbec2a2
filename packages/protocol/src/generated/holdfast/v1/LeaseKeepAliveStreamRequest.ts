// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface LeaseKeepAliveStreamRequest {
  /**
   * Chosen by the caller, unique among its requests in flight on this stream.
   */
  'tag'?: (number | string | Long);
  'id'?: (number | string | Long);
}

export interface LeaseKeepAliveStreamRequest__Output {
  /**
   * Chosen by the caller, unique among its requests in flight on this stream.
   */
  'tag': (number);
  'id': (number);
}

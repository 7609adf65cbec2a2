// Original file: proto/holdfast/v1/kv.proto

import type { LeaseKeepAliveResponse as _holdfast_v1_LeaseKeepAliveResponse, LeaseKeepAliveResponse__Output as _holdfast_v1_LeaseKeepAliveResponse__Output } from '../../holdfast/v1/LeaseKeepAliveResponse.js';
import type { BatchError as _holdfast_v1_BatchError, BatchError__Output as _holdfast_v1_BatchError__Output } from '../../holdfast/v1/BatchError.js';
import type { Long } from '@grpc/proto-loader';

export interface LeaseKeepAliveStreamResponse {
  'tag'?: (number | string | Long);
  'keepAlive'?: (_holdfast_v1_LeaseKeepAliveResponse | null);
  /**
   * As a Batch request's: lease-not-found, overloaded, not-leader, timeout, ...
   */
  'error'?: (_holdfast_v1_BatchError | null);
  'result'?: "keepAlive"|"error";
}

export interface LeaseKeepAliveStreamResponse__Output {
  'tag': (number);
  'keepAlive'?: (_holdfast_v1_LeaseKeepAliveResponse__Output | null);
  /**
   * As a Batch request's: lease-not-found, overloaded, not-leader, timeout, ...
   */
  'error'?: (_holdfast_v1_BatchError__Output | null);
  'result'?: "keepAlive"|"error";
}

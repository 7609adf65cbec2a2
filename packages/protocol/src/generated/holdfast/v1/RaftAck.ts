// Original file: proto/holdfast/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface RaftAck {
  'batches'?: (number | string | Long);
  /**
   * Set when the receiver refuses the stream (wrong cluster, unknown member).
   */
  'error'?: (string);
}

export interface RaftAck__Output {
  'batches': (number);
  /**
   * Set when the receiver refuses the stream (wrong cluster, unknown member).
   */
  'error': (string);
}

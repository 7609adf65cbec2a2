// Original file: proto/holdfast/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface StateCheckpoint {
  /**
   * The member whose state this is.
   */
  'member'?: (number | string | Long);
  'index'?: (number | string | Long);
  /**
   * The 64-bit hash as two halves (protobuf's 64-bit integers do not survive as JS numbers).
   */
  'hashHigh'?: (number);
  'hashLow'?: (number);
}

export interface StateCheckpoint__Output {
  /**
   * The member whose state this is.
   */
  'member': (number);
  'index': (number);
  /**
   * The 64-bit hash as two halves (protobuf's 64-bit integers do not survive as JS numbers).
   */
  'hashHigh': (number);
  'hashLow': (number);
}

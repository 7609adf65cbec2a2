// Original file: proto/holdfast/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface RaftBatch {
  'clusterId'?: (string);
  'from'?: (number | string | Long);
  'to'?: (number | string | Long);
  /**
   * msgpackr-encoded array of Message.
   */
  'messages'?: (Buffer | Uint8Array | string);
}

export interface RaftBatch__Output {
  'clusterId': (string);
  'from': (number);
  'to': (number);
  /**
   * msgpackr-encoded array of Message.
   */
  'messages': (Buffer);
}

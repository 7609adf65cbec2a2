// Original file: proto/holdfast/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotChunk {
  /**
   * Set on the first chunk only: cluster id, sender, receiver, and the msgpackr-encoded
   * snapshot Message (with the snapshot's data replaced by the stream of chunks).
   */
  'clusterId'?: (string);
  'from'?: (number | string | Long);
  'to'?: (number | string | Long);
  'message'?: (Buffer | Uint8Array | string);
  'data'?: (Buffer | Uint8Array | string);
  'last'?: (boolean);
}

export interface SnapshotChunk__Output {
  /**
   * Set on the first chunk only: cluster id, sender, receiver, and the msgpackr-encoded
   * snapshot Message (with the snapshot's data replaced by the stream of chunks).
   */
  'clusterId': (string);
  'from': (number);
  'to': (number);
  'message': (Buffer);
  'data': (Buffer);
  'last': (boolean);
}

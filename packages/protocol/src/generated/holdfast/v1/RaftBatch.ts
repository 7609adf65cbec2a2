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
  /**
   * The newest apply version the sender's release implements; 0 (absent) from a release before
   * versions existed, which implements version 1. A leader stamps a version on writes only
   * once every member has sent it.
   */
  'applyVersion'?: (number);
}

export interface RaftBatch__Output {
  'clusterId': (string);
  'from': (number);
  'to': (number);
  /**
   * msgpackr-encoded array of Message.
   */
  'messages': (Buffer);
  /**
   * The newest apply version the sender's release implements; 0 (absent) from a release before
   * versions existed, which implements version 1. A leader stamps a version on writes only
   * once every member has sent it.
   */
  'applyVersion': (number);
}

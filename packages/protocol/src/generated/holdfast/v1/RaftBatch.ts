// Original file: proto/holdfast/v1/raft.proto

import type { StateCheckpoint as _holdfast_v1_StateCheckpoint, StateCheckpoint__Output as _holdfast_v1_StateCheckpoint__Output } from '../../holdfast/v1/StateCheckpoint.js';
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
  /**
   * State hash checkpoints (the hash of the replicated state after exactly `index`, taken every
   * K applied entries): the sender's own newest ones and those it heard from other members, so
   * that every member learns every member's through the leader. Sent when they change.
   */
  'stateCheckpoints'?: (_holdfast_v1_StateCheckpoint)[];
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
  /**
   * State hash checkpoints (the hash of the replicated state after exactly `index`, taken every
   * K applied entries): the sender's own newest ones and those it heard from other members, so
   * that every member learns every member's through the leader. Sent when they change.
   */
  'stateCheckpoints': (_holdfast_v1_StateCheckpoint__Output)[];
}

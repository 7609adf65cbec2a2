// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface TransferLeadershipRequest {
  /**
   * 0 = the most caught-up voter.
   */
  'targetId'?: (number | string | Long);
}

export interface TransferLeadershipRequest__Output {
  /**
   * 0 = the most caught-up voter.
   */
  'targetId': (number);
}

// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface FollowerProgress {
  'id'?: (number | string | Long);
  'matchIndex'?: (number | string | Long);
  'nextIndex'?: (number | string | Long);
  /**
   * probe | replicate | snapshot
   */
  'state'?: (string);
}

export interface FollowerProgress__Output {
  'id': (number);
  'matchIndex': (number);
  'nextIndex': (number);
  /**
   * probe | replicate | snapshot
   */
  'state': (string);
}

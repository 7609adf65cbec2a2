// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface ResponseHeader {
  'clusterId'?: (string);
  'memberId'?: (number | string | Long);
  'term'?: (number | string | Long);
  /**
   * The store's revision when the answer was produced.
   */
  'revision'?: (number | string | Long);
}

export interface ResponseHeader__Output {
  'clusterId': (string);
  'memberId': (number);
  'term': (number);
  /**
   * The store's revision when the answer was produced.
   */
  'revision': (number);
}

// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface CompactRequest {
  /**
   * Reads below it are refused from then on; it must be above the compacted revision and at
   * most the store's revision.
   */
  'revision'?: (number | string | Long);
}

export interface CompactRequest__Output {
  /**
   * Reads below it are refused from then on; it must be above the compacted revision and at
   * most the store's revision.
   */
  'revision': (number);
}

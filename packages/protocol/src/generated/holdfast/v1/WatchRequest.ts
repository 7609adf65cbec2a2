// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchRequest {
  /**
   * Which keys, as in RangeRequest: [start, end); empty end = only `start`; end = "\0" = every key
   * from `start`; or every key with `prefix`.
   */
  'start'?: (Buffer | Uint8Array | string);
  'end'?: (Buffer | Uint8Array | string);
  'prefix'?: (Buffer | Uint8Array | string);
  /**
   * The first revision to tell changes of; 0 = from the member's next revision. Changes older
   * than the member keeps in memory are read from the key history on disk; below the compacted
   * revision: OUT_OF_RANGE `compacted`.
   */
  'startRevision'?: (number | string | Long);
  /**
   * Every event carries the key as it was before the change (when it existed and is not compacted).
   */
  'prevKv'?: (boolean);
}

export interface WatchRequest__Output {
  /**
   * Which keys, as in RangeRequest: [start, end); empty end = only `start`; end = "\0" = every key
   * from `start`; or every key with `prefix`.
   */
  'start': (Buffer);
  'end': (Buffer);
  'prefix': (Buffer);
  /**
   * The first revision to tell changes of; 0 = from the member's next revision. Changes older
   * than the member keeps in memory are read from the key history on disk; below the compacted
   * revision: OUT_OF_RANGE `compacted`.
   */
  'startRevision': (number);
  /**
   * Every event carries the key as it was before the change (when it existed and is not compacted).
   */
  'prevKv': (boolean);
}

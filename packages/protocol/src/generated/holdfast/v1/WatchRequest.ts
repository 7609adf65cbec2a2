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
   * The first revision to tell changes of; 0 = from the member's next revision. Older than the
   * changes the member keeps (--watch-history-events-max, --watch-history-bytes-max, or a restart):
   * OUT_OF_RANGE `compacted`.
   */
  'startRevision'?: (number | string | Long);
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
   * The first revision to tell changes of; 0 = from the member's next revision. Older than the
   * changes the member keeps (--watch-history-events-max, --watch-history-bytes-max, or a restart):
   * OUT_OF_RANGE `compacted`.
   */
  'startRevision': (number);
}

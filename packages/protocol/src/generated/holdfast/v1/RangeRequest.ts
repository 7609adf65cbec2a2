// Original file: proto/holdfast/v1/kv.proto

import type { Consistency as _holdfast_v1_Consistency, Consistency__Output as _holdfast_v1_Consistency__Output } from '../../holdfast/v1/Consistency.js';
import type { Long } from '@grpc/proto-loader';

export interface RangeRequest {
  /**
   * Keys in [start, end). Empty end = only `start`... unless prefix is set.
   */
  'start'?: (Buffer | Uint8Array | string);
  'end'?: (Buffer | Uint8Array | string);
  /**
   * If set, every key with this prefix (start/end ignored).
   */
  'prefix'?: (Buffer | Uint8Array | string);
  /**
   * Maximum keys returned (0 = the server's range limit, which also caps larger values).
   */
  'limit'?: (number);
  'keysOnly'?: (boolean);
  /**
   * From a previous response's `continuation`: resume after that key.
   */
  'continuation'?: (Buffer | Uint8Array | string);
  'consistency'?: (_holdfast_v1_Consistency);
  /**
   * As in GetRequest.
   */
  'maxStalenessMs'?: (number);
  /**
   * As in GetRequest: the keys as they were at this revision (0 = now).
   */
  'revision'?: (number | string | Long);
}

export interface RangeRequest__Output {
  /**
   * Keys in [start, end). Empty end = only `start`... unless prefix is set.
   */
  'start': (Buffer);
  'end': (Buffer);
  /**
   * If set, every key with this prefix (start/end ignored).
   */
  'prefix': (Buffer);
  /**
   * Maximum keys returned (0 = the server's range limit, which also caps larger values).
   */
  'limit': (number);
  'keysOnly': (boolean);
  /**
   * From a previous response's `continuation`: resume after that key.
   */
  'continuation': (Buffer);
  'consistency': (_holdfast_v1_Consistency__Output);
  /**
   * As in GetRequest.
   */
  'maxStalenessMs': (number);
  /**
   * As in GetRequest: the keys as they were at this revision (0 = now).
   */
  'revision': (number);
}

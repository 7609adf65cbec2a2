// Original file: proto/holdfast/v1/kv.proto

import type { Consistency as _holdfast_v1_Consistency, Consistency__Output as _holdfast_v1_Consistency__Output } from '../../holdfast/v1/Consistency.js';

export interface GetRequest {
  'key'?: (Buffer | Uint8Array | string);
  'consistency'?: (_holdfast_v1_Consistency);
}

export interface GetRequest__Output {
  'key': (Buffer);
  'consistency': (_holdfast_v1_Consistency__Output);
}

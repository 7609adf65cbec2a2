// Original file: proto/holdfast/v1/kv.proto

import type { BatchResponse as _holdfast_v1_BatchResponse, BatchResponse__Output as _holdfast_v1_BatchResponse__Output } from '../../holdfast/v1/BatchResponse.js';

export interface BatchResponses {
  'responses'?: (_holdfast_v1_BatchResponse)[];
}

export interface BatchResponses__Output {
  'responses': (_holdfast_v1_BatchResponse__Output)[];
}

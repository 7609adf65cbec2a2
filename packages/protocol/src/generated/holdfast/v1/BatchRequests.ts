// Original file: proto/holdfast/v1/kv.proto

import type { BatchRequest as _holdfast_v1_BatchRequest, BatchRequest__Output as _holdfast_v1_BatchRequest__Output } from '../../holdfast/v1/BatchRequest.js';

/**
 * At most --batch-message-requests-max requests (a node setting, 1024 by default); a message
 * with more has each of its requests refused with request-too-large.
 */
export interface BatchRequests {
  'requests'?: (_holdfast_v1_BatchRequest)[];
}

/**
 * At most --batch-message-requests-max requests (a node setting, 1024 by default); a message
 * with more has each of its requests refused with request-too-large.
 */
export interface BatchRequests__Output {
  'requests': (_holdfast_v1_BatchRequest__Output)[];
}

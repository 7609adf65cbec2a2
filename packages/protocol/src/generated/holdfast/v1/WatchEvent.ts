// Original file: proto/holdfast/v1/kv.proto

import type { KeyValue as _holdfast_v1_KeyValue, KeyValue__Output as _holdfast_v1_KeyValue__Output } from '../../holdfast/v1/KeyValue.js';

// Original file: proto/holdfast/v1/kv.proto

export const _holdfast_v1_WatchEvent_Type = {
  PUT: 'PUT',
  DELETE: 'DELETE',
} as const;

export type _holdfast_v1_WatchEvent_Type =
  | 'PUT'
  | 0
  | 'DELETE'
  | 1

export type _holdfast_v1_WatchEvent_Type__Output = typeof _holdfast_v1_WatchEvent_Type[keyof typeof _holdfast_v1_WatchEvent_Type]

export interface WatchEvent {
  'type'?: (_holdfast_v1_WatchEvent_Type);
  /**
   * The key after the change; for a delete the key with mod_revision = the delete's revision.
   */
  'kv'?: (_holdfast_v1_KeyValue | null);
  /**
   * With WatchRequest.prev_kv: the key before the change.
   */
  'prevKv'?: (_holdfast_v1_KeyValue | null);
}

export interface WatchEvent__Output {
  'type': (_holdfast_v1_WatchEvent_Type__Output);
  /**
   * The key after the change; for a delete the key with mod_revision = the delete's revision.
   */
  'kv': (_holdfast_v1_KeyValue__Output | null);
  /**
   * With WatchRequest.prev_kv: the key before the change.
   */
  'prevKv': (_holdfast_v1_KeyValue__Output | null);
}

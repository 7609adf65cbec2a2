// Original file: proto/holdfast/v1/kv.proto

import type { Session as _holdfast_v1_Session, Session__Output as _holdfast_v1_Session__Output } from '../../holdfast/v1/Session.js';
import type { Long } from '@grpc/proto-loader';

export interface DeleteRequest {
  'key'?: (Buffer | Uint8Array | string);
  'ifModRevision'?: (number | string | Long);
  'prevKv'?: (boolean);
  'session'?: (_holdfast_v1_Session | null);
  /**
   * A range delete: every key in [key, end) (end = "\0": every key from `key`), or every key
   * with `prefix` (key ignored), at one revision. More keys in range than the node's
   * --delete-range-keys-max: INVALID_ARGUMENT `request-too-large`, nothing deleted. Not in a txn;
   * if_mod_revision does not apply.
   */
  'end'?: (Buffer | Uint8Array | string);
  'prefix'?: (Buffer | Uint8Array | string);
}

export interface DeleteRequest__Output {
  'key': (Buffer);
  'ifModRevision': (number);
  'prevKv': (boolean);
  'session': (_holdfast_v1_Session__Output | null);
  /**
   * A range delete: every key in [key, end) (end = "\0": every key from `key`), or every key
   * with `prefix` (key ignored), at one revision. More keys in range than the node's
   * --delete-range-keys-max: INVALID_ARGUMENT `request-too-large`, nothing deleted. Not in a txn;
   * if_mod_revision does not apply.
   */
  'end': (Buffer);
  'prefix': (Buffer);
}

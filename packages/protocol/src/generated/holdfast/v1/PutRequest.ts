// Original file: proto/holdfast/v1/kv.proto

import type { Session as _holdfast_v1_Session, Session__Output as _holdfast_v1_Session__Output } from '../../holdfast/v1/Session.js';
import type { Long } from '@grpc/proto-loader';

export interface PutRequest {
  'key'?: (Buffer | Uint8Array | string);
  'value'?: (Buffer | Uint8Array | string);
  /**
   * Only if the key does not exist.
   */
  'ifAbsent'?: (boolean);
  /**
   * Only if the key's mod_revision equals this (0 = no guard).
   */
  'ifModRevision'?: (number | string | Long);
  'prevKv'?: (boolean);
  'session'?: (_holdfast_v1_Session | null);
  /**
   * Attach the key to this lease (deleted when it ends); 0 = no lease (detaches the key from
   * the lease it had). A lease not held: NOT_FOUND lease-not-found, nothing written.
   */
  'lease'?: (number | string | Long);
  /**
   * A fenced put (0 = none): written only if this token is at least the highest token a fenced
   * put of this key carried, which is then this one. The highest token is kept in the key
   * `__fence/<key>` (16 decimal digits), written with the key at one revision: the SDK's txn
   * convention (fence.compare/record), so both kinds of fenced writes of one key see each other.
   * A stale token: FAILED_PRECONDITION compare-failed, message "fencing token T is below H ...",
   * nothing written. Not with if_absent or if_mod_revision, not in a txn (invalid-argument).
   * Needs every member at apply version 7 (an older member drops the field, which would write
   * unfenced): refused invalid-argument before; the SDK asks the cluster's version first.
   */
  'ifFenceAtLeast'?: (number | string | Long);
}

export interface PutRequest__Output {
  'key': (Buffer);
  'value': (Buffer);
  /**
   * Only if the key does not exist.
   */
  'ifAbsent': (boolean);
  /**
   * Only if the key's mod_revision equals this (0 = no guard).
   */
  'ifModRevision': (number);
  'prevKv': (boolean);
  'session': (_holdfast_v1_Session__Output | null);
  /**
   * Attach the key to this lease (deleted when it ends); 0 = no lease (detaches the key from
   * the lease it had). A lease not held: NOT_FOUND lease-not-found, nothing written.
   */
  'lease': (number);
  /**
   * A fenced put (0 = none): written only if this token is at least the highest token a fenced
   * put of this key carried, which is then this one. The highest token is kept in the key
   * `__fence/<key>` (16 decimal digits), written with the key at one revision: the SDK's txn
   * convention (fence.compare/record), so both kinds of fenced writes of one key see each other.
   * A stale token: FAILED_PRECONDITION compare-failed, message "fencing token T is below H ...",
   * nothing written. Not with if_absent or if_mod_revision, not in a txn (invalid-argument).
   * Needs every member at apply version 7 (an older member drops the field, which would write
   * unfenced): refused invalid-argument before; the SDK asks the cluster's version first.
   */
  'ifFenceAtLeast': (number);
}

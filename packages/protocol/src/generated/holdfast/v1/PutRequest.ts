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
}

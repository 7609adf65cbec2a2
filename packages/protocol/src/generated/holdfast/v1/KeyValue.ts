// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface KeyValue {
  'key'?: (Buffer | Uint8Array | string);
  'value'?: (Buffer | Uint8Array | string);
  /**
   * Revision of the write that created the key (since its last delete).
   */
  'createRevision'?: (number | string | Long);
  /**
   * Revision of the last write to the key.
   */
  'modRevision'?: (number | string | Long);
  /**
   * Number of writes since creation; 1 after the first put.
   */
  'version'?: (number | string | Long);
  /**
   * The lease the key is attached to; 0 = none.
   */
  'lease'?: (number | string | Long);
}

export interface KeyValue__Output {
  'key': (Buffer);
  'value': (Buffer);
  /**
   * Revision of the write that created the key (since its last delete).
   */
  'createRevision': (number);
  /**
   * Revision of the last write to the key.
   */
  'modRevision': (number);
  /**
   * Number of writes since creation; 1 after the first put.
   */
  'version': (number);
  /**
   * The lease the key is attached to; 0 = none.
   */
  'lease': (number);
}

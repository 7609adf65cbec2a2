// Original file: proto/holdfast/v1/kv.proto

import type { ResponseHeader as _holdfast_v1_ResponseHeader, ResponseHeader__Output as _holdfast_v1_ResponseHeader__Output } from '../../holdfast/v1/ResponseHeader.js';

export interface BackupChunk {
  /**
   * The first chunk only: the applied index and revision the backup holds.
   */
  'header'?: (_holdfast_v1_ResponseHeader | null);
  /**
   * One framed chunk of the state's snapshot stream (length, CRC32, payload), to be stored as is.
   */
  'data'?: (Buffer | Uint8Array | string);
}

export interface BackupChunk__Output {
  /**
   * The first chunk only: the applied index and revision the backup holds.
   */
  'header': (_holdfast_v1_ResponseHeader__Output | null);
  /**
   * One framed chunk of the state's snapshot stream (length, CRC32, payload), to be stored as is.
   */
  'data': (Buffer);
}

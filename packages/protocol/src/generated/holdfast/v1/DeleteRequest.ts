// Original file: proto/holdfast/v1/kv.proto

import type { Session as _holdfast_v1_Session, Session__Output as _holdfast_v1_Session__Output } from '../../holdfast/v1/Session.js';
import type { Long } from '@grpc/proto-loader';

export interface DeleteRequest {
  'key'?: (Buffer | Uint8Array | string);
  'ifModRevision'?: (number | string | Long);
  'prevKv'?: (boolean);
  'session'?: (_holdfast_v1_Session | null);
}

export interface DeleteRequest__Output {
  'key': (Buffer);
  'ifModRevision': (number);
  'prevKv': (boolean);
  'session': (_holdfast_v1_Session__Output | null);
}

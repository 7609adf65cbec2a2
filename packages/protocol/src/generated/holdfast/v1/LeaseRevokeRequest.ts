// Original file: proto/holdfast/v1/kv.proto

import type { Session as _holdfast_v1_Session, Session__Output as _holdfast_v1_Session__Output } from '../../holdfast/v1/Session.js';
import type { Long } from '@grpc/proto-loader';

export interface LeaseRevokeRequest {
  'id'?: (number | string | Long);
  'session'?: (_holdfast_v1_Session | null);
}

export interface LeaseRevokeRequest__Output {
  'id': (number);
  'session': (_holdfast_v1_Session__Output | null);
}

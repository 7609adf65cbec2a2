// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface LeaseStatus {
  'id'?: (number | string | Long);
  'ttlMs'?: (number);
  'keys'?: (number);
}

export interface LeaseStatus__Output {
  'id': (number);
  'ttlMs': (number);
  'keys': (number);
}

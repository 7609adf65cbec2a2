// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface MemberPromoteRequest {
  'id'?: (number | string | Long);
}

export interface MemberPromoteRequest__Output {
  'id': (number);
}

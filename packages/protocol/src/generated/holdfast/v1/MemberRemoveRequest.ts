// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface MemberRemoveRequest {
  'id'?: (number | string | Long);
}

export interface MemberRemoveRequest__Output {
  'id': (number);
}

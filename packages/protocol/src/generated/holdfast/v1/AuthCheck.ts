// Original file: proto/holdfast/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface AuthCheck {
  'revision'?: (number | string | Long);
}

export interface AuthCheck__Output {
  'revision': (number);
}

// Original file: proto/holdfast/v1/auth.proto

import type { Long } from '@grpc/proto-loader';

export interface AuthStatusResponse {
  'enabled'?: (boolean);
  'revision'?: (number | string | Long);
  'tokenTtlMs'?: (number);
  'signingKeys'?: (number);
}

export interface AuthStatusResponse__Output {
  'enabled': (boolean);
  'revision': (number);
  'tokenTtlMs': (number);
  'signingKeys': (number);
}

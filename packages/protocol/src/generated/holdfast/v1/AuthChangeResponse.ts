// Original file: proto/holdfast/v1/auth.proto

import type { Long } from '@grpc/proto-loader';

export interface AuthChangeResponse {
  /**
   * The auth state's revision after the change.
   */
  'revision'?: (number | string | Long);
}

export interface AuthChangeResponse__Output {
  /**
   * The auth state's revision after the change.
   */
  'revision': (number);
}

// Original file: proto/holdfast/v1/auth.proto

import type { Long } from '@grpc/proto-loader';

export interface AuthenticateResponse {
  'token'?: (string);
  /**
   * Wall-clock milliseconds (the answering member's clock) after which the token is refused.
   */
  'expiresAtMs'?: (number | string | Long);
}

export interface AuthenticateResponse__Output {
  'token': (string);
  /**
   * Wall-clock milliseconds (the answering member's clock) after which the token is refused.
   */
  'expiresAtMs': (number);
}

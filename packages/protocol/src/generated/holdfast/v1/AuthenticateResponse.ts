// Original file: proto/holdfast/v1/auth.proto

import type { Long } from '@grpc/proto-loader';

export interface AuthenticateResponse {
  /**
   * Empty while auth is off: calls need no token (the name and password were not checked).
   */
  'token'?: (string);
  /**
   * Wall-clock milliseconds (the answering member's clock) after which the token is refused.
   */
  'expiresAtMs'?: (number | string | Long);
}

export interface AuthenticateResponse__Output {
  /**
   * Empty while auth is off: calls need no token (the name and password were not checked).
   */
  'token': (string);
  /**
   * Wall-clock milliseconds (the answering member's clock) after which the token is refused.
   */
  'expiresAtMs': (number);
}

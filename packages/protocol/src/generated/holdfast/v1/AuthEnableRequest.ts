// Original file: proto/holdfast/v1/auth.proto


export interface AuthEnableRequest {
  /**
   * How long tokens live; 0 = the member's --auth-token-ttl-ms.
   */
  'tokenTtlMs'?: (number);
}

export interface AuthEnableRequest__Output {
  /**
   * How long tokens live; 0 = the member's --auth-token-ttl-ms.
   */
  'tokenTtlMs': (number);
}

// Original file: proto/holdfast/v1/kv.proto


export interface BatchError {
  /**
   * The gRPC status code the unary call would have returned.
   */
  'code'?: (number);
  /**
   * The `holdfast-error` name (see the top of this file).
   */
  'kind'?: (string);
  'message'?: (string);
  'leader'?: (string);
}

export interface BatchError__Output {
  /**
   * The gRPC status code the unary call would have returned.
   */
  'code': (number);
  /**
   * The `holdfast-error` name (see the top of this file).
   */
  'kind': (string);
  'message': (string);
  'leader': (string);
}

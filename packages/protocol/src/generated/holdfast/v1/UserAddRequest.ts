// Original file: proto/holdfast/v1/auth.proto


export interface UserAddRequest {
  'name'?: (string);
  /**
   * Empty with no_password: the user has only a certificate identity.
   */
  'password'?: (string);
  'noPassword'?: (boolean);
}

export interface UserAddRequest__Output {
  'name': (string);
  /**
   * Empty with no_password: the user has only a certificate identity.
   */
  'password': (string);
  'noPassword': (boolean);
}

// Original file: proto/holdfast/v1/auth.proto


export interface UserChangePasswordRequest {
  'name'?: (string);
  'password'?: (string);
}

export interface UserChangePasswordRequest__Output {
  'name': (string);
  'password': (string);
}

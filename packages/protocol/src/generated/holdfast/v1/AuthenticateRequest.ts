// Original file: proto/holdfast/v1/auth.proto


export interface AuthenticateRequest {
  'name'?: (string);
  'password'?: (string);
}

export interface AuthenticateRequest__Output {
  'name': (string);
  'password': (string);
}

// Original file: proto/holdfast/v1/auth.proto


export interface UserDeleteRequest {
  'name'?: (string);
}

export interface UserDeleteRequest__Output {
  'name': (string);
}

// Original file: proto/holdfast/v1/auth.proto


export interface UserRoleRequest {
  'name'?: (string);
  'role'?: (string);
}

export interface UserRoleRequest__Output {
  'name': (string);
  'role': (string);
}

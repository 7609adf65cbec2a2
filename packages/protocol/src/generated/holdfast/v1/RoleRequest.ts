// Original file: proto/holdfast/v1/auth.proto


export interface RoleRequest {
  'name'?: (string);
}

export interface RoleRequest__Output {
  'name': (string);
}

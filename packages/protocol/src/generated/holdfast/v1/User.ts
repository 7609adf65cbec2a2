// Original file: proto/holdfast/v1/auth.proto


export interface User {
  'name'?: (string);
  'roles'?: (string)[];
  'hasPassword'?: (boolean);
}

export interface User__Output {
  'name': (string);
  'roles': (string)[];
  'hasPassword': (boolean);
}

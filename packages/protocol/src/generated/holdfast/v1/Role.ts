// Original file: proto/holdfast/v1/auth.proto

import type { Permission as _holdfast_v1_Permission, Permission__Output as _holdfast_v1_Permission__Output } from '../../holdfast/v1/Permission.js';

export interface Role {
  'name'?: (string);
  'permissions'?: (_holdfast_v1_Permission)[];
}

export interface Role__Output {
  'name': (string);
  'permissions': (_holdfast_v1_Permission__Output)[];
}

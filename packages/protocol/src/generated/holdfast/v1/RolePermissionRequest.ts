// Original file: proto/holdfast/v1/auth.proto

import type { Permission as _holdfast_v1_Permission, Permission__Output as _holdfast_v1_Permission__Output } from '../../holdfast/v1/Permission.js';

export interface RolePermissionRequest {
  'name'?: (string);
  'permission'?: (_holdfast_v1_Permission | null);
}

export interface RolePermissionRequest__Output {
  'name': (string);
  'permission': (_holdfast_v1_Permission__Output | null);
}

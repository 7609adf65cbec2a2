// Original file: proto/holdfast/v1/auth.proto

import type { Role as _holdfast_v1_Role, Role__Output as _holdfast_v1_Role__Output } from '../../holdfast/v1/Role.js';

export interface RoleListResponse {
  'roles'?: (_holdfast_v1_Role)[];
}

export interface RoleListResponse__Output {
  'roles': (_holdfast_v1_Role__Output)[];
}

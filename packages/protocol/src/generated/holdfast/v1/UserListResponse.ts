// Original file: proto/holdfast/v1/auth.proto

import type { User as _holdfast_v1_User, User__Output as _holdfast_v1_User__Output } from '../../holdfast/v1/User.js';

export interface UserListResponse {
  'users'?: (_holdfast_v1_User)[];
}

export interface UserListResponse__Output {
  'users': (_holdfast_v1_User__Output)[];
}

// Original file: proto/holdfast/v1/auth.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AuthChangeResponse as _holdfast_v1_AuthChangeResponse, AuthChangeResponse__Output as _holdfast_v1_AuthChangeResponse__Output } from '../../holdfast/v1/AuthChangeResponse.js';
import type { AuthDisableRequest as _holdfast_v1_AuthDisableRequest, AuthDisableRequest__Output as _holdfast_v1_AuthDisableRequest__Output } from '../../holdfast/v1/AuthDisableRequest.js';
import type { AuthEnableRequest as _holdfast_v1_AuthEnableRequest, AuthEnableRequest__Output as _holdfast_v1_AuthEnableRequest__Output } from '../../holdfast/v1/AuthEnableRequest.js';
import type { AuthStatusRequest as _holdfast_v1_AuthStatusRequest, AuthStatusRequest__Output as _holdfast_v1_AuthStatusRequest__Output } from '../../holdfast/v1/AuthStatusRequest.js';
import type { AuthStatusResponse as _holdfast_v1_AuthStatusResponse, AuthStatusResponse__Output as _holdfast_v1_AuthStatusResponse__Output } from '../../holdfast/v1/AuthStatusResponse.js';
import type { AuthenticateRequest as _holdfast_v1_AuthenticateRequest, AuthenticateRequest__Output as _holdfast_v1_AuthenticateRequest__Output } from '../../holdfast/v1/AuthenticateRequest.js';
import type { AuthenticateResponse as _holdfast_v1_AuthenticateResponse, AuthenticateResponse__Output as _holdfast_v1_AuthenticateResponse__Output } from '../../holdfast/v1/AuthenticateResponse.js';
import type { RoleListRequest as _holdfast_v1_RoleListRequest, RoleListRequest__Output as _holdfast_v1_RoleListRequest__Output } from '../../holdfast/v1/RoleListRequest.js';
import type { RoleListResponse as _holdfast_v1_RoleListResponse, RoleListResponse__Output as _holdfast_v1_RoleListResponse__Output } from '../../holdfast/v1/RoleListResponse.js';
import type { RolePermissionRequest as _holdfast_v1_RolePermissionRequest, RolePermissionRequest__Output as _holdfast_v1_RolePermissionRequest__Output } from '../../holdfast/v1/RolePermissionRequest.js';
import type { RoleRequest as _holdfast_v1_RoleRequest, RoleRequest__Output as _holdfast_v1_RoleRequest__Output } from '../../holdfast/v1/RoleRequest.js';
import type { RotateSigningKeyRequest as _holdfast_v1_RotateSigningKeyRequest, RotateSigningKeyRequest__Output as _holdfast_v1_RotateSigningKeyRequest__Output } from '../../holdfast/v1/RotateSigningKeyRequest.js';
import type { UserAddRequest as _holdfast_v1_UserAddRequest, UserAddRequest__Output as _holdfast_v1_UserAddRequest__Output } from '../../holdfast/v1/UserAddRequest.js';
import type { UserChangePasswordRequest as _holdfast_v1_UserChangePasswordRequest, UserChangePasswordRequest__Output as _holdfast_v1_UserChangePasswordRequest__Output } from '../../holdfast/v1/UserChangePasswordRequest.js';
import type { UserDeleteRequest as _holdfast_v1_UserDeleteRequest, UserDeleteRequest__Output as _holdfast_v1_UserDeleteRequest__Output } from '../../holdfast/v1/UserDeleteRequest.js';
import type { UserListRequest as _holdfast_v1_UserListRequest, UserListRequest__Output as _holdfast_v1_UserListRequest__Output } from '../../holdfast/v1/UserListRequest.js';
import type { UserListResponse as _holdfast_v1_UserListResponse, UserListResponse__Output as _holdfast_v1_UserListResponse__Output } from '../../holdfast/v1/UserListResponse.js';
import type { UserRoleRequest as _holdfast_v1_UserRoleRequest, UserRoleRequest__Output as _holdfast_v1_UserRoleRequest__Output } from '../../holdfast/v1/UserRoleRequest.js';

export interface AuthClient extends grpc.Client {
  AuthDisable(argument: _holdfast_v1_AuthDisableRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  AuthDisable(argument: _holdfast_v1_AuthDisableRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  AuthDisable(argument: _holdfast_v1_AuthDisableRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  AuthDisable(argument: _holdfast_v1_AuthDisableRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  authDisable(argument: _holdfast_v1_AuthDisableRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  authDisable(argument: _holdfast_v1_AuthDisableRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  authDisable(argument: _holdfast_v1_AuthDisableRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  authDisable(argument: _holdfast_v1_AuthDisableRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
  AuthEnable(argument: _holdfast_v1_AuthEnableRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  AuthEnable(argument: _holdfast_v1_AuthEnableRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  AuthEnable(argument: _holdfast_v1_AuthEnableRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  AuthEnable(argument: _holdfast_v1_AuthEnableRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  authEnable(argument: _holdfast_v1_AuthEnableRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  authEnable(argument: _holdfast_v1_AuthEnableRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  authEnable(argument: _holdfast_v1_AuthEnableRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  authEnable(argument: _holdfast_v1_AuthEnableRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
  AuthStatus(argument: _holdfast_v1_AuthStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthStatusResponse__Output>): grpc.ClientUnaryCall;
  AuthStatus(argument: _holdfast_v1_AuthStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthStatusResponse__Output>): grpc.ClientUnaryCall;
  AuthStatus(argument: _holdfast_v1_AuthStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthStatusResponse__Output>): grpc.ClientUnaryCall;
  AuthStatus(argument: _holdfast_v1_AuthStatusRequest, callback: grpc.requestCallback<_holdfast_v1_AuthStatusResponse__Output>): grpc.ClientUnaryCall;
  authStatus(argument: _holdfast_v1_AuthStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthStatusResponse__Output>): grpc.ClientUnaryCall;
  authStatus(argument: _holdfast_v1_AuthStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthStatusResponse__Output>): grpc.ClientUnaryCall;
  authStatus(argument: _holdfast_v1_AuthStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthStatusResponse__Output>): grpc.ClientUnaryCall;
  authStatus(argument: _holdfast_v1_AuthStatusRequest, callback: grpc.requestCallback<_holdfast_v1_AuthStatusResponse__Output>): grpc.ClientUnaryCall;
  
  Authenticate(argument: _holdfast_v1_AuthenticateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthenticateResponse__Output>): grpc.ClientUnaryCall;
  Authenticate(argument: _holdfast_v1_AuthenticateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthenticateResponse__Output>): grpc.ClientUnaryCall;
  Authenticate(argument: _holdfast_v1_AuthenticateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthenticateResponse__Output>): grpc.ClientUnaryCall;
  Authenticate(argument: _holdfast_v1_AuthenticateRequest, callback: grpc.requestCallback<_holdfast_v1_AuthenticateResponse__Output>): grpc.ClientUnaryCall;
  authenticate(argument: _holdfast_v1_AuthenticateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthenticateResponse__Output>): grpc.ClientUnaryCall;
  authenticate(argument: _holdfast_v1_AuthenticateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthenticateResponse__Output>): grpc.ClientUnaryCall;
  authenticate(argument: _holdfast_v1_AuthenticateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthenticateResponse__Output>): grpc.ClientUnaryCall;
  authenticate(argument: _holdfast_v1_AuthenticateRequest, callback: grpc.requestCallback<_holdfast_v1_AuthenticateResponse__Output>): grpc.ClientUnaryCall;
  
  RoleAdd(argument: _holdfast_v1_RoleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleAdd(argument: _holdfast_v1_RoleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleAdd(argument: _holdfast_v1_RoleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleAdd(argument: _holdfast_v1_RoleRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleAdd(argument: _holdfast_v1_RoleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleAdd(argument: _holdfast_v1_RoleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleAdd(argument: _holdfast_v1_RoleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleAdd(argument: _holdfast_v1_RoleRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
  RoleDelete(argument: _holdfast_v1_RoleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleDelete(argument: _holdfast_v1_RoleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleDelete(argument: _holdfast_v1_RoleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleDelete(argument: _holdfast_v1_RoleRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleDelete(argument: _holdfast_v1_RoleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleDelete(argument: _holdfast_v1_RoleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleDelete(argument: _holdfast_v1_RoleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleDelete(argument: _holdfast_v1_RoleRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
  RoleGrant(argument: _holdfast_v1_RolePermissionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleGrant(argument: _holdfast_v1_RolePermissionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleGrant(argument: _holdfast_v1_RolePermissionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleGrant(argument: _holdfast_v1_RolePermissionRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleGrant(argument: _holdfast_v1_RolePermissionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleGrant(argument: _holdfast_v1_RolePermissionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleGrant(argument: _holdfast_v1_RolePermissionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleGrant(argument: _holdfast_v1_RolePermissionRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
  RoleList(argument: _holdfast_v1_RoleListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_RoleListResponse__Output>): grpc.ClientUnaryCall;
  RoleList(argument: _holdfast_v1_RoleListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_RoleListResponse__Output>): grpc.ClientUnaryCall;
  RoleList(argument: _holdfast_v1_RoleListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_RoleListResponse__Output>): grpc.ClientUnaryCall;
  RoleList(argument: _holdfast_v1_RoleListRequest, callback: grpc.requestCallback<_holdfast_v1_RoleListResponse__Output>): grpc.ClientUnaryCall;
  roleList(argument: _holdfast_v1_RoleListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_RoleListResponse__Output>): grpc.ClientUnaryCall;
  roleList(argument: _holdfast_v1_RoleListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_RoleListResponse__Output>): grpc.ClientUnaryCall;
  roleList(argument: _holdfast_v1_RoleListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_RoleListResponse__Output>): grpc.ClientUnaryCall;
  roleList(argument: _holdfast_v1_RoleListRequest, callback: grpc.requestCallback<_holdfast_v1_RoleListResponse__Output>): grpc.ClientUnaryCall;
  
  RoleRevoke(argument: _holdfast_v1_RolePermissionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleRevoke(argument: _holdfast_v1_RolePermissionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleRevoke(argument: _holdfast_v1_RolePermissionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RoleRevoke(argument: _holdfast_v1_RolePermissionRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleRevoke(argument: _holdfast_v1_RolePermissionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleRevoke(argument: _holdfast_v1_RolePermissionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleRevoke(argument: _holdfast_v1_RolePermissionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  roleRevoke(argument: _holdfast_v1_RolePermissionRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A new signing key signs from now on; the previous one checks tokens until they expire.
   */
  RotateSigningKey(argument: _holdfast_v1_RotateSigningKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RotateSigningKey(argument: _holdfast_v1_RotateSigningKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RotateSigningKey(argument: _holdfast_v1_RotateSigningKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  RotateSigningKey(argument: _holdfast_v1_RotateSigningKeyRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A new signing key signs from now on; the previous one checks tokens until they expire.
   */
  rotateSigningKey(argument: _holdfast_v1_RotateSigningKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  rotateSigningKey(argument: _holdfast_v1_RotateSigningKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  rotateSigningKey(argument: _holdfast_v1_RotateSigningKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  rotateSigningKey(argument: _holdfast_v1_RotateSigningKeyRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
  UserAdd(argument: _holdfast_v1_UserAddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserAdd(argument: _holdfast_v1_UserAddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserAdd(argument: _holdfast_v1_UserAddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserAdd(argument: _holdfast_v1_UserAddRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userAdd(argument: _holdfast_v1_UserAddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userAdd(argument: _holdfast_v1_UserAddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userAdd(argument: _holdfast_v1_UserAddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userAdd(argument: _holdfast_v1_UserAddRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
  UserChangePassword(argument: _holdfast_v1_UserChangePasswordRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserChangePassword(argument: _holdfast_v1_UserChangePasswordRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserChangePassword(argument: _holdfast_v1_UserChangePasswordRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserChangePassword(argument: _holdfast_v1_UserChangePasswordRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userChangePassword(argument: _holdfast_v1_UserChangePasswordRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userChangePassword(argument: _holdfast_v1_UserChangePasswordRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userChangePassword(argument: _holdfast_v1_UserChangePasswordRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userChangePassword(argument: _holdfast_v1_UserChangePasswordRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
  UserDelete(argument: _holdfast_v1_UserDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserDelete(argument: _holdfast_v1_UserDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserDelete(argument: _holdfast_v1_UserDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserDelete(argument: _holdfast_v1_UserDeleteRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userDelete(argument: _holdfast_v1_UserDeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userDelete(argument: _holdfast_v1_UserDeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userDelete(argument: _holdfast_v1_UserDeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userDelete(argument: _holdfast_v1_UserDeleteRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
  UserGrantRole(argument: _holdfast_v1_UserRoleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserGrantRole(argument: _holdfast_v1_UserRoleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserGrantRole(argument: _holdfast_v1_UserRoleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserGrantRole(argument: _holdfast_v1_UserRoleRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userGrantRole(argument: _holdfast_v1_UserRoleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userGrantRole(argument: _holdfast_v1_UserRoleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userGrantRole(argument: _holdfast_v1_UserRoleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userGrantRole(argument: _holdfast_v1_UserRoleRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
  UserList(argument: _holdfast_v1_UserListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_UserListResponse__Output>): grpc.ClientUnaryCall;
  UserList(argument: _holdfast_v1_UserListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_UserListResponse__Output>): grpc.ClientUnaryCall;
  UserList(argument: _holdfast_v1_UserListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_UserListResponse__Output>): grpc.ClientUnaryCall;
  UserList(argument: _holdfast_v1_UserListRequest, callback: grpc.requestCallback<_holdfast_v1_UserListResponse__Output>): grpc.ClientUnaryCall;
  userList(argument: _holdfast_v1_UserListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_UserListResponse__Output>): grpc.ClientUnaryCall;
  userList(argument: _holdfast_v1_UserListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_UserListResponse__Output>): grpc.ClientUnaryCall;
  userList(argument: _holdfast_v1_UserListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_UserListResponse__Output>): grpc.ClientUnaryCall;
  userList(argument: _holdfast_v1_UserListRequest, callback: grpc.requestCallback<_holdfast_v1_UserListResponse__Output>): grpc.ClientUnaryCall;
  
  UserRevokeRole(argument: _holdfast_v1_UserRoleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserRevokeRole(argument: _holdfast_v1_UserRoleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserRevokeRole(argument: _holdfast_v1_UserRoleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  UserRevokeRole(argument: _holdfast_v1_UserRoleRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userRevokeRole(argument: _holdfast_v1_UserRoleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userRevokeRole(argument: _holdfast_v1_UserRoleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userRevokeRole(argument: _holdfast_v1_UserRoleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  userRevokeRole(argument: _holdfast_v1_UserRoleRequest, callback: grpc.requestCallback<_holdfast_v1_AuthChangeResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AuthHandlers extends grpc.UntypedServiceImplementation {
  AuthDisable: grpc.handleUnaryCall<_holdfast_v1_AuthDisableRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
  AuthEnable: grpc.handleUnaryCall<_holdfast_v1_AuthEnableRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
  AuthStatus: grpc.handleUnaryCall<_holdfast_v1_AuthStatusRequest__Output, _holdfast_v1_AuthStatusResponse>;
  
  Authenticate: grpc.handleUnaryCall<_holdfast_v1_AuthenticateRequest__Output, _holdfast_v1_AuthenticateResponse>;
  
  RoleAdd: grpc.handleUnaryCall<_holdfast_v1_RoleRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
  RoleDelete: grpc.handleUnaryCall<_holdfast_v1_RoleRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
  RoleGrant: grpc.handleUnaryCall<_holdfast_v1_RolePermissionRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
  RoleList: grpc.handleUnaryCall<_holdfast_v1_RoleListRequest__Output, _holdfast_v1_RoleListResponse>;
  
  RoleRevoke: grpc.handleUnaryCall<_holdfast_v1_RolePermissionRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
  /**
   * A new signing key signs from now on; the previous one checks tokens until they expire.
   */
  RotateSigningKey: grpc.handleUnaryCall<_holdfast_v1_RotateSigningKeyRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
  UserAdd: grpc.handleUnaryCall<_holdfast_v1_UserAddRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
  UserChangePassword: grpc.handleUnaryCall<_holdfast_v1_UserChangePasswordRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
  UserDelete: grpc.handleUnaryCall<_holdfast_v1_UserDeleteRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
  UserGrantRole: grpc.handleUnaryCall<_holdfast_v1_UserRoleRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
  UserList: grpc.handleUnaryCall<_holdfast_v1_UserListRequest__Output, _holdfast_v1_UserListResponse>;
  
  UserRevokeRole: grpc.handleUnaryCall<_holdfast_v1_UserRoleRequest__Output, _holdfast_v1_AuthChangeResponse>;
  
}

export interface AuthDefinition extends grpc.ServiceDefinition {
  AuthDisable: MethodDefinition<_holdfast_v1_AuthDisableRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_AuthDisableRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
  AuthEnable: MethodDefinition<_holdfast_v1_AuthEnableRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_AuthEnableRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
  AuthStatus: MethodDefinition<_holdfast_v1_AuthStatusRequest, _holdfast_v1_AuthStatusResponse, _holdfast_v1_AuthStatusRequest__Output, _holdfast_v1_AuthStatusResponse__Output>
  Authenticate: MethodDefinition<_holdfast_v1_AuthenticateRequest, _holdfast_v1_AuthenticateResponse, _holdfast_v1_AuthenticateRequest__Output, _holdfast_v1_AuthenticateResponse__Output>
  RoleAdd: MethodDefinition<_holdfast_v1_RoleRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_RoleRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
  RoleDelete: MethodDefinition<_holdfast_v1_RoleRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_RoleRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
  RoleGrant: MethodDefinition<_holdfast_v1_RolePermissionRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_RolePermissionRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
  RoleList: MethodDefinition<_holdfast_v1_RoleListRequest, _holdfast_v1_RoleListResponse, _holdfast_v1_RoleListRequest__Output, _holdfast_v1_RoleListResponse__Output>
  RoleRevoke: MethodDefinition<_holdfast_v1_RolePermissionRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_RolePermissionRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
  RotateSigningKey: MethodDefinition<_holdfast_v1_RotateSigningKeyRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_RotateSigningKeyRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
  UserAdd: MethodDefinition<_holdfast_v1_UserAddRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_UserAddRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
  UserChangePassword: MethodDefinition<_holdfast_v1_UserChangePasswordRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_UserChangePasswordRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
  UserDelete: MethodDefinition<_holdfast_v1_UserDeleteRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_UserDeleteRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
  UserGrantRole: MethodDefinition<_holdfast_v1_UserRoleRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_UserRoleRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
  UserList: MethodDefinition<_holdfast_v1_UserListRequest, _holdfast_v1_UserListResponse, _holdfast_v1_UserListRequest__Output, _holdfast_v1_UserListResponse__Output>
  UserRevokeRole: MethodDefinition<_holdfast_v1_UserRoleRequest, _holdfast_v1_AuthChangeResponse, _holdfast_v1_UserRoleRequest__Output, _holdfast_v1_AuthChangeResponse__Output>
}

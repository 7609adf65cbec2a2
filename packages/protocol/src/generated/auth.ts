import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AuthClient as _holdfast_v1_AuthClient, AuthDefinition as _holdfast_v1_AuthDefinition } from './holdfast/v1/Auth.js';
import type { AuthChangeResponse as _holdfast_v1_AuthChangeResponse, AuthChangeResponse__Output as _holdfast_v1_AuthChangeResponse__Output } from './holdfast/v1/AuthChangeResponse.js';
import type { AuthDisableRequest as _holdfast_v1_AuthDisableRequest, AuthDisableRequest__Output as _holdfast_v1_AuthDisableRequest__Output } from './holdfast/v1/AuthDisableRequest.js';
import type { AuthEnableRequest as _holdfast_v1_AuthEnableRequest, AuthEnableRequest__Output as _holdfast_v1_AuthEnableRequest__Output } from './holdfast/v1/AuthEnableRequest.js';
import type { AuthStatusRequest as _holdfast_v1_AuthStatusRequest, AuthStatusRequest__Output as _holdfast_v1_AuthStatusRequest__Output } from './holdfast/v1/AuthStatusRequest.js';
import type { AuthStatusResponse as _holdfast_v1_AuthStatusResponse, AuthStatusResponse__Output as _holdfast_v1_AuthStatusResponse__Output } from './holdfast/v1/AuthStatusResponse.js';
import type { AuthenticateRequest as _holdfast_v1_AuthenticateRequest, AuthenticateRequest__Output as _holdfast_v1_AuthenticateRequest__Output } from './holdfast/v1/AuthenticateRequest.js';
import type { AuthenticateResponse as _holdfast_v1_AuthenticateResponse, AuthenticateResponse__Output as _holdfast_v1_AuthenticateResponse__Output } from './holdfast/v1/AuthenticateResponse.js';
import type { Permission as _holdfast_v1_Permission, Permission__Output as _holdfast_v1_Permission__Output } from './holdfast/v1/Permission.js';
import type { Role as _holdfast_v1_Role, Role__Output as _holdfast_v1_Role__Output } from './holdfast/v1/Role.js';
import type { RoleListRequest as _holdfast_v1_RoleListRequest, RoleListRequest__Output as _holdfast_v1_RoleListRequest__Output } from './holdfast/v1/RoleListRequest.js';
import type { RoleListResponse as _holdfast_v1_RoleListResponse, RoleListResponse__Output as _holdfast_v1_RoleListResponse__Output } from './holdfast/v1/RoleListResponse.js';
import type { RolePermissionRequest as _holdfast_v1_RolePermissionRequest, RolePermissionRequest__Output as _holdfast_v1_RolePermissionRequest__Output } from './holdfast/v1/RolePermissionRequest.js';
import type { RoleRequest as _holdfast_v1_RoleRequest, RoleRequest__Output as _holdfast_v1_RoleRequest__Output } from './holdfast/v1/RoleRequest.js';
import type { RotateSigningKeyRequest as _holdfast_v1_RotateSigningKeyRequest, RotateSigningKeyRequest__Output as _holdfast_v1_RotateSigningKeyRequest__Output } from './holdfast/v1/RotateSigningKeyRequest.js';
import type { User as _holdfast_v1_User, User__Output as _holdfast_v1_User__Output } from './holdfast/v1/User.js';
import type { UserAddRequest as _holdfast_v1_UserAddRequest, UserAddRequest__Output as _holdfast_v1_UserAddRequest__Output } from './holdfast/v1/UserAddRequest.js';
import type { UserChangePasswordRequest as _holdfast_v1_UserChangePasswordRequest, UserChangePasswordRequest__Output as _holdfast_v1_UserChangePasswordRequest__Output } from './holdfast/v1/UserChangePasswordRequest.js';
import type { UserDeleteRequest as _holdfast_v1_UserDeleteRequest, UserDeleteRequest__Output as _holdfast_v1_UserDeleteRequest__Output } from './holdfast/v1/UserDeleteRequest.js';
import type { UserListRequest as _holdfast_v1_UserListRequest, UserListRequest__Output as _holdfast_v1_UserListRequest__Output } from './holdfast/v1/UserListRequest.js';
import type { UserListResponse as _holdfast_v1_UserListResponse, UserListResponse__Output as _holdfast_v1_UserListResponse__Output } from './holdfast/v1/UserListResponse.js';
import type { UserRoleRequest as _holdfast_v1_UserRoleRequest, UserRoleRequest__Output as _holdfast_v1_UserRoleRequest__Output } from './holdfast/v1/UserRoleRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  holdfast: {
    v1: {
      Auth: SubtypeConstructor<typeof grpc.Client, _holdfast_v1_AuthClient> & { service: _holdfast_v1_AuthDefinition }
      AuthChangeResponse: MessageTypeDefinition<_holdfast_v1_AuthChangeResponse, _holdfast_v1_AuthChangeResponse__Output>
      AuthDisableRequest: MessageTypeDefinition<_holdfast_v1_AuthDisableRequest, _holdfast_v1_AuthDisableRequest__Output>
      AuthEnableRequest: MessageTypeDefinition<_holdfast_v1_AuthEnableRequest, _holdfast_v1_AuthEnableRequest__Output>
      AuthStatusRequest: MessageTypeDefinition<_holdfast_v1_AuthStatusRequest, _holdfast_v1_AuthStatusRequest__Output>
      AuthStatusResponse: MessageTypeDefinition<_holdfast_v1_AuthStatusResponse, _holdfast_v1_AuthStatusResponse__Output>
      AuthenticateRequest: MessageTypeDefinition<_holdfast_v1_AuthenticateRequest, _holdfast_v1_AuthenticateRequest__Output>
      AuthenticateResponse: MessageTypeDefinition<_holdfast_v1_AuthenticateResponse, _holdfast_v1_AuthenticateResponse__Output>
      Permission: MessageTypeDefinition<_holdfast_v1_Permission, _holdfast_v1_Permission__Output>
      Role: MessageTypeDefinition<_holdfast_v1_Role, _holdfast_v1_Role__Output>
      RoleListRequest: MessageTypeDefinition<_holdfast_v1_RoleListRequest, _holdfast_v1_RoleListRequest__Output>
      RoleListResponse: MessageTypeDefinition<_holdfast_v1_RoleListResponse, _holdfast_v1_RoleListResponse__Output>
      RolePermissionRequest: MessageTypeDefinition<_holdfast_v1_RolePermissionRequest, _holdfast_v1_RolePermissionRequest__Output>
      RoleRequest: MessageTypeDefinition<_holdfast_v1_RoleRequest, _holdfast_v1_RoleRequest__Output>
      RotateSigningKeyRequest: MessageTypeDefinition<_holdfast_v1_RotateSigningKeyRequest, _holdfast_v1_RotateSigningKeyRequest__Output>
      User: MessageTypeDefinition<_holdfast_v1_User, _holdfast_v1_User__Output>
      UserAddRequest: MessageTypeDefinition<_holdfast_v1_UserAddRequest, _holdfast_v1_UserAddRequest__Output>
      UserChangePasswordRequest: MessageTypeDefinition<_holdfast_v1_UserChangePasswordRequest, _holdfast_v1_UserChangePasswordRequest__Output>
      UserDeleteRequest: MessageTypeDefinition<_holdfast_v1_UserDeleteRequest, _holdfast_v1_UserDeleteRequest__Output>
      UserListRequest: MessageTypeDefinition<_holdfast_v1_UserListRequest, _holdfast_v1_UserListRequest__Output>
      UserListResponse: MessageTypeDefinition<_holdfast_v1_UserListResponse, _holdfast_v1_UserListResponse__Output>
      UserRoleRequest: MessageTypeDefinition<_holdfast_v1_UserRoleRequest, _holdfast_v1_UserRoleRequest__Output>
    }
  }
}


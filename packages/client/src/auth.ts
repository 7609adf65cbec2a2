/** The SDK's view of users, roles and the auth switch (client.auth): shapes and their wire forms. */
import type { Permission, Permission__Output } from '@holdfast/protocol';
import { type Bytes, toBytes } from './values.js';

/**
 * A role's permission: keys (one key; [key, rangeEnd); every key from `key` with rangeEnd "\0";
 * or every key starting with `key` with prefix) to read or read and write; or an admin right.
 */
export type AuthPermission =
  | { type: 'keys'; key: Bytes; rangeEnd?: Bytes; prefix?: boolean; access: 'read' | 'readwrite' }
  | { type: 'admin'; right: 'membership' | 'backup' | 'compaction' | 'auth' };

export interface AuthUserInfo {
  name: string;
  roles: string[];
  hasPassword: boolean;
}

export interface AuthRoleInfo {
  name: string;
  permissions: AuthPermission[];
}

export interface AuthStatusInfo {
  enabled: boolean;
  revision: number;
  tokenTtlMs: number;
  signingKeys: number;
}

export function permissionToWire(permission: AuthPermission): Permission {
  if (permission.type === 'admin') return { type: 'admin', right: permission.right };
  return {
    type: 'keys',
    key: toBytes(permission.key),
    rangeEnd: permission.rangeEnd === undefined ? Buffer.alloc(0) : toBytes(permission.rangeEnd),
    prefix: permission.prefix ?? false,
    access: permission.access,
  };
}

export function permissionFromWire(wire: Permission__Output): AuthPermission {
  if (wire.type === 'admin') return { type: 'admin', right: wire.right as 'membership' | 'backup' | 'compaction' | 'auth' };
  return { type: 'keys', key: Uint8Array.from(wire.key), ...(wire.rangeEnd.byteLength > 0 ? { rangeEnd: Uint8Array.from(wire.rangeEnd) } : {}), access: wire.access === 'read' ? 'read' : 'readwrite' };
}

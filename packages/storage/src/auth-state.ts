/**
 * The cluster's users, roles and token signing keys: replicated state, changed only by logged
 * commands (AuthOperation) and applied alike by every member. Held in the state's meta record
 * (StateMeta.auth), so it travels in snapshots and backups and is covered by the state hash.
 *
 * Passwords arrive already hashed (scrypt, salted, computed by the member that took the
 * request): no password is ever in the log or the state. Signing keys are secrets held here so
 * that any member can check a token any other member issued; they never leave a member.
 *
 * Every change is checked against the current state at apply (deterministically: only the
 * state and the command decide), and a refused change is answered `authRefused` and changes
 * nothing.
 */
import { packr } from './kv-format.js';

/** A salted scrypt hash of a password, with the parameters it was made with. */
export interface PasswordHash {
  readonly algorithm: 'scrypt';
  /** scrypt cost parameters. */
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Uint8Array;
  readonly hash: Uint8Array;
}

export interface AuthUser {
  readonly name: string;
  /** Absent: the user cannot log in with a password (a certificate identity only). */
  readonly password?: PasswordHash;
  readonly roles: readonly string[];
  /** Grows at every password change: tokens issued before it no longer pass. */
  readonly passwordRevision: number;
}

export type KeyAccess = 'read' | 'readwrite';
export type AdminRight = 'membership' | 'backup' | 'compaction' | 'auth';
export const ADMIN_RIGHTS: readonly AdminRight[] = ['membership', 'backup', 'compaction', 'auth'];

/**
 * Access to keys in [start, end): `end` absent means the one key `start`; an `end` of one zero
 * byte means every key from `start` on (as in etcd). A prefix p is [p, prefixEnd(p)).
 */
export interface KeyPermission {
  readonly type: 'keys';
  readonly start: Uint8Array;
  readonly end?: Uint8Array;
  readonly access: KeyAccess;
}

export interface AdminPermission {
  readonly type: 'admin';
  readonly right: AdminRight;
}

export type RolePermission = KeyPermission | AdminPermission;

export interface AuthRole {
  readonly name: string;
  readonly permissions: readonly RolePermission[];
}

/**
 * A key tokens are signed with (HMAC-SHA256). The newest is the current one; an older key is
 * kept, still valid for checking, until `retiresAtMs` (its rotation time plus the token
 * lifetime: every token it signed has expired by then).
 */
export interface SigningKey {
  readonly id: number;
  readonly secret: Uint8Array;
  readonly createdAtMs: number;
  readonly retiresAtMs?: number;
}

export interface AuthState {
  readonly enabled: boolean;
  /** Grows by one at every applied change. */
  readonly revision: number;
  /** How long a token lives; set when auth is enabled. */
  readonly tokenTtlMs: number;
  readonly users: readonly AuthUser[];
  readonly roles: readonly AuthRole[];
  /** Oldest first; the last one signs new tokens. */
  readonly signingKeys: readonly SigningKey[];
}

/** The role every right belongs to, and the user that must hold it before auth is enabled. */
export const ROOT_ROLE = 'root';
export const ROOT_USER = 'root';

export type AuthChange =
  | { readonly op: 'enable'; readonly signingKey: SigningKey; readonly tokenTtlMs: number }
  | { readonly op: 'disable' }
  | { readonly op: 'userAdd'; readonly name: string; readonly password?: PasswordHash }
  | { readonly op: 'userDelete'; readonly name: string }
  | { readonly op: 'userPassword'; readonly name: string; readonly password: PasswordHash }
  | { readonly op: 'userGrantRole'; readonly name: string; readonly role: string }
  | { readonly op: 'userRevokeRole'; readonly name: string; readonly role: string }
  | { readonly op: 'roleAdd'; readonly name: string }
  | { readonly op: 'roleDelete'; readonly name: string }
  | { readonly op: 'roleGrant'; readonly name: string; readonly permission: RolePermission }
  | { readonly op: 'roleRevoke'; readonly name: string; readonly permission: RolePermission }
  | { readonly op: 'rotateKey'; readonly signingKey: SigningKey };

/** Limits on the auth state, fixed (every replica must judge a change alike). */
export const AUTH_LIMITS = {
  nameBytesMax: 128,
  usersMax: 1000,
  rolesMax: 1000,
  rolesPerUserMax: 64,
  permissionsPerRoleMax: 256,
  keyBytesMax: 4096,
  tokenTtlMsMin: 1000,
  tokenTtlMsMax: 7 * 24 * 3600 * 1000,
  signingKeyBytes: 32,
  /**
   * The auth state is packed with the meta record at every apply batch: kept small so that
   * costs little (about 250 bytes per user and per role of a few permissions).
   */
  stateBytesMax: 256 * 1024,
} as const;

export const emptyAuthState: AuthState = { enabled: false, revision: 0, tokenTtlMs: 0, users: [], roles: [], signingKeys: [] };

export type AuthChangeOutcome =
  | { readonly type: 'authChanged'; readonly authRevision: number }
  | { readonly type: 'authRefused'; readonly message: string };

/** A change refused at apply: nothing changed. */
class AuthRefusal extends Error {}

function refuse(message: string): never {
  throw new AuthRefusal(message);
}

/**
 * Applies `change` to `state` (undefined: auth never configured) at the leader's clock
 * `proposedAtMs`. Returns the new state, or the unchanged one with the refusal.
 */
export function applyAuthChange(
  state: AuthState | undefined,
  change: AuthChange,
  proposedAtMs: number,
): { state: AuthState | undefined; outcome: AuthChangeOutcome } {
  const before = state ?? emptyAuthState;
  try {
    const changed = changeAuthState(before, change, proposedAtMs);
    const after = { ...changed, revision: before.revision + 1 };
    const bytes = packr.pack(after).byteLength;
    if (bytes > AUTH_LIMITS.stateBytesMax) refuse(`the auth state would be ${bytes} bytes; the limit is ${AUTH_LIMITS.stateBytesMax}`);
    return { state: after, outcome: { type: 'authChanged', authRevision: after.revision } };
  } catch (error) {
    if (error instanceof AuthRefusal) return { state, outcome: { type: 'authRefused', message: error.message } };
    throw error;
  }
}

function changeAuthState(state: AuthState, change: AuthChange, proposedAtMs: number): AuthState {
  switch (change.op) {
    case 'enable':
      return enable(state, change.signingKey, change.tokenTtlMs);
    case 'disable':
      return { ...state, enabled: false };
    case 'userAdd':
      return userAdd(state, change.name, change.password);
    case 'userDelete':
      return userDelete(state, change.name);
    case 'userPassword': {
      const user = findUser(state, change.name);
      return replaceUser(state, { ...user, password: change.password, passwordRevision: user.passwordRevision + 1 });
    }
    case 'userGrantRole':
      return userGrantRole(state, change.name, change.role);
    case 'userRevokeRole':
      return userRevokeRole(state, change.name, change.role);
    case 'roleAdd':
      return roleAdd(state, change.name);
    case 'roleDelete':
      return roleDelete(state, change.name);
    case 'roleGrant':
      return roleGrant(state, change.name, change.permission);
    case 'roleRevoke':
      return roleRevoke(state, change.name, change.permission);
    case 'rotateKey':
      return rotateKey(state, change.signingKey, proposedAtMs);
  }
}

function enable(state: AuthState, signingKey: SigningKey, tokenTtlMs: number): AuthState {
  if (state.enabled) refuse('auth is already enabled');
  const root = state.users.find((user) => user.name === ROOT_USER);
  if (root === undefined || !root.roles.includes(ROOT_ROLE)) {
    refuse(`auth needs a user "${ROOT_USER}" holding the role "${ROOT_ROLE}" first (user add root; role add root; user grant-role root root)`);
  }
  checkTokenTtl(tokenTtlMs);
  checkSigningKey(signingKey);
  // Keys left from an earlier time auth was on are dropped: the new key is the only one.
  return { ...state, enabled: true, tokenTtlMs, signingKeys: [signingKey] };
}

function userAdd(state: AuthState, name: string, password: PasswordHash | undefined): AuthState {
  checkName(name, 'user');
  if (state.users.some((user) => user.name === name)) refuse(`user "${name}" exists already`);
  if (state.users.length >= AUTH_LIMITS.usersMax) refuse(`${state.users.length} users exist; the limit is ${AUTH_LIMITS.usersMax}`);
  if (password !== undefined) checkPasswordHash(password);
  const user: AuthUser = password === undefined ? { name, roles: [], passwordRevision: 0 } : { name, password, roles: [], passwordRevision: 0 };
  return { ...state, users: sortByName([...state.users, user]) };
}

function userDelete(state: AuthState, name: string): AuthState {
  findUser(state, name);
  if (state.enabled && name === ROOT_USER) refuse(`user "${ROOT_USER}" cannot be deleted while auth is enabled`);
  return { ...state, users: state.users.filter((user) => user.name !== name) };
}

function userGrantRole(state: AuthState, name: string, role: string): AuthState {
  const user = findUser(state, name);
  findRole(state, role);
  if (user.roles.includes(role)) return state;
  if (user.roles.length >= AUTH_LIMITS.rolesPerUserMax) refuse(`user "${name}" holds ${user.roles.length} roles; the limit is ${AUTH_LIMITS.rolesPerUserMax}`);
  return replaceUser(state, { ...user, roles: [...user.roles, role].sort() });
}

function userRevokeRole(state: AuthState, name: string, role: string): AuthState {
  const user = findUser(state, name);
  if (!user.roles.includes(role)) refuse(`user "${name}" does not hold role "${role}"`);
  if (state.enabled && name === ROOT_USER && role === ROOT_ROLE) refuse(`role "${ROOT_ROLE}" cannot be taken from user "${ROOT_USER}" while auth is enabled`);
  return replaceUser(state, { ...user, roles: user.roles.filter((held) => held !== role) });
}

function roleAdd(state: AuthState, name: string): AuthState {
  checkName(name, 'role');
  if (state.roles.some((role) => role.name === name)) refuse(`role "${name}" exists already`);
  if (state.roles.length >= AUTH_LIMITS.rolesMax) refuse(`${state.roles.length} roles exist; the limit is ${AUTH_LIMITS.rolesMax}`);
  return { ...state, roles: sortByName([...state.roles, { name, permissions: [] }]) };
}

function roleDelete(state: AuthState, name: string): AuthState {
  findRole(state, name);
  if (state.enabled && name === ROOT_ROLE) refuse(`role "${ROOT_ROLE}" cannot be deleted while auth is enabled`);
  // Users holding it lose it with it.
  const users = state.users.map((user) => (user.roles.includes(name) ? { ...user, roles: user.roles.filter((held) => held !== name) } : user));
  return { ...state, users, roles: state.roles.filter((role) => role.name !== name) };
}

function roleGrant(state: AuthState, name: string, permission: RolePermission): AuthState {
  const role = findRole(state, name);
  checkPermission(permission);
  if (role.permissions.some((held) => samePermission(held, permission))) return state;
  if (role.permissions.length >= AUTH_LIMITS.permissionsPerRoleMax) {
    refuse(`role "${name}" has ${role.permissions.length} permissions; the limit is ${AUTH_LIMITS.permissionsPerRoleMax}`);
  }
  return replaceRole(state, { ...role, permissions: [...role.permissions, permission] });
}

function roleRevoke(state: AuthState, name: string, permission: RolePermission): AuthState {
  const role = findRole(state, name);
  const kept = role.permissions.filter((held) => !samePermission(held, permission));
  if (kept.length === role.permissions.length) refuse(`role "${name}" has no such permission`);
  return replaceRole(state, { ...role, permissions: kept });
}

/**
 * The new key signs from now on; the previous current key is kept until every token it signed
 * has expired (now plus the token lifetime); keys retired before now are dropped.
 */
function rotateKey(state: AuthState, signingKey: SigningKey, proposedAtMs: number): AuthState {
  if (!state.enabled) refuse('auth is not enabled: there is no signing key to rotate');
  checkSigningKey(signingKey);
  if (state.signingKeys.some((key) => key.id >= signingKey.id)) refuse(`signing key ${signingKey.id} is not newer than the current one`);
  const retiresAtMs = proposedAtMs + state.tokenTtlMs;
  const kept = state.signingKeys
    .filter((key) => key.retiresAtMs === undefined || key.retiresAtMs > proposedAtMs)
    .map((key) => (key.retiresAtMs === undefined ? { ...key, retiresAtMs } : key));
  return { ...state, signingKeys: [...kept, signingKey] };
}

function findUser(state: AuthState, name: string): AuthUser {
  const user = state.users.find((candidate) => candidate.name === name);
  if (user === undefined) refuse(`user "${name}" does not exist`);
  return user;
}

function findRole(state: AuthState, name: string): AuthRole {
  const role = state.roles.find((candidate) => candidate.name === name);
  if (role === undefined) refuse(`role "${name}" does not exist`);
  return role;
}

function replaceUser(state: AuthState, user: AuthUser): AuthState {
  return { ...state, users: state.users.map((held) => (held.name === user.name ? user : held)) };
}

function replaceRole(state: AuthState, role: AuthRole): AuthState {
  return { ...state, roles: state.roles.map((held) => (held.name === role.name ? role : held)) };
}

function sortByName<T extends { readonly name: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function checkName(name: unknown, what: string): void {
  if (typeof name !== 'string' || name === '') refuse(`a ${what} name must be a non-empty string`);
  if (Buffer.byteLength(name) > AUTH_LIMITS.nameBytesMax) refuse(`a ${what} name is at most ${AUTH_LIMITS.nameBytesMax} bytes`);
  if (name.includes(':')) refuse(`a ${what} name must not contain ':'`);
}

function checkTokenTtl(tokenTtlMs: unknown): void {
  if (typeof tokenTtlMs !== 'number' || !Number.isSafeInteger(tokenTtlMs) || tokenTtlMs < AUTH_LIMITS.tokenTtlMsMin || tokenTtlMs > AUTH_LIMITS.tokenTtlMsMax) {
    refuse(`the token lifetime must be ${AUTH_LIMITS.tokenTtlMsMin}..${AUTH_LIMITS.tokenTtlMsMax} ms, got ${String(tokenTtlMs)}`);
  }
}

function checkSigningKey(key: SigningKey): void {
  if (!Number.isSafeInteger(key.id) || key.id < 1) refuse(`signing key id ${String(key.id)} is not a positive integer`);
  if (!(key.secret instanceof Uint8Array) || key.secret.byteLength !== AUTH_LIMITS.signingKeyBytes) {
    refuse(`a signing key is ${AUTH_LIMITS.signingKeyBytes} bytes`);
  }
}

function checkPasswordHash(password: PasswordHash): void {
  const { algorithm, n, r, p, salt, hash } = password;
  if (algorithm !== 'scrypt' || ![n, r, p].every((x) => Number.isSafeInteger(x) && x > 0)) refuse('a password hash must be scrypt with positive parameters');
  if (!(salt instanceof Uint8Array) || !(hash instanceof Uint8Array) || salt.byteLength < 16 || hash.byteLength < 32) {
    refuse('a password hash needs a salt of 16 bytes or more and a hash of 32 bytes or more');
  }
}

function checkPermission(permission: RolePermission): void {
  if (permission.type === 'admin') {
    if (!ADMIN_RIGHTS.includes(permission.right)) refuse(`admin right "${String(permission.right)}" is unknown (${ADMIN_RIGHTS.join(', ')})`);
    return;
  }
  if (permission.type !== 'keys') refuse(`permission type "${String((permission as { type: unknown }).type)}" is unknown`);
  if (permission.access !== 'read' && permission.access !== 'readwrite') refuse(`access "${String(permission.access)}" is not read or readwrite`);
  if (!(permission.start instanceof Uint8Array) || permission.start.byteLength === 0) refuse('a key permission needs a non-empty start key');
  if (permission.start.byteLength > AUTH_LIMITS.keyBytesMax) refuse(`a permission key is at most ${AUTH_LIMITS.keyBytesMax} bytes`);
  if (permission.end !== undefined) {
    if (!(permission.end instanceof Uint8Array) || permission.end.byteLength > AUTH_LIMITS.keyBytesMax) refuse('a permission end key must be bytes within the key limit');
    const toEnd = permission.end.byteLength === 1 && permission.end[0] === 0;
    if (!toEnd && Buffer.compare(permission.start, permission.end) >= 0) refuse('a permission range must end after it starts');
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.compare(a, b) === 0;
}

export function samePermission(a: RolePermission, b: RolePermission): boolean {
  if (a.type === 'admin' || b.type === 'admin') return a.type === b.type && (a as AdminPermission).right === (b as AdminPermission).right;
  return a.access === b.access && sameBytes(a.start, b.start) && sameBytes(a.end, b.end);
}

/** The auth state in a canonical layout for the state hash (arrays in a fixed order). */
export function canonicalAuthState(state: AuthState): unknown[] {
  return [
    state.enabled,
    state.revision,
    state.tokenTtlMs,
    state.users.map((user) => [user.name, user.roles, user.passwordRevision, user.password === undefined ? null : [user.password.n, user.password.r, user.password.p, user.password.salt, user.password.hash]]),
    state.roles.map((role) => [role.name, role.permissions.map((p) => (p.type === 'admin' ? ['admin', p.right] : ['keys', p.access, p.start, p.end ?? null]))]),
    state.signingKeys.map((key) => [key.id, key.secret, key.createdAtMs, key.retiresAtMs ?? null]),
  ];
}

const changeOps = new Set([
  'enable',
  'disable',
  'userAdd',
  'userDelete',
  'userPassword',
  'userGrantRole',
  'userRevokeRole',
  'roleAdd',
  'roleDelete',
  'roleGrant',
  'roleRevoke',
  'rotateKey',
]);

/**
 * The structural check of a logged auth change (the fields apply reads have the types it reads
 * them as); what the change means is judged at apply. Returns why it is malformed, or undefined.
 */
export function authChangeShapeProblem(change: unknown): string | undefined {
  if (typeof change !== 'object' || change === null) return 'auth change is not a map';
  const fields = change as Record<string, unknown>;
  if (typeof fields.op !== 'string' || !changeOps.has(fields.op)) return `auth change ${String(fields.op)} is unknown`;
  for (const name of ['name', 'role'] as const) {
    if (fields[name] !== undefined && typeof fields[name] !== 'string') return `auth change ${name} must be a string`;
  }
  const needsName = fields.op !== 'enable' && fields.op !== 'disable' && fields.op !== 'rotateKey';
  if (needsName && typeof fields.name !== 'string') return `auth change ${fields.op} needs a name`;
  if ((fields.op === 'userGrantRole' || fields.op === 'userRevokeRole') && typeof fields.role !== 'string') return `auth change ${fields.op} needs a role`;
  if ((fields.op === 'enable' || fields.op === 'rotateKey') && !isMap(fields.signingKey)) return `auth change ${fields.op} needs a signing key`;
  if (fields.op === 'userPassword' && !isMap(fields.password)) return 'auth change userPassword needs a password hash';
  if (fields.password !== undefined && !isMap(fields.password)) return 'auth change password must be a map';
  if ((fields.op === 'roleGrant' || fields.op === 'roleRevoke') && !isMap(fields.permission)) return `auth change ${fields.op} needs a permission`;
  return undefined;
}

function isMap(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

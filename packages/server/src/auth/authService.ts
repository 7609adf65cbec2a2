/**
 * The Auth service: login (any member, from its applied state after a read barrier) and the
 * changes to users, roles, signing keys and the switch (proposed by the leader through the log;
 * another member forwards them). Passwords are hashed here, before anything is proposed, and
 * never logged. What each method needs is in rules.ts; the guard has checked it before a
 * handler runs.
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  ADMIN_RIGHTS,
  type AdminRight,
  AUTH_LIMITS,
  type AuthChange,
  type AuthState,
  type RolePermission,
  type SigningKey,
} from '@holdfast/storage';
import type { AuthClient, Permission, Permission__Output, Protos } from '@holdfast/protocol';
import { forwardFailure, HoldfastError, InvalidRequestError, NoLeaderError, NotLeaderError, toServiceError } from '../errors.js';
import { FORWARDED_METADATA } from '../forwarder.js';
import { missingGrant, prefixRangeEnd } from './access.js';
import { AUTHORIZATION_METADATA, type AuthGuard, PermissionDeniedError, rethrowAfterAuthCatchUp, TooManyLoginsError, UnauthenticatedError, withMemberToken } from './guard.js';
import { hashPassword, PASSWORD_BYTES_MAX, passwordMatches } from './passwords.js';
import { type LoginLimits, LoginRateLimiter, peerAddress } from './rate-limit.js';
import { issueToken, verifyToken } from './tokens.js';

export interface AuthServiceHost {
  readonly protos: Protos;
  readonly dialCredentials: grpc.ChannelCredentials;
  readonly guard: AuthGuard;
  readonly requestTimeoutMs: number;
  /** Token lifetime when AuthEnable names none (--auth-token-ttl-ms). */
  readonly tokenTtlMsDefault: number;
  readonly loginLimits: LoginLimits;
  auth(): AuthState | undefined;
  isLeader(): boolean;
  /** The leader's client address; '' when no leader is known. */
  leaderClientAddress(): string | undefined;
  /** `authRevision`: the auth revision the change was checked against (stamped: see KvCommand.authRevision). */
  changeAuth(change: AuthChange, deadlineMs: number, authRevision?: number): Promise<number>;
  readBarrier(deadlineMs: number): Promise<void>;
  nowMs(): number;
  /** Told of every auth change this member took from a client (the audit log): never a password or a token. */
  audited?(entry: AuthAuditEntry): void;
}

/** One auth change as the audit log records it. */
export interface AuthAuditEntry {
  readonly method: string;
  /** Who asked (a user name; undefined while auth is off). */
  readonly by: string | undefined;
  /** The user or role changed, and the role or permission granted or revoked, when the method names them. */
  readonly target: Readonly<Record<string, string>>;
  /** 'ok', or the kind of the error that refused it. */
  readonly outcome: string;
  /** The auth revision the change made (ok only). */
  readonly revision?: number;
}

/** What an auth change names, for the audit log: names and permissions, never a password. */
function auditTarget(request: Request): Record<string, string> {
  const target: Record<string, string> = {};
  for (const field of ['name', 'role'] as const) if (text(request, field) !== '') target[field] = text(request, field);
  const permission = request['permission'] as Permission__Output | null | undefined;
  if (permission) {
    target['permission'] =
      permission.type === 'admin'
        ? `admin ${permission.right}`
        : `${permission.access} ${JSON.stringify(Buffer.from(permission.key).toString())}${permission.prefix ? ' prefix' : permission.rangeEnd.byteLength > 0 ? `..${JSON.stringify(Buffer.from(permission.rangeEnd).toString())}` : ''}`;
  }
  return target;
}

/** On an auth change a member forwards: the auth revision it checked the change against. */
export const AUTH_REVISION_METADATA = 'holdfast-auth-revision';

/**
 * The auth revision a logged admin change (auth, placement) was checked against: `own`, the
 * revision this member admitted the call at, or the lower one the member that forwarded it says
 * it checked against (a caller setting the header can only get its change refused sooner).
 * Undefined for a call the guard did not see.
 */
export function checkedAuthRevisionOf(own: number | undefined, metadata: grpc.Metadata): number | undefined {
  const forwarded = Number(metadata.get(AUTH_REVISION_METADATA)[0] ?? Number.NaN);
  if (own === undefined || !Number.isSafeInteger(forwarded) || forwarded < 0) return own;
  return Math.min(own, forwarded);
}

type Request = Record<string, unknown>;
type Call = grpc.ServerUnaryCall<Request, object>;

function text(request: Request, field: string): string {
  const value = request[field];
  return typeof value === 'string' ? value : '';
}

function checkPassword(password: string): void {
  if (password === '') throw new InvalidRequestError('invalid-argument', 'a password must not be empty (or add the user with no_password)');
  if (Buffer.byteLength(password) > PASSWORD_BYTES_MAX) throw new InvalidRequestError('invalid-argument', `a password is at most ${PASSWORD_BYTES_MAX} bytes`);
}

export function permissionFromWire(wire: Permission__Output | null | undefined): RolePermission {
  if (!wire) throw new InvalidRequestError('invalid-argument', 'a permission is needed');
  if (wire.type === 'admin') {
    if (!ADMIN_RIGHTS.includes(wire.right as AdminRight)) throw new InvalidRequestError('invalid-argument', `admin right "${wire.right}" is unknown (${ADMIN_RIGHTS.join(', ')})`);
    return { type: 'admin', right: wire.right as AdminRight };
  }
  if (wire.type !== 'keys') throw new InvalidRequestError('invalid-argument', `permission type "${wire.type}" is unknown (keys or admin)`);
  if (wire.access !== 'read' && wire.access !== 'readwrite') throw new InvalidRequestError('invalid-argument', `access "${wire.access}" is not read or readwrite`);
  const start = Uint8Array.from(wire.key);
  if (wire.prefix) {
    if (wire.rangeEnd.byteLength > 0) throw new InvalidRequestError('invalid-argument', 'a prefix permission takes no range end');
    return { type: 'keys', access: wire.access, start, end: prefixRangeEnd(start) };
  }
  return wire.rangeEnd.byteLength === 0 ? { type: 'keys', access: wire.access, start } : { type: 'keys', access: wire.access, start, end: Uint8Array.from(wire.rangeEnd) };
}

function permissionToWire(permission: RolePermission): Permission {
  if (permission.type === 'admin') return { type: 'admin', right: permission.right };
  return { type: 'keys', access: permission.access, key: Buffer.from(permission.start), rangeEnd: permission.end === undefined ? Buffer.alloc(0) : Buffer.from(permission.end) };
}

export class AuthService {
  private readonly limiter: LoginRateLimiter;
  private readonly clients = new Map<string, AuthClient>();

  constructor(private readonly host: AuthServiceHost) {
    this.limiter = new LoginRateLimiter(host.loginLimits);
  }

  implementation(): grpc.UntypedServiceImplementation {
    const unary =
      (name: string, handler: (request: Request, call: Call) => Promise<object>, leaderOnly: boolean) =>
      (call: Call, callback: grpc.sendUnaryData<object>): void => {
        const forwarded = call.metadata.get(FORWARDED_METADATA).length > 0;
        const run = (): Promise<object> =>
          Promise.resolve().then(() => {
            // Checked where the caller is known, before a forward makes this member the caller.
            if (name === 'userChangePassword') this.checkOwnOrAdmin(text(call.request, 'name'), call);
            return leaderOnly && !this.host.isLeader() ? this.forward(name, call, forwarded) : handler(call.request, call);
          });
        // A change is recorded where a client asked for it (a forwarded one would name only the member).
        const answer = leaderOnly && !forwarded ? this.audit(name, call, run) : run();
        answer.then(
          (response) => callback(null, response),
          (error: unknown) => callback(toServiceError(error)),
        );
      };
    const change = (name: string, build: (request: Request, call: Call) => Promise<AuthChange> | AuthChange) =>
      unary(name, async (request, call) => ({ revision: await this.host.changeAuth(await build(request, call), this.deadline(), this.checkedAuthRevision(call)) }), true);
    return {
      Authenticate: unary('authenticate', (request, call) => this.authenticate(request, call), false),
      AuthStatus: unary('authStatus', async () => this.status(), false),
      UserList: unary('userList', async () => this.userList(), false),
      RoleList: unary('roleList', async () => this.roleList(), false),
      AuthEnable: change('authEnable', (r) => {
        const ttl = Number(r['tokenTtlMs'] ?? 0);
        return { op: 'enable', signingKey: this.newSigningKey(), tokenTtlMs: ttl > 0 ? ttl : this.host.tokenTtlMsDefault };
      }),
      AuthDisable: change('authDisable', () => ({ op: 'disable' })),
      RotateSigningKey: change('rotateSigningKey', () => ({ op: 'rotateKey', signingKey: this.newSigningKey() })),
      UserAdd: change('userAdd', async (r) => {
        if (r['noPassword'] === true) return { op: 'userAdd', name: text(r, 'name') };
        checkPassword(text(r, 'password'));
        return { op: 'userAdd', name: text(r, 'name'), password: await hashPassword(text(r, 'password')) };
      }),
      UserDelete: change('userDelete', (r) => ({ op: 'userDelete', name: text(r, 'name') })),
      UserChangePassword: change('userChangePassword', async (r) => {
        checkPassword(text(r, 'password'));
        return { op: 'userPassword', name: text(r, 'name'), password: await hashPassword(text(r, 'password')) };
      }),
      UserGrantRole: change('userGrantRole', (r) => ({ op: 'userGrantRole', name: text(r, 'name'), role: text(r, 'role') })),
      UserRevokeRole: change('userRevokeRole', (r) => ({ op: 'userRevokeRole', name: text(r, 'name'), role: text(r, 'role') })),
      RoleAdd: change('roleAdd', (r) => ({ op: 'roleAdd', name: text(r, 'name') })),
      RoleDelete: change('roleDelete', (r) => ({ op: 'roleDelete', name: text(r, 'name') })),
      RoleGrant: change('roleGrant', (r) => ({ op: 'roleGrant', name: text(r, 'name'), permission: permissionFromWire(r['permission'] as Permission__Output | null) })),
      RoleRevoke: change('roleRevoke', (r) => ({ op: 'roleRevoke', name: text(r, 'name'), permission: permissionFromWire(r['permission'] as Permission__Output | null) })),
    };
  }

  /** Runs an auth change and records it, and its outcome, in the audit log. */
  private async audit(method: string, call: Call, run: () => Promise<object>): Promise<object> {
    const by = this.host.guard.principalOf(call.metadata)?.user;
    const target = auditTarget(call.request);
    try {
      const answer = await run();
      const revision = (answer as { revision?: unknown }).revision;
      this.host.audited?.({ method, by, target, outcome: 'ok', ...(typeof revision === 'number' ? { revision } : {}) });
      return answer;
    } catch (error) {
      this.host.audited?.({ method, by, target, outcome: error instanceof HoldfastError ? error.kind : 'error' });
      throw error;
    }
  }

  /** The auth revision a change was checked against (checkedAuthRevisionOf). */
  private checkedAuthRevision(call: Call): number | undefined {
    return checkedAuthRevisionOf(this.host.guard.admittedAuthRevision(call.metadata), call.metadata);
  }

  private deadline(): number {
    return this.host.nowMs() + this.host.requestTimeoutMs;
  }

  /** A user changes its own password; anyone else's needs the auth right (forwarded calls were checked by the member that took them). */
  private checkOwnOrAdmin(name: string, call: Call): void {
    const principal = this.host.guard.principalOf(call.metadata);
    const auth = this.host.auth();
    if (principal === undefined || principal.member || auth === undefined || principal.user === name) return;
    const missing = missingGrant(auth, principal.user, [{ access: 'admin', right: 'auth' }]);
    if (missing !== undefined) throw new PermissionDeniedError(`UserChangePassword of "${name}": ${missing}`);
  }

  private newSigningKey(): SigningKey {
    const held = this.host.auth()?.signingKeys ?? [];
    const id = held.reduce((max, key) => Math.max(max, key.id), 0) + 1;
    return { id, secret: randomBytes(AUTH_LIMITS.signingKeyBytes), createdAtMs: this.host.nowMs() };
  }

  private async authenticate(request: Request, call: Call): Promise<object> {
    const name = text(request, 'name');
    const attempt = { user: name, address: peerAddress(call.getPeer()), nowMs: this.host.nowMs() };
    const over = this.limiter.admit({ ...attempt, provenUser: this.showsTokenOf(name, call.metadata) });
    if (over !== undefined) {
      throw new TooManyLoginsError(over === 'user' ? `too many failed logins for user "${name}"; retry later` : 'too many failed logins from this address; retry later');
    }
    // A user or password changed just before is seen here (the member may lag the leader).
    await this.host.readBarrier(this.deadline());
    const auth = this.host.auth();
    // No token is needed: a client configured with credentials works on a cluster with auth off.
    if (auth?.enabled !== true) return { token: '', expiresAtMs: 0 };
    // A caller that gave up (its deadline passed while the barrier waited) gets no hash computed.
    if (call.cancelled) throw new UnauthenticatedError('the login was cancelled by the caller');
    const user = auth.users.find((candidate) => candidate.name === name);
    const password = text(request, 'password');
    // The same answer for an unknown user and a wrong password: a login does not tell which names exist.
    const refused = new UnauthenticatedError('wrong user name or password');
    const matches = user?.password !== undefined && Buffer.byteLength(password) <= PASSWORD_BYTES_MAX && (await passwordMatches(password, user.password));
    if (user === undefined || !matches) {
      this.limiter.failed(attempt);
      throw refused;
    }
    this.limiter.succeeded(attempt);
    const key = auth.signingKeys.at(-1);
    if (key === undefined) throw new UnauthenticatedError('the cluster holds no signing key');
    const expiresAtMs = this.host.nowMs() + auth.tokenTtlMs;
    return { token: issueToken({ user: name, keyId: key.id, passwordRevision: user.passwordRevision, expiresAtMs }, key), expiresAtMs };
  }

  /**
   * Whether the login carries a token of `name` (the current password revision, expired at most
   * one token lifetime ago): a client renewing its token, which the login limits let through.
   */
  private showsTokenOf(name: string, metadata: grpc.Metadata): boolean {
    const auth = this.host.auth();
    const header = metadata.get(AUTHORIZATION_METADATA)[0];
    if (auth?.enabled !== true || typeof header !== 'string' || header === '') return false;
    const verdict = verifyToken(header.replace(/^Bearer /, ''), auth, this.host.nowMs(), auth.tokenTtlMs);
    if (!verdict.ok || verdict.claims.user !== name) return false;
    return auth.users.some((user) => user.name === name && user.passwordRevision === verdict.claims.passwordRevision);
  }

  private status(): object {
    const auth = this.host.auth();
    return { enabled: auth?.enabled === true, revision: auth?.revision ?? 0, tokenTtlMs: auth?.tokenTtlMs ?? 0, signingKeys: auth?.signingKeys.length ?? 0 };
  }

  private userList(): object {
    const users = this.host.auth()?.users ?? [];
    return { users: users.map((user) => ({ name: user.name, roles: [...user.roles], hasPassword: user.password !== undefined })) };
  }

  private roleList(): object {
    const roles = this.host.auth()?.roles ?? [];
    return { roles: roles.map((role) => ({ name: role.name, permissions: role.permissions.map(permissionToWire) })) };
  }

  /** Sends the change to the leader's Auth service, once, as this member (it was checked here, at the revision it carries). */
  private forward(method: string, call: Call, forwarded: boolean): Promise<object> {
    const request = call.request;
    const address = this.host.leaderClientAddress();
    if (address === undefined) return Promise.reject(new NoLeaderError());
    if (forwarded || address === '') return Promise.reject(new NotLeaderError(address));
    let client = this.clients.get(address);
    if (client === undefined) {
      client = new this.host.protos.AuthClient(address, this.host.dialCredentials);
      this.clients.set(address, client);
    }
    const metadata = withMemberToken(new grpc.Metadata(), this.host.guard);
    metadata.set(FORWARDED_METADATA, '1');
    const deadlineMs = this.deadline();
    const checkedAt = this.host.guard.admittedAuthRevision(call.metadata);
    if (checkedAt !== undefined) metadata.set(AUTH_REVISION_METADATA, String(checkedAt));
    const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method];
    return new Promise<object>((resolve, reject) => {
      if (fn === undefined) {
        reject(new Error(`no Auth method ${method}`));
        return;
      }
      fn.call(client, request, metadata, { deadline: deadlineMs }, (error: grpc.ServiceError | null, response: object) => {
        if (error) reject(forwardFailure(error, method));
        else resolve(response);
      });
    }).catch((error: unknown) => rethrowAfterAuthCatchUp(error, checkedAt, { auth: () => this.host.auth(), stopping: () => false, deadlineMs }));
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

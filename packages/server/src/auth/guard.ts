/**
 * The one place calls on the client port are checked: a grpc-js server interceptor that, while
 * auth is on, identifies the caller from its metadata (a token) or its TLS certificate, and
 * checks what the call needs (rules.ts) before any handler runs. A Batch stream is identified
 * once, at its start; each request in it is checked by checkBatchRequest, called by the stream's
 * handler. Missing or bad credentials: UNAUTHENTICATED; a need no role grants:
 * PERMISSION_DENIED naming it. While auth is off every call passes untouched.
 *
 * The check on arrival uses the auth state this member has applied, which may lag changes the
 * cluster already committed. A linearizable read therefore makes its check again after its read
 * barrier (checkAgain, or the recheck checkBatchRequest hands back), when the applied state holds
 * every change committed before the read was invoked.
 */
import * as grpc from '@grpc/grpc-js';
import type { AuthState } from '@holdfast/storage';
import type { BatchRequest__Output } from '@holdfast/protocol';
import { HoldfastError, toServiceError } from '../errors.js';
import { missingGrant, type Need } from './access.js';
import { batchRequestNeeds, type Rule, ruleOf } from './rules.js';
import { issueToken, TokenVerifier } from './tokens.js';

export class UnauthenticatedError extends HoldfastError {
  override readonly name = 'UnauthenticatedError';
  constructor(message: string) {
    super('unauthenticated', message);
  }
}

export class PermissionDeniedError extends HoldfastError {
  override readonly name = 'PermissionDeniedError';
  constructor(message: string) {
    super('permission-denied', message);
  }
}

export class TooManyLoginsError extends HoldfastError {
  override readonly name = 'TooManyLoginsError';
  constructor(message: string) {
    super('too-many-logins', message);
  }
}

/** grpc-js does not export its AuthContext type by name. */
type AuthContext = ReturnType<grpc.ServerInterceptingCallInterface['getAuthContext']>;

/** Who a call comes from, once identified. */
export interface Principal {
  /** A user name, or `member:<id>` for another member forwarding a call it checked itself. */
  readonly user: string;
  readonly member: boolean;
  /** A token's expiry (a Batch stream's later requests are refused after it); Infinity for a certificate. */
  readonly expiresAtMs: number;
}

export const AUTHORIZATION_METADATA = 'authorization';
const BEARER = 'Bearer ';
const MEMBER_PREFIX = 'member:';

export interface GuardHost {
  /** The auth state as of the applied index; undefined until the first auth change. */
  auth(): AuthState | undefined;
  readonly selfId: number;
  nowMs(): number;
  /** The keys attached to a lease, as of the applied index (none when not held). */
  leaseKeys(id: number): readonly Uint8Array[];
  /** Told of every refusal (a metric), with the method (`/holdfast.v1.KV/Put`, `Batch`) and the kind. */
  refused?(method: string, kind: string): void;
  /** Told of every refused admin call (the audit log): the caller when it was identified, and why. */
  adminDenied?(denial: AdminDenial): void;
}

export interface AdminDenial {
  readonly method: string;
  /** Undefined when the caller could not be identified (no or a bad token). */
  readonly user: string | undefined;
  readonly kind: string;
  readonly reason: string;
}

/** How a call was identified on arrival: enough to identify it again against a later auth state. */
interface Admission {
  /** Undefined when auth was off on arrival (or the method is public). */
  readonly principal: Principal | undefined;
  readonly authContext: AuthContext;
  /** The host clock on arrival: a token is checked again as of then (its expiry during a barrier does not count). */
  readonly arrivedAtMs: number;
  /** The revision of the auth state the call was identified against (0 before any auth change). */
  readonly authRevision: number;
}

/** The check a call passed, made again against the auth state applied now; throws the refusal. */
export type AuthRecheck = () => void;

export class AuthGuard {
  /** How each admitted call was identified, by its metadata object (which grpc-js hands the handler). */
  private readonly admissions = new WeakMap<grpc.Metadata, Admission>();

  private readonly tokens = new TokenVerifier();

  constructor(private readonly host: GuardHost) {}

  /** The auth state while auth is on; undefined while off. */
  private enabledState(): AuthState | undefined {
    const auth = this.host.auth();
    return auth?.enabled === true ? auth : undefined;
  }

  enabled(): boolean {
    return this.enabledState() !== undefined;
  }

  /**
   * The revision of the auth state applied now (0 before any auth change, and whether auth is on
   * or off): a write checked now is stamped with it, and refused at apply if an auth change was
   * applied before it (KvCommand.authRevision).
   */
  authRevision(): number {
    return this.host.auth()?.revision ?? 0;
  }

  /**
   * The auth revision a unary call was checked against on arrival (its identification; the
   * check of its message, made later, saw this state or a newer one). Undefined for a call the
   * interceptor did not see.
   */
  admittedAuthRevision(metadata: grpc.Metadata): number | undefined {
    return this.admissions.get(metadata)?.authRevision;
  }

  interceptor(): grpc.ServerInterceptor {
    return (descriptor, call) => {
      let refused = false;
      let metadataSeen: grpc.Metadata | undefined;
      const refuse = (error: HoldfastError): void => {
        refused = true;
        this.host.refused?.(descriptor.path, error.kind);
        const status = toServiceError(error);
        call.sendStatus({ code: status.code ?? grpc.status.INTERNAL, details: status.details ?? error.message, metadata: status.metadata ?? new grpc.Metadata() });
      };
      return new grpc.ServerInterceptingCall(call, {
        start: (next) => {
          next({
            onReceiveMetadata: (metadata, nextMetadata) => {
              metadataSeen = metadata;
              const error = this.admit(descriptor.path, metadata, call.getAuthContext());
              if (error !== undefined) refuse(error);
              else nextMetadata(metadata);
            },
            onReceiveMessage: (message: unknown, nextMessage) => {
              if (refused) return;
              const error = metadataSeen === undefined ? undefined : this.checkMessage(descriptor.path, metadataSeen, message);
              if (error !== undefined) refuse(error);
              else nextMessage(message);
            },
            onReceiveHalfClose: (nextHalfClose) => {
              if (!refused) nextHalfClose();
            },
          });
        },
      });
    };
  }

  /** Identifies the caller and checks the method's rule as far as it does not depend on the request. */
  private admit(path: string, metadata: grpc.Metadata, authContext: AuthContext): HoldfastError | undefined {
    const arrivedAtMs = this.host.nowMs();
    const authRevision = this.authRevision();
    const auth = this.enabledState();
    if (auth === undefined) {
      this.admissions.set(metadata, { principal: undefined, authContext, arrivedAtMs, authRevision });
      return undefined;
    }
    const rule = ruleOf(path);
    if (rule === undefined) return new PermissionDeniedError(`${path} has no permission rule; refused while auth is enabled`);
    if (rule.kind === 'public') return undefined;
    let principal: Principal | undefined;
    try {
      principal = this.identify(auth, metadata, authContext, arrivedAtMs);
      this.admissions.set(metadata, { principal, authContext, arrivedAtMs, authRevision });
      if (rule.kind === 'admin') this.authorize(auth, principal, [{ access: 'admin', right: rule.right }], path);
      return undefined;
    } catch (error) {
      if (!(error instanceof HoldfastError)) throw error;
      if (rule.kind === 'admin') this.host.adminDenied?.({ method: path, user: principal?.user, kind: error.kind, reason: error.message });
      return error;
    }
  }

  /**
   * Makes the check a unary call passed on arrival (admit, then checkMessage) again, against the
   * auth state applied now, with the same refusals: a linearizable read calls it after its read
   * barrier, so that a password change, a deleted user or a revoked grant committed before the
   * read was invoked, but applied here only while the barrier waited, refuses it. Throws
   * UnauthenticatedError or PermissionDeniedError.
   */
  checkAgain(path: string, metadata: grpc.Metadata, message: unknown): void {
    const auth = this.enabledState();
    if (auth === undefined) return;
    const rule = ruleOf(path);
    if (rule?.kind === 'public') return;
    let principal: Principal | undefined;
    try {
      if (rule === undefined) throw new PermissionDeniedError(`${path} has no permission rule; refused while auth is enabled`);
      const admission = this.admissions.get(metadata);
      if (admission === undefined) throw new UnauthenticatedError(`${path}: this call was not identified on arrival; call again`);
      // Identified again, as on arrival: a call admitted while auth was off is identified now.
      principal = this.identify(auth, metadata, admission.authContext, admission.arrivedAtMs);
      this.authorize(auth, principal, this.needsOf(rule, message), path);
    } catch (error) {
      if (!(error instanceof HoldfastError)) throw error;
      this.host.refused?.(path, error.kind);
      if (rule?.kind === 'admin') this.host.adminDenied?.({ method: path, user: principal?.user, kind: error.kind, reason: error.message });
      throw error;
    }
  }

  /** What a call needs by its rule, beyond being identified. */
  private needsOf(rule: Rule, message: unknown): readonly Need[] {
    if (rule.kind === 'admin') return [{ access: 'admin', right: rule.right }];
    if (rule.kind === 'keys') return rule.needs(message, this.host);
    return [];
  }

  private checkMessage(path: string, metadata: grpc.Metadata, message: unknown): HoldfastError | undefined {
    const rule: Rule | undefined = ruleOf(path);
    if (rule?.kind !== 'keys') return undefined;
    const auth = this.enabledState();
    const principal = this.admissions.get(metadata)?.principal;
    if (auth === undefined || principal === undefined) return undefined;
    try {
      this.authorize(auth, principal, rule.needs(message, this.host), path);
      return undefined;
    } catch (error) {
      if (error instanceof HoldfastError) return error;
      throw error;
    }
  }

  /**
   * Checks one request of a Batch stream against the stream's principal and the current auth
   * state (a role revoked meanwhile counts at once); throws UnauthenticatedError or
   * PermissionDeniedError. Returns the same check, to be made again against the auth state
   * applied after a linearizable read's barrier (as of the request's arrival for the token's
   * expiry).
   */
  checkBatchRequest(metadata: grpc.Metadata, request: BatchRequest__Output): AuthRecheck {
    const arrivedAtMs = this.host.nowMs();
    this.checkBatchRequestAt(metadata, request, arrivedAtMs);
    return () => this.checkBatchRequestAt(metadata, request, arrivedAtMs);
  }

  private checkBatchRequestAt(metadata: grpc.Metadata, request: BatchRequest__Output, nowMs: number): void {
    const auth = this.enabledState();
    if (auth === undefined) return;
    try {
      const principal = this.admissions.get(metadata)?.principal;
      if (principal === undefined) {
        throw new UnauthenticatedError('this stream was opened before auth was enabled, without credentials: open a new one with a token');
      }
      if (!principal.member && principal.expiresAtMs <= nowMs) {
        throw new UnauthenticatedError('the token this stream was opened with has expired: open a new one with a fresh token');
      }
      const needs = batchRequestNeeds(request, this.host);
      if (needs === undefined) throw new PermissionDeniedError(`Batch: request ${String(request.op)} has no permission rule; refused while auth is enabled`);
      this.authorize(auth, principal, needs, 'Batch');
    } catch (error) {
      if (error instanceof HoldfastError) this.host.refused?.('Batch', error.kind);
      throw error;
    }
  }

  /**
   * Checks an open call again against the auth state as it is now (a watch, when auth changes):
   * the refusal, or undefined while the caller may still do what it asked. A call opened while
   * auth was off is refused once auth is on; a caller whose user was deleted is unauthenticated;
   * a caller whose roles no longer grant the keys is denied. Token expiry is not checked here.
   */
  recheck(path: string, metadata: grpc.Metadata, message: unknown): HoldfastError | undefined {
    const auth = this.enabledState();
    if (auth === undefined) return undefined;
    const principal = this.admissions.get(metadata)?.principal;
    if (principal === undefined) {
      return new UnauthenticatedError('auth was enabled after this call was opened without credentials: open it again with a token');
    }
    if (principal.member) return undefined;
    if (!auth.users.some((user) => user.name === principal.user)) return new UnauthenticatedError(`user "${principal.user}" no longer exists`);
    const rule = ruleOf(path);
    if (rule?.kind !== 'keys') return undefined;
    const missing = missingGrant(auth, principal.user, rule.needs(message, this.host));
    return missing === undefined ? undefined : new PermissionDeniedError(`${path.split('/').at(-1) ?? path}: ${missing}`);
  }

  /** The principal the interceptor found for a call (undefined while auth is off or for a public call). */
  principalOf(metadata: grpc.Metadata): Principal | undefined {
    return this.admissions.get(metadata)?.principal;
  }

  private authorize(auth: AuthState, principal: Principal, needs: readonly Need[], what: string): void {
    if (principal.member) return;
    const missing = missingGrant(auth, principal.user, needs);
    if (missing !== undefined) throw new PermissionDeniedError(`${what}: ${missing}`);
  }

  private identify(auth: AuthState, metadata: grpc.Metadata, authContext: AuthContext, nowMs: number): Principal {
    const header = metadata.get(AUTHORIZATION_METADATA)[0];
    if (typeof header === 'string' && header !== '') return this.identifyToken(auth, header.startsWith(BEARER) ? header.slice(BEARER.length) : header, nowMs);
    const certificate = authContext.sslPeerCertificate;
    if (certificate !== undefined && Object.keys(certificate).length > 0) {
      const names = certificateNames(certificate);
      const user = names.find((name) => auth.users.some((candidate) => candidate.name === name));
      if (user === undefined) throw new UnauthenticatedError(`the client certificate names no user (${names.join(', ') || 'no names'})`);
      return { user, member: false, expiresAtMs: Number.POSITIVE_INFINITY };
    }
    throw new UnauthenticatedError('auth is enabled: log in (holdfast --user NAME) and send the token, or present a client certificate naming a user');
  }

  private identifyToken(auth: AuthState, token: string, nowMs: number): Principal {
    const verdict = this.tokens.verify(token, auth, nowMs);
    if (!verdict.ok) throw new UnauthenticatedError(verdict.reason);
    const { claims } = verdict;
    if (claims.user.startsWith(MEMBER_PREFIX)) return { user: claims.user, member: true, expiresAtMs: claims.expiresAtMs };
    const user = auth.users.find((candidate) => candidate.name === claims.user);
    if (user === undefined) throw new UnauthenticatedError(`user "${claims.user}" no longer exists`);
    if (user.passwordRevision !== claims.passwordRevision) throw new UnauthenticatedError(`the password of user "${claims.user}" changed since the token was issued (log in again)`);
    return { user: claims.user, member: false, expiresAtMs: claims.expiresAtMs };
  }

  /**
   * A token naming this member, for the calls it forwards to the leader after checking them
   * itself (the leader then checks nothing more). Undefined while auth is off. User names
   * cannot contain ':', so no user can be named like it.
   */
  memberToken(): string | undefined {
    const auth = this.enabledState();
    const key = auth?.signingKeys.at(-1);
    if (auth === undefined || key === undefined) return undefined;
    return issueToken({ user: `${MEMBER_PREFIX}${this.host.selfId}`, keyId: key.id, passwordRevision: 0, expiresAtMs: this.host.nowMs() + auth.tokenTtlMs }, key);
  }
}

/** How often a member that must catch up with an auth change looks at its applied auth state again. */
const AUTH_CATCH_UP_POLL_MS = 25;

/**
 * Waits until `auth()` (a member's applied auth state) is past `revision`, or until the deadline
 * (less one poll) or `stopping()`; answers whether it got there. A member whose forwarded write
 * the leader refused auth-changed calls it before answering, so that the write sent again there
 * is checked against the change that overtook it. Polls: it runs only on that rare refusal, and a
 * read barrier may not complete on a member whose log writes are slow.
 */
export async function awaitAuthRevisionAbove(
  revision: number,
  member: { auth(): AuthState | undefined; stopping(): boolean; deadlineMs: number },
): Promise<boolean> {
  for (;;) {
    if ((member.auth()?.revision ?? 0) > revision) return true;
    if (Date.now() + AUTH_CATCH_UP_POLL_MS >= member.deadlineMs || member.stopping()) return false;
    await new Promise((resolve) => setTimeout(resolve, AUTH_CATCH_UP_POLL_MS));
  }
}

/**
 * Rethrows a failed forward; first, when the leader refused it auth-changed (an auth change this
 * member has not applied overtook the check made here at `checkedRevision`), waits until this
 * member has applied past it (awaitAuthRevisionAbove), so the call sent again here is checked
 * against that change. Every kind of forward (writes, auth changes, Cluster calls) answers so.
 */
export async function rethrowAfterAuthCatchUp(
  error: unknown,
  checkedRevision: number | undefined,
  member: { auth(): AuthState | undefined; stopping(): boolean; deadlineMs: number },
): Promise<never> {
  if (error instanceof HoldfastError && error.kind === 'auth-changed' && checkedRevision !== undefined) {
    await awaitAuthRevisionAbove(checkedRevision, member);
  }
  throw error;
}

/** The names a certificate gives its holder: the subject's CN, then every DNS, URI and email SAN. */
export function certificateNames(certificate: { subject?: { CN?: string | string[] }; subjectaltname?: string }): string[] {
  const names: string[] = [];
  const cn = certificate.subject?.CN;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...cn);
  for (const entry of (certificate.subjectaltname ?? '').split(',')) {
    const match = /^\s*(DNS|URI|email):(.+)$/.exec(entry);
    if (match?.[2] !== undefined) names.push(match[2].trim());
  }
  return names;
}

/** Metadata carrying a member token, when auth is on: what forwarded calls are sent with. */
export function withMemberToken(metadata: grpc.Metadata, guard: Pick<AuthGuard, 'memberToken'> | undefined): grpc.Metadata {
  const token = guard?.memberToken();
  if (token !== undefined) metadata.set(AUTHORIZATION_METADATA, `${BEARER}${token}`);
  return metadata;
}

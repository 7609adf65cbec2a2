/**
 * Who the client is when the cluster has auth on: a user name and password, exchanged for a
 * token (Auth.Authenticate) that is sent with every call and renewed before it expires; or the
 * client's TLS certificate (ClientOptions.tls cert and key), whose CN or a SAN names the user.
 */
import { DeadlineExceededError } from './errors.js';

export type Credentials = { readonly user: string; readonly password: string } | { readonly certificate: true };

export interface IssuedToken {
  readonly token: string;
  /** The member's clock. */
  readonly expiresAtMs: number;
}

/** A token is renewed once this share of its lifetime has passed. */
const RENEW_AFTER_LIFETIME_SHARE = 0.75;
/** While the cluster says no token is needed (auth off), it is asked again after this long. */
const NO_TOKEN_NEEDED_RECHECK_MS = 1000;

/**
 * How long one login may take, whichever call started it: a login waits for a read barrier and
 * a scrypt hash, which on a loaded machine outlast a call's attempt timeout. Calls that wait
 * for it stop waiting at their own deadlines; the login goes on for the next calls.
 */
export const LOGIN_TIMEOUT_MS = 15_000;
/** One login attempt's time at least (the client's attemptTimeoutMs when longer); a member that does not answer is left after it. */
export const LOGIN_ATTEMPT_TIMEOUT_MS = 5000;

/** Logs in: `proof` is the last token issued (it may have expired), shown so the login limits let a renewal through. */
export type Authenticate = (deadlineMs: number, proof: string | undefined) => Promise<IssuedToken>;

/**
 * The current token of a user: one login at a time (concurrent calls wait for the same one),
 * renewed at three quarters of its lifetime, dropped when a member says it no longer passes.
 */
export class TokenSource {
  private token: string | undefined;
  private renewAtMs = 0;
  private expiresAtMs = 0;
  private login: Promise<string | undefined> | undefined;
  /** The cluster said no token is needed (auth off) until then. */
  private noTokenUntilMs = 0;
  /** The last token issued, kept after it expired or was refused (see Authenticate). */
  private lastIssued: string | undefined;

  constructor(
    private readonly authenticate: Authenticate,
    private readonly loginTimeoutMs = LOGIN_TIMEOUT_MS,
  ) {}

  /** The token to send now, if one is held (it may be due for renewal). */
  current(): string | undefined {
    return this.token !== undefined && Date.now() < this.expiresAtMs ? this.token : undefined;
  }

  /**
   * A token good for now: the held one, or a new login's; undefined while the cluster needs none
   * (auth off). Throws DeadlineExceededError when `deadlineMs` passes before a login ends (the
   * login itself goes on, for LOGIN_TIMEOUT_MS).
   */
  async ensure(deadlineMs: number): Promise<string | undefined> {
    const held = this.current();
    if (held !== undefined && Date.now() < this.renewAtMs) return held;
    if (held === undefined && Date.now() < this.noTokenUntilMs) return undefined;
    this.login ??= this.authenticate(Date.now() + this.loginTimeoutMs, this.lastIssued).then(
      (issued) => {
        this.login = undefined;
        const nowMs = Date.now();
        if (issued.token === '') {
          this.token = undefined;
          this.noTokenUntilMs = nowMs + NO_TOKEN_NEEDED_RECHECK_MS;
          return undefined;
        }
        this.token = issued.token;
        this.lastIssued = issued.token;
        this.expiresAtMs = issued.expiresAtMs;
        this.renewAtMs = nowMs + (issued.expiresAtMs - nowMs) * RENEW_AFTER_LIFETIME_SHARE;
        return issued.token;
      },
      (error: unknown) => {
        this.login = undefined;
        throw error;
      },
    );
    // A renewal that fails while the held token is still good does not fail the call.
    if (held !== undefined) return this.login.then((token) => token ?? held, () => held);
    return untilDeadline(this.login, deadlineMs);
  }

  /**
   * A member refused a stream opened with `refused` (undefined: opened without a token, while
   * auth was off): a token good for now, by a new login unless another caller already got a
   * newer one since (concurrent callers share one login). Throws like ensure().
   */
  renewAfterRefusal(refused: string | undefined, deadlineMs: number): Promise<string | undefined> {
    const held = this.current();
    if (held === undefined || held === refused) this.invalidate(refused);
    return this.ensure(deadlineMs);
  }

  /** A member refused `token`: the next call logs in again. */
  invalidate(token: string | undefined): void {
    this.noTokenUntilMs = 0;
    if (token === undefined || token === this.token) {
      this.token = undefined;
      this.expiresAtMs = 0;
    }
  }
}

/** `promise`, or DeadlineExceededError once `deadlineMs` passes first (the promise runs on). */
function untilDeadline<T>(promise: Promise<T>, deadlineMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new DeadlineExceededError('no login answered within the call\'s deadline (the login goes on for the next calls)', { code: 'timeout' })),
      Math.max(0, deadlineMs - Date.now()),
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Login limits: failed logins are counted per user name and per peer address (token buckets: a
 * burst of the per-minute limit, refilled evenly). Only failures are counted: a right password
 * costs nothing, so honest clients renewing their tokens never spend a budget. Once a budget is
 * spent, attempts are refused before the password is hashed (guessing, and the scrypt CPU it
 * costs, are bounded), except for callers that show they logged in before:
 * - a caller presenting a token of the same user (the current password revision, expired at
 *   most one token lifetime ago) passes both budgets: a guesser holds no such token, so one bad
 *   actor cannot lock the holders of a user's tokens out, wherever it guesses from;
 * - a user that logged in from this address within `knownPairMs` passes the address budget (not
 *   the user's): a bad actor spraying other names from a shared host does not lock out the
 *   honest users of that host.
 * The tables are bounded; the least recently used entry goes first.
 */
export interface LoginLimits {
  /** Failed logins per minute for one user name (--login-attempts-per-user-per-minute). */
  readonly attemptsPerUserPerMinute: number;
  /** Failed logins per minute from one peer address (--login-attempts-per-address-per-minute). */
  readonly attemptsPerAddressPerMinute: number;
  /** Names, addresses and (user, address) pairs tracked at most in each table. */
  readonly trackedKeysMax: number;
}

export const defaultLoginLimits: LoginLimits = {
  attemptsPerUserPerMinute: 60,
  attemptsPerAddressPerMinute: 120,
  trackedKeysMax: 10_000,
};

/** How long a successful login lets its user pass a spent address budget from that address. */
export const KNOWN_PAIR_MS = 10 * 60_000;

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

/** A bounded map whose least recently touched entry is dropped first. */
class LruTable<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly keysMax: number) {}

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.keysMax) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

class BucketTable {
  private readonly buckets: LruTable<Bucket>;

  constructor(
    private readonly perMinute: number,
    keysMax: number,
  ) {
    this.buckets = new LruTable(keysMax);
  }

  private refilled(key: string, nowMs: number): Bucket {
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, updatedAtMs: nowMs };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + ((nowMs - bucket.updatedAtMs) * this.perMinute) / 60_000);
    bucket.updatedAtMs = nowMs;
    return bucket;
  }

  /** Whether `key` has at least one failure left in its budget. */
  hasBudget(key: string, nowMs: number): boolean {
    return this.refilled(key, nowMs).tokens >= 1;
  }

  /** Spends one failure of `key`'s budget (never below zero). */
  spend(key: string, nowMs: number): void {
    const bucket = this.refilled(key, nowMs);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.set(key, bucket);
  }
}

export interface LoginAttempt {
  readonly user: string;
  readonly address: string;
  readonly nowMs: number;
}

export class LoginRateLimiter {
  private readonly users: BucketTable;
  private readonly addresses: BucketTable;
  /** Last successful login of each `user\0address` pair, ms. */
  private readonly knownPairs: LruTable<number>;

  constructor(limits: LoginLimits) {
    this.users = new BucketTable(limits.attemptsPerUserPerMinute, limits.trackedKeysMax);
    this.addresses = new BucketTable(limits.attemptsPerAddressPerMinute, limits.trackedKeysMax);
    this.knownPairs = new LruTable(limits.trackedKeysMax);
  }

  /**
   * Which spent budget refuses the attempt ('user' or 'address'), or undefined when it may go
   * ahead. `provenUser`: the caller showed a token of this user (see the file comment).
   */
  admit(attempt: LoginAttempt & { readonly provenUser: boolean }): 'user' | 'address' | undefined {
    if (attempt.provenUser) return undefined;
    if (!this.users.hasBudget(attempt.user, attempt.nowMs)) return 'user';
    if (!this.addresses.hasBudget(attempt.address, attempt.nowMs) && !this.isKnownPair(attempt)) return 'address';
    return undefined;
  }

  /** A wrong password or unknown user: spends the name's and the address's budgets. */
  failed(attempt: LoginAttempt): void {
    this.users.spend(attempt.user, attempt.nowMs);
    this.addresses.spend(attempt.address, attempt.nowMs);
  }

  /** A right password: the pair is known from now on (for KNOWN_PAIR_MS). */
  succeeded(attempt: LoginAttempt): void {
    this.knownPairs.set(pairKey(attempt), attempt.nowMs);
  }

  private isKnownPair(attempt: LoginAttempt): boolean {
    const lastMs = this.knownPairs.get(pairKey(attempt));
    return lastMs !== undefined && attempt.nowMs - lastMs < KNOWN_PAIR_MS;
  }
}

function pairKey(attempt: LoginAttempt): string {
  return `${attempt.user}\u0000${attempt.address}`;
}

/** The address part of a grpc-js peer string (`ipv4:127.0.0.1:5000`, `ipv6:[::1]:5000`). */
export function peerAddress(peer: string): string {
  const withoutScheme = peer.replace(/^(ipv4|ipv6|unix):/, '');
  const bracket = /^\[([^\]]+)\]/.exec(withoutScheme);
  if (bracket?.[1] !== undefined) return bracket[1];
  const colon = withoutScheme.lastIndexOf(':');
  return colon > 0 ? withoutScheme.slice(0, colon) : withoutScheme;
}

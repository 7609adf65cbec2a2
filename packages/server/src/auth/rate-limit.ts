/**
 * Login attempts, limited per user and per peer address (token buckets: a burst of the
 * per-minute limit, refilled evenly). Every attempt counts, right or wrong: a password check
 * costs tens of milliseconds of scrypt, so unlimited attempts would also be a way to load the
 * member. The tables are bounded; the least recently used entry goes first.
 */
export interface LoginLimits {
  /** Attempts per minute for one user name (--login-attempts-per-user-per-minute). */
  readonly attemptsPerUserPerMinute: number;
  /** Attempts per minute from one peer address (--login-attempts-per-address-per-minute). */
  readonly attemptsPerAddressPerMinute: number;
  /** Names and addresses tracked at most in each table. */
  readonly trackedKeysMax: number;
}

export const defaultLoginLimits: LoginLimits = {
  attemptsPerUserPerMinute: 60,
  attemptsPerAddressPerMinute: 120,
  trackedKeysMax: 10_000,
};

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

class BucketTable {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perMinute: number,
    private readonly keysMax: number,
  ) {}

  /** Takes one attempt for `key`; false when none is left. */
  take(key: string, nowMs: number): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, updatedAtMs: nowMs };
    this.buckets.delete(key);
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + ((nowMs - bucket.updatedAtMs) * this.perMinute) / 60_000);
    bucket.updatedAtMs = nowMs;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.keysMax) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return allowed;
  }
}

export class LoginRateLimiter {
  private readonly users: BucketTable;
  private readonly addresses: BucketTable;

  constructor(limits: LoginLimits) {
    this.users = new BucketTable(limits.attemptsPerUserPerMinute, limits.trackedKeysMax);
    this.addresses = new BucketTable(limits.attemptsPerAddressPerMinute, limits.trackedKeysMax);
  }

  /** What is over its limit ('user' or 'address'), or undefined when the attempt may go ahead. */
  take(attempt: { user: string; address: string; nowMs: number }): 'user' | 'address' | undefined {
    if (!this.addresses.take(attempt.address, attempt.nowMs)) return 'address';
    if (!this.users.take(attempt.user, attempt.nowMs)) return 'user';
    return undefined;
  }
}

/** The address part of a grpc-js peer string (`ipv4:127.0.0.1:5000`, `ipv6:[::1]:5000`). */
export function peerAddress(peer: string): string {
  const withoutScheme = peer.replace(/^(ipv4|ipv6|unix):/, '');
  const bracket = /^\[([^\]]+)\]/.exec(withoutScheme);
  if (bracket?.[1] !== undefined) return bracket[1];
  const colon = withoutScheme.lastIndexOf(':');
  return colon > 0 ? withoutScheme.slice(0, colon) : withoutScheme;
}
